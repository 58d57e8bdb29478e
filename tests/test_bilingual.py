"""Bilingual summaries: one final request per language, zh-Hant repaired to Traditional, English verified."""

from __future__ import annotations

import re

import pytest
from conftest import SAMPLE
from fake_translator import glossary_in, is_firm, reply

from summarize import prompts, summarize_article
from summarize.text import to_traditional

ARTICLE = SAMPLE.read_text(encoding="utf-8")
ZH_MARK = "Traditional Chinese as written in Taiwan"

ENGLISH_SUMMARY = "Tainan will expand its canal night boat tours next March with three new routes."
# What a drifting model writes when asked for Traditional Chinese: Simplified characters.
SIMPLIFIED_SUMMARY = (
    "台南市政府观光旅游局宣布，运河夜间导览船将自明年三月起扩大营运，新增三条航线。"
    "去年导览船载运旅客约八万六千人次，市府编列四千二百万元预算，添购六艘电动船。"
    "部分居民担心噪音与灯光影响生活，观旅局承诺晚间九点后关闭船外广播。"
)
TRADITIONAL_SUMMARY = "臺南市政府觀光旅遊局宣布，運河夜間導覽船將自明年三月起擴大營運，新增三條航線。"


def asks_for_zh(seen) -> bool:
    return ZH_MARK in seen.task_text


def bilingual_model(zh: str = SIMPLIFIED_SUMMARY, en: str = ENGLISH_SUMMARY):
    def respond(seen):
        if seen.kind == "map":
            return reply("Notes: Elon Musk and Alibaba announced new models.")
        return reply(zh if asks_for_zh(seen) else en)

    return respond


# -- the instructions ------------------------------------------------------------------------

ENGLISH_WORDS = re.compile(r"English|英文|英語|英语", re.IGNORECASE)


@pytest.mark.parametrize(
    "messages",
    [
        prompts.summarize_messages(ARTICLE, "zh-Hant"),
        prompts.summarize_messages(ARTICLE, "zh-Hant", glossary={"Tainan": "臺南"}),
        prompts.reduce_messages(["Notes on part one.", "Notes on part two."], "zh-Hant"),
        prompts.reduce_messages(["Alibaba released Qwen3."], "zh-Hant", glossary={"Alibaba": "阿里巴巴"}),
    ],
    ids=["one-request", "one-request-glossary", "reduce", "reduce-glossary"],
)
def test_zh_hant_instructions_ask_for_traditional_and_never_mention_english(messages):
    # The task, with its language, comes after the fenced text (small models heed the end).
    system, user = messages[0]["content"], messages[1]["content"]
    task = user[user.rfind(">>>") + 3 :]
    assert ZH_MARK in task and "繁體中文" in task and "never Simplified Chinese" in task
    assert not ENGLISH_WORDS.search(system)
    assert messages[1]["role"] == "user" and not ENGLISH_WORDS.search(user)


def test_english_instructions_name_english():
    assert "Write only in English" in prompts.summarize_messages(ARTICLE, "en")[1]["content"]


# -- one request per language ------------------------------------------------------------------


def test_a_bilingual_summary_of_a_short_article(scripted, scripted_settings):
    scripted.default = bilingual_model()
    summary = summarize_article(ARTICLE, languages=("en", "zh-Hant"), settings=scripted_settings)
    assert summary.text == ENGLISH_SUMMARY and str(summary) == ENGLISH_SUMMARY
    assert list(summary.summaries) == ["en", "zh-Hant"]
    assert len(scripted.chat_requests) == 2  # one request per language, no extra
    zh_request = next(r for r in scripted.chat_requests if asks_for_zh(r))
    assert not ENGLISH_WORDS.search(zh_request.system_text + zh_request.user_text)
    # drift measured and repaired
    before = to_traditional(SIMPLIFIED_SUMMARY)[1]
    assert before == 36  # measured: Simplified characters in the drifting reply
    assert summary.simplified_fixed == {"zh-Hant": before}
    assert to_traditional(summary.summaries["zh-Hant"])[1] == 0
    assert summary.summaries["zh-Hant"].startswith("台南市政府觀光旅遊局宣布，運河夜間導覽船將自明年三月起擴大營運")
    assert summary.unverified == ()


