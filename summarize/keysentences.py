"""Key sentences: the sentences of an article that carry its facts, chosen without a model.

A small model translates well and summarizes badly. Asked for a summary of a Tainan press
release, Qwen2.5-Coder-1.5B writes "The article discusses ..." and keeps about a quarter of the
article's key names and figures; asked to translate it, it keeps nine in ten. So for small
models (``method="key-sentences"``, see ``uses_key_sentences``) a summary is built the other way
round: this module picks the sentences worth keeping, offline and repeatably, and the model only
translates them, each shortened (``summarize.pipeline``). Every sentence of such a summary then
traces to one sentence of the article (``Summary.key_sentences``).

Each sentence (a line's sentences, as ``chunking.split_sentences`` cuts them) is scored by

- what the article keeps returning to: the pairs of Chinese characters (and the Latin words) it
  shares with the rest of the article, each weighed by how often the article uses it;
- the facts it holds: figures (``figures.chinese_figures``: 2350億, 6月30日, 97%), names written in
  Latin letters, 「quoted」 titles, a person named with a post (市長黃偉哲);
- where it stands: the title, the first sentence of a paragraph, and the start of the article
  count more;

then sentences are chosen by score within a budget of characters, each choice discounting the
sentences that repeat what is already chosen, and returned in article order. A press release's
header lines (發稿單位：…) are never chosen, but for its date (發稿日期：2024年2月2日), which is
always chosen: the release's "today" is that day. An event's date, time and place (活動日期：…,
活動地點：…, 展期：…) are no header lines: they are scored as sentences. Nor are lines of a few
characters (a standard's 必須, 應該), lines with a web or e-mail address (where to write, not what happened),
dividers (＊＊＊＊, a rule around a short word: -----End-----, —— 完 ——, --End--, or the end set
apart: — 完 —, （完）), or a line the article says three times and more (a template's 延伸閱讀, a
talk's 係啊). A label that
opens many lines (a transcript's speakers, A：) is read past: the words after it are scored.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from .chunking import split_long, split_sentences
from .config import AUTO, KEY_SENTENCES
from .figures import MONTH_NAMES, chinese_dates, chinese_figures
from .text import HAN, in_chinese, is_han, script_shares, visible_length

# Under ``auto``, models with fewer parameters than this get key sentences. Measured on the
# reference server (benchmarks/QUALITY.md): Qwen2.5-Coder-1.5B (1.78e9 parameters) and its 0.5B
# sibling keep far more of an article's facts translating its key sentences than summarizing
# it. Models of 3B and more keep the abstractive summary, which a capable model writes better.
SMALL_MODEL_PARAMETERS = 3e9

# A size in a model's name: "Qwen2.5-Coder-1.5B-Instruct", "qwen2.5:0.5b", "Qwen3-30B-A3B" (the
# first is the total), "SmolLM2-135M". Not a version ("qwen3") nor a quantization ("q4_k_m").
_SIZE_IN_NAME = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z0-9])", re.IGNORECASE)


def parameters_in_name(model: str) -> float | None:
    """The parameter count a model's name states ("1.5B" → 1.5e9, "135M" → 1.35e8), else ``None``."""
    match = _SIZE_IN_NAME.search(model.rsplit("/", 1)[-1].replace("_", "-"))
    if match is None:
        return None
    return float(match.group(1)) * (1e9 if match.group(2).lower() == "b" else 1e6)


def parameters_in_listing(meta: object) -> float | None:
    """The parameter count a ``/models`` entry's ``meta`` states (llama.cpp: ``n_params``), else ``None``."""
    size = meta.get("n_params") if isinstance(meta, dict) else None
    if isinstance(size, bool) or not isinstance(size, (int, float)) or not 0 < size < 1e15:
        return None
    return float(size)


# Where ``model_size`` read a model's size from.
FROM_NAME, FROM_LISTING = "its name", "llama.cpp /models meta.n_params"


def model_size(model: str, listed_parameters: float | None = None) -> tuple[float | None, str]:
    """A model's parameter count and where it was read: its name, else what the server's
    ``/models`` listing said (``listed_parameters``); ``(None, "")`` when neither says."""
    size = parameters_in_name(model)
    if size is not None:
        return size, FROM_NAME
    return (listed_parameters, FROM_LISTING) if listed_parameters is not None else (None, "")


