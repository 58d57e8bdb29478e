"""Places: the table the prompts and the name check share, and the line that ends a request."""

from __future__ import annotations

import bisect

import pytest
from conftest import corpus_text

from summarize import prompts
from summarize.budget import (
    PER_MESSAGE_TOKENS,
    chunk_budget,
    places_tokens,
    reduce_budget,
    reply_tokens,
    safety_margin,
)
from summarize.config import Settings
from summarize.places import china_mentions, cities_in, names_china
from summarize.tokens import tokenizer_for

DISASTER = "tainan-disaster-prevention-review-press-release-2025.zh-Hant.txt"


@pytest.mark.parametrize(
    ("text", "cities"),
    [
        ("南市災防全面升級。臺南市府召開會議，回顧花蓮地震。", ["Tainan", "Hualien"]),
        ("台南與高雄合辦，屏東協辦。", ["Tainan", "Kaohsiung", "Pingtung"]),
        ("新北市長出席。", ["New Taipei"]),  # not Taipei: 北市 inside 新北市 names nothing
        ("南市府表示。", []),  # a short form alone names no city in a prompt
        ("湖南市場與港口。", []),
        ("香港與澳門。", ["Hong Kong", "Macau"]),  # Macau once, though the check also knows "Macao"
        ("今天天氣很好。", []),
        # A name inside another is not named: 京都 in 東京都 gave "Tokyo, Kyoto", so a summary's
        # wrong "Kyoto" passed.
        ("東京都政府宣布。", ["Tokyo"]),
        ("北京都會區與南京都市計畫。", ["Beijing", "Nanjing"]),
        ("京都大學。", ["Kyoto"]),
        # Simplified forms name their cities too.
        ("东京都与大阪府，花莲县与广州。", ["Tokyo", "Osaka", "Hualien", "Guangzhou"]),
        ("台东、屏东、云林、嘉义、宜兰、桃园、金门、重庆、纽约、伦敦、硅谷。", [
            "Taitung", "Pingtung", "Yunlin", "Chiayi", "Yilan", "Taoyuan", "Kinmen", "Chongqing", "New York",
            "London", "Silicon Valley",
        ]),
    ],
)
def test_cities_in(text, cities):
    assert cities_in(text) == cities


def test_a_summary_request_writing_english_ends_by_naming_its_places():
    article = "南市災防全面升級。臺南市府召開會議，回顧花蓮地震。"
    user = prompts.summarize_messages(article, "en")[1]["content"]
    assert user.endswith("Reply with the summary only. Places the article names: Tainan, Hualien.")
    # A map request names the places of its own chunk; a translation into English, of its paragraphs.
    assert prompts.map_messages("回顧花蓮地震。", 2, 3)[1]["content"].endswith("Places the article names: Hualien.")
    marked = prompts.translate_messages("[[1]] 臺南市府。", source="zh-Hant", target="en", marker_example="[[1]]")
    assert marked[1]["content"].endswith("Places the article names: Tainan.")


def test_no_places_line_for_chinese_or_for_an_article_without_places():
    for messages in (
        prompts.summarize_messages("臺南市府召開會議。", "zh-Hant"),
        prompts.summarize_messages("今天天氣很好。", "en"),
        prompts.translate_messages("[[1]] Tainan.", source="en", target="zh-Hant", marker_example="[[1]]"),
    ):
        assert "Places" not in messages[1]["content"]


def test_the_places_line_names_at_most_a_few():
    article = "".join(f"{form}。" for form in ("臺北", "臺中", "臺南", "高雄", "桃園", "新竹", "基隆", "嘉義"))
    line = prompts.places_line(article, "en")
    assert line == "Places the article names: Taipei, Taichung, Tainan, Kaohsiung, Taoyuan, Hsinchu."


