"""Checks on an output: the one home for what is judged in a model's reply after it arrives.

::

    strip_loops(reply)          a repetition loop cut to one occurrence (any reply, cut or not)
    figures(text)               every figure of an English or Chinese text, as a value
    trace(output, source)       every figure of an output with the source figure it comes from, or None
    check(output, source)       the claims (figures, names) of an output its source does not support
    correct_from_source(o, src) what the source settles, rewritten: a 萬/億 slip, a misread city or name
    repair_summary(ask, ...)    check a summary, ask once to repair its unsupported figures, and
                                leave out the sentences whose figures the repair did not mend
    check_pairs(pairs)          check a translation pair by pair

Every check is a pure function of text (only the repair sends a request, through the ``ask``
it is given), so summaries, translations and batch imports all use the same ones.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import logging
import math
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from . import prompts
from .places import CITIES, meant_city, names_city
from .errors import EndpointError
from .text import is_han, mostly_chinese, visible_length

log = logging.getLogger("summarize")

# -- repetition loops ------------------------------------------------------------------------

# A small model that loops repeats a sentence, a line or a few words until the token limit.
# A loop is what no writer does: the same stretch back to back at least LOOP_REPEATS times, or
# the same sentence LOOP_REPEATS times anywhere in one reply. Short stretches must also cover
# LOOP_MIN_SPAN characters of repeats, so "ha ha ha" or "very, very, very" stay text.
LOOP_REPEATS = 3
LOOP_MIN_SPAN = 24
# A repeated sentence (or cycle) counts only when it holds this many letters: "Yes." and "是。"
# may recur in dialogue.
LOOP_SENTENCE_LETTERS = 8
# A stretch of sentences this long (in letters) said twice back to back is a loop already, and
# so is one sentence this long said again word for word anywhere later: on the reference server
# a tainan-disaster summary said "The city has also organized several disaster drills and
# exercises, including ..." (123 letters) again, one sentence after its first time. None of the
# corpus articles, nor any of their paragraphs, says a sentence this long twice.
LOOP_LONG_STRETCH = 80
# The longest cycle of sentences looked for ("A. B. C. A. B. C. A. B. C.").
LOOP_CYCLE = 4
# A long stretch said again back to back with at most this many words left out or put in (no
# word changed, no figure and no negation among them) is a repeat too: on the reference server
# a tainan-1624 summary ended "The exhibition will also feature a collection of important
# historical documents, including ..." and then the same sentence without "important".
LOOP_NEAR_WORDS = 2
_NEGATIONS = frozenset("not no never nor without none neither cannot 不 未 沒 無 非 別 勿 唔 冇".split())  # 唔, 冇: Cantonese
# Said again, a sentence may swap a pronoun for the noun it stands for, or back ("It also
# mentions ..." then "The article also mentions ...", Qwen 1.5B on the Cantonese talk): the swap,
# up to this many words for the pronoun, says nothing new.
_PRONOUNS = frozenset("it its they them their this these that those he him his she her we our".split())
LOOP_PRONOUN_PHRASE = 3
# A long sentence said LOOP_REPEATS times back to back with one word changed each time is a loop
# too, the model filling one slot of a template: Qwen 0.5B on the seed article wrote "The article
# also mentions the competition's success, with the Qwen3 model being the first AI model to be
# published." and then the same with "challenges" and with "future". Twice is parallel writing
# ("feature" then "display" stays); three times, the same 80 letters around one word, is not.
# Nor is twice when the stretch is as long as a passage (LOOP_PASSAGE_LETTERS): Qwen 1.5B's
# abstractive summary of the disaster release said a 182-letter sentence about "disaster
# recovery funds" again at once about "disaster recovery projects", the rest word for word.
LOOP_TEMPLATE_SWAPS = 1
# A passage of this many sentences or more, holding this many letters, said again anywhere
# later in the reply, word for word and in order, is a loop too: a small model that runs out
# of things to say starts a long stretch of its reply over (seen on the reference server: a
# seed summary said its middle eight sentences again after a new one, and a story summary its
# ten sentences twice). No writer repeats three sentences verbatim; a heading that recurs is one
# sentence, and a slogan quoted twice is two.
LOOP_PASSAGE_SENTENCES = 3
LOOP_PASSAGE_LETTERS = 160
# Only the end of a long reply is searched for a back-to-back run: that is where a loop runs
# to the token limit, and it bounds the work.
LOOP_TAIL_CHARS = 6000

# Sentence ends: Chinese terminators, line breaks, and . ! ? before a space (not "3.5" or "U.S.").
# An English period ends one after a lower-case letter, a digit or a closing mark, or after an
# acronym when a capital follows ("from 5 PM to 11 PM. The boats ..."), never in "U.S.".
_SENTENCE_END = re.compile(
    r"[。！？!?；;]+[」』”’\")]*\s*|\n+|(?<=[a-z0-9\)\"”’])[.](?=\s)\s*|(?<=[A-Z]{2})[.](?=\s+[A-Z])\s*"
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class LoopCheck:
    """The outcome of ``strip_loops``.

    Attributes:
        text: the reply with each loop cut to its first occurrence (unchanged when none).
        looped: a loop was found and cut.
    """

    text: str
    looped: bool


def strip_loops(text: str) -> LoopCheck:
    """Cut repetition loops out of a model reply.

    Four shapes are found: a stretch repeated back to back at the end of the reply (a sentence,
    a line or a few words, often ending in a partial copy where the token limit cut it); a
    sentence, or a cycle of a few, repeated back to back (a long one also with a word or two
    left out or put in, or a pronoun for its noun; three times, or twice at a passage's length,
    with one word changed; three times counting on, "R1", "R2", "R3"); a passage of several
    sentences, or one long sentence, said again later, word for word; and one item named
    three times in a list.
    The first occurrence is kept, later ones and a trailing partial copy are dropped. Lists
    with a shared prefix, tables, a name or a short answer that recurs, and parallel sentences
    that differ in a name or a figure are text, not loops.

    Example::

        >>> strip_loops("The city will grow. " * 20).text
        'The city will grow.'
    """
    cut = _cut_tail_run(text)
    cut = _drop_repeated_sentences(cut)
    cut = _drop_repeated_passages(cut)
    cut = _drop_repeated_items(cut)
    if cut == text:
        return LoopCheck(text, False)
    return LoopCheck(without_list_marker(cut.rstrip()), True)


# A list item's number or letter alone on the last line: what is left of a list cut there
# ("8." after a loop through items 5 to 7, whose repeats went; or the token limit).
_LIST_MARKER = re.compile(r"(?:^|\n)[ \t>]*(?:\d{1,3}|[A-Za-z])[.)]$")


def without_list_marker(text: str) -> str:
    """``text`` without a bare list marker on its last line: a 0.5B summary's loop through
    items 5 to 7 was cut and left "8.", which the figure check took for an unsupported 8."""
    marker = _LIST_MARKER.search(text)
    return text[: marker.start()].rstrip() if marker and marker.end() == len(text) else text


# A sentence end at the very end of a text, where no space follows it ("... in the U.S.").
_FINAL_END = re.compile(r"[。！？!?；;.][」』”’\")]*$")


def whole_sentences(text: str) -> str:
    """``text`` up to the end of its last whole sentence (a cut reply's unfinished one
    dropped), with sentence ends as ``sentences`` finds them; the number of a list item cut
    after it ("5.") ends nothing. ``text`` itself when no sentence of it is whole."""
    stripped = text.rstrip()
    ends = [match.end() for match in _SENTENCE_END.finditer(stripped)]
    if _FINAL_END.search(stripped):
        ends.append(len(stripped))
    kept = without_list_marker(stripped[: ends[-1]].strip()) if ends else ""
    return kept or text


def ends_a_sentence(text: str) -> bool:
    """Whether ``text`` ends at a sentence end (what ``whole_sentences`` keeps always does, but
    for a text with no whole sentence, which it gives back as it is)."""
    return bool(_FINAL_END.search(text.rstrip()))


def _letters(text: str) -> int:
    return sum(1 for c in text if c.isalpha() or is_han(c))


def _z_array(s: str) -> list[int]:
    """``z[i]``: the length of the longest common prefix of ``s`` and ``s[i:]`` (linear time)."""
    n = len(s)
    z = [0] * n
    left = right = 0
    for i in range(1, n):
        if i < right:
            z[i] = min(right - i, z[i - left])
        while i + z[i] < n and s[z[i]] == s[i + z[i]]:
            z[i] += 1
        if i + z[i] > right:
            left, right = i, i + z[i]
    return z


def _cut_tail_run(text: str) -> str:
    """``text`` with a back-to-back run at its end cut to one copy of the repeated stretch."""
    tail = text[-LOOP_TAIL_CHARS:]
    offset = len(text) - len(tail)
    n = len(tail)
    if n < LOOP_MIN_SPAN:
        return text
    # On the reversed tail, z[p] is how far the end of the text keeps period p: the run of a
    # stretch of length p repeated back to back covers its last z[p] + p characters.
    z = _z_array(tail[::-1])
    best: tuple[int, int] | None = None  # (characters covered, period)
    for period in range(1, n // LOOP_REPEATS + 1):
        repeated = z[period]
        if repeated < (LOOP_REPEATS - 1) * period or repeated < LOOP_MIN_SPAN:
            continue
        unit = tail[n - period :]
        # "-----", "| --- | --- |", "……" are layout, not a loop; "113, 113, 113, …" (the 0.5B
        # model on the disaster release, to its token limit) is one.
        if _letters(unit) + sum(c.isdigit() for c in unit) < min(2, period):
            continue
        covered = repeated + period
        if best is None or covered > best[0]:
            best = (covered, period)
    if best is None:
        return text
    covered, period = best
    start = offset + n - covered
    return text[: _copy_end(text, start, period)]


_TERMINATORS = "。！？!?；;.\n"


def _copy_end(text: str, start: int, period: int) -> int:
    """Where to cut a run that starts at ``start``: after one whole copy, moved to a natural end.

    The run's first copy may begin mid-sentence (". The city will grow" when the text before
    it ends in a full stop too), so the cut moves forward to the next sentence end within one
    more copy, else back to the last space inside the copy, else stays.
    """
    end = start + period
    whole = end
    while whole > start and text[whole - 1].isspace():
        whole -= 1  # a copy that ends in "year. ": its sentence end is just before the space
    if whole > start and text[whole - 1] in _TERMINATORS:
        return whole
    for cut in range(end, min(len(text), end + period) + 1):
        before = text[cut - 1]
        if before in _TERMINATORS and (before != "." or cut == len(text) or text[cut].isspace()):
            return cut
    for cut in range(end, start, -1):
        if text[cut - 1].isspace():
            return cut - 1
    return end


def _drop_repeated_sentences(text: str) -> str:
    """``text`` with each run of sentences repeated back to back (one sentence, or a cycle of up
    to ``LOOP_CYCLE`` sentences, ``LOOP_REPEATS`` times or more) cut to its first copy, and
    without a trailing fragment that only begins the run again.

    Only back-to-back runs count: a heading that recurs before every section ("Developers:
    what you need to do", 17 times in the public-code standard) is structure, not a loop.
    """
    pieces = [text[start:end] for start, end in sentences(text)]
    keys = [_key(p) for p in pieces]
    kept: list[str] = []
    i = 0
    looped = False
    while i < len(pieces):
        run = _sentence_run(keys, i)
        if run is None:
            kept.append(pieces[i])
            i += 1
            continue
        cycle, copies = run
        looped = True
        kept.extend(pieces[i : i + cycle])
        i += cycle * copies
        # The token limit cuts a loop mid-copy: drop what only starts the cycle over.
        rest = keys[i : i + cycle]
        if rest and i + len(rest) == len(keys) and _starts_over(rest, keys[i - cycle : i]):
            i = len(pieces)
    return "".join(kept) if looped else text


def _sentence_run(keys: list[str], start: int) -> tuple[int, int] | None:
    """(cycle length, copies) of the shortest cycle of sentences repeated from ``start``, if any."""
    for cycle in range(1, LOOP_CYCLE + 1):
        block = keys[start : start + cycle]
        letters = _letters("".join(block))
        if len(block) < cycle or letters < LOOP_SENTENCE_LETTERS:
            continue

        def copy(n: int) -> list[str]:
            return keys[start + n * cycle : start + (n + 1) * cycle]

        copies = 1
        while copy(copies) == block:
            copies += 1
        long = letters >= LOOP_LONG_STRETCH
        while long and _near_copy(block, copy(copies)):
            copies += 1
        # Twice is enough for a long stretch: no writer repeats 80 letters word for word back to
        # back (seen on the reference server: two sentences of a summary, said twice over).
        if copies >= LOOP_REPEATS or (copies >= 2 and long):
            return cycle, copies
        while long and _near_copy(block, copy(copies), swaps=LOOP_TEMPLATE_SWAPS):
            copies += 1
        if copies >= LOOP_REPEATS or (copies >= 2 and letters >= LOOP_PASSAGE_LETTERS):
            return cycle, copies
    counted = _counting_run(keys, start)
    return (1, counted) if counted >= LOOP_REPEATS else None


_COUNTER = re.compile(r"^(\D*)(\d{1,4})$")


def _counting_run(keys: list[str], start: int) -> int:
    """How many sentences from ``start`` on say the same words back to back but for one
    number that goes up by one each time: a model counting on ("the upcoming release of
    DeepSeek-R1", "... DeepSeek-R2", ... "DeepSeek-R7", Qwen 1.5B's abstractive summary of the
    seed article, run 17). Only a sentence with ``LOOP_MIN_SPAN`` letters besides the number
    counts: short list lines ("Step 1.", "Step 2.") stay text."""
    if _letters(keys[start]) < LOOP_MIN_SPAN:
        return 1
    run, slot, previous = 1, -1, words_of(keys[start], cased=True)
    for key in keys[start + 1 :]:
        words = words_of(key, cased=True)
        differ = [i for i, (a, b) in enumerate(zip(previous, words)) if a != b] if len(words) == len(previous) else []
        if len(differ) != 1 or (slot >= 0 and differ[0] != slot):
            break
        slot = differ[0]
        before, after = _COUNTER.match(previous[slot]), _COUNTER.match(words[slot])
        if not (before and after and before[1] == after[1] and int(after[2]) == int(before[2]) + 1):
            break
        run, previous = run + 1, words
    return run


def words_of(text: str, cased: bool = False) -> list[str]:
    """``text`` as near copies and echoes are compared: its words, lowercased unless ``cased``,
    each Chinese character one."""
    words: list[str] = []
    for word in re.findall(r"\w+", text):
        words.extend(word if any(is_han(c) for c in word) else [word if cased else word.lower()])
    return words


def _near_copy(block: list[str], other: list[str], swaps: int = 0) -> bool:
    """``other`` says ``block`` again with up to ``LOOP_NEAR_WORDS`` words left out or put in,
    pronouns swapped for their nouns (or back), and at most ``swaps`` lower-case words changed
    one for one; none of the words left out, put in or changed a figure or a negation, and no
    name changed: those say something else."""
    if len(other) != len(block):
        return False
    cased_a, cased_b = words_of(" ".join(block), cased=True), words_of(" ".join(other), cased=True)
    a, b = [w.lower() for w in cased_a], [w.lower() for w in cased_b]
    added: list[str] = []
    changed: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = a[i1:i2], b[j1:j2]
        if op == "equal" or (op == "replace" and _coreference(old, new)):
            continue
        if op == "replace" and len(old) == len(new) == 1:
            if not (cased_a[i1].islower() and cased_b[j1].islower()) or {*old, *new} & _COUNT_WORDS:
                return False  # a name or a count changed ("the Anping district", "the second grade")
            changed += old + new
        elif op == "replace":
            return False
        else:
            added += old + new
    return len(added) <= LOOP_NEAR_WORDS and len(changed) <= 2 * swaps and not _alters_meaning(added + changed)


def _alters_meaning(words: list[str]) -> bool:
    """Some of ``words`` is a figure or a negation: said again with it put in, left out or
    changed, a sentence says something else."""
    return any(w in _NEGATIONS or any(c.isdigit() for c in w) for w in words)


def _coreference(old: list[str], new: list[str]) -> bool:
    """One side is a lone pronoun and the other a short phrase without a figure or a negation:
    the noun the pronoun stands for ("it" and "the article")."""
    pronoun, phrase = (old, new) if len(old) == 1 and old[0] in _PRONOUNS else (new, old)
    return (
        len(pronoun) == 1
        and pronoun[0] in _PRONOUNS
        and 0 < len(phrase) <= LOOP_PRONOUN_PHRASE
        and not all(w in _PRONOUNS for w in phrase)  # "his" for "her" is another person
        and not _alters_meaning(phrase)
    )


def _drop_repeated_passages(text: str) -> str:
    """``text`` without the later copies of a passage it says again (``LOOP_PASSAGE_*``, or one
    sentence of ``LOOP_LONG_STRETCH`` letters), and without a trailing copy the token limit cut
    short; what is new between and after the copies stays."""
    pieces = [text[start:end] for start, end in sentences(text)]
    keys = [_key(p) for p in pieces]
    drop: set[int] = set()
    for later in range(1, len(keys)):
        if later in drop:
            continue
        for earlier in range(later):
            if earlier in drop or keys[earlier] != keys[later] or _letters(keys[earlier]) < LOOP_SENTENCE_LETTERS:
                continue
            length = 0
            while (
                later + length < len(keys)
                and earlier + length < later
                and keys[earlier + length] == keys[later + length]
            ):
                length += 1
            end = later + length
            # The copy runs to the end but its last sentence was cut: "... The city will gr".
            partial = end == len(keys) - 1 and earlier + length < later and keys[earlier + length].startswith(keys[end])
            copied = keys[later : end + (1 if partial else 0)]
            letters = _letters("".join(copied))
            whole = (length >= LOOP_PASSAGE_SENTENCES and letters >= LOOP_PASSAGE_LETTERS) or any(
                _letters(key) >= LOOP_LONG_STRETCH for key in keys[later:end]
            )
            # A copy that runs into the end of the reply, two sentences or more, the last maybe
            # cut, need only be as long as a back-to-back stretch: the token limit stopped it.
            cut_short = (end == len(keys) or partial) and len(copied) >= 2 and letters >= LOOP_LONG_STRETCH
            if whole or cut_short:
                drop.update(range(later, end + (1 if partial else 0)))
                break
    if not drop:
        return text
    return "".join(p for i, p in enumerate(pieces) if i not in drop)


# The same item LOOP_REPEATS times in one list: "such as using a strong heart, using a strong
# heart, and using a strong heart" (Qwen 1.5B on the Cantonese talk), "加強防災宣導工作、加強防災
# 宣導工作、加強防災宣導工作". No writer lists a thing three times; an item must hold
# LOOP_SENTENCE_LETTERS letters, so "again and again and again" and a chant stay text, and no
# figure, so equal amounts ("NT$5 million, NT$5 million and NT$5 million") stay data. An English
# item starts and ends at a word's edge; Chinese has no spaces to mark one. An item is a phrase:
# bounding its length keeps the search linear on a long reply without commas.
LOOP_ITEM_CHARS = 100
_REPEATED_ITEM = re.compile(
    r"(?<![A-Za-z0-9])(?P<item>[^\W\d_][^,，、;；.。!?！？\n\d]{0,%d}?)"
    r"(?:(?:\s*[,，、]\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+|及|和|與)(?P=item)(?![A-Za-z0-9])){%d,}"
    % (LOOP_ITEM_CHARS, LOOP_REPEATS - 1)
)


def _drop_repeated_items(text: str) -> str:
    """``text`` with a list that names one item ``LOOP_REPEATS`` times or more cut to the item."""

    def one(match: re.Match[str]) -> str:
        item = match.group("item")
        return item if _letters(item) >= LOOP_SENTENCE_LETTERS else match.group(0)

    return _REPEATED_ITEM.sub(one, text)


def _starts_over(rest: list[str], block: list[str]) -> bool:
    """``rest`` is the start of another copy of ``block``, its last sentence possibly cut."""
    *whole, last = rest
    return whole == block[: len(whole)] and block[len(whole)].startswith(last)


def _key(sentence: str) -> str:
    """A sentence as loops are compared: spacing folded, its end and a list item's number
    dropped (a small model loops through a numbered list: "31. Using a sign to attract
    tenants", "32. Using a sign to attract tenants", ...)."""
    return _LIST_NUMBER.sub("", _SPACES.sub(" ", sentence).strip(), count=1).rstrip("。！？!?；;.")


# -- figures -----------------------------------------------------------------------------------
#
# Every figure of an output is read into a value and a kind, and so is every figure of its
# source, in either language: 2350億, 兩千三百五十億 and "235 billion" are all 2.35e11. An
# output figure is supported when some source figure of a compatible kind has its value, up
# to the output's own rounding. The derivations allowed are the ones a faithful translator
# makes and no others:
#   - a unit change: 萬 and 億 to thousands, millions and billions (the value is the same);
#   - rounding: "2.3 billion" for 23.47億, within half a unit of the output's last digit and
#     at most ROUNDING (5%) of the value, so "100,000" cannot stand for 120,000;
#   - 成 and 折 as percent (三成 = 30%; 七折 = 70% of the price, so also 30% off), 百分點 as
#     percentage points;
#   - a fraction as its share or its percent, rounded to 0, 1 or 2 decimals (三分之一 = "one
#     third", "one in three", 33% or 33.3%; 千分之三 = 0.3%; 一半 = 50%), and a half (兩個半小時 =
#     2.5 hours); the numbers of a fraction are never figures alone (三分之二 is no "three");
#   - the unit a range or pair shares (3至5萬 = 30,000 to 50,000; 三、四十 = 30 or 40), and the
#     round number of an approximation (近百 = 100, 逾千 = 1,000, 十多萬 = 100,000);
#   - a 民國 year as the Gregorian one (113年 = 2024).
# Some figures are more than a value, and only a source figure of the same kind supports them:
#   - a date or a month is one figure ("June 30", "30 June 2024", "2024-06-30", "March 2025",
#     "in July"): a source date with the same parts, never the same numbers anywhere;
#   - a bare year ("in 2024") comes only from a year of the source: 2024年, 民國113年, (113)年,
#     or a four-digit number that counts nothing (2025城鎮韌性演習), never from 2024件;
#   - a number after a name the source writes in Latin letters ("Grok 2") comes only from that
#     name with that number ("Grok 3.5" does not support it).
# A percentage the output computes from two source figures is not traced: it is flagged.

# How much of a text's start tells its script: an article does not change language halfway,
# and reading all of a long one was most of the check's cost.
SCRIPT_SAMPLE = 2000
# The most an output figure may differ from its source when it is rounded (relative).
ROUNDING = 0.05

# Full-width digits and signs as ASCII. The full-width comma stays: in Chinese it separates
# clauses ("共10，20人" is a list), never thousands.
_FULLWIDTH = str.maketrans("０１２３４５６７８９％．○", "0123456789%.〇")
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12,
}
_WORD_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_WORD_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS = {
    "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "hundredth": 100,
}
# Words that are numbers far more often as idiom than as a claim ("one of the largest", "the
# first AI", "a second version"): never read as figures.
_IDIOMS = {"one", "first", "second", "zero"}
# Every word that counts, from the tables above: a template's changed word is never one, since
# "the first grade" and "the second grade" say different things (``_near_copy``).
_COUNT_WORDS = frozenset(
    {*_WORD_UNITS, *_WORD_TENS, *_ORDINALS, *_IDIOMS, "hundred", *(w for w in _SCALES if len(w) > 2), "half", "twice", "once"}
)

_EN_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_EN_SCALE = r"(?:\s*(?:thousand|million|billion|trillion)\b|\s?(?:bn|mn|tn)\b|(?<=\d)[mkb]\b)"
_EN_PERCENT = r"(?:\s*(?:%|per\s?cent\b|percentage\s+points?\b|pct\b|points?\b(?=\s+(?:higher|lower|up|down))))"
_EN_CURRENCY = r"(?:(?:US|NT|HK|A|C|S)\$|\$|€|£|¥|RMB\s?|NTD\s?|USD\s?|TWD\s?)"
_EN_WORD = "|".join(sorted([*_WORD_UNITS, *_WORD_TENS, *_ORDINALS, "hundred"], key=len, reverse=True))
# A number in English: digits (not glued to letters, as in "Qwen3", "o1", "COVID-19", "v0.7.1"),
# an optional scale, an optional percent; or number words, with or without a scale.
_EN_FIGURE = re.compile(
    rf"(?<![A-Za-z\d.])(?<![A-Za-z]-)(?P<cur>{_EN_CURRENCY})?(?P<num>{_EN_NUMBER})(?![.,]?\d)(?!(?!(?:st|nd|rd|th|s|bn|mn|tn|[mkb])\b)[A-Za-z_])"
    rf"(?P<ord>st|nd|rd|th)?(?P<scale>{_EN_SCALE})?(?P<pct>{_EN_PERCENT})?"
    rf"|(?<![\w-])(?P<words>(?:{_EN_WORD})\b(?:[\s-]+(?:{_EN_WORD})\b)*)(?P<wscale>\s*(?:thousand|million|billion|trillion)\b)?(?P<wpct>{_EN_PERCENT})?",
    re.IGNORECASE,
)
# Figures of speech that a translator adds for 全年無休 or 全天候 without any number in the source.
_EN_IDIOM = re.compile(r"\b24/7\b|\b24-hours?\b|\b24 hours a day\b|\bseven days a week\b|\b365 days a year\b", re.IGNORECASE)
_EN_A_SCALE = re.compile(r"\b(?:a|one)\s+(thousand|million|billion|trillion)\b", re.IGNORECASE)
# A fraction: "one third", "two-thirds", "three quarters", "a fifth of", "two and a half",
# "1/3", "one in three". Its denominator is an ordinal, so "a third straight quarter" stays the
# ordinal: "a" makes a fraction only before "of" or after "and" ("two and a half"). "One
# hundredth" is left out: it is an anniversary more often than a share.
_EN_DENOMINATORS = {"half": 2, "quarter": 4, "quarters": 4} | {
    form: value for word, value in _ORDINALS.items() if value < 100 for form in (word, word + "s")
}
_EN_UNIT_WORD = "|".join(sorted(_WORD_UNITS, key=len, reverse=True))
_EN_FRACTION = re.compile(
    rf"(?<![\w-])(?:(?P<whole>{_EN_NUMBER}|{_EN_WORD})[\s-]+and[\s-]+(?=a[\s-]+half\b))?"
    rf"(?P<n>an?|{_EN_UNIT_WORD})[\s-]+"
    rf"(?P<d>{'|'.join(sorted(_EN_DENOMINATORS, key=len, reverse=True))})(?![\w-])(?P<of>\s+of\b)?"
    r"|(?<![\w/.,-])(?P<dn>\d)/(?P<dd>\d|10)(?![\w/.,-])"
    rf"|(?<![\w.,-])(?P<in>\d|{_EN_UNIT_WORD})\s+(?:in|out\s+of)\s+(?:every\s+)?(?P<of_every>\d{{1,3}}|{_EN_WORD})(?![\w.,-])",
    re.IGNORECASE,
)
# "40 to 45 billion", "40-45%": the scale or percent of the second number belongs to the first.
_EN_RANGE_JOIN = re.compile(r"^\s*(?:to|-|–|—|and|or)\s*$", re.IGNORECASE)
_PHRASE_STOP = {"of", "in", "for", "from", "with"}
# Words that end the phrase a figure counts ("600 million and ...", "2024 when ...").
_FUNCTION_WORDS = frozenset(
    "a an the and or but nor so than as that which who whom whose when while where after before since "
    "is are was were be been being has have had do does did will would can could shall should may might must "
    "it its they their them he his she her we our you your this these those there to on at by per each".split()
)
_WORD_AFTER = re.compile(r"\s*([A-Za-z][A-Za-z'-]*)")

# -- dates and years, English side --
# A date's (year, month, day), each None when not written.
DateParts = tuple[int | None, int | None, int | None]
# A date is one figure: "June 3" is wrong for 6月30日 even though the article has a 3 somewhere.

# The English month names, in order (not ``calendar.month_name``, which follows the host's locale).
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
_MONTH_ABBREVIATIONS = {"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sept": 9, "Sep": 9,
                        "Oct": 10, "Nov": 11, "Dec": 12}
_MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, 1)} | {
    abbreviation.lower(): number for abbreviation, number in _MONTH_ABBREVIATIONS.items()
}
# Capitalized only: "may" and "march" are verbs. An abbreviation's full stop is its own ("Apr. 2");
# after a full name it ends the sentence ("the 2nd of April."), and is no part of the date.
_EN_FULL_MONTH = rf"(?:{'|'.join(MONTH_NAMES)})\b"
_EN_MONTH = rf"(?:{_EN_FULL_MONTH}|(?:{'|'.join(_MONTH_ABBREVIATIONS)})\b\.?)"
_EN_YEAR_DIGITS = r"(?:1\d{3}|2[01]\d{2})"
_EN_YEAR = rf"{_EN_YEAR_DIGITS}(?![\d,.]?\d)"
_EN_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?![\d:])"
_EN_DATE = re.compile(
    rf"(?<![\d.])(?P<iy>{_EN_YEAR_DIGITS})(?P<sep>[-/.])(?P<im>0?[1-9]|1[0-2])(?P=sep)(?P<id>[12]\d|3[01]|0?[1-9])(?![\d.]?\d)"
    rf"|(?P<m1>{_EN_MONTH})\s+(?P<d1>{_EN_DAY})(?:\s*(?:-|–|to|through)\s*(?P<d1b>{_EN_DAY}))?(?:,?\s+(?P<y1>{_EN_YEAR}))?"
    rf"|(?<![\d.])(?P<d2>{_EN_DAY})\s+(?:of\s+)?(?P<m2>{_EN_MONTH})(?:,?\s+(?P<y2>{_EN_YEAR}))?"
    rf"|(?P<m3>{_EN_MONTH}),?\s+(?P<y3>{_EN_YEAR})"
    rf"|(?P<m4>{_EN_FULL_MONTH})"
)
# "May" alone is a month only after a word that introduces a time ("in May", "by mid-May").
_EN_MAY_BEFORE = re.compile(
    r"(?:\b(?:in|since|until|till|by|from|through|to|of|early|late|mid|end|during|last|next|this|before|after|and|or)[\s-]+)\Z",
    re.IGNORECASE,
)
# Words ending in s that are no plural noun: after them a four-digit number is still a year
# (after "residents" it counts: "1805 residents").
_NOT_PLURAL = frozenset(
    "was is has as this its his us does plus thus less unless across always perhaps whereas news "
    # verbs a year is the subject of ("2028 ends the plan period")
    "ends marks sees begins starts brings opens closes comes remains promises looks".split()
)
# Capitalized words before a number that are no name ("In 2024", "About 20", "Nearly 100").
_NOT_NAMES = frozenset(
    "about nearly almost around over under some only just roughly approximately more less fewer top "
    "until till through from into since during between among also even".split()
)
_NAME_BEFORE = re.compile(r"(?<![\w'’.-])([A-Za-z][A-Za-z]*[A-Z][A-Za-z]*|[A-Z][A-Za-z]*) \Z")