def uses_key_sentences(method: str, model: str, listed_parameters: float | None = None, article: str | None = None) -> bool:
    """Whether a summary run on ``model`` translates key sentences rather than asking for a summary.

    ``method`` decides, unless it is ``auto``: then a model with fewer than
    ``SMALL_MODEL_PARAMETERS`` gets key sentences, its size read by ``model_size``. A model of
    unknown size keeps the abstractive summary. So does an ``article`` not written in Chinese
    (``text.in_chinese``), whatever the method: key sentences are translated from Chinese, and
    an English article's would come back as they went out (on the reference model, with "3.2
    million" sent back as "3. 2 million", and every sentence asked for again for a length ratio
    of one).
    """
    if article is not None and not in_chinese(article):
        return False
    if method != AUTO:
        return method == KEY_SENTENCES
    size, _ = model_size(model, listed_parameters)
    return size is not None and size < SMALL_MODEL_PARAMETERS


def not_chinese(method: str, model: str, article: str, listed_parameters: float | None = None) -> str:
    """Why ``article`` is summarized as it stands though ``method`` and ``model`` would translate
    its key sentences, or ``""`` when it is not so: the warning of a run and the note of a dry run."""
    if in_chinese(article) or not uses_key_sentences(method, model, listed_parameters):
        return ""
    return (
        f"the article is not written in Chinese ({script_shares(article)}): "
        "it is summarized as it stands, not from key sentences to translate"
    )


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article, scored."""

    index: int  # its place among the article's sentences
    paragraph: int  # the 0-based paragraph (non-empty line) it belongs to
    text: str  # stripped of surrounding whitespace
    score: float
    size: int  # visible characters (``text.visible_length``)
    # Its character pairs and Latin words (``_units``), as scoring found them, for the choice.
    units: frozenset[str] = field(default=frozenset(), repr=False, compare=False)


_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9.+#'&-]*[A-Za-z0-9+#]|[A-Za-z]")
# A web or e-mail address: a line that holds one is where to write or click, not news.
_ADDRESS = re.compile(r"https?://|www\.|[\w.+-]+@[\w-]+\.\w")
_QUOTED = re.compile(r"[「『《〈“]([^」』》〉”\n]{2,30})[」』》〉”]")
# A press release's header line: a short label, a colon, a value (發稿單位：研究發展考核委員會)
# that is no sentence: an interview's "館長：總預算十二億元，目前沒有超支。" ends as one and is news.
_HEADER = re.compile(r"^[^\s：:，。「」]{2,6}[：:]")
_ENDS_AS_SENTENCE = re.compile(r"[。！？!?][」』”\"]?\s*$")
# The labels that date a release (發稿日期, 發布時間): an event's 活動日期 or a speaker's date is no
# release date, and "Released on ..." written for it would be a wrong fact.
# Simplified forms too: a release written in Simplified is dated the same way (发稿时间).
_DATELINE_LABEL = re.compile(r"^(?:[發发](?:稿|布|佈|文)|新[聞闻](?:稿|[發发]布)?|刊登|公告|公布)(?:日期|[時时][間间])\s*[：:]")
# The labels of an event notice's lines (活動日期：3月1日至3月23日, 活動地點：安平區, 展期, 報名時間):
# they look like header lines, but when and where the event is are its news. Kept out as headers,
# a notice's summary never said when or where.
_EVENT_LABEL = re.compile(
    r"^(?:(?:活[動动]|展[覽览]|展出|[會会][議议]|[講讲]座|比[賽赛]|競[賽赛]|演出|表演|[報报]名|開放|申[請请]|受理|徵件|征件)?"
    r"(?:日期|[時时][間间]|期[間间]|地[點点]|[場场]地|截止日期?)|展期)\s*[：:]"
)
HEADER_MAX_CHARACTERS = 40
# A sentence longer than this is cut at its clause breaks (``split``). The corpus's longest
# sentence (a Tainan release's list of the year's disasters) has 275 characters.
LONGEST_SENTENCE = 300
# The most characters of each piece it is cut into: a long sentence's length (three in four of
# the corpus's sentences have under 40), so that several fit in a summary's budget.
PIECE_CHARACTERS = 100
# A line shorter than this says nothing alone (必須, 應該, 需求: a standard's section labels), but
# for the title.
MIN_CHARACTERS = 5
# A person named with a post, before or after the name: 市長黃偉哲, 黃偉哲市長, 主委王效文.
_POSTS = (
    "市長|縣長|院長|部長|主委|主任委員|局長|處長|署長|總統|副總統|執行長|董事長|總經理|主席|創辦人|"
    "教授|研究員|館長|議員|立委|發言人|首相|理事長|總裁|所長|校長|秘書長|主任|社長|經理|記者"
)
_PERSON_POST = re.compile(f"(?:{_POSTS})[\u4e00-\u9fff]{{2,3}}|[\u4e00-\u9fff]{{2,3}}(?:{_POSTS})")
# A foreign name written in Chinese, its parts joined by a middle dot: 伊隆·馬斯克.
_DOTTED_NAME = re.compile("[\u4e00-\u9fff]+[·‧・][\u4e00-\u9fff]+")

# Weights of the score's parts. First set by eye on the corpus articles (../shared/corpus), then
# two of them moved after a grid of 216 settings scored how many of the quality checklist's facts
# (benchmarks/quality_facts.json) the chosen sentences hold, on those same 8 articles: so they fit
# that corpus, and a round value near the top was taken rather than the top. Across the grid the
# chosen sentences held 45-61% of the facts at 350-550 characters; these then held 59-63%, and
# 57-60% since the rules that keep address lines and labels out and the dateline in.
FIGURE_WEIGHT = 1.2
NAME_WEIGHT = 0.6
TITLE_WEIGHT = 2.0
LEAD_WEIGHT = 1.0
# Length: a long sentence holds more, but less per character.
CENTRALITY_LENGTH_POWER = 0.85
FACTS_LENGTH_POWER = 0.3
# How strongly a sentence that repeats what is chosen loses its score (maximal marginal relevance).
REDUNDANCY_POWER = 2
# A sentence whose character pairs and words are more than this share chosen already is never
# chosen: it says again what the summary says (a press release repeats its lead at its end).
MIN_NOVELTY = 0.3
# Nor is one worth less than this share of the first choice, even when there is room for it: a
# short article's filler ("市民都很期待。") is not worth translating. On the corpus articles this
# changes no checklist fact held; at 0.4 and more it begins to.
MIN_SHARE = 0.3


def _units(text: str) -> set[str]:
    """The pairs of adjacent Chinese characters and the lowercased Latin words of ``text``."""
    units = {a + b for a, b in zip(text, text[1:]) if is_han(a) and is_han(b)}
    units.update(word.lower() for word in _LATIN.findall(text))
    return units


def split(article: str) -> list[tuple[int, str]]:
    """The sentences of ``article`` with their paragraph's index, stripped, empty ones left out.

    A sentence over ``LONGEST_SENTENCE`` characters is cut at its clause breaks (，、：), else
    hard (``chunking.split_long``), into pieces of at most ``PIECE_CHARACTERS``: text that lost
    its sentence ends (a 21,000-character standard with every 。 turned to ，) would otherwise be
    one sentence, chosen whole, and its "summary" the translation of the whole article.
    """
    found = []
    paragraphs = [line for line in article.split("\n") if line.strip()]
    for number, paragraph in enumerate(paragraphs):
        for sentence in with_speakers(split_sentences(paragraph)):
            pieces = split_long(sentence, PIECE_CHARACTERS, len) if len(sentence) > LONGEST_SENTENCE else [sentence]
            found += [(number, piece.strip()) for piece in pieces if piece.strip()]
    return found


# Who said a quotation, written after it as a sentence of its own: 「……。」市議員王小明批評說。
# Chosen without it, the quotation reads as the words of whoever the summary named last.
_SAID_AFTER = re.compile(
    r"^\s*[^「」『』“”。！？!?\n]{1,24}?"
    r"(?:說|道|表示|指出|強調|批評|認為|坦言|坦承|透露|回應|表明|提到|呼籲|補充|解釋|直言|感嘆|質疑|問|寫)"
    r"[。！？!?]?\s*$"
)
_QUOTE_ENDS = re.compile(r"[」』”]\s*$")


def with_speakers(sentences: list[str]) -> list[str]:
    """``sentences`` with a speaker's attribution (``_SAID_AFTER``) joined to the quotation it
    follows, so the two are chosen, or left out, together."""
    joined: list[str] = []
    for sentence in sentences:
        if joined and _QUOTE_ENDS.search(joined[-1]) and _SAID_AFTER.match(sentence):
            joined[-1] += sentence
        else:
            joined.append(sentence)
    return joined


def is_header(text: str, paragraph: int) -> bool:
    """A press release's header line (發稿單位：…, 發稿時間：…): short, a label and a colon, near the
    top; not an event's date, time or place (活動日期：…, ``_EVENT_LABEL``), which are its news."""
    return (
        paragraph < 6
        and len(text) <= HEADER_MAX_CHARACTERS
        and _HEADER.match(text) is not None
        and _ENDS_AS_SENTENCE.search(text) is None
        and _EVENT_LABEL.match(text) is None
    )


