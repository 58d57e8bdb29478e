"""Bad input: refused before any request, or cleaned before it is sent; long input chunked within budget."""

from __future__ import annotations

import asyncio
import pathlib
import re
import tracemalloc

import pytest

from conftest import SEED, corpus_text
from scripted_server import Step
from summarize import ConfigError, InputError, InputTypeError, asummarize_article, summarize_article
from summarize.chunking import plan_chunks
from summarize.budget import PER_MESSAGE_TOKENS, chunk_budget
from summarize.text import clean, clean_report, looks_like_html
from summarize.tokens import tokenizer_for


@pytest.mark.parametrize(
    "text, kind, words",
    [
        ("", InputError, "empty"),
        ("   \n\t\u3000 \r\n", InputError, "only whitespace"),
        (None, InputTypeError, "must be a str, got NoneType"),
        ("臺南".encode(), InputTypeError, "decode it first"),
        (bytearray(b"abc"), InputTypeError, "decode it first"),
        (42, InputTypeError, "must be a str, got int"),
        (3.5, InputTypeError, "must be a str, got float"),
        (["臺南"], InputTypeError, "must be a str, got list"),
        (pathlib.PurePosixPath("news/a.txt"), InputTypeError, "is a path (PurePosixPath), not its text; read it first"),
        ("\ud800", InputError, "lone surrogate '\\ud800' at position 0"),
        # Nothing to summarize, yet each was sent as a paid request.
        ("。。！？……「」", InputError, "holds no words: only digits, punctuation or symbols"),
        ("2024/02/02 12:30 → 15%", InputError, "holds no words"),
        ("😀🎉👍", InputError, "holds no words"),
        ("臺南\udfff市", InputError, "lone surrogate '\\udfff' at position 2"),
        ("<p></p><!-- nothing --><br/>", InputError, "no text once HTML"),
        ("\u200b\u200d\ufeff", InputError, "no text once"),
        ("\x00\x01\x07", InputError, "no text once"),
    ],
    ids=["empty", "whitespace", "None", "bytes", "bytearray", "int", "float", "list", "path", "lone-surrogate",
         "punctuation-only", "digits-and-symbols-only", "emoji-only",
         "surrogate-inside", "html-only", "zero-width-only", "controls-only"],
)
def test_bad_input_is_refused_with_a_helpful_message_and_no_request(scripted, scripted_settings, text, kind, words):
    with pytest.raises(kind) as info:
        summarize_article(text, settings=scripted_settings)
    assert words in str(info.value)
    assert isinstance(info.value, TypeError if kind is InputTypeError else ValueError)
    assert scripted.requests == []  # not even GET /models


@pytest.mark.parametrize(
    "arguments, says",
    [
        ({"languages": None}, "languages must be a language code or a list of them"),
        ({"languages": 5}, "languages must be a language code or a list of them"),
        ({"languages": ["en", None]}, "unsupported language None"),
        ({"partial": "no"}, "partial must be True or False, got 'no'"),
    ],
)
def test_bad_arguments_are_a_config_error_before_any_request(scripted, scripted_settings, arguments, says):
    # languages=None raised a bare TypeError; partial="no" was taken for True.
    with pytest.raises(ConfigError, match=re.escape(says)):
        summarize_article("臺南今天天氣晴朗。", settings=scripted_settings, **arguments)
    assert scripted.requests == []


def test_bad_input_is_refused_by_the_async_twin_too(scripted, scripted_settings):
    with pytest.raises(InputTypeError):
        asyncio.run(asummarize_article(b"bytes", settings=scripted_settings))
    assert scripted.requests == []


def test_bad_input_is_refused_before_settings_are_read(scripted, monkeypatch):
    # A malformed environment would raise ConfigError; the input error comes first and nothing is sent.
    monkeypatch.setenv("SUMMARIZE_BASE_URL", scripted.base_url)
    with pytest.raises(InputError, match="empty"):
        summarize_article("")
    assert scripted.requests == []