def english_dates(text: str) -> list[Figure]:
    """The dates and months of an English text, each one figure with its (year, month, day)."""
    found: list[Figure] = []
    for match in _EN_DATE.finditer(text):
        group = match.group
        parts: list[DateParts]
        if group("iy"):
            parts = [(int(group("iy")), int(group("im")), int(group("id")))]
        elif group("m1"):
            month, year = _month(group("m1")), int(group("y1")) if group("y1") else None
            parts = [(year, month, _day(group("d1")))]
            if group("d1b"):
                parts.append((year, month, _day(group("d1b"))))
        elif group("m2"):
            parts = [(int(group("y2")) if group("y2") else None, _month(group("m2")), _day(group("d2")))]
        elif group("m3"):
            parts = [(int(group("y3")), _month(group("m3")), None)]
        else:
            if group("m4") == "May" and not _EN_MAY_BEFORE.search(text, max(0, match.start() - 12), match.start()):
                continue
            parts = [(None, _month(group("m4")), None)]
        end = match.end()
        for date in parts:
            found.append(Figure(0.0, False, 0.0, text[match.start() : end], match.start(), end, "date", date))
    return found


def _month(name: str) -> int:
    return _MONTHS[name.rstrip(".").lower()]


def _day(text: str) -> int:
    return int(re.match(r"\d+", text).group())  # type: ignore[union-attr]