# A speaker's label before a line: "A：" in a transcript, "B: " in its translation, "管理人員：".
_SPEAKER = re.compile(r"^\s*([^\s:：]{1,12})\s*[:：]\s*")
# A label that opens this many lines is a speaker's (a transcript's "A：") or a template's (a
# standard's "管理人員：需要的工作" under each of its 17 criteria), not content.
LABEL_MIN_LINES = 3
# A sentence the article says this many times is a template's line (延伸閱讀, 測試方式) or a
# transcript's back-channel (A：係嘞。): it is never chosen.
TEMPLATE_MIN_REPEATS = 3


def recurring_labels(pieces: list[tuple[int, str]]) -> set[str]:
    """The labels (the words before a colon that opens a line) that open ``LABEL_MIN_LINES`` or
    more of the paragraphs: speakers of a transcript, the audiences of a standard's template."""
    openers: Counter[str] = Counter()
    seen = set()
    for paragraph, text in pieces:
        if paragraph in seen:
            continue
        seen.add(paragraph)
        match = _SPEAKER.match(text)
        if match:
            openers[match.group(1)] += 1
    return {label for label, lines in openers.items() if lines >= LABEL_MIN_LINES}


def content(text: str, labels: set[str]) -> str:
    """``text`` without a recurring label (``recurring_labels``) that opens it."""
    match = _SPEAKER.match(text)
    return text[match.end():] if match and match.group(1) in labels else text


