"""Taiwan's official names, given to every request whose text holds them."""

from __future__ import annotations

from fake_translator import glossary_in, translator

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


def test_a_summary_request_is_given_the_official_names_its_text_holds_under_the_users(scripted, scripted_settings):
    # On the reference model 經濟部 came back "the Ministry of Finance" in 3 of 3 translations.
    summarize_article(RELEASE, glossary={"經濟部": "MOEA"}, settings=scripted_settings)
    # 行政院 is inside 行政院長 only: the longer name alone is given (glossary.present).
    assert glossary_in(scripted.chat_requests[0]) == {"經濟部": "MOEA", "行政院長": "Premier"}


def test_a_whole_article_translation_is_not_given_them(scripted, scripted_settings):
    # With them, the 1624 release's last paragraphs came back in Chinese on the reference model.
    scripted.default = translator()
    result = translate_article(RELEASE, settings=scripted_settings)
    assert glossary_in(scripted.chat_requests[0]) == {} and result.glossary == {}


def test_a_summary_request_is_given_them_too(scripted, scripted_settings):
    summarize_article(RELEASE, settings=scripted_settings)
    (request,) = scripted.chat_requests
    assert glossary_in(request) == {"經濟部": "Ministry of Economic Affairs", "行政院長": "Premier"}


def test_a_key_sentence_summary_is_given_them(scripted, scripted_settings):
    # A small model's summary translates the key sentences: their request holds the entries.
    scripted.models = ["qwen2.5-coder-1.5b-instruct"]
    scripted.default = translator()
    summary = summarize_article(RELEASE, settings=scripted_settings.replace(model="qwen2.5-coder-1.5b-instruct"))
    assert summary.method == "key-sentences"
    assert glossary_in(scripted.chat_requests[0]).get("經濟部") == "Ministry of Economic Affairs"
