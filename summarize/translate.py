"""Whole-article translation, aligned paragraph by paragraph with the source.

::

    clean(text) → paragraphs (non-empty lines) → units (a paragraph, or its sentences when it is
    over budget) → balanced chunks of whole units → names that recur across chunks rendered once
    (only when there is more than one chunk and no glossary; refused when not plausibly names,
    skipped when the request fails) → one marked request per chunk, concurrently → a reply
    numbered its own way (from [[1]] in every chunk, one off) read by position when every pair
    then passes its checks → missing markers re-asked → requests halved when markers are
    ignored or misnumbered → script checked → each pair
    checked against its source (length, figures, script), failing pairs re-asked alone → units
    joined

Every paragraph goes out behind a marker (``[[7]]``) that the reply must repeat, so a reply is
matched to its source by number, never by position: a dropped or merged paragraph is noticed
and asked for again instead of shifting every later pair; a pair that keeps its marker but
holds the wrong text (half of another paragraph) is caught by its length and figures. A
request carries its chunk and the glossary entries for names in it, never the whole article:
every paragraph goes out once, and again only when a reply leaves it out or a check fails
it. ``translation_context`` adds the title and the paragraph before the chunk to each request,
for models that need the help.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import glossary as names
from . import keysentences, loops, negation, prompts, verify
from .budget import (
    MIN_CHUNK_TOKENS,
    REPLY_EXTRA_TOKENS,
    TRANSLATION_TOKENS_PER_SOURCE_TOKEN,
    check_chunk_tokens,
    places_tokens,
    prompt_overhead,
    safety_margin,
    translation_reply_tokens,
)
from .chunking import longest_within, pack, plan_chunks
from .client import ChatClient, Reply
from .config import Settings, check_arguments, check_partial, resolve_settings
from .errors import (
    ChunkFailedError,
    ConfigError,
    ContextLengthError,
    EmptyReplyError,
    EndpointError,
    InputError,
    TruncatedOutputError,
)
from .figures import ZH_NUMERIC_DATE, Figure, chinese_dates, chinese_figures, english_dates, english_figures
from .reply import without_chatter
from .result import LOOPED, PROMPT_CUT, Translation
from .runner import gather_or_cancel, run_sync
from .text import (
    HAN, clean, half_width, han_count, han_ratio, in_simplified, is_han, mostly_chinese, not_english, to_traditional, visible_length,
)
from .tokens import TokenCounter, tokenizer_for

log = logging.getLogger("summarize")

# Target language → the language of the article it translates.
SOURCES = {"en": "zh-Hant", "zh-Hant": "en"}
# What a marker and its line break cost, per unit.
MARKER_TOKENS = 6
# With translation_context on, the context is kept short: the title's start and the previous paragraph's end.
TITLE_TOKENS = 64
PREVIOUS_TOKENS = 160


@dataclass(frozen=True)
class Unit:
    """One marked piece of a request: a whole paragraph, or part of one that is over budget."""

    number: int  # the marker number, 1-based across the article
    paragraph: int  # 0-based index of the paragraph it belongs to
    text: str
    tokens: int


def split_paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text``: every line that holds more than whitespace, kept verbatim."""
    return [line for line in text.split("\n") if line.strip()]


def make_units(paragraphs: list[str], budget: int, count: Callable[[str], int]) -> list[Unit]:
    """One unit per paragraph; a paragraph over ``budget`` tokens becomes one unit per sentence chunk."""
    units: list[Unit] = []
    for index, paragraph in enumerate(paragraphs):
        text = paragraph.strip()
        tokens = count(text)
        pieces = [(text, tokens)] if tokens <= budget else [(c.text.strip(), c.tokens) for c in plan_chunks(text, budget, count)]
        for piece, size in pieces:
            if piece:
                units.append(Unit(len(units) + 1, index, piece, size))
    return units


# A marker's brackets as a reply may write them: [[7]], or in full-width forms, as a model
# writing Chinese may (［［7］］, 【【7】】).
_OPEN = r"(?:\[\[|［［|【【)"
_CLOSE = r"(?:\]\]|］］|】】)"


def marker_prefix(text: str) -> str:
    """A prefix that makes markers (``[[7]]``, else ``[[P7]]``, …) impossible to confuse with the text."""
    prefix = ""
    while re.search(_OPEN + r"\s*" + re.escape(prefix) + r"\d+\s*" + _CLOSE, text):
        prefix += "P"
    return prefix


def marker(number: int, prefix: str = "") -> str:
    return f"[[{prefix}{number}]]"


# Markdown a reply may put before a marker at the start of its line: a list item, a heading,
# a quote ("- [[2]] ...", "### [[2]]", "2. [[2]] ..."). It belongs to the marker: left in the
# block before it, every translation but the last ended in a stray "-" or "2.", unflagged.
_LINE_MARKUP = r"(?:^[ \t]*(?:(?:#{1,6}|[-*+>•]|\d{1,3}[.)])[ \t]*)+)?"


@functools.lru_cache(maxsize=None)
def _marker_pattern(prefix: str) -> re.Pattern[str]:
    # A marker in Markdown bold (**[[3]]**) is the marker: the asterisks are no part of a translation.
    return re.compile(
        _LINE_MARKUP + r"(?:\*\*|__)?" + _OPEN + r"\s*" + re.escape(prefix) + r"(\d{1,9})\s*" + _CLOSE + r"(?:\*\*|__)?",
        re.MULTILINE,
    )


# Markers a model writes another way, at the start of a line: [[3]] where [[P3]] was asked, [3],
# 【3】, (3), "3." (a numbered list), in half- or full-width forms, each perhaps in bold. A
# marker's number has at most 9 digits (more is no marker of ours, and over 4,300 Python's int()
# refuses to read it).
_OTHER_MARKERS = (
    _OPEN + r"\s*(\d{1,9})\s*" + _CLOSE, r"[\[［]\s*(\d{1,9})\s*[\]］]", r"【\s*(\d{1,9})\s*】", r"[(（]\s*(\d{1,9})\s*[)）]",
    r"(\d{1,9})(?:[.)](?=\s|\*\*|__)|、|．(?![0-9０-９])|）)",
)


def as_asked(reply: str, numbers: list[int], prefix: str = "", sources: Mapping[int, str] | None = None) -> str:
    """``reply`` with markers written another way (``_OTHER_MARKERS``) written as asked, when
    the reply holds none of the asked markers and the other way numbers its lines with exactly
    the asked numbers, in order, each once; else ``reply`` as it is. A label its unit's text in
    ``sources`` opens with too (an article that is a numbered list: "1. ...") stays after the marker.

    On a model that wrote [1] or "1." the reply was read as having no markers: the request was
    halved down to one paragraph each (37 requests for 20 paragraphs, not 5), and each
    translation kept its label. Lines numbered another way and their own way too (1. to 10.
    for [[11]] to [[20]]: ``renumbering``), in a reply with no marker of ours, become markers
    of their own numbers, for ``read_by_position`` to judge.
    """
    if any(int(m.group(1)) in numbers for m in _marker_pattern(prefix).finditer(reply)):
        return reply
    ours = _marker_pattern(prefix).search(reply) is not None
    stands_for: dict[int, int] = {}

    def asked(match: re.Match[str]) -> str:
        number = int(match.group(2))
        label = match.group(0)[len(match.group(1)) :].strip().strip("*_").strip()
        spacing = match.group(0)[len(match.group(0).rstrip(" \t")) :]
        source = (sources or {}).get(stands_for.get(number, number), "")
        kept = label + spacing if source.lstrip().startswith(label) else ""
        return f"{match.group(1)}{marker(number, prefix)} {kept}"

    for other in _OTHER_MARKERS[0 if prefix else 1 :]:
        pattern = re.compile(r"^([ \t]*)(?:\*\*|__)?" + other + r"(?:\*\*|__)?[ \t]*", re.MULTILINE)
        found = [int(m.group(2)) for m in pattern.finditer(reply)]
        if found == numbers:
            return pattern.sub(asked, reply)
        if not ours and (stands_for := renumbering(found, numbers)):
            return pattern.sub(asked, reply)
    return reply