def test_the_budget_leaves_room_for_the_places_line():
    counter = tokenizer_for("qwen")
    settings = Settings(context_tokens=2048)
    article = corpus_text(DISASTER)
    extra = places_tokens(article, counter)
    assert extra > 0 and places_tokens("今天天氣很好。", counter) == 0
    assert chunk_budget(settings, counter, article=article) == chunk_budget(settings, counter) - extra
    # A request carrying a whole budget of the article, to the token, still keeps the margin free.
    budget = chunk_budget(settings, counter, article=article)
    text = article[: bisect.bisect_right(range(len(article) + 1), budget, key=lambda n: counter.count(article[:n])) - 1]
    assert budget - 3 <= counter.count(text) <= budget
    for messages in (prompts.summarize_messages(text, "en"), prompts.map_messages(text, 99, 99)):
        prompt = sum(counter.count(m["content"]) + PER_MESSAGE_TOKENS for m in messages)
        assert "Places the article names: Tainan" in messages[1]["content"]
        room = settings.context_tokens - safety_margin(settings)
        assert prompt + reply_tokens(settings, settings.summary_words) <= room


def test_notes_are_merged_and_summed_up_naming_the_places_of_their_article():
    # Notes are English, and may already have put the article in the wrong city.
    article = "南市災防全面升級。臺南市府召開會議，回顧花蓮地震。"
    for final in (True, False):
        user = prompts.reduce_messages(["Notes.", "More notes."], "en", final=final, article=article)[1]["content"]
        assert user.endswith("Places the article names: Tainan, Hualien.")
    assert "Places" not in prompts.reduce_messages(["筆記。"], "zh-Hant", article=article)[1]["content"]
    counter = tokenizer_for("qwen")
    settings = Settings(context_tokens=2048)
    extra = places_tokens(article, counter)
    assert extra > 0 and reduce_budget(settings, counter, article=article) == reduce_budget(settings, counter) - extra


def test_a_run_that_reduces_names_the_places_in_its_reduce_requests(scripted):
    from summarize import summarize_article

    settings = Settings(base_url=scripted.base_url, model="qwen3-8b", chunk_tokens=300, context_tokens=1400,
                        output_tokens=256, cache=False, verify=False)
    summary = summarize_article(corpus_text(DISASTER), settings=settings)
    reduces = [r for r in scripted.chat_requests if r.kind in ("merge", "final")]
    assert summary.chunks > 3 and reduces
    assert all(r.task_text.endswith("Places the article names: Tainan, Hualien.") for r in reduces)


def test_the_places_benchmark_counts_a_city_the_article_does_not_hold():
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import places as bench

    article = "南市災防全面升級。臺南市府召開會議，回顧花蓮地震。"
    assert bench.wrong_cities("The Taipei City Government met in Tainan.", article) == ["Taipei"]
    assert bench.wrong_cities("Tainan reviewed the Hualien earthquake.", article) == []


@pytest.mark.parametrize("context_tokens", [8192, 650])
def test_every_translation_request_naming_places_fits_its_context(scripted, context_tokens):
    from fake_translator import translator

    from summarize import translate_article

    settings = Settings(
        base_url=scripted.base_url, model="qwen3-8b", context_tokens=context_tokens, output_tokens=256, cache=False
    )
    counter = tokenizer_for("qwen3-8b")
    scripted.default = translator()
    translate_article(corpus_text(DISASTER), settings=settings, glossary={})
    requests = scripted.chat_requests
    assert requests and all("Places the article names: " in r.task_text for r in requests if "Tainan" in r.task_text)
    assert any("Places the article names: Tainan" in r.task_text for r in requests)
    for request in requests:
        prompt = sum(counter.count(m["content"]) + PER_MESSAGE_TOKENS for m in request.messages)
        assert prompt + request.body["max_tokens"] <= context_tokens - safety_margin(settings)


def test_every_city_has_a_country():
    from summarize.places import CITIES, COUNTRIES

    listed = [city for cities in COUNTRIES.values() for city in cities]
    assert sorted(listed) == sorted(CITIES)  # each city once, none left out


