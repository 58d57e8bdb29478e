"""The direction of a change in summarize.verify: a figure the article states as a fall (衰退3.5%,
負2.1%) written as a rise ("grew 3.5%") is flagged, and the reverse; a figure either side states
no direction for is never flagged for it (``figures._english_rising``, ``_chinese_rising``)."""

from __future__ import annotations

import pytest

from summarize import verify
from summarize.figures import chinese_figures, english_figures
from summarize.verify import check


def directions(found):
    """Each figure's text and direction, once per place (a figure read two ways is one)."""
    return list({(f.start, f.end): (f.text, f.rising) for f in found if f.kind != "date"}.values())


# -- reading -----------------------------------------------------------------------------------

CHINESE = [
    ("a fall", "全年經濟衰退3.5%。", [("3.5%", False)]),
    ("a rise", "出口成長3.5%。", [("3.5%", True)]),
    ("falls", "營收下降3.5%，訂單減少3.5%，減幅3.5%，股價跌3.5%。", [("3.5%", False)] * 4),
    ("rises", "訂單增加3.5%，物價上升3.5%，增幅3.5%，股價漲3.5%。", [("3.5%", True)] * 4),
    ("year on year", "出口年增3.5%，進口年減2.1%。", [("3.5%", True), ("2.1%", False)]),
    ("against last year, with 了 and 約", "較去年同期減少了約3.5%。", [("3.5%", False)]),
    ("a noun of size, then 為", "減幅為3.5%，成長率為2.1%。", [("3.5%", False), ("2.1%", True)]),
    ("a minus sign outweighs the word", "經濟成長率為負2.1%，去年為-2.1%。", [("2.1%", False), ("2.1%", False)]),
    ("負成長", "經濟負成長2.1%。", [("2.1%", False)]),
    ("負增長", "經濟負增長2.1%。", [("2.1%", False)]),
    ("百分之", "比前年成長百分之三十二。", [("百分之三十二", True)]),
    ("a currency between", "預算減少新臺幣3億元。", [("3億", False)]),
    ("a noun of change after", "就爭取到六成嘅減租。", [("六成", False)]),
    ("Cantonese 咗", "我減咗六成俾你。", [("六成", False)]),
    # A level a change ended at or came from states none.
    ("至", "失業率由5%降至3.5%。", [("5%", None), ("3.5%", None)]),
    ("為 after a verb is to", "人數增加為3萬人。", [("3萬", None)]),
    # Negated, either way, or a word that only opens with a character of change.
    ("negated", "營收未減少3.5%，也沒有增加2%，不會下降1%。", [("3.5%", None), ("2%", None), ("1%", None)]),
    ("不斷 is no negation", "營收不斷增加3.5%。", [("3.5%", True)]),
    ("不減反增", "營收不減反增3.5%。", [("3.5%", True)]),
    ("either way", "增減3%，漲跌2%。", [("3%", None), ("2%", None)]),
    ("公升", "每公升3元。", [("3", None)]),
    ("正負 is either sign", "誤差正負2%。", [("2%", None)]),
    ("減少 far from the number", "為減少碳排放，市府補助3.5%的電費。", [("3.5%", None)]),
    ("a range's second number", "成長3至5%。", [("3", True), ("5%", None)]),
    ("a year counts no change", "2024年成長3.5%。", [("2024年", None), ("3.5%", True)]),
    # Words that say an amount went one way: a gap that narrows falls, a span lengthened rises.
    ("more falls", "差距縮小3%，跌幅收斂3%，工時縮短3%，電價下調3%，股價走低3%，下挫3%，重挫3%，新臺幣貶值3%。",
     [("3%", False)] * 8),
    ("more rises", "逆差擴大3%，工期延長3%，利率上調3%，股價走高3%，走揚3%，上揚3%，新臺幣升值3%。", [("3%", True)] * 7),
    ("擴大約 is 擴大 about", "擴大約3%。", [("3%", True)]),
    ("縮小至 is a level", "差距縮小至3%。", [("3%", None)]),
]


@pytest.mark.parametrize("name, text, expected", CHINESE, ids=[c[0] for c in CHINESE])
def test_chinese_directions(name, text, expected):
    assert directions(chinese_figures(text)) == expected


