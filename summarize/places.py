"""Place names whose English form is fixed: the one table the prompts and the checks share.

Small models put a place they cannot read where they expect one: on Qwen2.5-Coder-1.5B the
summaries of two Tainan city releases said "Taipei" (the releases write 臺南市, 台南 and, in
their titles, the abbreviation 南市). A request writing English ends by naming, in English,
the places its text holds (``prompts.places_line``); the name check flags a city its source
does not hold.
"""

from __future__ import annotations

import re

# Districts and a street that are Hong Kong's alone: a talk set in 尖沙咀 never writes 香港, and a
# summary's correct "Hong Kong" was flagged as a name the article does not give. 中環 is not
# among them: it is also Shanghai's ring road. (灣仔 is also Zhuhai's, 沙田 a road in many cities.)
_HONG_KONG_PLACES = ("尖沙咀", "尖沙嘴", "旺角", "銅鑼灣", "油麻地", "深水埗", "九龍", "新界", "彌敦道", "將軍澳")

# English → how Chinese writes it, by country: cities and counties of Taiwan, cities of China and
# cities abroad whose Chinese names are fixed (a small model puts Kobe's museum in Osaka). A city
# a model misread is taken for another of the same country (``meant_city``).
_BY_COUNTRY: dict[str, dict[str, tuple[str, ...]]] = {
    "Taiwan": {
        "New Taipei": ("新北", "雙北", "北北基"), "Taipei": ("臺北", "台北", "北市", "雙北", "北捷", "北北基"),
        "Taichung": ("臺中", "台中", "中市", "中捷", "中科", "中彰投"),
        "Tainan": ("臺南", "台南", "南市", "府城", "南科", "嘉南", "雲嘉南"),
        "Kaohsiung": ("高雄", "高市", "高捷", "小港", "高屏"), "Taoyuan": ("桃園", "桃市", "桃捷", "桃機", "北北基桃", "基北北桃"),
        "Hsinchu": ("新竹", "竹市", "竹縣", "竹科", "竹竹苗"), "Keelung": ("基隆", "基市", "北北基"),
        "Chiayi": ("嘉義", "嘉市", "嘉縣", "嘉南", "雲嘉南"), "Hualien": ("花蓮", "花縣", "花東"),
        "Taitung": ("臺東", "台東", "東縣", "花東"), "Yilan": ("宜蘭", "宜縣", "宜花東"),
        "Pingtung": ("屏東", "屏縣", "高屏"), "Changhua": ("彰化", "彰縣", "彰市", "中彰投"), "Nantou": ("南投", "投縣", "中彰投"),
        "Yunlin": ("雲林", "雲縣", "雲嘉南"), "Miaoli": ("苗栗", "苗縣", "竹竹苗"), "Penghu": ("澎湖",), "Kinmen": ("金門",),
        "Matsu": ("馬祖",),
    },
    "China": {
        "Beijing": ("北京",), "Shanghai": ("上海",), "Hong Kong": ("香港", "港", *_HONG_KONG_PLACES), "Macau": ("澳門",), "Macao": ("澳門",),
        "Shenzhen": ("深圳",), "Hangzhou": ("杭州",), "Guangzhou": ("廣州",), "Wuhan": ("武漢",), "Nanjing": ("南京",),
        "Chongqing": ("重慶",), "Tianjin": ("天津",),
    },
    "Japan": {"Tokyo": ("東京",), "Osaka": ("大阪",), "Kyoto": ("京都",), "Kobe": ("神戶", "神户")},
    "Korea": {"Seoul": ("首爾", "漢城")},
    "Netherlands": {"Amsterdam": ("阿姆斯特丹",), "The Hague": ("海牙",), "Leiden": ("萊頓",)},
    "United Kingdom": {"London": ("倫敦",)}, "France": {"Paris": ("巴黎",)}, "Germany": {"Berlin": ("柏林",)},
    "United States": {"New York": ("紐約",), "Silicon Valley": ("矽谷",)}, "Philippines": {"Manila": ("馬尼拉",)},
    "Thailand": {"Bangkok": ("曼谷",)}, "Vietnam": {"Hanoi": ("河內",)}, "Australia": {"Sydney": ("雪梨", "悉尼")},
}
# How Simplified Chinese writes the characters of those names (OpenCC t2s, character by
# character): a Simplified article's 东京 or 花莲 names Tokyo or Hualien as 東京 and 花蓮 do. Unknown,
# they left its correct "Tokyo" unsupported, or rewritten into the one city it seemed to name.
_T2S = str.maketrans(
    "倫內園廣慶戶東漢爾約紐縣義臺萊蓮蘭門雙雲頓馬銅鑼灣龍彌將軍", "伦内园广庆户东汉尔约纽县义台莱莲兰门双云顿马铜锣湾龙弥将军"
)
_MAINLAND = {"Silicon Valley": ("硅谷",)}  # not a character's form, a word of its own


