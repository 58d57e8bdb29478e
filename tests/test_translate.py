"""translate_article against the scripted server: alignment, repair, fallbacks, request size."""

from __future__ import annotations

import re
import runpy

import pytest
from conftest import ROOT, SAMPLE
from fake_translator import (
    USAGE,
    article,
    english,
    is_extraction,
    is_firm,
    is_translation,
    marked,
    marked_reply,
    prefix,
    reference,
    reply,
    translator,
)
from scripted_server import Step

import summarize
from summarize import (
    ChunkFailedError,
    ConfigError,
    InputError,
    Translation,
    atranslate_article,
    translate_article,
)
from summarize.text import clean, to_traditional
from summarize.plan import plan_translation
from summarize.translate import (
    clip, make_units, marker_prefix, needs_translation, pair_problems, parse_marked, split_paragraphs,
)
from summarize.tokens import tokenizer_for

PARAGRAPHS = [
    "臺南運河夜間導覽船明年擴大營運",
    "【本報臺南訊】觀光旅遊局昨日宣布，夜間導覽船將自明年三月起擴大營運。",
    "　　觀旅局表示，去年夜間導覽船共載運旅客約八萬六千人次。",
    "新船全數採用鋰電池動力，單次充電可航行約五小時。",
    "部分沿岸居民擔心夜間航班增加後，噪音與燈光會影響生活。",
    "業者也關注票價調整，目前成人票為二百五十元。",
]
# Single line breaks and blank lines both separate paragraphs.
ARTICLE_TEXT = "\n".join(PARAGRAPHS[:3]) + "\n\n" + "\n".join(PARAGRAPHS[3:]) + "\n"


def translations(scripted):
    return [r for r in scripted.chat_requests if is_translation(r)]


# -- pure helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("一\n二", ["一", "二"]),
        ("一\n\n\n二\n", ["一", "二"]),
        ("　　一\n \n二", ["　　一", "二"]),
        ("標題\n2026-11-28\n內文。", ["標題", "2026-11-28", "內文。"]),
    ],
)
def test_a_paragraph_is_a_non_empty_line_kept_verbatim(text, expected):
    assert split_paragraphs(text) == expected


@pytest.mark.parametrize(
    "reply, numbers, expected",
    [
        ("[[1]] One.\n[[2]] Two.", [1, 2], {1: "One.", 2: "Two."}),
        ("Here you go:\n[[1]] One.\n[[2]] Two.", [1, 2], {1: "One.", 2: "Two."}),  # preamble ignored
        ("[[1]] One.\n[[3]] Three.", [1, 2], {1: "One."}),  # a number not asked for is ignored
        ("[[ 2 ]] Two,\nwrapped.", [2], {2: "Two,\nwrapped."}),
        ("[[1]] One.\n[[2]]\n[[1]] Again.", [1, 2], {1: "One."}),  # empty and repeated markers
        # A marker right after itself goes on with its translation, unless it only repeats it.
        ("[[3]]: It met.\n[[3]]: It opened 10 times.\n[[4]] Four.", [3, 4], {3: "It met.\nIt opened 10 times.", 4: "Four."}),
        ("[[2]]: January 1, 114\n\n[[2]]: 114", [2], {2: "January 1, 114"}),
        ("[[4]]: Same.\n[[4]]: Same.", [4], {4: "Same."}),
        (  # a worse copy of the line before (the quickstart recording)
            "[[3]]: The boat carried 86, 600 passengers, up 32%.\n[[3]]: The boat carried 8, 600 passengers.",
            [3],
            {3: "The boat carried 86, 600 passengers, up 32%."},
        ),
        ("[[1]] 運河導覽船擴大營運。\n[[1]] 新增三條航線。", [1], {1: "運河導覽船擴大營運。\n新增三條航線。"}),
        # A fence line copied from the request is no part of a translation.
        ("[[2]]: January 1, 114 [[END ARTICLE]]", [2], {2: "January 1, 114"}),
        # The colon a model puts after a marker is no part of its translation (run 14, tainan-1624).
        ("[[5]]: The museum opened.\n[[6]]：Twenty lenders.", [5, 6], {5: "The museum opened.", 6: "Twenty lenders."}),
        ("[[7]] Ratio 3:2.", [7], {7: "Ratio 3:2."}),
        ("[[1]] One.\n<<<END ARTICLE>>>", [1], {1: "One."}),
        ("[[1]] The END ARTICLE rule.", [1], {1: "The END ARTICLE rule."}),  # words, not a fence
        ("No markers at all.", [1, 2], {}),
        # What a chat model says around the translation is no part of the last pair (it was glued on).
        ("Here is the translation:\n```\n[[1]] One.\n[[2]] Two.\n```\n\nI hope this helps! Let me know if you need more.",
         [1, 2], {1: "One.", 2: "Two."}),
        ("[[1]] One.\n[[2]] Two. I hope this helps!", [1, 2], {1: "One.", 2: "Two."}),
        ("[[1]] One.\n[[2]] Two.\nNote: 臺南 is Tainan.", [1, 2], {1: "One.", 2: "Two."}),
        # A note in brackets after each translation was kept in every pair, unflagged.
        ("[[1]] One.\n(Note: names are romanized.)\n[[2]] Two.\n（Note: 臺南 is Tainan.）", [1, 2], {1: "One.", 2: "Two."}),
        ("**[[1]]** One.\n**[[2]]** Two.", [1, 2], {1: "One.", 2: "Two."}),  # bold markers left ** in every pair
        # A label a model puts after each marker was kept in every pair, unflagged.
        ("[[1]] Translation: One.\n[[2]] English: Two.", [1, 2], {1: "One.", 2: "Two."}),
        ("[[1]] **Translation:** One.\n[[2]] English translation: Two.", [1, 2], {1: "One.", 2: "Two."}),
        ("[[1]] Translation: by Wang.", [1], {1: "Translation: by Wang."}),  # its source's own credit line
        ("[[1]] Translation errors were found.", [1], {1: "Translation errors were found."}),
        # Quotation marks around a whole translation whose source holds no quotation are no part of it.
        ('[[1]] "One."\n[[2]] “Two.”', [1, 2], {1: "One.", 2: "Two."}),
        ('[[3]] "We will try," he said.', [3], {3: '"We will try," he said.'}),
        ('[[4]] "We will try."', [4], {4: '"We will try."'}),  # its source is a quotation
        ('[[1]] "Yes" and "no".', [1], {1: '"Yes" and "no".'}),
        ('[[5]] "Across 1624"', [5], {5: '"Across 1624"'}),  # its source names a title: 《跨越1624》
        ("[[1]] Let me know the results, the mayor said.", [1], {1: "Let me know the results, the mayor said."}),
    ],
)
def test_parse_marked(reply, numbers, expected):
    # The rows whose source decides: a credit line, a quotation, a title.
    sources = {1: "翻譯：王小明"} if "by Wang" in reply else {4: "「我們會努力。」", 5: "《跨越1624》"} if (
        "We will try." in reply or "Across 1624" in reply) else None
    assert parse_marked(reply, numbers, sources=sources) == expected


def test_markers_that_occur_in_the_article_get_a_prefix():
    assert marker_prefix("普通文字") == ""
    assert marker_prefix("文中有 [[1]] 字樣") == "P"
    assert marker_prefix("[[1]] 與 [[P2]]") == "PP"


def test_an_over_budget_paragraph_becomes_sentence_units_of_one_paragraph():
    count = tokenizer_for("scripted").count
    long = "".join(f"第{i}句話說明運河導覽船的新航線與票價。" for i in range(12))
    units = make_units(["標題", long], 80, count)
    assert units[0].paragraph == 0 and units[0].text == "標題"
    rest = units[1:]
    assert len(rest) > 1 and {u.paragraph for u in rest} == {1}
    assert "".join(u.text for u in rest) == long
    assert all(u.tokens <= 80 for u in units)
    assert [u.number for u in units] == list(range(1, len(units) + 1))


# -- alignment -------------------------------------------------------------------------------


def test_pairs_align_with_source_paragraphs(scripted, scripted_settings):
    scripted.default = translator()
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert isinstance(result, Translation)
    assert [s for s, _ in result.pairs] == PARAGRAPHS  # verbatim, indentation included
    assert [t for _, t in result.pairs] == [english(p.strip()) for p in PARAGRAPHS]
    assert result.text == "\n\n".join(english(p.strip()) for p in PARAGRAPHS)
    assert str(result) == result.text
    assert result.target == "en" and result.verified and result.simplified_fixed == 0
    assert result.model == "scripted"
    assert result.usage.requests == len(scripted.chat_requests) == 1  # one chunk: one request, no extraction
    assert result.usage.prompt_tokens == USAGE["prompt_tokens"]
    assert result.chunks == 1 and result.glossary == {}


def test_to_markdown_interleaves_or_tabulates_both_languages(scripted, scripted_settings):
    scripted.default = translator(translate=lambda src: f"EN | {len(src)}")
    result = translate_article("標題\n內文｜一段。", settings=scripted_settings)
    interleaved = result.to_markdown()
    assert interleaved == "> 標題\n\nEN | 2\n\n> 內文｜一段。\n\nEN | 6\n"
    table = result.to_markdown("table").splitlines()
    assert table[:2] == ["| Source | Translation |", "| --- | --- |"]
    assert table[2] == "| 標題 | EN \\| 2 |"  # a pipe inside a cell cannot break the table
    with pytest.raises(ValueError, match="interleaved"):
        result.to_markdown("columns")


def test_a_dropped_paragraph_is_asked_for_again_alone(scripted, scripted_settings):
    dropped = PARAGRAPHS[3]
    seen_once = []

    def forgetful(seen):
        pairs = marked(seen)
        if not seen_once and any(src == dropped for _, src in pairs):
            seen_once.append(True)
            return marked_reply([(n, s) for n, s in pairs if s != dropped])
        return marked_reply(pairs)

    scripted.default = forgetful
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert [t for _, t in result.pairs] == [english(p.strip()) for p in PARAGRAPHS]
    first, repair = scripted.chat_requests
    assert len(marked(first)) == len(PARAGRAPHS)
    assert marked(repair) == [(4, dropped)]  # only the missing one, under its own marker
    assert reference(repair) == "" and PARAGRAPHS[2].strip() not in repair.user_text  # no context by default


def test_with_translation_context_a_repair_carries_the_title_and_the_paragraph_before(scripted, scripted_settings):
    dropped = PARAGRAPHS[3]

    def forgetful(seen):
        pairs = marked(seen)
        if len(pairs) > 1:
            return marked_reply([(n, s) for n, s in pairs if s != dropped])
        return marked_reply(pairs)

    scripted.default = forgetful
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings.replace(translation_context=True))
    assert [t for _, t in result.pairs] == [english(p.strip()) for p in PARAGRAPHS]
    first, repair = scripted.chat_requests
    assert reference(first) == ""  # the first chunk starts with the title: nothing comes before it
    assert marked(repair) == [(4, dropped)]
    # the repair carries the title and the paragraph before it as context, not the article
    assert "Title:\n" + PARAGRAPHS[0] in reference(repair)
    assert "Previous paragraph:\n" + PARAGRAPHS[2].strip() in reference(repair)
    assert PARAGRAPHS[4] not in repair.user_text