def one_line(text: str, target: str) -> str:
    """A paragraph's translation on one line (a reply may wrap it)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return ("" if target == "zh-Hant" else " ").join(lines)


# A line under a repeated marker that says this share of its words (Chinese: characters) already
# is a repeat: "carried 8, 600 passengers" after "carried 86, 600 passengers, up 32%".
REPEAT_SHARE = 0.7


def says_something_new(line: str, before: str) -> bool:
    """Whether more than ``1 - REPEAT_SHARE`` of ``line``'s words (``loops.words_of``: Chinese
    characters one each) are not in ``before``."""
    words = set(loops.words_of(line))
    return bool(words) and len(words & set(loops.words_of(before))) < REPEAT_SHARE * len(words)


# A Markdown rule on a line of its own ("---", "* * *", or "===") at the end of a block: a reply
# that set its paragraphs apart with one ended every translation in it, unflagged.
_TRAILING_RULE = re.compile(r"(?:\n[ \t]*(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|={3,})[ \t]*)+\Z")


def _marked_blocks(reply: str, prefix: str = "") -> list[tuple[int, int, int, str]]:
    """Each marker of ``reply`` with what follows it up to the next: its number, where its block
    starts and ends, and the text, stripped of the colon a model puts after a marker and of a
    rule that sets it apart from the next."""
    matches = list(_marker_pattern(prefix).finditer(reply))
    blocks = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(reply)
        said = _TRAILING_RULE.sub("", "\n" + reply[match.end() : end].strip())
        blocks.append((int(match.group(1)), match.start(), end, said.strip().lstrip(":：").strip()))
    return blocks


# A label a model puts after a marker ("[[3]] Translation: ...", "**English:**"): no part of the
# translation, kept in every pair when read as one. Unless the source opens with such a word
# itself (a credit line, 翻譯：王小明), whose translation it is.
_LABEL = re.compile(
    r"\A(?:\*\*|__)?(?:english translation|translation|english|traditional chinese|chinese|譯文|翻譯|中文|英文)"
    r"(?:\*\*|__)?[ \t]*[:：](?:\*\*|__)?[ \t]*",
    re.IGNORECASE,
)
_LABEL_IN_SOURCE = re.compile(r"\A\s*(?:翻譯|譯|英|中文|english|chinese|translat)", re.IGNORECASE)
# A whole translation in quotation marks, when its source quotes nothing (and names no title in
# 《》, which a translation may quote): the marks are the model's.
_WRAPPED = re.compile(r'\A["“「]([^"“”「」]*)["”」]\Z')
_QUOTES = re.compile('["“”「」『』《》〈〉]')


def parse_marked(
    reply: str, numbers: Iterable[int], prefix: str = "", sources: Mapping[int, str] | None = None
) -> dict[int, str]:
    """Translations by marker number; text before the first marker, unknown numbers, a label
    after a marker ("Translation:", ``_LABEL``), quotation marks around a whole translation
    whose source quotes nothing, fence lines copied from the request
    (``prompts.ECHOED_FENCE``, but for one its unit's text in ``sources`` holds: a PHP
    heredoc's <<<ARTICLE>>>) and a colon after a marker ("[[5]]: The museum ...", as the
    reference model writes them) are left out.

    A marker repeated right after itself opens more of its translation, kept on a new line
    unless it mostly repeats what came before (``says_something_new``): on the reference model a
    long key sentence came back as four lines, each marked [[3]], and its figures were in the
    second. A marker that comes back after another one is a repeat, and ignored.
    """
    wanted = set(numbers)
    found: dict[int, str] = {}
    last = None
    for number, _, _, said in _marked_blocks(reply, prefix):
        source = (sources or {}).get(number, "")
        body = without_chatter(said if _LABEL_IN_SOURCE.match(source) else _LABEL.sub("", said), source)
        if (wrapped := _WRAPPED.match(body)) and not _QUOTES.search(source):
            body = wrapped.group(1).strip()
        if number in wanted and body:
            if number not in found:
                found[number] = body
            elif number == last and says_something_new(body, found[number]):
                found[number] += "\n" + body
        last = number
    return found


def without_repeated_units(reply: str, prefix: str = "") -> str:
    """``reply`` without the marked translations it gives again word for word under the same
    marker: a duplicate answer, not a loop inside one. On the reference model the 1624
    exhibition's sentence on the VOC volumes, asked for alone, came back twice as
    "[[4]]: The National Museum has recently opened ..." on two lines, with and without a
    repetition penalty, and a loop check of the whole reply left a good translation out.

    Example::

        >>> without_repeated_units("[[4]]: Two volumes. [[4]]: Two volumes. [[5]] Six boats.")
        '[[4]]: Two volumes. [[5]] Six boats.'
    """
    kept, seen, start = [], set(), 0
    for number, begins, ends, said in _marked_blocks(reply, prefix):
        words = (number, " ".join(said.split()))
        if words in seen and said:
            kept.append(reply[start:begins])
            start = ends
        seen.add(words)
    kept.append(reply[start:])
    return "".join(kept)


# A source sentence of at least this many letters said by two units: their translations may
# say one sentence twice (loops.LOOP_SENTENCE_LETTERS: a shorter one is never a loop).
_SHARED_SENTENCE_LETTERS = loops.LOOP_SENTENCE_LETTERS
# Stands for a unit de-looped on its own while the rest of a reply is de-looped as a whole:
# a line no sentence of a reply repeats, so no loop cut can take it.
_SET_ASIDE = "\ue000{}\ue000"


def _sentence_keys(text: str) -> set[str]:
    """The sentences of ``text`` that could make a loop, spacing folded and their ends dropped."""
    keys = set()
    for start, end in loops.sentences(text):
        key = " ".join(text[start:end].split()).rstrip("。！？!?；;.")
        if sum(1 for c in key if c.isalpha()) >= _SHARED_SENTENCE_LETTERS:
            keys.add(key)
    return keys


def repeating_units(units: Iterable[Unit]) -> set[int]:
    """The numbers of the units whose source says a sentence an earlier one of ``units`` says
    too: two paragraphs that end with one refrain, a standard's boilerplate."""
    said: set[str] = set()
    repeating = set()
    for unit in units:
        keys = _sentence_keys(unit.text)
        if keys & said:
            repeating.add(unit.number)
        said |= keys
    return repeating


def strip_loops_by_unit(reply: str, apart: set[int], prefix: str = "") -> loops.LoopCheck:
    """``loops.strip_loops`` for a marked reply: the whole reply at once, but the blocks of the
    units in ``apart`` (``repeating_units``) each on their own.

    A long sentence said again anywhere in a reply is a loop, unless the source says it again
    too: two paragraphs ending with the same 30-character refrain were translated faithfully,
    and the whole-reply check cut the refrain's second English copy out of the second pair,
    unflagged. Set aside, such a unit keeps a sentence an earlier unit says, while a loop inside
    it, or among the other units, is still cut.
    """
    blocks = [b for b in _marked_blocks(reply, prefix) if b[0] in apart]
    if not blocks:
        return loops.strip_loops(reply)
    rest, position, alone = [], 0, []
    for index, (_, start, end, _) in enumerate(blocks):
        rest += [reply[position:start], _SET_ASIDE.format(index) + "\n"]
        alone.append(loops.strip_loops(reply[start:end]))
        position = end
    rest.append(reply[position:])
    joint = loops.strip_loops("".join(rest))
    if not (joint.looped or any(check.looped for check in alone)):
        return loops.LoopCheck(reply, False)
    text = joint.text
    for index, check in enumerate(alone):
        place = _SET_ASIDE.format(index)
        if text.count(place) != 1:  # the reply held the placeholder itself: de-loop it as a whole
            return loops.strip_loops(reply)
        text = text.replace(place, check.text.rstrip("\n"), 1)
    return loops.LoopCheck(text.rstrip(), True)


# -- does a reply number its paragraphs as asked? ---------------------------------------------
#
# A small model that merges two paragraphs, or counts from [[0]], or writes each marker after
# its text, keeps markers that look right while every later pair holds its neighbour's
# translation. Such a reply is not trusted at all: its request is halved, down to one paragraph.


def _same_text(text: str) -> str:
    return " ".join(text.casefold().split())


def one_translation(found: Mapping[int, str], sources: Mapping[int, str]) -> dict[int, int]:
    """The paragraphs whose translation (``RELATIVE_MIN`` characters or more) a paragraph of
    other words has too, each with the first such paragraph: one of the two holds the other's
    translation (a reply that merged two paragraphs and counted on). Paragraphs that differ
    only in punctuation may share one (``_same_words``)."""
    groups: dict[str, list[int]] = {}
    for number, text in sorted(found.items()):
        if visible_length(text) >= RELATIVE_MIN:
            groups.setdefault(_same_text(text), []).append(number)
    shared = {}
    for members in groups.values():
        for number in members:
            other = next((m for m in members if not _same_words(sources.get(m, ""), sources.get(number, ""))), None)
            if other is not None:
                shared[number] = other
    return shared


def holds(found: Mapping[int, str], sources: Mapping[int, str], holder: int, held: int) -> bool:
    """Paragraph ``held``'s whole translation (``RELATIVE_MIN`` characters or more) is inside
    paragraph ``holder``'s longer one, and ``held``'s source is not inside ``holder``'s source:
    a reply merged the two under one marker (``[[1]]`` holding paragraphs 1 and 2), or split
    one across two and counted on, and the long pair was not long enough to stand out."""
    inner, outer = _same_text(found.get(held, "")), _same_text(found.get(holder, ""))
    return (
        holder != held and visible_length(inner) >= RELATIVE_MIN and len(inner) < len(outer) and inner in outer
        and _bare(sources.get(held, "")) not in _bare(sources.get(holder, ""))
    )


_NOT_WORDS = re.compile(r"[\W_]+")


def _bare(text: str) -> str:
    return _NOT_WORDS.sub("", text).replace("台", "臺").casefold()


def _same_words(a: str, b: str) -> bool:
    """Two source paragraphs that differ only in punctuation, spacing or 台/臺 ("…參加。" and
    "…參加！"): one translation may serve both."""
    return _bare(a) == _bare(b)


def preamble(reply: str, prefix: str = "") -> str:
    """The text of ``reply`` before its first marker, without copied fence lines."""
    first = _marker_pattern(prefix).search(reply)
    before = reply[: first.start()] if first else reply
    return prompts.ECHOED_FENCE.sub("", before).strip().strip("`").strip()


