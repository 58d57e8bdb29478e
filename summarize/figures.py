"""Figures of a text, read into values, and traced from an output to its source: the one home
for what a number of either language means.

::

    figures(text)               every figure of an English or Chinese text, as a value
    english_figures(text)       the figures of an English text ("2.3 billion", "one third", "June 30")
    chinese_figures(text)       the figures of a Chinese text (2350億, 三分之一, 過半, 民國113年)
    chinese_dates(text)         the dates and months of a Chinese text
    chinese_number(text)        one Chinese or mixed numeral as a number (兩千三百五十 → 2350)
    supported(figure, sources)  whether a source figure supports an output figure

Pure functions of text. ``summarize.verify`` builds its checks of an output on them, and the
key-sentence chooser counts an article's figures with them.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, replace

from .text import half_width, mostly_chinese

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
#     round number of an approximation (近百 = 100, 逾千 = 1,000, 十多萬 = 100,000) or of a count
#     (百萬戶 = 1,000,000 households, 萬元 = 10,000 yuan);
#   - a 民國 year as the Gregorian one (113年 = 2024);
#   - a multiple written as a verb as the source's multiple, its change in percent or two of
#     its amounts ("doubled" = 兩倍, 成長一倍, 翻倍, 100%, or 100元 to 200元; "halved" = 減半, 50%).
# Some figures are more than a value, and only a source figure of the same kind supports them:
#   - a date or a month is one figure ("June 30", "30 June 2024", "2024-06-30", "6/30", "March
#     2025", "in July"): a source date with the same parts, never the same numbers anywhere;
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
# The most when a word says it is rounded: "about 2 million" for 186萬 (7.5% off) is how a brief
# writes it, and "over 1,800" for 逾1805名. The slips the check is for (萬 read as thousand, 億
# as million, a day cut to one digit) are ten times off or more, and a hedge lets none through.
# The figure may then be rounded to its last non-zero digit, and "nearly" and "almost" say the
# source is at most the figure, "over" and "more than" that it is at least the figure.
HEDGED_ROUNDING = 0.1
_EN_HEDGES = {
    "about": "about", "around": "about", "roughly": "about", "approximately": "about", "some": "about",
    "an estimated": "about", "close to": "below", "nearly": "below", "almost": "below", "just under": "below",
    "over": "above", "more than": "above", "at least": "above", "just over": "above", "upwards of": "above",
}
_EN_HEDGE = re.compile(
    r"(?<![\w-])(" + "|".join(sorted((h.replace(" ", r"\s+") for h in _EN_HEDGES), key=len, reverse=True)) + r")\s+\Z",
    re.IGNORECASE,
)


def _english_hedge(text: str, start: int) -> str:
    """The kind of rounding the word before the English figure at ``start`` says ("" for none)."""
    match = _EN_HEDGE.search(text, max(0, start - 16), start)
    return _EN_HEDGES[" ".join(match.group(1).lower().split())] if match else ""
# The number of a list item: at the start of a line (after indentation or a quote mark), then
# "." or ")" and a space. It numbers the item and is no figure.
LIST_NUMBER = re.compile(r"^[ \t>]*(\d{1,2})[.)][ \t]", re.MULTILINE)

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
_FIRST_SECOND = {"first": 1, "second": 2}
_EN_FIRST_SECOND = re.compile(r"\b(?:first|second)\b", re.IGNORECASE)
# Every word that counts, from the tables above: a template's changed word is never one, since
# "the first grade" and "the second grade" say different things (``_near_copy``).
COUNT_WORDS = frozenset(
    {*_WORD_UNITS, *_WORD_TENS, *_ORDINALS, *_IDIOMS, "hundred", *(w for w in _SCALES if len(w) > 2), "half", "twice", "once"}
)

_EN_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_EN_SCALE = r"(?:\s*(?:thousand|million|billion|trillion)\b|\s?(?:bn|mn|tn)\b|(?<=\d)[mkb]\b)"
_EN_PERCENT = (
    r"(?:\s*(?:%|per\s?cent\b|percentage[\s-]+points?\b|pct\b|points?\b(?=\s+(?:higher|lower|up|down)))"
    r"|-(?:per-?cent|percentage-points?)\b)"  # "a 3-percentage-point rise", "a 5-percent cut"
)
_EN_CURRENCY = r"(?:(?:US|NT|HK|A|C|S)\$|\$|€|£|¥|RMB\s?|NTD\s?|USD\s?|TWD\s?)"
_EN_WORD = "|".join(sorted([*_WORD_UNITS, *_WORD_TENS, *_ORDINALS, "hundred"], key=len, reverse=True))
# Currencies an amount names without doubt, by ISO code. "¥", 元 and "yuan" are left out: a
# Taiwanese 元 is often written "yuan", and ¥ is both yen and yuan. "$" is any dollar (``DOLLAR``):
# it agrees with every dollar, and with no other currency ("$5 billion" for 人民幣50億元).
DOLLAR = "dollar"
_DOLLARS = frozenset({"USD", "TWD", "HKD", "AUD", "CAD", "SGD", DOLLAR})
_EN_CURRENCY_CODES = {"us$": "USD", "usd": "USD", "nt$": "TWD", "ntd": "TWD", "twd": "TWD", "hk$": "HKD",
                      "a$": "AUD", "c$": "CAD", "s$": "SGD", "$": DOLLAR, "rmb": "CNY", "€": "EUR", "£": "GBP"}
_EN_CURRENCY_AFTER = re.compile(
    r"\s*(?P<c>U\.?S\.? dollars?|American dollars?|(?:New )?Taiwan(?:ese)? dollars?|NT dollars?|Hong Kong dollars?"
    r"|renminbi|yen|euros?|pounds? sterling)\b",
    re.IGNORECASE,
)
_EN_CURRENCY_WORDS = (("u", "USD"), ("american", "USD"), ("new", "TWD"), ("taiwan", "TWD"), ("nt", "TWD"), ("hong", "HKD"),
                      ("renminbi", "CNY"), ("yen", "JPY"), ("euro", "EUR"), ("pound", "GBP"))
_ZH_CURRENCY_BEFORE = re.compile(r"(?P<c>新臺幣|新台幣|臺幣|台幣|美金|人民幣|港幣|日幣)\s*(?:約|逾|近|超過)?\s*\Z")
_ZH_CURRENCY_AFTER = re.compile(r"\s*(?P<c>美元|美金|港元|港幣|日圓|日元|日幣|歐元|英鎊|人民幣|臺幣|台幣)")
# A word after a Chinese amount that counts things, not money (people, points, kilometres,
# places): ``NOT_MONEY``, which no amount in a named currency comes from. On the reference model
# a market report's 收在258.6點 (an index closing at 258.6 points) came back "closed at NT$258.6
# per share", and nothing noticed. 台 and 臺 before 幣 are money; 個 before 百分點 a percentage.
NOT_MONEY = "not money"
_ZH_THINGS_COUNTED = re.compile(
    r"\s*(?:人|名|位|點|公里|公尺|公分|公斤|公噸|公頃|[台臺](?!幣)|架|艘|輛|處|件|座|所|間|戶|家|隻|項|場|歲|小時|分鐘|天|個(?!百分點))"
)
_ZH_CURRENCY_CODES = {"新臺幣": "TWD", "新台幣": "TWD", "臺幣": "TWD", "台幣": "TWD", "美金": "USD", "美元": "USD",
                      "人民幣": "CNY", "港幣": "HKD", "港元": "HKD", "日幣": "JPY", "日圓": "JPY", "日元": "JPY",
                      "歐元": "EUR", "英鎊": "GBP"}


def _english_currency(text: str, cur: str | None, end: int) -> str:
    """The currency an English amount names: its sign ("US$") or the words after it ("U.S.
    dollars"); a bare "$" names a dollar (``DOLLAR``) unless the words after it say which."""
    code = _EN_CURRENCY_CODES.get(cur.strip().lower(), "") if cur else ""
    if code and code != DOLLAR:
        return code
    after = _EN_CURRENCY_AFTER.match(text, end)
    if after:
        word = after.group("c").lower()
        return next(code for start, code in _EN_CURRENCY_WORDS if word.startswith(start))
    return code


def currencies_clash(a: str, b: str) -> bool:
    """Whether two amounts' currencies (``Figure.currency``) cannot be the same: both named and
    different, a bare dollar ("$") agreeing with every dollar; a count of things (``NOT_MONEY``)
    clashes with every named currency.

    Example::

        >>> currencies_clash("USD", "TWD"), currencies_clash(DOLLAR, "TWD"), currencies_clash(DOLLAR, "CNY")
        (True, False, True)
        >>> currencies_clash("TWD", NOT_MONEY), currencies_clash("", NOT_MONEY)
        (True, False)
    """
    if not a or not b or a == b:
        return False
    if DOLLAR in (a, b):
        return not {a, b} <= _DOLLARS
    return True


def _chinese_currency(text: str, start: int, end: int) -> str:
    """The currency a Chinese amount names: 新臺幣 before it, or 美元 after it; ``NOT_MONEY`` for
    one a word counting things follows (258.6點, 1,240人), "" for any other (元 names none for sure)."""
    before = _ZH_CURRENCY_BEFORE.search(text, max(0, start - 8), start)
    after = _ZH_CURRENCY_AFTER.match(text, end)
    found = after.group("c") if after else before.group("c") if before else ""
    if not found and (_ZH_THINGS_COUNTED.match(text, end) or text.endswith("點", start, end)):  # 點 ends a numeral too
        return NOT_MONEY
    return _ZH_CURRENCY_CODES.get(found, "")


# A temperature and its sign. 零下5度 written "5 degrees" turns a frost into a mild day, so a
# temperature below zero supports only one written below zero, and the reverse. Chinese: 度, ℃ or °
# after a number; 度 counts times too (兩度 is twice), so after a Chinese numeral it is a
# temperature only after 攝氏 or 零下. Below zero: 零下, 負 or a minus sign before it. English:
# degrees, °C, ℃ or ° after it; below zero: minus, negative or a minus sign before it, or "below
# zero" or "below freezing" after it. The second number of a range (零下3至5度, "3-5°C") takes
# its sign from the first, so its sign is left unread.
_ZH_DEGREES = re.compile(r"\s*(?:(?P<du>度)(?![空])|℃|°)")
_ZH_BELOW = re.compile(r"(?:零下|負)\s*(?:攝氏)?\s*\Z")
_ZH_CELSIUS = re.compile(r"(?:攝氏|零下|負)\s*\Z")
_ZH_SIGN_OR_JOIN = re.compile(r"(?P<num>[\d０-９零〇一二兩三四五六七八九十])?\s*(?P<join>[-－−–~～至到])\s*\Z")
_EN_DEGREES = re.compile(
    r"\s*(?:°(?:\s?[CF]\b)?|℃|℉|degrees?\b(?:\s+(?:Celsius|centigrade|Fahrenheit)\b)?)"
    r"(?P<below>\s+below\s+(?:zero|freezing)\b)?",
    re.IGNORECASE,
)
_EN_BELOW = re.compile(r"\b(?:minus|negative)\s+\Z", re.IGNORECASE)
_EN_SIGN_OR_JOIN = re.compile(r"(?P<num>[\d%])?\s*(?P<join>[-−–]|\bto\b|\band\b)\s*\Z", re.IGNORECASE)


def _english_below_zero(text: str, start: int, end: int) -> bool | None:
    """Whether the English number at ``text[start:end]`` is a temperature below zero (None: no
    temperature, or the second number of a range)."""
    unit = _EN_DEGREES.match(text, end)
    if not unit:
        return None
    if unit.group("below") or _EN_BELOW.search(text, max(0, start - 12), start):
        return True
    join = _EN_SIGN_OR_JOIN.search(text, max(0, start - 8), start)
    if join and join.group("num"):
        return None
    return join is not None and join.group("join") in "-−–"


def _chinese_below_zero(text: str, start: int, end: int) -> bool | None:
    """Whether the Chinese number at ``text[start:end]`` is a temperature below zero (None: no
    temperature, or the second number of a range)."""
    unit = _ZH_DEGREES.match(text, end)
    if not unit:
        return None
    if unit.group("du") and not text[start].isdigit() and not _ZH_CELSIUS.search(text, max(0, start - 4), start):
        return None  # 兩度, 三度: twice, three times
    if _ZH_BELOW.search(text, max(0, start - 6), start):
        return True
    join = _ZH_SIGN_OR_JOIN.search(text, max(0, start - 4), start)
    if join and join.group("num"):
        return None
    return join is not None and join.group("join") in "-－−–"


# The direction of a change. 衰退3.5% written "grew 3.5%" turns a fall into a rise, so a figure
# stated as a rise is not supported by a source figure stated as a fall, nor the reverse; it is
# flagged only when every source figure of its value states the other direction. Most figures
# state none, and a figure without one supports, and is supported by, either; so does a level
# a change ended at or came from ("fell from 5% to 3.5%", 降至3.5%, "growth slowed to 2.1%").
# A direction is read only from what touches the figure, on both sides:
#   - a word of change right before it, with only "by", "about", 了, 約 and the like between
#     (成長3.5%, 較去年同期減少了約3.5%, 年增3.5%, 減幅為3.5%, "grew 3.5%", "fell by about 3.5
#     percent", "a decline of 3.5%", "down 3.5 percentage points"), or in English an adverb
#     ("rose sharply 3%") or the thing that changed ("an increase in sales of 3%", "cut prices by
#     3%": ``_EN_CHANGE_APART``), unless "not" or 未 negates it ("did not fall 3.5%", 沒有增加3%);
#     in Simplified characters too (增长3.5%, 减少了约3.5%);
#   - or a noun of change right after it ("a 3.5% drop", "3.5 percent higher", 六成嘅減租);
#   - or, for a fall, a minus sign on the number (-2.1%, 負2.1%, "minus 2.1%"), which outweighs
#     the word before it: 成長率為負2.1% is a fall. Not for a temperature, whose sign
#     ``below_zero`` reads, and not a dash set apart by a space ("growth – 2.1% – was ...").
# Precision over recall: the words are ones that say an amount went one way and nothing else
# (a gap that narrowed, 差距縮小, fell; a span that was lengthened, 延長, rose), and a change
# written any other way ("slowed", "improved", 趨緩) states none, so an unknown word can only
# make the check miss, never flag a right figure. Words with another common sense count only
# for a percentage: "up" and "down" ("picked up 3 awards"; not after "made" or "took": "made
# up 18%"), "higher", "lower", "cheaper" and "dearer" after a number ("3 lower courts", "3
# cheaper models"), and verbs and nouns whose object may be a count of something else ("raised
# 3 children", "eased 3 rules", "rallied 3,000 supporters", "a slide of 3 photos").
_ZH_RISE = (
    "成長率?|增長率?|年增率?|月增|季增|增加|增幅|上升|提升|提高|攀升|回升|反彈|上漲|漲幅|升幅|上修|上調|上揚|走高|走揚"
    "|擴大|延長|升值|增|漲|升"
)
_ZH_FALL = (
    "負成長|負增長|衰退|減少|減幅|下降|降低|降幅|下滑|下跌|跌幅|萎縮|縮減|縮水|縮小|縮短|收斂|下修|下調|回落|走低|下挫|重挫"
    "|貶值|年減率?|月減|季減|減|降|跌"
)
# The word, then what may stand between it and the number: 了 (咗 in Cantonese), about, over,
# nearly, a currency; after a noun of size (率, 幅度) also 為 and 是, which after a verb
# say "to" (增加為3萬 is a level).
_ZH_CHANGE_BEFORE = re.compile(
    rf"(?:(?P<fall>{_ZH_FALL})|(?P<rise>{_ZH_RISE}))(?:率|幅度?)?"
    r"(?:(?<=[率幅度])[為是])?(?:了|咗|約|大約|達|高達|逾|超過|近|將近|接近|有|新臺幣|新台幣|臺幣|台幣|美金|人民幣|港幣)*\s*\Z"
)
# A word of change negated: 未減少, 沒有增加, 不會下降 (but 不斷增加 is a rise, 不減反增 too).
_ZH_NEGATED = re.compile(r"(?:未|不|沒有?|無|冇)(?:會|能|再|曾)?\Z")
# Single characters that open other words: 增減 and 漲跌 (a change either way), 升降, 公升.
_ZH_NOT_CHANGE = re.compile(r"[增加]減|漲跌|升降|公升|勝負|抱負|欺負")
_ZH_CHANGE_AFTER = re.compile(
    r"\s*(?:的|嘅)?\s*(?:(?P<rise>成長|增長|增幅|漲幅|升幅|加租|加薪|加價)|(?P<fall>衰退|減少|下降|減幅|降幅|跌幅|減租|減薪|減價))"
)
_ZH_MINUS = re.compile(r"(?<![\d０-９零〇一二兩三四五六七八九十百千萬億勝抱欺正])(?:負\s*|[-－−])\Z")
# Articles and replies may write these words in Simplified characters (增长, 减少, 下降了约, 负增长).
# They are read on the text with each Simplified-only character of the words above in its
# Traditional form, one for one, so every position stays; a Traditional text is left as it is,
# since no Traditional text writes any of these characters.
TRADITIONAL_CHANGE_WORDS = str.maketrans("长弹涨负减缩为约达过将币没无会价胜扩调扬敛贬", "長彈漲負減縮為約達過將幣沒無會價勝擴調揚斂貶")
_EN_RISE = (
    r"rose|rises?|rising|risen|grew|grows?|growing|grown|increased|increases?|increasing|climbed|climbs?|climbing"
    r"|jumped|jumps?|jumping|surged|surges?|surging|gained|gains?|gaining|soared|soars?|soaring|expanded|expands?"
    r"|expanding|rebounded|rebounds?|rebounding|widened|widens?|widening|skyrocketed|skyrockets?|skyrocketing|swelled"
    r"|swollen|hiked|hikes|lengthened|lengthens?|lengthening"
)
_EN_FALL = (
    r"fell|falls?|falling|fallen|declined|declines?|declining|dropped|drops?|dropping|decreased|decreases?|decreasing"
    r"|shrank|shrunk|shrinks?|shrinking|contracted|contracts?|contracting|slid|slides?|sliding|slipped|slips?|slipping"
    r"|plunged|plunges?|plunging|plummeted|plummets?|plummeting|tumbled|tumbles?|tumbling|sank|sinks?|sinking"
    r"|slumped|slumps?|slumping|dipped|dips?|dipping|cut|cuts|cutting|reduced|reduces?|reducing|lowered|lowers|lowering"
    r"|narrowed|narrows|narrowing|dwindled|dwindles?|dwindling|slashed|slashes|slashing|trimmed|trims?|trimming"
    r"|shortened|shortens?|shortening"
)
# Verbs with other senses, for a percentage only ("raised 3 children", "eased 3 rules").
_EN_RISE_PERCENT = r"raised|raises?|raising|boosted|boosts?|boosting|rallied|rallies|rallying|spiked|spikes?|spiking|rocketed"
_EN_FALL_PERCENT = (
    r"eased|eases?|easing|retreated|retreats?|retreating|weakened|weakens?|weakening|shed|sheds|shedding"
)
# Nouns of change, before "of" ("an increase of 3.5%") or after the number ("a 3.5% drop").
_EN_RISE_NOUNS = r"increase|rise|growth|gain|jump|surge|hike|expansion|rebound"
_EN_FALL_NOUNS = r"negative\s+growth|decline|drop|fall|decrease|contraction|reduction|cut|slump|dip|plunge"
# Nouns with other senses, for a percentage only ("a slide of 3 photos", "3 boost jabs").
_EN_RISE_NOUNS_PERCENT = r"boost|climb|spike|raise|upturn|widening"
_EN_FALL_NOUNS_PERCENT = r"slide|downturn|narrowing"
_EN_BETWEEN = (
    r"(?:(?:by|about|around|roughly|nearly|almost|some|approximately|over|just|only|another|more\s+than|less\s+than"
    r"|as\s+much\s+as|an?\s+(?:estimated|further|additional))\s+)*"
)
# An adverb after a verb of change: "rose sharply 3%", "fell slightly by 2%".
_EN_ADVERB = r"(?:\s+[a-z]+ly\b)?"
_EN_CHANGE_BEFORE = re.compile(
    rf"(?<![\w-])(?:(?P<fall>{_EN_FALL_NOUNS})\s+of|(?P<rise>{_EN_RISE_NOUNS})\s+of"
    rf"|(?P<fall_verb>{_EN_FALL}){_EN_ADVERB}|(?P<rise_verb>{_EN_RISE}){_EN_ADVERB}"
    rf"|(?P<fall_pct>down|(?:{_EN_FALL_PERCENT}){_EN_ADVERB}|(?:{_EN_FALL_NOUNS_PERCENT})\s+of)"
    rf"|(?P<rise_pct>(?P<up>up)|(?:{_EN_RISE_PERCENT}){_EN_ADVERB}|(?:{_EN_RISE_NOUNS_PERCENT})\s+of))\s+{_EN_BETWEEN}\Z",
    re.IGNORECASE,
)
# What a word of change apart from its number ends with (``_EN_CHANGE_APART``, defined below
# with the words a thing changed may not hold): "of" or "by", then what may stand between.
_EN_OF_OR_BY = re.compile(rf"\b(?:of|by)\s+{_EN_BETWEEN}\Z", re.IGNORECASE)
_EN_NEGATED = re.compile(r"(?:\b(?:not|never|no)|n't)\s+(?:\w+\s+)?\Z", re.IGNORECASE)
# After a count, "higher", "lower", "cheaper", "fall" and the nouns with other senses say something
# else ("3 lower courts", "the fall term", "3 cheaper models", "3 slide decks").
_EN_CHANGE_AFTER = re.compile(
    r"(?:\s+(?:year-on-year|year-over-year|on-year|annual|yearly))?"
    rf"\s+(?:(?P<rise>{_EN_RISE_NOUNS}|{_EN_RISE_NOUNS_PERCENT}|higher|dearer|more\s+expensive)"
    rf"|(?P<fall>{_EN_FALL_NOUNS}|{_EN_FALL_NOUNS_PERCENT}|lower|cheaper|less\s+expensive))(?![\w-])",
    re.IGNORECASE,
)
_EN_COUNT_AFTER = re.compile(
    rf"higher|lower|fall|dearer|cheaper|(?:more|less)\s+expensive|{_EN_RISE_NOUNS_PERCENT}|{_EN_FALL_NOUNS_PERCENT}",
    re.IGNORECASE,
)
# "Up" after these is no rise: "women made up 18%", "it took up 40% of the space".
_EN_UP_OF = re.compile(r"\b(?:make|makes|made|making|take|takes|took|taken|taking)\s+\Z", re.IGNORECASE)
_EN_MINUS = re.compile(r"(?:(?<![\w%.,)-])[-−]|\b(?:minus|negative)\s+)\Z", re.IGNORECASE)


def _english_rising(text: str, start: int, end: int, percent: bool, temperature: bool) -> bool | None:
    """Whether the English figure at ``text[start:end]`` is stated as a rise (True) or a fall
    (False); None when no word next to it says (see the comment above)."""
    if not temperature and _EN_MINUS.search(text, max(0, start - 10), start):
        return False
    found = set()
    before = _EN_CHANGE_BEFORE.search(text, max(0, start - 60), start)
    if before is None and _EN_OF_OR_BY.search(text, max(0, start - 40), start):
        before = _EN_CHANGE_APART.search(text, max(0, start - 120), start)
        if before and (
            _EN_ANY_CHANGE.search(before.group("thing_of") or before.group("thing_by"))
            or (before.group("thing_of") and _counts_the_next_word(text, end))
        ):
            before = None
    # The groups that matched: "rise…" or "fall…", "…pct" for a word read for a percentage only.
    named = {name for name, value in (before.groupdict() if before else {}).items() if value and not name.startswith("thing")}
    if before and any(name.endswith(("_pct", "_pct_verb")) for name in named):
        if not percent or ("up" in named and _EN_UP_OF.search(text, max(0, before.start() - 8), before.start())):
            before = None
    if before and not _EN_NEGATED.search(text, max(0, before.start() - 20), before.start()):
        found.add(any(name.startswith("rise") for name in named))
    after = _EN_CHANGE_AFTER.match(text, end)
    if after and (percent or not _EN_COUNT_AFTER.fullmatch(after.group("rise") or after.group("fall"))):
        found.add(after.group("rise") is not None)
    return found.pop() if len(found) == 1 else None


def _chinese_rising(text: str, start: int, end: int, temperature: bool) -> bool | None:
    """Whether the Chinese figure at ``text[start:end]`` is stated as a rise (True) or a fall
    (False); None when no word next to it says (see the comment above)."""
    if not temperature and _ZH_MINUS.search(text, max(0, start - 3), start):
        return False
    before = _ZH_CHANGE_BEFORE.search(text, max(0, start - 16), start)
    if before and (
        (before.start() and _ZH_NOT_CHANGE.match(text, before.start() - 1))
        or _ZH_NEGATED.search(text, max(0, before.start() - 3), before.start())
    ):
        before = None
    after = _ZH_CHANGE_AFTER.match(text, end)
    rising = {match.group("rise") is not None for match in (before, after) if match is not None}
    return rising.pop() if len(rising) == 1 else None


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
PHRASE_STOP = {"of", "in", "for", "from", "with"}
# Words that end the phrase a figure counts ("600 million and ...", "2024 when ...").
FUNCTION_WORDS = frozenset(
    "a an the and or but nor so than as that which who whom whose when while where after before since "
    "is are was were be been being has have had do does did will would can could shall should may might must "
    "it its they their them he his she her we our you your this these those there to on at by per each".split()
)
WORD_AFTER = re.compile(r"\s*([A-Za-z][A-Za-z'-]*)")
# A word of change apart from its number by the thing that changed: a noun, "in" the thing, "of"
# the number ("an increase in sales of 3%", "a drop in the number of visitors of 30,000"), or a
# verb, the thing, "by" the number ("cut prices by 3%", "raised its fees sharply by 2%"). The
# thing is a few words, none of them a function word; one that holds a word of change states
# none ("cut the growing deficit by 3%": which word says the 3%?). After "of", a number that
# counts the word after it counts the thing ("a rise in the prices of 3 products"): no change.
_EN_DETERMINER = r"(?:(?:the|its|their|his|her|our|your|this|these|those)\s+)?"
_EN_THING_WORD = (
    r"(?!(?:" + "|".join(sorted(FUNCTION_WORDS | PHRASE_STOP | {"not", "no", "never", "up", "down", "from"}, key=len, reverse=True))
    + r")\b)[a-z][a-z'-]*"
)
_EN_THING = (
    rf"{_EN_DETERMINER}{_EN_THING_WORD}(?:\s+{_EN_THING_WORD}){{0,2}}"
    rf"(?:\s+of\s+{_EN_DETERMINER}{_EN_THING_WORD}(?:\s+{_EN_THING_WORD})?)?"
)
_EN_ANY_CHANGE = re.compile(
    rf"\b(?:{_EN_RISE}|{_EN_FALL}|{_EN_RISE_PERCENT}|{_EN_FALL_PERCENT}|{_EN_RISE_NOUNS}|{_EN_FALL_NOUNS}"
    rf"|{_EN_RISE_NOUNS_PERCENT}|{_EN_FALL_NOUNS_PERCENT})s?\b",
    re.IGNORECASE,
)
_EN_CHANGE_APART = re.compile(
    rf"(?<![\w-])(?:(?:(?P<fall>{_EN_FALL_NOUNS})|(?P<rise>{_EN_RISE_NOUNS})|(?P<fall_pct>{_EN_FALL_NOUNS_PERCENT})"
    rf"|(?P<rise_pct>{_EN_RISE_NOUNS_PERCENT}))\s+in\s+(?P<thing_of>{_EN_THING})\s+of"
    rf"|(?:(?P<fall_verb>{_EN_FALL})|(?P<rise_verb>{_EN_RISE})|(?P<fall_pct_verb>{_EN_FALL_PERCENT})"
    rf"|(?P<rise_pct_verb>{_EN_RISE_PERCENT}))\s+(?P<thing_by>{_EN_THING}){_EN_ADVERB}\s+by)\s+{_EN_BETWEEN}\Z",
    re.IGNORECASE,
)

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
EN_MONTH = rf"(?:{_EN_FULL_MONTH}|(?:{'|'.join(_MONTH_ABBREVIATIONS)})\b\.?)"
_EN_YEAR_DIGITS = r"(?:1\d{3}|2[01]\d{2})"
_EN_YEAR = rf"{_EN_YEAR_DIGITS}(?![\d,.]?\d)"
_EN_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?![\d:])"
_EN_DATE = re.compile(
    rf"(?<![\d.])(?P<iy>{_EN_YEAR_DIGITS})(?P<sep>[-/.])(?P<im>0?[1-9]|1[0-2])(?P=sep)(?P<id>[12]\d|3[01]|0?[1-9])(?![\d.]?\d)"
    rf"|(?<![\d.])(?P<na>0?[1-9]|[12]\d|3[01])(?P<nsep>[/.-])(?P<nb>0?[1-9]|[12]\d|3[01])(?P=nsep)(?P<ny>{_EN_YEAR_DIGITS})(?![\d.]?\d)"
    r"|(?<![\d./])(?P<sm>1[0-2]|0?[1-9])/(?P<sd>[12]\d|3[01]|0?[1-9])(?![\d/]|\.\d)"
    rf"|(?P<m1>{EN_MONTH})\s+(?P<d1>{_EN_DAY})(?:\s*(?:-|–|to|through)\s*(?P<d1b>{_EN_DAY}))?(?:,?\s+(?P<y1>{_EN_YEAR}))?"
    rf"|(?<![\d.])(?P<d2>{_EN_DAY})\s+(?:of\s+)?(?P<m2>{EN_MONTH})(?:,?\s+(?P<y2>{_EN_YEAR}))?"
    rf"|(?P<m3>{EN_MONTH}),?\s+(?P<y3>{_EN_YEAR})"
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
        elif group("ny"):
            first, second = int(group("na")), int(group("nb"))
            # 12/31/2023 or 31/12/2023: the day is the one over 12; when neither is, month first.
            month, day = (second, first) if first > 12 else (first, second)
            if month > 12:
                continue
            parts = [(int(group("ny")), month, day)]
        elif group("sm"):
            if slash_fraction(group("sm"), group("sd")):
                continue
            parts = [(None, int(group("sm")), int(group("sd")))]
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


def slash_fraction(first: str, second: str) -> bool:
    """Whether a month and day written with a slash are a fraction instead: one digit over a
    larger one up to 10 (1/3, 3/10 are shares; 2/2, 6/30, 12/25 and 5/3 are dates). One rule for
    both languages: ``chinese_figures`` reads its 1/3 by it too."""
    return len(first) == 1 and 0 < int(first) < int(second) <= 10


def _month(name: str) -> int:
    return _MONTHS[name.rstrip(".").lower()]


def _day(text: str) -> int:
    return int(re.match(r"\d+", text).group())  # type: ignore[union-attr]


def _counts_the_next_word(text: str, end: int) -> bool:
    """Whether the word after a number (ending at ``end``) says it counts something: a plural
    ("1805 residents"), or a word hyphened to it ("a 2000-page book", "a 1500-seat hall")."""
    if text[end : end + 1] == "-" and text[end + 1 : end + 2].isalpha():
        return True
    word = WORD_AFTER.match(text, end)
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
    if lowered in FUNCTION_WORDS or lowered in PHRASE_STOP or lowered in _NOT_NAMES or lowered in _MONTHS:
        return ""
    return word


_ZH_DIGITS = "零〇一二兩三四五六七八九"
# The Simplified forms of the numerals and counters below, each to its Traditional one.
TRADITIONAL_NUMERALS = str.maketrans(
    "万亿两点个项处页户辆张条笔栋层楼岁吨间届级余来号",
    "萬億兩點個項處頁戶輛張條筆棟層樓歲噸間屆級餘來號",
)
# Right before a number, what makes it part of a name: "Qwen3", "R-1".
_GLUED = re.compile(r"(?:[A-Za-z]|[A-Za-z]-)\Z")
# Right before a number, what makes it a day of the week: 週一, 星期三, 禮拜五.
_WEEKDAY = ("週", "周", "星期", "禮拜", "礼拜")
# Right before a number of a Chinese output, a Latin name it belongs to: "Grok 2".
_OUTPUT_NAME = re.compile(r"(?<![A-Za-z])([A-Za-z]+) \Z")
_ZH_NUMERAL = rf"[{_ZH_DIGITS}○十廿卅百千萬億兆點]"
# What may come right before a number and change it (百分之三十, 千分之三, 民國113年, 第三): looked
# for behind each match, not in the pattern, where an optional prefix doubled the time of a scan.
_ZH_PREFIXES = ("百分之", "千分之", "萬分之", "民國", "第")
# Per hundred, thousand and ten thousand: 千分之三 is 0.3%.
_ZH_PER = {"百分之": 1.0, "千分之": 0.1, "萬分之": 0.01}
_ZH_UNITS = {"十": 10.0, "百": 100.0, "千": 1e3, "萬": 1e4, "億": 1e8, "兆": 1e12}
# The digit after one digit's 成 that gives it tenths: 三成二 and 3成2 are 32%, 九成五 95%. Not
# after 十 or a decimal (十成, 3.5成), and not when a number or a counter follows it: in 三成五人 the
# 五 counts people.
_ZH_TENTH = (
    rf"(?<=(?<!{_ZH_NUMERAL})(?<![\d.．])[一二兩三四五六七八九1-9１-９]成)[一二三四五六七八九1-9１-９]"
    rf"(?!{_ZH_NUMERAL}|[\d.．%％年月日時分秒度個人次倍名件位家戶歲天週周元])"
)
# A round 百, 千, 萬 or 億 (or 百萬, 千萬, 百億, 千億, 萬億) with no numeral before it counts what
# follows it: 百萬戶 is a million households, 萬元 ten thousand yuan. Read only before a counter or
# a currency, so 千萬不要 (by all means) and 萬一 (in case) stay words, and not after 數 or 幾
# (數百萬: millions, no number). Unread, a faithful "1 million households" was dropped.
_ZH_ROUND_UNIT = (
    rf"(?<![{_ZH_DIGITS}十廿卅○百千萬億數幾\d])(?:[百千][萬億]|萬億|[百千萬億])"
    r"(?=[元人戶名件個家位項次場台臺輛張份筆棟間噸隻株坪篇倍美港日歐英])"
)
# A number; a round 百, 千, 萬 or 億 alone after a word that says about (近百, 逾千, 上萬, 破億),
# before one that says more (百餘件, 千多人) or before a counter (百萬戶, 萬元); then a fraction
# (三分之一), a unit after "more" (十多萬: 100,000 and more), a percent or counter, the tenths of
# a 成 (三成二), and a half (兩個半小時, 一年半, 一半).
_ZH_FIGURE = re.compile(
    rf"(?P<num>(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:[.．]\d+)?(?:{_ZH_NUMERAL}|\d)*|[{_ZH_DIGITS}十廿卅○]{_ZH_NUMERAL}*"
    rf"|[百千萬](?=[餘多來])|[百千萬億](?<=[近逾上破超].)(?!分之){_ZH_NUMERAL}*|{_ZH_ROUND_UNIT})"
    rf"(?:分之(?P<part>\d+(?:[.．]\d+)?|[{_ZH_DIGITS}十百千點]+))?"
    r"(?:[多餘來](?P<unit>[萬億兆]))?"
    r"(?P<post>\s*(?:[%％]|個百分點|百分點|成(?![功立長為員本果績就熟])|折(?![扣舊衷騰])|年)?)"
    rf"(?P<tenth>{_ZH_TENTH})?"
    r"(?P<half>個半(?=小時|月|鐘頭|世紀|星期|禮拜)|(?<=[年一])半(?![導島夜山場價決官徑年天日月數]))?"
)
# A half with no number before it, and what an English text may write for it: 過半 and 半數 are
# 50%, 半年 is six months, 半小時 thirty minutes, 半個月 fifteen days or two weeks, 半世紀 fifty
# years, 半價 50% (off). 半島, 半導體 and 半夜 are words, not halves.
_ZH_LONE_HALF = re.compile(
    r"(?<![\d一二兩三四五六七八九十個年])"
    r"(?:(?P<share>[過逾近超]半數?|超過半數?|半數)|半(?P<span>年|個?小時|個鐘頭?|個月|個?世紀|價))"
)
# Each converted value supports only a span of time in its unit, as ``_durations``'s do: 半小時 is
# "30 minutes", no "30 students".
_ZH_HALF_SPANS = {
    "年": ((6.0, "month"),), "小時": ((30.0, "minute"),), "鐘": ((30.0, "minute"),), "月": ((15.0, "day"), (2.0, "week")),
    "世紀": ((50.0, "year"),),
}
# A span of time after a number, and the units an English text may turn it into: 一個半小時 is
# "90 minutes", 一年半 "18 months", 兩週 "14 days", 14天 "two weeks", 90分鐘 "1.5 hours", 兩天
# "48 hours". Each converted value counts only when it comes out whole or a half.
_ZH_DURATION = re.compile(r"個?(小時|鐘頭|分鐘|星期|禮拜|週|周|天|月)")
# The converted value supports only a figure an English text writes as a span of time in that
# unit ("72 hours" for 三天, never "magnitude 72" for 7.2級 in the same article, nor "72 hour-long
# sessions" or "the 72nd hour": ``_english_duration``).
_ZH_DURATION_FACTORS = {
    "小時": ((60.0, "minute"),), "鐘頭": ((60.0, "minute"),), "分鐘": ((1 / 60, "hour"),),
    "星期": ((7.0, "day"),), "禮拜": ((7.0, "day"),), "週": ((7.0, "day"),), "周": ((7.0, "day"),),
    "天": ((1 / 7, "week"), (24.0, "hour")), "月": ((1 / 12, "year"),), "年": ((12.0, "month"),),
}
# The unit of time an English figure is a span of: "90 minutes", "1.5 hours", "a 48-hour strike",
# "14 more days", "72 straight hours"; then a hyphen that makes the unit part of another word
# ("year-end", "hour-long", "day-care", "month-old").
_EN_DURATION = re.compile(
    r"(?P<hyphen>-)?\s*(?:(?:more|extra|additional|further|straight|consecutive|full|whole)\s+)?"
    r"(?P<unit>minute|hour|day|week|month|year)s?\b(?P<compound>-[a-z])?",
    re.IGNORECASE,
)


def _english_duration(text: str, end: int) -> str:
    """The unit of time ("minute", "hour", ... "year") of which the English number ending at
    ``end`` is a span: "120 minutes", "for 72 hours", "a 72-hour strike", "a 12-month-old", "14
    more days"; "" when it is none. A number set apart by a space from a unit that opens a longer
    word counts that word: "72 hour-long sessions", "3 year-end parties", "120 day-trippers"."""
    match = _EN_DURATION.match(text, end)
    if match is None or (match.group("compound") and not match.group("hyphen")):
        return ""
    return match.group("unit").lower()
# A fraction written with a slash, as in English: 1/3, 2/3 (``slash_fraction`` decides, so that
# 6/30 stays a date). Its numbers are no figures of an output alone.
_ZH_SLASH_FRACTION = re.compile(r"(?<![\d/.,A-Za-z-])(\d)/(\d{1,2})(?![\d/.,A-Za-z-])")
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
ZH_BARE_DAY = re.compile(r"[昨今明前本][（(](?P<d>[0-9０-９]{1,2})[)）]日")
# "2024-06-30", "2024/6/30", "113.6.30", "113/6/30" (a digit or a point right before it is
# checked by the caller: in front of the pattern it made every position slow).
ZH_NUMERIC_DATE = re.compile(
    r"(?P<y>\d{2,4})(?P<sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=sep)(?P<d>[12]\d|3[01]|0?[1-9])(?![\d.]?\d)"
)
# "2/2", "6/30": a month and a day with a slash, no year.
_ZH_SLASH_DATE = re.compile(r"(?<![\d/.])(?P<m>1[0-2]|0?[1-9])/(?P<d>[12]\d|3[01]|0?[1-9])(?![\d/]|[.．]\d)")
# "今(114)年", "去（113）年": a 民國 year in brackets.
_ZH_ROC_BRACKETS = re.compile(r"[（(](\d{2,3})[)）]\s*年")
# A year written as four digits, Arabic or Chinese one by one (一六二四, 二〇二五: a count of that
# size is written 一千六百二十四).
_ZH_YEAR_DIGITS = re.compile(r"\d{4}|[〇○零一二三四五六七八九]{4}")
# Places that open with 臺 or 台, which after four digits count no machines: 1624臺灣, 2026臺南燈會.
_ZH_PLACES = ("臺灣", "台灣", "臺南", "台南", "臺北", "台北", "臺中", "台中", "臺東", "台東")
# After a four-digit number, what makes it a count ("2000頁"), not a year ("2025城鎮韌性演習").
_ZH_COUNTED = frozenset("元人件名個位項次場所處案頁坪公分萬億千百戶家座台臺輛張本份篇間條尊幅筆隻架艘棟層樓歲天日週周月號秒點度倍款株噸里米克斤字期屆級多餘美%％")
def _small_number(text: str) -> int | None:
    """A small Chinese or Arabic number of a date: 30, ３０, 三十, 廿五, 一一三, 一百一十三."""
    value = chinese_number(text.replace("廿", "二十").replace("卅", "三十"))
    return int(value) if value is not None and value == int(value) else None


def chinese_dates(text: str) -> list[Figure]:
    """The dates and months of a Chinese text, each one figure with its (year, month, day):
    2024年6月30日, 6月30日, 113年6月30日 and 民國113年 (as 2024), 六月三十日, ２０２４年６月３０日,
    4至5月 (April and May), 2月1日至30日, 昨(31)日 (a day, its month not written), 2024-06-30, and
    6/30 (not 1/3: ``slash_fraction``)."""
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
    for match in ZH_BARE_DAY.finditer(text):
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
    for match in ZH_NUMERIC_DATE.finditer(text):
        # The lookbehind is checked here: in front of the pattern it made every position slow.
        year = int(match.group("y"))
        if (match.start() and text[match.start() - 1] in "0123456789.") or not (year <= 200 or 1000 <= year <= 2199):
            continue
        found.append((match.start(), match.end(), (year if year >= 1000 else year + 1911, int(match.group("m")), int(match.group("d")))))
    for match in _ZH_SLASH_DATE.finditer(text):
        # 2/2（五）, 6/30: how Taiwan's press writes a day; not a share (1/3) nor a part of a longer date.
        if not slash_fraction(match.group("m"), match.group("d")):
            found.append((match.start(), match.end(), (None, int(match.group("m")), int(match.group("d")))))
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
            ``"date"`` (a date or a month, with ``parts``: only a source date with those parts);
            ``"times"`` (a multiple: "doubled" is 2, 兩倍 or 翻倍 in a source; see ``_trace_multiple``).
        parts: a date's (year, month, day), each None when not written ("June 30": (None, 6, 30);
            "March 2025": (2025, 3, None)).
        label: the name a number follows in an output ("Grok" of "Grok 2"): when the source
            writes that name in Latin letters, only the same name with the same number supports it.
        points: a percentage written as percentage points (3個百分點, "3 percentage points"): a
            change of 3 points is not a change of 3%, and only the same kind supports it.
        currency: the currency the amount names without doubt ("TWD" for 新臺幣 and NT$, "USD"
            for 美元 and US$, ``DOLLAR`` for a bare "$": any dollar), else "" (元, "yuan": any).
            Two named currencies must agree (``currencies_clash``).
        below_zero: for a temperature, whether it is below zero (零下5度, "-5°C", "5 degrees below
            zero"); None for any other figure. Two temperatures must agree.
        rising: for a change, whether it is stated as a rise (成長3.5%, "grew 3.5%") or a fall
            (衰退3.5%, "a 3.5% drop", 負2.1%); None when the words next to it state no direction.
            A rise is not supported by a fall, nor the reverse.
        hedge: for an output's number, the word before it that says it is rounded: "about"
            ("about 2 million", "around 30"), "below" ("nearly", "almost": the source is at most
            this), "above" ("over", "more than": at least this), else "" (see ``HEDGED_ROUNDING``).
        loose: with a hedge, how far a source may be from ``value`` (the rounding of its last
            non-zero digit, as ``tolerance`` is for a large number: "about 30" is 25 to 35).
        unit: a unit of time: the one an English figure is a span of ("minute" for "90 minutes",
            "hour" for "a 72-hour strike"; none for "the 72nd hour" or "72 hour-long sessions"), or
            the one a source's span of time is converted into (一個半小時 as 90 "minute").
        converted: a source's span of time read in another unit (一個半小時 as 90 minutes, 半年 as
            6 months): it supports only a figure that is a span of time in ``unit``. A value as
            the source writes it ("120 minutes" in an English source) supports any figure.
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
    points: bool = False
    currency: str = ""
    below_zero: bool | None = None
    rising: bool | None = None
    hedge: str = ""
    loose: float = 0.0
    unit: str = ""
    converted: bool = False


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




