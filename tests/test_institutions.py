"""Taiwan's official names, given to every request whose text holds them."""

from __future__ import annotations

from fake_translator import glossary_in, is_extraction, translator

from summarize import summarize_article, translate_article
from summarize.institutions import OFFICIAL, official_names

RELEASE = "\n".join(
    [
        "經濟部公布第三季出口數據",
        "經濟部今天表示，我國第三季出口金額達1,250億美元，創歷史新高。",
        "行政院長卓榮泰表示，政府將持續推動半導體產業發展。",
        "分析師認為，出口動能可望延續到明年。",
    ]
)


def test_official_names_are_the_entries_a_text_holds():
    assert official_names(RELEASE) == {
        "行政院": "Executive Yuan", "行政院長": "Premier", "經濟部": "Ministry of Economic Affairs"
    }
    assert official_names("分析師認為，出口動能可望延續。") == {}
    # A short form gives the official name too.
    assert official_names("衛福部與國科會合作。") == {
        "衛福部": "Ministry of Health and Welfare", "國科會": "National Science and Technology Council"
    }


def test_no_official_name_is_an_everyday_word():
    # Each must name one body only: 央行 is inside 中央行政, 高鐵 any high-speed rail.
    assert "央行" not in OFFICIAL and "高鐵" not in OFFICIAL
    assert all(len(name) >= 2 for name in OFFICIAL)


def test_a_translation_request_is_given_the_official_names_its_paragraphs_hold(scripted, scripted_settings):
    # On the reference model 經濟部 came back "the Ministry of Finance" in 3 of 3 translations.
    scripted.default = translator()
    result = translate_article(RELEASE, settings=scripted_settings)
    (request,) = scripted.chat_requests
    # 行政院 is inside 行政院長 only: the longer name alone is given (glossary.present).
    assert glossary_in(request) == {"經濟部": "Ministry of Economic Affairs", "行政院長": "Premier"}
    assert result.glossary["經濟部"] == "Ministry of Economic Affairs"


def test_the_users_entry_for_the_same_name_wins(scripted, scripted_settings):
    scripted.default = translator()
    translate_article(RELEASE, glossary={"經濟部": "MOEA"}, settings=scripted_settings)
    assert glossary_in(scripted.chat_requests[0]) == {"經濟部": "MOEA", "行政院長": "Premier"}


def test_the_models_own_names_do_not_override_the_official_ones(scripted, scripted_settings):
    # Several chunks and no glossary: the run asks the model for names, and it offers its guess.
    scripted.default = translator(names="經濟部 => Ministry of Finance")
    long = RELEASE + "\n" + "\n".join(f"經濟部第{i}次說明，出口持續成長。" for i in range(1, 30))
    result = translate_article(long, settings=scripted_settings, chunk_tokens=120)
    assert any(is_extraction(r) for r in scripted.chat_requests)
    assert result.glossary["經濟部"] == "Ministry of Economic Affairs"
    assert all(glossary_in(r).get("經濟部") == "Ministry of Economic Affairs" for r in scripted.chat_requests
               if not is_extraction(r) and "經濟部" in r.user_text)


def test_a_summary_request_is_given_them_too(scripted, scripted_settings):
    summarize_article(RELEASE, settings=scripted_settings)
    (request,) = scripted.chat_requests
    assert glossary_in(request) == {"經濟部": "Ministry of Economic Affairs", "行政院長": "Premier"}


def test_a_translation_into_chinese_is_given_none(scripted, scripted_settings):
    scripted.default = translator(lambda source: "經濟部表示出口創新高。")
    translate_article("The Ministry of Economic Affairs said exports hit a record.", target="zh-Hant",
                      settings=scripted_settings)
    assert glossary_in(scripted.chat_requests[0]) == {}