def test_invisible_characters_and_html_are_removed_before_sending(scripted, scripted_settings):
    dirty = (
        "<div class=\"story\"><h1>臺南\u200b市</h1><!-- ad slot -->\r\n"
        "<p>市政府\x00今天\u200d公布\ufeff防災\x1f演練\u202e成果\u00ad。</p>"
        "<script>track('臺南');</script><style>p { color: red }</style>\n"
        "<p>共有&nbsp;三千名 市民 < 參加 > 演練。</p></div>\u2060"
    )
    summarize_article(dirty, settings=scripted_settings)
    (request,) = scripted.chat_requests
    user = request.user_text
    body = request.body["messages"][1]["content"]
    assert body == user
    assert "臺南市\n\n市政府今天公布防災演練成果。\n" in user  # a closing </h1> or </p> ends a line
    for gone in ("<", "\x00", "\x1f", "\u200b", "\u200d", "\ufeff", "\u202e", "\u00ad", "\u2060",
                 "ad slot", "track(", "color: red", "\r", "&nbsp;"):
        if gone == "<":
            assert "<div" not in user and "<p>" not in user and "</" not in user.replace("<<<END ARTICLE>>>", "")
        else:
            assert gone not in user, repr(gone)
    assert "共有\xa0三千名 市民 < 參加 > 演練。" in user  # a "<" that is not a tag is text, and stays


def test_cleaning_keeps_the_words_and_line_breaks(scripted, scripted_settings):
    article = corpus_text(SEED.name)
    summarize_article(article, settings=scripted_settings)
    user = scripted.chat_requests[0].user_text
    assert article.strip().replace("\r\n", "\n") in user


@pytest.mark.parametrize("brk", ["\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"])
def test_every_kind_of_line_break_ends_a_paragraph(brk):
    # A page copied from Word or the web may break its lines with U+2028 alone: the paragraphs
    # then ran together into one, and a press release's date line was no longer a line.
    text = "臺南運河夜間導覽船明年擴大營運\n發稿時間：113年12月2日\n\n觀光旅遊局今天宣布新增三條航線。"
    assert clean(text.replace("\n", brk)) == text


# -- a 2 MB article ------------------------------------------------------------------------


def big_article(size: int) -> str:
    seed = corpus_text(SEED.name)
    copies = size // len(seed.encode("utf-8")) + 1
    return "\n\n".join(f"第{i}篇\n{seed}" for i in range(copies))