def score(article: str) -> list[Sentence]:
    """Every sentence of ``article``, scored (see the module docstring), in article order.

    A speaker's label is not part of what a sentence says: "A：係啊。" ("A: yes.") scores as the
    three characters of "係啊。", which are too few to be chosen, and the label's letter counts
    neither as a name nor as a word the article keeps returning to.
    """
    pieces = split(article)
    labels = recurring_labels(pieces)
    said = [content(text, labels) for _, text in pieces]
    repeats = Counter(said)
    units = [_units(text) for text in said]
    frequency = Counter(unit for found in units for unit in found)
    title = units[0] if units else set()
    first_of: dict[int, int] = {}  # paragraph → the index of its first sentence
    for index, (paragraph, _) in enumerate(pieces):
        first_of.setdefault(paragraph, index)
    scored = []
    for index, ((paragraph, text), own, found) in enumerate(zip(pieces, said, units)):
        size = visible_length(text)
        length = max(1, visible_length(own))
        if (
            is_header(text, paragraph)
            or not says_something(own)
            or (index > 0 and length < MIN_CHARACTERS)
            or repeats[own] >= TEMPLATE_MIN_REPEATS
            or _ADDRESS.search(text)
        ):
            scored.append(Sentence(index, paragraph, text, 0.0, size, frozenset(found)))
            continue
        centrality = sum(math.log(frequency[u]) for u in found if frequency[u] > 1) / length**CENTRALITY_LENGTH_POWER
        figures = len({figure.text for figure in chinese_figures(own)})
        names = sum(len(pattern.findall(own)) for pattern in (_QUOTED, _PERSON_POST, _DOTTED_NAME))
        names += len(set(_LATIN.findall(own)))
        facts = (FIGURE_WEIGHT * figures + NAME_WEIGHT * names) / length**FACTS_LENGTH_POWER
        on_title = 1.0 if index == 0 else len(found & title) / (len(title) + 1)
        # The lead: the first sentence of each paragraph, and the opening paragraphs' sentences.
        place = index - first_of[paragraph]
        lead = 1 / (1 + place) + 1 / math.sqrt(1 + paragraph + place)
        value = centrality + facts + TITLE_WEIGHT * on_title + LEAD_WEIGHT * lead
        scored.append(Sentence(index, paragraph, text, value, size, frozenset(found)))
    return scored