def test_merged_paragraphs_do_not_shift_later_pairs(scripted, scripted_settings):
    def merger(seen):
        pairs = marked(seen)
        if len(pairs) > 1:  # paragraphs 2 and 3 come back as one, under marker 2
            lines = [f"[[{n}]] {english(s)}" for n, s in pairs if n not in (2, 3)]
            lines.insert(1, f"[[2]] {english(pairs[1][1])} {english(pairs[2][1])}")
            return reply("\n".join(lines))
        return marked_reply(pairs)

    scripted.default = merger
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert [s for s, _ in result.pairs] == PARAGRAPHS
    assert result.pairs[3][1] == english(PARAGRAPHS[3])  # later pairs stay in place
    assert result.pairs[2][1] == english(PARAGRAPHS[2].strip())  # the swallowed one, asked for again
    # The merged pair held its neighbour's translation too, unflagged: once that came back on
    # its own, the merged one is asked for alone as well.
    assert result.pairs[1][1] == english(PARAGRAPHS[1].strip()) and result.unverified == ()
    assert len(scripted.chat_requests) == 3


# Four paragraphs of one release and their English, each a sentence of its own.
RELEASE = {
    "臺南市政府今天宣布，將在明年春天舉辦大型文化節，吸引國內外遊客前來參觀。":
        "The Tainan City Government announced today that it will hold a large cultural festival next spring.",
    "市長表示，這次活動將結合在地美食與傳統工藝，讓民眾體驗臺南的歷史風情。":
        "The mayor said the event will combine local food and traditional crafts with the city's history.",
    "觀光局指出，去年相關活動吸引大量遊客，帶動周邊商圈的營業額明顯成長。":
        "The tourism bureau noted that last year's events drew many visitors and lifted nearby businesses.",
    "主辦單位也提醒民眾，活動期間將實施交通管制，請多利用大眾運輸工具前往。":
        "The organizers reminded the public of traffic controls during the event and urged use of public transport.",
}


@pytest.mark.parametrize("shape", ["merged-and-counted-on", "split-and-counted-on"])
def test_pairs_a_misnumbered_reply_shifted_are_each_asked_alone_until_none_is(scripted, scripted_settings, shape):
    """Red team: paragraphs 1 and 2 came back under [[1]] and the count carried on ([[2]] held
    paragraph 3's translation, [[3]] paragraph 4's); or paragraph 1 was split over [[1]] and
    [[2]]. After the re-asks, pairs were still wrong and unflagged, and the one flag sat on a
    pair that was right: an answer given alone is now trusted over one it clashes with."""

    def shifting(seen):
        pairs = marked(seen)
        said = [RELEASE[source] for _, source in pairs]
        if len(pairs) > 1 and shape == "merged-and-counted-on":
            said = [f"{said[0]} {said[1]}", *said[2:]]
        elif len(pairs) > 1:
            cut = said[0].index(" that ")
            said = [said[0][:cut], said[0][cut + 1 :], *said[1:-1]]
        return reply("\n".join(f"[[{pairs[i][0]}]] {line}" for i, line in enumerate(said)))

    scripted.default = shifting
    result = translate_article("\n".join(RELEASE), settings=scripted_settings)
    assert [t for _, t in result.pairs] == list(RELEASE.values())
    assert result.unverified == ()
    assert len(scripted.chat_requests) <= 1 + len(RELEASE)  # each pair asked for alone once at most


def test_a_model_that_ignores_markers_still_yields_aligned_pairs(scripted, scripted_settings):
    def careless(seen):
        pairs = marked(seen)
        if len(pairs) > 1:  # prose without markers, as small local models write
            return reply("Here is the translation. " + " ".join(english(s) for _, s in pairs))
        return reply(f"Sure! {english(pairs[0][1])}")  # no marker for a single paragraph either, and a lead-in

    scripted.default = careless
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert [s for s, _ in result.pairs] == PARAGRAPHS
    assert [t for _, t in result.pairs] == [english(p.strip()) for p in PARAGRAPHS]
    sizes = sorted(len(marked(r)) for r in scripted.chat_requests)
    assert sizes == [1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 6]  # 6 → 3 + 3 → 1 + 2 → 1 + 1: one paragraph each at last


def test_an_over_budget_paragraph_is_translated_in_pieces_and_joined(scripted, scripted_settings):
    scripted.default = translator()
    long = "".join(f"第{i}句話說明運河導覽船的新航線與票價。" for i in range(12))
    result = translate_article(f"標題\n{long}", settings=scripted_settings.replace(chunk_tokens=120))
    assert [s for s, _ in result.pairs] == ["標題", long]
    pieces = [src for n, src in sorted(pair for r in translations(scripted) for pair in marked(r)) if n > 1]
    assert len(pieces) > 1 and "".join(pieces) == long
    assert result.pairs[1][1] == " ".join(english(p) for p in pieces)


def test_a_context_length_error_halves_the_request(scripted, scripted_settings):
    too_long = {"error": {"message": "This model's maximum context length is 512 tokens", "code": "context_length_exceeded"}}
    scripted.script(Step.error(400, too_long))
    scripted.default = translator()
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert [t for _, t in result.pairs] == [english(p.strip()) for p in PARAGRAPHS]
    assert [len(marked(r)) for r in scripted.chat_requests] == [6, 3, 3]


def test_markers_found_in_the_article_are_not_confused_with_ours(scripted, scripted_settings):
    scripted.default = translator()
    text = "標題\n請參考 [[1]] 與 [[2]] 兩項註記。\n第三段。"
    result = translate_article(text, settings=scripted_settings)
    assert "[[P1]] 標題" in article(scripted.chat_requests[0])
    assert [t for _, t in result.pairs] == [english(p) for p in split_paragraphs(text)]


# -- requests stay small ---------------------------------------------------------------------


FORTY = [f"第{i}段：運河導覽船第{i}條航線的營運說明與票價調整細節。" for i in range(1, 41)]


def test_every_paragraph_is_sent_once(scripted, scripted_settings):
    scripted.default = translator()
    result = translate_article("\n".join(FORTY), settings=scripted_settings.replace(chunk_tokens=200))
    assert len(result.pairs) == 40 and result.chunks >= 10
    requests = translations(scripted)
    assert len(requests) == result.chunks
    count = tokenizer_for("scripted").count
    for request in requests:
        assert count(article(request)) <= 200 and reference(request) == ""
    # each paragraph in exactly one translation request, and in no other request at all
    assert sorted(src for r in requests for _, src in marked(r)) == sorted(FORTY)
    assert all(sum(p in r.user_text for r in scripted.chat_requests) == 1 for p in FORTY)


def test_translation_context_stays_short_and_linear(scripted, scripted_settings):
    scripted.default = translator()
    settings = scripted_settings.replace(chunk_tokens=200, translation_context=True)
    result = translate_article("\n".join(FORTY), settings=settings)
    requests = translations(scripted)
    assert len(requests) == result.chunks >= 10
    count = tokenizer_for("scripted").count
    for request in requests:
        carried = len(marked(request))
        shown = sum(1 for p in FORTY if p in request.user_text)
        assert shown <= carried + 2  # its chunk, the title and the previous paragraph
        assert count(article(request)) <= 200
        assert count(reference(request)) <= 64 + 160 + 40  # title, previous paragraph, labels
    shown = [sum(1 for p in FORTY if p in r.user_text) for r in requests]
    assert sum(shown) <= len(FORTY) + 2 * len(requests)  # linear in the article, not quadratic


# -- English verified ------------------------------------------------------------------------


def test_a_paragraph_that_comes_back_in_chinese_is_retried_firmly_once(scripted, scripted_settings):
    def lazy(seen):
        pairs = marked(seen)
        if is_firm(seen):
            return marked_reply(pairs)
        return marked_reply(pairs, lambda s: s if "鋰電池" in s else english(s))  # echoes one paragraph

    scripted.default = lazy
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert result.verified and result.unverified == ()
    assert result.pairs[3][1] == english(PARAGRAPHS[3])
    first, retry = scripted.chat_requests
    assert not is_firm(first) and is_firm(retry)
    assert [src for _, src in marked(retry)] == [PARAGRAPHS[3]]


def test_a_paragraph_still_in_chinese_after_the_retry_is_returned_flagged(scripted, scripted_settings):
    scripted.default = translator(translate=lambda s: s if "鋰電池" in s or "噪音" in s else english(s))
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert result.unverified == (3, 4) and not result.verified
    assert result.pairs[3][1] == PARAGRAPHS[3]  # returned, not dropped, and flagged
    assert len(scripted.chat_requests) == 2  # one firm retry for both, no more


@pytest.mark.parametrize("alone", ["chinese", "english"])
def test_a_translation_with_a_few_chinese_words_left_is_not_replaced_by_a_copy(scripted, scripted_settings, alone):
    # Asked for alone, the reference model answered a paragraph whose translation had kept one
    # Chinese word (交通方面 → "方面") with the paragraph itself, and the copy was returned.
    lazy = PARAGRAPHS[3]  # 新船全數採用鋰電池動力，單次充電可航行約五小時。
    left = "The new boats all run on 鋰電池 power and can sail for about five hours on a single charge."
    whole = "The new boats all run on lithium batteries and can sail for about five hours on a single charge."

    def respond(seen):
        pairs = marked(seen)
        if pairs == [(4, lazy)]:  # alone
            return marked_reply(pairs, lambda s: s if alone == "chinese" else whole, prefix(seen))
        return marked_reply(pairs, lambda s: left if s == lazy else english(s), prefix(seen))

    scripted.default = respond
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings, glossary={})
    assert len(scripted.chat_requests) == 2  # the request, then the paragraph alone
    if alone == "chinese":
        assert result.pairs[3][1] == left and result.unverified == (3,)
    else:  # a better answer alone is taken
        assert result.pairs[3][1] == whole and result.verified


DRONE_ARTICLE = (
    "臺南燈會元宵點燈\n"
    "觀光旅遊局表示，燈會期間每晚六點至十點點燈，並有無人機表演。\n"
    "市府將加開接駁公車，從臺南火車站每十分鐘發車一班。\n"
)
DRONE_LINE = "觀光旅遊局表示，燈會期間每晚六點至十點點燈，並有無人機表演。"
NO_DRONES = "The Tourism Bureau said the lanterns are lit from six to ten every night, and there are no human-machine performances."
DRONES = "The Tourism Bureau said the lanterns are lit from six to ten every night, with drone shows."


def test_pair_problems_names_a_negation_the_source_does_not_hold():
    assert pair_problems(DRONE_LINE, NO_DRONES, "en") == ["a negation the source does not hold: 'no'"]
    assert pair_problems(DRONE_LINE, DRONES, "en") == []


@pytest.mark.parametrize("alone_answer", [DRONES, NO_DRONES])
def test_a_pair_that_negates_a_paragraph_negating_nothing_is_asked_again_with_a_note(
    scripted, scripted_settings, alone_answer
):
    # The reference model read 無人機 ("drone") as a negation: "there will be no human-machine
    # performances" for 並有無人機表演, in 5 of 6 translations of two sentences.
    def respond(seen):
        pairs = marked(seen)
        if pairs == [(2, DRONE_LINE)]:  # alone
            return marked_reply(pairs, lambda s: alone_answer, prefix(seen))
        return marked_reply(pairs, lambda s: NO_DRONES if s == DRONE_LINE else english(s), prefix(seen))

    scripted.default = respond
    result = translate_article(DRONE_ARTICLE, settings=scripted_settings, glossary={})
    asks = translations(scripted)
    assert len(asks) == 2  # the request, then the paragraph alone: never a third
    note = asks[1].task_text
    assert "wrote \"no\"" in note and '無人機 means "drone"' in note
    assert "negates nothing" not in asks[0].task_text  # the first request is the usual one
    if alone_answer == DRONES:
        assert result.pairs[1][1] == DRONES and result.verified
    else:
        assert result.unverified == (1,)


