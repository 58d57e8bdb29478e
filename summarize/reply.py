"""The shape and cleaning of a reply: what came back, validated in one place, ``<think>`` removed.

A chat completion becomes a ``Reply`` here and nowhere else. Reasoning a model put inline
(``<think>…</think>``) or in a reasoning field is kept apart from the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


def strip_think(text: str | None) -> str:
    """Remove reasoning a model put inline: ``<think>…</think>`` blocks (empty ones too),
    an unclosed leading ``<think>`` (the reply was all reasoning), and reasoning before a stray
    ``</think>`` (templates that open the block in the prompt)."""
    if not text:
        return ""
    text = _THINK_BLOCK.sub("", text)
    lower = text.lower()
    if "</think>" in lower:
        text = text[lower.rindex("</think>") + len("</think>") :]
    stripped = text.lstrip()
    if stripped.lower().startswith("<think>"):
        return ""
    return text.strip()


@dataclass(frozen=True)
class Reply:
    """One chat completion, cleaned."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None
    model: str | None
    reasoning: str | None = None  # what the model thought, in a reasoning field or inline <think>
    cached: bool = False  # answered from the response cache, no request sent


# What the response cache keeps of a reply.
CACHED_FIELDS = ("text", "prompt_tokens", "completion_tokens", "finish_reason", "model")


def body_error(completion: Any) -> Any:
    """The error a body carries instead of choices (some servers answer HTTP 200 with one), else ``None``."""
    error = getattr(completion, "error", None) or (getattr(completion, "model_extra", None) or {}).get("error")
    if error or not getattr(completion, "choices", None):
        return error or "the reply had no choices"
    return None


def from_completion(completion: Any, model: str) -> Reply:
    """A ``Reply`` from a completion whose ``body_error`` is ``None``."""
    choice = completion.choices[0]
    usage = getattr(completion, "usage", None)
    text = strip_think(choice.message.content)
    extra = getattr(choice.message, "model_extra", None) or {}
    raw = choice.message.content or ""
    # What strip_think removed, less the tags (an empty <think></think> is not reasoning).
    inline = re.sub(r"</?think>", "", raw.replace(text, "", 1) if text else raw, flags=re.IGNORECASE).strip()
    return Reply(
        text=text,
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
        finish_reason=choice.finish_reason,
        model=getattr(completion, "model", None) or model,
        reasoning=extra.get("reasoning_content") or extra.get("reasoning") or inline or None,
    )
