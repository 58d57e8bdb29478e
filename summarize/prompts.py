"""Load and render the prompt files in ``prompts/``; fence untrusted article text.

Prompts are plain files with ``$name`` placeholders (``string.Template``), shipped in the wheel
as the ``summarize._prompts`` package. The article is data: it travels only in the user message,
between fence lines that do not occur in it, and every system prompt says so.
"""

from __future__ import annotations

import functools
import importlib.resources
import string
from collections.abc import Mapping

from .errors import ConfigError

LANGUAGE_NAMES = {
    "en": "English",
    "zh-Hant": "Traditional Chinese as written in Taiwan (繁體中文), never Simplified Chinese",
}

# Shorter names, where a language is the source or is named inside a sentence.
SHORT_NAMES = {"en": "English", "zh-Hant": "Traditional Chinese (繁體中文)"}
# Between a name and the form to write, in glossary lines of prompts (and in extraction replies).
GLOSSARY_ARROW = " => "
# Reference material that may precede the text: its heading, and how the system prompt describes it.
REFERENCE_PARTS = {
    "title": ("Title:", "its title"),
    "previous": ("Previous paragraph:", "the paragraph just before this part"),
    "glossary": ("Glossary:", 'a glossary of names, one per line, each followed by "=>" and the form to write'),
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
        raise ConfigError(f"unsupported language {code!r}; supported: {', '.join(LANGUAGE_NAMES)}") from None


def fence_for(text: str, name: str = "ARTICLE") -> tuple[str, str]:
    """Opening and closing fence lines that do not occur anywhere in ``text``."""
    n = 0
    while True:
        tag = name if n == 0 else f"{name}-{n}"
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


def glossary_lines(entries: Mapping[str, str]) -> str:
    return "\n".join(f"{term}{GLOSSARY_ARROW}{rendering}" for term, rendering in entries.items())


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def referenced_messages(
    system: str,
    text: str,
    *,
    task: str,
    title: str = "",
    previous: str = "",
    glossary: Mapping[str, str] | None = None,
    **values: object,
) -> list[Message]:
    """``fenced_messages`` plus reference material (title, previous paragraph, glossary entries)
    fenced apart before the text; without any reference, exactly ``fenced_messages``."""
    parts = {"title": title.strip(), "previous": previous.strip(), "glossary": glossary_lines(glossary or {})}
    parts = {key: value for key, value in parts.items() if value}
    if not parts:
        return fenced_messages(system, text, **values)
    reference = "\n\n".join(f"{REFERENCE_PARTS[key][0]}\n{value}" for key, value in parts.items())
    both = f"{text}\n{reference}"
    opening, closing = fence_for(both)
    ref_open, ref_close = fence_for(both, "REFERENCE")
    note = render(
        "reference_note",
        ref_open=ref_open,
        ref_close=ref_close,
        contents=_listing([REFERENCE_PARTS[key][1] for key in parts]),
        task=task,
    )
    system_text = render(system, fence_open=opening, fence_close=closing, **values)
    user_text = render(
        "reference_user",
        ref_open=ref_open,
        ref_close=ref_close,
        reference=reference,
        fence_open=opening,
        fence_close=closing,
        text=text,
    )
    return [{"role": "system", "content": f"{system_text}\n\n{note}"}, {"role": "user", "content": user_text}]


def firmer_english(messages: list[Message]) -> list[Message]:
    """``messages`` with the instruction to write English only added to the system message."""
    firm = render("english_only")
    return [
        {**m, "content": f"{m['content']}\n\n{firm}"} if m["role"] == "system" else dict(m) for m in messages
    ]


def summarize_messages(article: str, language: str, glossary: Mapping[str, str] | None = None) -> list[Message]:
    return referenced_messages(
        "summarize_system", article, task="summarize", glossary=glossary, language=language_name(language)
    )


def map_messages(
    chunk: str, part: int, parts: int, language: str = "en", glossary: Mapping[str, str] | None = None
) -> list[Message]:
    return referenced_messages(
        "map_system", chunk, task="summarize", glossary=glossary, part=part, parts=parts, language=language_name(language)
    )


def translate_messages(
    marked: str,
    *,
    source: str,
    target: str,
    marker_example: str,
    title: str = "",
    previous: str = "",
    glossary: Mapping[str, str] | None = None,
    english_only: bool = False,
) -> list[Message]:
    """One translation request: marked paragraphs with the glossary entries for their names (and,
    when the run sends context, the title and the previous paragraph)."""
    messages = referenced_messages(
        "translate_system",
        marked,
        task="translate",
        title=title,
        previous=previous,
        glossary=glossary,
        source=SHORT_NAMES[source],
        target=language_name(target),
        marker_example=marker_example,
    )
    return firmer_english(messages) if english_only else messages


def glossary_messages(terms: str, *, source: str, target: str) -> list[Message]:
    """Ask which of ``terms`` (one per line, taken from an article) are names, each with its ``target`` form."""
    return fenced_messages("glossary_system", terms, source=SHORT_NAMES[source], target=SHORT_NAMES[target])


def join_notes(notes: list[str]) -> str:
    return "\n\n".join(f"[Part {i}]\n{note.strip()}" for i, note in enumerate(notes, 1))


def reduce_messages(
    notes: list[str], language: str, *, final: bool = True, glossary: Mapping[str, str] | None = None
) -> list[Message]:
    return referenced_messages(
        "reduce_system" if final else "merge_system",
        join_notes(notes),
        task="summarize",
        glossary=glossary,
        language=language_name(language),
    )