def misnumbered(
    reply: str, units: list[Unit], found: Mapping[int, str], target: str, prefix: str = "", *, copies: bool = True
) -> str:
    """Why the markers of ``reply`` (``found``: its translations by number, one line each) do
    not say which paragraph each translation is of, or "" when nothing shows that.

    Signs of a reply numbered otherwise than asked: a marker number not asked for (a count from
    [[0]]); two paragraphs with one translation; the last marker missing while text as long as
    a paragraph's translation came before the first (each marker written after its text); a
    pair too long for its source with pairs after it and the last markers missing (two
    paragraphs merged under one marker, the count carried on); pairs that fail their checks
    against their own sources but pass them against their neighbours' (a shift); and a name in
    Latin letters gone from its paragraph's translation to a neighbour's (``moved_name``: a
    shift whose pairs all pass their checks). ``copies=False``
    leaves out the sign of one translation given twice (a summary's key sentences, which a small
    model copies one into another without misnumbering: ``TranslationRun.repeats``).
    """
    sources = {u.number: u.text for u in units}
    asked = [u.number for u in units]
    # An empty marker is no sign: a reply that goes on to an empty [[7]] after the six asked
    # numbered them right (distrusted, six paragraphs took 11 requests instead of one).
    unknown = sorted({n for n, _, _, said in _marked_blocks(reply, prefix) if said} - set(asked))
    if unknown:
        return f"{marker(unknown[0], prefix)} was not asked for"
    shared = one_translation(found, sources) if copies else {}
    if shared:
        first = min(shared)
        return f"{marker(first, prefix)} and {marker(shared[first], prefix)} have one translation"
    tail = [n for n in asked if n > max(found)]
    if tail:
        before = preamble(reply, prefix)
        if (
            visible_length(before) >= RELATIVE_MIN
            and not before.rstrip().endswith((":", "："))
            and not length_off(sources[asked[0]], before, target)[0]
        ):
            return f"{marker(tail[-1], prefix)} is missing and text as long as a paragraph came before the first marker"
        typical = typical_ratio(((sources[n], t) for n, t in found.items()), target)
        merged = [n for n in sorted(found) if length_off(sources[n], found[n], target, typical)[0] == "long"]
        if merged and any(n > merged[0] for n in found):
            return (
                f"{marker(merged[0], prefix)} is too long for its paragraph, and the count runs out "
                f"before {marker(tail[0], prefix)}"
            )
    failing = {n for n, text in found.items() if pair_problems(sources[n], text, target)}
    for step in (1, -1):
        shifted = sorted(
            n for n in failing if n + step in sources and not pair_problems(sources[n + step], found[n], target)
        )
        # Two pairs that happen to fit a neighbour are a coincidence; a shift moves a run of them.
        runs = [n for n in shifted if n + 1 in shifted]
        if runs:
            return f"{marker(runs[0], prefix)} and {marker(runs[0] + 1, prefix)} hold the translations of their neighbours"
    return moved_name(found, sources, asked, prefix)


def names_in(text: str) -> dict[str, str]:
    """The words of ``text`` in Latin letters (two or more, perhaps with figures: Google, EB-3200,
    a web address) that a translation carries over as written (``_CARRIED``), casefolded, each
    with its first spelling."""
    found: dict[str, str] = {}
    for word in _CARRIED.findall(unicodedata.normalize("NFKC", text)):
        if sum(1 for c in word if c.isalpha()) >= 2:
            found.setdefault(word.casefold(), word)
    return found


def _says(translation: str, name: str) -> bool:
    """Whether ``translation`` holds ``name`` as a word of its own (not inside a longer one)."""
    letter = "0-9A-Za-z\u00c0-\u024f"
    return re.search(f"(?<![{letter}])" + re.escape(name) + f"(?![{letter}])", translation, re.IGNORECASE) is not None


def moved_name(found: Mapping[int, str], sources: Mapping[int, str], asked: list[int], prefix: str = "") -> str:
    """Why a pair holds its neighbour's translation, told by a name: a word of ``names_in`` that
    one paragraph of the request holds and no other, missing from that paragraph's translation
    and in the translation of the paragraph before or after; "" when no name moved.

    The pair checks weigh length, figures and script, not names: a reply that left a paragraph
    out and made one up at the end, its pairs as long as each other and without figures, had
    every pair from the gap on holding the next paragraph's translation, each passing. A name
    in Latin letters is carried over as it is written, so it shows where its paragraph went.
    A name every paragraph's translation may use (one its own translation keeps too, or that
    another paragraph of the request holds) is no sign.
    """
    own = {n: names_in(sources.get(n, "")) for n in asked}
    for index, number in enumerate(asked):
        if number not in found:
            continue
        elsewhere = {key for n in asked if n != number for key in own[n]}
        neighbours = [n for n in asked[max(0, index - 1) : index + 2] if n != number and n in found]
        for key, name in own[number].items():
            if key in elsewhere or _says(found[number], name):
                continue
            holder = next((n for n in neighbours if _says(found[n], name)), None)
            if holder is not None:
                return (
                    f"{name} of {marker(number, prefix)} is in the translation of {marker(holder, prefix)}, "
                    "not in its own"
                )
    return ""


# -- a reply that numbers its paragraphs its own way ------------------------------------------
#
# A small model may restart its count at [[1]] in every chunk, or write every marker one off.
# Read by number, such a reply holds markers not asked for and is halved down to one paragraph
# a request: 2k-1 requests for a chunk of k. When the numbering is one consistent slip and
# nothing else, the reply is read by position, provided every pair then passes its checks.


def reply_numbers(reply: str, prefix: str = "") -> list[int]:
    """The numbers of the markers of ``reply`` that open some text, in order; a marker repeated
    right after itself (more of one translation: ``parse_marked``) counted once."""
    numbers: list[int] = []
    for number, _, _, said in _marked_blocks(reply, prefix):
        if said and (not numbers or numbers[-1] != number):
            numbers.append(number)
    return numbers


def renumbering(numbers: list[int], asked: list[int]) -> dict[int, int]:
    """The asked number each of a reply's ``numbers`` stands for, when they are another
    numbering of the same count that only a slip explains: 1..k for a request of k paragraphs
    (a count restarted in every chunk) or the asked numbers each moved by one constant (a count
    one off). Else {}: the asked numbers themselves, another count, a number twice, and any
    other numbering: a gap after numbers as asked (1, 2, 4, 5 for 1-4) is what a model that
    copies its markers writes when it leaves a paragraph out.
    """
    if len(numbers) != len(asked) or numbers == asked or len(set(numbers)) != len(numbers):
        return {}
    offset = numbers[0] - asked[0]
    if numbers == list(range(1, len(asked) + 1)) or all(n - a == offset for n, a in zip(numbers, asked)):
        return dict(zip(numbers, asked))
    return {}