# Simplified characters, in an article or in drift, read as their Traditional forms.
SIMPLIFIED = [
    ("rises", "出口增长3.5%，物价上涨3.5%，涨幅3.5%，成长3.5%。", [("3.5%", True)] * 4),
    ("falls", "营收减少3.5%，减幅3.5%，年减3.5%，萎缩3.5%，缩减3.5%。", [("3.5%", False)] * 5),
    ("a noun of size, then 为", "增长率为3.5%，减幅为2.1%。", [("3.5%", True), ("2.1%", False)]),
    ("了 and 约", "比去年同期减少了约3.5%。", [("3.5%", False)]),
    ("a currency between", "预算减少人民币3亿元，补助减少新台币2亿元。", [("3亿", False), ("2亿", False)]),
    ("负增长", "经济负增长2.1%，经济成长率为负2.1%。", [("2.1%", False), ("2.1%", False)]),
    ("a noun of change after", "3.5%的增长，2.1%的减幅。", [("3.5%", True), ("2.1%", False)]),
    ("negated", "营收没有增加3.5%，不会下降2.1%。", [("3.5%", None), ("2.1%", None)]),
    ("more words", "差距缩小3%，跌幅收敛3%，电价下调3%，台币贬值3%，逆差扩大3%，利率上调3%，股价上扬3%。",
     [("3%", False)] * 4 + [("3%", True)] * 3),
    ("either way", "增减3%，涨跌2%。", [("3%", None), ("2%", None)]),
    ("胜负 is no minus", "胜负2分。", [("2", None)]),
    ("a level", "失业率由5%降为3.5%，人数增加为3万人。", [("5%", None), ("3.5%", None), ("3万", None)]),
]


@pytest.mark.parametrize("name, text, expected", SIMPLIFIED, ids=[c[0] for c in SIMPLIFIED])
def test_simplified_directions(name, text, expected):
    assert directions(chinese_figures(text)) == expected


def test_every_simplified_form_of_a_change_word_is_read_and_no_traditional_text_changes():
    import opencc

    from summarize import figures
    from summarize.text import _simplified_only

    patterns = "".join([
        figures._ZH_RISE, figures._ZH_FALL, figures._ZH_CHANGE_BEFORE.pattern, figures._ZH_NEGATED.pattern,
        figures._ZH_NOT_CHANGE.pattern, figures._ZH_CHANGE_AFTER.pattern, figures._ZH_MINUS.pattern,
    ])
    chars = {c for c in patterns if "\u4e00" <= c <= "\u9fff"}
    t2s = opencc.OpenCC("t2s")
    unread = [
        c for c in sorted(chars)
        if t2s.convert(c).translate(figures.TRADITIONAL_NUMERALS).translate(figures.TRADITIONAL_CHANGE_WORDS) not in chars
    ]
    assert unread == []
    mapped = {chr(k): v for k, v in figures.TRADITIONAL_CHANGE_WORDS.items()}
    assert [c for c in mapped if not _simplified_only(c)] == []


