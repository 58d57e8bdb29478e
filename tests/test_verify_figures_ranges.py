"""Figures the article writes as a range, an approximation, a fraction or a half, traced from an
English summary or translation (``summarize.verify``).

A correct rendering was once flagged as "not in the article" and its sentence dropped from the
summary: 3至5萬 read as 3 and 5萬, 近百 and 逾千 not read at all, 三分之一 read as 3 and 1, 半
never read. The same readings let wrong renderings pass ("3 to 50,000" for 3至5萬, "three
quarters" for 三分之二).
"""

import pytest

from summarize.figures import chinese_figures
from summarize.verify import check, drop_unsupported_figures

# (name, source, output, unsupported phrases)
RANGES = [
    ("萬 shared by a range", "約有3至5萬人參加。", "About 30,000 to 50,000 people attended.", []),
    ("億 shared by a range", "預算1至2億元。", "The budget is 100 million to 200 million yuan.", []),
    ("percent shared by a range", "漲幅3至5%。", "Prices rose 3% to 5%.", []),
    ("萬 shared by a pair", "約有3、4萬人參加。", "About 30,000 or 40,000 people came.", []),
    ("十 shared by a pair", "現場約有三、四十人到場。", "Thirty or forty people came.", []),
    ("十 shared at the start of a line", "三、四十人到場。", "Thirty or forty people came.", []),
    ("tens of 萬", "預計二十至三十萬人次。", "It expects 200,000 to 300,000 visits.", []),
    ("the unit that keeps the first below the second", "約三至十萬人。", "About 30,000 to 100,000 people.", []),
    ("十萬 shared by a pair", "約三、四十萬人。", "About 300,000 or 400,000 people.", []),
    ("萬 passed along a list", "分別為3、4、5萬元。", "They were 30,000, 40,000 and 50,000 yuan.", []),
    ("成 shared by a pair", "約七、八成民眾支持。", "About 70% to 80% of people support it.", []),
    ("a range without a unit", "為期3至5天。", "It lasts 3 to 5 days.", []),
    ("each with its own unit", "從3千至5萬元不等。", "It ranges from 3,000 to 50,000 yuan.", []),
    ("neighbouring digits before 十", "現場約有三四十人到場。", "Thirty or forty people came.", []),
    ("neighbouring digits before 萬", "約有兩三萬人參加。", "About 20,000 to 30,000 people attended.", []),
    ("neighbouring digits before 成", "約七八成民眾支持。", "About 70% to 80% of people support it.", []),
    ("neighbouring digits read as one number", "現場約有三四十人到場。", "34 people came.", ["34 people came"]),
    ("neighbouring units digits after 十", "約十三四人受傷。", "Thirteen or fourteen people were hurt.", []),
    ("neighbouring units digits after tens", "年約二十三四歲。", "They are 23 or 24 years old.", []),
    ("neighbouring units digits before 萬", "約十三四萬人。", "About 130,000 to 140,000 people.", []),
    ("neighbouring digits 一兩", "只需一兩天。", "It takes only one or two days.", []),
    ("units digits after 十 read as one number", "約十三四萬人。", "About 13 people.", ["13 people"]),
    ("一兩 read as one number", "只需一兩天。", "It takes 12 days.", ["12 days"]),
    ("the first number bare", "約有3至5萬人參加。", "About 3 to 50,000 people attended.", ["3"]),
    ("a range a hundred times too big", "預算1至2億元。", "It costs 10 billion to 20 billion yuan.",
     ["10 billion", "20 billion yuan"]),
]

