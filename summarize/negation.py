"""Negations an English translation adds: a "no" or "not" its Chinese source does not hold.

Small models read 無 ("without") inside a word as a negation of the sentence. On the reference
model (Qwen2.5-Coder-1.5B) 並有無人機表演 ("and there are drone shows") came back as "there will
be no human-machine performances" in 5 of 6 translations of two sentences. Every figure and
name survives such an inversion, so no other check sees it.

The check is one-sided on purpose. The English side counts the words that negate a sentence
(no, not, never, without, …), leaving out set phrases that negate nothing the source need say
("no later than" for a deadline's 前, "No. 5" for 5號). The source side counts any character
that can carry a negation, an absence or a stop (不, 未, 免, 停, 缺, 禁, 取消, …), outside the
words whose such character negates nothing (``NOT_NEGATING``: 無人機, 未來, 非常, 相關, …).
A source holding any of them lets its English negate freely; only English that negates a source
which negates nothing at all is flagged.
"""

from __future__ import annotations

import re

# Words whose negating character negates nothing in them, with what they mean: the source is read
# without them. 無人機 was misread on the reference model; the rest are everyday words that would
# otherwise hide every added negation in their sentence (非常 "very", 相關 "related", 未來 "future").
NOT_NEGATING: dict[str, str] = {
    "無人機": "drone", "无人机": "drone", "空拍機": "drone",
    "未來": "future", "未来": "future",
    "非常": "very", "非洲": "Africa", "南非": "South Africa",
    "不丹": "Bhutan", "無錫": "Wuxi", "无锡": "Wuxi", "莫斯科": "Moscow",
    "相關": "related", "有關": "about", "關於": "about", "關係": "relation", "機關": "agency", "海關": "customs",
    "关于": "about", "相关": "related", "有关": "about", "关系": "relation", "机关": "agency", "海关": "customs",
    "特別": "special", "分別": "respectively", "個別": "individual", "類別": "category", "性別": "gender", "級別": "level",
    "特别": "special", "分别": "respectively", "个别": "individual", "类别": "category", "性别": "gender", "级别": "level",
    "消防": "fire service", "防災": "disaster prevention", "防灾": "disaster prevention", "國防": "defence", "国防": "defence",
    "空間": "space", "空间": "space", "航空": "aviation", "空氣": "air", "空气": "air",
    "休息": "rest", "退休": "retirement", "延長": "extend", "延长": "extend", "延續": "continue", "延续": "continue",
    "零售": "retail", "零件": "parts", "至少": "at least", "少年": "youth",
    "災難": "disaster", "灾难": "disaster", "困難": "difficulty", "困难": "difficulty", "難民": "refugee", "难民": "refugee",
}
_NOT_NEGATING = re.compile("|".join(sorted(map(re.escape, NOT_NEGATING), key=len, reverse=True)))

# Characters that can carry a negation, an absence or a stop, Traditional and Simplified, with
# Cantonese 唔, 冇 and 咪: wherever one stands, an English "no" or "not" may be a translation.
_NEGATING = re.compile(
    "[不沒没無无未非否莫勿別别毋甭弗罔唔冇咪免禁缺乏欠零難难拒停休消延關关閉闭止除失避防抗反違违空僅仅只唯罕邊边哪豈岂何]"
)

# The English words that negate (with "n't", which ends another word): this check's and the loop
# check's (``loops``: a sentence said again with one of them put in or left out is no repeat).
EN_NEGATING_WORDS = ("no", "not", "never", "none", "nothing", "nobody", "neither", "nor", "without", "cannot")
_EN_NEGATION = re.compile(rf"\b(?:{'|'.join(EN_NEGATING_WORDS)})\b|n['’]t\b", re.IGNORECASE)
# Set phrases with a negating word that say nothing the source must negate: a deadline (前, 截止),
# a cap (以內, 最多), a number (第5號), "not only" (不但, 更), "not until" (才).
_EN_NOT_NEGATING = re.compile(
    r"\bno\.?\s*\d|\bno\s+(?:later|earlier|more|less|fewer|sooner)\s+than\b|\bnot\s+(?:only|just|least|until)\b"
    r"|\bnone\s+other\s+than\b|\bnothing\s+(?:but|less\s+than|short\s+of)\b|\bwithout\s+(?:delay|fail|doubt)\b"
    r"|\bwhether\s+or\s+not\b|\bnot\s+to\s+mention\b|\bno\s+matter\b|\bno\s+doubt\b",
    re.IGNORECASE,
)


def english_negations(text: str) -> list[str]:
    """The words negating something in English ``text``, set phrases left out ("not only",
    "no later than", "No. 5")."""
    return [match.group(0) for match in _EN_NEGATION.finditer(_EN_NOT_NEGATING.sub(" ", text))]


def negates(source: str) -> bool:
    """Whether Chinese ``source`` may negate something: a negating character outside the words
    where it negates nothing (``NOT_NEGATING``), or an English negation in a quoted English part."""
    bare = _NOT_NEGATING.sub(" ", source)
    return _NEGATING.search(bare) is not None or bool(english_negations(bare))


def added_negation(source: str, english: str) -> str:
    """The first negating word of ``english`` when its Chinese ``source`` negates nothing, as the
    pair check reports it ("no"); "" when the source may negate or the English does not."""
    found = english_negations(english)
    return found[0] if found and not negates(source) else ""


# The characters that negate on their own, which a model may take for a negation of the sentence.
_PLAIN_NEGATIONS = set("不沒没無无未非莫")


def misread_words(source: str) -> dict[str, str]:
    """The words of ``source`` holding a plain negation (無, 不, 非, 未, …) that negates nothing
    in them, with their meaning: what a request asking again names (``{"無人機": "drone"}``)."""
    found = dict.fromkeys(_NOT_NEGATING.findall(source))
    return {word: NOT_NEGATING[word] for word in found if _PLAIN_NEGATIONS & set(word)}
