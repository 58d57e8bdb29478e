"""Names rendered the same way everywhere: glossaries from the user, from a file, or from the model.

A glossary maps a name as the Chinese article writes it to its English form::

    {"阿里巴巴": "Alibaba", "馬斯克": "Elon Musk"}

The file format (``SUMMARIZE_GLOSSARY=names.tsv`` or ``glossary="names.tsv"``) is UTF-8 text
with one entry per line: the source name, a tab, then its English form. Blank lines and lines
starting with ``#`` are ignored::

    # source<TAB>English
    阿里巴巴	Alibaba
    馬斯克	Elon Musk

Each request is given only the entries whose name occurs in the text it carries.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Union

from . import prompts
from .budget import extraction_budget
from .chunking import plan_chunks
from .config import Settings, env_variable
from .errors import ConfigError
from .text import to_traditional
from .tokens import TokenCounter

log = logging.getLogger("summarize")

GlossaryLike = Union[Mapping[str, str], str, "os.PathLike[str]", None]

# Separators a model may put between a name and its rendering, the one we asked for first.
_SEPARATORS = ("=>", "→", "->", "\t", "：", ":", "=", " - ")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)、])\s*")
_QUOTES = "\"'「」『』“”‘’`*"


def load_glossary(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a glossary file: ``source<TAB>English`` per line, ``#`` comments and blank lines ignored.

    Raises:
        ConfigError: the file cannot be read, or a line is not two tab-separated columns.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the glossary {str(path)!r} ({exc}); set {env_variable('glossary')} or glossary= to a "
            "UTF-8 file with one 'source<TAB>English' entry per line"
        ) from exc
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = [c.strip() for c in line.split("\t")]
        if len(columns) != 2 or not all(columns):
            raise ConfigError(
                f"{path}, line {number}: expected two columns separated by one tab "
                f"(source<TAB>English), got {line.strip()!r}"
            )
        entries[columns[0]] = columns[1]
    return entries


def check_glossary(glossary: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``glossary`` with every name and rendering a non-empty ``str``, stripped.

    Raises:
        ConfigError: an entry is not a pair of non-empty strings.
    """
    if not isinstance(glossary, Mapping):
        raise ConfigError(
            f"glossary must be a mapping such as {{'阿里巴巴': 'Alibaba'}} or a file path, got {type(glossary).__name__}"
        )
    entries: dict[str, str] = {}
    for term, rendering in glossary.items():
        if not isinstance(term, str) or not isinstance(rendering, str) or not term.strip() or not rendering.strip():
            raise ConfigError(f"glossary entries must map a non-empty str to a non-empty str, got {term!r}: {rendering!r}")
        entries[term.strip()] = rendering.strip()
    return entries


def resolve_glossary(glossary: GlossaryLike, settings: Settings) -> dict[str, str]:
    """The glossary of a run: the argument (a mapping or a file path), else ``SUMMARIZE_GLOSSARY``, else none."""
    if glossary is None:
        return load_glossary(settings.glossary) if settings.glossary else {}
    if isinstance(glossary, (str, os.PathLike)):
        return load_glossary(glossary)
    return check_glossary(glossary)


def inverted(glossary: Mapping[str, str]) -> dict[str, str]:
    """English form → source name: what a request writing Chinese from English text needs."""
    result: dict[str, str] = {}
    for term, rendering in glossary.items():
        result.setdefault(rendering, term)
    return result


def present(glossary: Mapping[str, str], text: str) -> dict[str, str]:
    """The entries whose name occurs in ``text``, in order of first occurrence."""
    found = [(text.find(term), term) for term in glossary if term and term in text]
    return {term: glossary[term] for _, term in sorted(found)}


def within(entries: Mapping[str, str], tokens: int, count: Callable[[str], int]) -> dict[str, str]:
    """The first entries whose glossary lines fit in ``tokens``."""
    kept: dict[str, str] = {}
    used = 0
    for term, rendering in entries.items():
        cost = count(f"{term}{prompts.GLOSSARY_ARROW}{rendering}") + 1
        if used + cost > tokens:
            break
        kept[term] = rendering
        used += cost
    return kept


def parse_names(reply: str, text: str) -> dict[str, str]:
    """Entries from a model's name list; names that do not occur in ``text`` are dropped (invented)."""
    entries: dict[str, str] = {}
    for line in reply.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line or line.upper() == "NONE":
            continue
        for separator in _SEPARATORS:
            if separator in line:
                term, _, rendering = line.partition(separator)
                break
        else:
            continue
        term, rendering = term.strip().strip(_QUOTES).strip(), rendering.strip().strip(_QUOTES).strip()
        if len(term) < 2 or not rendering or term == rendering or term not in text:
            continue
        entries.setdefault(term, rendering)
    return entries


Ask = Callable[[list[prompts.Message]], Awaitable[str]]


async def extract_glossary(ask: Ask, chunks: list[str], *, source: str, target: str) -> dict[str, str]:
    """Names in an article with their ``target`` forms: one request per chunk, concurrently.

    Where two chunks render a name differently, the first chunk's rendering wins, so every
    later request sees one form.
    """
    replies = await asyncio.gather(
        *(
            ask(prompts.glossary_messages(chunk, i, len(chunks), source=source, target=target))
            for i, chunk in enumerate(chunks, 1)
        )
    )
    entries: dict[str, str] = {}
    for chunk, reply in zip(chunks, replies):
        for term, rendering in parse_names(reply, chunk).items():
            entries.setdefault(term, rendering)
    return entries


def extraction_chunks(text: str, settings: Settings, counter: TokenCounter, *, source: str, target: str) -> list[str]:
    """The pieces of an article that name-extraction requests carry, one request each."""
    budget = extraction_budget(settings, counter, source, target)
    return [c.text for c in plan_chunks(text, budget, counter.count)]


async def extract_for_article(
    ask: Ask, text: str, settings: Settings, counter: TokenCounter, *, source: str, target: str
) -> dict[str, str]:
    """The names in a whole article with their ``target`` forms, in as few requests as fit.

    Used when an article needs several requests and the user gave no glossary: one shared
    rendering per name keeps every chunk's output consistent.
    """
    chunks = extraction_chunks(text, settings, counter, source=source, target=target)
    log.info("extracting names in %d request(s)", len(chunks))
    entries = await extract_glossary(ask, chunks, source=source, target=target)
    if target == "zh-Hant":
        entries = {term: to_traditional(rendering)[0] for term, rendering in entries.items()}
    return entries