def _counts_the_next_word(text: str, end: int) -> bool:
    """Whether the word after a number (ending at ``end``) says it counts something: a plural
    ("1805 residents"), or a word hyphened to it ("a 2000-page book", "a 1500-seat hall")."""
    if text[end : end + 1] == "-" and text[end + 1 : end + 2].isalpha():
        return True
    word = _WORD_AFTER.match(text, end)
    if not word or text[end : word.start(1)] != " ":
        return False
    lowered = word.group(1).lower()
    return len(lowered) > 2 and lowered.endswith("s") and not lowered.endswith("ss") and lowered not in _NOT_PLURAL


def _name_before(text: str, start: int) -> str:
    """The name a number follows ("Grok" for "Grok 2"), or ""."""
    match = _NAME_BEFORE.search(text, max(0, start - 30), start)
    if not match:
        return ""
    word = match.group(1)
    lowered = word.lower()
    if lowered in _FUNCTION_WORDS or lowered in _PHRASE_STOP or lowered in _NOT_NAMES or lowered in _MONTHS:
        return ""
    return word


_ZH_DIGITS = "零〇一二兩三四五六七八九"
# The Simplified forms of the numerals and counters below, each to its Traditional one.
_TRADITIONAL_NUMERALS = str.maketrans(
    "万亿两点个项处页户辆张条笔栋层楼岁吨间届级余来号",
    "萬億兩點個項處頁戶輛張條筆棟層樓歲噸間屆級餘來號",
)
# Right before a number, what makes it part of a name: "Qwen3", "R-1".
_GLUED = re.compile(r"(?:[A-Za-z]|[A-Za-z]-)\Z")
# Right before a number of a Chinese output, a Latin name it belongs to: "Grok 2".
_OUTPUT_NAME = re.compile(r"(?<![A-Za-z])([A-Za-z]+) \Z")
_ZH_NUMERAL = rf"[{_ZH_DIGITS}○十廿卅百千萬億兆點]"
# What may come right before a number and change it (百分之三十, 千分之三, 民國113年, 第三): looked
# for behind each match, not in the pattern, where an optional prefix doubled the time of a scan.
_ZH_PREFIXES = ("百分之", "千分之", "萬分之", "民國", "第")
# Per hundred, thousand and ten thousand: 千分之三 is 0.3%.
_ZH_PER = {"百分之": 1.0, "千分之": 0.1, "萬分之": 0.01}
_ZH_UNITS = {"十": 10.0, "百": 100.0, "千": 1e3, "萬": 1e4, "億": 1e8, "兆": 1e12}
# A number; a round 百, 千, 萬 or 億 alone after a word that says about (近百, 逾千, 上萬, 破億) or
# before one that says more (百餘件, 千多人); then a fraction (三分之一), a unit after "more"
# (十多萬: 100,000 and more), a percent or counter, and a half (兩個半小時, 一年半, 一半).
_ZH_FIGURE = re.compile(
    rf"(?P<num>(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:[.．]\d+)?(?:{_ZH_NUMERAL}|\d)*|[{_ZH_DIGITS}十廿卅○]{_ZH_NUMERAL}*"
    rf"|[百千萬](?=[餘多來])|[百千萬億](?<=[近逾上破超].)(?!分之){_ZH_NUMERAL}*)"
    rf"(?:分之(?P<part>\d+(?:[.．]\d+)?|[{_ZH_DIGITS}十百千點]+))?"
    r"(?:[多餘來](?P<unit>[萬億兆]))?"
    r"(?P<post>\s*(?:[%％]|個百分點|百分點|成(?![功立長為員本果績就熟])|折(?![扣舊衷騰])|年)?)"
    r"(?P<half>個半(?=小時|月|鐘頭|世紀|星期|禮拜)|(?<=[年一])半(?![導島夜山場價決官徑年天日月數]))?"
)
# A half with no number before it, and what an English text may write for it: 過半 and 半數 are
# 50%, 半年 is six months, 半小時 thirty minutes, 半個月 fifteen days or two weeks, 半世紀 fifty
# years, 半價 50% (off). 半島, 半導體 and 半夜 are words, not halves.
_ZH_LONE_HALF = re.compile(
    r"(?<![\d一二兩三四五六七八九十個年])"
    r"(?:(?P<share>[過逾近超]半數?|超過半數?|半數)|半(?P<span>年|個?小時|個鐘頭?|個月|個?世紀|價))"
)
_ZH_HALF_SPANS = {"年": (6.0,), "小時": (30.0,), "鐘": (30.0,), "月": (15.0, 2.0), "世紀": (50.0,)}
# Between two numbers, what makes the second's unit the first's too: 3至5萬, 3-5%, 三、四十.
_ZH_RANGE_JOIN = re.compile(r"\s*(?:至|到|-|–|~|～|、)\s*")


# -- dates and years, Chinese side --
_ZH_SMALL = r"[0-9０-９]{1,2}|[一二三四五六七八九十廿卅]{1,3}"
# A month ("6月", "六月", "4至5月"), then what may surround it: a year before, a day after. Each
# piece is its own pattern, anchored on a character a date must hold: one pattern with the
# year optional in front tried every position of the text and cost more than all other checks.
_ZH_MONTH_CHAR = re.compile("月")
_ZH_MONTH = re.compile(rf"(?:(?P<m0>{_ZH_SMALL})\s*(?:至|到|-|–|~|～|、)\s*)?(?<![0-9０-９])(?P<m>{_ZH_SMALL})\s*\Z")
_ZH_NOT_MONTH = re.compile("份?[以之]")  # 6月以來 is fine, but 3個月 never gets here; 月份以 is no date
_ZH_YEAR_BEFORE = re.compile(
    r"(?:(?:西元|公元)?(?P<y>[0-9０-９]{4}|[〇○零一二三四五六七八九]{4})"
    r"|(?:中華民國|民國)?[（(]?(?P<roc>[0-9０-９]{2,3}|[〇○零一二三四五六七八九十百]{2,5})[)）]?)\s*年\s*\Z"
)
_ZH_DAY_AFTER = re.compile(
    rf"\s*(?P<d>{_ZH_SMALL})\s*[日號号](?:\s*(?:起)?\s*(?:至|到|-|–|~|～|、)\s*(?P<d2>{_ZH_SMALL})\s*[日號号])?"
)
# "昨(31)日", "今（16）日": a press release names the day and leaves the month to its date line.
_ZH_BARE_DAY = re.compile(r"[昨今明前本][（(](?P<d>[0-9０-９]{1,2})[)）]日")
# "2024-06-30", "2024/6/30", "113.6.30", "113/6/30".
_ZH_NUMERIC_DATE = re.compile(
    r"(?P<y>\d{2,4})(?P<sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=sep)(?P<d>[12]\d|3[01]|0?[1-9])(?![\d.]?\d)"
)
# "今(114)年", "去（113）年": a 民國 year in brackets.
_ZH_ROC_BRACKETS = re.compile(r"[（(](\d{2,3})[)）]\s*年")
# After a four-digit number, what makes it a count ("2000頁"), not a year ("2025城鎮韌性演習").
_ZH_COUNTED = frozenset("元人件名個位項次場所處案頁坪公分萬億千百戶家座台臺輛張本份篇間條尊幅筆隻架艘棟層樓歲天日週周月號秒點度倍款株噸里米克斤字期屆級多餘美%％")
def _small_number(text: str) -> int | None:
    """A small Chinese or Arabic number of a date: 30, ３０, 三十, 廿五, 一一三, 一百一十三."""
    value = chinese_number(text.replace("廿", "二十").replace("卅", "三十"))
    return int(value) if value is not None and value == int(value) else None


def chinese_dates(text: str) -> list[Figure]:
    """The dates and months of a Chinese text, each one figure with its (year, month, day):
    2024年6月30日, 6月30日, 113年6月30日 and 民國113年 (as 2024), 六月三十日, ２０２４年６月３０日,
    4至5月 (April and May), 2月1日至30日, 昨(31)日 (a day, its month not written), 2024-06-30."""
    found: list[tuple[int, int, DateParts]] = []
    for anchor in _ZH_MONTH_CHAR.finditer(text):
        end = anchor.end()
        match = _ZH_MONTH.search(text, max(0, anchor.start() - 12), anchor.start())
        if match is None or _ZH_NOT_MONTH.match(text, end):
            continue
        start = match.start()
        year = None
        if before := _ZH_YEAR_BEFORE.search(text, max(0, start - 12), start):
            start = before.start()
            if before.group("y"):
                year = _small_number(before.group("y"))
            else:
                roc = _small_number(before.group("roc"))
                year = roc + 1911 if roc and roc <= 200 else None
        month, day, day2 = _small_number(match.group("m")), None, None
        if after := _ZH_DAY_AFTER.match(text, end):
            end = after.end()
            day = _small_number(after.group("d"))
            day2 = _small_number(after.group("d2")) if after.group("d2") else None
        if match.group("m0"):
            found.append((start, end, (year, _small_number(match.group("m0")), None)))
        found.append((start, end, (year, month, day)))
        if day2 is not None:
            found.append((start, end, (year, month, day2)))
    full = [(start, (y, m, d)) for start, _, (y, m, d) in found if y is not None and m is not None and d is not None]
    for match in _ZH_BARE_DAY.finditer(text):
        day = _small_number(match.group("d"))
        # Its month is the one of the release's date line (the nearest full date before it, else
        # the first): 昨(31)日 in a release dated 114年1月1日 is 2024年12月31日.
        earlier = [date for start, date in full if start < match.start()]
        reference = earlier[-1] if earlier else full[0][1] if full else None
        if reference is None or day is None:
            found.append((match.start(), match.end(), (None, None, day)))
            continue
        ref_year, ref_month, ref_day = reference
        if day > ref_day:
            ref_year, ref_month = (ref_year - 1, 12) if ref_month == 1 else (ref_year, ref_month - 1)
        found.append((match.start(), match.end(), (ref_year, ref_month, day)))
    for match in _ZH_NUMERIC_DATE.finditer(text):
        # The lookbehind is checked here: in front of the pattern it made every position slow.
        year = int(match.group("y"))
        if (match.start() and text[match.start() - 1] in "0123456789.") or not (year <= 200 or 1000 <= year <= 2199):
            continue
        found.append((match.start(), match.end(), (year if year >= 1000 else year + 1911, int(match.group("m")), int(match.group("d")))))
    return [
        Figure(0.0, False, 0.0, text[start:end], start, end, "date", (year, month, day))
        for start, end, (year, month, day) in sorted(found, key=lambda f: f[0])
        if (month is None or 1 <= month <= 12) and (day is None or 1 <= day <= 31)
    ]


@dataclass(frozen=True)
class Figure:
    """One figure read from a text.

    Attributes:
        value: its value in plain units (2350億 → 2.35e11, "30%" → 30.0).
        percent: it is a percentage or percentage points.
        tolerance: how far a source value may be from ``value`` for this figure to come from
            it (the rounding its last written digit allows; 0 for a source figure).
        text: the figure as written.
        start, end: where it is in the text.
        kind: what it counts, which says what in the source it may come from:
            ``"number"`` (a count, an amount, a percentage: any source number of its value);
            ``"year"`` (a year: only a year of the source, written as one, 2024年 or a bare
            2024 that counts nothing; in a source it also stands for the number);
            ``"roc"`` (a 民國 year of a source, as its Gregorian year: only a year, never a count);
            ``"any"`` (an output's four-digit number that may be a year or a count: "2028 ends");
            ``"decade"`` (an output's "1620s": a source year within it; "1600s" spans a century);
            ``"date"`` (a date or a month, with ``parts``: only a source date with those parts).
        parts: a date's (year, month, day), each None when not written ("June 30": (None, 6, 30);
            "March 2025": (2025, 3, None)).
        label: the name a number follows in an output ("Grok" of "Grok 2"): when the source
            writes that name in Latin letters, only the same name with the same number supports it.
    """

    value: float
    percent: bool
    tolerance: float
    text: str
    start: int
    end: int
    kind: str = "number"
    parts: DateParts | None = None
    label: str = ""