APPROXIMATIONS = [
    ("十多萬", "十多萬人到場。", "More than 100,000 people came.", []),
    ("二十多萬", "二十多萬人到場。", "More than 200,000 people came.", []),
    ("近百", "近百人到場。", "Nearly 100 people came.", []),
    ("逾千", "逾千人到場。", "Over 1,000 people came.", []),
    ("逾萬", "逾萬人到場。", "Over 10,000 people came.", []),
    ("上千", "上千人到場。", "More than 1,000 people came.", []),
    ("逾百萬", "逾百萬人次造訪。", "Over a million visits were made.", []),
    ("破億", "營收破億元。", "Revenue topped 100 million yuan.", []),
    ("百餘件 still", "展出百餘件文物。", "More than 100 items are shown.", []),
    ("十多萬 as a million", "十多萬人到場。", "More than 1,000,000 people came.", ["1,000,000 people came"]),
    ("十多萬 as ten", "十多萬人到場。", "More than 10 people came.", ["10 people came"]),
    ("近百 as a thousand", "近百人到場。", "Nearly 1,000 people came.", ["1,000 people came"]),
]

# A round 百, 千, 萬 or 億 with no digit before it, counting what follows (百萬戶, 萬元獎金, 千萬元): a
# faithful rendering was flagged and its sentence dropped from the summary, with no repair asked.
ROUND_UNITS = [
    ("百萬 households", "發放給百萬戶家庭。", "It goes to 1 million households.", []),
    ("萬元 in words", "發放萬元普發現金。", "It pays a 10,000-yuan cash handout.", []),
    ("千萬元", "投入千萬元經費。", "It spends 10 million yuan.", []),
    ("千元 voucher", "發放千元禮券。", "It hands out 1,000-yuan vouchers.", []),
    ("億元 prize", "億元大獎無人中獎。", "Nobody won the 100 million yuan prize.", []),
    ("百萬美元", "捐出百萬美元。", "It gave US$1 million.", []),
    ("百萬 as ten million", "發放給百萬戶家庭。", "It goes to 10 million households.", ["10 million households"]),
    ("百萬美元 as NT dollars", "捐出百萬美元。", "It gave NT$1 million.", ["NT$1 million"]),
    ("數百萬 is no million", "數百萬人受影響。", "One million people were affected.", ["One million people"]),
    ("數萬 is no ten thousand", "數萬人到場。", "10,000 people came.", ["10,000 people came"]),
    ("千萬 as a word", "千萬不要相信。", "Ten million people should not believe it.", ["Ten million people"]),
]

FRACTIONS = [
    ("a third in words", "三分之一的居民同意。", "One third of residents agreed.", []),
    ("a third, hyphened", "三分之一的居民同意。", "One-third of residents agreed.", []),
    ("a third with its article", "三分之一的居民同意。", "About a third of residents agreed.", []),
    ("a third as one in three", "三分之一的居民同意。", "One in three residents agreed.", []),
    ("a third in digits", "三分之一的居民同意。", "About 1/3 of residents agreed.", []),
    ("a third as a whole percent", "三分之一的居民同意。", "33% of residents agreed.", []),
    ("a third to a tenth of a percent", "三分之一的居民同意。", "33.3% of residents agreed.", []),
    ("two thirds", "三分之二的居民同意。", "Two thirds of residents agreed.", []),
    ("two thirds rounded up", "三分之二的居民同意。", "67% of residents agreed.", []),
    ("two thirds to a tenth", "三分之二的居民同意。", "66.7% of residents agreed.", []),
    ("a fifth as a percent", "五分之一的居民同意。", "20% of residents agreed.", []),
    ("a fifth in words", "五分之一的居民同意。", "One fifth of residents agreed.", []),
    ("Arabic digits", "3分之1的居民同意。", "One third of residents agreed.", []),
    ("per thousand as a percent", "比率為千分之三。", "The rate is 0.3%.", []),
    ("per thousand as a count", "比率為千分之三。", "The rate is 3 per thousand.", []),
    ("two hours and a half", "花了兩個半小時。", "It took 2.5 hours.", []),
    ("two and a half in words", "花了兩個半小時。", "It took two and a half hours.", []),
    ("a year and a half", "一年半後完工。", "It will be finished in 1.5 years.", []),
    ("a half as a percent", "一半的人同意。", "Half of them, 50%, agreed.", []),
    ("a percent as a fraction", "有33%的居民同意。", "One third of residents agreed.", []),
    ("seven in ten for 七成", "七成民眾支持。", "Seven in 10 people support it.", []),
    ("three quarters for two thirds", "三分之二的居民同意。", "Three quarters of residents agreed.",
     ["Three quarters of residents"]),
    ("two thirds for one third", "三分之一的居民同意。", "Two thirds of residents agreed.", ["Two thirds of residents"]),
    ("a third as 30%", "三分之一的居民同意。", "30% of residents agreed.", ["30% of residents"]),
    ("a third truncated", "三分之二的居民同意。", "66% of residents agreed.", ["66% of residents"]),
    ("a third read as its numbers", "三分之一的居民同意。", "Three residents agreed.", ["Three residents"]),
    ("per thousand as percent", "比率為千分之三。", "The rate is 3%.", ["3%"]),
    ("two hours and a half as two", "花了兩個半小時。", "It took 2 hours.", ["2 hours"]),
    ("a half as a third", "一半的人同意。", "A third of them agreed.", ["A third of"]),
    ("a third as 30%, from 三成", "有三成的居民同意。", "One third of residents agreed.", ["One third of residents"]),
    ("半導體 is no half", "興建兩個半導體廠。", "It builds 2.5 plants.", ["2.5 plants"]),
    ("a half-year report is no half", "公布2024年半年報。", "It published its 2024 half-year report.", []),
]