@pytest.mark.parametrize(
    ("wrong", "source", "meant"),
    [
        # Seen on Qwen2.5-Coder-1.5B: Tainan releases summarized as about Taipei (臺北 shares 臺 with
        # 臺南, not a character with 花蓮), Kobe's museum put in Osaka (the one Japanese city named).
        ("Taipei", "南市府召開會議，回顧去年臺南市面臨花蓮7.2級地震。", "Tainan"),
        ("Osaka", "集結荷蘭國家博物館、日本神戶市立博物館等館舍，今日於臺南開幕。", "Kobe"),
        ("Taipei", "台南與高雄合辦，屏東協辦。", "Tainan"),
        # No one city stands out: two that share a character, or none of the same country.
        ("Taipei", "臺南與臺中合辦展覽。", None),
        ("Tokyo", "臺南市府召開會議。", None),
        ("Taipei", "南市府召開會議。", None),  # a short form names no city to write in
        ("Seoul", "首爾與臺南。", None),  # a city of the source is not wrong
    ],
)
def test_meant_city(wrong, source, meant):
    from summarize.places import meant_city

    assert meant_city(wrong, source) == meant


@pytest.mark.parametrize(
    ("english", "source"),
    [
        # News abbreviations of the city a correct translation names: left alone, not rewritten
        # to the other city of the paragraph, and not flagged.
        ("The Kaohsiung City Government will host the forum. Tainan will send a delegation.", "高市府將主辦論壇。臺南市將派代表團參加。"),
        ("The Taipei Metro will add trains. Tainan buses will run later.", "北捷將加開列車。臺南公車也將延長營運。"),
        ("Taipei and New Taipei saw heavy rain. Tainan was sunny.", "雙北地區降下大雨。臺南則是晴天。"),
        ("The old capital, Tainan, welcomed visitors. Kaohsiung joined too.", "府城迎接遊客。高雄也一同參與。"),
        ("The Taoyuan City Government announced the plan. Taichung agreed.", "桃市府宣布此計畫。臺中市表示同意。"),
        ("Chiayi City will host the event. Tainan will help.", "嘉市將舉辦此活動。臺南市將協助。"),
        ("Keelung City will host the event. Taipei will help.", "基市將舉辦此活動。臺北市將協助。"),
        # A region's or a place's abbreviation: each city was rewritten into the paragraph's other one.
        ("Taipei, New Taipei and Keelung share a pass. Tainan studies it.", "北北基通勤月票上路。臺南研議跟進。"),
        ("Hsinchu Science Park revenue grew. Tainan's grew too.", "竹科營收成長。臺南也成長。"),
        ("Yunlin, Chiayi and Tainan saw rain. Kaohsiung was dry.", "雲嘉南豪雨。高雄無雨。"),
        ("Kaohsiung and Pingtung saw rain. Tainan was dry.", "高屏豪雨。臺南無雨。"),
        ("Taichung, Changhua and Nantou saw rain. Tainan was dry.", "中彰投豪雨。臺南無雨。"),
    ],
)
def test_a_city_the_article_names_by_a_news_abbreviation_is_left_alone(english, source):
    from summarize import verify

    assert verify.fix_wrong_cities(english, source) == (english, [])
    assert [c.phrase for c in verify.check(english, source) if c.kind == "name"] == []


@pytest.mark.parametrize(
    "source",
    [
        # A Cantonese talk set in 尖沙咀 never writes 香港: its summary's "Hong Kong" was flagged, and
        # the benchmark counted the summary unusable.
        "尖沙咀彌敦道嘅舖位減租六成。",
        "旺角同銅鑼灣嘅租金跌咗。",
        "铜锣湾与九龙的店铺。",  # in Simplified too
        "深水埗、油麻地、將軍澳同新界。",
    ],
)
def test_a_district_of_hong_kong_supports_hong_kong_without_naming_it_in_a_prompt(source):
    from summarize import verify

    english = "Shops in Hong Kong won a rent cut."
    assert [c.phrase for c in verify.check(english, source) if c.kind == "name"] == []
    assert verify.fix_wrong_cities(english, source) == (english, [])
    assert cities_in(source) == []  # a district names no city in the places line of a request


