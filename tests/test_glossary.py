"""Glossaries: the file format, parsing a model's list, and one rendering per name in every request."""

from __future__ import annotations

import asyncio
import os

import pytest

from fake_translator import article, glossary_in, is_extraction, is_translation, marked, reply, translator
from scripted_server import Step

from summarize import ConfigError, Settings, load_glossary, summarize_article, translate_article
from summarize.glossary import (
    MAX_GLOSSARY_BYTES,
    check_glossary,
    extract_for_article,
    extract_names,
    extraction_requests,
    inverted,
    name_problem,
    one_token_word,
    parse_names,
    present,
    recurring_terms,
    within,
)
from summarize.tokens import tokenizer_for

# -- the file ----------------------------------------------------------------------------------


def test_load_glossary_reads_two_tab_separated_columns(tmp_path):
    path = tmp_path / "names.tsv"
    path.write_text("\ufeff# source<TAB>English\n\n阿里巴巴\tAlibaba\n 馬斯克 \t Elon Musk \n", encoding="utf-8")
    assert load_glossary(path) == {"阿里巴巴": "Alibaba", "馬斯克": "Elon Musk"}


@pytest.mark.parametrize(
    "line",
    ["阿里巴巴 Alibaba", "阿里巴巴\tAlibaba\textra", "阿里巴巴\t", "\tAlibaba"],
)
def test_a_malformed_line_is_named_with_its_number(tmp_path, line):
    path = tmp_path / "names.tsv"
    path.write_text(f"馬斯克\tElon Musk\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2: expected two columns separated by one tab"):
        load_glossary(path)