def _with_simplified(city: str, forms: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*forms, *(form.translate(_T2S) for form in forms), *_MAINLAND.get(city, ()))))


CITIES: dict[str, tuple[str, ...]] = {
    city: _with_simplified(city, forms) for cities in _BY_COUNTRY.values() for city, forms in cities.items()
}
COUNTRIES: dict[str, tuple[str, ...]] = {country: tuple(cities) for country, cities in _BY_COUNTRY.items()}
_COUNTRY = {city: country for country, cities in COUNTRIES.items() for city in cities}

# Short forms a text may use for a city: news abbreviations (高市府 for the Kaohsiung City
# Government, 雙北 for Taipei and New Taipei, 北捷 for Taipei's metro, 府城 for Tainan), those of a
# region (北北基, 雲嘉南, 花東) or of a place in the city (竹科, Hsinchu's science park; 桃機,
# Taoyuan's airport), some of which occur inside other words too (港 in 港口, 南市 in 越南市場).
# They support a city in a check, so that a city the article names by one is never taken for a
# misread one and rewritten ("a commuter pass for Tainan, Tainan, Tainan and Tainan" for 北北基桃
# in a Tainan release), but never name one in a prompt or as the city a misread one meant.
_SHORT_FORMS = frozenset(form for short in (
    "北市", "中市", "南市", "竹市", "竹縣", "港", "雙北", "北捷", "中捷", "府城", "高市", "高捷", "桃市",
    "桃捷", "基市", "嘉市", "嘉縣", "花縣", "東縣", "宜縣", "屏縣", "彰縣", "彰市", "投縣", "雲縣", "苗縣",
    "北北基", "北北基桃", "基北北桃", "桃機", "竹科", "竹竹苗", "中科", "中彰投", "南科", "嘉南", "雲嘉南",
    "高屏", "花東", "宜花東", *_HONG_KONG_PLACES,
) for form in (short, short.translate(_T2S)))
_ONE_NAME = {"Macao"}  # the same city as Macau
# Words that hold a short form and are no city's: 北市 in 新北市, 南市 in 越南市場, 港 in 港口.
_HOLDS_SHORT_FORM = re.compile(
    "九龍[坡江]|新北|越南|湖南|河南|[雲云]南|海南|[濟济]南|河北|湖北|集中|[漁渔商軍军海河小]港|港[口灣湾務务區区埠]|中科院|中科大|[高國国初]中科"
)
# Every full form, longest first: read from left to right, a name inside another is not named
# (京都 in 東京都, 北京都會區 or 南京都市計畫 named Kyoto, and a summary's "Kyoto" passed).
_FULL_FORMS = sorted({form for forms in CITIES.values() for form in forms if form not in _SHORT_FORMS}, key=len, reverse=True)
_NAMED = re.compile("|".join(map(re.escape, _FULL_FORMS)))
# Cities sharing a form share its match: 澳門 names Macau and Macao.
_CITIES_BY_FORM = {form: [city for city, forms in CITIES.items() if form in forms] for form in _FULL_FORMS}


def _named_in_full(text: str) -> dict[str, int]:
    """The cities ``text`` names by a full form, each with where it first does."""
    first: dict[str, int] = {}
    for match in _NAMED.finditer(text):
        for city in _CITIES_BY_FORM[match.group()]:
            first.setdefault(city, match.start())
    return first


def names_city(source: str, city: str) -> bool:
    """Whether ``source`` names ``city`` in Chinese, by a full form or a short one
    (``_SHORT_FORMS``) that is not part of another word.

    Example::

        >>> names_city("高市府將主辦論壇。", "Kaohsiung"), names_city("新北市民投票。", "Taipei")
        (True, False)
    """
    forms = CITIES[city]
    if city in _named_in_full(source):
        return True
    short = [form for form in forms if form in _SHORT_FORMS]
    if not short:
        return False
    rest = _HOLDS_SHORT_FORM.sub(" ", source)
    return any(form in rest for form in short)


def _full_forms(city: str) -> set[str]:
    return set("".join(form for form in CITIES[city] if form not in _SHORT_FORMS))