# A half with no number before it (半年, 過半): a faithful rendering was flagged and its sentence
# dropped from the summary ("six months" for 半年, "50%" for 過半).
LONE_HALVES = [
    ("過半 as 50%", "過半民眾支持。", "More than 50% of people support it.", []),
    ("近半 as 50%", "近半民眾支持。", "Nearly 50% of people support it.", []),
    ("半數 as 50%", "半數以上的學校參與。", "More than 50% of the schools took part.", []),
    ("半年 as six months", "工程為期半年。", "The work takes six months.", []),
    ("上半年 as six months", "上半年營收成長。", "Revenue grew in the first 6 months.", []),
    ("半小時 as thirty minutes", "會議開了半小時。", "The meeting lasted 30 minutes.", []),
    ("半個鐘頭 as thirty minutes", "會議開了半個鐘頭。", "The meeting lasted 30 minutes.", []),
    ("半個月 as two weeks", "等了半個月。", "They waited two weeks.", []),
    ("半個月 as fifteen days", "等了半個月。", "They waited 15 days.", []),
    ("半世紀 as fifty years", "半世紀以來未曾改變。", "It has not changed in 50 years.", []),
    ("半價 as 50% off", "門票半價。", "Tickets are 50% off.", []),
    ("半年 as seven months", "工程為期半年。", "The work takes 7 months.", ["7 months"]),
    ("半小時 as forty minutes", "會議開了半小時。", "The meeting lasted 40 minutes.", ["40 minutes"]),
    ("過半 as 60%", "過半民眾支持。", "More than 60% of people support it.", ["60% of people support"]),
    ("半島 is no half", "半島上有三座城市。", "The peninsula holds 50% of the cities.", ["50% of"]),
]


# A multiple written as a verb ("doubled", "halved") is a figure too: "tourism doubled" for 成長12%
# passed the check with nothing flagged, as no digit was written.
MULTIPLES = [
    ("doubled for 翻倍", "觀光人數翻倍。", "Tourism doubled.", []),
    ("doubled for 100%", "觀光人數成長100%。", "Tourism doubled.", []),
    ("doubled for 成長一倍", "觀光人數成長了一倍。", "Tourism doubled.", []),
    ("doubled for 兩倍", "觀光人數是去年的兩倍。", "Tourism doubled from last year.", []),
    ("tripled for 200%", "營收成長200%。", "Revenue tripled.", []),
    ("tripled for 三倍", "營收為去年的3倍。", "Revenue tripled from last year.", []),
    ("halved for 減半", "碳排放減半。", "Emissions were halved.", []),
    ("halved for 50%", "碳排放減少50%。", "Emissions were halved.", []),
    ("halved for 一半", "碳排放減少一半。", "Emissions were halved.", []),
    ("doubled as is no multiple", "車站兼作避難所。", "The station doubled as a shelter.", []),
    ("more than doubled is left alone", "觀光人數成長120%。", "Tourism more than doubled.", []),
    ("doubled for 12%", "觀光人數成長12%。", "Tourism doubled this year.", ["doubled"]),
    ("doubled for 三倍", "營收為去年的3倍。", "Revenue doubled from last year.", ["doubled"]),
    ("halved for 20%", "碳排放減少20%。", "Emissions were halved.", ["halved"]),
    ("halved from two amounts", "費用從100元降至50元。", "They halved the fee to NT$50.", []),
    ("doubled for two amounts three times apart", "費用從100元調至300元。", "They doubled the fee to NT$300.", ["doubled"]),
]