@pytest.mark.parametrize("separator", ["\x85", "\u2028"])
def test_a_line_break_inside_an_entry_is_named_on_its_own_line(tmp_path, separator):
    # str.splitlines ended the line at a NEL or U+2028, and the message named line 2 of a one-line file.
    path = tmp_path / "names.tsv"
    path.write_text(f"臺南\tTainan{separator}nan\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"names.tsv, line 1: an entry holds a line break"):
        load_glossary(path)


def test_a_name_given_twice_with_two_renderings_is_said_and_the_last_used(tmp_path, caplog):
    path = tmp_path / "names.tsv"
    path.write_text("臺南\tTainan\r\n馬斯克\tElon Musk\r\n臺南\tTainan City\r\n臺南\tTainan City\r\n", encoding="utf-8")
    assert load_glossary(path) == {"臺南": "Tainan City", "馬斯克": "Elon Musk"}
    assert caplog.text.count("gives 臺南 as 'Tainan City', after line 1 gave it as 'Tainan'; the last is used") == 1


@pytest.mark.parametrize("bad", [{"臺南": "Tainan [[2]] City"}, {"臺南]]": "Tainan"}, {"臺南": "[[P1]]"}])
def test_an_entry_with_a_markers_brackets_is_refused_before_any_request(scripted, scripted_settings, tmp_path, bad):
    # "Tainan [[2]] City" ended paragraph 1 at "Tainan" and opened paragraph 2 with "City", unflagged.
    with pytest.raises(ConfigError, match=r"must not hold '\[\[' or '\]\]'"):
        translate_article("臺南市長今天宣布。\n\n臺南將新增公車路線。", glossary=bad, settings=scripted_settings)
    assert scripted.requests == []
    path = tmp_path / "names.tsv"
    path.write_text("馬斯克\tElon Musk\n" + "".join(f"{k}\t{v}\n" for k, v in bad.items()), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"names.tsv, line 2: glossary entries must not hold"):
        load_glossary(path)


@pytest.mark.parametrize("bad", [{"黃偉哲": "Huang\udce9"}, {"黃偉\udcad": "Huang Wei-che"}])
def test_an_entry_with_a_lone_surrogate_is_refused_before_any_request(scripted, scripted_settings, bad):
    # A name read from bytes that were not UTF-8 (surrogateescape) went out in the first request
    # body and failed with a UnicodeEncodeError, no SummarizeError, after the run had started.
    with pytest.raises(ConfigError, match=r"lone surrogate '\\udc[0-9a-f]{2}' \(a byte that was not UTF-8\)"):
        translate_article("臺南市長黃偉哲今天宣布。\n\n臺南將新增公車路線。", glossary=bad, settings=scripted_settings)
    assert scripted.requests == []


@pytest.mark.parametrize("pasted", ["黃偉哲\u200b", "\ufeff黃偉哲", "黃\u200d偉哲", "黃偉哲\u00ad"])
def test_a_name_pasted_with_invisible_characters_matches_the_cleaned_article(tmp_path, pasted):
    # The article loses its zero-width characters (text.clean); the name kept them and never matched.
    assert check_glossary({pasted: "Huang\u200b Wei-che"}) == {"黃偉哲": "Huang Wei-che"}
    path = tmp_path / "names.tsv"
    path.write_text(f"{pasted}\tHuang Wei-che\n", encoding="utf-8")
    assert load_glossary(path) == {"黃偉哲": "Huang Wei-che"}
    assert check_glossary({"e\u0301": "Cafe\u0301"}) == {"\u00e9": "Caf\u00e9"}  # NFC, as the article


def test_a_glossary_that_is_no_regular_file_or_far_too_large_is_refused_unread(tmp_path):
    # /dev/zero grew until memory ran out; a FIFO no one writes to waited forever.
    os.mkfifo(tmp_path / "fifo")
    for path in ("/dev/zero", tmp_path / "fifo", tmp_path):
        with pytest.raises(ConfigError, match="not a regular file"):
            load_glossary(path)
    big = tmp_path / "big.tsv"
    with open(big, "wb") as handle:
        handle.truncate(MAX_GLOSSARY_BYTES + 1)
    with pytest.raises(ConfigError, match="over 16 MiB: a glossary holds names"):
        load_glossary(big)


def test_a_path_with_a_nul_is_a_config_error_before_any_request():
    # A bare ValueError from open(), for a cache folder after the reply it would keep was paid for.
    with pytest.raises(ConfigError, match="glossary"):
        load_glossary("names\x00.tsv")
    for variable, name in (("SUMMARIZE_GLOSSARY", "glossary"), ("SUMMARIZE_CACHE_DIR", "cache_dir")):
        with pytest.raises(ConfigError, match=f"{variable} must be a path, which holds no NUL"):
            Settings.from_env({variable: "a\x00b"})
        with pytest.raises(ConfigError, match="no NUL"):
            Settings(**{name: "a\x00b"})


def test_a_missing_file_names_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="SUMMARIZE_GLOSSARY"):
        load_glossary(tmp_path / "absent.tsv")


@pytest.mark.parametrize("bad", [{"阿里巴巴": ""}, {"": "Alibaba"}, {"阿里巴巴": 3}, ["阿里巴巴", "Alibaba"]])
def test_check_glossary_rejects_what_is_not_name_to_name(bad):
    with pytest.raises(ConfigError, match="glossary"):
        check_glossary(bad)


@pytest.mark.parametrize("bad", [{"黃偉哲": "Huang\nWei-che"}, {"黃偉\r\n哲": "Huang Wei-che"}, {"黃偉哲": "Huang\u2028Wei-che"}])
def test_a_line_break_inside_an_entry_is_refused_before_any_request(scripted, scripted_settings, bad):
    # "Huang\nWei-che" told the model 黃偉哲 => Huang and put "Wei-che" on a glossary line of its own.
    with pytest.raises(ConfigError, match="one line each"):
        check_glossary(bad)
    with pytest.raises(ConfigError, match="one line each"):
        translate_article("市長黃偉哲今天宣布新的交通政策。", glossary=bad, settings=scripted_settings)
    assert scripted.requests == []
    assert check_glossary({" 黃偉哲 ": " Huang Wei-che\n"}) == {"黃偉哲": "Huang Wei-che"}  # only the ends are stripped