@pytest.mark.parametrize(
    ("english", "source", "city"),
    [
        ("Tainan exports rose.", "越南市場的出口成長。", "Tainan"),  # 南市 inside 越南市場
        ("The Hong Kong office opened.", "港口辦公室啟用。", "Hong Kong"),  # 港 inside 港口
        ("Taipei residents voted.", "新北市民投票。", "Taipei"),  # 北市 inside 新北市
        ("Taichung students took the test.", "高中科目考試登場。", "Taichung"),  # 中科 inside 高中科目
        ("The Hong Kong office opened.", "小港機場辦公室啟用。", "Hong Kong"),  # 港 inside 小港, Kaohsiung's district
        ("Taichung engineers built it.", "中科院研發成功。", "Taichung"),  # 中科院 is no science park
        ("Hong Kong firms invested.", "重慶九龍坡區招商。", "Hong Kong"),  # 九龍坡 is Chongqing's district
        ("The Hong Kong port opened.", "福建九龍江口的港區啟用。", "Hong Kong"),  # a river in Fujian
    ],
)
def test_a_short_form_inside_another_word_names_no_city(english, source, city):
    from summarize import verify

    assert [c.phrase for c in verify.check(english, source) if c.kind == "name"] == [city]


@pytest.mark.parametrize(
    ("english", "source"),
    [
        # A Simplified article's cities were unknown: its correct "Tokyo" was rewritten "Kyoto"
        # (京都 in 东京都 was the one Japanese city left), Hualien and Guangzhou listed unsupported.
        ("The Tokyo Metropolitan Government will work with Osaka. Hualien and Guangzhou joined.",
         "东京都政府宣布将与大阪府合作，花莲县与广州代表团也出席。"),
        ("The Taipei City Government and New Taipei agreed.", "双北市府同意。"),
    ],
)
def test_a_simplified_article_names_its_cities(english, source):
    from summarize import verify

    assert verify.fix_wrong_cities(english, source) == (english, [])
    assert [c.phrase for c in verify.check(english, source) if c.kind == "name"] == []


def test_a_summary_naming_kyoto_for_a_tokyo_article_is_caught():
    from summarize import verify

    fixed, corrections = verify.fix_wrong_cities("The Kyoto government announced it.", "東京都政府今天宣布。")
    assert fixed == "The Tokyo government announced it." and len(corrections) == 1


def test_the_simplified_forms_of_place_names_are_opencc_s():
    # The table is written by hand, character by character, so that importing summarize loads no
    # converter; this keeps it true to OpenCC's t2s as characters are added (銅鑼灣 → 铜锣湾).
    from summarize.places import _T2S
    from summarize.text import _t2s

    converter = _t2s()  # the converter summarize.text loads when it needs one
    assert {chr(k): chr(v) for k, v in _T2S.items()} == {chr(k): converter.convert(chr(k)) for k in _T2S}


# -- China ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, named",
    [
        ("行政院長表示，政府將持續推動我國半導體產業發展。", False),  # 我國 is Taiwan
        ("中華隊今晚以3比2擊敗日本隊。", False),  # Chinese Taipei
        ("中華民國國慶日，中華郵政發行紀念郵票。", False),
        ("分析師表示，中美貿易摩擦仍是風險。", True),
        ("陸委會表示，兩岸交流持續。", True),
        ("深圳市政府宣布新措施。", True),  # a city of China
        ("中国大陆出口增长。", True),  # Simplified
        ("The report compares China and the US.", True),
    ],
)
def test_names_china(source, named):
    assert names_china(source) is named


def test_names_that_hold_china_and_name_another_thing_are_not_mentions():
    text = "The Republic of China, China Airlines and the South China Sea; China itself."
    assert [m.start() for m in china_mentions(text)] == [text.rindex("China")]