def test_a_correct_traditional_summary_needs_no_conversion(scripted, scripted_settings):
    scripted.default = bilingual_model(zh=TRADITIONAL_SUMMARY)
    summary = summarize_article(ARTICLE, languages=("zh-Hant",), settings=scripted_settings)
    assert summary.text == TRADITIONAL_SUMMARY
    assert summary.simplified_fixed == {"zh-Hant": 0}


def test_glossary_terms_are_protected_from_conversion(scripted, scripted_settings):
    # 郁 is a surname and the Simplified form of 鬱; the article writes the name among other words.
    drifted = "主任郁方指出，航班之后噪音变大。"
    scripted.default = bilingual_model(zh=drifted)
    summary = summarize_article("郁方主任指出，航班增加後噪音變大。", languages=("zh-Hant",),
                                glossary={"郁方": "Yu Fang"}, settings=scripted_settings)
    assert to_traditional(drifted) == ("主任鬱方指出，航班之後噪音變大。", 3)  # s2tw alone changes the name
    assert summary.text == "主任郁方指出，航班之後噪音變大。"  # the given name is untouched
    assert summary.simplified_fixed == {"zh-Hant": 2}


def test_a_zh_hant_summary_keeps_the_forms_it_copies_from_the_article(scripted, scripted_settings):
    # The model copied the article's 李明峯, 山裏 and 半斗米 exactly; before, the summary said
    # 李明峰, 山裡 and 半鬥米 (斗 is a unit) and counted 4 Simplified characters fixed, though
    # there were none. The key-sentence summary has always kept them.
    article = (
        "臺南消防局長李明峯獲頒救災獎章\n"
        "臺南市消防局長李明峯今日獲內政部頒發救災獎章，表彰他去年帶隊馳援花蓮震災。\n"
        "李明峯表示，獲獎屬於全體消防同仁，並將繼續推動「山裏的孩子」防災教育計畫。\n"
        "他回憶早年家境清寒，常常糴不到半斗米，因此更能體會災民的處境。"
    )
    copied = (
        "臺南市消防局長李明峯今日獲內政部頒發救災獎章。"
        "李明峯將繼續推動「山裏的孩子」防災教育計畫，並以早年糴不到半斗米的經歷體會災民處境。"
    )
    scripted.default = bilingual_model(zh=copied)
    summary = summarize_article(article, languages=("zh-Hant",), settings=scripted_settings)
    assert summary.text == copied and summary.simplified_fixed == {"zh-Hant": 0}


def test_a_drifted_zh_hant_summary_is_repaired_as_s2tw_reads_it(scripted, scripted_settings):
    # Before, 台风 came back 台風 and 这里 這里 (台 and 里 were kept as Taiwan writes them).
    scripted.default = bilingual_model(zh="凯米台风过后，市府在这里投入经费，市民心里更安心。")
    summary = summarize_article(ARTICLE, languages=("zh-Hant",), settings=scripted_settings)
    assert summary.text == "凱米颱風過後，市府在這裡投入經費，市民心裡更安心。"
    assert summary.simplified_fixed == {"zh-Hant": 10}


@pytest.mark.parametrize(
    "text",
    [
        "臺南市政府昨日宣布，新航線將於明年發布時刻表。",  # 宣布 and 發布, not 宣佈
        "台灣的台南運河，周末班次了解一下。",  # 台, 周 and 了 are correct in Taiwan
        "仁德區七甲里的里長表示，其中2里獲得認證。",  # 里 as a borough, not 裡
        "參數越多，字節跳動與騰訊的模型越大。",  # s2twp would rewrite 參數 and 字節跳動
    ],
)
def test_correct_taiwan_text_counts_no_drift(text):
    assert to_traditional(text) == (text, 0)