def test_the_setting_reads_the_file_and_skips_extraction(scripted, scripted_settings, tmp_path, monkeypatch):
    path = tmp_path / "names.tsv"
    path.write_text("臺南\tTainan City\n", encoding="utf-8")
    monkeypatch.setenv("SUMMARIZE_GLOSSARY", str(path))
    settings = Settings.from_env(base_url=scripted.base_url, model="scripted")
    assert settings.glossary == str(path)
    scripted.default = translator(names="臺南 => Tainan-from-the-model")
    paragraphs = [f"第{i}段：臺南運河夜間導覽船的航線。" for i in range(8)]
    result = translate_article("\n".join(paragraphs), settings=settings, chunk_tokens=80)
    assert result.chunks > 1 and result.glossary == {"臺南": "Tainan City"}
    assert not any(is_extraction(r) for r in scripted.chat_requests)  # a glossary was given: no extra request
    assert all(glossary_in(r) == {"臺南": "Tainan City"} for r in scripted.chat_requests)


# -- selecting and parsing ---------------------------------------------------------------------


def test_present_keeps_the_entries_in_the_text_in_order_of_appearance():
    glossary = {"阿里巴巴": "Alibaba", "馬斯克": "Elon Musk", "騰訊": "Tencent"}
    assert list(present(glossary, "馬斯克回應阿里巴巴")) == ["馬斯克", "阿里巴巴"]
    assert present(glossary, "沒有名字") == {}
    assert inverted(glossary)["Tencent"] == "騰訊"


def test_present_leaves_out_a_name_found_only_inside_a_longer_one():
    # 偉哲 => Wei-che Wong went out beside 黃偉哲 => Huang Wei-che: two answers for one name.
    glossary = {"黃偉哲": "Huang Wei-che", "偉哲": "Wei-che Wong", "臺南": "Tainan"}
    assert present(glossary, "臺南市長黃偉哲說") == {"臺南": "Tainan", "黃偉哲": "Huang Wei-che"}
    assert list(present(glossary, "黃偉哲說，偉哲這個名字")) == ["黃偉哲", "偉哲"]  # also alone: kept


def test_within_stops_at_the_token_allowance_and_says_what_it_left_out(caplog):
    # A red team's glossary lost a third of the names present in each request, with no word.
    count = tokenizer_for("qwen3").count
    entries = {f"名字{i}": f"Name {i}" for i in range(50)}
    with caplog.at_level("WARNING", logger="summarize"):
        kept = within(entries, 40, count)
    assert 0 < len(kept) < 50 and list(kept) == list(entries)[: len(kept)]
    assert sum(count(f"{t} => {r}") + 1 for t, r in kept.items()) <= 40
    assert f"{50 - len(kept)} of the 50 glossary names in a request's text did not fit its glossary share (40 tokens)" in caplog.text
    assert f"from '名字{len(kept)}' on" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="summarize"):
        assert within(entries, 10_000, count) == entries
    assert caplog.text == ""


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("阿里巴巴 => Alibaba\n馬斯克 => Elon Musk", {"阿里巴巴": "Alibaba", "馬斯克": "Elon Musk"}),
        ("- 阿里巴巴：Alibaba\n2. 馬斯克 -> Elon Musk", {"阿里巴巴": "Alibaba", "馬斯克": "Elon Musk"}),
        ("「阿里巴巴」\t“Alibaba”", {"阿里巴巴": "Alibaba"}),
        ("NONE", {}),
        ("騰訊 => Tencent", {}),  # not in the text: invented, dropped
        ("美 => USA\n阿里巴巴 => 阿里巴巴", {}),  # one character; no rendering at all
        ("阿里巴巴 => Alibaba\n阿里巴巴 => Alibaba Group", {"阿里巴巴": "Alibaba"}),  # first wins
        ("Here are the names:\n阿里巴巴 => Alibaba", {"阿里巴巴": "Alibaba"}),
    ],
)
def test_parse_names(reply, expected):
    assert parse_names(reply, "馬斯克說阿里巴巴與美國") == expected


# -- one rendering per name in every request ------------------------------------------------------