# A figure a word says is rounded ("about", "nearly", "over") may be a tenth off its source, and in
# the direction the word says: "about 2 million" for 186萬 was flagged and its sentence dropped.
HEDGES = [
    ("about 2 million for 186萬", "本市人口約186萬人。", "The city has about 2 million people.", []),
    ("nearly 2 million for 186萬", "本市人口約186萬人。", "The city has nearly 2 million people.", []),
    ("roughly 30 for 31", "共有31人參加。", "Roughly 30 people took part.", []),
    ("over 1,800 for 逾1805名", "全市逾1805名防災士。", "The city has over 1,800 disaster-prevention specialists.", []),
    ("an estimated NT$6 billion for 63億", "六年投入約63億元。", "It spent an estimated NT$6 billion in six years.", []),
    ("2 million unhedged for 186萬", "本市人口約186萬人。", "The city has 2 million people.", ["2 million people"]),
    ("30 unhedged for 31", "共有31人參加。", "30 people took part.", ["30 people took"]),
    ("over 2 million for 186萬", "本市人口約186萬人。", "The city has over 2 million people.", ["2 million people"]),
    ("nearly 1,800 for 逾1805名", "全市逾1805名防災士。", "The city has nearly 1,800 specialists.", ["1,800 specialists"]),
    ("about 20 million for 186萬", "本市人口約186萬人。", "The city has about 20 million people.", ["20 million people"]),
    ("about 1.6 million for 186萬", "本市人口約186萬人。", "The city has about 1.6 million people.", ["1.6 million people"]),
    # A 民國 year is no count a hedge rounds: "over 110 projects" for 113年.
    ("over 110 for 113年", "113年完成重建。", "Over 110 projects were rebuilt.", ["110 projects"]),
]

