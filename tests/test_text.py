"""Script repair (text.to_traditional, text.in_simplified): correct Traditional text stays as written."""

from __future__ import annotations

import pytest
from conftest import corpus_text

from summarize.text import in_chinese, in_simplified, script_language, to_traditional


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


# What a model copies from the article it summarizes (the disaster-prevention release names
# 李明峯; stories write 山裏, 半斗米, 纔).
ARTICLE = (
    "臺南市消防局長李明峯今日獲內政部頒發救災獎章，表彰他去年帶隊馳援花蓮震災。"
    "李明峯表示，將繼續推動「山裏的孩子」防災教育計畫。他回憶早年家境清寒，常常糴不到半斗米。"
)


@pytest.mark.parametrize(
    "reply, repaired",
    [
        # A Traditional reply: before, s2tw made 李明峰, 山裡 and 半鬥米 of it and counted 3 fixes.
        ("李明峯將推動「山裏的孩子」計畫，並以早年糴不到半斗米的經歷體會災民處境。", None),
        # A drifted sentence that copies them: only the drift is repaired (before, 李明峰 and 半鬥米).
        ("李明峯说，他早年糴不到半斗米。", "李明峯說，他早年糴不到半斗米。"),
    ],
)
def test_the_articles_own_forms_stay_as_written(reply, repaired):
    expected = reply if repaired is None else repaired
    assert to_traditional(reply, source=ARTICLE) == (expected, sum(a != b for a, b in zip(reply, expected)))


@pytest.mark.parametrize(
    "drifted, repaired",
    [
        # Before, the 台, 里 and 郁 of _TAIWAN_SHARED stayed as written: 台風, 這里, 心里, 憂郁.
        ("去年凯米台风来袭，市府在这里投入经费，市民心里更安心。", "去年凱米颱風來襲，市府在這裡投入經費，市民心裡更安心。"),
        ("他心情忧郁，但工作扎实。", "他心情憂鬱，但工作紮實。"),  # as s2tw writes them
        # 台南 and 宣布 are what Taiwan writes for s2tw's 臺南 and 宣佈: they stay.
        ("台南市政府宣布，这里将新增航线。", "台南市政府宣布，這裡將新增航線。"),
    ],
)
def test_simplified_drift_is_repaired_as_s2tw_reads_it(drifted, repaired):
    assert to_traditional(drifted)[0] == repaired
    # an article that writes 颱風, 里 and 郁 elsewhere is no excuse for them
    article = "凱米颱風來襲，七甲里的里長郁先生表示，這裡的市民心裡更安心。"
    assert to_traditional(drifted, source=article)[0] == repaired


def test_a_simplified_article_is_no_guide():
    # Copying a Simplified article's 台风 is the drift to repair.
    article = "强烈台风凯米昨晚登陆，气象部门表示，台风中心这里附近风力最强。"
    assert to_traditional("台风中心这里附近风力最强。", source=article)[0] == "颱風中心這裡附近風力最強。"


def test_a_sentence_of_shared_characters_is_drift_in_a_simplified_reply():
    # 家里 is written the same in a Traditional sentence (七甲里 is a borough); in a reply in
    # Simplified it is drift. Before, it stayed 家里.
    assert to_traditional("居民被告知待在家里。") == ("居民被告知待在家里。", 0)
    assert to_traditional("居民被告知待在家里。", simplified=True) == ("居民被告知待在家裡。", 1)
    assert to_traditional("台风来了。居民被告知待在家里。")[0] == "颱風來了。居民被告知待在家裡。"


@pytest.mark.parametrize(
    "name",
    [
        "hk-cantonese-radio-talk-hkcancor-1998.zh-Hant.txt",  # 裏, and Cantonese 吓 and 揾
        "lai-he-dou-nao-re-short-story-1926.zh-Hant.txt",  # 纔, 半斗米
        "tainan-disaster-prevention-review-press-release-2025.zh-Hant.txt",  # 峯, 颱風, 里
        "tainan-1624-world-island-taiwan-exhibition-press-release-2024.zh-Hant.txt",  # 台 and 臺, a stray 来
    ],
)
def test_a_traditional_article_copied_whole_is_unchanged(name):
    # Before, its variants were "repaired" (峯 → 峰, 纔 → 才, 半斗米 → 半鬥米) and counted as drift.
    article = corpus_text(name)
    assert to_traditional(article, source=article) == (article, 0)


@pytest.mark.parametrize(
    "reply, language",
    [
        ("臺南市政府今天宣布，明年起擴大公車路網。", "Chinese"),
        ("The city will add routes. 臺南市政府今天宣布明年起擴大公車路網。", "Chinese"),  # a sentence left in Chinese
        ("市政府は、来年からバス路線網を拡大すると発表した。", "Japanese"),
        ("The city said 市政府は、来年からバス路線網を拡大すると発表した。", "Japanese"),
        ("優衣庫（ユニクロ）今天在臺北開設新店。", "Chinese"),  # Chinese writing a brand in katakana
        ("시 정부는 내년부터 버스 노선망을 확대한다고 발표했다.", "Korean"),
        ("臺南市（타이난시）정부는 내년부터 버스 노선망을 확대한다고 발표했다.", "Korean"),
        ("Городская администрация расширит сеть автобусов.", "a language other than English"),
        ("1,234 / 56%", "Chinese"),  # no letters: the re-ask's words as they always were
    ],
)
def test_script_language_names_what_a_reply_meant_to_be_english_was_in(reply, language):
    assert script_language(reply) == language