def test_a_paragraph_sent_alone_is_asked_again_once_with_the_note(scripted, scripted_settings):
    # Alone from the start (a one-paragraph article), the paragraph would otherwise get no second
    # request: the note makes it a different one.
    scripted.default = lambda seen: marked_reply(marked(seen), lambda s: NO_DRONES, prefix(seen))
    result = translate_article(DRONE_LINE, settings=scripted_settings, glossary={})
    asks = translations(scripted)
    assert len(asks) == 2
    assert "negates nothing" in asks[1].task_text and "negates nothing" not in asks[0].task_text
    assert result.unverified == (0,)


# -- Traditional Chinese target ---------------------------------------------------------------

ENGLISH_ARTICLE = "\n".join(
    [
        "Night boats to expand in Tainan",
        "Director Li Ming-feng said the announcements were too loud after nine.",
        "The city said it would monitor noise for a year.",
    ]
)
# What a drifting model writes when asked for Traditional Chinese.
SIMPLIFIED = {
    "Night boats to expand in Tainan": "台南夜间游船将扩大营运",
    "Director Li Ming-feng said the announcements were too loud after nine.": "主任李明峯表示，晚上九点之后的广播太大声。",
    "The city said it would monitor noise for a year.": "市府表示将进行为期一年的噪音监测。",
}


def test_zh_hant_target_repairs_simplified_and_counts_it(scripted, scripted_settings):
    scripted.default = translator(translate=lambda s: SIMPLIFIED[s])
    result = translate_article(
        ENGLISH_ARTICLE, target="zh-Hant", glossary={"李明峯": "Li Ming-feng"}, settings=scripted_settings
    )
    before = sum(to_traditional(v)[1] for v in SIMPLIFIED.values())
    assert before == 15  # 李明峯 is a Traditional form, no drift: not turned into 李明峰
    assert result.simplified_fixed == before
    assert [s for s, _ in result.pairs] == ENGLISH_ARTICLE.splitlines()
    assert [t for _, t in result.pairs] == [
        "台南夜間遊船將擴大營運",  # 台 is correct Taiwan usage: kept
        "主任李明峯表示，晚上九點之後的廣播太大聲。",
        "市府表示將進行為期一年的噪音監測。",
    ]
    assert to_traditional(result.text, ("李明峯",))[1] == 0  # nothing Simplified is left
    # an English source needs the English side of the glossary
    assert "Li Ming-feng => 李明峯" in reference(scripted.chat_requests[0])
    assert "into Traditional Chinese as written in Taiwan" in scripted.chat_requests[0].task_text
    assert result.verified


def test_zh_hant_target_repairs_every_sentence_of_a_drifted_translation(scripted, scripted_settings):
    # 家里 has no character only Simplified writes (里 is also a borough), but the translation
    # around it drifted; before, it stayed 家里, and 台风 became 台風.
    drifted = {
        "Typhoon Gaemi hit Taiwan last night.": "台风凯米昨晚袭击台湾。",
        "Residents were told to stay inside.": "居民被告知待在家里。",
    }
    scripted.default = translator(translate=lambda s: drifted[s])
    result = translate_article("\n".join(drifted), target="zh-Hant", settings=scripted_settings)
    assert [t for _, t in result.pairs] == ["颱風凱米昨晚襲擊台灣。", "居民被告知待在家裡。"]
    assert result.simplified_fixed == 7


def test_zh_hant_target_is_not_checked_for_english(scripted, scripted_settings):
    scripted.default = translator(translate=lambda s: "新廠將於2028年啟用。")
    result = translate_article("The plant opens in 2028.", target="zh-Hant", settings=scripted_settings)
    assert result.text == "新廠將於2028年啟用。" and result.unverified == ()
    assert len(scripted.chat_requests) == 1


# -- errors and twins ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, target, error",
    [("", "en", InputError), ("內文", "fr", ValueError), ("內文", None, ValueError)],
)
def test_bad_input_fails_before_any_request(scripted, scripted_settings, text, target, error):
    with pytest.raises(error):
        translate_article(text, target=target, settings=scripted_settings)
    assert scripted.requests == []


@pytest.mark.parametrize(
    "text, target, says",
    [
        ("Riverton approves park budget\nThe council voted 7 to 2.", "en", "no Chinese character"),
        ("2024/02/02\nPhoto: staff", "en", "no Chinese character"),
        ("市議會通過公園預算。\n議員七比二表決。", "zh-Hant", "in Chinese already"),
        ("市议会通过公园预算。\n议员七比二表决。", "zh-Hant", r"in Simplified Chinese, which is converted, not translated: opencc\.OpenCC\('s2tw'\)"),
    ],
)
def test_an_article_with_nothing_to_translate_fails_before_any_request(scripted, scripted_settings, text, target, says):
    with pytest.raises(InputError, match=f"nothing to translate.*{says}"):
        translate_article(text, target=target, settings=scripted_settings)
    with pytest.raises(InputError, match="nothing to translate"):
        plan_translation(text, scripted_settings, target)
    assert scripted.requests == []


def test_a_paragraph_with_nothing_to_translate_is_kept_as_written_and_never_sent(scripted, scripted_settings):
    # On the reference model an English credit line came back unchanged, was flagged for a
    # length ratio of one, and was asked for again alone.
    scripted.default = translator()
    text = "臺南市將新建公園，預算3.2億元。\nPhoto: Tainan City Government\n2024/02/02\n市長表示，公園預計2026年完工。"
    result = translate_article(text, settings=scripted_settings)
    assert [t for _, t in result.pairs] == [
        english("臺南市將新建公園，預算3.2億元。"), "Photo: Tainan City Government", "2024/02/02",
        english("市長表示，公園預計2026年完工。"),
    ]
    assert result.unverified == () and result.verified
    assert len(scripted.chat_requests) == 1
    assert [n for n, _ in marked(scripted.chat_requests[0])] == [1, 4]
    assert plan_translation(text, scripted_settings).requests == 1


def test_a_web_address_e_mail_or_code_line_is_kept_as_written_into_chinese(scripted, scripted_settings):
    # Into zh-Hant, a line holding only a web address, an e-mail address or code was sent; the
    # model gave it back as it was (right), the pair failed as "not in Chinese", was asked for
    # again alone and listed in unverified: three extra requests for nothing to translate.
    chinese = {
        "The city will open a new park in 2026.": "市府將於2026年啟用新公園。",
        "Contact the parks office for details.": "詳情請洽公園管理處。",
    }
    scripted.default = translator(lambda src: chinese.get(src, src))
    kept = ["https://www.tainan.gov.tw/news/12345", "press@tainan.gov.tw", "`pip install summarize`"]
    text = "\n".join(["The city will open a new park in 2026.", *kept, "Contact the parks office for details."])
    result = translate_article(text, target="zh-Hant", settings=scripted_settings)
    assert [t for _, t in result.pairs] == ["市府將於2026年啟用新公園。", *kept, "詳情請洽公園管理處。"]
    assert result.verified and len(scripted.chat_requests) == 1
    assert [n for n, _ in marked(scripted.chat_requests[0])] == [1, 5]
    # A sentence around an address is still translated.
    assert needs_translation("See https://www.tainan.gov.tw for details.", "zh-Hant")
    with pytest.raises(InputError, match="nothing to translate into Traditional Chinese: .*web addresses"):
        translate_article("https://www.tainan.gov.tw\npress@tainan.gov.tw", target="zh-Hant", settings=scripted_settings)


def test_pieces_of_a_long_paragraph_into_chinese_keep_the_spaces_between_them(scripted, scripted_settings):
    # Into Chinese the pieces of a paragraph over budget were joined with nothing: where it was
    # cut between two web addresses they came back glued, ".../news/00006https://...".
    links = " ".join(f"https://www.tainan.gov.tw/news/{i:05d}" for i in range(60))
    text = f"Tainan opens new canal routes.\nRelated links: {links}"
    scripted.default = translator(lambda src: src.replace("Related links:", "相關連結：").replace(
        "Tainan opens new canal routes.", "臺南開闢運河新航線。"))
    result = translate_article(text, target="zh-Hant", settings=scripted_settings.replace(chunk_tokens=150))
    assert result.pairs[1][1] == f"相關連結： {links}"
    assert result.verified


def test_a_failed_chunk_names_its_index(scripted, scripted_settings):
    scripted.default = translator()
    scripted.script(Step.error(400, {"error": {"message": "bad request", "code": 400}}))
    with pytest.raises(ChunkFailedError, match="chunk 1 of 1"):
        translate_article(ARTICLE_TEXT, settings=scripted_settings)


async def test_the_async_twin_and_the_sync_one_inside_a_loop(scripted, scripted_settings):
    scripted.default = translator()
    result = await atranslate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert len(result.pairs) == len(PARAGRAPHS)
    # Inside a running loop (a notebook) the sync function runs its work in a worker thread.
    assert translate_article(ARTICLE_TEXT, settings=scripted_settings).pairs == result.pairs


def test_extraction_is_not_sent_for_one_chunk(scripted, scripted_settings):
    scripted.default = translator(names="臺南 => Tainan")
    translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert not any(is_extraction(r) for r in scripted.chat_requests)


def test_chunks_are_translated_concurrently(scripted, scripted_settings):
    scripted.latency = 0.2
    scripted.default = translator()
    paragraphs = [f"第{i}段：夜間導覽船的航線說明。" for i in range(1, 9)]
    result = translate_article("\n".join(paragraphs), settings=scripted_settings.replace(chunk_tokens=80))
    assert result.chunks > 2
    assert 1 < scripted.peak_in_flight <= scripted_settings.concurrency