ENGLISH = [
    ("verbs", "Exports grew 3.5% and imports fell 2.1%.", [("3.5%", True), ("2.1%", False)]),
    ("by and about", "It rose by about 3.5 percent; it declined by 2.1%.", [("3.5 percent", True), ("2.1%", False)]),
    ("a noun before of", "an increase of 3.5%, a decline of 2.1 percent", [("3.5%", True), ("2.1 percent", False)]),
    ("a noun after", "a 3.5% drop and a 2.1% year-on-year rise", [("3.5%", False), ("2.1%", True)]),
    ("up and down", "Sales were up 3.5%, margins down 2.1 percentage points.",
     [("3.5%", True), ("2.1 percentage points", False)]),
    ("higher and lower", "3.5% higher, 2 points lower", [("3.5%", True), ("2 points", False)]),
    ("minus", "Growth was -2.1%, or minus 2.1%; negative growth of 2.1%.", [("2.1%", False)] * 3),
    ("a sign outweighs the word", "growth of -2.1%", [("2.1%", False)]),
    ("an amount", "Visitors increased by 30,000.", [("30,000", True)]),
    # A level, a range's second number, a negation and a dash set apart state none.
    ("from and to", "It fell from 5% to 3.5%.", [("5%", None), ("3.5%", None)]),
    ("growth slowed to", "Growth slowed to 2.1%.", [("2.1%", None)]),
    ("up to", "Fees rise up to 3.5%.", [("3.5%", None)]),
    ("up from", "It was 3.5%, up from 2%.", [("3.5%", None), ("2%", None)]),
    ("a range", "Prices rose 3-5%.", [("3", True), ("5%", None)]),
    ("negated", "It did not fall 3.5%, nor has it grown 2%.", [("3.5%", None), ("2%", True)]),
    ("didn't", "It didn't rise 3.5%.", [("3.5%", None)]),
    ("a dash after a space", "Growth – 2.1% – was low.", [("2.1%", None)]),
    ("made up", "Women made up 18% of entrants.", [("18%", None)]),
    ("up before a count", "It picked up 3 awards.", [("3", None)]),
    ("lower before a count", "3 lower courts and the 2 fall festivals", [("3", None), ("2", None)]),
    ("a temperature's sign is below_zero's", "It was -5°C, and fell 5 degrees.", [("5", None), ("5", False)]),
    # Words that say an amount went one way and nothing else, for any figure.
    ("narrowed and widened", "The gap narrowed 3 points; the deficit widened by 2%.", [("3", False), ("2%", True)]),
    ("more verbs", "It dwindled 1%, slashed 2%, trimmed 3%, shortened 4%, lowers 5%; it skyrocketed 6%, swelled 7%, "
     "was lengthened 8% and hiked 9%.",
     [("1%", False), ("2%", False), ("3%", False), ("4%", False), ("5%", False), ("6%", True), ("7%", True),
      ("8%", True), ("9%", True)]),
    ("a count", "It slashed 300 jobs and narrowed 12 seats.", [("300", False), ("12", False)]),
    ("cheaper and dearer", "Tickets are 3% cheaper, 2 percent dearer, 4% more expensive, 5% less expensive.",
     [("3%", False), ("2 percent", True), ("4%", True), ("5%", False)]),
    # Words with other senses count only for a percentage, as "up" and "down" do.
    ("percent-only verbs", "Fares were raised 3%, boosted 2%, eased 1%, shed 4%; the yuan weakened 5%, rallied 6%.",
     [("3%", True), ("2%", True), ("1%", False), ("4%", False), ("5%", False), ("6%", True)]),
    ("percent-only nouns", "a slide of 3%, a 2% slide, a boost of 4%, a 5% climb, a narrowing of 1 percentage point",
     [("3%", False), ("2%", False), ("4%", True), ("5%", True), ("1 percentage point", False)]),
    ("other senses for a count", "She raised 3 children, eased 2 rules, rallied 3,000 supporters, made 4 cheaper "
     "models, showed a slide of 5 photos and 6 slide decks.",
     [("3", None), ("2", None), ("3,000", None), ("4", None), ("5", None), ("6", None)]),
    ("narrow is an adjective", "a narrow 51% majority", [("51%", None)]),
    ("narrowed to is a level", "The gap narrowed to 3%.", [("3%", None)]),
    # A word of change apart from its number by the thing that changed, or by an adverb.
    ("a noun, in the thing, of", "an increase in sales of 3%, a drop in the number of visitors of 30,000, "
     "a cut in interest rates of 0.25 percentage points",
     [("3%", True), ("30,000", False), ("0.25 percentage points", False)]),
    ("a verb, the thing, by", "It cut prices by 3%, raised its fees sharply by 2%, reduced emissions by about 4% "
     "and increased the number of routes by 5.", [("3%", False), ("2%", True), ("4%", False), ("5", True)]),
    ("an adverb", "Exports rose sharply 3% and fell slightly by 2%.", [("3%", True), ("2%", False)]),
    ("the nearer word", "Prices fell as demand rose by 3%; exports rose while imports fell by 2%.",
     [("3%", True), ("2%", False)]),
    ("a number that counts the thing", "an increase in the prices of 3 products", [("3", None)]),
    ("a thing that holds a word of change", "It cut the growing deficit by 3%.", [("3%", None)]),
    ("a clause between", "Exports fell, driven by 3 factors; the plan was approved by 3 votes.", [("3", None), ("3", None)]),
    ("a year between", "It cut the budget in 2023 by 3%.", [("2023", None), ("3%", None)]),
    ("a level then a year", "It fell to 3% by 2025.", [("3%", None), ("2025", None)]),
    ("a rise to a level", "a rise to record levels of 3%", [("3%", None)]),
    ("negated apart", "It did not cut prices by 3%.", [("3%", None)]),
]


