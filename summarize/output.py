"""How results are written out: plain text, Markdown and JSON records (for the CLI and batches)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

LANGUAGE_LABELS = {"en": "English", "zh-Hant": "繁體中文"}


def usage_record(usage: Any) -> dict[str, Any]:
    return {
        "requests": getattr(usage, "requests", None),
        "prompt_tokens": getattr(usage, "prompt_tokens", None),
        "completion_tokens": getattr(usage, "completion_tokens", None),
    }


def record(result: Any, *, source: str, elapsed: float) -> dict[str, Any]:
    """One JSON object for one article: a ``Summary`` or a ``Translation``."""
    data: dict[str, Any] = {"file": source, "model": result.model}
    if hasattr(result, "summaries"):
        data.update(
            summary=result.text,
            summaries=dict(result.summaries),
            chunks=result.chunks,
            is_partial=result.is_partial,
            failed_chunks=list(result.failed_chunks),
        )
    else:
        data.update(target=result.target, translation=result.text, pairs=[list(p) for p in result.pairs], chunks=result.chunks)
    # What a reader must know before trusting the text: cut replies, unverified language, repairs.
    data.update(
        truncated=result.truncated,
        unverified=list(result.unverified),
        unsupported=[list(u) if isinstance(u, tuple) else u for u in getattr(result, "unsupported", ())],
        simplified_fixed=result.simplified_fixed,
        usage=usage_record(result.usage),
        elapsed=round(elapsed, 3),
    )
    return data


def to_json(result: Any, *, source: str, elapsed: float) -> str:
    return json.dumps(record(result, source=source, elapsed=elapsed), ensure_ascii=False)


def to_markdown(result: Any, *, title: str) -> str:
    """A Markdown document: the title, then a section per summary language (or the translation)."""
    if not hasattr(result, "summaries"):
        return f"# {title}\n\n{result.to_markdown().strip()}\n" + "".join(f"\n{w}\n" for w in warnings(result))
    parts = [f"# {title}"]
    for language, text in result.summaries.items():
        parts.append(f"## Summary ({LANGUAGE_LABELS.get(language, language)})\n\n{text.strip()}")
    return "\n\n".join(parts + warnings(result)) + "\n"


# How each Markdown warning line starts (``summarize batch --redo-flagged`` looks for them).
WARNING_PREFIXES = ("> Partial:", "> Cut:", "> Unverified:", "> Unsupported:")


def warnings(result: Any) -> list[str]:
    """Markdown notes on what makes a result less than complete."""
    partial, cut, unverified, unsupported = WARNING_PREFIXES
    notes = []
    if getattr(result, "is_partial", False):
        notes.append(f"{partial} chunks {', '.join(str(i + 1) for i in result.failed_chunks)} failed and are left out.")
    if result.truncated:
        notes.append(f"{cut} a reply hit the token limit and was kept as it was (on_truncation=keep).")
    if result.unverified:
        notes.append(f"{unverified} {', '.join(map(str, result.unverified))} came back in the wrong language.")
    claims = getattr(result, "unsupported", ())
    if claims:
        quoted = [f"paragraph {u[0] + 1}: \"{u[1]}\"" if isinstance(u, tuple) else f"\"{u}\"" for u in claims]
        notes.append(f"{unsupported} not found in the article, check before use: {'; '.join(quoted)}.")
    return notes


def to_text(result: Any) -> str:
    """Plain text: the summary (a labelled block per language when there are several) or the translation."""
    summaries = getattr(result, "summaries", None)
    if not summaries or len(summaries) == 1:
        return result.text.strip() + "\n"
    return "\n\n".join(f"[{language}]\n{text.strip()}" for language, text in summaries.items()) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that no reader, and no interrupted run, sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