def _half_unit(number: str) -> float:
    """Half a unit of the last significant digit written: "2.35" → 0.005, "100,000" → 50,000."""
    digits = number.replace(",", "")
    if "." in digits:
        return 0.5 * 10 ** -len(digits.split(".")[1])
    stripped = digits.rstrip("0")
    return 0.5 * 10 ** (len(digits) - len(stripped)) if stripped else 0.5


def _words_value(words: str) -> float | None:
    """The value of number words ("twenty-five", "two hundred", "third"), or None."""
    value = 0.0
    for token in (t for t in re.split(r"[\s-]+", words.lower()) if t and t != "and"):
        if token in _WORD_UNITS:
            value += _WORD_UNITS[token]
        elif token in _WORD_TENS:
            value += _WORD_TENS[token]
        elif token == "hundred":
            value = (value or 1.0) * 100
        elif token in _ORDINALS:
            ordinal = _ORDINALS[token]
            value = value * ordinal if ordinal == 100 else value + ordinal
        else:
            return None
    return value


# The number of a list item: at the start of a line (after indentation or a quote mark), then
# "." or ")" and a space.
_LIST_NUMBER = re.compile(r"^[ \t>]*(\d{1,2})[.)][ \t]", re.MULTILINE)


def english_figures(text: str) -> list[Figure]:
    """Every figure of an English text that a claim rests on, with its value.

    Digits with separators and decimals, scales ("235 billion", "US$4.53bn"), percentages and
    percentage points, years and the numbers of dates, ordinals ("third straight quarter"),
    number words ("five districts", "two hundred"), fractions ("two thirds", "one in three",
    "two and a half"), and ranges ("NT$40 to 45 billion"). Numbers
    glued to letters are names ("Qwen3", "COVID-19") and idioms ("one of", "first") are words,
    so neither is read.
    """
    figures = english_dates(text) + _english_fractions(text)
    # The numbers of a date or a fraction are read with it, not again alone; a list's item numbers
    # ("7. **Costs**") count nothing (a live Cantonese summary's items 7 to 9 were flagged as figures).
    taken = (
        [m.span() for m in _EN_IDIOM.finditer(text)]
        + [(f.start, f.end) for f in figures]
        + [m.span(1) for m in _LIST_NUMBER.finditer(text)]
    )
    for match in _EN_FIGURE.finditer(text):
        if any(a <= match.start() < b for a, b in taken):
            continue
        if match.group("num") is not None:
            number = match.group("num")
            value = float(number.replace(",", ""))
            # Counts and years below 10,000 are written exactly ("400 years", "2020"); larger
            # round numbers ("100,000", "2.35 billion") may round their source.
            tolerance = _half_unit(number) if value >= 10_000 or "." in number or match.group("scale") else 0.0
            scale_text = (match.group("scale") or "").strip().lower()
            percent = bool(match.group("pct"))
        else:
            stripped = match.group("words")
            parsed = _words_value(stripped)
            scale_text = (match.group("wscale") or "").strip().lower()
            percent = bool(match.group("wpct"))
            if parsed is None or (stripped.lower() in _IDIOMS and not scale_text and not percent):
                continue
            value = parsed
            tolerance = 0.5 if not value.is_integer() else 0.0
        if len(scale_text) == 1 and not match.group("cur"):
            scale_text = ""  # "5m" is five metres; "$5m" is five million
        scale = _SCALES.get(scale_text, 1.0)
        end = match.end() if scale_text or percent or match.group("words") else match.end("ord") if match.group("ord") else match.end("num")
        while end > match.start() and text[end - 1].isspace():
            end -= 1
        kind, label = "number", ""
        bare = match.group("num") is not None and not (match.group("cur") or scale_text or percent)
        if bare and not match.group("ord"):
            number = match.group("num")
            # A bare four-digit number is a year ("in 2024", "the 1990s"), unless the word after
            # it says it counts (``_counts_the_next_word``): "1805 residents" counts, "2028 ends"
            # is a year, and only a parser of English could tell them apart, so either may trace it.
            if re.fullmatch(r"1\d{3}|2[01]\d{2}", number):
                if text.startswith("s", match.end("num")) and number.endswith("0"):
                    kind = "decade"
                else:
                    kind = "any" if _counts_the_next_word(text, match.end("num")) else "year"
            if "," not in number:
                label = _name_before(text, match.start())
        figures.append(
            Figure(value * scale, percent, tolerance * scale, text[match.start() : end], match.start(), end, kind, label=label)
        )
    for match in _EN_A_SCALE.finditer(text):
        scale = _SCALES[match.group(1).lower()]
        if not any(f.start <= match.start() < f.end for f in figures):
            figures.append(Figure(scale, False, 0.0, match.group(), match.start(), match.end()))
    figures.sort(key=lambda f: f.start)
    return _share_range_units(text, figures)


def _english_fractions(text: str) -> list[Figure]:
    """The fractions of an English text, each read as its share and as a percent rounded to a
    whole one ("one third" is 1/3, and 33% or 33.3% supports it); "two and a half" is 2.5."""
    found: list[Figure] = []
    for match in _EN_FRACTION.finditer(text):
        end = match.end()
        if match.group("dn") or match.group("in"):
            n, d = (match.group("dn"), match.group("dd")) if match.group("dn") else (match.group("in"), match.group("of_every"))
            share, whole = (int(x) if x.isdigit() else _words_value(x) or 0 for x in (n, d))
            if not 0 < share < whole <= 1000:
                continue  # "5/5" and "one in one" are no share
        else:
            n, d = match.group("n").lower(), match.group("d").lower()
            article = n in ("a", "an")
            share, whole = 1 if article else _WORD_UNITS[n], _EN_DENOMINATORS[d]
            if d.endswith("s") == (share == 1) or (article and not (match.group("of") or match.group("whole"))):
                continue  # "two third", "one thirds", "a third straight quarter"
            end = match.end("d")  # "a third", not "a third of"
        if match.group("whole"):
            number = match.group("whole")
            base = float(number.replace(",", "")) if number[0].isdigit() else _words_value(number)
            if base is not None:
                found.append(Figure(base + share / whole, False, 0.0, text[match.start() : end], match.start(), end))
            continue
        for value, percent, tolerance in ((share / whole, False, 0.0), (100 * share / whole, True, 0.5)):
            found.append(Figure(value, percent, tolerance, text[match.start() : end], match.start(), end))
    return found


def _share_range_units(text: str, figures: list[Figure]) -> list[Figure]:
    """A bare first number of a range takes the scale and percent of the second ("40 to 45 billion")."""
    out = list(figures)
    for i in range(len(out) - 1):
        first, second = out[i], out[i + 1]
        if not _EN_RANGE_JOIN.match(text[first.end : second.start]):
            continue
        bare = not re.search(r"[A-Za-z%]", first.text.lstrip("$€£¥"))
        if not bare:
            continue
        number = re.search(_EN_NUMBER, first.text)
        written = float(number.group().replace(",", "")) if number else first.value
        ratio = second.value / _plain(second.text) if _plain(second.text) else 1.0
        if ratio != 1.0 or second.percent:
            out[i] = Figure(written * ratio, second.percent, first.tolerance * ratio, first.text, first.start, first.end)
    return out


def _plain(text: str) -> float:
    """The number written in a figure's text, before its scale (0 when it has none in digits)."""
    number = re.search(_EN_NUMBER, text)
    if number:
        return float(number.group().replace(",", ""))
    parsed = _words_value(re.sub(r"\s*(thousand|million|billion|trillion).*$", "", text, flags=re.IGNORECASE))
    return parsed or 0.0


def chinese_number(text: str) -> float | None:
    """The value of a Chinese or mixed numeral: 兩千三百五十 → 2350, 2350億 → 2.35e11, 1萬5千 → 15000,
    1,260.5億 → 1.2605e11, 二〇二四 → 2024, 3兆 → 3e12. None when it is not one.

    cn2an reads Chinese and mixed numerals (萬 and 億 included); this adds what it does not:
    thousands separators, full-width digits, 兆, and ○ for zero.
    """
    text = text.translate(_FULLWIDTH).replace(",", "")
    if text[:1] in ("百", "千", "萬", "億"):  # 百餘件, 近千人, 逾百萬: "a hundred", "a thousand", "a million"
        text = "一" + text
    if "兆" in text:
        high, _, low = text.partition("兆")
        head = chinese_number(high) if high else 1.0
        tail = chinese_number(low) if low else 0.0
        return None if head is None or tail is None else head * 1e12 + tail
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    import cn2an  # imported on first use: about 150 ms, paid only by a text with Chinese numerals

    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


@functools.lru_cache(maxsize=4096)
def _numeral(raw: str) -> tuple[str, float] | None:
    """The longest numeral that ``raw`` starts with ("三千多" and other tails), and its value.
    Cached: an article and its summaries give the same numerals again and again, and cn2an
    takes most of a check's time."""
    value = chinese_number(raw)
    while value is None and len(raw) > 1:
        raw = raw[:-1]
        value = chinese_number(raw)
    return None if value is None else (raw, value)


def _shared_units(
    text: str, matches: list[re.Match[str]], numbers: list[tuple[str, float] | None]
) -> list[tuple[float, str, bool]]:
    """For each number of ``matches``, the scale and percent (or counter) it takes from the next
    one, and whether it may also be read bare.

    A bare first number of a range or pair takes the second's unit: 3至5萬 is 3萬 to 5萬, 三、四十
    is 30 to 40, 二十至三十萬 is 20萬 to 30萬, 3至5% is 3% to 5%. The unit is the longest run of
    units ending the second that keeps the first below it (三至十萬 is 3萬, not 30萬, to 10萬).
    Read from the last, so 3、4、5萬 passes 萬 along.
    """
    shared = [(1.0, "", False)] * len(matches)
    for i in range(len(matches) - 2, -1, -1):
        first, second = matches[i], matches[i + 1]
        join = text[first.end() : second.start()]
        head, tail = numbers[i], numbers[i + 1]
        if head is None or tail is None or not _ZH_RANGE_JOIN.fullmatch(join) or first.group("post").strip():
            continue
        if any(first.group(g) or second.group(g) for g in ("part", "unit", "half")):
            continue
        tail_scale, tail_post, _ = shared[i + 1]
        if tail_scale != 1.0:
            scales = [tail_scale]  # 3、4、5萬: the 4 took 萬 from 5萬
        else:
            scales, product = [], 1.0
            for char in reversed(tail[0]):  # 三十萬: 萬, then 十萬
                if char not in _ZH_UNITS:
                    break
                product *= _ZH_UNITS[char]
                scales.append(product)
        scale = max((s for s in scales if head[1] * s < tail[1] * tail_scale), default=1.0)
        post = second.group("post").strip().replace("％", "%") or tail_post
        if scale != 1.0 or post:
            # A list item's number opening a line ("一、") may be no part of a pair.
            listed = join.strip() == "、" and text[: first.start()].rstrip(" \t\u3000")[-1:] in ("", "\n")
            shared[i] = (scale, post, listed)
    return shared


# Two neighbouring digits before their unit say "one or the other": 三四十 is thirty or forty,
# 兩三萬 twenty or thirty thousand, 七八成 70% or 80%, 一兩天 one or two days. cn2an read them as
# 34, 23, 78 and 12. After tens they are the units digit: 十三四 is 13 or 14, 三十五六萬 350,000
# or 360,000.
_NEIGHBOURS = re.compile("((?:[一二兩三四五六七八九]?十)?)([一二兩三四五六七八])([二兩三四五六七八九])([十百千萬億]*)")


def _neighbour_digits(numeral: str) -> tuple[float, float] | None:
    """The two values of a numeral of two neighbouring digits and their unit (三四十 → 30, 40;
    十三四 → 13, 14), else ``None`` (二〇二四, 十三 and 二十三 are one number)."""
    match = _NEIGHBOURS.fullmatch(numeral)
    if match is None:
        return None
    tens = (chinese_number(match.group(1)) or 0.0) if match.group(1) else 0.0
    low, high = (chinese_number(match.group(i)) or 0.0 for i in (2, 3))
    if high != low + 1:
        return None
    unit = math.prod(_ZH_UNITS[c] for c in match.group(4))
    return (tens + low) * unit, (tens + high) * unit


def _rounded_percents(percent: float) -> list[float]:
    """A fraction's percent, exact and rounded to 0, 1 and 2 decimals when that stays within
    ROUNDING of it: 三分之一 is 33.33…%, 33.33%, 33.3% and 33%; 二百分之一 is 0.5%, never 1%."""
    rounded = (math.floor(percent * 10**k + 0.5) / 10**k for k in (0, 1, 2))
    return sorted({percent, *(r for r in rounded if abs(r - percent) <= ROUNDING * percent)})