def read_by_position(
    reply: str, units: list[Unit], target: str, prefix: str = "", *, relative: bool = True, copies: bool = True
) -> str:
    """``reply`` with its markers written as asked, when it numbers the units its own way
    (``renumbering``) and, so read, gives every unit a translation that passes its checks
    against its own source (``pair_problems``, with the ``relative`` ratio of the others) and
    shows no sign of misnumbering (``misnumbered``, names moved to a neighbour among them);
    else ``reply`` as it is, and its markers are distrusted as before.

    The checks are what keep a reading by position from shifting pairs: a reply that left a
    paragraph out and made one up at the end has the count and the numbering of one written
    one off, and every pair after the gap holds the next paragraph's translation.
    """
    asked = [u.number for u in units]
    mapping = renumbering(reply_numbers(reply, prefix), asked)
    if not mapping:
        return reply

    def as_asked_number(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return marker(mapping[number], prefix) if number in mapping else match.group(0)

    rewritten = _marker_pattern(prefix).sub(as_asked_number, reply)
    sources = {u.number: u.text for u in units}
    found = {n: one_line(t, target) for n, t in parse_marked(rewritten, asked, prefix, sources).items()}
    if set(found) != set(asked):
        return reply
    typical = typical_ratio(((sources[n], t) for n, t in found.items()), target) if relative else None
    if any(pair_problems(sources[n], t, target, typical) for n, t in found.items()):
        return reply
    if misnumbered(rewritten, units, found, target, prefix, copies=copies):
        return reply
    first = min(mapping)
    log.info(
        "the reply numbered %d paragraph(s) from %s for %s; read by position, every pair passing its checks",
        len(mapping), marker(first, prefix), marker(mapping[first], prefix),
    )
    return rewritten


def strip_markers(reply: str, prefix: str = "") -> str:
    return _marker_pattern(prefix).sub("", reply).strip()


def clip(text: str, tokens: int, count: Callable[[str], int], *, keep_end: bool = False) -> str:
    """``text`` cut to about ``tokens`` tokens: its start, or with ``keep_end`` its end."""
    kept = longest_within(text, tokens, count, from_end=keep_end)  # never counts more than it keeps, doubled
    if kept == len(text):
        return text
    return ("…" + text[len(text) - kept :]) if keep_end else (text[:kept] + "…")


# -- does a pair hold its own paragraph? ------------------------------------------------------
#
# Markers say which reply belongs to which paragraph, not that it holds that paragraph: a small
# model can open pair 1 (the title) with half of paragraph 5 and keep every marker. So each
# pair is checked against its source: its length, its figures and its script.

# Characters of translation per character of source (whitespace not counted), and a slack for
# short paragraphs: English runs about 2.5-3.5 characters per Chinese character, Chinese about
# 0.3-0.45 per English one. The bands are wide; they catch a pair holding half of another
# paragraph or losing half of its own, not a free translation.
LENGTH_BANDS = {"en": (1.2, 6.0, 12), "zh-Hant": (0.15, 1.0, 6)}
# Arabic figures: digits, with thousands separators only where they group by three (1,805;
# 15,000), then a decimal part. Two numbers of a table's row ("67000,11.07") are two figures:
# read as one, 670001107 was in no translation and every row was asked for again.
_FIGURE = re.compile(r"\d{1,3}(?:[,，]\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?")
# A figure right before these is a month or a ROC year, which a translation may write another way
# (3月 → March, 115年 → 2026, （113）年 → 2024); so is a figure below 10 (2人 → two people).
_DATE_UNIT = re.compile(r"[)）]?\s*[月年]")


# Within one request, a pair's length ratio is also compared with its neighbours': a model
# keeps its own verbosity, so a pair at well under (or over) the chunk's typical ratio lost (or
# took) part of a paragraph even where the wide bands above let it pass. Only for paragraphs of
# at least RELATIVE_MIN characters, and chunks with at least RELATIVE_PAIRS of them.
RELATIVE_BAND = (0.6, 1.9)
RELATIVE_MIN = 20
RELATIVE_PAIRS = 3


def _figure_digits(written: str) -> str:
    """A figure as the pair check compares them: its digits, without separators, a decimal
    point or trailing zeros (15,000, 1.5萬 and "1.5 million" are all "15")."""
    return re.sub(r"\D", "", written).rstrip("0") or "0"


def figures_read(translation: str, target: str) -> list[Figure]:
    """The figures of ``translation`` as the figure check reads them (full-width digits as ASCII),
    read once for every check of a pair (``translated_figures``, ``dates_cut_short``)."""
    translation = half_width(translation)
    return chinese_figures(translation) if target == "zh-Hant" else english_figures(translation)


def translated_figures(translation: str, target: str, read: list[Figure] | None = None) -> set[str]:
    """The figures of ``translation``, each as ``written_figures`` compares one: its numbers, and
    the values of its number words (twenty) or, into Chinese, numerals (十五 for 15, 三千萬 for
    "30 million": both "3").

    Each figure is a whole: found among all the reply's digits run together, the 20 of 近20所
    (written "2") was "in" the 1624 of a translation that had swapped in another sentence's
    words, and the pair passed. Held to Arabic digits, a correct 十五人 was asked again and flagged.
    ``read``: its ``figures_read``, when they are read already.
    """
    if read is None:
        read = figures_read(translation, target)
    translation = half_width(translation)
    found = {_figure_digits(m.group()) for m in _FIGURE.finditer(translation)}
    # A date kept in figures (2024.11.30) holds its year, month and day, not the decimal 2024.11.
    found |= {_figure_digits(m.group(part)) for m in numeric_dates(translation) for part in ("y", "m", "d")}
    return found | {_figure_digits(f"{f.value:f}") for f in read}


def numeric_dates(text: str) -> list[re.Match[str]]:
    """The dates of ``text`` written in figures (2024/10/3, 2024-11-30, 113.6.30), each with its
    ``y``, ``m`` and ``d`` groups."""
    return [
        m for m in ZH_NUMERIC_DATE.finditer(text) if not (m.start() and text[m.start() - 1] in "0123456789.")
    ]


def written_figures(source: str) -> list[tuple[str, str]]:
    """The figures of ``source`` that its translation must show, each as ``source`` writes it
    (in ASCII digits) beside the digits it is compared by: ("312.45", "31245"), ("20", "2").

    Compared as digit strings without separators or trailing zeros, so 15,000 matches 1.5萬
    and 2,500萬 matches "25 million"; full-width digits are read as ASCII ones
    (``text.half_width``: a correct "15 million" never matched '１５００', and every such
    paragraph was asked for again). A figure reported missing is given as written: "figures
    missing: 31245" read as a figure the article never held."""
    source = half_width(source)
    found: list[tuple[int, str, str]] = []
    dates = numeric_dates(source)
    for date in dates:
        # A date in figures is read as one: its month may be written as a name (2024/10/3 →
        # "October 3, 2024") and a ROC year (113/10/3) as 2024, as for 10月 and 113年; read as
        # three numbers, the 10 was missing from a right translation, and 2024.11.30 was 2024.11.
        year, day = date.group("y"), date.group("d")
        if len(year) == 4:
            found.append((date.start("y"), year, _figure_digits(year)))
        if int(day) >= 10:
            found.append((date.start("d"), day, _figure_digits(day)))
    for match in _FIGURE.finditer(source):
        if any(date.start() <= match.start() < date.end() for date in dates):
            continue
        digits = re.sub(r"\D", "", match.group())
        if int(digits) < 10 or (len(digits) <= 3 and _DATE_UNIT.match(source, match.end())):
            continue
        found.append((match.start(), match.group(), _figure_digits(digits)))
    return [(written, digits) for _, written, digits in sorted(found)]


def dates_cut_short(source: str, read: list[Figure], target: str) -> list[str]:
    """The days and months of ``source``'s dates that its translation, whose figures are
    ``read`` (``figures_read``), writes without their trailing zero ("November 3" for 11月30日,
    "January 30" for 10月30日), as digits.

    Figures are compared without trailing zeros (``written_figures``), so that 15,000 matches
    1.5萬; a date's 30 then matched the 3 of "November 3". Held only where both sides read a
    date as one (``chinese_dates``, ``english_dates``): a source date no date of the translation
    gives, where one of the translation has its month and its day short of a zero, or its day
    and its month short of one.
    """
    zh_source = target == "en"
    given = [d.parts for d in (chinese_dates(source) if zh_source else english_dates(source)) if d.parts]
    if not given:
        return []
    written = {d.parts for d in read if d.kind == "date" and d.parts}
    cut = []
    for _, month, day in given:
        if month is None or any(m == month and d == day for _, m, d in written):
            continue
        for _, m, d in written:
            if m == month and d is not None and day is not None and d != day and _figure_digits(str(d)) == _figure_digits(str(day)):
                cut.append(str(day))
                break
            if d == day and m is not None and m != month and _figure_digits(str(m)) == _figure_digits(str(month)):
                cut.append(str(month))
                break
    return list(dict.fromkeys(cut))


# A Latin word in a Chinese translation is mostly a name or code it carries over ("Python 支援
# Windows、macOS 和 Linux。"), so it counts as one unit, as a Chinese character does: counted
# letter by letter, that correct translation was 12% Chinese and failed as "not in Chinese". A
# reply is in Chinese when more than ZH_MIN_SHARE of its units are Chinese characters: the four
# technical sentences that failed hold 43-56%, an English reply none, and an English sentence of
# seven words or more around a three-character name under a third.
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
ZH_MIN_SHARE = 1 / 3


def chinese_share(text: str) -> float:
    """The share of Chinese characters among the Chinese characters and Latin words of ``text``,
    but for web addresses, e-mail addresses and code, which a translation keeps as they are
    (``_KEPT_AS_IS``: "相關連結：" and two links was 17% Chinese, and failed as "not in Chinese")."""
    text = _KEPT_AS_IS.sub(" ", text)
    han = han_count(text)
    units = han + len(_LATIN_WORD.findall(text))
    return han / units if units else 0.0


def length_ratio(source: str, translation: str) -> float:
    return visible_length(translation) / max(1, visible_length(source))


# What a translation carries over letter for letter: a Latin word, a figure, a web or e-mail
# address, a model name (EB-3200), a command; each begins and ends with a letter or a digit.
_CARRIED = re.compile(
    r"[A-Za-z0-9\u00c0-\u024f](?:[A-Za-z0-9\u00c0-\u024f._@/:?=&%#~+-]*[A-Za-z0-9\u00c0-\u024f])?"
)


def translated_parts(source: str, translation: str, target: str) -> tuple[str, str]:
    """``source`` and its ``translation`` as their lengths are compared: without what both hold
    as it is written (``_CARRIED``: Latin words, figures, addresses), which keeps its length
    while the rest changes it. Counted whole, "Python supports Windows, macOS and Linux." kept
    0.78 of its length in Chinese and the next paragraph's 0.45 looked like half a translation;
    "詳見 https://…" translated "See https://…" was too short for English, and a model name or a
    table's row of figures was a third (into Chinese, twice) of the ratio of the prose beside it."""
    carried = set(_CARRIED.findall(source)) & set(_CARRIED.findall(translation))
    if not carried:
        return source, translation

    def without(text: str) -> str:
        return _CARRIED.sub(lambda m: "" if m.group() in carried else m.group(), text)

    return without(source), without(translation)


def typical_ratio(pairs: Iterable[tuple[str, str]], target: str = "en") -> float | None:
    """The median length ratio of the pairs long enough to judge (``translated_parts``), or
    ``None`` when too few are."""
    pairs = [translated_parts(s, t, target) for s, t in pairs]
    ratios = sorted(length_ratio(s, t) for s, t in pairs if visible_length(s) >= RELATIVE_MIN and t.strip())
    if len(ratios) < RELATIVE_PAIRS:
        return None
    middle = len(ratios) // 2
    return ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2


def length_off(source: str, translation: str, target: str, typical: float | None = None) -> tuple[str, str]:
    """Whether ``translation`` is too ``"short"`` or too ``"long"`` for ``source`` ("" when it
    fits), and why: outside its ``LENGTH_BANDS``, or, when the ``typical`` ratio of its request's
    pairs is given, outside ``RELATIVE_BAND`` of it (for sources of ``RELATIVE_MIN`` characters
    or more). Lengths are compared as ``translated_parts`` reads them."""
    low, high, slack = LENGTH_BANDS[target]
    source, translation = translated_parts(source, translation, target)
    have, want = visible_length(translation), visible_length(source)
    if not low * want - slack <= have <= high * want + slack:
        return ("short" if have < low * want - slack else "long"), (
            f"{have} characters for a source of {want} (expected {low:g}-{high:g} times)"
        )
    if typical and want >= RELATIVE_MIN:
        relative = length_ratio(source, translation) / typical
        if not RELATIVE_BAND[0] <= relative <= RELATIVE_BAND[1]:
            return ("short" if relative < RELATIVE_BAND[0] else "long"), (
                f"{have} characters for a source of {want}, {relative:.2f} times the ratio of the other pairs "
                f"(expected {RELATIVE_BAND[0]:g}-{RELATIVE_BAND[1]:g})"
            )
    return "", ""


def pair_problems(source: str, translation: str, target: str, typical: float | None = None) -> list[str]:
    """What shows that ``translation`` is not ``source`` translated into ``target``; [] when nothing does.

    Checks: something came back; its length is within ``LENGTH_BANDS`` of the source's, and
    within ``RELATIVE_BAND`` of the ``typical`` ratio of its request's pairs when given; every
    figure of the source (``written_figures``) appears among its digits; and it is mostly in
    the target's script (Latin letters for English; for zh-Hant, Chinese characters, a Latin word
    counting as one: ``chinese_share``), an English one with no Chinese word left in it
    (``chinese_words``).
    """
    if not translation.strip():
        return ["empty"]
    problems = []
    if target == "en" and (word := negation.added_negation(source, translation)):
        problems.append(f"a negation the source does not hold: '{word}'")
    if target == "en" and not_english(translation):
        problems.append("not in English")
    elif target == "en" and (left := chinese_words(translation)):
        problems.append(f"Chinese left: {', '.join(left[:3])}")
    elif target == "zh-Hant" and chinese_share(translation) <= ZH_MIN_SHARE:
        problems.append("not in Chinese")
    off, why = length_off(source, translation, target, typical)
    if off:
        problems.append(why)
    source, translation = translated_parts(source, translation, target)
    read = figures_read(translation, target)
    given = translated_figures(translation, target, read)
    missing = [written for written, digits in written_figures(source) if digits not in given]
    missing += dates_cut_short(source, read, target)
    if missing:
        problems.append(f"figures missing: {', '.join(missing)}")
    return problems


# A word the translation did not translate: two or more Chinese characters in a row, or one
# alone that is not a gloss in brackets ("the character for luck (福)"). On the reference model
# a line of the Lai He story came back as '"When did it start," 乙 said' (乙: the second man).
_CHINESE_WORD = re.compile(f"[{HAN}]{{2,}}|(?<![(（])[{HAN}](?![)）])")


def chinese_words(translated: str) -> list[str]:
    """The words of an English translation still in Chinese ("AI's格局" → ["格局"], "乙 said" →
    ["乙"]), but for one character glossed in brackets ("luck (福)")."""
    return _CHINESE_WORD.findall(translated)


def check_target(target: str) -> tuple[str, str]:
    """``target`` as the library writes it ("EN" → "en"), and the language it translates from."""
    target = prompts.language_code(target, "target")
    return target, SOURCES[target]


_LATIN_LETTER = re.compile("[A-Za-z]")
# What a translation into Chinese keeps as it is written: a web address, an e-mail address, code.
_KEPT_AS_IS = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|`[^`\n]*`", re.IGNORECASE)


def needs_translation(text: str, target: str) -> bool:
    """Whether ``text`` holds anything to translate into ``target``: a Chinese character for
    English; for zh-Hant, a Latin letter in text that is not mostly Chinese, outside web
    addresses, e-mail addresses and code in backticks.

    What holds nothing is kept as it is written, never sent: a credit line already in English
    ("Photo: Tainan City Government"), a date (2024/02/02), a line that is only a web address.
    On the reference model such a line came back unchanged, was flagged for a length ratio of
    one, and was asked for again.
    """
    if target == "en":
        return any(is_han(char) for char in text)
    return _LATIN_LETTER.search(_KEPT_AS_IS.sub(" ", text)) is not None and not mostly_chinese(text)


def check_source(article: str, target: str) -> None:
    """Raise ``InputError`` when no paragraph of ``article`` holds anything to translate into
    ``target`` (``needs_translation``): an English article given for English, a Chinese one for
    zh-Hant. Nothing is sent for it."""
    if not any(needs_translation(paragraph, target) for paragraph in split_paragraphs(article)):
        if target == "en":
            raise InputError("nothing to translate into English: the article holds no Chinese character")
        if in_simplified(article):
            raise InputError(
                "nothing to translate into Traditional Chinese: the article is in Simplified Chinese, "
                "which is converted, not translated: opencc.OpenCC('s2tw').convert(text) (the "
                "opencc-python-reimplemented package this library installs) does it without a model"
            )
        if not any(mostly_chinese(paragraph) for paragraph in split_paragraphs(article)):
            raise InputError(
                "nothing to translate into Traditional Chinese: the article holds only web addresses, "
                "e-mail addresses or code, which a translation keeps as they are"
            )
        raise InputError(
            "nothing to translate into Traditional Chinese: the article is in Chinese already "
            f"({han_ratio(article):.0%} of its letters are Chinese characters)"
        )


def translation_budget(
    settings: Settings, counter: TokenCounter, source: str, target: str, article: str = "", *, kind: str = "translate"
) -> tuple[int, int]:
    """Most tokens of marked text per request, and the tokens left for its glossary entries
    (the prompt of ``kind``, see ``prompts.translate_messages``, counted with the places line of
    ``article``, when it names places).

    The reply must hold the whole chunk translated, so a chunk is at most half the reply limit
    as well as what the context window leaves after the prompt, the context and the reply.

    Raises:
        ConfigError: the context window leaves no room for text.
    """
    context = settings.translation_context
    probe = prompts.translate_messages(
        "", source=source, target=target, marker_example=marker(99), title="-" if context else "",
        previous="-" if context else "", glossary={"-": "-"}, english_only=True, kind=kind,
    )
    overhead = prompt_overhead(probe, counter) + (TITLE_TOKENS + PREVIOUS_TOKENS if context else 0)
    overhead += places_tokens(article, counter) if target == "en" else 0
    # Each request reserves only what its chunk's translation needs (translation_reply_tokens);
    # a fifth of what the chunk and its reply may take is kept for the glossary entries.
    factor = TRANSLATION_TOKENS_PER_SOURCE_TOKEN[target]
    room = settings.context_tokens - overhead - safety_margin(settings) - REPLY_EXTRA_TOKENS
    by_context = int(room * 4 // 5 / (1 + factor))
    by_reply = int((settings.output_tokens - REPLY_EXTRA_TOKENS) / factor)
    budget = min(by_context, by_reply)
    if settings.chunk_tokens is not None and settings.chunk_tokens < budget:
        check_chunk_tokens(settings, "translate")
        budget = settings.chunk_tokens
    if budget < MIN_CHUNK_TOKENS:
        fix = (
            f"raise SUMMARIZE_OUTPUT_TOKENS to {math.ceil(MIN_CHUNK_TOKENS * factor) + REPLY_EXTRA_TOKENS} or more"
            if by_reply < by_context
            else "raise SUMMARIZE_CONTEXT_TOKENS"
        )
        raise ConfigError(
            f"SUMMARIZE_CONTEXT_TOKENS={settings.context_tokens} with SUMMARIZE_OUTPUT_TOKENS={settings.output_tokens} "
            f"leaves {max(budget, 0)} tokens of article per translation request, fewer than {MIN_CHUNK_TOKENS}; {fix}"
        )
    return budget, max(0, room - budget - math.ceil(budget * factor))


@dataclass(frozen=True)
class Layout:
    """How an article is cut for translation: its paragraphs, their units and the chunks of units."""

    budget: int  # most tokens of marked text per request
    glossary_tokens: int  # tokens left per request for glossary entries
    paragraphs: list[str]
    units: list[Unit]
    groups: list[list[Unit]]

    def chunk_texts(self) -> list[str]:
        return ["\n".join(u.text for u in group) for group in self.groups]

    def as_written(self) -> dict[int, str]:
        """The units in no chunk, by number: nothing in them to translate (``needs_translation``)."""
        sent = {u.number for group in self.groups for u in group}
        return {u.number: u.text for u in self.units if u.number not in sent}


def layout(article: str, settings: Settings, counter: TokenCounter, target: str) -> Layout:
    """Cut a cleaned article into paragraphs, units and balanced chunks within the budget.

    Raises:
        ConfigError: the settings leave no room for text.
    """
    budget, glossary_tokens = translation_budget(settings, counter, SOURCES[target], target, article)
    paragraphs = split_paragraphs(article)
    units = make_units(paragraphs, budget - MARKER_TOKENS, counter.count)
    sent = [u for u in units if needs_translation(u.text, target)]
    groups = pack(sent, [u.tokens + MARKER_TOKENS for u in sent], budget)  # type: ignore[arg-type]
    return Layout(budget, glossary_tokens, paragraphs, units, groups)  # type: ignore[arg-type]


def run_glossary(given: Mapping[str, str], extracted: Mapping[str, str], target: str) -> dict[str, str]:
    """A translation run's glossary, as its requests give it (source name → ``target`` form):
    the user's entries (``given``; inverted into Chinese), else the names the model gave.

    Taiwan's official names (``summarize.institutions``), which summaries get, are not added:
    on the reference model the 1624 exhibition release, whose paragraphs hold 行政院長, 文化部 and
    臺史博, came back with its last two paragraphs still in Chinese after the firmer re-ask in
    both runs with them (the quality run and one more), and in English in 2 of 2 runs without."""
    if given:
        return dict(given) if target == "en" else names.inverted(given)
    return dict(extracted)


def extracts_names(glossary: names.GlossaryLike, settings: Settings, chunks: int) -> bool:
    """Whether a run asks the model for names: several chunks, and no glossary given or configured.

    One request sees every name of its chunk; several need one shared rendering of each.
    ``glossary={}`` turns extraction off.
    """
    return glossary is None and not settings.glossary and chunks > 1


@dataclass
class TranslationRun:
    """The state of one translation run."""

    settings: Settings
    client: ChatClient
    model: str
    counter: TokenCounter
    target: str
    paragraphs: list[str]
    units: list[Unit]
    prefix: str = ""
    glossary: dict[str, str] = field(default_factory=dict)
    glossary_tokens: int = 0
    looped: set[int] = field(default_factory=set)  # units kept de-looped after a re-ask with a penalty
    kind: str = "translate"  # the prompt pair (prompts.translate_messages): "key_sentences" for a summary's
    context: str = ""  # key sentences: text whose figures every sentence may use too (all the chosen sentences)
    # Units whose translation the library writes itself (a release's date line, keysentences.english_dateline):
    # sent for context, but their replies are not used, checked, or asked for again.
    written: dict[int, str] = field(default_factory=dict)
    # Unit number → the replies its translations came from: those of a unit left flagged are
    # taken out of the response cache, so that the next run (or batch --redo-flagged) asks again.
    replies_of: dict[int, list[Reply]] = field(default_factory=dict)
    # With ``give_up``, a unit whose reply failed for good (empty twice, cut when asked alone)
    # is returned empty and flagged, its cause kept here, instead of failing its whole chunk;
    # without it (a summary's key sentences) the error is raised.
    give_up: bool = False
    # Units already sent alone as they first are (not firmer, no penalty): asking one alone
    # again would send the very same request (with the cache on, replay the same answer).
    sent_alone: set[int] = field(default_factory=set)
    # Units asked again with the note that they negate nothing (``negation_to_undo``), once each.
    told_negated: set[int] = field(default_factory=set)
    failed: dict[int, EndpointError] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return SOURCES[self.target]

    @functools.cached_property
    def sources(self) -> dict[int, str]:
        """Each unit's text by number (the units do not change during a run)."""
        return {u.number: u.text for u in self.units}

    async def ask_reply(self, messages: list[prompts.Message], max_tokens: int | None = None) -> Reply:
        return await self.client.chat(messages, model=self.model, max_tokens=max_tokens)

    def messages(self, units: list[Unit], english_only: bool = False, negated: str = "") -> list[prompts.Message]:
        """One request: the marked units and their glossary entries (with ``translation_context``,
        the title and the text just before them too); with ``negated``, the negating word an
        earlier reply wrote for a unit that negates nothing, said at the end (``prompts.not_negated``)."""
        count = self.counter.count
        marked = "\n".join(f"{marker(u.number, self.prefix)} {u.text}" for u in units)
        first = units[0]
        title = previous = ""
        if self.settings.translation_context:
            title = clip(self.paragraphs[0].strip(), TITLE_TOKENS, count) if first.paragraph > 0 else ""
            before = self.units[first.number - 2] if first.number > 1 else None
            if before is not None and not (title and before.paragraph == 0):
                previous = clip(before.text, PREVIOUS_TOKENS, count, keep_end=True)
        source_text = "\n".join(u.text for u in units)
        entries = names.within(names.present(self.glossary, source_text), self.glossary_tokens, count)
        messages = prompts.translate_messages(
            marked,
            source=self.source,
            target=self.target,
            marker_example=marker(first.number, self.prefix),
            title=title,
            previous=previous,
            glossary=entries,
            english_only=english_only,
            kind=self.kind,
        )
        return prompts.not_negated(messages, negated, negation.misread_words(source_text)) if negated else messages

    def failing(self, units: list[Unit], cause: EndpointError) -> dict[int, str]:
        """``units`` given up (``give_up``): each empty, its ``cause`` kept in ``failed``; without
        ``give_up``, ``cause`` is raised."""
        if not self.give_up:
            raise cause
        log.warning("%s failed for good (%s); returned empty and flagged",
                    ", ".join(marker(u.number, self.prefix) for u in units), cause)
        for unit in units:
            self.failed[unit.number] = cause
        return {unit.number: "" for unit in units}

    async def translate(
        self, units: list[Unit], english_only: bool = False, *, penalize: bool = False, empty_before: bool = False,
        negated: str = "",
    ) -> dict[int, str]:
        """A translation for every unit, by number.

        Loops are cut out of every reply (``strip_loops_by_unit``: a sentence the source says
        twice is no loop). A longer request cut at its
        limit by a loop keeps the paragraphs before the one the loop began in, and the rest are
        asked for again as missing; cut without a loop, it is halved. A one-unit reply that
        loops or is cut is asked for once more with the repetition control the server honours;
        a loop left after that is cut out and the unit flagged (``looped``), and a cut is kept
        or raised as ``on_truncation`` says. Missing markers are asked for again, those units
        only; a reply with no usable marker at all (a model that ignores them) splits the
        request in halves, down to one unit, whose whole reply is its translation. ``negated``
        (one unit, asked again by ``again``) is the negating word its earlier reply wrote; the
        request ends by saying that the unit negates nothing (``prompts.not_negated``).
        """
        if all(u.number in self.written for u in units):
            return {u.number: self.written[u.number] for u in units}
        tokens = sum(u.tokens + MARKER_TOKENS for u in units)
        limit = translation_reply_tokens(self.settings, tokens, self.target)
        if len(units) == 1 and not english_only and not penalize:
            self.sent_alone.add(units[0].number)
        try:
            answer = await self.client.chat(
                self.messages(units, english_only, negated), model=self.model, max_tokens=limit,
                allow_truncated=True, penalize_repetition=penalize,
            )
        except ContextLengthError:
            if len(units) == 1:
                raise
            log.info("a request of %d paragraphs was too long; halving it", len(units))
            return await self._halves(units, english_only)
        except EmptyReplyError as exc:
            if empty_before:
                return self.failing(units, exc)
            # An empty reply is never cached, so the same request reaches the model again.
            log.warning("a translation reply of %d paragraph(s) was empty (%s); asking once more", len(units), exc)
            return await self.translate(units, english_only, penalize=penalize, empty_before=True, negated=negated)
        # A marked translation given twice word for word is a duplicate answer, cut out before
        # loops are looked for; a reply that ran to its limit saying it again is a loop.
        text = as_asked(answer.text, [u.number for u in units], self.prefix, {u.number: u.text for u in units})
        loops = strip_loops_by_unit(
            text if answer.truncated else without_repeated_units(text, self.prefix),
            repeating_units(units), self.prefix,
        )
        alone = len(units) == 1
        if alone and (loops.looped or answer.truncated):
            if not penalize:
                why = "repeated itself" if loops.looped else "ran to its limit"
                log.warning("a translation reply %s; asking once more with a repetition penalty", why)
                return await self.translate(units, english_only, penalize=True, negated=negated)
            if loops.looped:
                log.warning("the translation of %s still repeated itself; its repeats were cut and it is flagged",
                            marker(units[0].number, self.prefix))
                self.looped.add(units[0].number)
            else:
                try:
                    self.client.kept_cut(answer, limit, self.model)
                except TruncatedOutputError as exc:
                    return self.failing(units, exc)
        elif answer.truncated and not loops.looped:
            log.info("a reply of %d paragraphs ran to its limit; halving the request", len(units))
            return await self._halves(units, english_only)
        reply = loops.text
        if not alone and not answer.truncated:
            reply = read_by_position(
                reply, units, self.target, self.prefix, relative=self.kind == "translate", copies=self.kind == "translate"
            )
        found = parse_marked(reply, (u.number for u in units), self.prefix, {u.number: u.text for u in units})
        if not alone and loops.looped and answer.truncated and found:
            # The loop ran to the limit inside the last paragraph the reply reached: that one is
            # asked for again with those after it, which the loop left out.
            del found[max(found)]
        if not alone and found:
            why = misnumbered(
                reply, units, {n: one_line(t, self.target) for n, t in found.items()}, self.target, self.prefix,
                copies=self.kind == "translate",
            )
            if why:
                # Which text answers which paragraph is unknown: nothing of this reply is kept.
                log.warning("the reply's markers look misnumbered (%s); asking again in smaller requests", why)
                self.client.forget(answer)
                return await self._halves(units, english_only)
        if alone and not found:
            found = {units[0].number: without_chatter(strip_markers(reply, self.prefix), units[0].text, alone=True)}
        found = {n: one_line(t, self.target) for n, t in found.items()}
        for number in found:
            self.replies_of.setdefault(number, []).append(answer)
        found.update((u.number, self.written[u.number]) for u in units if u.number in self.written)
        missing = [u for u in units if u.number not in found]
        if not missing:
            return found
        if found:
            log.info("the reply left out %s; asking for those again", [u.number for u in missing])
            found.update(await self.translate(missing, english_only))
        else:
            log.info("the reply kept no markers; asking for %d paragraphs in smaller requests", len(missing))
            found.update(await self._halves(missing, english_only))
        return found

    async def _halves(self, units: list[Unit], english_only: bool) -> dict[int, str]:
        middle = len(units) // 2
        parts = await gather_or_cancel(self.translate(part, english_only) for part in (units[:middle], units[middle:]))
        return {n: t for part in parts for n, t in part.items()}

    def suspect(self, translated: str) -> bool:
        """Empty, or mostly Chinese where English was asked for."""
        return not translated.strip() or (self.target == "en" and not_english(translated))

    async def translate_chunk(self, units: list[Unit]) -> tuple[dict[int, str], set[int]]:
        """Translations of one chunk, checked, and the numbers of the units still failing.

        Units that came back empty or not in English are asked for once more, together and
        more firmly; a summary's key sentences still so are then asked for each alone, once
        (``alone_after_firmer``). Then every pair is checked against its source
        (``pair_problems``): a pair that fails was confused with its neighbours, so it is asked
        for again alone, once (in a chunk of one unit it is flagged at once: asking again would
        send the same request; but a pair negating a unit that negates nothing is asked again
        with a note saying so, ``again``). Units still failing are returned flagged.
        """
        found = await self.translate(units)
        suspect = [u for u in units if u.number not in self.failed and self.suspect(found[u.number])]
        if suspect:
            log.warning("%d paragraph(s) came back empty or not in English; asking once more", len(suspect))
            found.update(await self.translate(suspect, english_only=self.target == "en"))
            if self.kind == "key_sentences":
                found.update(await self.alone_after_firmer(suspect, found))
        flagged = {u.number for u in suspect if self.suspect(found[u.number])} | (set(self.failed) & {u.number for u in units})
        # Shortened key sentences are each shortened as much as they allow: no typical ratio.
        typical = (
            typical_ratio(((u.text, found[u.number]) for u in units), self.target) if self.kind == "translate" else None
        )
        # A unit that looped through its penalized re-ask has had its last chance already.
        checked = [u for u in units if u.number not in (flagged | self.looped)]
        failing = {u.number: p for u in checked if (p := self.problems(u, found, typical))}
        # Each failing pair is asked for alone, once (a unit sent alone would get the same request
        # again). An answer given alone cannot be shifted, so a pair that then shares it, or holds
        # it inside its own, took it from a merged or shifted reply: it is asked for alone in turn,
        # until every pair still failing has been (at most one round per unit of the chunk).
        while again := [u for u in checked if u.number in failing and self.may_ask_again(u, found[u.number])]:
            log.warning(
                "%d pair(s) do not match their source paragraph (%s); asking for each alone",
                len(again), self.describe({u.number: failing[u.number] for u in again}),
            )
            for part in await gather_or_cancel(self.again(u, found[u.number]) for u in again):
                found.update(part)
            failing = {u.number: p for u in checked if (p := self.problems(u, found, typical))}
        if failing and self.kind == "key_sentences":
            # A summary records no pair, so "unverified" would promise a flag it never carries:
            # the caller keeps or leaves out each sentence, and forgets the replies it leaves out.
            log.warning("key sentence(s) still failing their check: %s", self.describe(failing))
        elif failing:
            log.warning("flagged as unverified: %s", self.describe(failing))
        flagged = flagged | set(failing) | (self.looped & {u.number for u in units})
        if self.kind != "key_sentences":
            self.forget(flagged)
        return found, flagged

    async def alone_after_firmer(self, asked: list[Unit], found: dict[int, str]) -> dict[int, str]:
        """The units of a firmer request of several (``asked``) that came back empty or not in
        English again, each asked for alone, once (``again``: a unit sent alone before is not
        sent the same request); a unit the firmer request held alone has had its turn.

        A small model that copies a request's Chinese may translate one sentence of it: on the
        0.5B model the Tainan AI-governance release's key sentences came back in Chinese twice
        together, leaving its English summary with no sentence of English; asked for alone,
        three of the four still in Chinese came back in English. Only a summary's key sentences
        (a few, each a sentence) are asked for so: an article's paragraphs still in Chinese are
        returned flagged, without a request for each.
        """
        still = [u for u in asked if u.number not in self.failed and self.suspect(found[u.number])]
        if len(asked) < 2 or not still:
            return {}
        log.warning("%d paragraph(s) still came back empty or not in English; asking for each alone", len(still))
        alone: dict[int, str] = {}
        for part in await gather_or_cancel(self.again(u, found[u.number]) for u in still):
            alone.update(part)
        return alone

    def forget(self, numbers: Iterable[int]) -> None:
        """Take the replies that answered ``numbers`` out of the response cache, so that the next
        run asks for them again."""
        for number in numbers:
            for reply in self.replies_of.get(number, ()):
                self.client.forget(reply)

    def negation_to_undo(self, unit: Unit, translated: str) -> str:
        """The negating word ``translated`` (English) wrote for a ``unit`` that negates nothing
        (``negation.added_negation``), when the unit was not yet asked again for it; "" otherwise."""
        if self.target != "en" or unit.number in self.told_negated or unit.number in self.written:
            return ""
        return negation.added_negation(unit.text, translated)

    def may_ask_again(self, unit: Unit, translated: str) -> bool:
        """Whether a failing ``unit`` has a request left to it alone: it was not sent alone yet,
        or its ``translated`` negates what it does not, and the note saying so makes a new request."""
        return unit.number not in self.sent_alone or bool(self.negation_to_undo(unit, translated))

    async def again(self, unit: Unit, first: str) -> dict[int, str]:
        """``unit`` asked for alone, a second chance: a reply cut for good (or empty twice,
        whether the run gives units up or raises) keeps ``first`` (flagged by its check), so one
        paragraph never fails its chunk, nor one key sentence the English summary; so does a
        reply not in English when ``first`` was English but for a few words (``only_words_left``).
        A unit sent alone before is not asked again, the request would be the one already
        answered, unless ``first`` negates a unit that negates nothing: then the request ends by
        saying so, naming the word written and what the unit's look-alike words mean
        (``prompts.not_negated``: 無人機 is "drone"), once."""
        negated = self.negation_to_undo(unit, first)
        if unit.number in self.sent_alone and not negated:
            log.info("%s was asked for alone already; not asking the same again", marker(unit.number, self.prefix))
            return {unit.number: first}
        if negated:
            self.told_negated.add(unit.number)
        try:
            found = await self.translate([unit], negated=negated)
        except (TruncatedOutputError, EmptyReplyError) as exc:
            cause: EndpointError | None = exc
        else:
            cause = self.failed.pop(unit.number, None)
        if cause is None and self.only_words_left(unit, first) and self.suspect(found[unit.number]):
            log.warning(
                "asked again, %s came back not in English; its first translation, Chinese left only in %s, is kept",
                marker(unit.number, self.prefix), ", ".join(chinese_words(first)[:3]),
            )
            return {unit.number: first}
        if cause is None:
            return found
        log.warning("asked again, %s failed (%s); its first translation is kept", marker(unit.number, self.prefix), cause)
        return {unit.number: first}

    def only_words_left(self, unit: Unit, translated: str) -> bool:
        """Whether an English ``translated`` fails its pair check (``pair_problems``) only for a
        few Chinese words left in it ("交通方面" written "In terms of transport 方面, ..."): a
        translation still, better than a copy of the source. Asked for alone, the reference
        model answered such a paragraph of a lantern-festival notice with the paragraph itself,
        and the copy replaced the translation."""
        return (
            self.target == "en"
            and bool(translated.strip())
            and not not_english(translated)
            and bool(chinese_words(translated))
            and len(pair_problems(unit.text, translated, self.target)) == 1
        )

    def problems(self, unit: Unit, found: dict[int, str], typical: float | None = None) -> list[str]:
        if unit.number in self.written:
            return []
        problems = pair_problems(unit.text, found[unit.number], self.target, typical) + self.shared(unit, found)
        if self.kind == "key_sentences" and self.target == "en" and not problems:
            problems = self.repeats(unit, found) or self.key_sentence_problems(unit, found[unit.number])
        return problems

    def shared(self, unit: Unit, found: dict[int, str]) -> list[str]:
        """A translation another paragraph of other words has too, or holds whole, or that
        another's translation asked for alone holds (``holds``): a reply that merged or split
        paragraphs and counted on, then a re-ask."""
        if self.kind != "translate":  # key sentences: ``repeats``
            return []
        number, alone = unit.number, self.sent_alone
        # An answer given alone cannot be shifted: of two pairs that clash, one answered alone
        # and one not, the other is the one at fault.
        other = one_translation(found, self.sources).get(number)
        if other is not None and not (number in alone and other not in alone):
            return [f"the same translation as {marker(other, self.prefix)}"]
        for n in sorted(found):
            if holds(found, self.sources, number, n) and not (number in alone and n not in alone):
                return [f"holds the translation of {marker(n, self.prefix)} too"]
            if holds(found, self.sources, n, number) and n in alone and number not in alone:
                return [f"is part of the translation of {marker(n, self.prefix)}, which was asked for alone"]
        return []

    @staticmethod
    def repeats(unit: Unit, found: dict[int, str]) -> list[str]:
        """A key sentence's translation with the words of an earlier one's: a copy, not a
        translation (``keysentences.english_words``)."""
        words = keysentences.english_words(found[unit.number])
        if not words:
            return []
        earlier = [n for n, text in found.items() if n < unit.number and keysentences.english_words(text) == words]
        return [f"the same words as {marker(earlier[0])}"] if earlier else []

    @staticmethod
    def too_long(unit: Unit, translated: str) -> str:
        """Why a key sentence's translation is longer than any translation of its sentence could
        be, "" when it is not: then it says what the sentence does not (on the reference model
        the 1624 exhibition's 35-character title came back as 441 characters of made-up
        programme, dates and all). A translation that lacks something (a figure, a clause) is
        still true, and a figure no key sentence gives goes to the figure repair."""
        _, high, slack = LENGTH_BANDS["en"]
        have, want = visible_length(translated), visible_length(unit.text)
        return f"{have} characters for a sentence of {want}" if have > high * want + slack else ""

    def key_sentence_problems(self, unit: Unit, translated: str) -> list[str]:
        """What a summary's sentence, read alone, may not hold beyond what ``pair_problems``
        finds (Chinese words left in it, "AI's格局"): a figure that none of the chosen sentences
        (``context``: the release's date among them) gives once what the checks settle without
        a request is settled (``verify.correct_from_source``). A figure carried over from a neighbouring key sentence
        ("all six new boats") is what the reader of the joined summary is told anyway: not a fault.
        Asked for again alone, a small model translates one sentence better than the figure
        repair mends one: on the reference model the 1624 exhibition opened "March 22, 2023"."""
        if not self.settings.verify:
            return []
        source = self.context or unit.text
        settled, _ = verify.correct_from_source(translated, source, self.glossary)
        wrong = [claim.phrase for claim in verify.unsupported_figures(settled, source)]
        return [f"figures the key sentences do not give: {', '.join(wrong[:3])}"] if wrong else []

    def describe(self, problems: dict[int, list[str]]) -> str:
        """Each unit's marker and its problems, for the log."""
        return "; ".join(f"{marker(n, self.prefix)} {', '.join(found)}" for n, found in problems.items())


def joined(units: list[Unit], found: Mapping[int, str], paragraph: str, target: str) -> str:
    """The translations of one paragraph's ``units``, joined: into English with a space; into
    Chinese with nothing, but a space where ``paragraph`` has one between the two units. Joined
    with nothing, two web addresses a paragraph over budget was cut between came back glued
    (".../news/00006https://...")."""
    if target != "zh-Hant":
        return " ".join(found[u.number] for u in units)
    parts: list[str] = []
    position = 0
    for unit in units:
        start = paragraph.find(unit.text, position)
        if parts and start > 0 and paragraph[start - 1].isspace():
            parts.append(" ")
        parts.append(found[unit.number])
        position = max(position, start + len(unit.text))
    return "".join(parts)


async def atranslate_article(
    text: str,
    *,
    target: str = "en",
    glossary: names.GlossaryLike = None,
    settings: Settings | None = None,
    client: Any = None,
    partial: bool = False,
    **overrides: Any,
) -> Translation:
    """Translate an article paragraph by paragraph; the async twin of ``translate_article``."""
    check_arguments("translate_article", overrides)
    check_partial(partial)
    article = clean(text)
    target, source = check_target(target)
    check_source(article, target)
    settings = resolve_settings(settings, overrides)
    given = names.resolve_glossary(glossary, settings)
    async with ChatClient(settings, client) as chat:
        model = await chat.resolve_model()
        counter = tokenizer_for(model, settings.tokenizer)
        cut = layout(article, settings, counter, target)
        paragraphs, units, groups = cut.paragraphs, cut.units, cut.groups
        log.info("%d paragraph(s), %d unit(s), %d chunk(s)", len(paragraphs), len(units), len(groups))
        kept = cut.as_written()
        if kept:
            log.info("%d unit(s) hold nothing to translate and are kept as written: %s", len(kept), sorted(kept))
        run = TranslationRun(
            settings, chat, model, counter, target, paragraphs, units,
            prefix=marker_prefix(article), glossary_tokens=cut.glossary_tokens, give_up=True,
        )
        names_failed: str | None = None
        extracted_entries: dict[str, str] = {}
        if not given and extracts_names(glossary, settings, len(groups)):
            extracted = await names.extract_names(
                run.ask_reply, cut.chunk_texts(), settings, counter, source=source, target=target
            )
            extracted_entries, names_failed = extracted.entries, extracted.failed
        run.glossary = run_glossary(given, extracted_entries, target)

        failures: dict[int, EndpointError] = {}  # chunk index → why it failed, with ``partial``

        async def one(index: int, group: list[Unit]) -> tuple[dict[int, str], set[int]]:
            try:
                return await run.translate_chunk(group)
            except EndpointError as exc:
                if not partial:
                    raise ChunkFailedError(index, len(groups), exc, what="translation") from exc
                log.warning("chunk %d of %d failed (%s); its paragraphs are returned empty and flagged",
                            index + 1, len(groups), exc)
                failures[index] = exc
                return {u.number: "" for u in group}, {u.number for u in group}

        results = await gather_or_cancel(one(i, g) for i, g in enumerate(groups))
        # Nothing translated at all: a result of empty pairs would only hide the error.
        given_up = {u.number: failures[i] for i, g in enumerate(groups) for u in g if i in failures} | run.failed
        if given_up and len(given_up) == sum(map(len, groups)):
            cause = given_up[groups[0][0].number]  # every chunk failed: the first says why
            raise ChunkFailedError(0, len(groups), cause, what=None) from cause

    found = kept | {n: t for part, _ in results for n, t in part.items()}
    flagged = {n for _, numbers in results for n in numbers}
    protected = tuple(run.glossary.values()) if target == "zh-Hant" else ()
    pairs: list[tuple[str, str]] = []
    corrected: list[tuple[int, str, str]] = []
    fixed = 0
    # A translation that drifted into Simplified drifted in its short sentences too (待在家里).
    simplified = target == "zh-Hant" and in_simplified("\n".join(found.values()))
    for index, paragraph in enumerate(paragraphs):
        translated = joined([u for u in units if u.paragraph == index], found, paragraph, target)
        if target == "zh-Hant":
            # The paragraph's own Chinese (a name it quotes) stays as it writes it.
            translated, changed = to_traditional(translated, protected, paragraph, simplified=simplified)
            fixed += changed
        elif settings.verify:
            # A 萬/億 slip, a misread city or name is written as its own paragraph gives it.
            translated, fixes = verify.correct_from_source(translated, paragraph, run.glossary)
            verify.log_corrections(fixes, f"paragraph {index + 1}: ")
            corrected += [(index, c.phrase, c.written) for c in fixes]
        pairs.append((paragraph, translated))
    return Translation(
        pairs=tuple(pairs),
        target=target,
        chunks=len(groups),
        usage=chat.usage(),
        truncated=chat.truncated,
        model=chat.answering_model(model),
        glossary=dict(run.glossary),
        simplified_fixed=fixed,
        unverified=tuple(sorted({u.paragraph for u in units if u.number in flagged})),
        flags=tuple(sorted(({PROMPT_CUT} if chat.prompt_cut else set()) | ({LOOPED} if run.looped else set()))),
        unsupported=verify.check_pairs(pairs, glossary=run.glossary, enabled=settings.verify),
        corrected=tuple(corrected),
        names_failed=names_failed,
    )


def translate_article(
    text: str,
    *,
    target: str = "en",
    glossary: names.GlossaryLike = None,
    settings: Settings | None = None,
    client: Any = None,
    partial: bool = False,
    **overrides: Any,
) -> Translation:
    """Translate a whole news article, aligned paragraph by paragraph with the source.

    A paragraph is a non-empty line. Paragraphs travel in chunks within the token budget,
    translated concurrently, each request with only its chunk and the glossary entries for
    the names in it. A paragraph with nothing to translate (no Chinese character, for
    English: "Photo: Tainan City Government", a date) is kept as written and never sent.

    Args:
        text: the article (a ``str``).
        target: ``"en"`` (from Traditional Chinese) or ``"zh-Hant"`` (from English).
        glossary: names and their English forms, ``{"馬斯克": "Elon Musk"}``, or a glossary
            file path (see ``summarize.glossary``); default ``SUMMARIZE_GLOSSARY``. Without
            one, an article of more than one chunk costs one extra request, which carries only
            the terms found in more than one chunk (never the article) and asks which are names
            and how to render them, so that every chunk renders them alike; ``glossary={}``
            turns that off.
        settings: a ``Settings``; default ``Settings.from_env()``.
        client: an ``openai.OpenAI`` to send requests through (an ``openai.AsyncOpenAI``
            belongs to one event loop, and each call of this function runs in a new one: give
            it to ``atranslate_article``).
        partial: when a chunk fails for good on an endpoint error (after the client's
            retries), return the other chunks' translations with its paragraphs empty and
            listed in ``unverified``, instead of raising ``ChunkFailedError``. Without it, a
            failed reply still costs only its own paragraphs: a reply that is empty twice, or a
            paragraph whose translation still runs to its token limit when asked for alone
            with a repetition penalty, leaves those paragraphs empty and in ``unverified``.
        **overrides: settings to change, e.g. ``model="qwen3:8b"``.

    Returns:
        A ``Translation``: ``pairs`` of (source, translation), ``str(t)`` the translation,
        ``t.to_markdown()`` both side by side. ``simplified_fixed`` counts Simplified characters
        repaired (zh-Hant target); ``unverified`` lists paragraphs whose translation still
        failed a check after one more request: empty, not in the target language, a length
        out of proportion to the source, or a figure of the source missing; a paragraph whose
        translation failed for good (see ``partial``) is there too, with an empty translation
        (never its source text, which would read as a translation). ``names_failed``
        says why the name request gave nothing usable, when it failed and the translation
        went on without (some) names.

    Raises:
        InputError, InputTypeError: the article is unusable, or holds nothing to translate
            into ``target`` (an English article for English); nothing was sent.
        ValueError: ``target`` is not supported.
        ConfigError: a setting or the glossary is malformed.
        ChunkFailedError: a chunk failed for good on an endpoint error (without ``partial``),
            or no paragraph could be translated at all; its cause is on ``__cause__``.
        EndpointError: the endpoint failed before any chunk was sent.

    Example::

        >>> from summarize import translate_article
        >>> print(translate_article(open("article.txt").read()).to_markdown())  # doctest: +SKIP
    """
    # Inside a running event loop (Jupyter) the work runs in a worker thread (summarize.runner).
    return run_sync(
        atranslate_article(
            text, target=target, glossary=glossary, settings=settings, client=client, partial=partial, **overrides
        )
    )
