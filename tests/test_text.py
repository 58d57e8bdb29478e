"""Script repair (text.to_traditional, text.in_simplified): correct Traditional text stays as written."""

from __future__ import annotations

import pytest

from summarize.text import in_simplified, to_traditional


@pytest.mark.parametrize(
    "text",
    [
        # Traditional in these words, and the Simplified form of another character too:
        # s2tw wrote 幹擾, 範先生, 於小姐 and 姓遊.
        "臺中市后里區公所今天表示，若干居民反映干擾問題。",
        "皇后鎮的范先生與于小姐出席。",
        "這家麵店的老闆姓游，他每天早上去游泳。",
        "立法院批准許可，岳飛的故事在托兒所講過，雨量達200公厘。",
        "太后與后妃",
    ],
)
def test_correct_traditional_text_comes_back_unchanged(text):
    assert to_traditional(text) == (text, 0)
    assert not in_simplified(text)


@pytest.mark.parametrize(
    "drifted, repaired",
    [
        # in a sentence written in Simplified the same characters are drift, and repaired
        ("航班之后噪音变大。", "航班之後噪音變大。"),
        ("这个范围很大，游客很多。", "這個範圍很大，遊客很多。"),
        ("若干居民反映干扰问题。", "若干居民反映干擾問題。"),  # as s2tw reads the Simplified phrase
        # judged sentence by sentence: the correct one keeps its 后, the drifted one is repaired
        ("臺中市后里區公所今天表示。以后再说。", "臺中市后里區公所今天表示。以後再說。"),
    ],
)
def test_the_same_characters_in_a_simplified_sentence_are_repaired(drifted, repaired):
    assert to_traditional(drifted)[0] == repaired
    assert in_simplified(drifted)