def chinese_figures(text: str, *, output: bool = False) -> list[Figure]:
    """Every figure of a Chinese text, with the values a faithful English figure may take.

    Arabic and full-width digits, thousands separators, Chinese numerals (三千, 兩千三百五十,
    一萬五千), mixed forms (2350億, 1萬5千, 4萬7千人次), percent (30%, 百分之三十, 千分之三, 3成,
    七折, 3個百分點), fractions and halves (三分之一, 一半, 兩個半小時, 過半, 半年), round numbers of an
    approximation (近百, 逾千, 十多萬), ranges sharing a unit (3至5萬, 三、四十) and years (2024年,
    民國113年). A figure may give more than one value: 七折 is 70% (the price paid) and 30% (the
    discount), 113年 is also 2024, 三分之一 is 1/3 and 33%. With ``output`` (the text is the one
    checked, not its source), a number glued to Latin letters is a name ("Qwen3").
    """
    # The pattern's \d takes full-width digits too; chinese_number converts what it matched.
    # Simplified numerals and counters are read as their Traditional forms (14万件 as 14萬件):
    # one character for one, so every figure keeps its place, and its text, in ``text``.
    original, text = text, text.translate(_TRADITIONAL_NUMERALS)
    figures = chinese_dates(text)
    # The month and day of a date are read with it, never as counts (the 30 of 6月30日 is not
    # "30 years"); its year is read as a year below too, so "in 2024" finds 2024年2月2日.
    taken = [(f.start, f.end) for f in figures]
    for match in _ZH_ROC_BRACKETS.finditer(text):
        figures.append(Figure(float(int(match.group(1)) + 1911), False, 0.0, match.group(), *match.span(), "roc"))
    matches = list(_ZH_FIGURE.finditer(text))
    numbers = [_numeral(match.group("num")) for match in matches]
    shared = _shared_units(text, matches, numbers)
    for match, number, (scale, shared_post, keep_bare) in zip(matches, numbers, shared):
        if any(a <= match.start() < b for a, b in taken) and (output or not match.group("post").strip().startswith("年")):
            continue
        label = ""
        if output and (name := _OUTPUT_NAME.search(text, max(0, match.start() - 30), match.start())):
            label = name.group(1)
        if output and _GLUED.search(text, max(0, match.start() - 2), match.start()):
            continue
        if number is None:
            continue
        raw, value = number
        half, part = match.group("half"), match.group("part")
        # 三四十 is thirty or forty, not 34: both are figures of the text.
        neighbours = None if part is not None or half else _neighbour_digits(match.group("num"))
        values = list(neighbours) if neighbours else [value]
        if match.group("unit"):
            values = [v * _ZH_UNITS[match.group("unit")] for v in values]  # 十多萬: 100,000 and more
        begin = match.start()
        pre = next((p for p in _ZH_PREFIXES if begin >= len(p) and text.startswith(p, begin - len(p))), "")
        post = (match.group("post") or "").strip().replace("％", "%")
        span = (begin - len(pre), match.end())
        source = text[span[0] : span[1]]

        def add(v: float, percent: bool, kind: str = "number") -> None:
            figures.append(Figure(v, percent, 0.0, source, *span, kind, label=label))

        if keep_bare:
            for v in values:
                add(v, False)  # "一、" opening a line numbers a list item: 一、二十年來 may be item one
        if scale != 1.0 or shared_post:
            values, post = [v * scale for v in values], post or shared_post
        if part is not None or (half == "半" and raw == "一" and not post):
            # 三分之一 is a third, 一半 a half: as the fraction or the percent, never its numbers apart.
            share, whole = (chinese_number(part), values[0]) if part is not None else (1.0, 2.0)
            if share is None or not whole:
                continue
            add(share / whole, False)
            for percent in _rounded_percents(100 * share / whole):
                add(percent, True)
            continue
        for value in values:
            if half:
                value += 0.5  # 兩個半小時: 2.5 hours; 一年半: 1.5 years
            if pre in _ZH_PER or post in ("%", "個百分點", "百分點"):
                add(value * _ZH_PER.get(pre, 1.0), True)
                if pre in ("千分之", "萬分之"):
                    add(value, False)  # "3 per thousand"
            elif post == "成":
                add(value * 10, True)
                add(value, False)  # "Grok 3.5成為…" is a name before a verb, not 35%
            elif post == "折":
                paid = value * 10 if value < 10 else value  # 七折 → 70%, 75折 → 75%
                add(paid, True)
                add(100 - paid, True)
            else:
                plain = raw.translate(_FULLWIDTH)
                # What comes right after the digits: "2026台" counts machines, "展望2026 台南" is a year.
                after = text[match.end("num") : match.end("num") + 1]
                year = value.is_integer() and 1000 <= value <= 2199 and pre != "第" and not neighbours and (
                    (post == "年" and pre != "民國")
                    or (not post and re.fullmatch(r"\d{4}", plain) is not None and after not in _ZH_COUNTED)
                )
                add(value, False, "year" if year else "number")
                if post == "年" and value.is_integer() and (pre == "民國" or 30 <= value <= 200):
                    add(value + 1911, False, "roc")  # 民國 years: 113年 is 2024, as a year only
    figures += _lone_halves(text)
    if original == text:
        return figures
    return [
        replace(f, text=original[f.start : f.end]) if text[f.start : f.end] == f.text else f for f in figures
    ]


def _lone_halves(text: str) -> list[Figure]:
    """The halves of a Chinese text written without a number (過半, 半年, 半小時): each as 0.5
    and as what an English text writes for it (50%, six months, thirty minutes)."""
    found = []
    for match in _ZH_LONE_HALF.finditer(text):
        span, where = match.group("span"), (match.group(), *match.span())
        found.append(Figure(0.5, False, 0.0, *where, "number"))
        if match.group("share") or span == "價":
            found.append(Figure(50.0, True, 0.0, *where, "number"))
            continue
        unit = next(key for key in _ZH_HALF_SPANS if span.endswith(key) or span.startswith("個" + key))
        found += [Figure(value, False, 0.0, *where, "number") for value in _ZH_HALF_SPANS[unit]]
    return found


def _is_chinese(text: str) -> bool:
    """Whether ``text`` is mostly Chinese, read from its start (see ``SCRIPT_SAMPLE``)."""
    return mostly_chinese(text[:SCRIPT_SAMPLE])


def figures(text: str, chinese: bool | None = None, *, output: bool = False) -> list[Figure]:
    """The figures of a text in either language: Chinese when it is mostly Chinese (or when
    ``chinese`` says so: the caller may know already), else English. ``output``: the text is
    the one checked, so names with numbers ("Qwen3") are not read as figures."""
    if chinese is None:
        chinese = _is_chinese(text)
    return chinese_figures(text, output=output) if chinese else english_figures(text)


def supported(figure: Figure, sources: list[Figure]) -> bool:
    """Whether ``figure`` could come from one of ``sources`` (same value up to its rounding, a
    year from a year, a date from a date with the same parts)."""
    return _trace(figure, _Sources("", sources)) is not None


class _Sources:
    """The figures of a source, sorted by what they can support, and its text for names."""

    def __init__(self, text: str, found: list[Figure]) -> None:
        self.text = text
        self.found = found
        self.dates = [f for f in found if f.kind == "date"]
        self.years: dict[float, Figure] = {}
        for f in found:
            if f.kind in ("year", "roc", "any", "decade"):
                self.years.setdefault(f.value, f)
            elif f.kind == "date" and f.parts and f.parts[0] is not None:
                self.years.setdefault(float(f.parts[0]), f)
        self._named: dict[str, list[Figure]] = {}
        self._mentions: dict[str, bool] = {}

    def mentions(self, name: str) -> bool:
        """Whether the source writes ``name`` in Latin letters, as a word of its own."""
        if name not in self._mentions:
            pattern = rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])"
            self._mentions[name] = re.search(pattern, self.text, re.IGNORECASE) is not None
        return self._mentions[name]

    def named(self, name: str) -> list[Figure]:
        """The numbers the source writes right after ``name`` ("Grok 3.5", "Qwen3")."""
        key = name.lower()
        if key not in self._named:
            pattern = rf"(?<![A-Za-z]){re.escape(name)}[ -]?(\d+(?:\.\d+)?)(?!\.?\d)"
            self._named[key] = [
                Figure(float(match.group(1)), False, 0.0, match.group(), *match.span(), label=name)
                for match in re.finditer(pattern, self.text, re.IGNORECASE)
            ]
        return self._named[key]


def _trace(figure: Figure, sources: _Sources) -> Figure | None:
    """The source figure ``figure`` could come from, or None."""
    if figure.kind == "date":
        return _trace_date(figure.parts or (None, None, None), sources)
    exact = 1e-9 * max(1.0, abs(figure.value))
    if figure.label and sources.mentions(figure.label):
        # "Grok 2" where the article names Grok: only Grok with the same number supports it.
        return next((f for f in sources.named(figure.label) if abs(f.value - figure.value) <= exact), None)
    if figure.kind in ("year", "roc", "any") and (year := sources.years.get(figure.value)):
        return year
    if figure.kind == "decade":
        # "the 1620s" for 1624年; "the 1600s" (a century, or its first decade) for 1602年 or 17世紀's years.
        width = 100 if figure.value % 100 == 0 else 10
        return next((f for y, f in sources.years.items() if figure.value <= y < figure.value + width), None)
    if figure.kind != "any" and figure.kind != "number":
        return None
    allowance = min(figure.tolerance, ROUNDING * abs(figure.value)) + exact
    for source in sources.found:
        if source.kind in ("date", "roc") or (figure.percent and not source.percent):
            continue
        if abs(source.value - figure.value) <= allowance:
            return source
    if figure.text[-2:].lower() in ("st", "nd", "rd", "th"):
        # "the 31st" for 昨(31)日: an ordinal may name the day of a source date (a count may not).
        return next((d for d in sources.dates if d.parts and d.parts[2] == figure.value), None)
    return None


def _trace_date(parts: DateParts, sources: _Sources) -> Figure | None:
    """The source date a date of the output could come from: same month, same day when the output
    writes one, and the same year when it writes one (a source date without its year takes any
    year the source states: 6月30日 in a release dated 2024年 supports "June 30, 2024")."""
    year, month, day = parts
    for source in sources.dates:
        s_year, s_month, s_day = source.parts or (None, None, None)
        if s_month is None:
            # 昨(31)日: a day whose month the source leaves to its date line.
            if day is None or s_day != day:
                continue
        elif (month is not None and s_month != month) or (day is not None and s_day != day):
            continue
        if year is not None and s_year != year and not (s_year is None and float(year) in sources.years):
            continue
        return source
    return None


# -- claims: what an output says that its source does not --------------------------------------


@dataclass(frozen=True)
class Claim:
    """A claim of an output that its source does not support.

    Attributes:
        phrase: the words of the output that hold it, as written ("2.35 billion parameters").
        sentence: the output sentence it is in (what a repair request rewrites).
        kind: ``"figure"`` or ``"name"``.
        value: the figure's value (None for a name and for a date).
        figure: the figure of the output (None for a name).
    """

    phrase: str
    sentence: str
    kind: str
    value: float | None = None
    figure: Figure | None = None


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, its end and following space included; a list
    item's number ("12. ") starts its item's sentence, not one of its own."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > position:
            number = _LIST_NUMBER.match(text, position)
            if number and not text[number.end() : match.end()].strip():
                continue  # only an item's number: the item's text ends this sentence
            spans.append((position, match.end()))
            position = match.end()
    if position < len(text):
        spans.append((position, len(text)))
    return spans


def _sentence_at(text: str, spans: list[tuple[int, int]], index: int) -> str:
    for start, end in spans:
        if start <= index < end:
            return text[start:end].strip()
    return text.strip()


def _phrase(text: str, figure: Figure) -> str:
    """The figure and the words it counts: "2.35 billion parameters", "1,000,000 derivative
    models", "US$4.53 billion in cash" (a preposition takes the next word too)."""
    end = figure.end
    content = 0
    while content < 2:
        word = _WORD_AFTER.match(text, end)
        if not word or text[end : word.start(1)].strip():
            break
        lowered = word.group(1).lower()
        if lowered in _PHRASE_STOP:
            end = word.end(1)
            continue
        if lowered in _FUNCTION_WORDS or (content and lowered.endswith(("ed", "ly"))):
            break
        end = word.end(1)
        content += 1
        if lowered.endswith("s") or word.end(1) == len(text) or text[word.end(1)] != " ":
            break  # a plural noun ends the phrase ("2.35 billion parameters")
    return text[figure.start : end]


@dataclass(frozen=True)
class Trace:
    """One figure of an output and what in its source it was traced to.

    Attributes:
        figure: the figure of the output (a date or month is one figure).
        phrase: the words of the output that hold it (what ``Summary.unsupported`` lists).
        sentence: the output sentence it is in.
        source: the figure of the source it can come from; None when none can (unsupported).
    """

    figure: Figure
    phrase: str
    sentence: str
    source: Figure | None


def trace(output: str, source: str, *, scripts: tuple[bool, bool] | None = None) -> list[Trace]:
    """Every figure of ``output``, in output order, with the source figure it was traced to.

    A figure read more than one way (113年 as 113 or as the year 2024, 七折 as 70% or 30% off) is
    traced when any reading is. ``scripts`` is (output is mostly Chinese, source is mostly
    Chinese), when already known.
    """
    output_chinese, source_chinese = scripts or (_is_chinese(output), _is_chinese(source))
    sources = _Sources(source, figures(source, source_chinese))
    spans = sentences(output)
    readings: dict[tuple[object, ...], list[Figure]] = {}
    for figure in figures(output, output_chinese, output=True):
        # Each date of a range ("June 1-30") is its own claim; other figures of one span are readings.
        key = (figure.start, figure.end, figure.parts) if figure.kind == "date" else (figure.start, figure.end)
        readings.setdefault(key, []).append(figure)
    traces: list[Trace] = []
    for options in readings.values():
        found = next(((f, s) for f in options if (s := _trace(f, sources)) is not None), None)
        figure, origin = found or (options[0], None)
        named = bool(figure.label) and sources.mentions(figure.label)
        if named or figure.kind == "date":
            # A date, or a name with its number ("Grok 2"), is the whole claim: no words follow it.
            phrase = output[figure.start - len(figure.label) - 1 if named else figure.start : figure.end]
        else:
            phrase = _phrase(output, figure)
        traces.append(Trace(figure, phrase, _sentence_at(output, spans, figure.start), origin))
    traces.sort(key=lambda t: t.figure.start)
    return traces


def unsupported_figures(output: str, source: str, *, scripts: tuple[bool, bool] | None = None) -> list[Claim]:
    """The figures of ``output`` that no figure of ``source`` could come from, in output order.

    ``scripts`` is (output is mostly Chinese, source is mostly Chinese), when already known.
    """
    return [
        Claim(t.phrase, t.sentence, "figure", None if t.figure.kind == "date" else t.figure.value, t.figure)
        for t in trace(output, source, scripts=scripts)
        if t.source is None
    ]


def check(output: str, source: str, *, glossary: dict[str, str] | None = None) -> tuple[Claim, ...]:
    """Every claim (figure or name) of ``output`` that ``source`` does not support.

    Args:
        output: a summary or a translation, English or Chinese.
        source: the text it was made from.
        glossary: source names → the forms the output was held to; a glossary form in the
            output supports its name when the source holds the name.

    Example::

        >>> [c.phrase for c in check("Qwen3 has 2.35 billion parameters.", "Qwen3擁有2350億個參數。")]
        ['2.35 billion parameters']
    """
    # Which script each side is in is read once.
    scripts = (_is_chinese(output), _is_chinese(source))
    claims = unsupported_figures(output, source, scripts=scripts)
    claims += unsupported_names(output, source, glossary or {}, scripts=scripts)
    return tuple(sorted(claims, key=lambda c: output.find(c.phrase)))


# -- names -------------------------------------------------------------------------------------
#
# A name in an English summary is flagged only when the check can be sure the article has no
# counterpart (precision over recall: a false alarm on every summary teaches users to ignore
# the check). That is the case for three kinds of name:
#   - a glossary form whose source name is not in the article;
#   - a romanized Chinese person's name (a known surname, then a given name of one or two
#     pinyin or Wade-Giles syllables: "Huang Wei-che", "Xi Jinping") whose characters the
#     article does not hold in a row, read through pypinyin in both romanizations (every
#     reading of a character that has several): the surname exactly (or a common Taiwan
#     spelling, Lee for 李), the given name by the skeleton of each syllable;
#   - a city of Taiwan or China, or a major city abroad ("Taipei" in a summary of a Tainan
#     release, "Osaka" for the museum of Kobe).
# Other names (Tencent for 騰訊, the Executive Yuan) have translations no rule can check
# offline, so they are never flagged.