@pytest.mark.parametrize(
    "changes, message",
    [
        # A request reserves only what its chunk's translation needs: 600 tokens of context would do now.
        ({"context_tokens": 300, "output_tokens": 200}, "raise SUMMARIZE_CONTEXT_TOKENS"),
        ({"output_tokens": 40}, "raise SUMMARIZE_OUTPUT_TOKENS to 96 or more"),
        ({"chunk_tokens": 10}, "SUMMARIZE_CHUNK_TOKENS=10 is too small"),
    ],
)
def test_a_budget_too_small_to_translate_says_what_to_change(scripted, scripted_settings, changes, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        translate_article(ARTICLE_TEXT, settings=scripted_settings.replace(**changes))
    assert scripted.chat_requests == []


def test_a_translation_request_asks_for_what_its_chunk_needs(scripted, scripted_settings):
    from summarize.budget import translation_reply_tokens
    from summarize.translate import MARKER_TOKENS, layout

    settings = scripted_settings.replace(chunk_tokens=120)
    translate_article(ARTICLE_TEXT, settings=settings, glossary={})
    cut = layout(clean(ARTICLE_TEXT), settings, tokenizer_for("scripted"), "en")
    wanted = [translation_reply_tokens(settings, sum(u.tokens + MARKER_TOKENS for u in g), "en") for g in cut.groups]
    asked = [r.body["max_tokens"] for r in scripted.chat_requests if r.kind == "translate"][: len(wanted)]
    assert sorted(asked) == sorted(wanted) and max(asked) < settings.output_tokens  # chunks go out concurrently


def test_the_new_names_are_public():
    for name in ("translate_article", "atranslate_article", "Translation", "load_glossary"):
        assert name in summarize.__all__ and hasattr(summarize, name)


def test_the_bilingual_example_prints_markdown_pairs(scripted, scripted_settings, monkeypatch, capsys):
    scripted.default = translator()
    monkeypatch.setenv("SUMMARIZE_BASE_URL", scripted.base_url)
    monkeypatch.setenv("SUMMARIZE_MODEL", "scripted")
    example = runpy.run_path(str(ROOT / "examples" / "bilingual.py"))
    assert example["main"]([]) == 0
    printed = capsys.readouterr().out
    sources = split_paragraphs(SAMPLE.read_text(encoding="utf-8").strip())
    assert all(f"> {p.strip()}\n\n{english(p.strip())}" in printed for p in sources)


@pytest.mark.parametrize("second_is_empty", [False, True])
def test_an_empty_translation_is_asked_for_once_more_then_flagged(scripted, scripted_settings, second_is_empty):
    empties = iter([True, second_is_empty])

    def blank(seen):
        (number, source), = marked(seen)
        return reply(f"[[{number}]]" if next(empties) else f"[[{number}]] {english(source)}")

    scripted.default = blank
    result = translate_article("內文一段。", settings=scripted_settings)
    assert len(scripted.chat_requests) == 2  # one more request, no loop
    assert result.unverified == ((0,) if second_is_empty else ())
    assert result.text == ("" if second_is_empty else english("內文一段。"))


# -- each pair checked against its source -------------------------------------------------------


@pytest.mark.parametrize(
    "source, translation, target, problem",
    [
        ("臺南運河夜間導覽船明年擴大營運", "Tainan canal night tour boats to expand next year", "en", None),
        ("業者也關注票價調整，目前成人票為250元。", "Operators are watching fares; an adult ticket costs NT$250.", "en", None),
        ("業者也關注票價調整，目前成人票為250元。", "Operators are watching fares; an adult ticket costs a few hundred.", "en", "figures missing: 250"),
        ("市府投入2,500萬元更新抽水站。", "The city spent NT$25 million on pumping stations.", "en", None),  # 2,500萬 = 25 million
        ("去（113）年3月，市府召開會議。", "In March last year (2024), the city held a meeting.", "en", None),  # a ROC year and a month
        ("南市府昨(31)日邀集37區公所開會。", "The city gathered 37 district offices on the 31st.", "en", None),
        ("花蓮7.2級地震", "the magnitude 7.2 Hualien earthquake", "en", None),
        ("共有2人受傷。", "Two people were hurt.", "en", None),  # a figure below 10 may be a word
        ("臺南市強化防災整備", "Tainan steps up disaster preparedness. The city also added twelve shelters along the coast, "
         "which can hold five thousand people, and upgraded twenty pumping stations.", "en", "characters for a source of 9"),
        ("市府今年投入三億元更新抽水站，另外也在沿海地區增設十二處避難所，可容納五千人。", "The city spent money.", "en",
         "characters for a source of 39"),
        ("臺南運河夜間導覽船明年擴大營運", "臺南運河夜間導覽船明年擴大營運", "en", "not in English"),
        ("臺南運河夜間導覽船明年擴大營運", "  ", "en", "empty"),
        # A word left in Chinese in a translated paragraph, as in a key sentence (run 14: "乙 said").
        ("新聞及國際關係處發布新聞稿。", "The 新聞及國際關係處 issued a press release.", "en", "Chinese left: 新聞及國際關係處"),
        ("乙說：「何時開始？」", '"When did it start?" 乙 said.', "en", "Chinese left: 乙"),
        ("福字貼在門上。", "The character for luck (福) hangs on the door.", "en", None),  # a gloss
        ("The plant opens in 2028.", "新廠將於2028年啟用。", "zh-Hant", None),
        ("The plant opens in 2028.", "The plant opens in 2028.", "zh-Hant", "not in Chinese"),
        ("The plant opens in 2028, the minister said on Monday.", "新廠將啟用。", "zh-Hant", "figures missing: 2028"),
        ("Revenue reached 15,000 units.", "營收達1.5萬台。", "zh-Hant", None),
        # A table's row: two numbers, not one 670001107 (the reference model gave the row back as it was).
        ("安平區,67000,11.07", "Anping District, 67000, 11.07", "en", None),
        ("安平區,67000,11.07", "Anping District, 67000", "en", "figures missing: 11.07"),
        # A missing figure is named as the source writes it, not as it is compared ("31245").
        ("加權指數上漲312.45點，收在21,860.32點。", "The index closed at 21,860.32 points.", "en", "figures missing: 312.45"),
        ("市府將投入１,５００萬元。", "The city will spend money.", "en", "figures missing: 1,500"),
        ("志工達1,805名。", "There are 1,805 volunteers.", "en", None),
        # Full-width digits are the same figures: '１５００' was never found in "15 million".
        ("市府將投入１５００萬元改善號誌。", "The city will spend NT$15 million on traffic signals.", "en", None),
        ("計畫預計在２０２５年完成。", "The plan is due to be finished in 2025.", "en", None),
        ("規模７．２的地震。", "A magnitude 7.2 earthquake struck.", "en", None),
        ("計畫預計在２０２５年完成。", "The plan is due to be finished soon.", "en", "figures missing: 2025"),
        ("The city will spend NT$15 million in 2025.", "市府將於２０２５年投入１５００萬元。", "zh-Hant", None),
        # A figure is found whole: the 2 of 近20所 was "in" 1624, and a pair holding another
        # sentence's translation passed.
        ("「1624」特展集結近20所博物館，今日開幕。", "The Across 1624 exhibition runs until June 30 on the 4th floor.", "en",
         "figures missing: 20"),
        ("「1624」特展集結近20所博物館，今日開幕。", "The 1624 exhibition, gathering nearly twenty museums, opened today.", "en", None),
        # Chinese numerals are figures too: held to Arabic digits, both were asked again and flagged.
        ("Two people died and 15 were injured.", "兩人死亡、十五人受傷。", "zh-Hant", None),
        ("Repairs would cost NT$30 million.", "修復費用將達新臺幣三千萬元。", "zh-Hant", None),
        ("Repairs would cost NT$30 million.", "修復費用將達新臺幣四千萬元。", "zh-Hant", "figures missing: 30"),
        # A date written in figures is a date: its month may come back as a name, its year and
        # day as they are. Read as three numbers, the month 10 of 2024/10/3 was "missing" from
        # "October 3, 2024", and 2024.11.30 was the decimal 2024.11.
        ("記者王小明／臺南報導 2024/10/3", "Reporter Wang Hsiao-ming, Tainan, October 3, 2024", "en", None),
        ("記者王小明／臺南報導 2024/10/3", "Reporter Wang Hsiao-ming, Tainan, 2024/10/3", "en", None),
        ("報名至2024-11-30截止。", "Registration closes on November 30, 2024.", "en", None),
        ("報名至2024.11.30截止。", "Registration closes on November 30, 2024.", "en", None),
        ("報名至2024.11.30截止。", "Registration closes on 2024.11.30.", "en", None),
        ("報名至113/11/30截止。", "Registration closes on November 30, 2024.", "en", None),
        ("報名至2024-11-30截止。", "Registration closes on November 13, 2024.", "en", "figures missing: 30"),
        ("報名至2024-11-30截止。", "Registration closes on November 30.", "en", "figures missing: 2024"),
        # A date's trailing zero counts where both sides read the date as one: 15,000 still
        # matches 1.5萬, but "November 3" is not 11月30日, nor "January 30" 10月30日.
        ("截止日為11月30日。", "The deadline is November 3.", "en", "figures missing: 30"),
        ("報名至2024-11-30截止。", "Registration closes on November 3, 2024.", "en", "figures missing: 30"),
        ("活動於6月20日舉行。", "It is held on June 2.", "en", "figures missing: 20"),
        ("10月30日開幕。", "It opens on January 30.", "en", "figures missing: 10"),
        ("It closes on November 30.", "將於11月3日截止。", "zh-Hant", "figures missing: 30"),
        ("截止日為11月30日。", "The deadline is November 30.", "en", None),
        ("6月2日報名，6月20日舉行。", "Sign up on June 2; it is held on June 20.", "en", None),
        ("10月與1月各一場。", "One in October and one in January.", "en", None),
        # The Latin words of a web address a Chinese translation keeps are no English left in it.
        ("Related links: https://www.tainan.gov.tw/news/00001 https://www.tainan.gov.tw/news/00002",
         "相關連結：https://www.tainan.gov.tw/news/00001 https://www.tainan.gov.tw/news/00002", "zh-Hant", None),
        ("Related links: https://www.tainan.gov.tw/news/00001 https://www.tainan.gov.tw/news/00002",
         "Related links: https://www.tainan.gov.tw/news/00001 https://www.tainan.gov.tw/news/00002", "zh-Hant",
         "not in Chinese"),
    ],
)
def test_pair_problems(source, translation, target, problem):
    found = pair_problems(source, translation, target)
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found


def test_a_pair_far_from_its_neighbours_ratio_fails_even_inside_the_wide_band():
    source = "市府今年投入三億元更新抽水站，另外也在沿海地區增設十二處避難所，可容納五千人。"
    half = "The city spent three hundred million on pumping stations this year."  # 1.6 per character: inside the band
    assert pair_problems(source, half, "en") == []
    (problem,) = pair_problems(source, half, "en", typical=3.0)
    assert "times the ratio of the other pairs" in problem
    assert pair_problems(source, half, "en", typical=1.8) == []


# Paragraphs of a release that carry much over as it is written (a web address, a model name),
# among paragraphs of prose, each with its right translation.
CARRYING = {
    "臺南市政府觀光旅遊局昨日宣布，運河夜間導覽船將自明年三月起擴大營運，新增兩條航線。":
        "The Tainan City Government's Tourism Bureau announced yesterday that night tour boats on the canal "
        "will expand service from March next year, adding two routes.",
    "觀旅局表示，去年夜間導覽船共載運旅客約八萬六千人次，較前年成長三成以上。":
        "The bureau said the night boats carried about 86,000 passengers last year, up more than 30 percent "
        "from the year before.",
    "新船全數採用鋰電池動力，單次充電可航行約五小時，噪音也比舊船低。":
        "All the new boats run on lithium batteries, can sail for about five hours on one charge, and are "
        "quieter than the old ones.",
    "詳見 https://www.tainan.gov.tw/News_Content.aspx?n=13370&s=8653719":
        "See https://www.tainan.gov.tw/News_Content.aspx?n=13370&s=8653719",
    "新船型號為 Voltage Marine EB-3200 Pro": "The new boats are the Voltage Marine EB-3200 Pro model",
    "| 安平區 | 67000 | 11.07 | 3,200 | 45.5 |": "| Anping District | 67000 | 11.07 | 3,200 | 45.5 |",
}


def test_what_a_translation_carries_over_as_written_is_not_held_to_the_length_of_chinese(scripted, scripted_settings):
    # Lengths were compared whole: a web address, a model name or a row of figures, copied
    # letter for letter, kept a right translation near the length of its source, under the band
    # for English or a third of the ratio of the prose beside it; each was asked for again alone
    # and flagged.
    scripted.default = translator(CARRYING.__getitem__)
    result = translate_article("\n".join(CARRYING), settings=scripted_settings)
    assert [t for _, t in result.pairs] == list(CARRYING.values())
    assert result.verified and len(scripted.chat_requests) == 1
    # A wrong pair still fails: the letters both hold are left out of both sides, not of one.
    url = "詳見 https://www.tainan.gov.tw/News_Content.aspx?n=13370&s=8653719"
    assert pair_problems(url, "See the website.", "en", typical=3.0)
    model = "新船型號為 Voltage Marine EB-3200 Pro，單次充電可航行約五小時，噪音也比舊船低很多。"
    assert pair_problems(model, "The new boats are the Voltage Marine EB-3200 Pro model.", "en", typical=3.0)


TAINAN = [
    "臺南市強化防災整備",
    "市長黃偉哲表示，防災工作是保障市民生活安全的基石，市府長期致力於社區自主防災能力的培養。",
    "去年臺南市面臨多場重大災害，包括地震、豪雨與颱風，市府災害應變中心開設次數達10次。",
    "市府也與各區公所合作辦理演練，邀請里長與志工參加，強化社區的應變能力與互助網絡。",
    "市府今年投入3億元更新抽水站，共完成20座。另外也在沿海地區增設12處避難所，可容納5000人。",
    "市長強調，未來將持續推動防災教育，讓每位市民都具備基本的防災知識與自救能力。",
]


def title_holds_half_of_paragraph_5(seen):
    """A small model's misalignment: markers kept, but pair 1 holds the second half of
    paragraph 5, which is left with its first half. Asked for one paragraph alone, it is right."""
    pairs = marked(seen)
    if len(pairs) == 1:
        return marked_reply(pairs)
    first_half, second_half = TAINAN[4].split("。", 1)
    text = {n: english(src) for n, src in pairs}
    text[1] = f"{english(TAINAN[0])} {english(second_half)}"
    text[5] = english(first_half + "。")
    return reply("\n".join(f"[[{n}]] {text[n]}" for n, _ in pairs))


def test_a_pair_holding_another_paragraphs_text_is_asked_for_again_alone(scripted, scripted_settings):
    scripted.default = title_holds_half_of_paragraph_5
    result = translate_article("\n".join(TAINAN), settings=scripted_settings.replace(output_tokens=2048))
    assert [t for _, t in result.pairs] == [english(p) for p in TAINAN]
    assert result.verified
    first, *again = scripted.chat_requests
    assert len(marked(first)) == len(TAINAN)
    # the two pairs that fail their checks, each alone; no other paragraph is sent twice
    assert sorted(marked(r)[0][0] for r in again) == [1, 5] and all(len(marked(r)) == 1 for r in again)


def test_a_pair_still_failing_when_asked_alone_is_flagged(scripted, scripted_settings):
    def stubborn(seen):
        pairs = marked(seen)
        # paragraph 3's figure "10" is always dropped
        return marked_reply(pairs, lambda src: english(src).replace(" 10", "") if "10次" in src else english(src))

    scripted.default = stubborn
    result = translate_article("\n".join(TAINAN), settings=scripted_settings.replace(output_tokens=2048))
    assert result.unverified == (2,)
    assert result.pairs[2][1] == english(TAINAN[2]).replace(" 10", "")  # kept as written, and flagged
    assert [len(marked(r)) for r in scripted.chat_requests] == [len(TAINAN), 1]  # one re-ask, alone, no loop


def test_a_flagged_pairs_replies_are_not_replayed_from_the_cache_and_a_clean_run_is(scripted, scripted_settings, tmp_path):
    # --redo-flagged redid a translation with an unverified pair by replaying its cached
    # replies: the same pair, flagged again, nothing sent. Its replies are now left out.
    def stubborn(seen):
        return marked_reply(marked(seen), lambda src: english(src).replace(" 10", "") if "10次" in src else english(src))

    scripted.default = stubborn
    settings = scripted_settings.replace(output_tokens=2048, cache=True, cache_dir=str(tmp_path / "c"))
    assert translate_article("\n".join(TAINAN), settings=settings).unverified == (2,)
    sent = len(scripted.chat_requests)
    assert translate_article("\n".join(TAINAN), settings=settings).unverified == (2,)
    assert len(scripted.chat_requests) == 2 * sent  # asked again, not replayed
    scripted.default = lambda seen: marked_reply(marked(seen), english)
    clean = translate_article("\n".join(TAINAN[:2]), settings=settings)
    sent = len(scripted.chat_requests)
    again = translate_article("\n".join(TAINAN[:2]), settings=settings)
    assert again.pairs == clean.pairs and again.usage.cache_hits == 1
    assert len(scripted.chat_requests) == sent  # a clean translation is replayed whole


def test_a_zh_hant_pair_that_stays_english_is_flagged(scripted, scripted_settings):
    article = "Night boats to expand in Tainan\nThe city said it would monitor noise for a year.\nTickets cost 250 dollars."
    chinese = {"Night boats to expand in Tainan": "臺南夜間遊船將擴大營運", "Tickets cost 250 dollars.": "票價兩百五十元，250元。"}
    scripted.default = translator(translate=lambda s: chinese.get(s, s))
    result = translate_article(article, target="zh-Hant", settings=scripted_settings)
    assert result.unverified == (1,)


def test_clipping_a_long_title_counts_about_what_it_keeps():
    # With translation_context every request clips the title; counting the whole title each
    # time made an article of one long unpunctuated line quadratic.
    count = tokenizer_for("scripted").count
    counted = []

    def counting(text):
        counted.append(len(text))
        return count(text)

    title = "臺南運河夜間導覽船明年擴大營運" * 7000  # 105,000 characters
    for keep_end in (False, True):
        counted.clear()
        clipped = clip(title, 64, counting, keep_end=keep_end)
        assert count(clipped.strip("…")) <= 64 and len(clipped) > 10
        assert sum(counted) < 5_000, sum(counted)


# -- loops and cut replies: one re-ask with a penalty, then kept de-looped and flagged ---------

MUSEUMS = "Japan's National Museum of History and Folklore, "


def looping_on(number: int, *, times: int = 99):
    """A model that loops through a list of names on paragraph ``number`` (seen on Qwen 1.5B,
    asked for paragraph 5 of a Tainan release alone), the first ``times`` it is asked for it."""
    asked = {"count": 0}

    def respond(seen):
        pairs = marked(seen)
        if any(n == number for n, _ in pairs) and asked["count"] < times:
            asked["count"] += 1
            before = [f"[[{n}]] {english(src)}" for n, src in pairs if n < number]
            # the loop runs to the token limit: no paragraph after it comes back
            return reply("\n".join(before + [f"[[{number}]] The exhibition gathers the Rijksmuseum, " + MUSEUMS * 40]), finish_reason="length")
        return marked_reply(pairs)

    return respond


def test_a_loop_in_a_chunk_keeps_the_paragraphs_before_it_and_asks_for_the_rest(scripted, scripted_settings):
    scripted.default = looping_on(3, times=1)
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings.replace(output_tokens=2048))
    assert [t for _, t in result.pairs] == [english(p.strip()) for p in PARAGRAPHS]
    assert result.verified and result.flags == ()
    first, again = translations(scripted)
    assert [n for n, _ in marked(again)] == [3, 4, 5, 6]  # paragraphs 1 and 2 are not sent twice