def english_figures(text: str, *, idioms: bool = False) -> list[Figure]:
    """Every figure of an English text that a claim rests on, with its value.

    Digits with separators and decimals, scales ("235 billion", "US$4.53bn"), percentages and
    percentage points, years and the numbers of dates, ordinals ("third straight quarter"),
    number words ("five districts", "two hundred"), fractions ("two thirds", "one in three",
    "two and a half"), and ranges ("NT$40 to 45 billion"). Numbers
    glued to letters are names ("Qwen3", "COVID-19") and idioms ("one of", "first") are words,
    so neither is read; with ``idioms`` (the text is a source, whose figures only support) the
    idioms are read too: "the first phase" supports a translation's 第一階段.
    """
    figures = english_dates(text) + _english_fractions(text) + _english_times(text) + _english_multiples(text)
    if idioms:
        figures += [
            Figure(float(_FIRST_SECOND[m.group().lower()]), False, 0.0, m.group(), *m.span())
            for m in _EN_FIRST_SECOND.finditer(text)
        ]
    # The numbers of a date or a fraction are read with it, not again alone; a list's item numbers
    # ("7. **Costs**") count nothing (a live Cantonese summary's items 7 to 9 were flagged as figures).
    taken = (
        [m.span() for m in _EN_IDIOM.finditer(text)]
        + [(f.start, f.end) for f in figures]
        + [m.span(1) for m in LIST_NUMBER.finditer(text)]
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
            hedge = _english_hedge(text, match.start())
            loose = _half_unit(number) if hedge else 0.0  # "over 1,800", "about 30": rounded after all
            scale_text = (match.group("scale") or "").strip().lower()
            percent = bool(match.group("pct"))
            points = "point" in (match.group("pct") or "").lower()
        else:
            stripped = match.group("words")
            parsed = _words_value(stripped)
            scale_text = (match.group("wscale") or "").strip().lower()
            percent = bool(match.group("wpct"))
            points = "point" in (match.group("wpct") or "").lower()
            if parsed is None or (stripped.lower() in _IDIOMS and not scale_text and not percent and not idioms):
                continue
            value = parsed
            tolerance = 0.5 if not value.is_integer() else 0.0
            hedge, loose = "", 0.0
        if scale_text in ("m", "b") and not match.group("cur"):
            scale_text = ""  # "5m" is five metres; "$5m" is five million; "100k" is a hundred thousand
        scale = _SCALES.get(scale_text, 1.0)
        end = match.end() if scale_text or percent or match.group("words") else match.end("ord") if match.group("ord") else match.end("num")
        while end > match.start() and text[end - 1].isspace():
            end -= 1
        kind, label = "number", ""
        ordinal = bool(match.group("ord")) or bool(
            match.group("words") and re.split(r"[\s-]+", match.group("words").lower())[-1] in _ORDINALS
        )
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
        below_zero = None if percent or scale_text else _english_below_zero(text, match.start(), match.end())
        figures.append(
            Figure(
                value * scale, percent, tolerance * scale, text[match.start() : end], match.start(), end, kind,
                label=label, points=points, currency="" if percent else _english_currency(text, match.group("cur"), end),
                below_zero=below_zero,
                rising=_english_rising(text, match.start(), end, percent, below_zero is not None) if kind == "number" else None,
                hedge=hedge if kind == "number" else "", loose=loose * scale if kind == "number" else 0.0,
                # A span of time: not an ordinal ("the 72nd hour", "the third day"), not a percentage.
                unit=_english_duration(text, end) if kind == "number" and not ordinal and not percent else "",
            )
        )
    for match in _EN_A_SCALE.finditer(text):
        scale = _SCALES[match.group(1).lower()]
        if not any(f.start <= match.start() < f.end for f in figures):
            figures.append(Figure(scale, False, 0.0, match.group(), match.start(), match.end()))
    figures.sort(key=lambda f: f.start)
    return _share_range_units(text, figures)


# "19:00", "7:30 p.m.": a clock time. Its hour is read as written and on the 12-hour clock (the
# source writes 晚間7時 for 19:00); its minutes, when not :00, are a number of their own.
_EN_TIME = re.compile(r"(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])(?:\s*([ap])\.?m\b\.?)?", re.IGNORECASE)


def _english_times(text: str) -> list[Figure]:
    found = []
    for match in _EN_TIME.finditer(text):
        hour, minutes, half = int(match.group(1)), int(match.group(2)), (match.group(3) or "").lower()
        start, end = match.start(), match.end(2)
        hours = {hour, hour % 12 or 12} | ({hour % 12 + 12} if half == "p" else set())
        found += [Figure(float(h), False, 0.0, text[start:end], start, end) for h in sorted(hours)]
        if minutes:
            found.append(Figure(float(minutes), False, 0.0, match.group(2), match.start(2), match.end(2)))
    return found


# A multiple written as a verb: "doubled", "tripling", "halved". Not "doubled as" (served as) nor
# "doubled down", and not after a hedge ("more than doubled", "nearly halved"): those say no
# multiple the check could hold to one value.
_EN_MULTIPLE = re.compile(
    r"(?<!\bthan )(?<!\bnearly )(?<!\balmost )(?<!\bover )(?<!\broughly )(?<!\babout )"
    r"(?<![\w-])(?P<verb>doubl|tripl|quadrupl|halv)(?:ed|es|ing)\b(?!\s+(?:as|down|over|up)\b)",
    re.IGNORECASE,
)
_EN_MULTIPLES = {"doubl": 2.0, "tripl": 3.0, "quadrupl": 4.0, "halv": 0.5}


def _english_multiples(text: str) -> list[Figure]:
    """The multiples of an English text written as verbs ("doubled" is 2 times), kind ``"times"``."""
    return [
        Figure(_EN_MULTIPLES[m.group("verb").lower()], False, 0.0, m.group(), m.start(), m.end(), "times")
        for m in _EN_MULTIPLE.finditer(text)
        if not (m.group("verb").lower() == "halv" and m.group().lower() == "halves")
    ]


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
                # "two and a half hours" is a span of hours, as "2.5 hours" is.
                found.append(
                    Figure(base + share / whole, False, 0.0, text[match.start() : end], match.start(), end,
                           unit=_english_duration(text, end))
                )
            continue
        for value, percent, tolerance in ((share / whole, False, 0.0), (100 * share / whole, True, 0.5)):
            found.append(Figure(value, percent, tolerance, text[match.start() : end], match.start(), end))
    return found


def _share_range_units(text: str, figures: list[Figure]) -> list[Figure]:
    """A bare first number of a range takes the scale and percent of the second ("40 to 45 billion"),
    unless it is a thousand or more ("from 100,000 to 1.1 million")."""
    out = list(figures)
    for i in range(len(out) - 1):
        first, second = out[i], out[i + 1]
        if not _EN_RANGE_JOIN.match(text[first.end : second.start]) or "date" in (first.kind, second.kind):
            continue  # a date takes no scale: "2/2 to 6/30" is no range of numbers
        bare = not re.search(r"[A-Za-z%]", first.text.lstrip("$€£¥"))
        if not bare:
            continue
        number = re.search(_EN_NUMBER, first.text)
        written = float(number.group().replace(",", "")) if number else first.value
        if written >= 1000:  # a whole amount already: "grew by 100,000 to 1.1 million" is no range of millions
            continue
        ratio = second.value / _plain(second.text) if _plain(second.text) else 1.0
        if ratio != 1.0 or second.percent:
            out[i] = Figure(
                written * ratio, second.percent, first.tolerance * ratio, first.text, first.start, first.end, rising=first.rising
            )
    return out


def _plain(text: str) -> float:
    """The number written in a figure's text, before its scale (0 when it has none in digits)."""
    number = re.search(_EN_NUMBER, text)
    if number:
        return float(number.group().replace(",", ""))
    parsed = _words_value(re.sub(r"\s*(thousand|million|billion|trillion).*$", "", text, flags=re.IGNORECASE))
    return parsed or 0.0


# Financial numerals (大寫數字) of contracts and budgets, one character for its plain one: 壹億伍仟萬.
_FINANCIAL = str.maketrans("壹貳貮參叁肆伍陸柒捌玖拾佰仟", "一二二三三四五六七八九十百千")
# Read only as a run that holds 拾, 佰 or 仟: 參 (參加), 伍 (隊伍), 陸 (大陸) and 拾 (收拾) alone are words.
_FINANCIAL_RUN = re.compile("[壹貳貮參叁肆伍陸柒捌玖零〇萬億拾佰仟]*[拾佰仟][壹貳貮參叁肆伍陸柒捌玖零〇萬億拾佰仟]*")


def _plain_financial(text: str) -> str:
    """``text`` with each run of financial numerals written in plain ones, position for position."""
    if not any(c in text for c in "拾佰仟"):
        return text
    return _FINANCIAL_RUN.sub(lambda m: m.group().translate(_FINANCIAL) if len(m.group()) > 1 else m.group(), text)


# A decimal and the 萬, 億 or 萬億 it counts: 二十八點六億, 一點五萬, 1.5萬億, 47.1万亿.
_ZH_DECIMAL_SCALED = re.compile(r"([^.點点萬万億亿]+[.點点][\d零〇一二三四五六七八九]+)([萬万][億亿]|[萬万億亿])")


def chinese_number(text: str) -> float | None:
    """The value of a Chinese or mixed numeral: 兩千三百五十 → 2350, 2350億 → 2.35e11, 1萬5千 → 15000,
    1,260.5億 → 1.2605e11, 二十八點六億 → 2.86e9, 1.5萬億 → 1.5e12, 二〇二四 → 2024, 3兆 → 3e12.
    None when it is not one.

    cn2an reads Chinese and mixed numerals (萬 and 億 included); this adds what it does not:
    thousands separators, full-width digits, 兆, ○ for zero, and a decimal before 萬, 億 or 萬億.
    """
    text = half_width(text).replace(",", "").replace("廿", "二十").replace("卅", "三十").replace("卌", "四十")
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
        pass
    # cn2an reads 28.6億 but not 二十八點六億, and reads neither 1.5萬億 nor 47.1万亿 (a trillion in
    # mainland and Hong Kong writing); read short of its units, 二十八點六億 was 28.6 and 1.5萬億
    # 15,000. Only digits after the point, so a time (三點半, 十點五十分) is no decimal here.
    scaled = _ZH_DECIMAL_SCALED.fullmatch(text)
    if scaled is None or (number := chinese_number(scaled.group(1))) is None:
        return None
    return number * math.prod(_ZH_UNITS[c] for c in scaled.group(2).translate(TRADITIONAL_NUMERALS))


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
    七折, 3個百分點), fractions and halves (三分之一, 1/3, 一半, 兩個半小時, 過半, 半年), round numbers of an
    approximation (近百, 逾千, 十多萬) and of a count (百萬戶, 萬元), ranges sharing a unit (3至5萬,
    三、四十) and years (2024年, 民國113年). A figure may give more than one value: 七折 is 70% (the price paid) and 30% (the
    discount), 113年 is also 2024, 三分之一 is 1/3 and 33%. With ``output`` (the text is the one
    checked, not its source), a number glued to Latin letters is a name ("Qwen3").
    """
    # The pattern's \d takes full-width digits too; chinese_number converts what it matched.
    # Simplified numerals and counters are read as their Traditional forms (14万件 as 14萬件):
    # one character for one, so every figure keeps its place, and its text, in ``text``.
    original, text = text, _plain_financial(text.translate(TRADITIONAL_NUMERALS))
    figures = chinese_dates(text)
    # The month and day of a date are read with it, never as counts (the 30 of 6月30日 is not
    # "30 years"); its year is read as a year below too, so "in 2024" finds 2024年2月2日.
    taken = [(f.start, f.end) for f in figures]
    for match in _ZH_ROC_BRACKETS.finditer(text):
        figures.append(Figure(float(int(match.group(1)) + 1911), False, 0.0, match.group(), *match.span(), "roc"))
    for match in _ZH_SLASH_FRACTION.finditer(text):
        if not slash_fraction(match.group(1), match.group(2)):
            continue
        fraction = int(match.group(1)) / int(match.group(2))
        where = (match.group(), *match.span())
        figures += [Figure(fraction, False, 0.0, *where)]
        figures += [Figure(percent, True, 0.0, *where) for percent in _rounded_percents(100 * fraction)]
        if output:
            taken.append(match.span())  # an output's 1/3 is no 1 and no 3 (a source's may be a date: 1/3開幕)
    matches = list(_ZH_FIGURE.finditer(text))
    numbers = [_numeral(match.group("num")) for match in matches]
    worded = text.translate(TRADITIONAL_CHANGE_WORDS)  # 增长 as 增長, for the direction of a change
    shared = _shared_units(text, matches, numbers)
    for match, number, (scale, shared_post, keep_bare) in zip(matches, numbers, shared):
        if any(a <= match.start() < b for a, b in taken) and (output or not match.group("post").strip().startswith("年")):
            continue
        label = ""
        if output and (name := _OUTPUT_NAME.search(text, max(0, match.start() - 30), match.start())):
            label = name.group(1)
        if output and _GLUED.search(text, max(0, match.start() - 2), match.start()):
            continue
        if output and text.endswith(_WEEKDAY, max(0, match.start() - 2), match.start()) and not match.group("post").strip():
            continue  # 週一, 星期三: a day of the week, which an English source names ("Monday")
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

        currency = _chinese_currency(text, match.start(), match.end())
        cold = None if post or match.group("unit") else _chinese_below_zero(text, match.start(), match.end())
        direction = _chinese_rising(worded, span[0], match.end(), cold is not None)

        def add(v: float, percent: bool, kind: str = "number") -> None:
            points = percent and post in ("個百分點", "百分點")
            money = "" if percent or kind != "number" else currency
            below = None if percent or kind != "number" else cold
            figures.append(
                Figure(v, percent, 0.0, source, *span, kind, label=label, points=points, currency=money, below_zero=below,
                       rising=direction if kind == "number" else None)
            )

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
            elif post == "成" and match.group("tenth"):
                # 三成二 is 32% and nothing else: no 30%, no bare 3 or 2 (年增三成二 is "up 32%").
                add(value * 10 + (chinese_number(match.group("tenth")) or 0.0), True)
            elif post == "成":
                add(value * 10, True)
                add(value, False)  # "Grok 3.5成為…" is a name before a verb, not 35%
            elif post == "折":
                paid = value * 10 if value < 10 else value  # 七折 → 70%, 75折 → 75%
                add(paid, True)
                add(100 - paid, True)
            else:
                plain = half_width(raw)
                # What comes right after the digits: "2026台" counts machines, "展望2026 台南" and
                # 「1624臺灣與世界島嶼特展」 are years.
                after = text[match.end("num") : match.end("num") + 1]
                counted = after in _ZH_COUNTED and not text.startswith(_ZH_PLACES, match.end("num"))
                year = value.is_integer() and 1000 <= value <= 2199 and pre != "第" and not neighbours and (
                    (post == "年" and pre != "民國")
                    or (not post and _ZH_YEAR_DIGITS.fullmatch(plain) is not None and not counted)
                )
                add(value, False, "year" if year else "number")
                if not output and not year:
                    for converted, english in _durations(text, match.start(), match.end(), value, post, bool(half)):
                        figures.append(Figure(converted, False, 0.0, source, *span, unit=english, converted=True))
                if not output and text.startswith("倍", match.end()):
                    # 兩倍 is twice; 成長一倍 (grew by one times) is doubled too.
                    add(value, False, "times")
                    add(value + 1, False, "times")
                if post == "年" and value.is_integer() and (
                    pre == "民國" or (30 <= value <= 200 and not _lasting(text, match.start(), match.end()))
                ):
                    add(value + 1911, False, "roc")  # 民國 years: 113年 is 2024, as a year only
    figures += _lone_halves(text)
    if not output:
        figures += [
            Figure(_ZH_LONE_MULTIPLES[m.group()[-2:] if m.group()[-2:] in _ZH_LONE_MULTIPLES else m.group()], False, 0.0,
                   m.group(), *m.span(), "times")
            for m in _ZH_LONE_MULTIPLE.finditer(text)
        ]
    if original == text:
        return figures
    return [
        replace(f, text=original[f.start : f.end]) if text[f.start : f.end] == f.text else f for f in figures
    ]


# Words around a bare N年 that make it a span of years, not a 民國 year: 已有60年歷史, 長達50年,
# 創校100年, 30年來, 50年前.
_YEARS_BEFORE = re.compile(r"(?:已經|有|近|逾|超過|歷經|經過|經歷|滿|達|共|成立|創立|創校|建校|開業|營運|每)\s*\Z")
_YEARS_AFTER = re.compile(r"\s*(?:的)?(?:歷史|來|以來|之久|以上|前|後|多|餘|左右|內|期間|老店|光陰|歲月)")


def _durations(text: str, start: int, end: int, value: float, post: str, half: bool) -> list[tuple[float, str]]:
    """The values a span of time at ``text[start:end]`` (``post``, its 年, read with it) takes in
    other units, each with the unit's English name (``_ZH_DURATION_FACTORS``); [] when it is no
    span of time. Years count only when
    the words say a span (``_lasting``) or a half does (一年半), as 113年 is a year."""
    if post == "年":
        unit = "年" if half or _lasting(text, start, end) else ""
    else:
        match = _ZH_DURATION.match(text, end)
        unit = match.group(1) if match else ""
    found = []
    for factor, english in _ZH_DURATION_FACTORS.get(unit, ()):
        converted = value * factor
        # 10天 is no number of weeks (10/7), and "240 hours" is no way to write it (days as hours
        # only up to three).
        if (2 * converted).is_integer() and converted != value and (factor != 24.0 or value <= 3):
            found.append((converted, english))
    return found


def _lasting(text: str, start: int, end: int) -> bool:
    """Whether the N年 at ``text[start:end]`` is a span of years by the words around it."""
    return bool(_YEARS_BEFORE.search(text, max(0, start - 4), start) or _YEARS_AFTER.match(text, end))


# A multiple a source writes without a number: 翻倍 and 倍增 are "doubled", 減半 "halved".
_ZH_LONE_MULTIPLES = {"翻倍": 2.0, "加倍": 2.0, "倍增": 2.0, "雙倍": 2.0, "一番": 2.0, "翻番": 2.0,
                      "減半": 0.5, "腰斬": 0.5, "砍半": 0.5}
_ZH_LONE_MULTIPLE = re.compile("翻了?一番|" + "|".join(_ZH_LONE_MULTIPLES))


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
        found += [Figure(value, False, 0.0, *where, unit=english, converted=True) for value, english in _ZH_HALF_SPANS[unit]]
    return found


def is_chinese(text: str) -> bool:
    """Whether ``text`` is mostly Chinese, read from its start (see ``SCRIPT_SAMPLE``)."""
    return mostly_chinese(text[:SCRIPT_SAMPLE])


def figures(text: str, chinese: bool | None = None, *, output: bool = False) -> list[Figure]:
    """The figures of a text in either language: Chinese when it is mostly Chinese (or when
    ``chinese`` says so: the caller may know already), else English. ``output``: the text is
    the one checked, so names with numbers ("Qwen3") are not read as figures."""
    if chinese is None:
        chinese = is_chinese(text)
    return chinese_figures(text, output=output) if chinese else english_figures(text, idioms=not output)


def supported(figure: Figure, sources: list[Figure]) -> bool:
    """Whether ``figure`` could come from one of ``sources`` (same value up to its rounding, a
    year from a year, a date from a date with the same parts)."""
    return source_of(figure, Sources("", sources)) is not None


class Sources:
    """The figures of a source, sorted by what they can support, and its text for names."""

    def __init__(self, text: str, found: list[Figure]) -> None:
        self.text = text
        self.found = found
        self.dates = [f for f in found if f.kind == "date"]
        self.years: dict[float, Figure] = {}
        # The numbers written as a year or a span of years (113年, the 113 of 去(113)年 or of
        # 113至117年), by where they start: a hedge rounds no count to one ("over 110 projects").
        spans = [(f.start, f.end) for f in found if f.kind in ("year", "roc")]
        self.year_numbers = {
            f.start for f in found
            if f.kind == "number" and (f.text.endswith("年") or any(a <= f.start < b for a, b in spans))
        }
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


def source_of(figure: Figure, sources: Sources) -> Figure | None:
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
    if figure.kind == "times":
        return _trace_multiple(figure.value, sources)
    if figure.kind != "any" and figure.kind != "number":
        return None
    allowance = min(figure.tolerance, ROUNDING * abs(figure.value)) + exact
    hedged = min(max(figure.tolerance, figure.loose), HEDGED_ROUNDING * abs(figure.value)) + exact if figure.hedge else allowance
    # How far below the figure (low) and above it (high) the source may be.
    low = exact if figure.hedge == "above" else hedged
    high = exact if figure.hedge == "below" else hedged
    for source in sources.found:
        # A percentage comes only from a percentage, of the same kind (points or per cent), and a
        # count only from a count: 百分之七十 is no "70 respondents" (成 is read both ways).
        if source.kind in ("date", "roc") or figure.percent != source.percent or figure.points != source.points:
            continue
        if currencies_clash(figure.currency, source.currency):
            continue  # US$180 million is not 新臺幣1.8億元, nor "$5 billion" 人民幣50億元
        if figure.below_zero is not None and source.below_zero is not None and figure.below_zero != source.below_zero:
            continue  # "5 degrees" is not 零下5度
        if figure.rising is not None and source.rising is not None and figure.rising != source.rising:
            continue  # "grew 3.5%" is not 衰退3.5%
        if source.converted and source.unit != figure.unit:
            continue  # 三天 is "72 hours", but no "magnitude 72" and no "72 hour-long sessions"
        difference = source.value - figure.value
        if -low <= difference <= high and (abs(difference) <= allowance or source.start not in sources.year_numbers):
            return source
    if figure.text[-2:].lower() in ("st", "nd", "rd", "th"):
        # "the 31st" for 昨(31)日: an ordinal may name the day of a source date (a count may not).
        return next((d for d in sources.dates if d.parts and d.parts[2] == figure.value), None)
    return None


def _trace_multiple(times: float, sources: Sources) -> Figure | None:
    """The source figure a multiple ("doubled": 2) could come from: a multiple of the source
    (兩倍, 成長一倍, 翻倍), the change in percent (100%; 50% for "halved"), for a half a half, or
    the later of two source amounts that are that multiple apart (從100元降至50元: "halved")."""
    change = abs(times - 1) * 100
    amounts: dict[float, Figure] = {}
    for source in sources.found:
        if source.kind == "times" and math.isclose(source.value, times):
            return source
        if source.percent and not source.points and math.isclose(source.value, change):
            return source
        if times == 0.5 and source.kind == "number" and not source.percent and math.isclose(source.value, 0.5):
            return source
        if source.kind == "number" and not source.percent and source.value > 0:
            amounts.setdefault(source.value, source)
    return next((f for value, f in amounts.items() if value / times in amounts), None)


def _trace_date(parts: DateParts, sources: Sources) -> Figure | None:
    """The source date a date of the output could come from: same month, same day when the output
    writes one, and the same year when it writes one (a source date without its year takes any
    year the source states: 6月30日 in a release dated 2024年 supports "June 30, 2024")."""
    year, month, day = parts
    for source in sources.dates:
        s_year, s_month, s_day = source.parts or (None, None, None)
        if s_month is None:
            # 昨(31)日: a day whose month the source leaves to its date line; a month the output
            # gives it must be one the source states (本案今(2)日公布 supports no "October 2").
            if day is None or s_day != day:
                continue
            if month is not None and not any(d.parts and d.parts[1] == month for d in sources.dates):
                continue
        elif (month is not None and s_month != month) or (day is not None and s_day != day):
            continue
        if year is not None and s_year != year and not (s_year is None and float(year) in sources.years):
            continue
        return source
    return None
