"""Faults survived: every numbered fault of issue 4 and the real servers' error shapes, over real HTTP.

Each test scripts the loopback server in ``scripted_server.py``; nothing in ``openai`` is patched.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import pytest

from scripted_server import Step, completion
from summarize import (
    AuthenticationError,
    BadRequestError,
    ChunkFailedError,
    ConfigError,
    ConnectionFailedError,
    ContentFilteredError,
    ContextLengthError,
    EmptyReplyError,
    EndpointError,
    ModelNotFoundError,
    RateLimitedError,
    ServerError,
    Settings,
    TruncatedOutputError,
    asummarize_article,
    summarize_article,
)
from summarize import prompts
from summarize.client import ChatClient
from summarize.tokens import tokenizer_for

ARTICLE = "臺南市政府今天公布防災演練成果，共有三千名市民參加。市長表示，明年將擴大辦理。"
MESSAGES = prompts.summarize_messages(ARTICLE, "en")
QWEN = tokenizer_for(None, "qwen")


def chat(settings, messages=MESSAGES):
    """One chat call through the library's client, over HTTP to the scripted server."""

    async def go():
        async with ChatClient(settings) as client:
            return await client.chat(messages, model=settings.model)

    return asyncio.run(go())


def raised(fn, *args, **kwargs) -> BaseException:
    with pytest.raises(Exception) as info:
        fn(*args, **kwargs)
    return info.value


def sentences(n: int, start: int = 0) -> str:
    """``n`` distinct sentences of about 30 Qwen tokens each, one per line."""
    return "\n".join(f"第{i}項：臺南市政府今天公布第{i}號防災演練報告，共有{i * 7}名市民參加。" for i in range(start, start + n))


def fenced_text(seen) -> str:
    """The text between the fence lines of a request's user message."""
    return seen.fenced


# -- the real servers' error shapes ---------------------------------------------------------