# A rule around a short word is a divider too: "-----End-----", "=====END=====", "***以下空白***"
# (a form's "blank below"), "—— 完 ——", "--End--". Only one rule character, the same on both
# sides, three times or more (twice for the dashes Chinese writes in pairs, ——, ──, and for the
# hyphens that stand for them, --), around one or two Latin words or up to four Chinese
# characters, in brackets or not ("——（完）——"): a title wrapped in dashes says more ("—— 臺南運河
# 夜間導覽船明年擴大營運 ——", "── 1624 ──"), "**結語**" is Markdown bold, "~~End~~" struck through
# and "==Note==" highlighted. A word that says the text ends (完, 全文完, 結束, End) needs less: one
# dash on each side ("— 完 —", "-完-"), or brackets alone ("（完）", "[END]"); a single dash around
# another word is speech or a heading ("—Yes—", "- 結語 -"), and brackets around one a label ("（一）",
# "【新聞稿】").
_PAIRED_RULES = "—─━═-－–"
_DASHES = "—─━-－–"
_OPENING, _CLOSING = "(（[［【〔", ")）]］】〕"
_END_WORDS = re.compile(r"(?:全文完|本文完|完結?|結束|以下空白|(?:the )?end)", re.IGNORECASE)
_WRAPPED_WORD = re.compile(
    rf"(?P<left>(?P<rule>[{re.escape('=*_~#+.·•※＊＝～＿' + _PAIRED_RULES)}])(?:[ \t]*(?P=rule))*)[ \t]*"
    rf"(?P<open>[{re.escape(_OPENING)}])?[ \t]*"
    rf"(?P<word>[A-Za-z]{{1,10}}(?: [A-Za-z]{{1,10}})?|[{HAN}]{{1,4}})"
    rf"[ \t]*(?P<close>[{re.escape(_CLOSING)}])?"
    r"[ \t]*(?P<right>(?P=rule)(?:[ \t]*(?P=rule))*)"
)
_BRACKETED_END = re.compile(
    rf"[{re.escape(_OPENING)}][ \t]*{_END_WORDS.pattern}[ \t]*[{re.escape(_CLOSING)}]", re.IGNORECASE
)


def says_something(text: str) -> bool:
    """A line with a letter or a digit in it that is not a divider: a rule (＊＊＊＊, ────, ====), a
    Markdown table's |---|---| line, or a rule around a short word (-----End-----, ***以下空白***,
    —— 完 ——, — 完 —, （完）: ``is_divider``) says nothing, and chosen it was sent to be
    translated and came back in both summaries."""
    return any(c.isalnum() for c in text) and not is_divider(text)


def is_divider(text: str) -> bool:
    """Whether ``text`` is a rule around a short word (``_WRAPPED_WORD``): "-----End-----",
    "—— 完 ——", "--End--", "——（完）——", or a word that says the text ends set apart by one dash
    or by brackets ("— 完 —", "（完）"); not "End of the year", "—— 臺南400年 ——", "**結語**",
    "—Yes—" or "（一）"."""
    stripped = text.strip()
    if _BRACKETED_END.fullmatch(stripped) and _brackets_pair(stripped[0], stripped[-1]):
        return True
    wrapped = _WRAPPED_WORD.fullmatch(stripped)
    if wrapped is None or bool(wrapped["open"]) != bool(wrapped["close"]):
        return False
    if wrapped["open"] and not _brackets_pair(wrapped["open"], wrapped["close"]):
        return False
    rule = wrapped["rule"]
    if rule in _DASHES and _END_WORDS.fullmatch(wrapped["word"]):
        least = 1
    else:
        least = 2 if rule in _PAIRED_RULES else 3
    return min(wrapped["left"].count(rule), wrapped["right"].count(rule)) >= least


