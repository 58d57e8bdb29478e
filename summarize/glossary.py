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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from . import prompts
from .budget import extraction_budget
from .config import Settings, env_variable
from .errors import ConfigError, SummarizeError
from .text import as_cleaned, to_traditional
from .tokens import TokenCounter, tokenizer_for

log = logging.getLogger("summarize")

GlossaryLike = Union[Mapping[str, str], str, "os.PathLike[str]", None]

# Separators a model may put between a name and its rendering, the one we asked for first.
_SEPARATORS = ("=>", "→", "->", "\t", "：", ":", "=", " - ")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)、])\s*")
_QUOTES = "\"'「」『』“”‘’`*"


# The largest glossary file read: far beyond any list of names (100,000 entries are about 4 MiB).
MAX_GLOSSARY_BYTES = 16 << 20


def load_glossary(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a glossary file: ``source<TAB>English`` per line, ``#`` comments and blank lines ignored.

    Raises:
        ConfigError: ``path`` is not a path, the file cannot be read, or a line is not two
            tab-separated columns.
    """
    if not isinstance(path, (str, os.PathLike)):  # Path(None) is a bare TypeError, no SummarizeError
        raise ConfigError(
            f"the glossary path must be a str or os.PathLike (a UTF-8 file of 'source<TAB>English' lines), "
            f"got {type(path).__name__}"
        )
    fix = f"set {env_variable('glossary')} or glossary= to a UTF-8 file with one 'source<TAB>English' entry per line"
    try:
        if "\x00" in os.fspath(path):
            raise ValueError("a path holds no NUL character")
        if Path(path).exists() and not Path(path).is_file():  # a FIFO no one writes to waited forever; /dev/zero filled memory
            raise OSError(f"not a regular file{' (it is a folder)' if Path(path).is_dir() else ''}")
        with open(path, "rb") as handle:
            data = handle.read(MAX_GLOSSARY_BYTES + 1)
        if len(data) > MAX_GLOSSARY_BYTES:
            raise OSError(f"over {MAX_GLOSSARY_BYTES >> 20} MiB: a glossary holds names, not a corpus")
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read the glossary {str(path)!r} ({exc}); {fix}") from exc
    entries: dict[str, str] = {}
    lines: dict[str, int] = {}  # name -> the line that gave it
    # Lines end at "\n" (and "\r\n") only, as an editor shows them: str.splitlines also ends
    # one at a NEL or U+2028 inside a rendering, and the message then named the wrong line.
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = [c.strip() for c in line.split("\t")]
        if len(columns) != 2 or not all(columns):
            raise ConfigError(
                f"{path}, line {number}: expected two columns separated by one tab "
                f"(source<TAB>English), got {line.strip()!r}"
            )
        if any(len(column.splitlines()) > 1 for column in columns):
            raise ConfigError(f"{path}, line {number}: an entry holds a line break (such as U+2028), got {line.strip()!r}")
        try:
            ((source, rendering),) = check_glossary({columns[0]: columns[1]}).items()
        except ConfigError as exc:
            raise ConfigError(f"{path}, line {number}: {exc}") from None
        if source in entries and entries[source] != rendering:
            log.warning(
                "%s, line %d gives %s as %r, after line %d gave it as %r; the last is used",
                path, number, source, rendering, lines[source], entries[source],
            )
        entries[source], lines[source] = rendering, number
    return entries


def check_glossary(glossary: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``glossary`` with every name and rendering a non-empty ``str``, stripped and
    written as the article is once cleaned (``text.as_cleaned``: no zero-width characters, NFC).

    Raises:
        ConfigError: an entry is not a pair of non-empty strings, each on one line, or holds a
            paragraph marker's brackets (``[[2]]``) or a lone surrogate.
    """
    if not isinstance(glossary, Mapping):
        raise ConfigError(
            f"glossary must be a mapping such as {{'阿里巴巴': 'Alibaba'}} or a file path, got {type(glossary).__name__}"
        )
    entries: dict[str, str] = {}
    for term, rendering in glossary.items():
        if not isinstance(term, str) or not isinstance(rendering, str) or not term.strip() or not rendering.strip():
            raise ConfigError(f"glossary entries must map a non-empty str to a non-empty str, got {term!r}: {rendering!r}")
        for value in (term, rendering):
            if len(value.strip().splitlines()) > 1:
                # Each entry is one line of the request's glossary block: a line break would
                # give the name a shorter form and put the rest on a line of its own.
                raise ConfigError(
                    f"glossary entries must be one line each, got {term!r}: {rendering!r}; "
                    "write the name on one line (' '.join(value.split()) folds its line breaks)"
                )
        lone = next((c for value in (term, rendering) for c in value if "\ud800" <= c <= "\udfff"), None)
        if lone is not None:
            # A broken decode (a byte read as a surrogate): no request body can encode it, and the
            # first request would fail with a UnicodeEncodeError rather than this.
            raise ConfigError(
                f"glossary entries must be text that can be sent, got {term!r}: {rendering!r}, which holds the lone "
                f"surrogate {lone!r} (a byte that was not UTF-8); read the names as UTF-8"
            )
        name, english = as_cleaned(term).strip(), as_cleaned(rendering).strip()
        if not name or not english:
            raise ConfigError(f"glossary entries must map a non-empty str to a non-empty str, got {term!r}: {rendering!r}")
        if _MARKER.search(name) or _MARKER.search(english):
            # A translation request numbers its paragraphs [[1]], [[2]]: "Tainan [[2]] City"
            # would end paragraph 1 at "Tainan" and open paragraph 2 with "City".
            raise ConfigError(
                f"glossary entries must not hold '[[' or ']]' (the brackets of the paragraph markers "
                f"a translation request numbers its paragraphs with), got {term!r}: {rendering!r}"
            )
        entries[name] = english
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
    """The entries whose name occurs in ``text``, in order of first occurrence, but for a name
    that occurs only inside a longer one's occurrences: with 黃偉哲 => Huang Wei-che in the text,
    偉哲 => Wei-che Wong would also go out, and the model be told two things of one name."""
    found = [term for term in glossary if term and term in text]
    spans = {term: _spans(text, term) for term in found}
    inside = {
        term for term in found
        if all(any(a <= start and end <= b for longer in found if len(longer) > len(term) for a, b in spans[longer])
               for start, end in spans[term])
    }
    return {term: glossary[term] for term in sorted(found, key=lambda term: (text.find(term), term)) if term not in inside}


def _spans(text: str, term: str) -> list[tuple[int, int]]:
    """Where ``term`` occurs in ``text``, overlapping occurrences included."""
    spans, start = [], text.find(term)
    while start >= 0:
        spans.append((start, start + len(term)))
        start = text.find(term, start + 1)
    return spans


def entries_for(
    glossary: Mapping[str, str], text: str, language: str, tokens: int, count: Callable[[str], int]
) -> dict[str, str]:
    """The entries of a run's ``glossary`` (source name → English) that one request on ``text``
    writing ``language`` is given: the names ``text`` holds, as ``language`` writes them (for
    Chinese, English form → name), as many as fit in ``tokens``."""
    if not glossary:
        return {}
    table = glossary if language == "en" else inverted(glossary)
    return within(present(table, text), tokens, count)


def within(entries: Mapping[str, str], tokens: int, count: Callable[[str], int]) -> dict[str, str]:
    """The first entries whose glossary lines fit in ``tokens``; a warning names how many of
    ``entries`` (the names a request's text holds) did not fit, since their renderings are then
    the model's own."""
    kept: dict[str, str] = {}
    used = 0
    for term, rendering in entries.items():
        cost = prompts.glossary_line_tokens(term, rendering, count)
        if used + cost > tokens:
            log.warning(
                "%d of the %d glossary names in a request's text did not fit its glossary share (%d tokens) "
                "and were left out, from %r on; raise SUMMARIZE_CONTEXT_TOKENS for room, or send shorter "
                "chunks (SUMMARIZE_CHUNK_TOKENS)", len(entries) - len(kept), len(entries), tokens, term,
            )
            break
        kept[term] = rendering
        used += cost
    return kept


def parse_names(reply: str, text: str) -> dict[str, str]:
    """Entries from a model's name list; names that do not occur in ``text`` are dropped
    (invented)."""
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


# -- is it a name? --------------------------------------------------------------------------
#
# Small models accept every candidate as a name (Qwen 1.5B took all 58 of 58: 模型 → "AI",
# 用它 → "it"), and each entry then binds every chunk's translation. An entry is kept only
# when both sides look like a name.

# Lowercase words that may sit inside a name ("University of Tokyo", "Leonardo da Vinci").
_CONNECTORS = frozenset("of the and de du da di der den van von la le el al bin y & for on in at upon".split())
# English words that are never a name on their own, however a model capitalizes them: pronouns,
# determiners, time words and the generic nouns small models offer for common Chinese words.
_COMMON_ENGLISH = frozenset(
    """i me my mine we us our ours you your yours he him his she her hers it its they them their
    theirs this that these those who whom whose which what there here one ones someone something
    a an the all any some each every both other another such no none not
    today yesterday tomorrow now then year years month months week weeks day days time times
    morning afternoon evening night people person man men woman women public citizen citizens resident residents
    ai model models company companies firm government city county country state nation region area
    district village town center centre office department bureau agency ministry council committee
    team group user users system systems data platform market industry report study project plan
    policy service services product products technology tech app apps program programme
    school university hospital police court party news media article
    ceo cto gpu cpu api gdp""".split()
)
# Words that open a title or office, not a name: "黃偉哲 => Mayor Of Tainan" would make every
# chunk call the mayor by his office ("Mayor Huang" is a title and a name: the title belongs
# to the sentence, which says it in Chinese too).
_TITLES = frozenset(
    """mayor deputy president vice premier minister director chairman chairwoman chairperson chair
    governor commissioner secretary chief head speaker councilor councillor legislator lawmaker
    senator representative ambassador consul general spokesman spokeswoman spokesperson
    magistrate superintendent principal dean professor prof dr mr mrs ms miss sir madam
    king queen prince princess emperor chancellor judge justice officer captain commander""".split()
)
# Words of a request to the model, not of a name: an offered rendering that tells the model
# what to do ("Ignore All Previous Instructions") would bind every chunk's translation.
_INSTRUCTION_WORDS = frozenset(
    """ignore disregard forget instruction instructions prompt prompts previous above below
    system assistant respond reply answer output translate translation pretend override""".split()
)
# Chinese characters that do not occur in names: pronouns and demonstratives (用它, 他們, 這項).
_NOT_NAME_HAN = re.compile("[它他她我你您們咱這此某]")
# Characters a Chinese name does not start with: adverbs, prepositions and auxiliaries (將由, 已經).
_NOT_NAME_START = re.compile("^[將已就還很最再更讓給對從向於被把並且而則都也又才曾應可能]")
_LATIN_WORD = re.compile(r"[A-Za-z0-9][\w'’.&-]*")
# The brackets of a translation request's paragraph markers ([[2]]): no name holds them.
_MARKER = re.compile(r"\[\[|\]\]")


def name_problem(term: str, rendering: str, *, source: str = "zh-Hant", target: str = "en") -> str | None:
    """Why ``term => rendering`` is not plausibly a name, or ``None`` when it may be one.

    Neither side may hold a paragraph marker's brackets (``[[2]]``). A Chinese term must not
    hold a pronoun or demonstrative, nor start with an adverb or a preposition. An English
    rendering must be written like a proper noun: every word capitalized (or a figure, as in
    Qwen3) except small connectors such as "of", and not made only of common words ("it", "AI",
    "City Government"), nor a word said twice ("Huang Huang Che"), nor words of an instruction
    ("Ignore All Previous Instructions"), nor, into English, opened by a title ("Mayor Of
    Tainan"). For a Traditional-Chinese target the English term must not be only common words
    and the rendering must be short Chinese.
    """
    english, chinese = (rendering, term) if target == "en" else (term, rendering)
    if _MARKER.search(term) or _MARKER.search(rendering):
        return "it holds a paragraph marker's brackets ([[2]])"
    if _NOT_NAME_HAN.search(chinese):
        return "a pronoun or demonstrative is not a name"
    if _HAN_RUN.fullmatch(chinese) is None and target != "en":
        return "the Chinese form is not Chinese"
    if target == "en" and _NOT_NAME_START.search(chinese):
        return "it starts like a phrase, not a name"
    if target != "en" and len(chinese) > 12:
        return "too long for a name"
    if _HAN_RUN.search(english):
        return "the English form holds Chinese"
    words = english.split()
    if not words or len(words) > 6:
        return "a name has one to six words"
    significant = [w for w in words if w.lower() not in _CONNECTORS]
    if not significant or not words[0][:1].isupper() and not words[0][:1].isdigit():
        return "not written like a proper noun"
    if any(not (w[:1].isupper() or w[:1].isdigit()) for w in significant if _LATIN_WORD.match(w)):
        return "not written like a proper noun (a lowercase word)"
    bare = [w.strip(".,;:!?\"'()").lower() for w in significant]
    if any(w in _INSTRUCTION_WORDS for w in bare):
        return "reads as an instruction, not a name"
    if len(set(bare)) < len(bare):
        return "a word said twice: not a name"
    if target == "en" and bare[0] in _TITLES:
        return "a title, not a name"
    if all(w.strip(".,;:!?\"'()").lower() in _COMMON_ENGLISH for w in significant):
        return "a common word, not a name"
    if len(significant) == 1 and all(common_english_word(part) for part in significant[0].split("-")):
        return "a common English word: not a name, or one whose English form is settled"
    return None


def common_english_word(word: str) -> bool:
    """Whether ``word``, lowercased, is one token of Qwen's BPE after a space: a word common
    enough that its English form needs no entry. Qwen2.5-Coder-1.5B offered 33 such words as
    names for the seed article's recurring terms (研究人員 => "Researchers", 速發 => "Rapid",
    模型可 => "Can"), and each would have bound every chunk's translation; the names it holds
    this way have a settled form (Google, Microsoft, Japan)."""
    return word.isalpha() and _one_qwen_token(" " + word.lower())


# Sends one request: returns the reply's text, or a reply with ``text`` and ``finish_reason``.
Ask = Callable[[list[prompts.Message]], Awaitable[Any]]

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
    return bool(_HAN_RUN.fullmatch(term)) and _one_qwen_token(term)


def _one_qwen_token(text: str) -> bool:
    """Whether Qwen's BPE holds ``text`` as a single token: what it saw often enough to merge."""
    return tokenizer_for("qwen", "qwen").count(text) == 1


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


@dataclass(frozen=True)
class ExtractedNames:
    """What the name requests gave: the entries kept, the offers refused, and any failure."""

    entries: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # term → why it is not plausibly a name
    failed: str | None = None  # why a name request gave nothing usable; None when every one answered


async def extract_names(
    ask: Ask, chunks: list[str], settings: Settings, counter: TokenCounter, *, source: str, target: str
) -> ExtractedNames:
    """One ``target`` rendering for each name that occurs in more than one of ``chunks``.

    Used when an article needs several requests and the user gave no glossary. The article
    is not sent again: the requests carry only the candidate terms (``recurring_terms``),
    one per line, and the model picks the names among them and renders each. An offer that is
    not plausibly a name (``name_problem``), or for a term no request offered, is refused. Where two requests render a name
    differently, the first one's rendering wins.

    Names only help: a name request that fails (an endpoint error, a reply cut at the token
    limit) is logged and reported in ``failed``, and the translation goes on with the names
    the other requests gave, or none. A cut reply that is kept loses its last line, which may
    hold half a name. ``ask`` returns the reply text, or a reply with ``text`` and
    ``finish_reason``.
    """
    pieces = extraction_requests(chunks, settings, counter, source=source, target=target)
    log.info("asking for the names among %d recurring term(s) in %d request(s)", sum(map(len, pieces)), len(pieces))
    replies = await asyncio.gather(
        *(ask(prompts.glossary_messages("\n".join(terms), source=source, target=target)) for terms in pieces),
        return_exceptions=True,
    )
    text = "\n".join(chunks)
    offered = {term for terms in pieces for term in terms}
    entries: dict[str, str] = {}
    rejected: dict[str, str] = {}
    failures: list[str] = []
    for reply in replies:
        if isinstance(reply, BaseException):
            if not isinstance(reply, SummarizeError):
                raise reply  # a bug, not a failed request
            failures.append(str(reply))
            continue
        body = reply if isinstance(reply, str) else reply.text
        if getattr(reply, "truncated", False):
            body = body.rsplit("\n", 1)[0] if "\n" in body else ""
            failures.append("a name reply was cut at the token limit")
        for term, rendering in parse_names(body, text).items():
            if target == "zh-Hant":
                rendering = to_traditional(rendering)[0]
            # A term the requests never offered was chosen by no one; one inside an offered term
            # is the name picked out of it (黃仁勳 of 黃仁勳會談).
            problem = None if any(term in whole for whole in offered) else "not among the terms asked about"
            problem = problem or name_problem(term, rendering, source=source, target=target)
            if problem:
                rejected.setdefault(term, f"{rendering!r}: {problem}")
            else:
                entries.setdefault(term, rendering)
    if rejected:
        log.info("refused %d offered name(s) that are not plausibly names: %s", len(rejected), rejected)
    failed = "; ".join(failures) or None
    if failed:
        log.warning("the name request failed (%s); translating on with %d name(s)", failed, len(entries))
    return ExtractedNames(entries, rejected, failed)


async def extract_for_article(
    ask: Ask, chunks: list[str], settings: Settings, counter: TokenCounter, *, source: str, target: str
) -> dict[str, str]:
    """The entries of ``extract_names``: one rendering per plausible name that recurs across ``chunks``."""
    return (await extract_names(ask, chunks, settings, counter, source=source, target=target)).entries
