"""Place names whose English form is fixed: the one table the prompts and the checks share.

Small models put a place they cannot read where they expect one: on Qwen2.5-Coder-1.5B the
summaries of two Tainan city releases said "Taipei" (the releases write 臺南市, 台南 and, in
their titles, the abbreviation 南市). Each request is given the places its text holds, as
glossary lines ("臺南 => Tainan"), and the figure check flags a city its source does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# English → how Chinese writes it. Cities and counties of Taiwan, cities of China and cities
# abroad whose Chinese names are fixed (a small model puts Kobe's museum in Osaka).
CITIES: dict[str, tuple[str, ...]] = {
    "New Taipei": ("新北",), "Taipei": ("臺北", "台北", "北市"), "Taichung": ("臺中", "台中", "中市"),
    "Tainan": ("臺南", "台南", "南市"), "Kaohsiung": ("高雄",), "Taoyuan": ("桃園",), "Hsinchu": ("新竹", "竹市", "竹縣"),
    "Keelung": ("基隆",), "Chiayi": ("嘉義",), "Hualien": ("花蓮",), "Taitung": ("臺東", "台東"), "Yilan": ("宜蘭",),
    "Pingtung": ("屏東",), "Changhua": ("彰化",), "Nantou": ("南投",), "Yunlin": ("雲林",), "Miaoli": ("苗栗",),
    "Penghu": ("澎湖",), "Kinmen": ("金門",), "Matsu": ("馬祖",), "Beijing": ("北京",), "Shanghai": ("上海",),
    "Hong Kong": ("香港", "港"), "Macau": ("澳門",), "Macao": ("澳門",), "Shenzhen": ("深圳",), "Hangzhou": ("杭州",),
    "Guangzhou": ("廣州",), "Wuhan": ("武漢",), "Nanjing": ("南京",), "Chongqing": ("重慶",), "Tianjin": ("天津",),
    "Tokyo": ("東京",), "Osaka": ("大阪",), "Kyoto": ("京都",), "Kobe": ("神戶", "神户"), "Seoul": ("首爾", "漢城"),
    "Amsterdam": ("阿姆斯特丹",), "The Hague": ("海牙",), "Leiden": ("萊頓",), "London": ("倫敦",), "Paris": ("巴黎",),
    "Berlin": ("柏林",), "New York": ("紐約",), "Silicon Valley": ("矽谷",), "Manila": ("馬尼拉",), "Bangkok": ("曼谷",),
    "Hanoi": ("河內",), "Sydney": ("雪梨", "悉尼"),
}

# Short forms that stand for a city only in a text that also names it in full (南市 is 臺南市 in
# a Tainan release, but 港 is in 港口 everywhere), and only where they stand alone (北市 inside
# 新北市 is not Taipei): how the glossary writes each.
_SHORT = {"北市": "Taipei City", "中市": "Taichung City", "南市": "Tainan City", "竹市": "Hsinchu City", "竹縣": "Hsinchu County"}
_ALONE = {form: re.compile(f"(?<![臺台新]){form}") for form in _SHORT}
_ONE_NAME = {"Macao"}  # the same city as Macau: the glossary gives one form


def _forms() -> dict[str, str]:
    table: dict[str, str] = {}
    for english, forms in CITIES.items():
        if english in _ONE_NAME:
            continue
        for form in forms:
            if len(form) > 1 and form not in _SHORT:
                table[form] = english
    return table


_FULL = _forms()


def places_in(text: str) -> dict[str, str]:
    """The places ``text`` holds, as glossary entries (Chinese form → English), in the order of
    first occurrence; a short form only when the text also names its city in full.

    Example::

        >>> places_in("南市災防全面升級。臺南市府召開會議，花蓮地震……")
        {'南市': 'Tainan City', '臺南': 'Tainan', '花蓮': 'Hualien'}
    """
    found = {form: english for form, english in _FULL.items() if form in text}
    named = set(found.values())
    for form, english in _SHORT.items():
        if english.rsplit(" ", 1)[0] in named and _ALONE[form].search(text):
            found[form] = english
    return {form: found[form] for form in sorted(found, key=text.find)}


def merged(places: Mapping[str, str], glossary: Mapping[str, str]) -> dict[str, str]:
    """The places with the user's glossary over them: the user's form wins for a name both give."""
    return {**{form: english for form, english in places.items() if form not in glossary}, **glossary}
