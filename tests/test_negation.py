"""Negations an English translation adds to a source that negates nothing."""

from __future__ import annotations

import pytest

from summarize.negation import added_negation, english_negations, misread_words, negates

# The sentence of a lantern-festival notice the reference model translated with "no".
DRONES = "觀光旅遊局長林國華說，燈會期間每晚六點至十點點燈，並有無人機表演，每場使用五百架無人機。"


@pytest.mark.parametrize(
    "english, word",
    [
        ("There will be no human-machine performances, each with 500 drones.", "no"),
        ("The festival will not have drone shows.", "not"),
        ("The show won't use drones.", "n't"),
        ("Lanterns are lit without drone shows.", "without"),
        ("There will be drone shows, with 500 drones each night from 6 to 10 p.m.", ""),
        ("Drones are used not only at night.", ""),  # a set phrase negates nothing
    ],
)
def test_english_that_negates_a_source_that_negates_nothing_is_named(english, word):
    assert added_negation(DRONES, english) == word


@pytest.mark.parametrize(
    "source",
    [
        "市府表示，活動不收費。",  # 不
        "局長說，今年燈會未設置主燈。",  # 未
        "市府宣布，明天停班停課。",  # a stop
        "門票免費，民眾可自由入場。",  # 免: "free of charge", "without a ticket"
        "佢話唔會再加租。",  # Cantonese 唔
        "He said the plan was \"not final\"，市府將再研議。",  # a quoted English negation
    ],
)
def test_a_source_that_may_negate_lets_its_english_negate(source):
    assert negates(source)
    assert added_negation(source, "The event will not charge admission.") == ""


@pytest.mark.parametrize(
    "source",
    [
        DRONES,
        "市長表示，未來三年將投入五億元改善排水系統。",  # 未來 is "future"
        "這項計畫非常成功，相關單位持續推動。",  # 非常 "very", 相關 "related"
        "市府表示，本次展覽邀請非洲五國的藝術家參與。",
    ],
)
def test_words_whose_negating_character_negates_nothing_are_not_negations(source):
    assert not negates(source)
    assert added_negation(source, "It was not a success.") == "not"


@pytest.mark.parametrize(
    "english",
    [
        "Applications close no later than March 1.",
        "Bus No. 5 runs every ten minutes.",
        "Each show uses no more than 500 drones.",
        "It was nothing less than a triumph.",
        "The lanterns stay lit whether or not it rains.",
    ],
)
def test_set_phrases_that_negate_nothing_are_not_counted(english):
    assert english_negations(english) == []


def test_the_words_named_when_asking_again_are_those_a_model_may_read_as_a_negation():
    assert misread_words(DRONES + "相關單位表示，未來將持續辦理。") == {"無人機": "drone", "未來": "future"}
    assert misread_words("相關單位表示將持續辦理。") == {}  # 相關 hides a stop only for the check