def test_a_2_mb_article_is_chunked_within_budget_with_flat_memory():
    article = big_article(2_000_000)
    size = len(article.encode("utf-8"))
    assert size >= 2_000_000
    counter = tokenizer_for(None, "qwen")
    counter.count("warm up")  # the BPE table is loaded once per process, not per article
    tracemalloc.start()
    try:
        chunks = plan_chunks(article, 6000, counter.count)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "".join(c.text for c in chunks) == article  # nothing dropped
    assert max(c.tokens for c in chunks) <= 6000
    assert len(chunks) == -(-sum(c.tokens for c in chunks) // 6000)  # the fewest chunks: balanced, not greedy
    # The chunks themselves hold a copy of the text (about 2 bytes per character), sentences
    # another; token lists are per sentence. One token list for the whole article would add
    # about 20 MB here (an int object per token) and fail this bound.
    assert peak < 6 * size, f"peak {peak:,} bytes for {size:,} bytes of article"


def test_a_long_article_end_to_end_sends_no_request_over_budget(scripted, scripted_settings):
    article = big_article(150_000)
    settings = scripted_settings.replace(context_tokens=4096, output_tokens=512)
    counter = tokenizer_for("scripted", settings.tokenizer)
    scripted.default = lambda seen: Step.reply(f"Note {len(scripted.chat_requests)}.")
    summary = summarize_article(article, settings=settings)
    maps = [r for r in scripted.chat_requests if r.kind == "map"]
    assert summary.chunks == len(maps) >= 10
    budget = chunk_budget(settings, counter)
    for request in scripted.chat_requests:
        prompt = sum(counter.count(m["content"]) + PER_MESSAGE_TOKENS for m in request.messages)
        assert prompt + request.body["max_tokens"] <= settings.context_tokens
    for request in maps:
        assert counter.count(request.user_text.split("\n", 1)[1].rsplit("\n", 1)[0]) <= budget


# -- clean(): HTML only when the input is HTML --------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # Text that is not HTML keeps every "<" and ">".
        ("溫度x<y 時，且壓力z>w", "溫度x<y 時，且壓力z>w"),
        ("List<int> 與 Map<String, int>", "List<int> 與 Map<String, int>"),
        ("a < b 且 c > d", "a < b 且 c > d"),
        ("我 <3 臺南", "我 <3 臺南"),
        ("若 x<b and c>d 則成立", "若 x<b and c>d 則成立"),
        ("AT&T 與 &amp; 符號", "AT&T 與 & 符號"),
        # An unclosed comment is not a comment: the rest of the article stays.
        ("第一段。<!-- 沒有收尾\n第二段。", "第一段。<!-- 沒有收尾\n第二段。"),
        ("<p>第一段。</p><!-- 廣告\n<p>第二段。</p>", "第一段。\n\n<!-- 廣告\n\n第二段。"),
        ("<p>一</p><!-- a --><p>二</p><!-- b", "一\n\n二\n\n<!-- b"),
        # An unclosed script or style is text, like an unclosed comment: it ate the rest of the
        # article, often under the share that warns.
        ("網站若允許使用者輸入<script>標籤，可能遭竊。\n修補經費約三百萬元。", "網站若允許使用者輸入<script>標籤，可能遭竊。\n修補經費約三百萬元。"),
        ("前文<STYLE>後文", "前文<STYLE>後文"),
        ("<p>一</p><script>x();</script><p>二</p><noscript>三", "一\n\n二\n\n<noscript>三"),
        ("<p>一</p><template><p>範本</p></template><p>二</p>", "一\n\n二"),
        # Inside HTML, a "<" that starts no real tag is text too.
        ("<p>溫度x<y 時，且壓力z>w</p>", "溫度x<y 時，且壓力z>w"),
        ("<p>List<int> x</p>", "List<int> x"),
        # Real HTML: text kept, blocks become line breaks, entities decoded, code and comments gone.
        ("<p>第一段。</p><p>第二段。</p>", "第一段。\n\n第二段。"),
        ("<div>第一行<br>第二行<br/>第三行</div>", "第一行\n第二行\n第三行"),
        ("<h1>標題</h1><p>內文&nbsp;一段 &amp; &lt;p&gt;</p>", "標題\n\n內文\xa0一段 & <p>"),
        ("<p>市府<!-- 註解 -->今天<b>宣布</b>。</p>", "市府今天宣布。"),
        ("<script>var a = '<p>';</script><style>p{}</style><p>內文。</p>", "內文。"),
        ("<ul><li>一</li><li>二</li></ul>", "一\n二"),
        ("<table><tr><td>甲</td><td>乙</td></tr><tr><td>丙</td></tr></table>", "甲 乙\n丙"),
        # In block-structured HTML a source line break is wrapping: none between Chinese characters, a space in English.
        ("<p>第一行\n第二行</p>\n<p>one\ntwo</p>", "第一行第二行\n\none two"),
        # Inline tags only: the lines are the paragraphs, as in plain text.
        ("<b>標題</b>\n第一段。\n第二段。", "標題\n第一段。\n第二段。"),
        ("<!DOCTYPE html><html><head><title>標題</title></head><body><p>內文。</p></body></html>", "標題\n\n內文。"),
    ],
    ids=lambda value: value[:24] if isinstance(value, str) else None,
)
def test_clean_strips_html_only_when_the_input_is_html(text, expected):
    assert clean(text) == expected