def test_a_looping_paragraph_alone_is_asked_for_again_with_a_penalty_and_the_clean_one_kept(scripted, scripted_settings):
    scripted.default = looping_on(1, times=1)
    result = translate_article(PARAGRAPHS[1], settings=scripted_settings)
    assert result.pairs[0][1] == english(PARAGRAPHS[1]) and result.verified and result.flags == ()
    first, again = translations(scripted)
    assert "frequency_penalty" not in first.body and again.body["frequency_penalty"] > 0


def test_a_paragraph_that_keeps_looping_is_kept_without_its_repeats_and_flagged(scripted, scripted_settings):
    # Measured on Qwen 1.5B: a pair asked for alone looped twice and was cut, and the whole
    # translation failed with "chunk 1 of 4 failed: the reply hit the 324-token limit".
    scripted.default = looping_on(3)
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings.replace(output_tokens=2048))
    assert result.flags == ("looped",) and result.unverified == (2,)
    kept = result.pairs[2][1]
    assert kept.startswith("The exhibition gathers the Rijksmuseum") and kept.count("Japan's National Museum") == 1
    others = [t for i, (_, t) in enumerate(result.pairs) if i != 2]
    assert others == [english(p.strip()) for i, p in enumerate(PARAGRAPHS) if i != 2]


def test_a_pair_asked_for_alone_that_is_cut_for_good_keeps_its_first_translation(scripted, scripted_settings):
    def cut_when_alone(seen):
        pairs = marked(seen)
        if len(pairs) == 1:  # the re-ask of the pair whose figure went missing: runs on, no loop
            return reply(f"[[{pairs[0][0]}]] " + " ".join(f"Part {i} of a long digression." for i in range(60)), finish_reason="length")
        return marked_reply(pairs, lambda src: english(src).replace(" 10", "") if "10次" in src else english(src))

    scripted.default = cut_when_alone
    result = translate_article("\n".join(TAINAN), settings=scripted_settings.replace(output_tokens=2048))
    assert result.unverified == (2,) and result.pairs[2][1] == english(TAINAN[2]).replace(" 10", "")
    # asked alone, then once more with a penalty; both cut: the first translation stays
    assert [len(marked(r)) for r in scripted.chat_requests] == [len(TAINAN), 1, 1]


def test_a_single_paragraph_cut_twice_without_a_loop_still_raises_unless_kept(scripted, scripted_settings):
    long_reply = reply("[[1]] " + " ".join(f"Sentence {i} goes on." for i in range(80)), finish_reason="length")
    scripted.default = lambda seen: long_reply
    with pytest.raises(ChunkFailedError, match="token limit"):
        translate_article(PARAGRAPHS[1], settings=scripted_settings)
    assert len(translations(scripted)) == 2  # the first try and one re-ask with a penalty
    kept = translate_article(PARAGRAPHS[1], settings=scripted_settings.replace(on_truncation="keep", cache=False))
    assert kept.truncated and kept.pairs[0][1].startswith("Sentence 0 goes on.")


def test_a_looping_paragraph_is_shown_in_markdown_by_its_number_and_flag(scripted, scripted_settings):
    from summarize import output

    scripted.default = looping_on(3)
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings.replace(output_tokens=2048))
    markdown = output.to_markdown(result, title="t")
    assert "> Unverified: paragraph(s) 3 still failed their check against the source" in markdown
    assert "> Looped:" in markdown and "wrong language" not in markdown


# -- a sentence the source says twice is no loop ----------------------------------------------

REFRAIN_ZH = "每一位用雙手建設這座城市的人，都值得被後代子孫永遠記住與感謝。"
REFRAIN_EN = (
    "Everyone who built this city with their own hands deserves to be remembered and thanked "
    "forever by the generations that follow."
)
SPEECH = {
    "臺南市長致詞": "Tainan mayor's speech",
    "市長在典禮上回顧臺南四百年來的發展，從荷蘭時期的熱蘭遮城到清代府城，每一個階段都留下了豐富的文化資產。" + REFRAIN_ZH:
        "At the ceremony the mayor reviewed four hundred years of Tainan's development, from Fort Zeelandia "
        "to the Qing prefectural city, each stage leaving a rich cultural heritage. " + REFRAIN_EN,
    "他也感謝在颱風與地震中投入救災的志工、消防員與警察，讓這座古都在每一次災害之後都能很快重新站起來。" + REFRAIN_ZH:
        "He also thanked the volunteers, firefighters and police who joined the relief work during typhoons and "
        "earthquakes, who let this ancient capital get back on its feet after every disaster. " + REFRAIN_EN,
}


def test_a_refrain_two_paragraphs_end_with_is_kept_in_both(scripted, scripted_settings):
    # The whole-reply loop check cut the refrain's second English copy out of paragraph 3,
    # unflagged: a faithful translation lost a sentence.
    scripted.default = translator(SPEECH.__getitem__)
    result = translate_article("\n".join(SPEECH), settings=scripted_settings, glossary={})
    assert [t for _, t in result.pairs] == list(SPEECH.values())
    assert result.verified and result.flags == () and len(translations(scripted)) == 1


