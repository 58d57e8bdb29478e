"""Script repair (text.to_traditional, text.in_simplified): correct Traditional text stays as written."""

from __future__ import annotations

import pytest

from summarize.text import in_chinese, in_simplified, to_traditional


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


@pytest.mark.parametrize(
    "text, chinese",
    [
        ("臺南市今天宣布運河導覽船新增三條航線，觀光局表示去年載客約八萬六千人次。", True),
        # Japanese: its kanji are over a fifth of its letters, but its grammar is hiragana.
        ("台南市は来年、運河の遊覧船に新しい航路を三つ追加すると発表した。", False),
        ("政府は１５日、新型コロナウイルス対策本部を開き、緊急事態宣言の延長を決定した。", False),
        # Chinese that quotes a Japanese title, brand or name is still Chinese.
        ("日本動畫《鬼滅の刃》在台上映首週票房突破新台幣一億元，創下日本動畫在台最佳開片紀錄。", True),
        ("優衣庫（ユニクロ）今日宣布在台北開設旗艦店，店內販售ヒートテック系列商品。", True),
        ("美國總統唐納・川普今天抵達東京，與日本首相石破茂會面。", True),
        ("The council approved a park budget of 3.2 million dollars.", False),
    ],
)
def test_japanese_is_not_taken_for_chinese(text, chinese):
    assert in_chinese(text) is chinese


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tainan will add twelve bus routes.", False),
        ("Mayor Huang Wei-che (黃偉哲) said the city will add routes.", False),  # a gloss is no other language
        ("Đà Nẵng and São Paulo signed.", False),  # Latin letters with marks are Latin
        ("2024/02/02 12:00", False),  # no letters: not judged
        ("臺南市政府宣布明年起擴大公車路網。", True),
        ("政府は15日、対策本部を開いた。", True),
        ("정부는 15일 대책본부를 열었다.", True),
        ("Правительство заявило.", True),
    ],
)
def test_not_english(text, expected):
    from summarize.text import not_english

    assert not_english(text) is expected
