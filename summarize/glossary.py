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
from .config import Settings, env_variable
from .errors import ConfigError
from .text import to_traditional
from .tokens import TokenCounter, tokenizer_for

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

# Characters that seldom occur inside a name but often glue common words together: a run of
# Chinese is cut at them before its substrings are taken as terms.
_NOT_IN_NAMES = re.compile("[的了是在與及也並或但被把這們著]")
_HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·‧]+")
# A run of capitalized words (``Elon Musk``, ``Qwen3``, ``New Taipei City Government``).
_WORD = r"[A-Z][\w&'’-]*(?:\.\w+)*"
_CAPITALIZED = re.compile(rf"\b{_WORD}(?:\s+(?:of\s+|the\s+|and\s+|de\s+)?{_WORD})*")
_SENTENCE_START = re.compile(r"(?:^|[.!?。！？:;\"“”'‘’(\[\n]\s*)$")
# The longest term taken from Chinese text, and the most words taken from English. Terms one
# character longer are collected too, only to tell a name from a window of a repeated sentence.
MAX_HAN_TERM = 8
MAX_WORDS = 4


def _han_terms(text: str) -> set[str]:
    terms: set[str] = set()
    for run in _HAN_RUN.findall(text):
        for piece in _NOT_IN_NAMES.split(run):
            for size in range(2, min(MAX_HAN_TERM + 1, len(piece)) + 1):
                terms.update(piece[i : i + size] for i in range(len(piece) - size + 1))
    return terms


def _english_terms(text: str) -> set[str]:
    terms: set[str] = set()
    for match in _CAPITALIZED.finditer(text):
        words = match.group().split()
        # A capital that opens a sentence says nothing alone ("The", "But", "In"), only with the words after it.
        opens = bool(_SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()]))
        for size in range(1, min(MAX_WORDS + 1, len(words)) + 1):
            for i in range(len(words) - size + 1):
                part = words[i : i + size]
                if (size, i) == (1, 0) and opens:
                    continue
                if part[0][0].isupper() and part[-1][0].isupper() and len(" ".join(part)) > 1:
                    terms.add(" ".join(part))
    return terms


def _inside(term: str, source: str) -> list[str]:
    """The shorter terms a term contains: substrings of Chinese, runs of words of English."""
    if source == "zh-Hant":
        return [term[i : i + n] for n in range(2, len(term)) for i in range(len(term) - n + 1)]
    words = term.split()
    return [" ".join(words[i : i + n]) for n in range(1, len(words)) for i in range(len(words) - n + 1)]


def recurring_terms(chunks: list[str], source: str, common: Callable[[str], bool] = lambda term: False) -> list[str]:
    """Candidate names: the terms found in more than one chunk, in order of first appearance.

    Only these need one shared rendering: a name inside a single chunk is seen whole by the
    one request that translates it. Terms are substrings of Chinese text (cut at particles
    such as 的 and 了) or runs of capitalized English words; a term found only inside a longer
    recurring term, in the same chunks, is left to the longer one, and ``common`` terms
    (Qwen's one-token words such as 模型 or 公司) are dropped.
    """
    collect = _han_terms if source == "zh-Hant" else _english_terms
    where: dict[str, set[int]] = {}
    for index, chunk in enumerate(chunks):
        for term in collect(chunk):
            where.setdefault(term, set()).add(index)
    recurring = {term: found for term, found in where.items() if len(found) > 1}
    covered = {inner for term, found in recurring.items() for inner in _inside(term, source) if recurring.get(inner) == found}
    text = "\n".join(chunks)
    longest = MAX_HAN_TERM if source == "zh-Hant" else MAX_WORDS
    kept = [
        term
        for term in recurring
        if term not in covered and len(term if source == "zh-Hant" else term.split()) <= longest and not common(term)
    ]
    return sorted(kept, key=lambda term: (text.find(term), -len(term)))


def one_token_word(term: str) -> bool:
    """Whether Qwen's BPE holds a Chinese term as a single token: a common word (模型, 公司)
    or a name with one settled English form (台灣, 阿里巴巴)."""
    return bool(_HAN_RUN.fullmatch(term)) and tokenizer_for("qwen", "qwen").count(term) == 1


def extraction_requests(
    chunks: list[str], settings: Settings, counter: TokenCounter, *, source: str, target: str
) -> list[list[str]]:
    """The candidate names of an article split into name-extraction requests, as few as fit."""
    terms = recurring_terms(chunks, source, one_token_word)
    budget = extraction_budget(settings, counter, source, target)
    requests: list[list[str]] = []
    used = budget
    for term in terms:
        cost = counter.count(term) + 1
        if used + cost > budget:
            requests.append([])
            used = 0
        requests[-1].append(term)
        used += cost
    return requests


async def extract_for_article(
    ask: Ask, chunks: list[str], settings: Settings, counter: TokenCounter, *, source: str, target: str
) -> dict[str, str]:
    """One ``target`` rendering for each name that occurs in more than one of ``chunks``.

    Used when an article needs several requests and the user gave no glossary. The article
    is not sent again: the requests carry only the candidate terms (``recurring_terms``),
    one per line, and the model picks the names among them and renders each. Where two
    requests render a name differently, the first one's rendering wins.
    """
    pieces = extraction_requests(chunks, settings, counter, source=source, target=target)
    log.info("asking for the names among %d recurring term(s) in %d request(s)", sum(map(len, pieces)), len(pieces))
    replies = await asyncio.gather(
        *(ask(prompts.glossary_messages("\n".join(terms), source=source, target=target)) for terms in pieces)
    )
    text = "\n".join(chunks)
    entries: dict[str, str] = {}
    for reply in replies:
        for term, rendering in parse_names(reply, text).items():
            entries.setdefault(term, rendering)
    if target == "zh-Hant":
        entries = {term: to_traditional(rendering)[0] for term, rendering in entries.items()}
    return entries