def cities_in(text: str) -> list[str]:
    """The English names of the places ``text`` names in full, in order of first occurrence.

    Example::

        >>> cities_in("南市災防全面升級。臺南市府召開會議，回顧花蓮地震……")
        ['Tainan', 'Hualien']
    """
    first = {city: at for city, at in _named_in_full(text).items() if city not in _ONE_NAME}
    return sorted(first, key=first.__getitem__)


def meant_city(wrong: str, source: str) -> str | None:
    """The city of ``source`` that a text naming ``wrong`` (a city ``source`` does not name) most
    likely misread, or None when no one city stands out.

    The candidates are the cities ``source`` names in full (``cities_in``) in the country of
    ``wrong``. One candidate is the one. Of several, the one whose Chinese name shares a
    character with ``wrong``'s, when only one does: a small model reads 臺南 as "Taipei" (臺北),
    and Kobe's museum (神戶) as one in Osaka.

    Example::

        >>> meant_city("Taipei", "臺南市府召開會議，回顧花蓮地震。")
        'Tainan'
        >>> meant_city("Osaka", "日本神戶市立博物館。"), meant_city("Taipei", "臺南與臺中合辦。")
        ('Kobe', None)
    """
    country = _COUNTRY.get(wrong)
    candidates = [city for city in cities_in(source) if _COUNTRY.get(city) == country and city != wrong]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    written = _full_forms(wrong)
    sharing = [city for city in candidates if written & _full_forms(city)]
    return sharing[0] if len(sharing) == 1 else None


# -- China ----------------------------------------------------------------------------------
#
# A Taiwanese release's 我國 ("our country") is Taiwan. On the reference model 推動我國半導體產業
# came back once in four as "the semiconductor industry in China", and 中華隊 (Chinese Taipei) as
# "China defeated Japan": a misstatement no figure or person check sees. "China" is supported
# only by an article that names China: 中國, 大陸, 中共, a Chinese city, or a word for China's side
# of a pair or trade (兩岸, 中美, 陸客, 中資). 中華 alone is not China (中華民國, 中華隊, 中華郵政).
_CHINA_FORMS = (
    "中國", "中华人民共和国", "中華人民共和國", "大陸", "大陆", "中共", "陸方", "陆方", "對岸", "对岸", "兩岸", "两岸",
    "陸客", "陆客", "陸資", "陆资", "陸生", "陆生", "陸企", "陆企", "陸股", "陆股", "陸委會", "陆委会", "中方", "中資", "中资",
    "中企", "中美", "美中", "中日", "中歐", "中欧", "中俄", "中印", "中台", "中臺", "台中關係", "中港",
)
_CHINA = re.compile("|".join(map(re.escape, _CHINA_FORMS)))
# English names holding "China" that name another thing: the Republic of China is Taiwan; the
# South and East China Seas, China Airlines (中華航空) and China Steel (中鋼) are Taiwanese or no
# country at all.
_NOT_CHINA = re.compile(r"Republic\s+of\s+China|(?:South|East)\s+China\s+Sea|China\s+(?:Airlines|Steel|Motor)\b")
_CHINA_WORD = re.compile(r"\bChina\b")
# China's cities a short form may name (Hong Kong: 港, 尖沙咀, …), which only ``names_city`` reads.
_CHINA_SHORT_FORMED = [city for city in COUNTRIES["China"] if any(form in _SHORT_FORMS for form in CITIES[city])]


def names_china(source: str) -> bool:
    """Whether ``source`` names China: in Latin letters, by a word for it (``_CHINA_FORMS``),
    or by one of its cities (``COUNTRIES["China"]``, Hong Kong's districts among them).

    Example::

        >>> names_china("行政院長表示，政府將持續推動我國半導體產業發展。"), names_china("中美貿易摩擦仍是風險。")
        (False, True)
    """
    if "china" in source.lower() or _CHINA.search(source):
        return True
    named = _named_in_full(source)  # once, not once per city (names_city reads it each time)
    return any(city in named for city in COUNTRIES["China"]) or any(
        names_city(source, city) for city in _CHINA_SHORT_FORMED
    )


def china_mentions(output: str) -> list[re.Match[str]]:
    """Where English ``output`` names China, but for the names that hold "China" and name
    another thing (the Republic of China, the South China Sea, China Airlines)."""
    other = [m.span() for m in _NOT_CHINA.finditer(output)]
    return [m for m in _CHINA_WORD.finditer(output) if not any(a <= m.start() < b for a, b in other)]