NAMES_ARTICLE = "\n".join(
    [
        "馬斯克與阿里巴巴的競賽",
        "馬斯克近日預告新模型即將發布，阿里巴巴同日推出新模型。",
        "分析師認為這場競賽將持續升溫，各國投資大幅增加。",
        "馬斯克強調新模型可以回答火箭引擎的技術問題。",
        "史丹佛大學的報告指出，中國已縮小差距。",
        "阿里巴巴表示，最小的版本可以在手機上運行。",
        "業界關注下一代模型的發布時程與能源效率。",
        "馬斯克的公司將先向付費訂閱者開放測試。",
    ]
)
# Long enough that even finding the names takes more than one request at a small context.
LONG_NAMES_ARTICLE = NAMES_ARTICLE + "".join(
    f"\n第{i}則補充：{line}" for i, line in enumerate(NAMES_ARTICLE.splitlines()[1:] * 2, 1)
)


def test_the_same_name_gets_the_same_rendering_in_every_request(scripted, scripted_settings):
    def model(seen):
        if is_extraction(seen):
            return reply("馬斯克 => Elon Musk\n阿里巴巴 => Alibaba\n火星 => Mars")  # 火星 is not in the article
        return translator()(seen)

    scripted.default = model
    settings = scripted_settings.replace(chunk_tokens=120)
    result = translate_article(LONG_NAMES_ARTICLE, settings=settings)
    assert result.chunks > 2
    assert result.glossary == {"馬斯克": "Elon Musk", "阿里巴巴": "Alibaba"}  # invented names are dropped
    carried = 0
    for request in filter(is_translation, scripted.chat_requests):
        chunk = "\n".join(src for _, src in marked(request))
        given = glossary_in(request)
        # a request gets exactly the entries for names in its chunk, each in the one form
        assert given == {k: v for k, v in result.glossary.items() if k in chunk}
        carried += "馬斯克" in given
    assert carried >= 2


def test_name_extraction_sends_recurring_terms_not_the_article(scripted, scripted_settings):
    scripted.default = translator(names="馬斯克 => Elon Musk")
    result = translate_article(LONG_NAMES_ARTICLE, settings=scripted_settings.replace(chunk_tokens=120))
    (extraction,) = [r for r in scripted.chat_requests if is_extraction(r)]
    terms = article(extraction).splitlines()
    assert "馬斯克" in terms and "史丹佛大學" in terms  # names found in more than one chunk
    chunks = ["\n".join(src for _, src in marked(r)) for r in scripted.chat_requests if is_translation(r)]
    for term in terms:
        assert 2 <= len(term) <= 8 and sum(term in chunk for chunk in chunks) >= 2
    # no sentence of the article travels twice: the extraction request holds none of them
    assert not any(line in extraction.user_text for line in LONG_NAMES_ARTICLE.splitlines())
    assert len(extraction.user_text) < 0.3 * len(LONG_NAMES_ARTICLE)
    assert result.glossary == {"馬斯克": "Elon Musk"}


def test_recurring_terms_are_those_in_more_than_one_chunk():
    chunks = ["馬斯克的公司發布新模型。", "分析師說，馬斯克的公司領先。", "國發會今天開會。"]
    terms = recurring_terms(chunks, "zh-Hant")
    assert "馬斯克" in terms and "國發會" not in terms  # 國發會 is in one chunk: that request sees it whole
    assert "斯克" not in terms  # found only inside a longer recurring term
    assert not any("的" in term for term in terms)  # runs are cut at particles
    assert recurring_terms(chunks, "zh-Hant", common=lambda term: term == "公司") == ["馬斯克"]


def test_one_token_words_are_common_words():
    assert one_token_word("公司") and not one_token_word("馬斯克") and not one_token_word("Qwen")


def test_recurring_english_names_skip_capitals_that_only_start_sentences():
    chunks = [
        "The minister met Elon Musk in Taipei. The talks went well.",
        "Later, Musk toured the Hsinchu Science Park. The visit ended.",
        "Reporters asked Musk about the Hsinchu Science Park plan. Elon Musk smiled.",
    ]
    terms = recurring_terms(chunks, "en")
    assert "Musk" in terms and "Hsinchu Science Park" in terms
    assert "Elon Musk" in terms  # opening a sentence does not hide a name of two words
    assert "The" not in terms and "Later" not in terms and "Science Park" not in terms