_SURNAMES = frozenset(
    """huang chen lin li lee wang chang zhang liu yang wu tsai cai hsu xu cheng zheng hsieh xie
    kuo guo lai chou zhou ho he lu lo luo kao gao su yeh ye chuang zhuang chiang jiang tseng zeng
    hung hong chiu qiu fan pan tu du shih shi hsiao xiao ko ke peng fang sung song tai dai yu wen
    hou teng deng ma sun tang feng tung dong xi hu lien lian ting ding yen yan kuan guan pai bai
    wei mao chu zhu tsao cao kang tien tian hsueh xue tsou zou lei chi ji fu ou yin shen chin qin
    jin kung gong meng chien qian shao weng yao wan tan liao""".split()
)
_SYLLABLE = re.compile(
    r"(?:zh|ch|sh|hs|ts|tz|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|iung|uang|ueng|ang|eng|ong|ung|ing|ian|ien|iao|uai|uan|ieh|ueh|uei|erh|"
    r"ai|ei|ao|ou|an|en|in|un|ia|ie|ua|uo|ui|iu|ue|er|ih|eh|a|o|e|i|u|v)"
)
# "Surname Given-name" or "Surname Givenname": the shape of a romanized Chinese person's name.
_PERSON = re.compile(r"\b([A-Z][a-z]{1,5})\s+([A-Z][a-z]{1,6}(?:-[a-z]{1,6})?)\b(?!\s+[A-Z])")
# Cities a summary may name (summarize.places: English → how Chinese writes them).
_CITY = re.compile(r"\b(" + "|".join(sorted(map(re.escape, CITIES), key=len, reverse=True)) + r")\b")


# Spellings of Taiwan and Hong Kong names that neither pinyin nor Wade-Giles gives.
_SPELLINGS = {"lee": "li", "soong": "song", "ing": "ying", "yeou": "you", "jeou": "jiu", "tsay": "cai", "hwang": "huang"}


def _loose(syllable: str) -> str:
    """A romanized syllable without apostrophes and umlauts, common spelling variants folded in."""
    s = syllable.lower().replace("'", "").replace("ʼ", "").replace("‘", "").replace("’", "").replace("ü", "u")
    return _SPELLINGS.get(s, s)


def _syllables(word: str) -> list[str] | None:
    """A romanized word cut into one or two syllables ("wei-che", "jinping"), or None."""
    word = word.lower()
    parts = word.split("-")
    if len(parts) == 2:
        return parts if all(_SYLLABLE.fullmatch(p) for p in parts) else None
    if _SYLLABLE.fullmatch(word):
        return [word]
    for cut in range(len(word) - 1, 0, -1):
        if _SYLLABLE.fullmatch(word[:cut]) and _SYLLABLE.fullmatch(word[cut:]):
            return [word[:cut], word[cut:]]
    return None


@functools.lru_cache(maxsize=8192)
def _readings(char: str) -> frozenset[str]:
    """Every loose romanization of one Chinese character, pinyin and Wade-Giles, all its readings."""
    from pypinyin import Style, pinyin

    found: set[str] = set()
    for style in (Style.NORMAL, Style.WADEGILES):
        for reading in pinyin(char, style=style, heteronym=True, errors="ignore")[:1]:
            found.update(_loose(r) for r in reading)
    return frozenset(found)


@functools.lru_cache(maxsize=4)
def _source_readings(source: str) -> tuple[tuple[frozenset[str], ...], dict[str, list[int]]]:
    """The readings of each character of ``source``, and where each reading occurs."""
    readings = tuple(_readings(c) if is_han(c) else frozenset() for c in source)
    where: dict[str, list[int]] = {}
    for index, options in enumerate(readings):
        for reading in options:
            where.setdefault(reading, []).append(index)
    return readings, where


def _coarse(syllable: str) -> str:
    """A syllable's skeleton: its initial's class and its nasal ending. Given names are spelled
    in more systems than pinyin and Wade-Giles (長庚 is "Chang Gung"), so they are compared
    by skeleton: ch/zh/j/q/x/ts/hs/s/r alike, k/g, p/b, t/d; vowels ignored."""
    s = _loose(syllable)
    match = re.match(r"zh|ch|sh|hs|ts|tz|[bpmfdtnlgkhjqxrzcsyw]?", s)
    initial = match.group() if match else ""
    kind = {"k": "K", "g": "K", "p": "P", "b": "P", "t": "T", "d": "T", "y": "", "w": ""}.get(initial, initial)
    if kind in ("zh", "ch", "sh", "hs", "ts", "tz", "j", "q", "x", "z", "c", "s", "r"):
        kind = "C"
    ending = "ng" if s.endswith("ng") else "n" if s.endswith("n") else ""
    return kind + ending


@functools.lru_cache(maxsize=8192)
def _coarse_readings(char: str) -> frozenset[str]:
    return frozenset(_coarse(r) for r in _readings(char))


def _holds_reading(source: str, syllables: list[str]) -> bool:
    """Whether consecutive Chinese characters of ``source`` read as ``syllables``: the first
    (the surname) exactly, in pinyin, Wade-Giles or a common Taiwan spelling; the rest by skeleton."""
    first = _loose(syllables[0])
    rest = [_coarse(s) for s in syllables[1:]]
    readings, where = _source_readings(source)
    return any(
        all(
            i + j < len(readings) and is_han(source[i + j]) and key in _coarse_readings(source[i + j])
            for j, key in enumerate(rest, 1)
        )
        for i in where.get(first, ())
    )


def _has_counterpart(english: str, source: str, latin: str) -> bool:
    """Whether a name has a counterpart in ``source`` by the checks below: written in Latin
    letters, a listed city under one of its Chinese forms, or a person's name read aloud."""
    if english.lower() in latin:
        return True
    if english in CITIES:
        return _names_city(source, latin, english)
    person = _PERSON.fullmatch(english)
    if person and person.group(1).lower() in _SURNAMES and (given := _syllables(person.group(2))):
        return _holds_reading(source, [person.group(1), *given])
    return False


def _names_city(source: str, latin: str, city: str) -> bool:
    """Whether ``source`` (``latin`` is it lowercased) names ``city``, in English or Chinese."""
    return city.lower() in latin or names_city(source, city)


def _family_name(name: str) -> str:
    """The last part of a transliterated name (馬斯克 of 伊隆·馬斯克), which a text uses once it has
    given the whole; the name itself when it has no parts."""
    last = re.split("[·‧・]", name)[-1]
    return last if len(last) >= 2 else name


def unsupported_names(
    output: str, source: str, glossary: dict[str, str], *, scripts: tuple[bool, bool] | None = None
) -> list[Claim]:
    """Names of an English ``output`` that have no counterpart in a Chinese ``source``.

    Only names the check can be sure of are flagged (see the section comment above).
    ``scripts`` is (output is mostly Chinese, source is mostly Chinese), when already known.
    """
    output_chinese, source_chinese = scripts or (_is_chinese(output), _is_chinese(source))
    if output_chinese or not source_chinese:
        return []
    latin = source.lower()
    spans = sentences(output)
    claims: list[Claim] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], group: int = 0) -> None:
        taken.append(match.span(group))
        claims.append(Claim(match.group(group), _sentence_at(output, spans, match.start(group)), "name"))

    present = {rendering for name, rendering in glossary.items() if name in source or _family_name(name) in source}
    for rendering in dict.fromkeys(glossary.values()):
        # A glossary form counts when any of its names is in the source, or when the other
        # checks find it there anyway (南市 for "Tainan" in a paragraph that never writes 臺南).
        if not rendering or rendering in present or _has_counterpart(rendering, source, latin):
            continue
        for match in re.finditer(rf"(?<!\w){re.escape(rendering)}(?!\w)", output):
            add(match)
    for match in _CITY.finditer(output):
        city = match.group(1)
        if any(a < match.end() and match.start() < b for a, b in taken):
            continue
        taken.append(match.span())
        if not _names_city(source, latin, city):
            claims.append(Claim(city, _sentence_at(output, spans, match.start()), "name"))
    for match in _PERSON.finditer(output):
        if any(a < match.end() and match.start() < b for a, b in taken):
            continue
        if _unheard_person(match, source, latin, glossary) is not None:
            add(match)
    return claims


def _unheard_person(match: re.Match[str], source: str, latin: str, glossary: dict[str, str]) -> list[str] | None:
    """The syllables of the given name of a ``_PERSON`` match that is a romanized Chinese name
    ``source`` (``latin`` is it lowercased) does not hold, written or read aloud, and that no
    ``glossary`` form holds; None for any other match."""
    surname, given = match.group(1), match.group(2)
    syllables = _syllables(given) if surname.lower() in _SURNAMES else None
    if syllables is None or match.group().lower() in latin or _holds_reading(source, [surname, *syllables]):
        return None
    if any(match.group() in rendering for rendering in glossary.values()):
        return None
    return syllables


# -- unit slips --------------------------------------------------------------------------------
#
# Small models convert 萬 (ten thousand) and 億 (one hundred million) wrongly: 2350億 comes out as
# "2350 billion", 24萬 as "24,000". Such a figure is a source figure off by an exact power of ten,
# and when only one source value fits, the figure the article gives is known: it is written in
# without a request (the model asked to repair it picked another figure of the article instead).

_SLIP_UNITS = re.compile("[萬億]")
_LEADING = re.compile(r"^[^\d]*")


def powers_of_ten_apart(value: float, source: float, tolerance: float = 1e-9) -> int:
    """How many powers of ten (1 to 5) ``value`` is off from ``source``, up to ``tolerance`` in
    log10; 0 when it is not (the same value, or apart by another factor)."""
    if value <= 0 or source <= 0:
        return 0
    distance = abs(math.log10(value) - math.log10(source))
    slip = round(distance)
    return slip if 1 <= slip <= 5 and abs(distance - slip) <= tolerance else 0


def english_amount(value: float) -> str:
    """``value`` as an English summary writes it: "235 billion", "16.34 billion", "240,000"."""
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value >= scale:
            number = f"{round(value / scale, 6):f}".rstrip("0").rstrip(".")
            return f"{number} {word}"
    return f"{round(value):,}" if value == round(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


def _slipped_from(figure: Figure, found: list[Figure]) -> Figure | None:
    """The one source figure written with 萬 or 億 that ``figure`` is off from by a power of ten."""
    if figure.kind != "number" or figure.percent or figure.value <= 0:
        return None
    fits: dict[float, Figure] = {}
    for source in found:
        # A figure keeps the text its source writes: 1,634亿 is read as 1,634億 (``chinese_figures``).
        written = source.text.translate(_TRADITIONAL_NUMERALS)
        if source.kind != "number" or source.percent or source.value <= 0 or not _SLIP_UNITS.search(written):
            continue
        if powers_of_ten_apart(figure.value, source.value):
            fits.setdefault(source.value, source)
    return next(iter(fits.values())) if len(fits) == 1 else None


class Correction(NamedTuple):
    """A claim rewritten from the source without a request: ``phrase`` as the output had it,
    ``written`` as it is now ("2350 billion" → "235 billion", "Taipei" → "Tainan")."""

    phrase: str
    written: str


def fix_unit_slips(output: str, source: str) -> tuple[str, list[Correction]]:
    """``output`` (English) with each unsupported figure that is a 萬/億 slip of exactly one source
    figure written as the source gives it, and what was rewritten.

    Example::

        >>> fix_unit_slips("Qwen3 has 2350 billion parameters.", "最大的Qwen3擁有2350億個參數。")
        ('Qwen3 has 235 billion parameters.', [Correction(phrase='2350 billion', written='235 billion')])
    """
    if _is_chinese(output) or not _is_chinese(source):
        return output, []
    found = figures(source, True)
    fixes = []
    for t in trace(output, source, scripts=(False, True)):  # one figure per span, in output order
        origin = _slipped_from(t.figure, found) if t.source is None else None
        if origin is not None:
            prefix = _LEADING.match(t.figure.text)  # the currency: "NT$" of "NT$1634 billion"
            fixes.append((t.figure.start, t.figure.end, (prefix.group(0) if prefix else "") + english_amount(origin.value)))
    return _rewrite(output, fixes)


# "86, 000": a number whose thousands separator a model wrote with a space after it.
_SPLIT_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:, \d{3})+)(?![\d,.])")


def fix_split_thousands(output: str, source: str) -> tuple[str, list[Correction]]:
    """``output`` (English) with each number written with a space after its thousands separator
    ("86, 000") joined, when the source gives the joined number and not the part after the comma.

    Small models write 八萬六千 as "86, 000"; read as two numbers, the check would find "000"
    in no source and send a correct sentence back to be translated again. A joined number the
    source does not give ("86, 600" for 八萬六千) is joined too, when neither of its parts is a
    figure of the source: it is one wrong number, for the checks that follow to catch whole.
    Read as "86" and "600", the 萬 check wrote the first as 86,000 ("86,000, 600 passengers",
    the quickstart's sample article on the reference model). Only the joins to a number the
    source gives are listed as corrections. A list ("items 5, 300"), whose parts the source
    gives, stays as it is.

    Example::

        >>> fix_split_thousands("It carried 86, 000 passengers.", "載運旅客約八萬六千人次。")
        ('It carried 86,000 passengers.', [Correction(phrase='86, 000', written='86,000')])
        >>> fix_split_thousands("It carried 86, 600 passengers.", "載運旅客約八萬六千人次。")
        ('It carried 86,600 passengers.', [])
    """
    if _is_chinese(output) or not _is_chinese(source):
        return output, []
    found: list[Figure] | None = None
    fixes, told = [], set()
    for match in _SPLIT_THOUSANDS.finditer(output):
        if found is None:
            found = figures(source, True)
        joined = match.group(0).replace(" ", "")
        if not any(supported(part, found) for part in english_figures(match.group(0).rsplit(" ", 1)[1])):
            if any(supported(whole, found) for whole in english_figures(joined)):
                told.add(match.group(0))
            elif any(supported(head, found) for head in english_figures(match.group(1))):
                continue  # a list: "On March 5, 300 people"
            fixes.append((match.start(), match.end(), joined))
    output, corrections = _rewrite(output, fixes)
    return output, [c for c in corrections if c.phrase in told]


# "1. 8 billion": a decimal number whose point a model wrote as a sentence's end.
# Enough characters after a number for its scale or percent (" trillion", " per cent").
SCALE_CHARACTERS = 12
_SPLIT_DECIMAL = re.compile(r"(?<![\d.,])(\d{1,3})\. (\d{1,3})(?![\d,]|\.\d)")


def fix_split_decimals(output: str, source: str) -> tuple[str, list[Correction]]:
    """``output`` (English) with each decimal number written with a space after its point
    ("1. 8 billion") joined, when the source gives the joined number (its numeral, 1.8億, or its
    value, 130萬 for "1.3 million") and not the number after the point ("8 billion").

    Read as it stands, "1. 8 billion" is a sentence ending in "1" and one opening with "8
    billion": neither is a figure of the article, and the check drops both sentences, or keeps
    the first and drops the second, leaving "a budget of 3." where the article says 3.2. The
    reference model wrote the Tainan exhibition's 1.8億 as "1. 8 billion" and a population as
    "1. 3 million". A sentence that ends in a number before one that opens with another ("It
    rose by 3. 2 firms left.") stays two, unless the source gives 3.2.

    Example::

        >>> fix_split_decimals("A budget of 1. 8 billion yuan.", "研究預算1.8億元。")
        ('A budget of 1.8 billion yuan.', [Correction(phrase='1. 8', written='1.8')])
    """
    matches = list(_SPLIT_DECIMAL.finditer(output))
    if not matches or _is_chinese(output):
        return output, []
    found = figures(source)

    def gives(text: str) -> bool:
        """The source gives the figure ``text`` opens with."""
        read = english_figures(text)
        return bool(read) and read[0].start == 0 and supported(read[0], found)

    fixes = []
    for match in matches:
        head, tail = match.groups()
        # The number after the point with its scale or percent ("2 billion", "2%"): no more is read.
        after = output[match.start(2) : match.end() + SCALE_CHARACTERS]
        if gives(after):
            continue  # the source gives the number after the point: two sentences, maybe
        if re.search(rf"(?<![\d.]){head}\.{tail}(?!\d)", source) or gives(f"{head}.{after}"):
            fixes.append((match.start(), match.end(), f"{head}.{tail}"))
    return _rewrite(output, fixes)