@pytest.mark.parametrize(
    "reply, expected",
    [
        # the source says the refrain in units 2 and 3: both copies stay
        (f"[[1]] Title.\n[[2]] One. {REFRAIN_EN}\n[[3]] Two. {REFRAIN_EN}", None),
        # a loop inside a unit set aside is still cut
        (f"[[1]] Title.\n[[2]] One. {REFRAIN_EN}\n[[3]] Two. {REFRAIN_EN} Three. {REFRAIN_EN}",
         f"[[1]] Title.\n[[2]] One. {REFRAIN_EN}\n[[3]] Two. {REFRAIN_EN} Three."),
        # and so is the refrain said again under a unit whose source does not say it
        (f"[[1]] Title. {REFRAIN_EN}\n[[2]] One. {REFRAIN_EN}\n[[3]] Two. {REFRAIN_EN}",
         f"[[1]] Title. {REFRAIN_EN}\n[[2]] One. [[3]] Two. {REFRAIN_EN}"),
    ],
)
def test_loops_are_cut_by_unit_where_the_source_repeats_a_sentence(reply, expected):
    from summarize.translate import Unit, repeating_units, strip_loops_by_unit

    units = [Unit(1, 0, "標題", 2), Unit(2, 1, "第一句。" + REFRAIN_ZH, 30), Unit(3, 2, "第二句。" + REFRAIN_ZH, 30)]
    assert repeating_units(units) == {3}
    check = strip_loops_by_unit(reply, repeating_units(units))
    assert (check.text, check.looped) == ((reply, False) if expected is None else (expected, True))


# -- technical text into Chinese: names and code carried over are not English ------------------

TECH_ZH = {
    "Python 3.13 released": "Python 3.13 正式發布",
    "The Python Software Foundation released Python 3.13 on Monday with a new interactive interpreter.":
        "Python 軟體基金會週一發布 Python 3.13，帶來全新的互動式直譯器。",
    "Python supports Windows, macOS and Linux.": "Python 支援 Windows、macOS 和 Linux。",
    "Run pip install --upgrade pip to update it.": "執行 pip install --upgrade pip 來更新它。",
}


@pytest.mark.parametrize(
    "source, translation, expected",
    [
        *((s, t, []) for s, t in TECH_ZH.items()),
        ("Use asyncio.TaskGroup and ExceptionGroup in Python 3.11.", "在 Python 3.11 中使用 asyncio.TaskGroup 和 ExceptionGroup。", []),
        ("NVIDIA, AMD and Intel announced new GPUs at Computex.", "NVIDIA、AMD 與 Intel 在 Computex 發表新 GPU。", []),
        # an English reply, with or without a name in Chinese, is still not Chinese
        ("Python supports Windows, macOS and Linux.", "Python supports Windows, macOS and Linux.", ["not in Chinese"]),
        ("Mayor Huang Wei-che said the city will expand its services.",
         "Mayor 黃偉哲 said the city will expand its services.", ["not in Chinese"]),
    ],
)
def test_a_chinese_translation_may_carry_names_and_code_in_latin_letters(source, translation, expected):
    assert pair_problems(source, translation, "zh-Hant") == expected


def test_correct_chinese_translations_of_technical_text_are_verified_in_one_request(scripted, scripted_settings):
    # Counted letter by letter, all four were "not in Chinese" (or out of proportion to the
    # others): each was asked for again alone and all four were still flagged.
    scripted.default = translator(TECH_ZH.__getitem__)
    result = translate_article("\n".join(TECH_ZH), target="zh-Hant", settings=scripted_settings, glossary={})
    assert [t for _, t in result.pairs] == list(TECH_ZH.values())
    assert result.verified and len(translations(scripted)) == 1


# -- fence lines: a copied fence is cut, the article's own text is not -------------------------

HEREDOC = {
    "PHP 教學": "PHP tutorial",
    "在 PHP 中，heredoc 以 <<<ARTICLE>>> 這樣的標記開頭，並以同名標記結尾。": "In PHP, a heredoc opens with a label such as <<<ARTICLE>>> and ends with the same label.",
}


def test_text_that_looks_like_a_fence_is_kept_and_a_copied_fence_is_cut(scripted, scripted_settings):
    # The clean-up of fence lines a model copies back deleted the article's own <<<ARTICLE>>>.
    def respond(seen):
        pairs = marked(seen)
        fence = re.search(r"<<<END ARTICLE(?:-\d+)?>>>", seen.user_text).group()  # the request's own fence
        return reply("\n".join(f"[[{n}]] {HEREDOC[src]}" for n, src in pairs) + f" {fence}")

    scripted.default = respond
    result = translate_article("\n".join(HEREDOC), settings=scripted_settings, glossary={})
    assert [t for _, t in result.pairs] == list(HEREDOC.values())
    assert result.verified


@pytest.mark.parametrize(
    "reply, source, expected",
    [
        ("[[1]] It opens with <<<ARTICLE>>>.", "以 <<<ARTICLE>>> 開頭。", "It opens with <<<ARTICLE>>>."),
        ("[[1]] It opens with <<<ARTICLE>>>. <<<END ARTICLE-1>>>", "以 <<<ARTICLE>>> 開頭。", "It opens with <<<ARTICLE>>>."),
        ("[[1]] The date. [[END ARTICLE]]", "日期。", "The date."),
        # A fence line's end, its name lost, was printed in the summary: "... 2024. >>>".
        ("[[1]] It opened on February 2, 2024. >>>", "今日開幕。", "It opened on February 2, 2024."),
        ("[[1]] Run cat <<<EOF >>>", "執行 cat <<<EOF >>>", "Run cat <<<EOF >>>"),  # the source's own
    ],
)
def test_parse_marked_cuts_only_the_fences_its_source_does_not_hold(reply, source, expected):
    assert parse_marked(reply, [1], "", {1: source}) == {1: expected}


# -- a reply numbered otherwise than asked is not trusted ----------------------------------------

FOUR = [
    "臺南市政府今天宣布新的交通政策，將全面改善市區道路與公共運輸系統。",
    "市長黃偉哲表示，將投入大筆經費改善交通號誌與人行道的安全設計。",
    "這項計畫預計在明年完成，並分三個階段實施，各區同步推動工作。",
    "交通局長表示，第一階段將從東區開始，預計影響許多通勤民眾出行。",
]


def numbering_off(wrong):
    """A model that answers a request of several paragraphs with ``wrong(pairs)`` and one paragraph alone faithfully."""

    def respond(seen):
        pairs = marked(seen)
        return reply(wrong(pairs)) if len(pairs) > 1 else marked_reply(pairs)

    return respond


def merged_and_counted_on(pairs):  # B and C under [[2]], D under [[3]], [[4]] left out
    texts = [english(s) for _, s in pairs]
    merged = texts[:1] + [f"{texts[1]} {texts[2]}"] + texts[3:] if len(texts) > 2 else texts
    return "\n".join(f"[[{n}]] {t}" for (n, _), t in zip(pairs, merged))


def counted_from_zero_one_short(pairs):
    # Counted from [[0]] with every paragraph there, the reply is read by position
    # (test_a_model_that_numbers_its_markers_its_own_way_costs_one_request_a_chunk); one short, it is not.
    return "\n".join(f"[[{n - 1}]] {english(s)}" for n, s in pairs[:-1])


def marker_after_text(pairs):
    return "\n".join(f"{english(s)} [[{n}]]" for n, s in pairs)


@pytest.mark.parametrize("wrong", [merged_and_counted_on, counted_from_zero_one_short, marker_after_text])
def test_a_misnumbered_reply_is_not_trusted_and_its_paragraphs_asked_again(scripted, scripted_settings, wrong):
    # Each of these put a neighbour's English on paragraphs unflagged: C got D's, A-C got B-D's.
    scripted.default = numbering_off(wrong)
    result = translate_article("\n".join(FOUR), settings=scripted_settings)
    assert [t for _, t in result.pairs] == [english(p) for p in FOUR]
    assert result.verified
    first, *again = translations(scripted)
    assert len(marked(first)) == 4 and all(len(marked(r)) < 4 for r in again)
    # the reply is not trusted at all: every paragraph is asked for again, in smaller requests
    assert {n for r in again for n, _ in marked(r)} == {1, 2, 3, 4}


FIGURED = [
    "臺南市今年投入3億元更新抽水站，共完成20座。",
    "沿海地區增設12處避難所，可容納5000人。",
    "市府辦理演練達45場，邀請里長與志工參加。",
    "防災教育課程今年開設60班，學員超過1800人。",
]


def test_pairs_that_hold_their_neighbours_translations_are_a_shift():
    from summarize.translate import Unit, misnumbered

    units = [Unit(i + 1, i, p, 20) for i, p in enumerate(FIGURED)]
    right = {i + 1: english(p) for i, p in enumerate(FIGURED)}
    assert misnumbered("", units, right, "en") == ""
    shifted = {1: english(FIGURED[1]), 2: english(FIGURED[2]), 3: english(FIGURED[3]), 4: english(FIGURED[3])}
    assert "hold the translations of their neighbours" in misnumbered("", units, {n: shifted[n] for n in (1, 2, 3)}, "en")
    assert "have one translation" in misnumbered("", units, shifted, "en")
    assert "was not asked for" in misnumbered("[[0]] x [[1]] y", units, right, "en")


def test_a_paragraph_still_given_its_neighbours_translation_is_flagged(scripted, scripted_settings):
    scripted.default = translator(lambda src: english(FOUR[2]) if src == FOUR[1] else english(src))
    result = translate_article("\n".join(FOUR), settings=scripted_settings)
    assert result.unverified == (1, 2)  # two paragraphs with one translation: neither is trusted
    assert result.pairs[0][1] == english(FOUR[0]) and result.pairs[3][1] == english(FOUR[3])


# -- one failed reply costs its own paragraphs, not the article ----------------------------------

MANY = [f"第{i}則：" + p for i, p in enumerate(FOUR * 3)]


def chunked(settings):
    return settings.replace(chunk_tokens=300, concurrency=1)  # chunks of a few paragraphs, one at a time


@pytest.mark.parametrize("empty", ["", "<think>The user wants a translation.</think>"])
def test_an_empty_reply_in_one_chunk_is_asked_for_once_more(scripted, scripted_settings, empty):
    # It raised ChunkFailedError: the other chunks' translations were thrown away, never re-asked.
    answered = []

    def respond(seen):
        answered.append(seen)
        return reply(empty) if len(answered) == 2 else marked_reply(marked(seen))

    scripted.default = respond
    result = translate_article("\n".join(MANY), settings=chunked(scripted_settings), glossary={})
    assert result.chunks > 2 and result.verified
    assert [t for _, t in result.pairs] == [english(p) for p in MANY]
    assert len(translations(scripted)) == result.chunks + 1
    emptied = marked(answered[1])
    assert sum(marked(r) == emptied for r in answered) == 2  # the same paragraphs, once more


def test_a_chunk_empty_twice_leaves_its_paragraphs_empty_and_flagged(scripted, scripted_settings):
    def respond(seen):
        pairs = marked(seen)
        return reply("") if any(src == MANY[0] for _, src in pairs) else marked_reply(pairs)

    scripted.default = respond
    result = translate_article("\n".join(MANY), settings=chunked(scripted_settings), glossary={})
    empty = [i for i, (_, t) in enumerate(result.pairs) if not t]
    assert empty and 0 in empty and result.unverified == tuple(empty)
    assert all(t == english(MANY[i]) for i, (_, t) in enumerate(result.pairs) if i not in empty)
    assert len(translations(scripted)) == result.chunks + 1  # one more try, no halving of an empty reply


