"""Token counting works offline and picks the tokenizer by model."""

from __future__ import annotations

import pytest
from conftest import SEED, corpus_text

from summarize import ConfigError, count_tokens
from summarize.config import resolve_settings
from summarize.tokens import tokenizer_for

SEED_TEXT = corpus_text(SEED.name)


def test_seed_article_in_qwen_tokens():
    assert count_tokens(SEED_TEXT, model="qwen3-8b") == 1888
    assert count_tokens(SEED_TEXT, model="Qwen/Qwen2.5-7B-Instruct") == 1888


@pytest.mark.parametrize(
    "model, name",
    [("qwen3:8b", "qwen"), ("qwen-plus", "qwen"), ("qwen3.6-27b", "qwen3.5"), ("gpt-4o", "conservative"), (None, "conservative")],
)
def test_tokenizer_by_model(model, name):
    assert tokenizer_for(model).name == name


def test_conservative_count_does_not_undercount_chinese():
    # Other tokenizers' counts of the seed article: o200k 2,431, cl100k 3,631, SmolLM2 4,884.
    assert count_tokens(SEED_TEXT) >= 4884
    # ...while English stays close to the Qwen count.
    english = "The quick brown fox jumps over the lazy dog. " * 20
    assert count_tokens(english) <= count_tokens(english, "qwen") * 1.2


def test_special_token_text_is_counted_as_text():
    assert count_tokens("<|endoftext|>", "qwen") > 1


def test_explicit_tokenizer_setting():
    assert count_tokens(SEED_TEXT, "gpt-4o", tokenizer="qwen") == 1888


def test_unavailable_tiktoken_encoding_is_a_config_error_in_one_line_naming_the_argument(monkeypatch):
    # It said "SUMMARIZE_TOKENIZER='no_such_encoding' could not be loaded (ValueError: Unknown
    # encoding ...", then tiktoken's lines on its plugins and version: a variable never set.
    says = (
        "{}='no_such_encoding' is neither a tokenizer of summarize nor a tiktoken encoding name: "
        "use auto, qwen, qwen3.5 or conservative, which work offline"
    )
    with pytest.raises(ConfigError) as info:
        count_tokens("x", tokenizer="no_such_encoding")
    assert str(info.value) == says.format("tokenizer")
    # A run names it as it was given, before any request: the keyword, or the variable read.
    with pytest.raises(ConfigError) as info:
        resolve_settings(None, {"tokenizer": "no_such_encoding"})
    assert str(info.value) == says.format("tokenizer")
    monkeypatch.setenv("SUMMARIZE_TOKENIZER", "no_such_encoding")
    with pytest.raises(ConfigError) as info:
        resolve_settings(None, {})
    assert str(info.value) == says.format("SUMMARIZE_TOKENIZER")


def test_a_tiktoken_encoding_not_in_its_cache_is_never_downloaded(tmp_path, monkeypatch):
    # tiktoken.get_encoding("cl100k_base") fetches its file from the web when its cache lacks
    # it: a dry run, which "sends nothing", made that call.
    import tiktoken.load

    from summarize import tokens

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    tokens._tiktoken_encoding.cache_clear()
    fetched: list[str] = []
    monkeypatch.setattr(tiktoken.load, "read_file", lambda blobpath: fetched.append(blobpath) or b"")
    with pytest.raises(ConfigError, match="not in tiktoken's cache, and counting tokens never downloads"):
        count_tokens("x", tokenizer="cl100k_base")
    assert fetched == [] and tiktoken.load.read_file is not None
    assert tiktoken.load.read_file("local") == b"" and fetched == ["local"]  # put back as it was
    tokens._tiktoken_encoding.cache_clear()


def test_threads_that_ask_at_once_wait_for_one_load_of_qwens_encoding(monkeypatch):
    # Each thread that missed the cache parsed Qwen's 150,000 ranks itself: 16 threads of a web
    # app calling summarize_article at start-up held 16 copies (900 MB).
    import threading
    import time

    from summarize import tokens

    loads = []

    def slow_load(variant):
        loads.append(variant)
        time.sleep(0.2)  # a parse long enough for every thread to ask meanwhile
        return object()

    monkeypatch.setattr(tokens, "_QWEN", {})
    monkeypatch.setattr(tokens, "_load_qwen", slow_load)
    start = threading.Barrier(8)
    got = []

    def ask():
        start.wait()
        got.append(tokens._qwen_encoding("qwen"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == ["qwen"] and len(got) == 8 and len({id(e) for e in got}) == 1