# A span of time written in another unit: "90 minutes" for 一個半小時 was flagged.
DURATIONS = [
    ("90 minutes for 一個半小時", "會議進行了一個半小時。", "The meeting lasted 90 minutes.", []),
    ("18 months for 一年半", "工程一年半後完工。", "It will be finished in 18 months.", []),
    ("14 days for 兩週", "活動為期兩週。", "It lasts 14 days.", []),
    ("two weeks for 14天", "活動為期14天。", "It lasts two weeks.", []),
    ("1.5 hours for 90分鐘", "會議進行90分鐘。", "The meeting took 1.5 hours.", []),
    ("48 hours for 兩天", "停電兩天。", "Power was out for 48 hours.", []),
    ("a 48-hour outage for 兩天", "停電兩天。", "It was a 48-hour outage.", []),
    ("1.5 years for 18個月", "工期18個月。", "The work takes 1.5 years.", []),
    ("720 months for 60年歷史", "已有60年歷史。", "It is 720 months old.", []),
    ("80 minutes for 一個半小時", "會議進行了一個半小時。", "The meeting lasted 80 minutes.", ["80 minutes"]),
    ("240 hours for 10天", "停電10天。", "Power was out for 240 hours.", ["240 hours"]),
    ("1356 months for the year 113年", "113年完成。", "It was finished in 1356 months.", ["1356 months"]),
    # A converted value supports only a figure in its unit.
    ("120 people for 2小時", "車程2小時。", "It carries 120 people.", ["120 people"]),
    ("magnitude 72 for 三天", "停電三天。", "A magnitude 72 quake struck.", ["72 quake struck"]),
    # ... and only when it reads as a span of time in that unit.
    ("72 hour-long sessions for 三天", "停電三天。", "They held 72 hour-long sessions.", ["72 hour-long sessions"]),
    ("3 year-end parties for 36個月", "工期36個月。", "It held 3 year-end parties.", ["3 year-end parties"]),
    ("14 day-trippers for 兩週", "活動為期兩週。", "14 day-trippers came.", ["14 day-trippers"]),
    ("the 72nd hour for 三天", "停電三天。", "Power came back in the 72nd hour.", ["72nd hour"]),
    ("a 72-hour-long strike for 三天", "罷工三天。", "It was a 72-hour-long strike.", []),
    ("14 more days for 兩週", "活動延長兩週。", "It was extended by 14 more days.", []),
    ("72 straight hours for 三天", "停電三天。", "Power was out for 72 straight hours.", []),
    ("one and a half hours for 90分鐘", "會議進行90分鐘。", "The meeting took one and a half hours.", []),
    # A half without a number, converted, is a span of time too: 半小時 is no "30 students".
    ("30 students for 半小時", "會議開了半小時。", "30 students attended.", ["30 students"]),
    ("6 districts for 半年", "計畫為期半年。", "It covers 6 districts.", ["6 districts"]),
    ("15 people for 半個月", "等了半個月。", "15 people waited.", ["15 people"]),
    ("50 groups for 半世紀", "已有半世紀歷史。", "50 groups joined.", ["50 groups"]),
    ("15 days for 半個月", "等了半個月。", "They waited 15 days.", []),
    ("50 years for 半世紀", "已有半世紀歷史。", "It is 50 years old.", []),
    # A span as the source writes it supports any figure of its value: an English source's
    # "120 minutes" is a translation's 120分鐘.
    ("120分鐘 for 120 minutes", "The meeting lasted 120 minutes.", "會議進行120分鐘。", []),
]


CASES = RANGES + APPROXIMATIONS + ROUND_UNITS + MULTIPLES + FRACTIONS + LONE_HALVES + HEDGES + DURATIONS


@pytest.mark.parametrize("name, source, output, flagged", CASES, ids=[c[0] for c in CASES])
def test_figures_traced_to_the_source(name, source, output, flagged):
    assert [c.phrase for c in check(output, source)] == flagged


def test_a_list_item_number_opening_a_line_is_still_itself():
    # "一、" numbers a list item: 一、二十年來 may be item one, "twenty years", or "ten or twenty".
    assert {f.value for f in chinese_figures("一、二十年來成長穩定。")} >= {1.0, 10.0, 20.0}


def test_a_correct_range_keeps_its_sentence_in_the_summary():
    source = "臺南市今年燈會吸引約3至5萬人參加。市府投入經費1,200萬元。活動為期10天。市長黃偉哲感謝市民參與並表示明年將擴大舉辦。"
    summary = (
        "Tainan's lantern festival this year drew about 30,000 to 50,000 people. The city spent NT$12 million "
        "on it over 10 days. Mayor Huang Wei-che thanked residents and said it will be bigger next year."
    )
    claims = check(summary, source)
    assert claims == ()
    assert drop_unsupported_figures(summary, claims) == (summary, ())


def test_a_correct_round_million_keeps_its_sentence_in_the_summary():
    source = "行政院今天宣布，將發放萬元普發現金給百萬戶家庭。行政院長表示，這項政策將在明年實施，並由各地方政府協助辦理。"
    summary = (
        "The Executive Yuan will implement the policy next year with the help of local governments. "
        "It will give 10,000-yuan cash payments to 1 million households."
    )
    claims = check(summary, source)
    assert claims == ()
    assert drop_unsupported_figures(summary, claims) == (summary, ())