def test_one_paragraph_that_keeps_running_to_its_limit_does_not_fail_the_article(scripted, scripted_settings):
    bad = MANY[5]

    def respond(seen):
        pairs = marked(seen)
        good = "\n".join(f"[[{n}]] {english(s)}" for n, s in pairs if s != bad)
        if any(s == bad for _, s in pairs):
            number = next(n for n, s in pairs if s == bad)
            return reply(f"{good}\n[[{number}]] The city said that " + " ".join(f"item{i} and" for i in range(60)), finish_reason="length")
        return reply(good)

    scripted.default = respond
    result = translate_article("\n".join(MANY), settings=chunked(scripted_settings), glossary={})
    assert result.unverified == (5,) and result.pairs[5][1] == ""
    assert all(t == english(MANY[i]) for i, (_, t) in enumerate(result.pairs) if i != 5)


def test_partial_returns_the_chunks_that_succeeded(scripted, scripted_settings):
    # The ChunkFailedError message advertised partial=True; translate_article refused it.
    def respond(seen):
        pairs = marked(seen)
        if any(src == MANY[0] for _, src in pairs):
            return Step.error(400, {"error": {"message": "bad request", "code": 400}})
        return marked_reply(pairs)

    scripted.default = respond
    with pytest.raises(ChunkFailedError, match="chunk 1 of") as failed:
        translate_article("\n".join(MANY), settings=chunked(scripted_settings), glossary={})
    assert "partial=True to get the translation of the chunks that succeeded" in str(failed.value)
    result = translate_article("\n".join(MANY), settings=chunked(scripted_settings), glossary={}, partial=True)
    empty = [i for i, (_, t) in enumerate(result.pairs) if not t]
    assert 0 in empty and result.unverified == tuple(empty) and len(empty) < len(MANY)
    with pytest.raises(ConfigError, match="partial must be True or False"):
        translate_article("\n".join(MANY), settings=scripted_settings, partial="yes")


@pytest.mark.parametrize(
    "answer",
    [
        "Sure! Here is the translation:\n\n{en}",
        "<<<ARTICLE>>>\n{en}\n<<<END ARTICLE>>>",
        "Translation: {en}\n\nNote: 臺南 is Tainan.",
        "```\n{en}\n```",
    ],
)
def test_a_paragraph_asked_alone_keeps_only_its_translation(scripted, scripted_settings, answer):
    # The whole reply was the translation: lead-in, copied fence and note included.
    source = PARAGRAPHS[1]
    scripted.default = lambda seen: reply(answer.format(en=english(source)))
    result = translate_article(source, settings=scripted_settings)
    assert result.pairs[0][1] == english(source) and len(scripted.chat_requests) == 1


@pytest.mark.parametrize(
    "answer, numbers, prefix, expected",
    [
        ("[1] One.\n[2] Two.", [1, 2], "", "[[1]] One.\n[[2]] Two."),
        ("1. One.\n2. Two.", [1, 2], "", "[[1]] One.\n[[2]] Two."),
        ("**3.** Three.\n**4.** Four.", [3, 4], "", "[[3]] Three.\n[[4]] Four."),
        ("【5】 Five.\n【6】Six.", [5, 6], "", "[[5]] Five.\n[[6]] Six."),
        ("[[1]] One.\n[[2]] Two, see [[1]].", [1, 2], "P", "[[P1]] One.\n[[P2]] Two, see [[1]]."),
        ("1、一。\n2、二。", [1, 2], "", "[[1]] 一。\n[[2]] 二。"),
        # numbered their own way (restarted): markers of their own numbers, for read_by_position
        ("1. One.\n2. Two.", [5, 6], "", "[[1]] One.\n[[2]] Two."),
        # not the asked numbers one to one: left as it is
        ("1. One.\n3. Two.", [5, 6], "", "1. One.\n3. Two."),
        ("[1] One.\n[1] Again.\n[2] Two.", [1, 2], "", "[1] One.\n[1] Again.\n[2] Two."),
        ("[1] One.", [1, 2], "", "[1] One."),
        ("3.5 million people.", [3], "", "3.5 million people."),  # a figure, not a label
        ("[[1]] One. [2] Two.", [1, 2], "", "[[1]] One. [2] Two."),  # asked markers are there
    ],
)
def test_markers_written_another_way_are_read_when_they_match_the_asked_numbers(answer, numbers, prefix, expected):
    from summarize.translate import as_asked

    assert as_asked(answer, numbers, prefix) == expected


ENGLISH = {
    "Tainan to expand night canal boat tours next year": "臺南運河夜間導覽船明年擴大營運",
    "The city said on Monday that the tours will expand from March.": "市府週一表示，導覽船將自三月起擴大營運。",
    "Officials said the boats carried about 86,000 passengers last year.": "官員表示，去年導覽船載運旅客約86,000人次。",
    "Residents worry about noise from the new night routes.": "居民擔心新的夜間航線帶來噪音。",
}


@pytest.mark.parametrize("style", ["［［{n}］］ {t}", "【【{n}】】 {t}", "［［{n}］］{t}", "（{n}）{t}", "({n}) {t}", "{n}．{t}"])
def test_markers_written_in_full_width_are_read_as_markers(scripted, scripted_settings, style):
    # Writing Chinese, a model may write the markers in full-width forms too. They were read as
    # no markers: 4 paragraphs took 7 requests, and each translation kept its label ("［［1］］ 臺南…").
    def respond(seen):
        return reply("\n".join(style.format(n=n, t=ENGLISH[src]) for n, src in marked(seen)))

    scripted.default = respond
    result = translate_article("\n".join(ENGLISH), target="zh-Hant", settings=scripted_settings)
    assert [t for _, t in result.pairs] == list(ENGLISH.values())
    assert len(scripted.chat_requests) == 1 and result.verified


def test_what_a_translation_into_chinese_carries_over_as_written_is_not_held_to_its_length(scripted, scripted_settings):
    # Into Chinese only Latin words both sides hold were left out of the length check: a table's
    # row of figures or a line of phone numbers kept most of its length, over twice the ratio
    # of the prose beside it, and each was asked for again alone and flagged.
    carrying = {
        **ENGLISH,
        "| Boats | 67000 | 11.07 | 3,200 | 45.5 |": "| 船 | 67000 | 11.07 | 3,200 | 45.5 |",
        "Phone: +886-6-299-1111 ext. 8888, fax +886-6-298-2222": "電話：+886-6-299-1111 分機 8888，傳真 +886-6-298-2222",
    }
    scripted.default = translator(carrying.__getitem__)
    result = translate_article("\n".join(carrying), target="zh-Hant", settings=scripted_settings)
    assert [t for _, t in result.pairs] == list(carrying.values())
    assert result.verified and len(scripted.chat_requests) == 1


def test_full_width_markers_in_the_article_get_a_prefix():
    assert marker_prefix("見［［1］］與【【2】】。") == "P"


@pytest.mark.parametrize("junk", ["[[{big}]] junk", "{big}. junk", "【{big}】 junk"])
def test_a_marker_with_a_number_too_long_to_read_is_no_marker_and_no_crash(scripted, scripted_settings, junk):
    # A reply with a marker of 5,000 digits raised Python's ValueError for an integer string
    # over 4,300 digits, with a traceback, instead of being read as text that is no marker.
    def respond(seen):
        return reply("\n".join(f"[[{n}]] {english(src)}" for n, src in marked(seen)) + "\n" + junk.format(big="9" * 5000))

    scripted.default = respond
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert [t for _, t in result.pairs[:-1]] == [english(p.strip()) for p in PARAGRAPHS[:-1]]
    # The junk is text after the last marker: the last pair holds it, and is flagged for its length.
    assert result.unverified == (5,)


def test_an_empty_marker_after_the_last_one_asked_is_not_a_misnumbering(scripted, scripted_settings):
    # A reply that went on to an empty [[7]] after the six asked was distrusted as "[[7]] was
    # not asked for": six paragraphs took 11 requests instead of one.
    def respond(seen):
        pairs = marked(seen)
        return reply("\n".join(f"[[{n}]] {english(src)}" for n, src in pairs) + f"\n[[{pairs[-1][0] + 1}]]")

    scripted.default = respond
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert [t for _, t in result.pairs] == [english(p.strip()) for p in PARAGRAPHS]
    assert len(scripted.chat_requests) == 1 and result.verified


def test_a_numbered_list_read_as_markers_keeps_its_numbers():
    # An article that is a numbered list from its first line: a reply that left out the markers
    # but kept the list's numbers was read as marked (rightly: they are the asked numbers), and
    # every translation lost its "1.", "2.", which its source has.
    from summarize.translate import as_asked

    sources = {1: "1. 第一項措施。", 2: "2. 第二項措施。", 3: "第三段沒有編號。"}
    answer = "1. Measure one.\n2. Measure two.\n3. A paragraph without a number."
    assert as_asked(answer, [1, 2, 3], "", sources) == (
        "[[1]] 1. Measure one.\n[[2]] 2. Measure two.\n[[3]] A paragraph without a number."
    )
    assert as_asked("1、一。\n2、二。", [1, 2], "", {1: "1、一。", 2: "2、二。"}) == "[[1]] 1、一。\n[[2]] 2、二。"


def test_a_numbered_list_whose_reply_drops_the_markers_keeps_its_numbers(scripted, scripted_settings):
    items = [f"{i}. 第{i}項措施：市府將在運河沿岸增設候船亭，並改善夜間照明設備。" for i in range(1, 5)]

    def respond(seen):
        return reply("\n".join(f"{src.split('.')[0]}. {english(src)}" for _, src in marked(seen)))

    scripted.default = respond
    result = translate_article("\n".join(items), settings=scripted_settings)
    assert [t for _, t in result.pairs] == [f"{i}. {english(src)}" for i, src in enumerate(items, 1)]
    assert len(scripted.chat_requests) == 1


@pytest.mark.parametrize("style", ["[{n}] {t}", "{n}. {t}", "【{n}】 {t}", "[[{n}]] {t}"])
def test_a_model_writing_markers_another_way_costs_no_extra_request(scripted, scripted_settings, style):
    # [1], "1." and 【1】 were read as no markers: 6 paragraphs took 11 requests, each keeping its label.
    # "[[1]]" is the other way when the article holds [[1]] itself and [[P1]] was asked.
    text = "\n".join(PARAGRAPHS[:5] + ["詳細內容請見附件[[1]]。"])

    def respond(seen):
        return reply("\n".join(style.format(n=n, t=english(src)) for n, src in marked(seen)))

    scripted.default = respond
    result = translate_article(text, settings=scripted_settings)
    assert [t for _, t in result.pairs] == [english(p.strip()) for p in split_paragraphs(text)]
    assert len(scripted.chat_requests) == 1 and result.verified


@pytest.mark.parametrize("style", ["- [[{n}]] {t}", "* [[{n}]] {t}", "> [[{n}]] {t}", "### [[{n}]]\n{t}", "{i}. [[{n}]] {t}",
                                   "- **[[{n}]]** {t}"])
def test_markup_a_reply_puts_before_its_markers_is_no_part_of_the_translation_before(scripted, scripted_settings, style):
    # A reply that wrote each marker as a list item or a heading ("- [[2]] ...") left the "-"
    # at the end of the translation of the paragraph before, unflagged: "... next year -".
    def respond(seen):
        return reply("\n".join(style.format(i=i, n=n, t=english(src)) for i, (n, src) in enumerate(marked(seen), 1)))

    scripted.default = respond
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert [t for _, t in result.pairs] == [english(p.strip()) for p in PARAGRAPHS]
    assert len(scripted.chat_requests) == 1 and result.verified