def _brackets_pair(opening: str, closing: str) -> bool:
    """Whether ``closing`` is the bracket that closes ``opening`` ("（" and "）", "[" and "]")."""
    return _OPENING.index(opening) == _CLOSING.index(closing)


def is_dateline(text: str, paragraph: int) -> bool:
    """A header line that dates the release (發稿日期：2024年2月2日): a header whose label says
    so (``_DATELINE_LABEL``), holding a full date."""
    return is_header(text, paragraph) and _DATELINE_LABEL.match(text) is not None and any(
        f.parts is not None and None not in f.parts for f in chinese_dates(text)
    )


def english_dateline(text: str) -> str:
    """A release's date line (``is_dateline``) in English, written without a model.

    The reference model wrote the Tainan disaster release's 發稿日期:114年1月1日 as "January 11,
    2014", as "January 1, 114 [[END ARTICLE]]" and as "114th year of the reign of Emperor Qin
    Shi Huang" in three runs; the date is all there is to it, and ``figures.chinese_dates``
    reads it whole (民國 years too).

    Example::

        >>> english_dateline("發稿日期:114年1月1日")
        'Released on January 1, 2025.'
    """
    for figure in chinese_dates(text):
        if figure.parts is not None:
            year, month, day = figure.parts
            if year is not None and month is not None and day is not None:
                return f"Released on {MONTH_NAMES[month - 1]} {day}, {year}."
    raise ValueError(f"not a date line: {text!r}")


def written_english(chosen: list[Sentence]) -> dict[int, str]:
    """The English the library writes itself for chosen sentences, by their 0-based place among
    them: the release's date line (``english_dateline``). The model's reply for it is not used."""
    return {i: english_dateline(s.text) for i, s in enumerate(chosen) if is_dateline(s.text, s.paragraph)}


def choose(article: str, characters: int) -> list[Sentence]:
    """The key sentences of ``article`` within ``characters`` visible characters, in article order.

    Greedy by score, each sentence's score discounted by the share of its character pairs and
    words already chosen (``REDUNDANCY_POWER``); one that is mostly chosen already
    (``MIN_NOVELTY``) is left out, and so is one worth far less than the first choice
    (``MIN_SHARE``). The best sentence is chosen even when it alone is over the budget, so a
    summary never starts from nothing; the others must fit. The release's date comes first.
    """
    everything = score(article)
    # A text of nothing but header lines still has something to say: its lines, in order.
    scored = [s for s in everything if s.score > 0] or [
        Sentence(s.index, s.paragraph, s.text, 1.0, s.size, s.units)  # replace() is 3 times slower
        for s in everything if says_something(s.text)
    ]
    chosen: list[Sentence] = []
    covered: set[str] = set()
    used = 0
    top = 0.0
    # The release's date is chosen first, though a header: "today (2nd)" means nothing without
    # it, and a small model then invents a year. On the reference model, two summaries of two of
    # each Tainan release: 32 checklist facts with it, 24 without; the 1624 exhibition opened
    # "March 18, 2023" without it, "February 2, 2024" with it.
    dateline = next((s for s in everything if s.score == 0 and is_dateline(s.text, s.paragraph)), None)
    if dateline is not None:
        chosen.append(dateline)
        used += dateline.size
        # A text of header lines only offers it again among its lines: it is chosen once.
        scored = [s for s in scored if s.index != dateline.index]
    # Best first: a sentence's value is its score at most, so the search for the best stops at
    # the first sentence that cannot beat the best found. One that cannot be chosen again (over
    # the budget, too little novelty or value left: each only grows with the choices) is
    # dropped. Scanning every sentence for every choice took 106 s on a 2 MB article of
    # one-character lines, all scored alike.
    left = sorted(scored, key=lambda s: (-s.score, s.index))
    while left:
        best, best_value = None, 0.0
        keep: list[Sentence] = []
        scanned = 0
        for sentence in left:
            if best is not None and (
                sentence.score < best_value or (sentence.score == best_value and sentence.index > best.index)
            ):
                break  # no sentence from here on is worth more (a tie goes to the earlier one)
            scanned += 1
            if top and used + sentence.size > characters:
                continue
            found = sentence.units
            novelty = 1 - len(found & covered) / (len(found) + 1)
            if novelty < MIN_NOVELTY:
                continue  # it says again what is chosen
            value = sentence.score * novelty**REDUNDANCY_POWER
            if top and value < MIN_SHARE * top:
                continue
            keep.append(sentence)
            if best is None or value > best_value or (value == best_value and sentence.index < best.index):
                best, best_value = sentence, value
        left[:scanned] = [s for s in keep if s is not best]
        if best is None or best_value <= 0:
            break
        if not top:
            top = best_value
        chosen.append(best)
        covered |= best.units
        used += best.size
    return sorted(chosen, key=lambda s: s.index)