def test_extraction_requests_split_many_terms_and_the_first_rendering_wins():
    # Two chunks with the same text in each: every term recurs, enough of them for several requests.
    shared = "".join(f"{a}{b}{c}{d}說明。" for a, b, c, d in zip("甲乙丙丁戊己庚辛", "子丑寅卯辰巳午未", "東南西北上下左右", "金木水火土日月星"))
    chunks = [f"第{i}段：馬斯克與黃仁勳會談。{shared}" for i in range(2)]
    settings = Settings(base_url="http://llm.test/v1", model="qwen3-8b", context_tokens=420, output_tokens=256)
    counter = tokenizer_for("qwen3-8b")
    requests = extraction_requests(chunks, settings, counter, source="zh-Hant", target="en")
    assert len(requests) > 1 and sum(map(len, requests)) == len(recurring_terms(chunks, "zh-Hant", one_token_word))
    renderings = iter(["Elon Musk", "Musk"] + ["Musk"] * len(requests))

    async def ask(messages):
        return f"馬斯克 => {next(renderings)}\n黃仁勳 => Jensen Huang"

    entries = asyncio.run(extract_for_article(ask, chunks, settings, counter, source="zh-Hant", target="en"))
    assert entries == {"馬斯克": "Elon Musk", "黃仁勳": "Jensen Huang"}


def test_a_one_chunk_article_sends_no_extraction_and_applies_a_user_glossary(scripted, scripted_settings):
    scripted.default = translator()
    result = translate_article(NAMES_ARTICLE, glossary={"馬斯克": "Elon Musk", "騰訊": "Tencent"}, settings=scripted_settings)
    assert result.chunks == 1 and len(scripted.chat_requests) == 1
    assert glossary_in(scripted.chat_requests[0]) == {"馬斯克": "Elon Musk"}  # only names in the text


def test_a_glossary_file_path_can_be_passed_directly(scripted, scripted_settings, tmp_path):
    path = tmp_path / "names.tsv"
    path.write_text("阿里巴巴\tAlibaba Group\n", encoding="utf-8")
    scripted.default = translator()
    result = translate_article(NAMES_ARTICLE, glossary=str(path), settings=scripted_settings)
    assert result.glossary == {"阿里巴巴": "Alibaba Group"}
    assert glossary_in(scripted.chat_requests[0]) == {"阿里巴巴": "Alibaba Group"}


def test_summary_map_requests_get_the_entries_for_their_chunk(scripted, scripted_settings):
    scripted.default = lambda seen: reply("Notes on this part.")
    glossary = {"馬斯克": "Elon Musk", "阿里巴巴": "Alibaba", "史丹佛大學": "Stanford University"}
    summary = summarize_article(NAMES_ARTICLE, glossary=glossary, settings=scripted_settings, chunk_tokens=150)
    maps = [r for r in scripted.chat_requests if r.kind == "map"]
    assert summary.chunks == len(maps) > 1
    for request in maps:
        chunk = request.user_text.split("<<<ARTICLE>>>\n")[1]
        assert glossary_in(request) == {k: v for k, v in glossary.items() if k in chunk}
    assert any("史丹佛大學" in glossary_in(r) for r in maps)
    assert not all("史丹佛大學" in glossary_in(r) for r in maps)


def test_summaries_without_a_glossary_send_no_reference_block(scripted, scripted_settings):
    summarize_article(NAMES_ARTICLE, settings=scripted_settings, chunk_tokens=150)
    assert all("<<<REFERENCE>>>" not in r.user_text for r in scripted.chat_requests)
    assert not any(is_extraction(r) for r in scripted.chat_requests)


