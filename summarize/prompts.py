"""Load and render the prompt files in ``prompts/``; fence untrusted article text.

Prompts are plain files with ``$name`` placeholders (``string.Template``), shipped in the wheel
as the ``summarize._prompts`` package. The article is data: it travels only in the user message,
between fence lines that do not occur in it, and every system prompt says so.
"""

from __future__ import annotations

import functools
import importlib.resources
import string

LANGUAGE_NAMES = {
    "en": "English",
    "zh-Hant": "Traditional Chinese as written in Taiwan (繁體中文), never Simplified Chinese",
}

Message = dict[str, str]


@functools.lru_cache(maxsize=None)
def load(name: str) -> string.Template:
    """The template in ``prompts/<name>.txt``."""
    text = (importlib.resources.files("summarize._prompts") / f"{name}.txt").read_text(encoding="utf-8")
    return string.Template(text)


def render(name: str, **values: object) -> str:
    """Render ``prompts/<name>.txt``; a missing placeholder raises ``KeyError`` naming it."""
    return load(name).substitute({k: str(v) for k, v in values.items()}).strip()


def language_name(code: str) -> str:
    try:
        return LANGUAGE_NAMES[code]
    except KeyError:
        raise ValueError(f"unsupported language {code!r}; supported: {', '.join(LANGUAGE_NAMES)}") from None


def fence_for(text: str) -> tuple[str, str]:
    """Opening and closing fence lines that do not occur anywhere in ``text``."""
    n = 0
    while True:
        tag = "ARTICLE" if n == 0 else f"ARTICLE-{n}"
        opening, closing = f"<<<{tag}>>>", f"<<<END {tag}>>>"
        if opening not in text and closing not in text:
            return opening, closing
        n += 1


def fenced_messages(system: str, text: str, **values: object) -> list[Message]:
    """A system prompt (rendered from ``prompts/<system>.txt``) and the fenced text as the user message."""
    opening, closing = fence_for(text)
    return [
        {"role": "system", "content": render(system, fence_open=opening, fence_close=closing, **values)},
        {"role": "user", "content": render("fenced_user", fence_open=opening, fence_close=closing, text=text)},
    ]


def summarize_messages(article: str, language: str) -> list[Message]:
    return fenced_messages("summarize_system", article, language=language_name(language))


def map_messages(chunk: str, part: int, parts: int, language: str = "en") -> list[Message]:
    return fenced_messages("map_system", chunk, part=part, parts=parts, language=language_name(language))


def join_notes(notes: list[str]) -> str:
    return "\n\n".join(f"[Part {i}]\n{note.strip()}" for i, note in enumerate(notes, 1))


def reduce_messages(notes: list[str], language: str, *, final: bool = True) -> list[Message]:
    return fenced_messages(
        "reduce_system" if final else "merge_system", join_notes(notes), language=language_name(language)
    )