def test_a_long_article_maps_once_and_reduces_once_per_language(scripted, scripted_settings):
    scripted.default = bilingual_model()
    glossary = {"馬斯克": "Elon Musk", "阿里巴巴": "Alibaba", "騰訊": "Tencent"}
    summary = summarize_article(
        ARTICLE, languages=("en", "zh-Hant"), glossary=glossary, settings=scripted_settings, chunk_tokens=300
    )
    maps = [r for r in scripted.chat_requests if r.kind == "map"]
    finals = [r for r in scripted.chat_requests if r.kind == "final"]
    assert summary.chunks == len(maps) > 1
    assert len(finals) == 2 and len(scripted.chat_requests) == len(maps) + 2
    en_final, zh_final = sorted(finals, key=asks_for_zh)
    assert en_final.fenced == zh_final.fenced  # both from the same partial summaries
    # the zh-Hant request learns how the English notes' names are written in Chinese
    assert glossary_in(zh_final) == {"Elon Musk": "馬斯克", "Alibaba": "阿里巴巴"}
    assert glossary_in(en_final) == {}  # the source names do not occur in English notes
    assert not ENGLISH_WORDS.search(zh_final.system_text + zh_final.task_text)
    assert summary.simplified_fixed == {"zh-Hant": to_traditional(SIMPLIFIED_SUMMARY)[1]}


# -- English verified ------------------------------------------------------------------------


def test_an_english_summary_in_chinese_is_retried_once_firmly(scripted, scripted_settings):
    def model(seen):
        return reply(ENGLISH_SUMMARY if is_firm(seen) else TRADITIONAL_SUMMARY)

    scripted.default = model
    summary = summarize_article(ARTICLE, settings=scripted_settings)
    assert summary.text == ENGLISH_SUMMARY and summary.unverified == ()
    first, retry = scripted.chat_requests
    assert not is_firm(first) and is_firm(retry)
    assert retry.user_text.startswith(first.user_text)  # the same request, a firmer instruction appended
    assert retry.system_text == first.system_text
    assert summary.usage.requests == 2


def test_an_english_summary_still_in_chinese_is_returned_flagged(scripted, scripted_settings):
    scripted.default = bilingual_model(en=TRADITIONAL_SUMMARY, zh=TRADITIONAL_SUMMARY)
    summary = summarize_article(ARTICLE, languages=("en", "zh-Hant"), settings=scripted_settings)
    assert summary.unverified == ("en",)
    assert summary.text == TRADITIONAL_SUMMARY  # returned, flagged, not silently accepted
    assert len(scripted.chat_requests) == 3  # en, zh-Hant, one firm retry of en only
    assert sum(is_firm(r) for r in scripted.chat_requests) == 1


def test_english_with_a_few_chinese_names_passes(scripted, scripted_settings):
    text = "Tainan (臺南) will add three night routes on its canal (運河) from March."
    scripted.default = bilingual_model(en=text)
    summary = summarize_article(ARTICLE, settings=scripted_settings)
    assert summary.text == text and summary.unverified == ()
    assert len(scripted.chat_requests) == 1


def test_interleaved_markdown_quotes_every_line_of_a_source_and_escapes_the_translation():
    # Only a source paragraph's first line was quoted (the rest read as translation), and a
    # translation opening with ">" or "#" read as a quote of the source or a heading.
    from summarize.result import Translation, Usage

    pairs = (("第一行\n第二行", "> Prompt cut: not a note\n# not a heading"),)
    translation = Translation(pairs=pairs, target="en", chunks=1, usage=Usage(), model="m")
    assert translation.to_markdown() == "> 第一行\n> 第二行\n\n\\> Prompt cut: not a note\n\\# not a heading\n"