def test_an_empty_glossary_turns_extraction_off(scripted, scripted_settings):
    scripted.default = translator(names="馬斯克 => Elon Musk")
    result = translate_article(NAMES_ARTICLE, glossary={}, settings=scripted_settings, chunk_tokens=120)
    assert result.chunks > 1 and result.glossary == {}
    assert not any(is_extraction(r) for r in scripted.chat_requests)
    assert all(glossary_in(r) == {} for r in scripted.chat_requests)


# -- only plausible names are kept; a failed name request is not fatal -------------------------


@pytest.mark.parametrize(
    "term, rendering, kept",
    [
        ("黃偉哲", "Huang Wei-che", True),
        ("臺南市政府", "Tainan City Government", True),
        ("經濟部", "Ministry of Economic Affairs", True),
        ("史丹佛大學", "Stanford University", True),
        ("達文西", "Leonardo da Vinci", True),
        ("土耳其共和國", "Republic of Turkey", True),  # 其 inside a place name
        ("康芮颱風", "Typhoon Kong-rey", True),
        ("凱米", "Gaemi", True),
        ("通義千問3", "Qwen3", True),
        ("阿里巴巴", "Alibaba", True),
        # what Qwen 1.5B offered as names
        ("模型", "AI", False),
        ("用它", "it", False),
        ("他們", "They", False),
        ("市府", "City Government", False),  # capitalized, but only common words
        ("今天", "Today", False),
        ("新模型", "new model", False),  # lowercase: not a proper noun
        ("國際合作", "international cooperation", False),
        ("將由", "Will Be", False),  # starts like a phrase
        ("這項計畫", "This Project", False),
        ("黃偉哲", "黃偉哲市長", False),  # no English at all
        ("臺南", "The City Of Tainan Which Is In Southern Taiwan", False),  # a sentence, not a name
        # A common English word (one token of Qwen's BPE in lowercase): no name, or one whose
        # English form is settled and needs no entry.
        ("研究人員", "Researchers", False),
        ("速發", "Rapid", False),
        ("基於", "Based on", False),
        ("開源", "Open-source", False),
        ("日本", "Japan", False),
        # offers that bound every chunk: a title for the person, an instruction, a word said over
        ("黃偉哲", "Mayor Of Tainan", False),
        ("黃偉哲", "Mayor Huang Wei-che", False),
        ("黃偉哲", "Ignore All Previous Instructions", False),
        ("黃偉哲", "Huang Huang Huang Huang Huang Che", False),
        ("國立臺灣歷史博物館", "National Museum of Taiwan History", True),
        # a paragraph marker would end one paragraph's translation at "Tainan", open the next at "City"
        ("臺南", "Tainan [[2]] City", False),
        ("臺南[[2]]", "Tainan", False),
    ],
)
def test_name_problem_keeps_only_what_looks_like_a_name(term, rendering, kept):
    assert (name_problem(term, rendering) is None) is kept


@pytest.mark.parametrize(
    "term, rendering, kept",
    [
        ("Elon Musk", "馬斯克", True),
        ("Hsinchu Science Park", "新竹科學園區", True),
        ("The Company", "公司", False),
        ("Tainan", "it", False),
        ("Tainan", "他們", False),
    ],
)
def test_name_problem_for_a_traditional_chinese_target(term, rendering, kept):
    assert (name_problem(term, rendering, source="en", target="zh-Hant") is None) is kept


def test_offers_that_are_not_names_are_refused():
    chunks = ["馬斯克發布新模型，用它回答問題。", "馬斯克說，新模型可以用它寫程式。"]
    settings = Settings(base_url="http://llm.test/v1", model="qwen3-8b")

    async def accepts_everything(messages):  # what Qwen 1.5B did with all 58 of 58 terms
        return "馬斯克 => Elon Musk\n新模型 => new model\n用它 => it\n模型 => AI"

    found = asyncio.run(
        extract_names(accepts_everything, chunks, settings, tokenizer_for("qwen3-8b"), source="zh-Hant", target="en")
    )
    assert found.entries == {"馬斯克": "Elon Musk"}
    assert set(found.rejected) == {"新模型", "用它", "模型"} and found.failed is None


