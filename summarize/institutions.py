"""Taiwan's national bodies, offices and best-known companies, by their official English names.

Small models render them word by word or guess: on Qwen2.5-Coder-1.5B 經濟部 (the Ministry of
Economic Affairs) came back "the Ministry of Finance" in 3 of 3 translations, 行政院長 (the
Premier) "the President of the Administration", 中華隊 (Chinese Taipei) "the Chinese team" and
中華郵政 (Chunghwa Post) "the Chinese Postal Service". Given as glossary entries, four of the
five came back by their names in 2 of 2 runs each (Chunghwa Post still did not).

A run's glossary (``summarize.glossary``) takes the entries whose name its article holds
(``official_names``), under the user's own: an entry the user gives for the same name wins.
Only names that cannot occur inside an unrelated word are listed: 央行 (in 中央行政) and 高鐵
(any high-speed rail) are not.
"""

from __future__ import annotations

from collections.abc import Mapping

# Chinese name (full, then its usual short forms) → official English name.
_OFFICIAL: dict[tuple[str, ...], str] = {
    ("總統府",): "Office of the President",
    ("行政院",): "Executive Yuan",
    ("行政院長",): "Premier",
    ("行政院副院長",): "Vice Premier",
    ("立法院",): "Legislative Yuan",
    ("立法院長",): "Speaker of the Legislative Yuan",
    ("立法委員", "立委"): "legislator",
    ("司法院",): "Judicial Yuan",
    ("考試院",): "Examination Yuan",
    ("監察院",): "Control Yuan",
    ("內政部",): "Ministry of the Interior",
    ("外交部",): "Ministry of Foreign Affairs",
    ("國防部",): "Ministry of National Defense",
    ("財政部",): "Ministry of Finance",
    ("教育部",): "Ministry of Education",
    ("法務部",): "Ministry of Justice",
    ("經濟部",): "Ministry of Economic Affairs",
    ("交通部",): "Ministry of Transportation and Communications",
    ("勞動部",): "Ministry of Labor",
    ("農業部",): "Ministry of Agriculture",
    ("衛生福利部", "衛福部"): "Ministry of Health and Welfare",
    ("環境部",): "Ministry of Environment",
    ("文化部",): "Ministry of Culture",
    ("數位發展部", "數位部"): "Ministry of Digital Affairs",
    ("國家發展委員會", "國發會"): "National Development Council",
    ("國家科學及技術委員會", "國科會"): "National Science and Technology Council",
    ("大陸委員會", "陸委會"): "Mainland Affairs Council",
    ("金融監督管理委員會", "金管會"): "Financial Supervisory Commission",
    ("海洋委員會", "海委會"): "Ocean Affairs Council",
    ("僑務委員會", "僑委會"): "Overseas Community Affairs Council",
    ("國軍退除役官兵輔導委員會", "退輔會"): "Veterans Affairs Council",
    ("原住民族委員會", "原民會"): "Council of Indigenous Peoples",
    ("客家委員會", "客委會"): "Hakka Affairs Council",
    ("中央選舉委員會", "中選會"): "Central Election Commission",
    ("公平交易委員會", "公平會"): "Fair Trade Commission",
    ("國家通訊傳播委員會", "通傳會"): "National Communications Commission",
    ("國家運輸安全調查委員會", "運安會"): "Taiwan Transportation Safety Board",
    ("行政院主計總處", "主計總處"): "Directorate-General of Budget, Accounting and Statistics",
    ("中央銀行",): "Central Bank",
    ("中央氣象署", "氣象署"): "Central Weather Administration",
    ("疾病管制署", "疾管署"): "Taiwan Centers for Disease Control",
    ("食品藥物管理署", "食藥署"): "Taiwan Food and Drug Administration",
    ("中央健康保險署", "健保署"): "National Health Insurance Administration",
    ("國民健康署", "國健署"): "Health Promotion Administration",
    ("消防署",): "National Fire Agency",
    ("警政署",): "National Police Agency",
    ("中央研究院", "中研院"): "Academia Sinica",
    ("國立故宮博物院",): "National Palace Museum",
    ("國立臺灣歷史博物館", "國立台灣歷史博物館", "臺史博", "台史博"): "National Museum of Taiwan History",
    ("中華隊",): "Chinese Taipei",
    ("中華郵政",): "Chunghwa Post",
    ("中華電信",): "Chunghwa Telecom",
    ("中華航空", "華航"): "China Airlines",
    ("長榮航空",): "EVA Air",
    ("台積電", "臺積電"): "TSMC",
    ("聯發科",): "MediaTek",
    ("鴻海",): "Foxconn",
    ("台灣高鐵", "臺灣高鐵"): "Taiwan High Speed Rail",
    ("臺鐵", "台鐵"): "Taiwan Railway",
}
OFFICIAL: dict[str, str] = {name: english for forms, english in _OFFICIAL.items() for name in forms}


def official_names(text: str) -> dict[str, str]:
    """The entries of ``OFFICIAL`` whose name ``text`` holds, as glossary entries.

    Example::

        >>> official_names("行政院長陳建仁與經濟部長出席。")
        {'行政院': 'Executive Yuan', '行政院長': 'Premier', '經濟部': 'Ministry of Economic Affairs'}
    """
    return {name: english for name, english in OFFICIAL.items() if name in text}


def with_official(glossary: Mapping[str, str], text: str) -> dict[str, str]:
    """``glossary`` with the official names ``text`` holds added under it: an entry of
    ``glossary`` for the same name wins."""
    return {**official_names(text), **glossary}