# What a translated sentence may open with that belongs to no sentence: a marker's colon, a dash.
_LEADING_JUNK = re.compile(r"^[\s:：\-–—.。,，]+")
_ENDS_SENTENCE = re.compile(r"[.!?…](?:\s*[\"'”’)\]])*$")


def join_english(sentences: list[str]) -> str:
    """Translated key sentences as one paragraph: each on one line, stripped of a stray leading
    colon or dash, ended with a full stop where it has no ending of its own (a title's
    translation), joined by spaces; empty ones left out."""
    kept = []
    for sentence in sentences:
        # A sentence the article ends at ； comes back ending at ";": "recompiling is too slow;."
        text = _LEADING_JUNK.sub("", " ".join(sentence.split())).rstrip(";；,， ")
        if not text:
            continue
        kept.append(text if _ENDS_SENTENCE.search(text) else f"{text}.")
    return " ".join(kept)


# A translation quoted whole: its opening mark, what it says, an ending inside or outside the close.
_QUOTED_WHOLE = re.compile(r'^[\s:：\-–—]*(["“])([^"“”]+?)([.!?…]?)["”]([.!?…]?)\s*$')


def unquoted(translated: str, sentence: str) -> str:
    """``translated`` without the quotation marks a model put around all of it, unless its
    ``sentence`` is a quotation itself. On the reference model the Tainan AI release's
    sentences came back each in quotes, as if the press office had said them.

    Example::

        >>> unquoted('"The centre handled 140,000 cases."', "聯合服務中心處理14萬件。")
        'The centre handled 140,000 cases.'
    """
    match = _QUOTED_WHOLE.match(translated)
    if match is None or sentence.lstrip()[:1] in "「『“\"":
        return translated
    return match.group(2).strip() + (match.group(3) or match.group(4))


_WORD = re.compile(r"[a-z0-9]+")


def english_words(text: str) -> str:
    """The words of a translated key sentence, lower-cased, without a speaker's label or
    punctuation: two sentences with the same words say the same thing ("" for none).

    On the 0.5B model six different lines of the Cantonese radio talk all came back as
    "B: The house has a garage parking place." (or "A: …"): a copy of an earlier answer, not a
    translation, and a loop to the reader of the joined summary.

    Example::

        >>> english_words("B: The house has a garage.") == english_words("A: the house has a garage")
        True
    """
    return " ".join(_WORD.findall(_SPEAKER.sub("", text).lower()))


_ZH_ENDERS = tuple("。！？…」』”")


def join_chinese(chosen: list[Sentence]) -> str:
    """Key sentences as the article writes them, a line per paragraph; a title or a heading
    (no ending of its own) ends with 。 so that it does not run into the next sentence."""
    lines: list[list[str]] = []
    last = None
    for sentence in chosen:
        if sentence.paragraph != last:
            lines.append([])
            last = sentence.paragraph
        # A sentence the splitter ended at ； ends with 。 alone: "流程太慢；。" was written.
        text = sentence.text.removesuffix("；")
        lines[-1].append(text if text.endswith(_ZH_ENDERS) or text.endswith((".", "!", "?")) else f"{text}。")
    return "\n".join("".join(line) for line in lines)