@pytest.mark.parametrize("rule", ["---", "***", "* * *", "___", "==="])
def test_a_rule_a_reply_puts_between_its_paragraphs_is_no_part_of_a_translation(scripted, scripted_settings, rule):
    # A reply that set its paragraphs apart with a Markdown rule ("---") ended every translation
    # in it, unflagged: "... next year ---".
    def respond(seen):
        return reply(f"\n{rule}\n".join(f"[[{n}]] {english(src)}" for n, src in marked(seen)) + f"\n{rule}")

    scripted.default = respond
    result = translate_article(ARTICLE_TEXT, settings=scripted_settings)
    assert [t for _, t in result.pairs] == [english(p.strip()) for p in PARAGRAPHS]
    assert len(scripted.chat_requests) == 1 and result.verified


@pytest.mark.parametrize("cache", [False, True])
def test_a_paragraph_asked_alone_is_not_asked_the_same_again(scripted, scripted_settings, tmp_path, cache):
    # Left out of a reply, paragraph 2 was asked alone; its answer failed its check, and the
    # very same request went out again (with the cache on, the cache replayed the failing answer).
    def respond(seen):
        pairs = marked(seen)
        if len(pairs) > 1:
            return marked_reply([(n, s) for n, s in pairs if n != 2])
        return reply(f"[[{pairs[0][0]}]] Mayor Huang said.")  # too short for its paragraph

    scripted.default = respond
    settings = scripted_settings.replace(cache=cache, cache_dir=str(tmp_path / "c"))
    result = translate_article("\n".join(FOUR[:3]), settings=settings)
    bodies = [str(r.messages) for r in scripted.chat_requests]
    assert len(bodies) == len(set(bodies)) == 2 and result.usage.cache_hits == 0
    assert result.unverified == (1,) and result.pairs[1][1] == "Mayor Huang said."


def test_two_paragraphs_differing_only_in_punctuation_may_share_a_translation(scripted, scripted_settings):
    # Read as "two paragraphs with one translation", the reply was distrusted: 5 requests, both
    # pairs unverified.
    paragraphs = [
        "（完）",
        "臺南市政府今天宣布擴大公車路網，新增十二條路線，明年一月上路。",
        "臺南市政府今天宣布擴大公車路網，新增十二條路線，明年一月上路！",
    ]
    english = "The Tainan City Government announced an expansion of the bus network today, adding twelve routes from January next year."
    scripted.default = lambda seen: Step.reply(
        "\n".join(f"[[{n}]] {english}" for n in range(1, 3)) if "[[2]]" in seen.user_text else f"[[1]] {english}"
    )
    result = translate_article("\n".join(paragraphs[1:]), settings=scripted_settings, glossary={})
    assert [t for _, t in result.pairs] == [english, english] and result.unverified == ()
    assert len(scripted.chat_requests) == 1


# -- a shift whose pairs all pass their checks, told by the names --------------------------------

# Paragraphs of one length, without a figure: only their Latin-script names tell them apart.
NAMED = [
    "臺南市政府今天與Google簽約，將全面改善市區道路與公共運輸系統。",
    "市長黃偉哲表示，將與Microsoft合作改善交通號誌與人行道的安全設計。",
    "這項計畫預計在明年完成，並由Nvidia分階段實施，各區同步推動工作。",
    "交通局長表示，第一階段將由Apple從東區開始，預計影響許多通勤民眾。",
    "業者也關注票價調整，Uber表示將與市府討論新的合作方案與服務內容。",
    "部分沿岸居民擔心，Tesla車隊增加後，噪音與燈光會影響市區生活品質。",
]


def with_names(source):
    """``english`` with the Latin-script words of its source carried over, as a translation keeps them."""
    return english(source) + "".join(f" {w}" for w in re.findall("[A-Za-z]+", source))


# A paragraph no request holds, as long as those of the article: what a model may make up.
MADE_UP = "市府也將持續與民間團體溝通，並於年底前提出完整的評估報告與相關建議。"


def test_a_name_in_the_translation_of_a_neighbour_instead_of_its_own_is_a_shift():
    from summarize.translate import Unit, misnumbered

    units = [Unit(i + 1, i, p, 20) for i, p in enumerate(NAMED)]
    right = {i + 1: with_names(p) for i, p in enumerate(NAMED)}
    assert misnumbered("", units, right, "en") == ""
    # Paragraph 3 left out, every later pair one on: each passes its checks, but Apple's
    # paragraph has Uber's translation and Apple is in the pair before.
    shifted = right | {3: right[4], 4: right[5], 5: right[6], 6: with_names(MADE_UP)}
    assert "Apple" in misnumbered("", units, shifted, "en")
    # A name its own translation keeps too is no sign: a neighbour may name it again.
    again = right | {2: right[2] + " Google"}
    assert misnumbered("", units, again, "en") == ""


# -- a reply numbered its own way, read by position when nothing else can be meant ------------

TWENTY = [f"第{i}則：" + p for i, p in enumerate(FOUR * 5, 1)]


def numbered(number, translate=english, drop=None, extra=None, first=None):
    """A model that writes ``number(asked)`` for the asked markers of a request of several
    paragraphs. In a request of ``first`` paragraphs, it leaves ``drop`` out and ends on one
    more line, ``extra``, so that the count stays that of the request. One paragraph alone it
    numbers right."""

    def respond(seen):
        pairs = marked(seen)
        if len(pairs) == 1:
            return marked_reply(pairs, translate)
        said = [translate(s) for _, s in pairs]
        if len(pairs) == first:
            said = [translate(s) for _, s in pairs if s != drop] + [extra]
        return reply("\n".join(f"[[{m}]] {t}" for m, t in zip(number([n for n, _ in pairs]), said)))

    return respond


def restarted(asked):
    return list(range(1, len(asked) + 1))


def one_on(asked):
    return [n + 1 for n in asked]


def one_back(asked):
    return [n - 1 for n in asked]


@pytest.mark.parametrize(
    "numbers, asked, expected",
    [
        ([1, 2, 3], [11, 12, 13], {1: 11, 2: 12, 3: 13}),  # a count restarted in chunk 2
        ([1, 2], [3, 5], {1: 3, 2: 5}),  # restarted for paragraphs asked again
        ([12, 13, 14], [11, 12, 13], {12: 11, 13: 12, 14: 13}),  # one on
        ([0, 1, 2], [1, 2, 3], {0: 1, 1: 2, 2: 3}),  # from [[0]]
        ([1, 2, 3], [1, 2, 3], {}),  # as asked
        ([1, 2, 4, 5], [1, 2, 3, 4], {}),  # a gap: a paragraph left out and one added, as likely
        ([2, 3, 4], [1, 2, 3, 4], {}),  # another count
        ([2, 1, 3], [4, 5, 6], {}),  # out of order
        ([1, 1, 2], [4, 5, 6], {}),
    ],
)
def test_a_numbering_is_read_by_position_only_when_a_slip_explains_it(numbers, asked, expected):
    from summarize.translate import renumbering

    assert renumbering(numbers, asked) == expected


@pytest.mark.parametrize("number, before", [(restarted, 20), (one_on, 38), (one_back, 38)])
def test_a_model_that_numbers_its_markers_its_own_way_costs_one_request_a_chunk(scripted, scripted_settings, number, before):
    # Chunk 2 holds [[11]]..[[20]]; a model that restarts at [[1]] in every chunk, or counts every
    # marker one off, was read as numbering paragraphs not asked for: each such chunk was halved
    # down to one paragraph a request, 2k-1 requests for k paragraphs (``before`` in all).
    scripted.default = numbered(number)
    result = translate_article("\n".join(TWENTY), settings=scripted_settings.replace(output_tokens=2048), glossary={})
    assert result.chunks == 2
    assert [t for _, t in result.pairs] == [english(p) for p in TWENTY] and result.verified
    assert len(scripted.chat_requests) == 2 < before


@pytest.mark.parametrize("number", [restarted, one_on, one_back])
def test_a_reply_numbering_its_own_way_with_plain_markers_where_prefixed_ones_were_asked_is_read_by_position(
    scripted, scripted_settings, number
):
    # An article that holds "[[1]]" itself is marked [[P1]]...: a model that restarts at [[1]], or
    # counts one off, without the P, is read by position as one that keeps the asked form.
    paragraphs = [*TWENTY[:19], TWENTY[19] + "詳見附件[[1]]。"]
    scripted.default = numbered(number)
    result = translate_article("\n".join(paragraphs), settings=scripted_settings.replace(output_tokens=2048), glossary={})
    assert result.chunks == 2 and all(prefix(seen) == "P" for seen in scripted.chat_requests)
    assert [t for _, t in result.pairs] == [english(p) for p in paragraphs] and result.verified
    assert len(scripted.chat_requests) == 2


@pytest.mark.parametrize("style", ["{m}. {t}", "[{m}] {t}", "**{m}.** {t}"])
def test_a_model_that_restarts_markers_written_another_way_costs_one_request_a_chunk(scripted, scripted_settings, style):
    # "1." to "10." for [[11]] to [[20]] read as no markers: chunk 2 took 19 requests, 20 in all.
    def respond(seen):
        pairs = marked(seen)
        return reply("\n".join(style.format(m=m, t=english(s)) for m, (_, s) in enumerate(pairs, 1)))

    scripted.default = respond
    result = translate_article("\n".join(TWENTY), settings=scripted_settings.replace(output_tokens=2048), glossary={})
    assert [t for _, t in result.pairs] == [english(p) for p in TWENTY] and result.verified
    assert len(scripted.chat_requests) == 2


# Paragraphs of different lengths: a pair given its neighbour's translation is out of proportion.
UNEVEN = [
    "臺南運河夜間導覽船明年擴大營運",
    "觀光旅遊局昨日宣布，夜間導覽船將自明年三月起擴大營運，並增加假日航班與沿岸導覽解說服務。",
    "新船全數採用鋰電池動力。",
    "部分沿岸居民擔心夜間航班增加後，噪音與燈光會影響生活，市府承諾將在開航前舉辦說明會聽取意見。",
    "業者也關注票價調整。",
    "觀旅局表示，將視營運情形檢討航線與班次，並持續與在地業者及社區團體溝通。",
]


@pytest.mark.parametrize(
    "paragraphs, translate, dropped",
    [
        (UNEVEN, english, 2),  # the shifted pairs are out of proportion
        (UNEVEN, english, 4),  # one pair shifted, out of proportion, then the made-up one
        (FIGURED + ["市府表示，相關預算已送議會審議，預計明年初開始執行。"], english, 2),  # figures
        (NAMED, with_names, 2),  # each name sits in the pair before its own
    ],
    ids=["lengths", "lengths-one-pair", "figures", "names"],
)
def test_a_renumbered_reply_that_dropped_a_paragraph_and_added_one_is_not_read_by_position(
    scripted, scripted_settings, paragraphs, translate, dropped
):
    """Red team: a paragraph left out and a made-up one at the end keep the count; read by
    position, every pair from the gap on would hold the next paragraph's translation, and the
    last the made-up one. Each pair's checks against its own source must refuse that reading.
    The halves it then asks for, numbered one on but whole, are read by position."""
    scripted.default = numbered(one_on, translate, drop=paragraphs[dropped], extra=english(MADE_UP), first=len(paragraphs))
    result = translate_article("\n".join(paragraphs), settings=scripted_settings, glossary={})
    assert [t for _, t in result.pairs] == [translate(p) for p in paragraphs] and result.verified
    half = len(paragraphs) // 2
    assert [len(marked(r)) for r in scripted.chat_requests] == [len(paragraphs), half, len(paragraphs) - half]