@pytest.mark.parametrize("name, text, expected", ENGLISH, ids=[c[0] for c in ENGLISH])
def test_english_directions(name, text, expected):
    assert directions(english_figures(text)) == expected


# -- tracing -----------------------------------------------------------------------------------

# (name, source, output, unsupported phrases)
TRACED = [
    ("a fall as growth", "全年經濟衰退3.5%。", "The economy grew 3.5%.", ["3.5%"]),
    ("a fall as rose", "營收下降3.5%。", "Revenue rose 3.5%.", ["3.5%"]),
    ("減少 as increased by", "營收較去年同期減少3.5%。", "Revenue increased by 3.5%.", ["3.5%"]),
    ("減幅 as up", "營收減幅3.5%。", "Revenue was up 3.5% on the year.", ["3.5%"]),
    ("跌 as rose", "股價跌3.5%。", "The share price rose 3.5 percent.", ["3.5 percent"]),
    ("a rise as fell", "出口成長3.5%。", "Exports fell 3.5%.", ["3.5%"]),
    ("增加 as declined by", "訂單增加3.5%。", "Orders declined by 3.5%.", ["3.5%"]),
    ("上升 as down", "物價上升3.5%。", "Prices were down 3.5%.", ["3.5%"]),
    ("漲 as a drop", "股價漲3.5%。", "The share price saw a 3.5% drop.", ["3.5% drop"]),
    ("增幅 as a decline of", "增幅3.5%。", "A decline of 3.5 percent.", ["3.5 percent"]),
    ("年增 as 年減", "出口年增3.5%。", "出口年減3.5%。", ["3.5%"]),
    ("負 as growth", "經濟成長率為負2.1%。", "The economy grew 2.1%.", ["2.1%"]),
    ("a minus sign as growth of", "經濟成長率-2.1%。", "Growth of 2.1% was reported.", ["2.1%"]),
    ("an amount", "人口減少3萬人。", "The population rose by 30,000.", ["30,000"]),
    ("縮小 as widened", "差距縮小3個百分點。", "The gap widened by 3 percentage points.", ["3 percentage points"]),
    ("收斂 as grew", "虧損收斂3%。", "Losses grew 3%.", ["3%"]),
    ("擴大 as narrowed", "逆差擴大3%。", "The deficit narrowed 3%.", ["3%"]),
    ("貶值 as rose", "新臺幣貶值3%。", "The New Taiwan dollar rose 3%.", ["3%"]),
    ("下調 as raised", "電價下調3%。", "Power prices were raised 3%.", ["3%"]),
    ("上漲 as cheaper", "票價上漲3%。", "Tickets are 3% cheaper.", ["3% cheaper"]),
    ("延長 as shortened", "工時延長3小時。", "Working hours were shortened by 3 hours.", ["3 hours"]),
    ("重挫 as rallied", "股價重挫3%。", "The shares rallied 3%.", ["3%"]),
    ("減少 as an increase in", "營收減少3.5%。", "An increase in revenue of 3.5% was reported.", ["3.5%"]),
    ("上漲 as cut by", "電價上漲3%。", "The utility cut power prices by 3%.", ["3%"]),
    ("成長 as fell sharply", "出口成長3%。", "Exports fell sharply 3%.", ["3%"]),
    # Right renderings.
    ("a fall as fell", "全年經濟衰退3.5%。", "The economy shrank 3.5% for the year.", []),
    ("a fall as a drop", "營收下降3.5%。", "A 3.5% drop in revenue.", []),
    ("減少 as a decline of", "營收較去年同期減少3.5%。", "A decline of 3.5 percent on the year.", []),
    ("negative growth as minus", "經濟成長率為負2.1%。", "Growth was -2.1%.", []),
    ("negative growth in words", "經濟負成長2.1%。", "The economy had negative growth of 2.1%.", []),
    ("percentage points", "支持率下降3.5個百分點。", "Support was down 3.5 percentage points.", []),
    ("縮小 as narrowed", "差距縮小3個百分點。", "The gap narrowed by 3 percentage points.", []),
    ("收斂 as eased", "跌幅收斂0.5個百分點。", "The decline eased by 0.5 percentage points.", []),
    ("擴大 as widened", "逆差擴大3%。", "The deficit widened 3%.", []),
    ("貶值 as weakened", "新臺幣貶值3%。", "The New Taiwan dollar weakened 3%.", []),
    ("下調 as cheaper", "票價下調3%。", "Tickets are 3% cheaper.", []),
    ("a count of something else", "她減少工時，養育3名子女。", "She cut her hours and raised 3 children.", []),
    ("減少 as a drop in", "營收減少3.5%。", "A drop in revenue of 3.5% was reported.", []),
    ("下調 as cut by", "電價下調3%。", "The utility cut power prices by 3%.", []),
    ("百分之", "比前年成長百分之三十二。", "Up 32% on the year before.", []),
    # No direction on one side: nothing to disagree with.
    ("the summary states none", "全年經濟衰退3.5%。", "The economy changed by 3.5%.", []),
    ("the article states none", "經濟成長率3.5%。", "Growth of 3.5% ended the year.", []),
    ("a level from and to", "失業率由5%降至3.5%。", "Unemployment fell from 5% to 3.5%.", []),
    ("growth slowed to", "經濟成長率放緩至2.1%。", "Growth slowed to 2.1%.", []),
    ("a level stated as one", "經濟成長率放緩至2.1%。", "The economy grew 2.1%.", []),
    ("negated", "營收衰退3.5%。", "Revenue did not rise 3.5% as hoped.", []),
    # Twice in the article, each way: either is a right rendering.
    ("one value, both ways", "出口成長3.5%，進口衰退3.5%。", "Exports fell 3.5% and imports grew 3.5%.", []),
    ("one value, once without", "營收衰退3.5%，占比3.5%。", "Revenue grew 3.5%.", []),
    ("減少 of something else", "為減少碳排放，市府補助成長3.5%。", "Subsidies grew 3.5%.", []),
    ("a range", "營收成長3至5%。", "Revenue rose 3% to 5%.", []),
    # An article in Simplified characters.
    ("减少 as rose", "营收较去年同期减少3.5%。", "Revenue rose 3.5%.", ["3.5%"]),
    ("增长 as fell", "出口增长3.5%。", "Exports fell 3.5%.", ["3.5%"]),
    ("负增长 as grew", "经济负增长2.1%。", "The economy grew 2.1%.", ["2.1%"]),
    ("减少 as a decline of", "营收较去年同期减少3.5%。", "A decline of 3.5 percent on the year.", []),
    ("涨幅 as up", "物价涨幅3.5%。", "Prices were up 3.5%.", []),
]


