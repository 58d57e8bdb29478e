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
    data: dict[str, Any] = {"file": source, "model": getattr(result, "model", None)}
    if hasattr(result, "summaries"):
        data.update(
            summary=result.text,
            summaries=dict(result.summaries),
            chunks=result.chunks,
            is_partial=result.is_partial,
            failed_chunks=list(result.failed_chunks),
        )
    else:
        data.update(
            target=getattr(result, "target", None),
            translation=result.text,
            pairs=[list(pair) if isinstance(pair, (tuple, list)) else _pair(pair) for pair in result.pairs],
            chunks=getattr(result, "chunks", None),
        )
    data.update(usage=usage_record(result.usage), elapsed=round(elapsed, 3))
    return data


def _pair(pair: Any) -> Any:
    if hasattr(pair, "source") and hasattr(pair, "target"):
        return [pair.source, pair.target]
    return str(pair)


def to_json(result: Any, *, source: str, elapsed: float) -> str:
    return json.dumps(record(result, source=source, elapsed=elapsed), ensure_ascii=False)


def to_markdown(result: Any, *, title: str) -> str:
    """A Markdown document: the title, then a section per summary language (or the translation)."""
    if not hasattr(result, "summaries"):
        return f"# {title}\n\n{result.to_markdown().strip()}\n"
    parts = [f"# {title}"]
    for language, text in result.summaries.items():
        parts.append(f"## Summary ({LANGUAGE_LABELS.get(language, language)})\n\n{text.strip()}")
    if result.is_partial:
        parts.append(
            f"> Partial: chunks {', '.join(str(i + 1) for i in result.failed_chunks)} failed and are left out."
        )
    return "\n\n".join(parts) + "\n"


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
