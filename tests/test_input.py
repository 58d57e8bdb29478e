"""Bad input: refused before any request, or cleaned before it is sent; long input chunked within budget."""

from __future__ import annotations

import asyncio
import tracemalloc

import pytest

from conftest import SEED, corpus_text
from scripted_server import Step
from summarize import InputError, InputTypeError, asummarize_article, summarize_article
from summarize.chunking import plan_chunks
from summarize.budget import PER_MESSAGE_TOKENS, chunk_budget
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
        ("\ud800", InputError, "lone surrogate '\\ud800' at position 0"),
        ("臺南\udfff市", InputError, "lone surrogate '\\udfff' at position 2"),
        ("<p></p><!-- nothing --><br/>", InputError, "no text once HTML"),
        ("\u200b\u200d\ufeff", InputError, "no text once"),
        ("\x00\x01\x07", InputError, "no text once"),
    ],
    ids=["empty", "whitespace", "None", "bytes", "bytearray", "int", "float", "list", "lone-surrogate",
         "surrogate-inside", "html-only", "zero-width-only", "controls-only"],
)
def test_bad_input_is_refused_with_a_helpful_message_and_no_request(scripted, scripted_settings, text, kind, words):
    with pytest.raises(kind) as info:
        summarize_article(text, settings=scripted_settings)
    assert words in str(info.value)
    assert isinstance(info.value, TypeError if kind is InputTypeError else ValueError)
    assert scripted.requests == []  # not even GET /models


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