@pytest.mark.parametrize("name, source, output, flagged", TRACED, ids=[c[0] for c in TRACED])
def test_a_direction_must_agree(name, source, output, flagged):
    assert [c.phrase for c in check(output, source)] == flagged


def test_an_amount_of_the_wrong_direction_is_no_unit_slip():
    # The article gives 30,000 as a fall; 30萬 is a power of ten away, but "300,000" would be wrong.
    output, source = "The population rose by 30,000.", "人口減少3萬人，全市約30萬人。"
    assert verify.fix_unit_slips(output, source) == (output, [])
    assert [c.phrase for c in check(output, source)] == ["30,000"]


async def test_a_wrong_direction_is_repaired_like_any_unsupported_figure():
    source = "主計總處今日公布。全年經濟衰退3.5%，為十年來首見。出口則成長12%。"
    summary = "The economy grew 3.5% for the year. Exports grew 12%."
    sent = []

    async def ask(messages):
        sent.append(messages)
        return "[1] The economy shrank 3.5% for the year."

    checked = await verify.repair_summary(ask, summary, source)
    assert checked.text == "The economy shrank 3.5% for the year. Exports grew 12%."
    assert checked.kept_repair and checked.unsupported == ()
    # The request shows the sentence with 衰退3.5% as the figure's evidence.
    assert "[1] The economy grew 3.5% for the year." in sent[0][1]["content"]
    assert "衰退3.5%" in sent[0][1]["content"]


async def test_a_wrong_direction_the_repair_kept_is_listed_when_its_sentence_stays():
    source = "全年經濟衰退3.5%。"
    summary = "The economy grew 3.5%."

    async def ask(messages):
        return "[1] The economy grew 3.5%."

    checked = await verify.repair_summary(ask, summary, source)
    assert checked.text == summary and checked.unsupported == ("3.5%",)
