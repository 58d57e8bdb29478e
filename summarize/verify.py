"""Checks on an output against its source: the one home for what is judged in a model's reply
after it arrives, once its loops are cut (``summarize.loops``) and its figures read
(``summarize.figures``).

::

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
from dataclasses import dataclass
from typing import NamedTuple

from . import prompts
from .errors import EndpointError
from .figures import (
    EN_MONTH,
    FUNCTION_WORDS,
    MONTH_NAMES,
    PHRASE_STOP,
    TRADITIONAL_NUMERALS,
    WORD_AFTER,
    ZH_BARE_DAY,
    Figure,
    Sources,
    chinese_dates,
    english_dates,
    english_figures,
    figures,
    is_chinese,
    source_of,
    supported,
)
from .loops import sentences, strip_loops, without_sentences, words_of
from .places import CITIES, china_mentions, meant_city, names_china, names_city
from .text import is_han, not_english, visible_length

log = logging.getLogger("summarize")

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
        word = WORD_AFTER.match(text, end)
        if not word or text[end : word.start(1)].strip():
            break
        lowered = word.group(1).lower()
        if lowered in PHRASE_STOP:
            end = word.end(1)
            continue
        if lowered in FUNCTION_WORDS or (content and lowered.endswith(("ed", "ly"))):
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
    output_chinese, source_chinese = scripts or (is_chinese(output), is_chinese(source))
    sources = Sources(source, figures(source, source_chinese))
    spans = sentences(output)
    readings: dict[tuple[object, ...], list[Figure]] = {}
    for figure in figures(output, output_chinese, output=True):
        # Each date of a range ("June 1-30") is its own claim; other figures of one span are readings.
        key = (figure.start, figure.end, figure.parts) if figure.kind == "date" else (figure.start, figure.end)
        readings.setdefault(key, []).append(figure)
    traces: list[Trace] = []
    for options in readings.values():
        found = next(((f, s) for f in options if (s := source_of(f, sources)) is not None), None)
        figure, origin = found or (options[0], None)
        named = bool(figure.label) and sources.mentions(figure.label)
        if named or figure.kind in ("date", "times"):
            # A date, a multiple ("doubled") or a name with its number ("Grok 2") is the whole
            # claim: no words follow it.
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
    scripts = (is_chinese(output), is_chinese(source))
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
_PERSON = re.compile(r"\b([A-Z][a-z]{1,5})\s+([A-Z][a-z]{1,11}(?:-[a-z]{1,6})?)\b(?!\s+[A-Z])")
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
            found.update(_loose(_no_v(r)) for r in reading)
    return frozenset(found)


def _no_v(reading: str) -> str:
    """A pypinyin reading with its "v" (how it writes ü: 呂 "lv", 許 "hsv" in Wade-Giles) written
    "u", as names are: "Lu Hsiu-lien" for 呂秀蓮 and "Hsu" for 許 were flagged as names the
    article does not hold, and 黃仁勳 was rewritten "Huang Jen-hsvn"."""
    return reading.replace("v", "u")


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
    output_chinese, source_chinese = scripts or (is_chinese(output), is_chinese(source))
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
        # Not in the output at all, the cheapest test first: a 20,000-name glossary made every
        # paragraph of a translation compile 20,000 patterns, for minutes.
        if not rendering or rendering not in output or rendering in present or _has_counterpart(rendering, source, latin):
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
    mentions = china_mentions(output)  # the cheap test first: most outputs never name China
    if mentions and not names_china(source):
        for match in mentions:
            if not any(a < match.end() and match.start() < b for a, b in taken):
                add(match)
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
_LEADING = re.compile(r"^\D*(?=\d)")  # what is written before the digits: "NT$"; nothing for "ten billion"


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


# A slip writes an amount: a thousand or more, with its scale word or digits ("2350 billion",
# "24,000"). A smaller count ("30 districts", "200 stalls") that happens to be a power of ten
# off a 萬/億 figure counts something else, and is left to the check.
_SLIP_LEAST = 1000


def _slipped_from(figure: Figure, found: list[Figure]) -> Figure | None:
    """The one source figure written with 萬 or 億 that ``figure`` is off from by a power of ten,
    when ``figure`` is an amount (``_SLIP_LEAST`` or more) that no two source figures make as a sum
    or difference (a total or a change the model worked out: "grew by 100,000" of 100萬 to 110萬)."""
    if figure.kind != "number" or figure.percent or figure.value < _SLIP_LEAST:
        return None
    fits: dict[float, Figure] = {}
    for source in found:
        if source.kind == "number" and not source.percent and math.isclose(source.value, figure.value):
            # The article gives this very amount: what failed is its direction ("rose by 30,000"
            # for 減少3萬) or sign, which another amount's power of ten does not mend.
            return None
        # A figure keeps the text its source writes: 1,634亿 is read as 1,634億 (``chinese_figures``).
        written = source.text.translate(TRADITIONAL_NUMERALS)
        if source.kind != "number" or source.percent or source.value <= 0 or not _SLIP_UNITS.search(written):
            continue
        if powers_of_ten_apart(figure.value, source.value):
            fits.setdefault(source.value, source)
    if len(fits) != 1 or _derived(figure.value, found):
        return None
    return next(iter(fits.values()))


def _derived(value: float, found: list[Figure]) -> bool:
    """Whether ``value`` is the sum or the difference of two source numbers."""
    amounts = sorted({f.value for f in found if f.kind == "number" and not f.percent and f.value > 0})
    return any(
        math.isclose(a + b, value, rel_tol=1e-9) or math.isclose(b - a, value, rel_tol=1e-9)
        for i, a in enumerate(amounts)
        for b in amounts[i:]
    )


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
    if is_chinese(output) or not is_chinese(source):
        return output, []
    found = figures(source, True)
    fixes = []
    for t in trace(output, source, scripts=(False, True)):  # one figure per span, in output order
        origin = _slipped_from(t.figure, found) if t.source is None else None
        if origin is not None and not output[t.figure.end : t.figure.end + 1].isalpha():  # "100k": a scale read apart
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
    if is_chinese(output) or not is_chinese(source):
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
    if not matches or is_chinese(output):
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
    if is_chinese(output) or not is_chinese(source):
        return output, []
    years = {round(f.value) for f in figures(source, True) if f.kind == "roc"}
    fixes = []
    for t in trace(output, source, scripts=(False, True)):
        if t.source is not None or t.figure.kind not in ("year", "any", "date"):  # a decade is no year: not "1971s"
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
_EN_MONTH_WORD = re.compile(EN_MONTH)


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
    if is_chinese(output) or not is_chinese(source):
        return output, []
    bare: dict[int, set[tuple[int | None, int]]] = {}
    for date in chinese_dates(source):
        year, month, day = date.parts or (None, None, None)
        if ZH_BARE_DAY.fullmatch(date.text) and month is not None and day is not None:
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
    and Taipei" stays, flagged), or when another city of the output would be rewritten into
    the same one ("Taipei and Kaohsiung" for a Tainan article stays, flagged).

    On Qwen2.5-Coder-1.5B, asked to correct "the Taipei City Government" beside the source
    sentence naming 臺南, the repair request copied the sentence back 18 times of 18 (three
    summaries, three tries each, with and without the places named in English).

    Example::

        >>> fix_wrong_cities("The Taipei City Government met.", "南市府召開會議，臺南市長出席。")
        ('The Tainan City Government met.', [Correction(phrase='Taipei', written='Tainan')])
    """
    if is_chinese(output) or not is_chinese(source):
        return output, []
    latin, spans = source.lower(), sentences(output)
    fixes = []
    misread: dict[str, set[str]] = {}  # each city meant → the cities of the output taken for it
    for match in _CITY.finditer(output):
        city = match.group(1)
        meant = None if _names_city(source, latin, city) else meant_city(city, source)
        if meant is None:
            continue
        misread.setdefault(meant, set()).add(city)
        if re.search(rf"\b{re.escape(meant)}\b", _sentence_at(output, spans, match.start())):
            continue
        fixes.append((match.start(), match.end(), meant))
    # Two cities of the output taken for one of the article are no misreading of it, but places the
    # article names some way the table does not know ("Taipei, New Taipei, Keelung and Taoyuan"
    # for 北北基桃): they stay, flagged.
    fixes = [fix for fix in fixes if len(misread[fix[2]]) == 1]
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
    if is_chinese(output) or not is_chinese(source):
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
        readings = [_no_v(r.replace("'", "").replace("ʼ", "").replace("ü", "u")) for r in pinyin(char, style=Style.WADEGILES, heteronym=True)[0]]
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
# A sentence number has at most 9 digits: more is no marker of ours, and over 4,300 digits int()
# raises ValueError (a reply of "[999...9] x" crashed the run).
_REPAIR_MARKER = re.compile(r"^\s*\[(\d{1,9})\]\s*(.*)$")


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