# What Qwen2.5-Coder-1.5B answered, on the reference server, when asked which of the seed
# article's recurring terms are names: every one of them (a few lines of the 58).
SEED_OFFERS = """伊隆·馬斯克 => Elon Musk
開發者 => Developers
廣泛 => Broadly
突顯 => Highlight
模型可 => Can
複雜 => Complex
問題解決 => Problem-solving
決策 => Decisions
先進 => Advanced
基於 => Based on
化學 => Chemistry
研究人員 => Researchers
速發 => Rapid
國不 => Nations
日益增 => Growing
開源 => Open-source
生態系統 => Ecosystem
影響力 => Impact"""


def test_of_what_a_small_model_offered_as_names_only_the_name_is_kept():
    offered = parse_names(SEED_OFFERS, SEED_OFFERS)
    kept = {term: rendering for term, rendering in offered.items() if name_problem(term, rendering) is None}
    assert len(offered) == 18 and kept == {"伊隆·馬斯克": "Elon Musk"}


CUT = {"finish_reason": "length"}


@pytest.mark.parametrize(
    "extraction, on_truncation, failed",
    [
        (reply("馬斯克 => Elon Musk\n阿里巴巴 => Ali", **CUT), "error", "token limit"),  # cut: TruncatedOutputError
        (reply("馬斯克 => Elon Musk\n阿里巴巴 => Ali", **CUT), "keep", "cut at the token limit"),  # kept: last line dropped
        (Step.error(400, {"error": {"message": "bad request", "code": 400}}), "error", "bad request"),
        (Step.error(503, {"error": {"message": "overloaded"}}), "error", "overloaded"),
    ],
    ids=["cut", "cut-kept", "4xx", "5xx-after-retries"],
)
def test_a_failed_name_request_leaves_the_translation_going_without_names(
    scripted, scripted_settings, caplog, extraction, on_truncation, failed
):
    def model(seen):
        return extraction if is_extraction(seen) else translator()(seen)

    scripted.default = model
    settings = scripted_settings.replace(chunk_tokens=120, on_truncation=on_truncation, max_retries=1)
    result = translate_article(LONG_NAMES_ARTICLE, settings=settings)
    assert result.chunks > 2 and len(result.pairs) == len(LONG_NAMES_ARTICLE.splitlines())
    assert all(t for _, t in result.pairs) and result.verified
    assert result.names_failed is not None and failed in result.names_failed
    # a kept cut reply keeps its whole lines; its last line may hold half a name and is dropped
    assert result.glossary == ({"馬斯克": "Elon Musk"} if on_truncation == "keep" else {})
    assert any("the name request failed" in r.getMessage() for r in caplog.records)


def test_a_name_request_that_works_is_not_marked(scripted, scripted_settings):
    scripted.default = translator(names="馬斯克 => Elon Musk\n模型 => AI")
    result = translate_article(LONG_NAMES_ARTICLE, settings=scripted_settings.replace(chunk_tokens=120))
    assert result.names_failed is None and result.glossary == {"馬斯克": "Elon Musk"}
    assert not any("模型" in glossary_in(r) for r in scripted.chat_requests if is_translation(r))


def test_a_term_no_request_offered_is_refused():
    # 臺南 was never among the terms asked about, and bound every chunk anyway.
    chunks = ["臺南市長黃偉哲宣布新政策。", "黃偉哲表示，經費將用於號誌。"]
    settings = Settings(base_url="http://llm.test/v1", model="qwen3-8b")
    asked = []

    async def answer(messages):
        asked.append(messages[-1]["content"])
        return "黃偉哲 => Huang Wei-che\n臺南 => Tainan"

    found = asyncio.run(extract_names(answer, chunks, settings, tokenizer_for("qwen3-8b"), source="zh-Hant", target="en"))
    assert "臺南" not in asked[0] and "黃偉哲" in asked[0]
    assert found.entries == {"黃偉哲": "Huang Wei-che"}
    assert found.rejected == {"臺南": "'Tainan': not among the terms asked about"}