@pytest.mark.parametrize(
    "text, html, warns",
    [
        ("臺南市今天公布防災演練成果。" * 5, False, False),
        ("<p>臺南市今天公布防災演練成果。</p>" * 5, True, False),  # markup is not text: no warning
        ("<p>臺南市今天公布防災演練成果。</p><script>" + "track();" * 20 + "</script>", True, True),
        ("<p>內文。</p><script>" + "var x = 1;" * 20, True, False),  # an unclosed script is text: nothing eaten
        ("<p>內文。</p><!--" + "舊的段落被註解掉了。" * 5 + "-->", True, True),
        ("臺南\u200b" * 20, False, True),  # mostly invisible characters
    ],
)
def test_clean_reports_and_warns_when_it_removes_much_of_the_text(caplog, text, html, warns):
    report = clean_report(text)
    assert report.text == clean(text)
    assert report.html is html
    assert (report.warning is not None) is warns
    assert (report.removed_share > 0.1) is warns
    warnings = [r for r in caplog.records if r.name == "summarize" and r.levelname == "WARNING"]
    assert bool(warnings) is warns
    if warns:
        assert "check that the input is the article" in warnings[0].getMessage()


@pytest.mark.parametrize(
    "text, is_html",
    [
        ("<p>內文</p>", True),
        ("第一行<br>第二行", True),
        ("<div class=\"story\">內文</div>", True),
        ("內文 &nbsp; 內文", False),  # references alone are decoded, not parsed as HTML
        ("x<y 時，且壓力z>w", False),
        ("<q 時，且壓力z>", False),  # a real element name, but not a tag's shape
        ("List<int>", False),
        ("if x<b and c>d then", False),  # valueless attributes: an inequality, not a tag
        ("第一段<p>第二段<p>第三段", True),  # old HTML leaves paragraphs unclosed
        ('<img src="a.png" alt>內文', True),
        ("<my-widget>內文</my-widget>", True),
        ("a<!-- note -->b", True),
        ("第一段。\n<!-- ad slot -->\n第二段。", True),  # a comment on a line of its own is markup
        ("a <!-- note --> b", False),  # mentioned between spaces, as a tutorial writes one
        ("HTML 的註解寫成 <!-- 這是註解 --> ，瀏覽器不會顯示。", False),
        ("用「<!-- -->」包住不想顯示的內容", False),
        ("a <!-- never closed", False),
        # Tags an article only mentions, apart from its words: a tutorial about HTML is text.
        ("段落要用 <p> 標籤包起來，換行則用 <br> 標籤。\n標題使用 <h1> 到 <h6>。", False),
        ("寫網頁時，<script> 標籤裡放程式。\n請記得關閉 </script> 標籤。", False),
        ("網站若允許使用者輸入<script>標籤，可能遭竊。", False),  # a start tag nothing closes is no markup
        ("前文<style>後文</style>", True),
        ("用「<br>」換行", False),
        ("heredoc 以<<<ARTICLE>>>開頭", False),  # <article> inside more brackets: a label, not a tag
        # ... but HTML that mentions one is still HTML, by the elements it opens and closes
        ("<p>換行用 <br> 標籤。</p>", True),
        ("<div>\n<p>第一段 <br> 第二段</p>\n</div>", True),
    ],
)
def test_looks_like_html(text, is_html):
    assert looks_like_html(text) is is_html


def test_an_article_about_html_keeps_its_tags_and_paragraphs():
    # Read as HTML, it lost its tags, the words between <h1> and <h6>, and its line breaks, unwarned.
    tutorial = "HTML 教學\n段落要用 <p> 標籤包起來，換行則用 <br> 標籤。\n標題使用 <h1> 到 <h6>。"
    report = clean_report(tutorial)
    assert report.text == tutorial and not report.html and report.warning is None


def test_an_article_about_html_comments_keeps_the_comment_it_teaches():
    # Read as HTML, the one thing the paragraph taught went, as a comment's content.
    tutorial = "HTML 教學\n註解寫成 <!-- 這是註解 --> ，瀏覽器不會顯示它。\n下一段。"
    report = clean_report(tutorial)
    assert report.text == tutorial and not report.html and report.removed == 0