# After a year, what makes it part of more than a date adjunct: a range, a possessive.
_YEAR_GOES_ON = re.compile(r"\s*(?:[-–—/]|to\b|and\b|through\b)|['’]", re.IGNORECASE)


def drop_unsupported_dates(text: str, claims: Iterable[Claim]) -> tuple[str, tuple[str, ...]]:
    """``text`` (English) without each unsupported date or year that a preposition attaches to
    its sentence ("on March 17, 2023", "in 2023"), and the phrases taken out; the rest of the
    sentence stays.

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
    # A year alone ("opened in 2023") too: a title alone came back with one, which the drop of
    # its sentence could not take out (the sentence was the whole summary). Not one of a range
    # ("2020-2023") nor one that owns a word ("2023's").
    years = {
        (c.figure.start, c.figure.end) for c in claims
        if c.figure is not None and c.figure.kind == "year" and not _YEAR_GOES_ON.match(text, c.figure.end)
    }
    cuts: list[tuple[int, int, str]] = []
    phrases: list[str] = []
    for (start, end), count in sorted([*claimed.items(), *((span, 0) for span in years)]):
        adjunct = _DATE_ADJUNCT.search(text, max(0, start - 14), start)
        if adjunct is None or (count != len(english_dates(text[start:end])) and (start, end) not in years):
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
    spans = [(a, b) for a, b in sentences(text) if text[a:b].strip() in doomed]
    dropped = [text[a:b].strip() for a, b in spans]
    rest = without_sentences(text, spans)
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
    wrong_language = language == "en" and not_english(repaired)
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
    if not is_chinese(text):
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
    """One warning per kind of rewrite from the source, with how many times it was made: a
    reader of the log sees what the model wrote (a name misread three times was three lines)."""
    for (phrase, written), times in Counter(corrections).items():
        log.warning("%s%r written as the article gives it: %r%s", where, phrase, written, f" (×{times})" if times > 1 else "")


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