_YEAR_DIGITS = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
# Right after a date read without its year, a 民國 year copied as it stands: ", 114" of
# "January 1, 114", " 114" of "1 January 114"; not a count ("January 1, 114 people").
_KEPT_ROC_YEAR = re.compile(r",?\s+(?P<year>\d{2,3})(?![\d,.]?\d)(?!\s+(?!(?:at|in|and|to|when|as)\b)[a-z])")


def fix_roc_years(output: str, source: str) -> tuple[str, list[Correction]]:
    """``output`` (English) with each unsupported year that is a misread 民國 year of its source
    written as that year, and what was rewritten.

    The source writes years of the Republic of China era (113年 is 2024, 1911 + 113); models
    add 1900 instead, or keep the last two digits ("2013" for 113年). A year of the output no
    source year supports, whose last two digits are those of exactly one 民國 year of the source,
    is that year. On the reference model a Tainan release's "去（113）年" came out as "2013"
    in three summaries of three. A 民國 year copied into an English date as it stands
    ("January 1, 114" for 114年1月1日) is written as its Gregorian year too.

    Example::

        >>> fix_roc_years("They reviewed the year 2013.", "回顧去（113）年的災害。")
        ('They reviewed the year 2024.', [Correction(phrase='2013', written='2024')])
    """
    if _is_chinese(output) or not _is_chinese(source):
        return output, []
    years = {round(f.value) for f in figures(source, True) if f.kind == "roc"}
    fixes = []
    for t in trace(output, source, scripts=(False, True)):
        if t.source is not None or t.figure.kind not in ("year", "any", "date", "decade"):
            continue
        for match in _YEAR_DIGITS.finditer(output, t.figure.start, t.figure.end):
            written = int(match.group(1))
            meant = {year for year in years if (year - 1911) % 100 == written % 100 and year != written}
            if len(meant) == 1:
                fixes.append((match.start(), match.end(), str(meant.pop())))
    kept = {  # by place: the two days of a range ("June 1-30, 114") end at one year
        after.span("year"): int(after.group("year"))
        for date in english_dates(output)
        if date.parts and date.parts[0] is None and date.parts[2] is not None
        and (after := _KEPT_ROC_YEAR.match(output, date.end))
    }
    fixes += [(start, end, str(roc + 1911)) for (start, end), roc in kept.items() if roc + 1911 in years]
    return _rewrite(output, fixes)


# The month name of an English date, as ``english_dates`` reads it.
_EN_MONTH_WORD = re.compile(_EN_MONTH)


def fix_bare_day_months(output: str, source: str) -> tuple[str, list[Correction]]:
    """``output`` (English) with the month of each unsupported date rewritten where its day is
    one the source writes without a month, and what was rewritten.

    A press release writes "今(2)日" (today, the 2nd) and leaves the month to its date line, which
    a small model does not connect: on the reference model (Qwen2.5-Coder-1.5B) the 1624
    exhibition, "今(2)日於臺南盛大開幕" in a release dated 2024年2月2日, "opened in Tainan on
    April 2nd" (benchmark run 11). An output date that no source date supports, whose day is
    that of exactly one such bare day of the source (its month read from the date line, see
    ``chinese_dates``), and whose year, when written, is that day's, is that day: its month
    is written as the source's. Dates of a range ("April 2-5") are left alone, flagged.

    Example::

        >>> fix_bare_day_months("It opened on April 2nd.", "2024年2月2日發稿。展覽今(2)日開幕。")
        ('It opened on February 2nd.', [Correction(phrase='April', written='February')])
    """
    if _is_chinese(output) or not _is_chinese(source):
        return output, []
    bare: dict[int, set[tuple[int | None, int]]] = {}
    for date in chinese_dates(source):
        year, month, day = date.parts or (None, None, None)
        if _ZH_BARE_DAY.fullmatch(date.text) and month is not None and day is not None:
            bare.setdefault(day, set()).add((year, month))
    if not bare:
        return output, []
    traces = trace(output, source, scripts=(False, True))
    spans = Counter((t.figure.start, t.figure.end) for t in traces if t.figure.kind == "date")
    fixes = []
    for t in traces:
        figure = t.figure
        if t.source is not None or figure.kind != "date" or spans[figure.start, figure.end] > 1:
            continue
        year, month, day = figure.parts or (None, None, None)
        meant = bare.get(day, set()) if day is not None else set()
        if month is None or len(meant) != 1:
            continue
        (meant_year, meant_month), = meant
        if year is not None and year != meant_year:
            continue
        if word := _EN_MONTH_WORD.search(output, figure.start, figure.end):
            fixes.append((word.start(), word.end(), MONTH_NAMES[meant_month - 1]))
    return _rewrite(output, fixes)


def fix_wrong_cities(output: str, source: str) -> tuple[str, list[Correction]]:
    """``output`` (English) with each city its source does not name, where the source names one
    city it was most likely misread from (``places.meant_city``), written as that city; and what
    was rewritten. A city left alone when its sentence already names the one meant ("Tainan
    and Taipei" stays, flagged).

    On Qwen2.5-Coder-1.5B, asked to correct "the Taipei City Government" beside the source
    sentence naming 臺南, the repair request copied the sentence back 18 times of 18 (three
    summaries, three tries each, with and without the places named in English).

    Example::

        >>> fix_wrong_cities("The Taipei City Government met.", "南市府召開會議，臺南市長出席。")
        ('The Tainan City Government met.', [Correction(phrase='Taipei', written='Tainan')])
    """
    if _is_chinese(output) or not _is_chinese(source):
        return output, []
    latin, spans = source.lower(), sentences(output)
    fixes = []
    for match in _CITY.finditer(output):
        city = match.group(1)
        meant = None if _names_city(source, latin, city) else meant_city(city, source)
        if meant is None or re.search(rf"\b{re.escape(meant)}\b", _sentence_at(output, spans, match.start())):
            continue
        fixes.append((match.start(), match.end(), meant))
    return _rewrite(output, fixes)


# Characters that open most Chinese names of people in Taiwan news (the commonest surnames): a
# misread given name is looked for only after one of them.
_SURNAME_CHARACTERS = frozenset(
    "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余趙盧梁顏柯孫魏翁戴"
    "范宋方鄧杜傅侯曹薛丁卓阮馬董溫唐藍石蔣古紀姚連馮歐程湯田康姜白汪鄒尤巫鐘黎涂龔嚴韓袁金童陸夏柳邵錢"
    "伍倪于譚駱熊任甘秦顧毛章史官萬俞雷饒"
)


def fix_misread_people(output: str, source: str, glossary: dict[str, str] | None = None) -> tuple[str, list[Correction]]:
    """``output`` (English) with each romanized person's name that its source does not hold
    (``unsupported_names``) rewritten from the one name of the source it was misread from,
    and what was rewritten.

    The name meant opens with a common surname character read as the output's surname, and
    holds one of the output's given-name syllables in its place: "Li Mengzhi" for 李孟諺 (孟 is
    meng). When exactly one such name is in the source, its given name is written in
    Wade-Giles, as Taiwan writes names ("Li Meng-yen"), the output's surname kept. Otherwise
    the name stays, flagged. A form of the ``glossary`` (the user's, or the names the run
    extracted) is never rewritten. Seen on Qwen2.5-Coder-1.5B: "Li Mengzhi" (李孟諺) and "Lin Zili"
    (林子倫) in summaries of the exhibition release.

    Example::

        >>> fix_misread_people("Lin Zili spoke.", "行政院發言人林子倫出席。")
        ('Lin Tzu-lun spoke.', [Correction(phrase='Lin Zili', written='Lin Tzu-lun')])
    """
    if _is_chinese(output) or not _is_chinese(source):
        return output, []
    latin, fixes = source.lower(), []
    for match in _PERSON.finditer(output):
        syllables = None if _CITY.fullmatch(match.group()) else _unheard_person(match, source, latin, glossary or {})
        meant = _name_meant(source, _loose(match.group(1)), syllables) if syllables else None
        if meant is not None:
            fixes.append((match.start(), match.end(), f"{match.group(1)} {_given_name(meant[1:], syllables or [])}"))
    return _rewrite(output, fixes)


def _name_meant(source: str, surname: str, syllables: list[str]) -> str | None:
    """The one name of ``source`` (a common surname character read ``surname``, then as many
    characters as ``syllables``, one of them read as its syllable) an output misread, or None."""
    keys = [_coarse(s) for s in syllables]
    found: set[str] = set()
    for i, char in enumerate(source):
        if char not in _SURNAME_CHARACTERS or surname not in _readings(char):
            continue
        name = source[i : i + 1 + len(keys)]
        if len(name) == 1 + len(keys) and all(is_han(c) for c in name[1:]):
            if any(key in _coarse_readings(c) for key, c in zip(keys, name[1:])):
                found.add(name)
    return found.pop() if len(found) == 1 else None


def _given_name(characters: str, heard: list[str]) -> str:
    """``characters`` in Wade-Giles without apostrophes, hyphenated ("Meng-yen"); where a
    character has several readings, the one the output heard when it heard one."""
    from pypinyin import Style, pinyin

    parts = []
    for char, syllable in zip(characters, heard):
        readings = [r.replace("'", "").replace("ʼ", "").replace("ü", "u") for r in pinyin(char, style=Style.WADEGILES, heteronym=True)[0]]
        parts.append(next((r for r in readings if _coarse(r) == _coarse(syllable)), readings[0]))
    return "-".join(parts).capitalize()


def correct_from_source(
    output: str, source: str, glossary: dict[str, str] | None = None
) -> tuple[str, list[Correction]]:
    """``output`` with what the source settles rewritten without a request: numbers split at
    their thousands separator (``fix_split_thousands``) or their decimal point
    (``fix_split_decimals``), 萬/億 slips (``fix_unit_slips``),
    misread 民國 years (``fix_roc_years``), months guessed for a bare day (``fix_bare_day_months``),
    then misread cities (``fix_wrong_cities``) and
    people's names (``fix_misread_people``; the ``glossary``'s forms stay)."""
    output, split = fix_split_thousands(output, source)
    output, points = fix_split_decimals(output, source)
    output, slips = fix_unit_slips(output, source)
    output, years = fix_roc_years(output, source)
    output, months = fix_bare_day_months(output, source)
    output, cities = fix_wrong_cities(output, source)
    output, people = fix_misread_people(output, source, glossary)
    return output, split + points + slips + years + months + cities + people


def _rewrite(output: str, fixes: list[tuple[int, int, str]]) -> tuple[str, list[Correction]]:
    """``output`` with each (start, end, replacement) of ``fixes`` (not overlapping) made, and the
    corrections in the order of the text."""
    fixes = sorted(fixes)
    corrections = [Correction(output[start:end], written) for start, end, written in fixes]
    for start, end, written in reversed(fixes):
        output = output[:start] + written + output[end:]
    return output, corrections


# -- repair ------------------------------------------------------------------------------------

# Source sentences sent per unsupported figure, and in all: a repair carries the evidence for
# its figures, never the whole article again.
REPAIR_SOURCES_PER_CLAIM = 2
REPAIR_SOURCES_MAX = 6
# How much farther (in powers of ten) than the nearest a source figure may be to be shown too.
REPAIR_NEAR = 1.0
_REPAIR_MARKER = re.compile(r"^\s*\[(\d+)\]\s*(.*)$")


@dataclass(frozen=True)
class Checked:
    """An output after its check (and repair, when one was made).

    Attributes:
        text: the version kept: the repaired one only when the check finds it more faithful.
        unsupported: the phrases of ``text`` that its source does not support.
        repaired: a repair was asked for (it counts in usage whether or not it was kept).
        kept_repair: the repaired version was kept.
        corrected: what was rewritten from the source without a request (``correct_from_source``).
        dropped: what was left out for a figure the repair did not mend: dates the article does
            not give (``drop_unsupported_dates``), then whole sentences (``drop_unsupported_figures``).
    """

    text: str
    unsupported: tuple[str, ...] = ()
    repaired: bool = False
    kept_repair: bool = False
    corrected: tuple[Correction, ...] = ()
    dropped: tuple[str, ...] = ()


def _phrases(claims: Iterable[Claim]) -> tuple[str, ...]:
    """Each unsupported phrase once, in the order the output first has it ("Taipei" said three
    times is one thing for the reader to check)."""
    return tuple(dict.fromkeys(c.phrase for c in claims))


def _evidence(claim: Claim, source: str, spans: list[tuple[int, int]], found: list[Figure]) -> list[int]:
    """Indexes of the source sentences a figure should come from, best first.

    A figure off by a power of ten from a source figure is the 萬/億 slip: that sentence comes
    first. Then the sentences whose figures are nearest in magnitude.
    """
    scored: dict[int, float] = {}
    if claim.figure is not None and claim.figure.kind == "date":
        # A wrong date: the source's dates, those of the same month first.
        month = (claim.figure.parts or (None, None, None))[1]
        for figure in found:
            if figure.kind == "date":
                index = _sentence_index(spans, figure.start)
                score = 0.0 if (figure.parts or (None, None, None))[1] == month else 1.0
                scored[index] = min(score, scored.get(index, score))
        return sorted(scored, key=scored.__getitem__)[:REPAIR_SOURCES_PER_CLAIM]
    if claim.value is None or claim.value <= 0:
        return []
    for figure in found:
        if figure.value <= 0 or figure.kind == "date":
            continue
        distance = abs(math.log10(figure.value) - math.log10(claim.value))
        # Up to the rounding of a summary's figure ("2.4 billion" for 2350億).
        score = -10 + distance if powers_of_ten_apart(claim.value, figure.value, 0.005) else distance
        index = _sentence_index(spans, figure.start)
        scored[index] = min(score, scored.get(index, score))
    # Only sentences within a power of ten of the best: a far one offers the model another
    # figure to copy in (asked to correct "2350 billion" beside the 6億 sentence, it wrote
    # "600 million").
    best = min(scored.values(), default=0.0)
    near = [index for index in sorted(scored, key=scored.__getitem__) if scored[index] <= best + REPAIR_NEAR]
    return near[:REPAIR_SOURCES_PER_CLAIM]


def _sentence_index(spans: list[tuple[int, int]], position: int) -> int:
    return next(i for i, (a, b) in enumerate(spans) if a <= position < b or i == len(spans) - 1)