OPENAI_CONTEXT = {
    "error": {
        "message": "This model's maximum context length is 8192 tokens. However, your messages resulted in "
        "9100 tokens. Please reduce the length of the messages.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}
VLLM_FLAT = {
    "object": "error",
    "message": "This model's maximum context length is 4096 tokens. However, you requested 5120 tokens "
    "(4096 in the messages, 1024 in the completion). Please reduce the length of the messages or completion.",
    "type": "BadRequestError",
    "param": None,
    "code": 400,
}
VLLM_NESTED = {
    "error": {
        "message": "This model's maximum context length is 4096 tokens. However, your request has 5000 input "
        "tokens. Please reduce the length of the input messages.",
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }
}
VLLM_OTHER_400 = {
    "object": "error",
    "message": "temperature must be non-negative, got -1.0.",
    "type": "BadRequestError",
    "param": None,
    "code": 400,
}
VLLM_NO_MODEL = {
    "object": "error",
    "message": "The model `scripted` does not exist.",
    "type": "NotFoundError",
    "param": None,
    "code": 404,
}


def llama_cpp_context(code: int) -> dict:
    return {
        "error": {
            "code": code,
            "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": 5000,
            "n_ctx": 4096,
        }
    }


OLLAMA_NO_MODEL = {
    "error": {
        "message": 'model "scripted" not found, try pulling it first',
        "type": "api_error",
        "param": None,
        "code": None,
    }
}
DASHSCOPE_FILTER = {
    "error": {
        "code": "data_inspection_failed",
        "param": None,
        "message": "Input data may contain inappropriate content.",
        "type": "data_inspection_failed",
    },
    "id": "chatcmpl-0",
    "request_id": "0",
}
TGI_CONTEXT = {  # Hugging Face Text Generation Inference, HTTP 422
    "error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 1000. Given: 1156 `inputs` "
    "tokens and 1024 `max_new_tokens`",
    "error_type": "validation",
}
OPENAI_BAD_KEY = {
    "error": {
        "message": "Incorrect API key provided: sk-abc***xyz. You can find your API key at the dashboard.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
}


@pytest.mark.parametrize(
    "status, body, kind, limit, requested",
    [
        (400, OPENAI_CONTEXT, ContextLengthError, 8192, 9100),
        (400, VLLM_FLAT, ContextLengthError, 4096, 4096),
        (400, VLLM_NESTED, ContextLengthError, 4096, 5000),
        (400, llama_cpp_context(400), ContextLengthError, 4096, 5000),
        (500, llama_cpp_context(500), ContextLengthError, 4096, 5000),
        (400, VLLM_OTHER_400, BadRequestError, None, None),
        (404, VLLM_NO_MODEL, ModelNotFoundError, None, None),
        (404, OLLAMA_NO_MODEL, ModelNotFoundError, None, None),
        (400, DASHSCOPE_FILTER, ContentFilteredError, None, None),
        (401, OPENAI_BAD_KEY, AuthenticationError, None, None),
        (422, TGI_CONTEXT, ContextLengthError, 1000, 1156),
    ],
    ids=[
        "openai-context",
        "vllm-flat-context",
        "vllm-nested-context",
        "llama.cpp-400-context",
        "llama.cpp-500-context",
        "vllm-other-400",
        "vllm-404-model",
        "ollama-404-model",
        "dashscope-filter",
        "openai-401",
        "tgi-422-context",
    ],
)
def test_server_error_shapes_map_to_one_error_after_one_request(scripted, scripted_settings, status, body, kind, limit, requested):
    scripted.script(Step.error(status, body))
    err = raised(chat, scripted_settings.replace(max_retries=3))
    assert type(err) is kind
    assert len(scripted.chat_requests) == 1  # none of these is retried, the 500 from llama.cpp included
    assert (err.status, err.base_url, err.model, err.attempts) == (status, scripted.base_url, "scripted", 1)
    assert err.__cause__ is not None
    if kind is ContextLengthError:
        assert (err.limit, err.requested) == (limit, requested)


def test_ollama_missing_model_says_how_to_pull_it(scripted, scripted_settings):
    scripted.script(Step.error(404, OLLAMA_NO_MODEL))
    err = raised(chat, scripted_settings)
    assert "ollama pull scripted" in str(err)
    assert "SUMMARIZE_MODEL" in str(err)


def test_a_404_without_a_model_in_it_points_at_the_base_url(scripted, scripted_settings):
    scripted.script(Step.error(404, "404 page not found"))
    err = raised(chat, scripted_settings)
    assert isinstance(err, BadRequestError) and not isinstance(err, ModelNotFoundError)
    assert "SUMMARIZE_BASE_URL" in str(err)
    assert len(scripted.chat_requests) == 1


def test_a_context_limit_below_the_setting_names_the_value_to_set(scripted, scripted_settings):
    scripted.script(Step.error(400, llama_cpp_context(400)))
    err = raised(chat, scripted_settings)
    assert "SUMMARIZE_CONTEXT_TOKENS=4096" in str(err)


def test_content_filter_finish_reason_is_a_content_filtered_error(scripted, scripted_settings):
    scripted.script(Step.reply("", finish_reason="content_filter"))
    err = raised(chat, scripted_settings)
    assert isinstance(err, ContentFilteredError)
    assert len(scripted.chat_requests) == 1


EN = "Tainan held a disaster drill with 3,000 residents, and the mayor plans a larger one next year."


def cached_texts(root) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in root.rglob("*.json"))


@pytest.mark.parametrize("reason", ["abort", "error", "ABORT"])
def test_a_reply_the_server_gave_up_on_is_retried_and_never_cached(scripted, scripted_settings, tmp_path, reason):
    # vLLM ends an aborted request with finish_reason "abort" (and a failed one with "error"):
    # the fragment it sent was taken for a whole reply, unflagged, and cached.
    settings = scripted_settings.replace(max_retries=1, retry_backoff=0, cache=True, cache_dir=str(tmp_path))
    scripted.script(Step.reply("Tainan held a drill with", finish_reason=reason), Step.reply(EN))
    assert chat(settings).text == EN
    assert len(scripted.chat_requests) == 2
    scripted.default = lambda seen: Step.reply("Tainan held a drill with", finish_reason=reason)
    err = raised(chat, settings.replace(cache=False))
    assert type(err) is ServerError and err.attempts == 2
    assert repr(reason) in str(err) and "not kept" in str(err) and "SUMMARIZE_MAX_RETRIES" in str(err)
    assert EN in cached_texts(tmp_path) and "drill with\"" not in cached_texts(tmp_path)


@pytest.mark.parametrize(
    "reason, says",
    [
        ("tool_calls", "called a tool"),
        ("function_call", "called a tool"),
        ("something_new", "does not say the answer is complete"),
    ],
)
def test_a_reply_whose_finish_reason_is_not_a_complete_answer_is_refused_and_never_cached(
    scripted, scripted_settings, tmp_path, reason, says
):
    settings = scripted_settings.replace(max_retries=3, cache=True, cache_dir=str(tmp_path))
    scripted.default = lambda seen: Step.reply(EN, finish_reason=reason)
    err = raised(chat, settings)
    assert type(err) is EndpointError and says in str(err) and repr(reason) in str(err)
    assert len(scripted.chat_requests) == 1  # asking again would end the same way
    assert not list(tmp_path.rglob("*.json"))
    err = raised(summarize_article, ARTICLE, settings=settings)
    assert isinstance(err, EndpointError) and repr(reason) in str(err)


@pytest.mark.parametrize(
    "stored, asked_again, text",
    [
        ({"text": "Tainan held a drill with", "finish_reason": "abort"}, True, EN),
        ({"text": "Tainan held a drill with", "finish_reason": 7}, True, EN),
        ({"text": EN + "<|im_end|>\n<|im_start|>user\nAgain", "finish_reason": "stop"}, False, EN),
        ({"text": "<|im_end|>\n<|im_start|>user\nAgain", "finish_reason": "stop"}, True, EN),
        ({"text": "Cached.", "finish_reason": "stop"}, False, "Cached."),
    ],
    ids=["abort", "not-a-string", "template-tokens", "only-template-tokens", "complete"],
)
def test_a_cached_reply_is_read_by_todays_rules(scripted, scripted_settings, tmp_path, stored, asked_again, text):
    # A cache written before a fragment ending in "abort" was refused still holds one.
    settings = scripted_settings.replace(cache=True, cache_dir=str(tmp_path))
    scripted.default = lambda seen: Step.reply(EN)

    async def go():
        async with ChatClient(settings) as client:
            options = client.request_options(settings.model, settings.output_tokens)
            client._cache.put(client._cache.key(client.base_url, MESSAGES, options),
                              {"prompt_tokens": 1, "completion_tokens": 1, "model": "m", **stored})
            return await client.chat(MESSAGES, model=settings.model)

    reply = asyncio.run(go())
    assert reply.text == text and reply.cached is not asked_again
    assert len(scripted.chat_requests) == int(asked_again)


@pytest.mark.parametrize("reason", ["stop", "eos_token", "stop_sequence", "eos", "STOP", None])
def test_a_reply_ended_as_a_complete_answer_is_taken_and_cached(scripted, scripted_settings, tmp_path, reason):
    # Text Generation Inference says eos_token or stop_sequence; a body may say nothing.
    settings = scripted_settings.replace(cache=True, cache_dir=str(tmp_path))
    scripted.script(Step(body=completion(EN, finish_reason=reason), stream=False))
    assert chat(settings).text == EN and chat(settings).cached
    assert len(scripted.chat_requests) == 1


@pytest.mark.parametrize(
    "tail",
    [
        "\n<think>Hmm, maybe the user wants more on the mayor's plans",
        "<|im_end|>\n<|im_start|>user\nSummarize again",
        "<|eot_id|>",
        "<|endoftext|>",
    ],
)
@pytest.mark.parametrize("head", ["", "<thinking>Plan: one paragraph.</thinking>\n", "<reasoning>Keep it short.</reasoning>"])
def test_reasoning_and_chat_template_tokens_never_reach_a_summary(scripted, scripted_settings, head, tail):
    scripted.default = lambda seen: Step.reply(head + EN + tail)
    summary = summarize_article(ARTICLE, settings=scripted_settings)
    assert summary.text == EN


@pytest.mark.parametrize(
    "usage, first",
    [
        ({"prompt_tokens": 40, "completion_tokens": 812}, "812 output tokens); a reasoning model may have spent its output thinking"),
        ({"prompt_tokens": 40, "completion_tokens": 1}, "1 output tokens); the server or its chat template may have ended the turn at once"),
        (None, "finish_reason 'stop'); a reasoning model"),
    ],
    ids=["tokens-spent", "none-spent", "no-usage"],
)
@pytest.mark.parametrize("text", ["", "   \n ", "<|im_end|>\n<|im_start|>user"])
def test_an_empty_reply_says_what_may_have_caused_it_and_what_to_do(scripted, scripted_settings, usage, first, text):
    # "the model returned an empty reply" suggested no fix.
    scripted.default = lambda seen: Step.reply(text, usage=usage)
    err = raised(chat, scripted_settings)
    # Its own type, which a caller (and translate's one retry) can catch without reading words.
    assert type(err) is EmptyReplyError and "the model returned an empty reply (" in str(err)
    assert first in str(err)
    assert "turn thinking off for this model" in str(err) and "SUMMARIZE_OUTPUT_TOKENS" in str(err)
    assert "check the server's log" in str(err)


def test_a_429_inside_an_http_200_body_is_retried(scripted, scripted_settings):
    scripted.script(Step(status=200, body={"error": {"message": "Rate limit exceeded", "code": 429}}), Step.reply("ok"))
    assert chat(scripted_settings).text == "ok"
    assert len(scripted.chat_requests) == 2


def test_a_429_inside_an_http_200_body_ends_as_a_rate_limit_error(scripted, scripted_settings):
    scripted.default = lambda seen: Step(status=200, body={"error": {"message": "Rate limit exceeded", "code": 429}})
    err = raised(chat, scripted_settings.replace(max_retries=2))
    assert isinstance(err, RateLimitedError)
    assert err.attempts == 3 and len(scripted.chat_requests) == 3
    assert "SUMMARIZE_CONCURRENCY" in str(err)


# -- fault 1 and 2: Retry-After -------------------------------------------------------------


def test_fault_1_retry_after_2_waits_at_least_2_seconds_then_succeeds(scripted, scripted_settings):
    scripted.script(Step.error(429, {"error": {"message": "slow down", "code": "rate_limit_exceeded"}}, headers={"Retry-After": "2"}))
    started = time.monotonic()
    summary = summarize_article(ARTICLE, settings=scripted_settings)
    elapsed = time.monotonic() - started
    assert summary.text == "A scripted summary."
    first, second = scripted.chat_requests
    assert second.at - first.at >= 2.0
    assert elapsed < 4.0  # honoured, not added to a backoff of its own


def test_fault_2_retry_after_600_fails_at_once_with_a_rate_limit_error(scripted, scripted_settings):
    scripted.script(Step.error(429, {"error": {"message": "quota", "code": "rate_limit_exceeded"}}, headers={"Retry-After": "600"}))
    started = time.monotonic()
    err = raised(summarize_article, ARTICLE, settings=scripted_settings)
    assert time.monotonic() - started < 2.0
    assert isinstance(err, RateLimitedError)
    assert err.retry_after == 600 and err.status == 429
    assert "SUMMARIZE_RETRY_WAIT_MAX" in str(err)
    assert len(scripted.chat_requests) == 1


@pytest.mark.parametrize("value", ["9" * 400, "1e308"])
def test_fault_2_a_retry_after_of_more_digits_than_a_float_holds_fails_at_once(scripted, scripted_settings, value):
    # 400 nines read as infinity, which counted as no Retry-After: retried at once, while 1e308 failed fast.
    scripted.default = lambda seen: Step.error(429, {"error": {"message": "quota"}}, headers={"Retry-After": value})
    err = raised(chat, scripted_settings)
    assert isinstance(err, RateLimitedError) and err.retry_after >= 1e12
    assert len(scripted.chat_requests) == 1


@pytest.mark.parametrize("header", [{"Retry-After": "0.3"}, {"retry-after-ms": "300", "Retry-After": "9"}])
def test_fault_2_a_retry_after_within_the_cap_is_waited(scripted, scripted_settings, header):
    scripted.script(Step.error(429, {"error": {"message": "quota"}}, headers=header), Step.reply("ok"))
    assert chat(scripted_settings.replace(retry_wait_max=0.5)).text == "ok"
    first, second = scripted.chat_requests
    assert second.at - first.at >= 0.3


# -- fault 3: retried failures, bounded ----------------------------------------------------


def test_fault_3_a_503_with_retry_after_is_waited_like_a_429(scripted, scripted_settings):
    scripted.script(Step.error(503, {"error": {"message": "Loading model"}}, headers={"Retry-After": "0.3"}), Step.reply("ok"))
    assert chat(scripted_settings).text == "ok"
    first, second = scripted.chat_requests
    assert second.at - first.at >= 0.3  # not the 0.01 s backoff


def test_fault_3_a_503_asking_for_too_long_a_wait_fails_at_once(scripted, scripted_settings):
    scripted.script(Step.error(503, {"error": {"message": "maintenance"}}, headers={"Retry-After": "3600"}))
    err = raised(chat, scripted_settings)
    assert isinstance(err, ServerError) and err.retry_after == 3600
    assert "SUMMARIZE_RETRY_WAIT_MAX" in str(err)
    assert len(scripted.chat_requests) == 1


SERVER_FAULTS = {
    "500": (lambda: Step.error(500, {"error": {"message": "internal error", "type": "server_error"}}), ServerError),
    "502": (lambda: Step.error(502, "<html>Bad Gateway</html>"), ServerError),
    "503-loading": (lambda: Step.error(503, {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}}), ServerError),
    "dropped": (lambda: Step(drop=True), ConnectionFailedError),
    "read-timeout": (lambda: Step.reply("late", delay=0.6), ConnectionFailedError),
}


def hosted(monkeypatch, fault: str) -> None:
    """Treat the loopback server as a hosted endpoint for a timeout: a hosted endpoint's timeout is
    retried, a local server's is not (it is still working on the request; see test_transport.py)."""
    if fault == "read-timeout":
        from summarize import config

        monkeypatch.setattr(config, "is_local_url", lambda url: False)


@pytest.mark.parametrize("fault", list(SERVER_FAULTS))
def test_fault_3_retried_up_to_max_retries_then_a_clear_error_in_bounded_time(scripted, scripted_settings, fault, monkeypatch):
    hosted(monkeypatch, fault)
    make, kind = SERVER_FAULTS[fault]
    scripted.default = lambda seen: make()
    settings = scripted_settings.replace(max_retries=2, timeout=0.3)
    started = time.monotonic()
    err = raised(summarize_article, ARTICLE, settings=settings)
    elapsed = time.monotonic() - started
    assert type(err) is kind
    assert len(scripted.chat_requests) == 3 and err.attempts == 3
    assert "after 3 attempts" in str(err)
    assert "SUMMARIZE_" in str(err)  # says which setting to look at
    assert elapsed < 3 * 0.3 + 1.5  # three timeouts at most, plus short backoffs


@pytest.mark.parametrize("fault", list(SERVER_FAULTS))
def test_fault_3_recovers_when_the_server_does(scripted, scripted_settings, fault, monkeypatch):
    hosted(monkeypatch, fault)
    make, _ = SERVER_FAULTS[fault]
    scripted.script(make(), make())
    summary = summarize_article(ARTICLE, settings=scripted_settings.replace(max_retries=2, timeout=0.3))
    assert summary.text == "A scripted summary."
    assert len(scripted.chat_requests) == 3


def test_fault_3_backoff_grows_and_stays_bounded(scripted, scripted_settings):
    scripted.default = lambda seen: Step.error(503, {"error": {"message": "busy"}})
    settings = scripted_settings.replace(max_retries=4, retry_backoff=0.05, retry_wait_max=0.1)
    started = time.monotonic()
    err = raised(chat, settings)
    assert isinstance(err, ServerError) and len(scripted.chat_requests) == 5
    assert time.monotonic() - started < 4 * 0.1 + 1.0  # no wait above retry_wait_max


def test_max_retries_zero_sends_one_request(scripted, scripted_settings):
    scripted.default = lambda seen: Step.error(500, {"error": {"message": "boom"}})
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert isinstance(err, ServerError) and len(scripted.chat_requests) == 1


# -- fault 4: never retried ----------------------------------------------------------------


@pytest.mark.parametrize(
    "status, kind",
    [(400, BadRequestError), (401, AuthenticationError), (403, AuthenticationError), (404, ModelNotFoundError)],
)
def test_fault_4_client_errors_send_exactly_one_request(scripted, scripted_settings, status, kind):
    scripted.script(Step.error(status, {"error": {"message": f"model scripted: status {status}", "code": None}}))
    err = raised(summarize_article, ARTICLE, settings=scripted_settings.replace(max_retries=3))
    assert type(err) is kind and err.status == status
    assert len(scripted.chat_requests) == 1


# -- fault 5: context length exceeded -------------------------------------------------------


def context_error(n_ctx: int, n_prompt: int) -> Step:
    return Step.error(
        400,
        {"error": {"code": 400, "message": "the request exceeds the available context size, try increasing it",
                   "type": "exceed_context_size_error", "n_prompt_tokens": n_prompt, "n_ctx": n_ctx}},
    )


def test_fault_5_an_over_long_article_is_split_at_the_stated_limit_and_goes_on(scripted, scripted_settings):
    article = sentences(30)
    tokens = tokenizer_for("scripted").count(article)
    settings = scripted_settings.replace(output_tokens=256, concurrency=1)  # requests in article order
    # The server counts twice what we sent and holds 1000: room for about a seventh of the article per request.
    scripted.script(context_error(1000, 2 * tokens))
    summary = summarize_article(article, settings=settings)
    assert summary.text == "A scripted summary."
    first, *maps, reduce = scripted.chat_requests
    assert fenced_text(first) == article
    room = 1000 - 256 - 32  # the stated window less the reply and the safety margin of a 1,000-token window
    budget = int(tokens * (room / (2 * tokens)))
    assert len(maps) >= 6
    assert all(tokenizer_for("scripted").count(fenced_text(m)) <= budget for m in maps)
    assert "".join(fenced_text(m) for m in maps) == article  # nothing lost, in order
    assert "Part" in reduce.user_text and summary.chunks == len(maps)


def test_fault_5_without_a_stated_limit_the_chunk_is_halved(scripted, scripted_settings):
    article = sentences(30)
    tokens = tokenizer_for("scripted").count(article)
    scripted.script(Step.error(400, {"error": {"message": "prompt is too long", "code": "context_length_exceeded"}}))
    summary = summarize_article(article, settings=scripted_settings)
    _, *maps = scripted.chat_requests  # two halves: their notes are the summary, no reduce
    assert len(maps) == summary.chunks >= 2 and all(m.kind == "map" for m in maps)
    assert all(tokenizer_for("scripted").count(fenced_text(m)) <= tokens // 2 for m in maps)


def test_fault_5_a_chunk_of_a_map_reduce_is_split_and_the_rest_go_on(scripted, scripted_settings):
    article = sentences(40)
    settings = scripted_settings.replace(chunk_tokens=400, output_tokens=256, concurrency=1)

    failed_once = []

    def respond(seen):
        text = fenced_text(seen)
        if "第0項" in text and not failed_once and seen.kind == "map":
            failed_once.append(seen)
            return context_error(700, 900)
        return Step.reply(f"note {len(scripted.chat_requests)}")

    scripted.default = respond
    summary = summarize_article(article, settings=settings)
    assert failed_once and not summary.is_partial
    bodies = [repr(r.body) for r in scripted.chat_requests]
    assert len(bodies) == len(set(bodies))  # never the same request twice
    map_texts = [fenced_text(r) for r in scripted.chat_requests if r.kind == "map"]
    assert sum(t == fenced_text(failed_once[0]) for t in map_texts) == 1
    (retried,) = [t for t in map_texts if "第0項" in t and t != fenced_text(failed_once[0])]
    assert len(retried) < len(fenced_text(failed_once[0])) / 2  # cut to the stated window, not halved
    assert all(sentence in "".join(map_texts) for sentence in article.split("\n"))


def test_fault_5_a_server_that_always_says_too_long_ends_without_repeating_a_request(scripted, scripted_settings):
    scripted.default = lambda seen: Step.error(400, {"error": {"message": "prompt is too long", "code": "context_length_exceeded"}})
    err = raised(summarize_article, sentences(8), settings=scripted_settings)
    assert isinstance(err, (ContextLengthError, ChunkFailedError))
    bodies = [repr(r.body) for r in scripted.chat_requests]
    assert len(bodies) == len(set(bodies))
    assert len(bodies) < 64


def test_a_request_cut_off_before_its_body_arrived_is_not_recorded_as_one(scripted, scripted_settings):
    # Cancelling requests in flight (a failed chunk stops its siblings) can hang up after the
    # headers, before the body: the server never received that request, so it must not count
    # as one (two such, each "body None", looked like one request sent twice).
    scripted.script(Step.reply("the scripted step"))
    host, port = scripted.base_url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 500\r\n\r\n{\"messages\": [")
    for _ in range(500):  # bounded: the handler thread notices the hang-up at once
        if scripted.abandoned:
            break
        time.sleep(0.01)
    assert len(scripted.abandoned) == 1 and scripted.chat_requests == []
    assert chat(scripted_settings).text == "the scripted step"  # the script was not used up
    assert len(scripted.chat_requests) == 1


def test_fault_5_a_piece_that_fails_for_good_stops_its_sibling_pieces(scripted, scripted_settings):
    # A split chunk's pieces run side by side. When one fails for good, the others must be
    # cancelled with the run: left running, they outlive it, and a request still in flight when
    # the run closes its client was sent a second time (the flaky "13 bodies, 12 distinct").
    release = threading.Event()

    def respond(seen):
        text = fenced_text(seen)
        if seen.kind == "summarize" or ("第0項" in text and "第1項" in text):
            return Step.error(400, {"error": {"message": "prompt is too long", "code": "context_length_exceeded"}})
        if "第0項" in text:
            return Step.error(400, VLLM_OTHER_400)  # this piece fails for good
        release.wait(10)  # every other request is still being worked on
        return Step.reply("late notes")

    scripted.default = respond

    async def run():
        with pytest.raises(ChunkFailedError):
            await asummarize_article(sentences(8), settings=scripted_settings)
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    try:
        left_running = asyncio.run(run())
    finally:
        release.set()
    assert left_running == []
    bodies = [repr(r.body) for r in scripted.chat_requests]
    assert len(bodies) == len(set(bodies))


def test_fault_5_a_stated_window_too_small_for_the_reply_fails_at_once(scripted, scripted_settings):
    scripted.default = lambda seen: context_error(1000, 1500)
    # A 690-word summary asks for a reply of 998 tokens: no chunk fits beside it.
    err = raised(summarize_article, sentences(30), settings=scripted_settings.replace(summary_words=690))
    assert isinstance(err, ContextLengthError) and err.limit == 1000
    assert "SUMMARIZE_CONTEXT_TOKENS=1000" in str(err)
    assert len(scripted.chat_requests) == 1


# -- fault 6: finish_reason == "length" -----------------------------------------------------


@pytest.mark.parametrize(
    "step, spent",
    [
        (Step.reply("<think>Let me count the participants first, then", finish_reason="length"), "thinking"),
        (Step(body=completion(None, finish_reason="length", reasoning_content="Let me think about the drill")), "thinking"),
    ],
    ids=["inline-think", "reasoning-field"],
)
def test_fault_6_a_reply_cut_while_thinking_raises_truncated_output(scripted, scripted_settings, step, spent):
    scripted.script(step)
    err = raised(summarize_article, ARTICLE, settings=scripted_settings.replace(output_tokens=200, summary_words=100))
    assert isinstance(err, TruncatedOutputError)
    assert f"172-token limit while {spent}" in str(err)
    # The limit is the 100-word summary's own, under the 200-token cap: raising the cap changes nothing.
    assert "turn thinking off for this model (each reply's limit is sized" in str(err)
    assert "SUMMARIZE_OUTPUT_TOKENS" not in str(err)
    assert len(scripted.chat_requests) == 1  # the same request would be cut the same way


def test_fault_6_a_summary_cut_twice_raises_without_blaming_output_tokens(scripted, scripted_settings):
    cut = Step.reply("The city held a drill with three thou", finish_reason="length")
    scripted.script(cut, cut)
    err = raised(summarize_article, ARTICLE, settings=scripted_settings)
    assert isinstance(err, TruncatedOutputError)
    assert "242-token limit of a 150-word reply, twice" in str(err)
    assert "SUMMARIZE_OUTPUT_TOKENS" not in str(err)  # more room only buys more copied article
    first, again = scripted.chat_requests
    assert again.body["frequency_penalty"] > 0 and "frequency_penalty" not in first.body
    assert again.user_text.startswith(first.user_text) and again.reasked


def test_fault_6_a_cut_reply_asked_again_that_stops_is_the_summary(scripted, scripted_settings):
    scripted.script(Step.reply("The city held a drill with three thou", finish_reason="length"), Step.reply("The city held a drill."))
    summary = summarize_article(ARTICLE, settings=scripted_settings)
    assert summary.text == "The city held a drill." and not summary.truncated and summary.flags == ()
    assert summary.usage.requests == 2


# -- fault 7: the server silently truncated the prompt -------------------------------------


def test_fault_7_far_fewer_prompt_tokens_than_sent_warns_with_the_fix(scripted, scripted_settings, caplog):
    article = sentences(150)  # about 4,000 tokens: one request, which Ollama cuts to its default num_ctx
    sent = sum(QWEN.count(m["content"]) for m in prompts.summarize_messages(article, "en"))
    scripted.script(Step.reply("ok", usage={"prompt_tokens": 2048, "completion_tokens": 5, "total_tokens": 2053}))
    with caplog.at_level(logging.WARNING, logger="summarize"):
        summary = summarize_article(article, settings=scripted_settings.replace(tokenizer="qwen"))
    assert len(scripted.chat_requests) == 1
    assert summary.text == "ok"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "2048" in message and str(sent) in message
    assert "num_ctx" in message and "SUMMARIZE_CONTEXT_TOKENS" in message


@pytest.mark.parametrize("prompt_tokens", [None, "as-sent", "more"])
def test_fault_7_no_warning_when_the_count_is_plausible_or_missing(scripted, scripted_settings, caplog, prompt_tokens):
    article = sentences(70)
    sent = sum(QWEN.count(m["content"]) for m in prompts.summarize_messages(article, "en"))
    usage = None if prompt_tokens is None else {
        "prompt_tokens": sent if prompt_tokens == "as-sent" else 2 * sent, "completion_tokens": 5, "total_tokens": 0
    }
    scripted.script(Step.reply("ok", usage=usage))
    with caplog.at_level(logging.WARNING, logger="summarize"):
        summarize_article(article, settings=scripted_settings)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- fault 8: one chunk fails for good -----------------------------------------------------


def three_chunk_server(scripted, failing: str = "第10項"):
    """Map replies name their chunk's first sentence; the chunk holding ``failing`` always gets a 500."""

    def respond(seen):
        if seen.kind == "map":
            text = fenced_text(seen)
            if failing in text:
                return Step.error(500, {"error": {"message": "CUDA out of memory"}})
            return Step.reply(f"Notes on {text.split('：')[0]}.")
        return Step.reply("The final summary.")

    scripted.default = respond


def test_fault_8_by_default_a_failed_chunk_raises_naming_its_index(scripted, scripted_settings):
    three_chunk_server(scripted)
    settings = scripted_settings.replace(chunk_tokens=700, max_retries=1)
    err = raised(summarize_article, sentences(30), settings=settings)
    assert isinstance(err, ChunkFailedError)
    assert err.index == 1 and err.count == 3
    assert "chunk 2 of 3" in str(err) and "partial=True" in str(err)
    assert isinstance(err.__cause__, ServerError)
    assert not [r for r in scripted.chat_requests if r.kind != "map"]  # no reduce


def test_fault_8_partial_summary_lists_the_failed_chunk_and_no_placeholder_reaches_reduce(scripted, scripted_settings):
    three_chunk_server(scripted)
    settings = scripted_settings.replace(chunk_tokens=700, max_retries=1)
    summary = summarize_article(sentences(30), settings=settings, partial=True)
    assert summary.is_partial and summary.failed_chunks == (1,) and summary.chunks == 3
    # Three parts: their notes are the summary, and the failed one leaves no placeholder.
    assert summary.text == "Notes on 第0項.\n\nNotes on 第20項."
    assert all(r.kind == "map" for r in scripted.chat_requests)
    # A summary too short to share among three parts is reduced: from exactly the two notes.
    scripted.requests.clear()
    summary = summarize_article(sentences(30), settings=settings.replace(summary_words=90), partial=True)
    assert summary.is_partial and summary.text == "The final summary."
    (reduce,) = [r for r in scripted.chat_requests if r.kind != "map"]
    expected = prompts.reduce_messages(["Notes on 第0項.", "Notes on 第20項."], "en", words=90, article=sentences(30))
    assert reduce.messages == expected  # exactly the two notes: no placeholder for the failed chunk


def test_fault_8_partial_with_every_chunk_failing_raises(scripted, scripted_settings):
    three_chunk_server(scripted, failing="項")
    err = raised(summarize_article, sentences(30), settings=scripted_settings.replace(chunk_tokens=700, max_retries=0), partial=True)
    assert isinstance(err, ChunkFailedError)
    # partial=True was passed, and no chunk succeeded: no advice to pass it, nothing "kept".
    assert "partial=True" not in str(err) and not err.keeps_others
    assert isinstance(err.__cause__, EndpointError) and str(err.__cause__) in str(err)


# -- fault 9: no usage ---------------------------------------------------------------------


def test_fault_9_missing_usage_gives_none_not_a_crash(scripted, scripted_settings):
    scripted.script(Step.reply("ok", usage=None))
    summary = summarize_article(ARTICLE, settings=scripted_settings)
    assert summary.usage.requests == 1
    assert summary.usage.prompt_tokens is None and summary.usage.completion_tokens is None
    assert summary.usage.total_tokens is None


def test_fault_9_usage_counts_sent_as_whole_floats_are_counted(scripted, scripted_settings):
    # Some servers' JSON writes 1500.0: the counts were dropped, and the run's usage said nothing.
    scripted.script(Step.reply("ok", usage={"prompt_tokens": 1500.0, "completion_tokens": 20.0, "total_tokens": 1520.0}))
    summary = summarize_article(ARTICLE, settings=scripted_settings)
    assert (summary.usage.prompt_tokens, summary.usage.completion_tokens) == (1500, 20)
    assert isinstance(summary.usage.prompt_tokens, int)


def test_fault_9_usage_missing_from_one_reply_of_many_is_none(scripted, scripted_settings):
    replies = iter(range(100))
    scripted.default = lambda seen: Step.reply(f"note {next(replies)}", usage=None if len(scripted.chat_requests) == 2 else True)
    summary = summarize_article(sentences(30), settings=scripted_settings.replace(chunk_tokens=700, concurrency=1))
    assert summary.usage.requests == 3  # three maps, whose notes are the summary
    assert summary.usage.prompt_tokens is None  # a partial sum would undercount



def test_on_truncation_keep_returns_the_cut_reply_flagged_and_uncached(scripted, scripted_settings, tmp_path):
    cut = Step.reply("A summary that was cut", finish_reason="length")
    scripted.script(cut, cut, cut, cut)  # each run: the request, then the re-ask after the cut
    settings = scripted_settings.replace(on_truncation="keep", cache=True, cache_dir=str(tmp_path))
    first = summarize_article("臺南今天天氣晴朗。", settings=settings)
    assert first.text == "A summary that was cut" and first.truncated and "truncated" in first.flags
    again = summarize_article("臺南今天天氣晴朗。", settings=settings)
    assert again.truncated and len(scripted.chat_requests) == 4  # the cut replies were not cached
    scripted.script(cut, cut)
    with pytest.raises(TruncatedOutputError):
        summarize_article("臺南今天天氣晴朗。", settings=scripted_settings)


@pytest.mark.parametrize(
    "step",
    [
        Step(body=completion(None, finish_reason="stop", reasoning_content="Let me think about the drill")),
        Step.reply("<think>Let me think about the drill.</think>"),
    ],
    ids=["reasoning-field", "inline-think"],
)
def test_a_reply_that_is_only_reasoning_says_so_not_empty(scripted, scripted_settings, step):
    # A thinking model that stopped after thinking was reported as "an empty reply".
    scripted.script(step)
    err = raised(summarize_article, ARTICLE, settings=scripted_settings.replace(max_retries=0))
    assert isinstance(err, EmptyReplyError) and "held only its reasoning (thinking), no answer" in str(err), repr(err)


@pytest.mark.parametrize(
    "environ, given, says",
    [
        ({"SUMMARIZE_BASE_URL": "http://127.0.0.1:9/v1"}, {}, "at the base URL (from SUMMARIZE_BASE_URL)?"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, {}, "at the base URL (from OPENAI_BASE_URL)?"),
        ({}, {"base_url": "http://127.0.0.1:9/v1"}, "at the base URL (base_url=, --base-url or SUMMARIZE_BASE_URL)?"),
    ],
    ids=["summarize-variable", "openai-variable", "argument"],
)
def test_an_unreachable_server_is_named_by_where_its_base_url_came_from(environ, given, says):
    # It always said "is the server running at SUMMARIZE_BASE_URL?", also for a base URL read
    # from OPENAI_BASE_URL, where that variable was not the one to change.
    settings = Settings.from_env(environ, model="m", cache=False, max_retries=0, **given)
    err = raised(summarize_article, ARTICLE, settings=settings)
    assert isinstance(err, ConnectionFailedError)
    assert f"could not connect or the connection dropped (Connection error.); is a server running {says}" in str(err)
    assert "at http://127.0.0.1:9/v1" in str(err)


def test_https_to_a_plain_http_server_says_so(scripted):
    # llama-server, Ollama and vLLM speak plain HTTP: https:// to one failed as "could not
    # connect or the connection dropped (Connection error.); is a server running ...?" with the
    # TLS reason dropped, while the server was running.
    https = scripted.base_url.replace("http://", "https://")
    err = raised(summarize_article, ARTICLE, settings=Settings(base_url=https, model="m", cache=False, max_retries=0))
    assert isinstance(err, ConnectionFailedError), repr(err)
    assert "the TLS handshake failed (WRONG_VERSION_NUMBER)" in str(err), str(err)
    assert "use http:// in the base URL (base_url=, --base-url or SUMMARIZE_BASE_URL)" in str(err)
    assert "is a server running" not in str(err)


def test_a_failed_tls_handshake_is_not_asked_again(scripted):
    # Plain HTTP answers every handshake the same way: at default retries, 4 attempts and their
    # backoff took 12 s to give the same error.
    https = scripted.base_url.replace("http://", "https://")
    settings = Settings(base_url=https, model="m", cache=False, max_retries=3, retry_backoff=0.01)
    err = raised(summarize_article, ARTICLE, settings=settings)
    assert isinstance(err, ConnectionFailedError) and err.attempts == 1, repr(err)
    assert "the TLS handshake failed" in str(err)
    assert err.settled and not err.timed_out  # the marks the retry policy reads


def test_a_tls_handshake_cut_off_is_no_advice_to_use_http():
    import ssl

    from summarize.classify import tls_failure

    # A handshake a flaky network cut off says nothing of plain HTTP: it stays a dropped connection.
    assert tls_failure(ConnectionError("x")) is None
    cut = ConnectionError("Connection error.")
    cut.__cause__ = ssl.SSLEOFError(8, "EOF occurred in violation of protocol")
    assert tls_failure(cut) is None


@pytest.mark.parametrize(
    "step",
    [
        Step(status=404, body={"error": {"message": "not found"}}),
        Step(status=200, raw=b"<html><title>Sign in</title></html>", content_type="text/html"),
        Step(status=200, body={"id": "x", "object": "chat.completion", "choices": "none"}),
    ],
    ids=["no-such-path", "html-page", "malformed"],
)
def test_advice_to_check_the_base_url_names_the_variable_it_came_from(scripted, step):
    # Every such message said "check SUMMARIZE_BASE_URL", also when the URL was read from
    # OPENAI_BASE_URL and SUMMARIZE_BASE_URL was not set at all.
    scripted.default = lambda seen: step
    settings = Settings.from_env({"OPENAI_BASE_URL": scripted.base_url}, model="m", cache=False, max_retries=0)
    err = raised(summarize_article, ARTICLE, settings=settings)
    assert isinstance(err, EndpointError), repr(err)
    assert "the base URL (from OPENAI_BASE_URL)" in str(err) and "SUMMARIZE_BASE_URL" not in str(err), str(err)



# -- a reply that is only what a chat model says around an answer ------------------------


@pytest.mark.parametrize("said", ["Sure! Here is the summary:", "```\n```", "<<<END ARTICLE>>>"])
def test_a_reply_of_nothing_but_chatter_is_asked_again_then_raised_and_never_cached(
    scripted, scripted_settings, tmp_path, said
):
    # Cleaned of its lead-in, fence or echoed fence line, such a reply was "": it came back as
    # a summary with no flag, and was cached, so the run after the server was mended replayed it.
    settings = scripted_settings.replace(cache=True, cache_dir=str(tmp_path))
    scripted.default = lambda seen: Step.reply(said)
    err = raised(summarize_article, ARTICLE, settings=settings)
    assert isinstance(err, EmptyReplyError) and err.attempts == 2, repr(err)
    assert "held nothing but what a chat model says around an answer" in str(err)
    assert len(scripted.chat_requests) == 2
    scripted.default = lambda seen: Step.reply(EN)
    assert summarize_article(ARTICLE, settings=settings).text == EN
    assert len(scripted.chat_requests) == 3  # asked, not replayed


def test_a_reply_of_nothing_but_chatter_asked_again_is_mended(scripted, scripted_settings):
    scripted.script(Step.reply("Here is the summary:"), Step.reply(EN))
    summary = summarize_article(ARTICLE, settings=scripted_settings)
    assert summary.text == EN and not summary.flags
    assert "could not be used" in scripted.chat_requests[1].messages[-1]["content"]


def test_a_chunk_whose_notes_are_nothing_but_chatter_fails_and_is_not_passed_on_empty(scripted, scripted_settings):
    # The chunk's notes were "", and the reduce request got "[Part 2]" with nothing under it:
    # the summary left out a third of the article with is_partial False and no flag.
    def respond(seen):
        if seen.kind == "map":
            text = fenced_text(seen)
            return Step.reply("Sure! Here are the key points:" if "第10項" in text else f"Notes on {text.split('：')[0]}.")
        return Step.reply("The final summary.")

    scripted.default = respond
    settings = scripted_settings.replace(chunk_tokens=700, summary_words=90)
    err = raised(summarize_article, sentences(30), settings=settings)
    assert isinstance(err, ChunkFailedError) and err.index == 1 and isinstance(err.__cause__, EmptyReplyError)
    summary = summarize_article(sentences(30), settings=settings, partial=True)
    assert summary.is_partial and summary.failed_chunks == (1,)
    (reduce,) = [r for r in scripted.chat_requests if r.kind != "map"]
    assert "[Part 2]\n\n" not in reduce.messages[-1]["content"] and "Notes on 第20項." in reduce.messages[-1]["content"]


@pytest.mark.parametrize("call", [summarize_article, lambda *a, **k: asyncio.run(asummarize_article(*a, **k))], ids=["sync", "async"])
def test_an_on_text_that_cannot_be_called_is_refused_before_any_request(scripted, scripted_settings, call):
    # on_text=5 failed with a bare TypeError once the summary streamed in: the request was paid for.
    scripted.default = lambda seen: Step.reply(EN)
    err = raised(call, ARTICLE, settings=scripted_settings, on_text=5)
    assert isinstance(err, ConfigError) and "on_text must be a function taking a str, or None, got int" in str(err)
    assert not scripted.requests


class _AsyncCallable:
    async def __call__(self, piece: str) -> None:
        pass


async def _async_on_text(piece: str) -> None:
    pass


@pytest.mark.parametrize("on_text", [_async_on_text, _AsyncCallable()], ids=["async-def", "async-__call__"])
def test_an_async_on_text_is_refused_before_any_request(scripted, scripted_settings, on_text):
    # It was called, and the coroutine it returned was dropped unawaited: its body never ran,
    # the summary came back, and only a RuntimeWarning most apps never show said so.
    scripted.default = lambda seen: Step.reply(EN)
    err = raised(summarize_article, ARTICLE, settings=scripted_settings, on_text=on_text)
    assert isinstance(err, ConfigError) and "on_text must be a plain function, not an async one" in str(err)
    assert not scripted.requests


DEEP = b"[" * 200_000 + b"]" * 200_000  # JSON nested deeper than Python's stack


@pytest.mark.parametrize(
    "step",
    [
        Step(status=200, raw=DEEP, stream=False),
        Step(status=200, raw=b"data: " + DEEP + b"\n\n", content_type="text/event-stream"),
        Step(status=500, raw=DEEP),
    ],
    ids=["body", "streamed-event", "error-body"],
)
def test_json_nested_past_the_stack_is_a_malformed_reply_not_an_internal_error(scripted, scripted_settings, step):
    # json.loads raised RecursionError, which every handler of bad JSON missed.
    scripted.default = lambda seen: step
    err = raised(summarize_article, ARTICLE, settings=scripted_settings.replace(max_retries=0))
    assert isinstance(err, EndpointError) and "RecursionError" not in repr(err), repr(err)


# -- hostile and quirky servers (red team, round 2) ---------------------------------------------


def test_a_reply_complete_at_done_is_taken_while_the_server_holds_the_stream_open(scripted, scripted_settings):
    # It waited for the close (a keep-alive comment every half second, or none), then failed as a
    # stalling server, and the paid reply was lost.
    scripted.script(Step(body=completion("Tainan held a drill with 3,000 residents."), hold_open=10))
    reply = chat(scripted_settings.replace(timeout=1, max_retries=0))
    assert reply.text == "Tainan held a drill with 3,000 residents."


@pytest.mark.parametrize(
    "message, says",
    [
        ({"content": None, "refusal": "I'm sorry, I can't help with that."}, "the model refused: \"I'm sorry, I can't help with that.\""),
        ({"content": None, "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
         "answered with a tool call"),
    ],
)
def test_an_empty_reply_says_why_when_the_server_said(scripted, scripted_settings, message, says):
    body = {"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}]}
    scripted.default = lambda seen: Step(body=body, stream=False)
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert isinstance(err, EmptyReplyError) and says in str(err) and "thinking" not in str(err)


def test_an_empty_list_of_choices_is_a_malformed_reply_not_a_rejected_request(scripted, scripted_settings):
    scripted.default = lambda seen: Step(body={"object": "chat.completion", "choices": []}, stream=False)
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert not isinstance(err, BadRequestError) and "malformed" in str(err) and "rejected" not in str(err)


@pytest.mark.parametrize("code", ["²", "9" * 5000])
def test_an_error_code_the_server_chose_is_no_crash(scripted, scripted_settings, code):
    # "²" passes isdigit() and int() refuses it; int() refuses 5,000 digits: a ValueError escaped.
    scripted.default = lambda seen: Step(body={"error": {"message": "overloaded", "code": code}}, stream=False)
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert isinstance(err, EndpointError) and "overloaded" in str(err)


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_chat_request_redirected_to_a_get_names_where_it_points(scripted, scripted_settings, status):
    # Followed, the POST arrived as a GET, and the user saw "405 Method Not Allowed" at the base URL.
    target = scripted.base_url.replace("/v1", "/api/v1") + "/chat/completions"
    scripted.script(Step(status=status, raw=b"", stream=False, headers={"Location": target}))
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert isinstance(err, EndpointError) and target in str(err) and f"HTTP {status}" in str(err)
    assert [r.method for r in scripted.requests] == ["POST"]  # not followed