class RepairRequest(NamedTuple):
    """A figure repair: its messages, the summary sentences it numbers, and the source sentences
    it shows as evidence (the only figures a rewrite may bring in)."""

    messages: list[dict[str, str]]
    offending: list[str]
    evidence: str


def origin_of(sentence: str, origins: Sequence[tuple[str, str]]) -> str | None:
    """The source sentence an output ``sentence`` was translated from, among ``origins`` (pairs of
    source sentence and its translation, as written before any correction): the pair whose
    translation shares the most words with it, if it shares at least half of them."""
    words = words_of(sentence)
    best, best_ratio = None, 0.5
    for source, translation in origins:
        if not translation:
            continue
        ratio = difflib.SequenceMatcher(None, words, words_of(translation), autojunk=False).ratio()
        if ratio >= best_ratio:
            best, best_ratio = source, ratio
    return best


def repair_messages(
    claims: list[Claim], source: str, language: str, origins: Sequence[tuple[str, str]] = ()
) -> RepairRequest | None:
    """The repair request for ``claims`` (figures only); None when no source sentence can be
    offered as evidence. With ``origins`` (each source sentence and its translation: a summary
    of key sentences), a claim's evidence is the sentence its own sentence translates."""
    offending = list(dict.fromkeys(c.sentence for c in claims if c.kind == "figure"))
    spans = sentences(source)
    found = figures(source)
    chosen: list[int] = []
    for claim in claims:
        origin = origin_of(claim.sentence, origins) if origins and claim.kind == "figure" else None
        at = source.find(origin) if origin else -1
        for index in [_sentence_index(spans, at)] if at >= 0 else _evidence(claim, source, spans, found):
            if index not in chosen and len(chosen) < REPAIR_SOURCES_MAX:
                chosen.append(index)
    if not offending or not chosen:
        return None
    evidence = "\n".join(source[spans[i][0] : spans[i][1]].strip() for i in sorted(chosen))
    opening, closing = prompts.fence_for(evidence + "\n".join(offending), prompts.SOURCE_FENCE)
    numbered = "\n".join(f"[{i + 1}] {s}" for i, s in enumerate(offending))
    name = prompts.SHORT_NAMES.get(language, language)
    messages = [
        {"role": "system", "content": prompts.render("repair_system", language=name, fence_open=opening, fence_close=closing)},
        {
            "role": "user",
            "content": prompts.render("repair_user", sentences=numbered, fence_open=opening, fence_close=closing, source=evidence),
        },
    ]
    return RepairRequest(messages, offending, evidence)


def apply_repair(text: str, offending: list[str], reply: str, evidence: str) -> str:
    """``text`` with each offending sentence replaced by its numbered rewrite in ``reply``.

    A rewrite that brings in a figure ``evidence`` (the source sentences the request showed)
    does not give is refused: asked to correct "2350 billion", a small model wrote
    "600 million", a figure of the article, but of another model.
    """
    rewrites: dict[int, str] = {}
    reply = strip_loops(reply).text
    for line in reply.splitlines():
        match = _REPAIR_MARKER.match(line)
        if match and match.group(2).strip():
            rewrites.setdefault(int(match.group(1)), match.group(2).strip())
    if not rewrites and len(offending) == 1 and reply.strip():
        # Small models often drop the marker when there is only one sentence to rewrite.
        rewrites[1] = " ".join(line.strip() for line in reply.splitlines() if line.strip())
    for number, sentence in enumerate(offending, 1):
        rewrite = rewrites.get(number)
        if rewrite and sentence in text and _same_sentence(sentence, rewrite) and _figures_shown(sentence, rewrite, evidence):
            text = text.replace(sentence, rewrite, 1)
    return text


def _figures_shown(original: str, rewrite: str, evidence: str) -> bool:
    """Every figure of ``rewrite`` is in ``original`` as written, or comes from ``evidence``."""
    return all(claim.phrase in original for claim in unsupported_figures(rewrite, evidence))


# A rewrite must keep this share of the original sentence's words: it corrects figures, and a
# reply that says something else ("Sorry.") is no repair.
REPAIR_KEEPS = 0.6


def _same_sentence(original: str, rewrite: str) -> bool:
    def words(text: str) -> set[str]:
        return {w.lower() for w in re.findall(r"[A-Za-z]+", text)} | {c for c in text if is_han(c)}

    before = words(original)
    return not before or len(before & words(rewrite)) >= REPAIR_KEEPS * len(before)


def _faithfulness(claims: tuple[Claim, ...]) -> tuple[int, int]:
    return (sum(c.kind == "figure" for c in claims), len(claims))


# The words that open a date adjunct of a sentence: "opened on March 17, 2023", "In March 2023, ...".
# Not "from" or "until": a range's or a deadline's end says more than when.
_DATE_ADJUNCT = re.compile(r"(?<![\w-])(?P<prep>on|in|since|as of)\s+(?:the\s+)?\Z", re.IGNORECASE)


def drop_unsupported_dates(text: str, claims: Iterable[Claim]) -> tuple[str, tuple[str, ...]]:
    """``text`` (English) without each unsupported date that a preposition attaches to its
    sentence ("on March 17, 2023"), and the phrases taken out; the rest of the sentence stays.

    A date said of an event that the article dates nowhere is made up, and the sentence reads
    as true without it: on the reference model (Qwen2.5-Coder-1.5B) the 1624 exhibition's
    title, which has no date, came back as "... opened on March 15, 2023" in benchmark run 11,
    and with a made-up date in five of the six summaries tried after it (March 16 and 17,
    October 15 and 16), through its re-ask and the repair. A date that is a sentence's
    subject or object ("March 17 marks ...") is left to ``drop_unsupported_figures``, and so
    is a range whose other end the article gives.

    Example::

        >>> c = check("The exhibition opened on March 17, 2023, with the mayor.", "特展開幕，市長出席。")
        >>> drop_unsupported_dates("The exhibition opened on March 17, 2023, with the mayor.", c)
        ('The exhibition opened with the mayor.', ('on March 17, 2023',))
    """
    claimed = Counter(
        (c.figure.start, c.figure.end) for c in claims if c.figure is not None and c.figure.kind == "date"
    )
    cuts: list[tuple[int, int, str]] = []
    phrases: list[str] = []
    for (start, end), count in sorted(claimed.items()):
        adjunct = _DATE_ADJUNCT.search(text, max(0, start - 14), start)
        if adjunct is None or count != len(english_dates(text[start:end])):
            continue
        if adjunct.group("prep")[0].isupper():
            # It opens its sentence ("On March 17, 2023, the ..."): the word after it opens it now.
            after = end + len(re.match(r",?\s*", text[end:]).group())  # type: ignore[union-attr]
            if not text[after : after + 1].isalpha():
                continue  # the date is all the sentence says
            cuts += [(adjunct.start(), after, ""), (after, after + 1, text[after].upper())]
        else:
            # "March 15, 2023, with ...": the comma after the year closes the one before it.
            closing = bool(re.search(r",\s*\d{4}\Z", text[start:end])) and text[end : end + 1] == ","
            cuts.append((adjunct.start() - (text[adjunct.start() - 1 : adjunct.start()] == " "), end + closing, ""))
        phrases.append(text[adjunct.start() : end])
    if not cuts:
        return text, ()
    return _rewrite(text, cuts)[0], tuple(phrases)


# A summary whose figure the repair could not mend loses the sentence that holds it when the
# rest keeps this share of it; a summary that would lose more keeps it, flagged.
DROP_KEEPS = 0.6


def drop_unsupported_figures(text: str, claims: Iterable[Claim]) -> tuple[str, tuple[str, ...]]:
    """``text`` without the sentences that hold an unsupported figure of ``claims``, and those
    sentences; ``text`` unchanged and ``()`` when none does, or when dropping them would leave
    less than ``DROP_KEEPS`` of it (in characters, so that Chinese counts as English does).

    A figure no figure of the article could come from is what a reader acts on and cannot
    check: on the reference model (Qwen2.5-Coder-1.5B) a Tainan summary said "setting up 100
    disaster response centers", which its repair request kept. Names are not dropped: their
    check is a transliteration match, and a flag asks the reader to look instead.

    Example::

        >>> c = check("Tainan opened its centre 10 times. It built 100 centres.", "臺南開設10次。")
        >>> drop_unsupported_figures("Tainan opened its centre 10 times. It built 100 centres.", c)
        ('Tainan opened its centre 10 times.', ('It built 100 centres.',))
    """
    doomed = {c.sentence for c in claims if c.kind == "figure"}
    if not doomed:
        return text, ()
    kept: list[str] = []
    dropped: list[str] = []
    for start, end in sentences(text):
        piece = text[start:end]
        if piece.strip() not in doomed:
            kept.append(piece)
            continue
        dropped.append(piece.strip())
        # The wider of the two breaks around a dropped sentence stays: a paragraph's end, a list's line.
        gap = piece[len(piece.rstrip()) :]
        if kept:
            before = kept[-1].rstrip()
            kept[-1] = before + max(kept[-1][len(before) :], gap, key=lambda g: g.count("\n"))
    rest = "".join(kept).strip()
    if not dropped or visible_length(rest) < DROP_KEEPS * visible_length(text):
        return text, ()
    return rest, tuple(dropped)


async def repair_summary(
    ask: Callable[[list[dict[str, str]]], Awaitable[str]],
    text: str,
    source: str,
    *,
    language: str = "en",
    glossary: dict[str, str] | None = None,
    enabled: bool = True,
    origins: Sequence[tuple[str, str]] = (),
) -> Checked:
    """Check a summary against its source and, when figures are unsupported, ask once for a repair.

    The repair request carries only the offending sentences and the source sentences their
    figures should come from. The repaired version is kept only when the check finds fewer
    unsupported claims in it (and it is still in ``language``); a failed repair request keeps
    the original. Sentences whose figures are still unsupported are then left out when the
    rest keeps most of the summary (``drop_unsupported_figures``).

    Args:
        ask: sends one request and returns the reply text (the run's, so usage counts it).
        text: the summary.
        source: the article it summarizes.
        language: the summary's language code.
        glossary: names and the forms the summary was held to.
        enabled: ``False`` (``SUMMARIZE_VERIFY=0``) skips both the check and the repair.
        origins: for a summary of translated key sentences, each source sentence and its
            translation: the repair is sent the sentence each figure's sentence translates.
    """
    if not enabled:
        return Checked(text)
    corrected: tuple[Correction, ...] = ()
    if language == "en":
        text, fixes = correct_from_source(text, source, glossary)
        corrected = tuple(fixes)
        log_corrections(corrected)
    claims = check(text, source, glossary=glossary)
    request = repair_messages(list(claims), source, language, origins) if any(c.kind == "figure" for c in claims) else None
    if request is None:
        return _settled(text, claims, source, glossary, corrected=corrected)
    messages, offending, evidence = request
    log.info("%d figure(s) not in the article; asking once for a repair", sum(c.kind == "figure" for c in claims))
    try:
        reply = await ask(messages)
    except EndpointError as exc:
        log.warning("the repair request failed (%s); keeping the summary as it was", exc)
        return _settled(text, claims, source, glossary, repaired=True, corrected=corrected)
    repaired = apply_repair(text, offending, reply, evidence)
    after = check(repaired, source, glossary=glossary)
    wrong_language = language == "en" and mostly_chinese(repaired)
    if repaired != text and not wrong_language and _faithfulness(after) < _faithfulness(claims):
        return _settled(repaired, after, source, glossary, repaired=True, kept_repair=True, corrected=corrected)
    return _settled(text, claims, source, glossary, repaired=True, corrected=corrected)


def _settled(
    text: str,
    claims: tuple[Claim, ...],
    source: str,
    glossary: dict[str, str] | None,
    *,
    corrected: tuple[Correction, ...],
    repaired: bool = False,
    kept_repair: bool = False,
) -> Checked:
    """The version kept, less the dates the article does not give (``drop_unsupported_dates``),
    then less the sentences whose figures no repair mended (``drop_unsupported_figures``) and
    the claims they held: every claim belongs to one sentence, so the rest need no new check."""
    left_out: tuple[str, ...] = ()
    if not _is_chinese(text):
        text, left_out = drop_unsupported_dates(text, claims)
        for phrase in left_out:
            log.warning("left out a date the article does not give: %r", phrase)
        if left_out:
            claims = check(text, source, glossary=glossary)
    text, dropped = drop_unsupported_figures(text, claims)
    for sentence in dropped:
        log.warning("dropped a sentence whose figure the article does not give: %r", sentence)
    claims = tuple(c for c in claims if c.sentence not in dropped)
    return Checked(
        text, _phrases(claims), repaired=repaired, kept_repair=kept_repair, corrected=corrected,
        dropped=left_out + dropped,
    )


def log_corrections(corrections: Iterable[Correction], where: str = "") -> None:
    """One warning per rewrite from the source: a reader of the log sees what the model wrote."""
    for c in corrections:
        log.warning("%s%r written as the article gives it: %r", where, c.phrase, c.written)


@dataclass(frozen=True)
class Repaired:
    """Every language of a run after ``repair_summary``, its findings gathered in language order.

    Attributes:
        texts: language code → the summary kept.
        unsupported: the phrases the article does not support, of all the summaries.
        corrected: what was rewritten from the source without a request.
        dropped: the sentences left out for a figure no repair mended.
    """

    texts: dict[str, str]
    unsupported: tuple[str, ...]
    corrected: tuple[Correction, ...]
    dropped: tuple[str, ...]


async def repair_summaries(
    ask: Callable[[list[dict[str, str]]], Awaitable[str]],
    summaries: dict[str, str],
    source: str,
    *,
    glossary: dict[str, str] | None = None,
    enabled: bool = True,
    origins: Sequence[tuple[str, str]] = (),
) -> Repaired:
    """``repair_summary`` for every language of a run, concurrently (the glossary and the
    ``origins`` of translated sentences apply to English only)."""
    languages = list(summaries)
    done = await asyncio.gather(
        *(
            repair_summary(
                ask, summaries[lang], source, language=lang,
                glossary=glossary if lang == "en" else None, enabled=enabled,
                origins=origins if lang == "en" else (),
            )
            for lang in languages
        )
    )
    return Repaired(
        {lang: checked.text for lang, checked in zip(languages, done)},
        tuple(phrase for checked in done for phrase in checked.unsupported),
        tuple(c for checked in done for c in checked.corrected),
        tuple(sentence for checked in done for sentence in checked.dropped),
    )


def check_pairs(
    pairs: Iterable[tuple[str, str]], *, glossary: dict[str, str] | None = None, enabled: bool = True
) -> tuple[tuple[int, str], ...]:
    """Unsupported claims of a translation, pair by pair: (0-based pair index, phrase)."""
    if not enabled:
        return ()
    return tuple(
        (index, claim.phrase)
        for index, (source, translated) in enumerate(pairs)
        for claim in check(translated, source, glossary=glossary)
    )
