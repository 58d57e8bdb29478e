"""The client's contract over real HTTP: malformed and oversized replies, deadlines, 429 storms,
streaming, clients passed in, usage counts, running inside an event loop (issue 12, items
11-13, 15-18 and 21; issue 11, item 7).

Each test scripts the loopback server in ``scripted_server.py``; nothing in ``openai`` is patched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import logging
import threading
import time
import zlib

import openai
import pytest

from scripted_server import ScriptedServer, Step, completion
from summarize import (
    BadRequestError,
    ChunkFailedError,
    ConfigError,
    ConnectionFailedError,
    EndpointError,
    RateLimitedError,
    ServerError,
    Settings,
    SummarizeError,
    TruncatedOutputError,
    asummarize_article,
    summarize_article,
    translate_article,
)
from summarize import prompts
from summarize.client import ChatClient
from summarize.transport import MAX_SIDE_BODY_BYTES

ARTICLE = "臺南市政府今天公布防災演練成果，共有三千名市民參加。市長表示，明年將擴大辦理。"
MESSAGES = prompts.summarize_messages(ARTICLE, "en")


def chat(settings, messages=MESSAGES, client=None, **kwargs):
    """One chat call through the library's client, over HTTP to the scripted server."""

    async def go():
        async with ChatClient(settings, client) as chat_client:
            return await chat_client.chat(messages, model=settings.model or "scripted", **kwargs)

    return asyncio.run(go())


def raised(fn, *args, **kwargs) -> BaseException:
    with pytest.raises(Exception) as info:
        fn(*args, **kwargs)
    return info.value


def sentences(n: int) -> str:
    return "\n".join(f"第{i}項：臺南市政府今天公布第{i}號防災演練報告，共有{i * 7}名市民參加。" for i in range(n))


def fenced_text(seen) -> str:
    lines = seen.user_text.split("\n")
    return "\n".join(lines[1:-1])


def body_step(body) -> Step:
    """A 200 answer with this JSON body, sent as one body even to a streamed request."""
    return Step(body=body, stream=False)


def message_step(message: dict) -> Step:
    return body_step({"id": "x", "object": "chat.completion", "model": "scripted",
                      "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})


def sse(*events) -> bytes:
    return b"".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events)


def chunk(delta: dict, finish=None) -> dict:
    return {"id": "x", "object": "chat.completion.chunk", "model": "scripted",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


# -- item 11: every malformed reply is an EndpointError, validated in one place -------------

BAD_REPLIES = {
    "invalid-json": Step(raw=b'{"choices": [', stream=False),
    "json-list": Step(raw=b"[1, 2, 3]", stream=False),
    "empty-body": Step(raw=b"", stream=False),
    "no-message": body_step({"choices": [{"index": 0, "finish_reason": "stop"}]}),
    "message-a-string": body_step({"choices": [{"index": 0, "message": "hi", "finish_reason": "stop"}]}),
    "choices-not-a-list": body_step({"choices": {"0": {"message": {"content": "hi"}}}}),
    "choices-a-string": body_step({"choices": "hi"}),
    "choice-a-number": body_step({"choices": [7]}),
    "content-an-int": message_step({"role": "assistant", "content": 42}),
    "content-a-list": message_step({"role": "assistant", "content": [{"type": "text", "text": "hi"}]}),
    "usage-a-string": body_step({**completion("ok"), "usage": "lots"}),
    "event-not-json": Step(raw=sse(chunk({"content": "hi"}), "{oops", "[DONE]"), content_type="text/event-stream"),
    "event-a-list": Step(raw=sse([1, 2], "[DONE]"), content_type="text/event-stream"),
    "delta-content-an-int": Step(raw=sse(chunk({"content": 5}, "stop"), "[DONE]"), content_type="text/event-stream"),
    "delta-a-string": Step(raw=sse({"choices": [{"delta": "hi"}]}, "[DONE]"), content_type="text/event-stream"),
    "stream-of-nothing": Step(raw=sse("[DONE]"), content_type="text/event-stream"),
}


@pytest.mark.parametrize("fault", list(BAD_REPLIES))
def test_a_malformed_reply_is_an_endpoint_error_after_one_request(scripted, scripted_settings, fault):
    scripted.script(BAD_REPLIES[fault])
    err = raised(chat, scripted_settings.replace(max_retries=3))
    assert isinstance(err, EndpointError), repr(err)
    assert err.base_url == scripted.base_url and err.model == "scripted"
    assert "SUMMARIZE_BASE_URL" in str(err) or "no choices" in str(err)
    assert len(scripted.chat_requests) == 1  # a malformed reply is not asked for again


def test_a_stream_with_lone_cr_line_ends_and_data_over_two_lines_is_read_over_http(scripted, scripted_settings):
    # Both are valid event streams; no server in use sends them, but a proxy may rewrite line ends.
    first = json.dumps(chunk({"content": "The drill "}))
    cut = first.index('"choices"')
    raw = (f"data: {first[:cut]}\rdata: {first[cut:]}\r\r"
           f"data: {json.dumps(chunk({'content': 'drew 3,000.'}, 'stop'))}\r\rdata: [DONE]\r\r").encode()
    scripted.script(Step(raw=raw, content_type="text/event-stream"))
    assert chat(scripted_settings).text == "The drill drew 3,000."
    assert len(scripted.chat_requests) == 1


def test_a_retry_after_that_is_not_a_number_is_a_plain_backoff(scripted, scripted_settings):
    scripted.script(Step.error(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "soon"}), Step.reply("ok"))
    assert chat(scripted_settings).text == "ok"
    assert len(scripted.chat_requests) == 2


def test_a_retry_after_that_is_not_a_number_still_ends_as_a_rate_limit_error(scripted, scripted_settings):
    scripted.default = lambda seen: Step.error(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "soon"})
    err = raised(chat, scripted_settings.replace(max_retries=1))
    assert isinstance(err, RateLimitedError) and err.retry_after is None and err.attempts == 2


def test_partial_survives_a_malformed_chunk_reply(scripted, scripted_settings):
    def respond(seen):
        if seen.kind == "map":
            text = fenced_text(seen)
            if "第10項" in text:
                return message_step({"role": "assistant", "content": 42})
            return Step.reply(f"Notes on {text.split('：')[0]}.")
        return Step.reply("The final summary.")

    scripted.default = respond
    summary = summarize_article(sentences(30), settings=scripted_settings.replace(chunk_tokens=700), partial=True)
    assert summary.is_partial and summary.failed_chunks == (1,) and summary.text == "Notes on 第0項.\n\nNotes on 第20項."
    err = raised(summarize_article, sentences(30), settings=scripted_settings.replace(chunk_tokens=700))
    assert isinstance(err, ChunkFailedError) and isinstance(err.__cause__, EndpointError)


@pytest.mark.parametrize("call", [summarize_article, translate_article], ids=["summarize", "translate"])
def test_an_unsupported_language_is_a_config_error_before_any_request(scripted, scripted_settings, call):
    kwargs = {"languages": ("fr",)} if call is summarize_article else {"target": "fr"}
    err = raised(call, ARTICLE, settings=scripted_settings, **kwargs)
    assert isinstance(err, ConfigError) and isinstance(err, ValueError) and isinstance(err, SummarizeError)
    assert "fr" in str(err) and "en" in str(err)
    assert scripted.requests == []


# -- item 12: server_error in a 200 body; HTML error pages ----------------------------------


@pytest.mark.parametrize(
    "error",
    [{"message": "internal failure", "type": "server_error"}, {"message": "boom", "code": "server_error"}],
    ids=["type", "code"],
)
def test_a_server_error_in_a_200_body_is_a_retried_server_error(scripted, scripted_settings, error):
    scripted.script(body_step({"error": error}), Step.reply("ok"))
    assert chat(scripted_settings).text == "ok"
    assert len(scripted.chat_requests) == 2
    scripted.default = lambda seen: body_step({"error": error})
    err = raised(chat, scripted_settings.replace(max_retries=1))
    assert type(err) is ServerError and err.attempts == 2


BAD_GATEWAY_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>502 Bad Gateway</title>"
    "<style>" + "body { font-family: sans-serif; } " * 40 + "</style></head>"
    "<body><h1>Bad Gateway</h1><p>The upstream server is unreachable.</p><hr><address>nginx</address></body></html>"
)


@pytest.mark.parametrize(
    "page, shown",
    [(BAD_GATEWAY_PAGE, "502 Bad Gateway"), ("<html><body>" + "<div>" * 200 + "</body></html>", "502 Bad Gateway")],
    ids=["titled", "untitled"],
)
def test_an_html_error_page_shows_its_title_or_status_line_not_the_markup(scripted, scripted_settings, page, shown):
    scripted.default = lambda seen: Step.error(502, page, content_type="text/html")
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert type(err) is ServerError
    assert shown in str(err)
    assert "<" not in str(err) and "font-family" not in str(err)
    assert len(str(err)) < 400


CAPTIVE_PORTAL = (
    b"\n<!DOCTYPE html><html><head><title>Login - Captive Portal</title>"
    b"<style>" + b"body { font-family: sans-serif; } " * 40 + b"</style></head><body>Please log in</body></html>"
)


@pytest.mark.parametrize(
    "page, shown",
    [(CAPTIVE_PORTAL, "an HTML page titled 'Login - Captive Portal'"), (b"<html><body><p>Hi</p></body></html>", "an HTML page,")],
    ids=["titled", "untitled"],
)
def test_an_html_page_answering_with_200_says_the_url_is_not_the_api(scripted, scripted_settings, page, shown):
    # A captive portal answers every URL with its login page and HTTP 200: that was reported as
    # "malformed reply (the stream ended without a reply)", while the same page with a 502 was
    # recognised as HTML.
    scripted.default = lambda seen: Step(status=200, raw=page, content_type="text/html")
    err = raised(chat, scripted_settings.replace(max_retries=3))
    assert type(err) is EndpointError and err.status == 200
    assert shown in str(err) and "not as an OpenAI-compatible API does" in str(err)
    assert "SUMMARIZE_BASE_URL" in str(err) and "captive portal" in str(err)
    assert "font-family" not in str(err) and "stream ended" not in str(err)
    assert len(scripted.chat_requests) == 1  # asking again would get the same page


# -- item 13: a deadline per attempt; SUMMARIZE_TIMEOUT bounds silence ---------------------


def test_a_server_dripping_bytes_is_cut_off_at_the_deadline(scripted, scripted_settings):
    # One byte every 20 ms: never silent for the 0.3 s timeout, but the reply would take ~8 s.
    scripted.script(Step(body=completion("A summary. " * 30), drip=0.02, stream=False))
    started = time.monotonic()
    err = raised(chat, scripted_settings.replace(timeout=0.3, max_retries=3))
    elapsed = time.monotonic() - started
    assert isinstance(err, ConnectionFailedError)
    assert "SUMMARIZE_TIMEOUT" in str(err) and "deadline" in str(err)
    assert elapsed < 3 * 0.3 + 1.0  # the deadline is three timeouts
    assert len(scripted.chat_requests) == 1  # a local server still sending is not sent the request again


def test_a_models_list_dripping_bytes_is_cut_off_at_the_deadline(scripted, scripted_settings):
    scripted.models_step = Step(body={"object": "list", "data": [{"id": "m", "object": "model"}] * 20}, drip=0.02)
    started = time.monotonic()
    err = raised(summarize_article, ARTICLE, settings=scripted_settings.replace(model=None, timeout=0.3))
    assert isinstance(err, ConnectionFailedError) and "deadline" in str(err)
    assert time.monotonic() - started < 3 * 0.3 + 1.0


def test_a_malformed_models_list_is_an_endpoint_error(scripted, scripted_settings):
    scripted.models_step = Step(raw=b'{"object": "list", "data": 5}')
    err = raised(summarize_article, ARTICLE, settings=scripted_settings.replace(model=None))
    assert isinstance(err, EndpointError)


@pytest.mark.parametrize(
    "answer, says",
    [
        # openai's own parsing failed with "'str' object has no attribute '_set_private_attributes'".
        (Step(raw=b"<html><head><title>Sign in</title></head></html>", content_type="text/html"),
         "answered GET /models with an HTML page titled 'Sign in', not as an OpenAI-compatible API does"),
        # openai read these as listings of no models: "lists 0 models".
        (Step(body={"object": "list", "data": "nope"}), "not a model listing (its data is str, not a list)"),
        (Step(body={"object": "list"}), "not a model listing (it has no data)"),
        (Step(body=["scripted"]), "not a model listing (the body is list, not an object)"),
        (Step(raw=b"ok", content_type="text/plain"), "not a model listing (the body is not JSON: 'ok')"),
    ],
    ids=["html", "data-a-string", "no-data", "a-list", "text"],
)
@pytest.mark.parametrize("sync", [False, True])
def test_a_models_answer_that_is_no_listing_says_so_in_the_librarys_words(scripted, scripted_settings, answer, says, sync):
    scripted.models_step = answer
    given = openai.OpenAI(base_url=scripted.base_url, api_key="k") if sync else None
    err = raised(summarize_article, ARTICLE, settings=scripted_settings.replace(model=None, max_retries=2), client=given)
    assert type(err) is EndpointError and says in str(err), repr(err)
    assert "SUMMARIZE_BASE_URL" in str(err) and "_set_private_attributes" not in str(err) and "0 models" not in str(err)
    assert sum(r.path.endswith("/models") for r in scripted.requests) == 1
    assert not scripted.chat_requests


def test_a_models_listing_still_gives_its_ids_owners_and_sizes(scripted, scripted_settings):
    scripted.models = [{"id": "tiny", "object": "model", "owned_by": "llamacpp", "meta": {"n_params": 5e8}}, {"id": 5}, "x"]

    async def listed():
        async with ChatClient(scripted_settings.replace(model=None)) as client:
            return await client.list_models(), client.transport.server, client.transport.parameters("tiny")

    assert asyncio.run(listed()) == (["tiny", "x"], "llamacpp", 5e8)


def test_an_error_in_place_of_a_models_listing_is_the_servers_error(scripted, scripted_settings):
    scripted.models_step = Step(body={"error": {"message": "invalid api key", "code": 401}})
    err = raised(summarize_article, ARTICLE, settings=scripted_settings.replace(model=None))
    assert isinstance(err, EndpointError) and "invalid api key" in str(err) and "SUMMARIZE_API_KEY" in str(err)


def test_a_sync_client_passed_in_is_cut_off_at_the_deadline_too(scripted, scripted_settings):
    scripted.script(Step(body=completion("A summary. " * 30), drip=0.02, stream=False))
    given = openai.OpenAI(base_url=scripted.base_url, api_key="k", timeout=0.3)
    started = time.monotonic()
    err = raised(chat, scripted_settings.replace(timeout=0.3), client=given)
    assert isinstance(err, ConnectionFailedError) and "deadline" in str(err)
    assert time.monotonic() - started < 3 * 0.3 + 1.5


@pytest.mark.parametrize("where", ["error-body", "models"])
def test_a_sync_client_held_before_the_reply_body_is_cut_off_at_the_deadline_too(scripted, scripted_settings, where):
    # openai reads an error status's body, and a /models listing, inside the call itself,
    # where the deadline's timer cannot reach: a server dripping them held the run 90 s and more.
    dripping = Step(status=500, body={"error": {"message": "busy " * 400}}, drip=0.02, stream=False)
    if where == "models":
        scripted.models_step = dataclasses.replace(dripping, status=200, body={"object": "list", "data": [{"id": "m" * 2000}]})
    else:
        scripted.default = lambda seen: dripping
    given = openai.OpenAI(base_url=scripted.base_url, api_key="k", timeout=0.3, max_retries=0)
    settings = scripted_settings.replace(timeout=0.3, max_retries=0, model=None if where == "models" else "scripted")
    started = time.monotonic()
    err = raised(summarize_article, ARTICLE, settings=settings, client=given)
    assert isinstance(err, ConnectionFailedError) and "deadline" in str(err), repr(err)
    assert time.monotonic() - started < 3 * 0.3 + 1 + 1.5
    if where == "models":
        assert "the answer to GET /models was still coming" in str(err) and "OUTPUT_TOKENS" not in str(err)


def test_a_stream_slower_than_the_timeout_in_all_but_never_silent_for_it_succeeds(scripted, scripted_settings):
    # Ten events 0.1 s apart: 1 s in all, twice the timeout, but never silent for 0.5 s.
    scripted.script(dataclasses.replace(Step.reply("The drill drew three thousand residents."), event_delay=0.1))
    reply = chat(scripted_settings.replace(timeout=0.5))
    assert reply.text == "The drill drew three thousand residents."
    (seen,) = scripted.chat_requests
    assert seen.body["stream"] is True


@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync-client"])
def test_a_stream_that_falls_silent_midway_is_a_timeout_not_a_deadline(scripted, scripted_settings, sync):
    scripted.script(dataclasses.replace(Step.reply("The drill drew three thousand residents."), event_delay=0.6))
    given = openai.OpenAI(base_url=scripted.base_url, api_key="k", timeout=0.3) if sync else None
    started = time.monotonic()
    err = raised(chat, scripted_settings.replace(timeout=0.3, max_retries=2), client=given)
    assert isinstance(err, ConnectionFailedError)
    assert "silent for 0.3 s" in str(err) and "deadline" not in str(err)
    assert time.monotonic() - started < 0.9 + 0.5
    assert len(scripted.chat_requests) == 1


def test_a_local_server_that_timed_out_is_not_sent_the_request_again(scripted, scripted_settings):
    scripted.default = lambda seen: Step.reply("late", delay=0.6)
    err = raised(chat, scripted_settings.replace(timeout=0.3, max_retries=3))
    assert isinstance(err, ConnectionFailedError)
    assert "silent for 0.3 s" in str(err) and "SUMMARIZE_TIMEOUT" in str(err)
    assert err.timed_out and not err.settled  # the marks the retry policy reads
    assert len(scripted.chat_requests) == 1


def test_a_dropped_connection_to_a_local_server_is_still_retried(scripted, scripted_settings):
    scripted.script(Step(drop=True), Step.reply("ok"))
    assert chat(scripted_settings).text == "ok"
    assert len(scripted.chat_requests) == 2


def test_a_connection_that_keeps_dropping_is_neither_timed_out_nor_settled(scripted, scripted_settings):
    # Both marks are fields of every ConnectionFailedError, not attributes some happen to carry.
    scripted.default = lambda seen: Step(drop=True)
    err = raised(chat, scripted_settings.replace(max_retries=1, retry_backoff=0.01))
    assert isinstance(err, ConnectionFailedError) and err.attempts == 2
    assert (err.timed_out, err.settled) == (False, False)


def test_a_request_in_flight_when_its_client_closes_is_not_sent_again(scripted, scripted_settings):
    # The server has the request and is answering it; the run closes its client meanwhile (a
    # sibling failed). Our own close is not the server dropping us: nothing is retried, and a
    # closed client builds no new connection to send anything on.
    arrived, release = threading.Event(), threading.Event()

    def respond(seen):
        arrived.set()
        release.wait(10)
        return Step.error(400, {"error": {"message": "prompt is too long", "code": "context_length_exceeded"}})

    scripted.default = respond

    async def go():
        client = ChatClient(scripted_settings.replace(max_retries=3))
        request = asyncio.ensure_future(client.chat(MESSAGES, model="scripted"))
        assert await asyncio.to_thread(arrived.wait, 10)
        await client.aclose()
        release.set()
        with pytest.raises(ConnectionFailedError) as in_flight:
            await request
        with pytest.raises(ConnectionFailedError) as after:
            await client.chat(MESSAGES, model="scripted")
        return in_flight.value, after.value

    try:
        in_flight, after = asyncio.run(go())
    finally:
        release.set()
    assert len(scripted.chat_requests) == 1
    assert in_flight.attempts == 1 and "closed" in str(in_flight) and "ChatClient" in str(in_flight)
    assert "closed" in str(after)


@pytest.mark.parametrize(
    "status, error, requests",
    [(400, BadRequestError, 1), (404, BadRequestError, 1), (503, ServerError, 4), (429, RateLimitedError, 4)],
)
def test_a_status_whose_error_body_never_arrives_is_judged_by_its_status(scripted, scripted_settings, status, error, requests):
    # The status line is the server's answer: a 400 is not sent again because the connection
    # died before its body, and a 503 is retried as any 503 is.
    scripted.default = lambda seen: Step.error(status, {"error": {"message": "whatever it was"}}, cut=5)
    err = raised(chat, scripted_settings.replace(max_retries=3))
    assert type(err) is error and err.status == status
    assert f"HTTP {status}" in str(err) and "before the error body arrived" in str(err)
    assert len(scripted.chat_requests) == requests


def test_a_sync_client_passed_in_judges_a_status_without_its_body_by_the_status_too(scripted, scripted_settings):
    scripted.default = lambda seen: Step.error(400, {"error": {"message": "whatever it was"}}, cut=0)
    given = openai.OpenAI(base_url=scripted.base_url, api_key="k")
    err = raised(chat, scripted_settings.replace(max_retries=3), client=given)
    assert type(err) is BadRequestError and "HTTP 400" in str(err)
    assert len(scripted.chat_requests) == 1


# -- item 15: replies are capped at what max_tokens can produce ----------------------------


def test_a_huge_reply_is_refused_with_a_clear_error_and_never_cached(scripted, scripted_settings, tmp_path):
    scripted.default = lambda seen: Step(body=completion("x" * 8_000_000), stream=False)
    settings = scripted_settings.replace(output_tokens=64, cache=True, cache_dir=str(tmp_path))
    err = raised(chat, settings, max_tokens=64)
    assert type(err) is EndpointError
    assert "64 tokens" in str(err) and "bytes" in str(err)
    raised(chat, settings, max_tokens=64)
    assert len(scripted.chat_requests) == 2  # nothing was cached
    assert not list(tmp_path.rglob("*.json"))


def test_a_huge_streamed_reply_is_refused_too(scripted, scripted_settings):
    events = sse(*[chunk({"content": "y" * 100_000})] * 30, chunk({}, "stop"), "[DONE]")  # 3 MB of text
    scripted.default = lambda seen: Step(raw=events, content_type="text/event-stream")
    err = raised(chat, scripted_settings.replace(output_tokens=64), max_tokens=64)
    assert type(err) is EndpointError and "bytes" in str(err)


_BOMB: list[bytes] = []


def gzip_bomb() -> bytes:
    """A 100 MB reply that travels as about 100 kB of gzip."""
    if not _BOMB:
        body = json.dumps(completion("")).encode().replace(b'"content": ""', b'"content": "' + b" " * 100_000_000 + b'"')
        _BOMB.append(gzip.compress(body, compresslevel=6))
    return _BOMB[0]


def test_a_gzip_bomb_is_refused_before_it_fills_memory(scripted, scripted_settings, tmp_path):
    bomb = gzip_bomb()
    assert len(bomb) < 1_000_000
    scripted.default = lambda seen: Step(raw=bomb, gzip=False, headers={"Content-Encoding": "gzip"}, stream=False)
    settings = scripted_settings.replace(cache=True, cache_dir=str(tmp_path))
    err = raised(chat, settings)
    assert type(err) is EndpointError and "bytes" in str(err)
    assert not list(tmp_path.rglob("*.json"))


def side_bomb(megabytes: int, layers: int = 1) -> bytes:
    """A JSON error body of ``megabytes`` MB that travels gzipped ``layers`` times over."""
    body = json.dumps({"error": {"message": " " * (megabytes * 2**20)}}).encode()
    for _ in range(layers):
        body = gzip.compress(body, compresslevel=9)
    return body


@pytest.mark.parametrize("layers", [1, 2])
def test_a_gzip_bomb_in_an_error_body_stops_at_the_cap_of_decoded_bytes(scripted, scripted_settings, layers):
    # The cap on error bodies and listings counted the bytes on the wire, and the HTTP library
    # then expanded the whole body in memory: 1 MB of gzip took 3.1 GB.
    bomb = side_bomb(64, layers)
    assert len(bomb) < MAX_SIDE_BODY_BYTES // 64
    encoding = ", ".join(["gzip"] * layers)
    scripted.default = lambda seen: Step(status=500, raw=bomb, stream=False, headers={"Content-Encoding": encoding})
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert type(err) is ServerError and f"with an error body past {MAX_SIDE_BODY_BYTES:,} bytes, not read" in str(err), repr(err)


def test_a_gzip_bomb_as_a_models_listing_stops_at_the_cap(scripted, scripted_settings):
    scripted.models_step = Step(raw=side_bomb(64), stream=False, headers={"Content-Encoding": "gzip"})

    async def listed():
        async with ChatClient(scripted_settings.replace(model=None, max_retries=0)) as client:
            return await client.list_models()

    err = raised(lambda: asyncio.run(listed()))
    assert type(err) is EndpointError and f"past {MAX_SIDE_BODY_BYTES:,} bytes decoded" in str(err), repr(err)


@pytest.mark.parametrize(
    "encoding, encode",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
        ("br", lambda b: b),  # not one the HTTP library decodes: passed on as it came
    ],
    ids=["gzip", "deflate", "raw-deflate", "gzip-twice", "unknown"],
)
def test_an_encoded_error_body_within_the_cap_still_reads(scripted, scripted_settings, encoding, encode):
    body = json.dumps({"error": {"message": "slot unavailable, try again"}}).encode()
    scripted.default = lambda seen: Step(status=503, raw=encode(body), stream=False, headers={"Content-Encoding": encoding})
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert type(err) is ServerError and "slot unavailable, try again" in str(err), repr(err)


# -- item 16: 429 storms -------------------------------------------------------------------


def test_the_first_backoff_is_near_the_setting_and_retries_told_alike_spread():
    from summarize.transport import Transport

    transport = Transport(Settings(base_url="http://127.0.0.1:9/v1", retry_backoff=1.0, retry_wait_max=60))
    firsts = [transport.backoff(1) for _ in range(50)]
    assert all(1.0 <= w <= 1.25 for w in firsts)
    assert all(2.0 <= transport.backoff(2) <= 2.5 for _ in range(20))
    told = [transport.backoff(1, retry_after=2.0) for _ in range(50)]
    assert all(2.0 <= w <= 2.5 for w in told)  # Retry-After honoured, never cut short
    assert len({round(w, 3) for w in told}) > 10  # and jittered: not all back at the same instant
    assert Transport(Settings(base_url="http://127.0.0.1:9/v1", retry_backoff=50, retry_wait_max=60)).backoff(3) == 60


@pytest.mark.parametrize("backoff", [0.0, 1.0])
def test_the_backoff_after_a_thousand_attempts_is_the_cap_not_an_overflow(backoff):
    # 2 ** 1024 is more than a float holds: SUMMARIZE_MAX_RETRIES=1100 ended in an OverflowError.
    from summarize.transport import Transport

    transport = Transport(Settings(base_url="http://127.0.0.1:9/v1", retry_backoff=backoff, retry_wait_max=60))
    assert transport.backoff(1100) == (60 if backoff else 0)
    told = transport.backoff(100_000, retry_after=5.0)  # Retry-After is a floor, stretched by the jitter
    assert (told == 60) if backoff else (5.0 <= told <= 5.0 * 1.25)


def test_the_first_retry_waits_about_the_backoff_not_near_zero(scripted, scripted_settings):
    scripted.script(Step.error(503, {"error": {"message": "busy"}}), Step.reply("ok"))
    assert chat(scripted_settings.replace(retry_backoff=0.3)).text == "ok"
    first, second = scripted.chat_requests
    assert 0.3 <= second.at - first.at < 0.3 * (1 + 0.25) + 0.3


def test_the_rate_gate_halves_the_requests_in_flight_and_recovers():
    from summarize.transport import RateGate

    gate = RateGate(8)
    gate.throttle(0.0)
    assert gate.limit == 4
    gate.throttle(0.0)
    assert gate.limit == 2
    async def succeed(times: int) -> None:
        for _ in range(times):
            await gate.succeeded()

    asyncio.run(succeed(2 + 3 + 4 + 5 + 6 + 7))
    assert gate.limit == 8
    asyncio.run(succeed(1))
    assert gate.limit == 8  # never above the configured concurrency


def storm(server: ScriptedServer, seconds: float, retry_after: str = "0.5"):
    """429 with Retry-After for ``seconds`` from the first chat request, then a reply per request."""
    start: list[float] = []

    def respond(seen):
        if not start:
            start.append(seen.at)
        if seen.at - start[0] < seconds:
            return Step.error(429, {"error": {"message": "Too many requests"}}, headers={"Retry-After": retry_after})
        if seen.kind == "map":
            return Step.reply(f"Notes on {fenced_text(seen).split('：')[0]}.")
        return Step.reply("The final summary.")

    server.default = respond
    return start


def test_a_429_storm_does_not_fail_chunks_of_a_64_chunk_article_nor_land_in_bursts(scripted, scripted_settings):
    start = storm(scripted, 2.0)
    article = sentences(64)
    settings = scripted_settings.replace(chunk_tokens=70, concurrency=4, max_retries=3, retry_backoff=0.3)
    summary = summarize_article(article, settings=settings)
    assert summary.chunks == 64 and summary.text == "The final summary." and not summary.is_partial
    during = [r.at - start[0] for r in scripted.chat_requests if 0.3 <= r.at - start[0] < 2.0]
    # One pause for the whole client: during the storm only a trickle of requests goes out,
    # never several in the same instant.
    assert len(during) <= 12
    for t in during:
        assert sum(1 for u in during if t <= u < t + 0.1) <= 2
    assert summary.usage.requests == 65 and summary.usage.attempts == len(scripted.chat_requests)


def test_a_429_storm_does_not_fail_articles_of_a_batch(scripted, scripted_settings, tmp_path):
    from summarize.batch import Job, run_jobs

    storm(scripted, 1.8)
    jobs = []
    for i in range(12):
        path = tmp_path / f"a{i}.txt"
        path.write_text(f"第{i}篇：臺南市政府今天公布防災演練成果，共有{i}千名市民參加。", encoding="utf-8")
        jobs.append(Job(str(path), path))
    settings = scripted_settings.replace(concurrency=4, max_retries=3, retry_backoff=0.3)
    outcomes = asyncio.run(run_jobs(jobs, settings))
    assert [o.error for o in outcomes] == [None] * 12


# -- item 17: a client passed in decides the base URL ---------------------------------------


def close_spent(client: openai.AsyncOpenAI) -> None:
    """Close an AsyncOpenAI whose event loop has ended (a sync function ran it in its own).
    Left open, openai's ``__del__`` schedules its close on whatever loop runs when it is
    collected: in a later test, where the close fails on the dead loop and asyncio logs "Task
    exception was never retrieved" (test_allow_truncated_... failed on that log twice)."""
    try:
        asyncio.run(client.close())
    except RuntimeError:  # its connections' loop is closed; the client is marked closed all the same
        pass
    assert client.is_closed()


def test_two_clients_for_two_servers_do_not_share_a_cached_answer(tmp_path):
    with ScriptedServer(default=lambda seen: Step.reply("From server A.")) as a, ScriptedServer(
        default=lambda seen: Step.reply("From server B.")
    ) as b:
        settings = Settings(model="scripted", cache=True, cache_dir=str(tmp_path), retry_backoff=0.01)
        spent = openai.AsyncOpenAI(base_url=a.base_url, api_key="k")
        first = summarize_article(ARTICLE, settings=settings, client=spent)
        close_spent(spent)
        second = summarize_article(ARTICLE, settings=settings, client=openai.OpenAI(base_url=b.base_url, api_key="k"))
        assert (first.text, second.text) == ("From server A.", "From server B.")
        assert len(a.chat_requests) == len(b.chat_requests) == 1
        b.default = lambda seen: Step.error(400, {"error": {"message": "bad temperature"}})
        err = raised(chat, settings.replace(cache=False), client=openai.OpenAI(base_url=b.base_url, api_key="k"))
        assert err.base_url == b.base_url and b.base_url in str(err)


def test_a_client_and_a_base_url_that_disagree_are_refused_before_anything_is_sent(scripted):
    # summarize_article(text, client=OpenAI(base_url=A), base_url=B) sent to A without a word.
    given = openai.OpenAI(base_url=scripted.base_url, api_key="k")
    err = raised(summarize_article, ARTICLE, client=given, base_url="http://127.0.0.1:9/v1", model="m", cache=False)
    assert type(err) is ConfigError and "client= sends to " + scripted.base_url in str(err), repr(err)
    assert "base_url= says http://127.0.0.1:9/v1" in str(err) and not scripted.requests
    # The same URL (a trailing slash aside), or one from the environment or the default, is no conflict.
    settings = Settings.from_env({"SUMMARIZE_BASE_URL": "http://127.0.0.1:9/v1"}, model="m", cache=False)
    for ok in (Settings(base_url=scripted.base_url + "/", model="m", cache=False), settings, Settings(model="m", cache=False)):
        scripted.script(Step.reply("Tainan held a drill."))
        assert summarize_article(ARTICLE, settings=ok, client=given).text == "Tainan held a drill."


@pytest.mark.parametrize("given", [{"base_url": "http://127.0.0.1:9/v1"}, {}])
def test_a_client_whose_base_url_holds_a_password_is_refused_without_showing_it(scripted, given):
    # The conflict message quoted the client's URL whole: "client= sends to
    # http://alice:s3cret@...". Without base_url=, the refusal named base_url= and sent the user
    # to SUMMARIZE_API_KEY, neither of which they had given.
    url = scripted.base_url.replace("http://", "http://alice:s3cret@")
    err = raised(summarize_article, ARTICLE, client=openai.OpenAI(base_url=url, api_key="k"), model="m", cache=False, **given)
    assert type(err) is ConfigError and str(err).startswith("client= sends to a base URL that holds a user name or password"), repr(err)
    assert "s3cret" not in str(err) and "alice" not in str(err) and not scripted.requests


def test_a_client_and_an_api_key_that_disagree_are_refused_before_anything_is_sent(scripted, monkeypatch):
    # The client's key was sent and api_key= dropped without a word; the message names neither key.
    given = openai.OpenAI(base_url=scripted.base_url, api_key="client-key")
    err = raised(summarize_article, ARTICLE, client=given, api_key="explicit-key", model="m", cache=False)
    assert type(err) is ConfigError and "client= carries its own API key, and api_key= gives another" in str(err)
    assert "client-key" not in str(err) and "explicit-key" not in str(err) and not scripted.requests
    # The same key, or one from the environment, is no conflict: the client's is sent.
    monkeypatch.setenv("SUMMARIZE_API_KEY", "env-key")
    for key in ("client-key", None):
        scripted.script(Step.reply("Tainan held a drill."))
        assert summarize_article(ARTICLE, client=given, api_key=key, model="m", cache=False).text == "Tainan held a drill."
    assert [r.headers["authorization"] for r in scripted.chat_requests] == ["Bearer client-key"] * 2


def test_a_client_passed_in_decides_the_request_shape():
    given = openai.AsyncOpenAI(base_url="https://dashscope-intl.aliyuncs.com/compatible-mode/v1", api_key="sk-test-0000")
    client = ChatClient(Settings(), given)
    assert client.base_url == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    assert client.preset is not None and client.preset.name == "dashscope"
    assert client.request_options("qwen3-32b", 100)["extra_body"] == {"enable_thinking": False}
    assert "sk-test-0000" not in client.errors.redact("your key sk-test-0000 is wrong")


# -- item 18: the sync functions inside a running event loop -------------------------------


@pytest.mark.parametrize(
    "given, says",
    [
        ("http://localhost:8000/v1", "pass base_url='http://localhost:8000/v1' (or set SUMMARIZE_BASE_URL) instead"),
        ("sk-secret-key-123", "got a str: leave it out and pass base_url= and api_key="),
        ({"base_url": "http://x"}, "got a dict: leave it out"),
    ],
    ids=["url", "key", "dict"],
)
@pytest.mark.parametrize("call", [summarize_article, translate_article])
def test_a_client_that_is_not_an_openai_client_is_refused_before_any_request(scripted, scripted_settings, given, says, call):
    # client="http://x" was used as a client and failed as "the endpoint sent a malformed reply".
    err = raised(call, ARTICLE, settings=scripted_settings.replace(model=None), client=given)
    assert isinstance(err, ConfigError) and "client= must be an openai.OpenAI or openai.AsyncOpenAI" in str(err)
    assert says in str(err) and "secret" not in str(err)
    assert not scripted.requests


def test_a_stand_in_with_an_openai_clients_surface_is_taken_as_one():
    # The batch import replays stored replies through one (summarize.replay.Replayer).
    class StandIn:
        def __init__(self):
            self.chat = self.completions = self

        def with_options(self, **options):
            return self

    assert ChatClient(Settings(base_url="http://localhost:8000/v1"), StandIn()).transport._given is not None


def test_the_sync_functions_work_inside_a_running_event_loop(scripted, scripted_settings):
    async def notebook_cell():
        summary = summarize_article(ARTICLE, settings=scripted_settings)
        translation = translate_article(ARTICLE, settings=scripted_settings, glossary={})
        return summary, translation

    summary, translation = asyncio.run(notebook_cell())
    assert summary.text == "A scripted summary."
    assert len(translation.pairs) == 1


@pytest.mark.parametrize("loop", ["asyncio.run", "notebook"])
def test_an_interrupt_stops_a_sync_call_inside_a_running_loop_without_waiting_for_the_run(scripted, scripted_settings, loop):
    # Ctrl-C (or a notebook's "interrupt kernel") reached the caller only once the whole run had
    # ended, every request sent. Inside asyncio.run it cancels the caller's task; in a loop run
    # as a notebook kernel runs it, it raises in the waiting thread. Either way the run stops.
    import os
    import signal

    scripted.default = lambda seen: Step.reply("A note on this part of the article.", delay=0.6)
    settings = scripted_settings.replace(concurrency=2, chunk_tokens=300, max_retries=0)

    async def cell():
        return summarize_article(sentences(40), settings=settings)

    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        if loop == "asyncio.run":
            asyncio.run(cell())
        else:
            event_loop = asyncio.new_event_loop()
            try:
                event_loop.run_until_complete(cell())
            finally:
                event_loop.close()
    sent = len(scripted.chat_requests)
    assert sent <= 4  # the first two, perhaps the next two: not the run's every part
    time.sleep(1.0)
    assert len(scripted.chat_requests) == sent  # nothing sent after the interrupt


def test_a_cancelled_run_through_a_sync_client_hangs_up_on_its_requests(scripted, scripted_settings):
    # Cancelling the awaiting task did not reach the worker threads of an openai.OpenAI: they
    # read every reply to its end, and the server kept generating for a run nobody waited for.
    long = "This part of the article says several things in English. " * 12
    scripted.default = lambda seen: Step(body=completion(long), event_delay=0.1)  # ~9 s a reply
    settings = scripted_settings.replace(concurrency=2, chunk_tokens=300)
    client = openai.OpenAI(base_url=scripted.base_url, api_key="k")

    async def cancelled():
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asummarize_article(sentences(40), settings=settings, client=client), 1.0)
        for _ in range(40):
            if scripted.in_flight == 0:
                return True
            await asyncio.sleep(0.1)
        return False

    assert asyncio.run(cancelled()), "the server was still streaming 4 s after the cancel"


def test_an_async_client_is_refused_in_another_event_loop_than_its_first(scripted, scripted_settings):
    # Its pooled connections belong to the loop that opened them: the sync function's second
    # call (a new loop) failed with a bare RuntimeError: Event loop is closed.
    client = openai.AsyncOpenAI(base_url=scripted.base_url, api_key="k")
    assert summarize_article(ARTICLE, settings=scripted_settings, client=client).text == "A scripted summary."
    with pytest.raises(ConfigError, match="first ran in another event loop.*pass an openai.OpenAI"):
        summarize_article(ARTICLE, settings=scripted_settings, client=client)
    assert len(scripted.chat_requests) == 1
    close_spent(client)
    sync = openai.OpenAI(base_url=scripted.base_url, api_key="k")
    for _ in range(2):  # a sync client has no loop to belong to
        assert summarize_article(ARTICLE, settings=scripted_settings, client=sync).text == "A scripted summary."


# -- item 21: usage accounting -------------------------------------------------------------


def test_usage_counts_requests_attempts_cache_hits_and_tokens_apart(scripted, scripted_settings, tmp_path):
    scripted.script(Step.error(500, {"error": {"message": "boom"}}), Step.error(503, {"error": {"message": "busy"}}))
    scripted.default = lambda seen: Step.reply("ok", usage={"prompt_tokens": 120, "completion_tokens": 7, "total_tokens": 127})
    settings = scripted_settings.replace(cache=True, cache_dir=str(tmp_path))
    first = summarize_article(ARTICLE, settings=settings).usage
    assert (first.requests, first.attempts, first.cache_hits) == (1, 3, 0)
    assert (first.prompt_tokens, first.completion_tokens) == (120, 7)
    again = summarize_article(ARTICLE, settings=settings).usage
    assert (again.requests, again.attempts, again.cache_hits) == (0, 0, 1)
    assert (again.prompt_tokens, again.completion_tokens) == (0, 0)  # the cache costs nothing
    assert len(scripted.chat_requests) == 3


# -- issue 11 item 7: streaming, and the chat() contract ------------------------------------


def test_a_reply_is_streamed_and_assembled_with_usage_model_reasoning_and_timings(scripted, scripted_settings):
    timings = {"prompt_n": 40, "prompt_ms": 250.5, "predicted_n": 9, "predicted_ms": 280.0, "cache_n": 12}
    scripted.script(Step(body=completion(
        "<think>count first</think>The drill drew three thousand residents.",
        model="qwen2.5-1.5b", timings=timings, reasoning_content="Reasoning field. ",
        usage={"prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49},
    )))
    reply = chat(scripted_settings)
    (seen,) = scripted.chat_requests
    assert seen.body["stream"] is True and seen.body["stream_options"] == {"include_usage": True}
    assert reply.text == "The drill drew three thousand residents."
    assert (reply.prompt_tokens, reply.completion_tokens, reply.finish_reason) == (40, 9, "stop")
    assert reply.model == "qwen2.5-1.5b" and reply.timings == timings
    assert reply.reasoning == "Reasoning field. " and reply.attempts == 1


def test_a_server_that_ignores_stream_is_understood(scripted, scripted_settings):
    scripted.script(Step(body=completion("One whole body.", timings={"cache_n": 3}), stream=False))
    reply = chat(scripted_settings)
    assert reply.text == "One whole body." and reply.timings == {"cache_n": 3} and reply.prompt_tokens is not None


def test_an_error_in_the_middle_of_a_stream_is_classified(scripted, scripted_settings):
    error = {"error": {"message": "the request exceeds the available context size", "type": "exceed_context_size_error",
                       "n_ctx": 4096, "n_prompt_tokens": 5000}}
    scripted.script(Step(raw=sse(chunk({"role": "assistant"}), error), content_type="text/event-stream"))
    err = raised(chat, scripted_settings)
    assert type(err).__name__ == "ContextLengthError" and err.limit == 4096


def test_on_text_receives_the_text_as_it_streams_without_the_thinking(scripted, scripted_settings):
    scripted.script(Step.reply("<think>Let me count.</think>The drill drew three thousand residents of Tainan."))
    pieces: list[str] = []
    reply = chat(scripted_settings, on_text=pieces.append)
    assert len(pieces) > 3
    assert "".join(pieces) == reply.text == "The drill drew three thousand residents of Tainan."


def test_allow_truncated_returns_a_cut_reply_uncached_and_without_a_warning(scripted, scripted_settings, tmp_path, caplog):
    scripted.default = lambda seen: Step.reply("The drill drew three thou", finish_reason="length")
    settings = scripted_settings.replace(cache=True, cache_dir=str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="summarize"):
        reply = chat(settings, allow_truncated=True)
        again = chat(settings, allow_truncated=True)
    assert reply.truncated and reply.text == "The drill drew three thou" and again.truncated
    assert len(scripted.chat_requests) == 2  # never cached
    assert not caplog.records
    with pytest.raises(TruncatedOutputError):
        chat(settings)  # without the flag, as before


def test_penalize_repetition_sends_the_control_the_server_reads_beside_the_thinking_switch(scripted, scripted_settings):
    chat(scripted_settings.replace(model="qwen3-8b"), penalize_repetition=True)
    chat(scripted_settings.replace(model="qwen3-8b", preset="llamacpp", base_url=scripted.base_url), penalize_repetition=True)
    chat(scripted_settings.replace(model="qwen3-8b"))
    plain, llamacpp, without = (r.body for r in scripted.chat_requests)
    assert plain["frequency_penalty"] > 0 and plain["chat_template_kwargs"] == {"enable_thinking": False}
    assert llamacpp["dry_multiplier"] > 0 and llamacpp["chat_template_kwargs"] == {"enable_thinking": False}
    assert not {"frequency_penalty", "dry_multiplier", "repeat_penalty", "presence_penalty"} & set(without)


def test_a_failure_of_the_sync_function_is_not_chained_to_the_event_loop_check(scripted, scripted_settings):
    scripted.default = lambda seen: Step.error(400, {"error": {"message": "bad request"}})
    err = raised(summarize_article, ARTICLE, settings=scripted_settings)
    chain = []
    while err is not None and len(chain) < 20:
        chain.append(err)
        err = err.__cause__ or err.__context__
    assert not any("no running event loop" in str(e) for e in chain)  # a traceback would show it "during handling"


@pytest.mark.parametrize(
    "text, max_tokens, advice",
    [
        ("The city held a drill with three thou", 64, "while writing and is incomplete; raise SUMMARIZE_OUTPUT_TOKENS"),
        ("The city held a drill with three thou", 40, "while writing and is incomplete; set SUMMARIZE_ON_TRUNCATION=keep"),
        ("<think>Let me count first, then", 64, "while thinking and is incomplete; turn thinking off for this model or raise SUMMARIZE_OUTPUT_TOKENS"),
        ("<think>Let me count first, then", 40, "while thinking and is incomplete; turn thinking off for this model (each reply's limit"),
    ],
)
def test_a_cut_reply_names_the_cap_only_when_the_cap_cut_it(scripted, scripted_settings, text, max_tokens, advice):
    # A limit under SUMMARIZE_OUTPUT_TOKENS is the size of the text asked for: raising the cap
    # would change nothing, so the error does not say to.
    scripted.script(Step.reply(text, finish_reason="length"))
    err = raised(chat, scripted_settings.replace(output_tokens=64), max_tokens=max_tokens)
    assert isinstance(err, TruncatedOutputError) and advice in str(err)


@pytest.mark.parametrize(
    "events",
    [
        sse(chunk({"role": "assistant", "content": "The article reports that a new AI model was released by the"})),
        # Cut between two events of a chunked stream, and the last one with no finish_reason.
        sse(chunk({"content": "The article reports that "}), chunk({"content": "a new AI model"})),
    ],
    ids=["one-event", "two-events"],
)
def test_a_stream_that_stops_short_is_dropped_retried_and_never_cached(scripted, scripted_settings, tmp_path, events):
    # A red-team server ended the stream mid-sentence with neither a finish_reason nor [DONE]:
    # the half sentence was taken for a whole summary, cached, and a batch counted it done.
    settings = scripted_settings.replace(max_retries=1, retry_backoff=0, cache=True, cache_dir=str(tmp_path))
    scripted.script(Step(raw=events, content_type="text/event-stream"), Step.reply("Tainan opened twelve bus routes."))
    assert chat(settings).text == "Tainan opened twelve bus routes."
    assert len(scripted.chat_requests) == 2
    scripted.default = lambda seen: Step(raw=events, content_type="text/event-stream")
    err = raised(chat, settings.replace(cache=False))
    assert isinstance(err, ConnectionFailedError) and "stopped short" in str(err) and "neither a finish_reason nor [DONE]" in str(err)
    assert [p.name for p in tmp_path.rglob("*.json")] and all(
        "released by the" not in p.read_text(encoding="utf-8") for p in tmp_path.rglob("*.json")
    )


def test_a_connection_that_breaks_mid_stream_is_no_question_of_a_server_running(scripted, scripted_settings):
    # A server that answered and streamed half a reply, then closed the connection, was met with
    # "could not connect or the connection dropped; is a server running at the base URL?".
    events = sse(chunk({"role": "assistant", "content": "Tainan held an exhibition about"}))
    scripted.default = lambda seen: Step(raw=events + b"data: {", content_type="text/event-stream", cut=len(events) + 3)
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert isinstance(err, ConnectionFailedError), repr(err)
    assert "the reply stopped short: the connection broke after the reply began" in str(err), str(err)
    assert "is a server running" not in str(err)


@pytest.mark.parametrize(
    "raw",
    [
        # llama.cpp's server has ended a failed stream with an "error:" line.
        sse(chunk({"content": "The article"})) + b'error: {"code": 500, "message": "slot unavailable"}\n\n',
        # An SSE error event, its data the error itself.
        sse(chunk({"content": "The article"})) + b'event: error\ndata: {"code": 500, "message": "slot unavailable"}\n\n',
    ],
    ids=["error-line", "error-event"],
)
def test_an_error_sent_inside_a_stream_is_the_servers_error(scripted, scripted_settings, raw):
    scripted.default = lambda seen: Step(raw=raw, content_type="text/event-stream")
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert isinstance(err, EndpointError) and "slot unavailable" in str(err)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("status", [200, 500])
def test_a_body_that_does_not_decode_as_its_encoding_says_is_an_endpoint_error(scripted, scripted_settings, encoding, status):
    # The HTTP library's DecodingError is not a transport error: it escaped the library as
    # httpx2.DecodingError ("Every error is a summarize.SummarizeError").
    scripted.default = lambda seen: Step(
        status=status, raw=b"this is not " + encoding.encode(), stream=False, headers={"Content-Encoding": encoding}
    )
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert isinstance(err, EndpointError), repr(err)
    if status == 200:
        assert "does not decode as its Content-Encoding says" in str(err)


def test_a_models_listing_that_does_not_decode_is_an_endpoint_error(scripted, scripted_settings):
    scripted.models_step = Step(raw=b"not gzip", stream=False, headers={"Content-Encoding": "gzip"})
    async def listed():
        async with ChatClient(scripted_settings.replace(model=None, max_retries=2, retry_backoff=0)) as client:
            return await client.list_models()

    err = raised(lambda: asyncio.run(listed()))
    # openai wraps the HTTP library's error as a connection error: not one, and not retried.
    assert type(err) is EndpointError and "does not decode as its Content-Encoding says" in str(err), repr(err)
    assert sum(r.path.endswith("/models") for r in scripted.requests) == 1


def test_a_redirect_loop_says_so_and_is_not_sent_again(scripted, scripted_settings):
    scripted.default = lambda seen: Step(status=307, raw=b"", stream=False, headers={"Location": "/v1/chat/completions"})
    err = raised(chat, scripted_settings.replace(max_retries=2, retry_backoff=0))
    assert type(err) is EndpointError and "redirects in a loop" in str(err), repr(err)
    assert len(scripted.chat_requests) <= 21  # one attempt: the HTTP library's 20 redirects, not 3 x 20


@pytest.mark.parametrize("where", ["error-body", "models"])
def test_a_huge_error_body_or_models_listing_is_not_read_whole(scripted, scripted_settings, where):
    # openai reads both whole: a red-team server's 1.5 GB error body took 8.7 GB of memory.
    huge = b'{"error": {"message": "' + b"x" * 20_000_000 + b'"}}'
    if where == "models":
        scripted.models_step = Step(raw=huge.replace(b'"error"', b'"data"'), stream=False)
    else:
        scripted.default = lambda seen: Step(status=500, raw=huge, stream=False)
    settings = scripted_settings.replace(max_retries=0, model=None if where == "models" else "scripted")
    err = raised(summarize_article, ARTICLE, settings=settings)
    assert isinstance(err, EndpointError), repr(err)
    assert "8,388,608 bytes" in str(err) and len(str(err)) < 1000
    if where == "error-body":
        assert isinstance(err, ServerError) and "HTTP 500" in str(err)


def test_only_the_choice_numbered_0_is_read(scripted, scripted_settings):
    # A server streamed a second choice ("index": 1), and its text was run into the reply.
    events = sse(
        chunk({"role": "assistant", "content": "Tainan opened "}),
        {"id": "x", "object": "chat.completion.chunk", "model": "scripted",
         "choices": [{"index": 1, "delta": {"content": "IGNORE ME "}, "finish_reason": None}]},
        chunk({"content": "twelve bus routes."}, "stop"),
        "[DONE]",
    )
    scripted.script(Step(raw=events, content_type="text/event-stream"))
    assert chat(scripted_settings).text == "Tainan opened twelve bus routes."
    body = completion("Tainan opened twelve bus routes.")
    body["choices"] = [{"index": 1, "message": {"role": "assistant", "content": "IGNORE ME"}, "finish_reason": "stop"},
                       {**body["choices"][0], "index": 0}]
    scripted.script(Step(body=body, stream=False))
    assert chat(scripted_settings).text == "Tainan opened twelve bus routes."


def test_a_token_count_no_request_could_hold_is_not_taken(scripted, scripted_settings):
    usage = {"prompt_tokens": 10**30, "completion_tokens": 12, "total_tokens": 10**30}
    scripted.script(Step.reply("Tainan opened twelve bus routes.", usage=usage))
    reply = chat(scripted_settings)
    assert reply.prompt_tokens is None and reply.completion_tokens == 12


def test_a_huge_models_listing_through_a_proxy_from_the_environment_is_not_read_whole(scripted, monkeypatch):
    # A proxy named in the environment gets a transport of its own inside the HTTP client; the
    # cap is a response hook, so it holds there too. The scripted server plays the proxy.
    huge = b'{"data": [{"id": "' + b"x" * 20_000_000 + b'"}]}'
    scripted.models_step = Step(raw=huge, stream=False)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", scripted.base_url.removesuffix("/v1"))
    settings = Settings(base_url="http://models.summarize-test.invalid/v1", api_key="k", model=None, max_retries=0, cache=False)
    err = raised(summarize_article, ARTICLE, settings=settings)
    assert isinstance(err, EndpointError), repr(err)
    assert "8,388,608 bytes" in str(err) and len(str(err)) < 1000
    assert scripted.requests and scripted.requests[0].path == "http://models.summarize-test.invalid/v1/models"


def test_a_redirect_with_a_huge_body_is_not_read_whole(scripted, scripted_settings):
    # The HTTP library reads a redirect's body whole before following it.
    scripted.script(Step(status=307, raw=b"x" * 20_000_000, headers={"Location": "/v1/chat/completions"}, stream=False))
    err = raised(chat, scripted_settings.replace(max_retries=0))
    assert isinstance(err, EndpointError), repr(err)
    assert "8,388,608 bytes" in str(err) and len(str(err)) < 1000


# -- lifecycle in an application (red team, round 3) -----------------------------------------------

PARTS = "\n".join(f"第{i}項：臺南市政府今天公布第{i}號防災演練報告，共有{i * 7}名市民參加。" for i in range(30))


def test_an_on_text_that_raises_a_broken_pipe_is_the_callers_error_after_one_request(scripted, scripted_settings):
    # A callback forwarding to a websocket gone away raised BrokenPipeError; the transport took it
    # for a dropped connection and asked three times more.
    def on_text(piece):
        raise BrokenPipeError(32, "Broken pipe")

    for client in (None, openai.OpenAI(base_url=scripted.base_url, api_key="k")):
        with pytest.raises(BrokenPipeError):
            summarize_article(ARTICLE, settings=scripted_settings, on_text=on_text, client=client)
    assert len(scripted.chat_requests) == 2


def test_a_sync_call_in_a_task_that_caught_an_earlier_cancel_runs(scripted, scripted_settings):
    # The task's cancel count stayed 1 after it caught the cancel, and every sync call in it
    # then raised CancelledError at once, nothing sent.
    async def handler():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass
        return summarize_article(ARTICLE, settings=scripted_settings).text

    async def main():
        task = asyncio.create_task(handler())
        await asyncio.sleep(0.05)
        task.cancel()
        return await task

    assert asyncio.run(main()) == "A scripted summary."


def test_a_chat_client_around_a_sync_client_is_shared_by_sync_calls(scripted, scripted_settings):
    # Its gate's asyncio.Condition belonged to the first call's loop: the second call raised a
    # bare RuntimeError ("bound to a different event loop").
    settings = scripted_settings.replace(chunk_tokens=300, concurrency=2)
    shared = ChatClient(settings, openai.OpenAI(base_url=scripted.base_url, api_key="k"))
    first, second = (summarize_article(PARTS, settings=settings, client=shared) for _ in range(2))
    assert first.chunks == second.chunks > 1


def test_a_chat_client_of_its_own_async_client_in_a_second_loop_names_the_chat_client(scripted, scripted_settings):
    shared = ChatClient(scripted_settings)
    summarize_article(ARTICLE, settings=scripted_settings, client=shared)
    with pytest.raises(ConfigError, match="this ChatClient first ran in another event loop"):
        summarize_article(ARTICLE, settings=scripted_settings, client=shared)
    close_spent(shared.transport._client)


def test_a_chat_client_busy_in_another_thread_is_refused_clearly(scripted, scripted_settings):
    scripted.default = lambda seen: Step.reply("A note on this part of the article.", delay=0.3)
    settings = scripted_settings.replace(chunk_tokens=300, concurrency=1)
    shared = ChatClient(settings, openai.OpenAI(base_url=scripted.base_url, api_key="k"))
    outcomes: list[object] = []

    def run():
        try:
            outcomes.append(summarize_article(PARTS, settings=settings, client=shared).chunks)
        except Exception as exc:  # noqa: BLE001 - what each thread got is the assertion
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(outcomes) == 3 and len(refused) < 3
    assert all(isinstance(o, ConfigError) and "requests in flight in another event loop" in str(o) for o in refused)


def test_closing_a_shared_chat_client_ends_its_sharers_requests_unretried(scripted, scripted_settings):
    # A sharer took the close for a dropped connection, asked again, and failed with httpx's bare
    # RuntimeError; a run after the close raised a bare ConnectionError.
    scripted.default = lambda seen: Step.reply("A note on this part of the article.", delay=0.5)
    settings = scripted_settings.replace(chunk_tokens=300)

    async def main():
        shared = ChatClient(settings)
        task = asyncio.create_task(asummarize_article(PARTS, settings=settings, client=shared))
        # Closed once the first wave (8 chunks, 4 at a time) has reached the server: at the first
        # request alone, the others sent with it could arrive after the count on a busy machine.
        while scripted.in_flight < settings.concurrency:
            await asyncio.sleep(0.02)
        sent = len(scripted.chat_requests)
        await shared.aclose()
        with pytest.raises(ChunkFailedError, match="client= was closed while the request was in flight"):
            await task
        with pytest.raises(ConfigError, match="was closed .* before this request; nothing was sent"):
            await asummarize_article(PARTS, settings=settings, client=shared)
        return len(scripted.chat_requests) - sent

    assert asyncio.run(main()) == 0


def test_an_async_client_closed_by_its_owner_fails_its_run_as_closed(scripted, scripted_settings):
    async def main():
        client = openai.AsyncOpenAI(base_url=scripted.base_url, api_key="k")
        await client.close()
        with pytest.raises(ConnectionFailedError, match="client= was closed"):
            await asummarize_article(ARTICLE, settings=scripted_settings, client=client)

    asyncio.run(main())
    assert scripted.chat_requests == []


def test_a_gather_closed_unfinished_awaits_nothing():
    # An interrupt that stopped the loop left run_jobs suspended in gather_or_cancel; collected
    # later, its close() was caught as a failure and awaited the cancelled tasks: "coroutine
    # ignored GeneratorExit", printed among whatever ran next.
    from summarize.runner import gather_or_cancel

    loop = asyncio.new_event_loop()
    try:
        async def forever() -> None:
            await asyncio.sleep(3600)

        async def outer() -> list[None]:
            return await gather_or_cancel(forever() for _ in range(2))

        coroutine = outer()
        asyncio.set_event_loop(loop)
        coroutine.send(None)  # suspended in the gather, as a loop stopped by Ctrl-C leaves it
        tasks = list(asyncio.all_tasks(loop))
        coroutine.close()  # raised RuntimeError: coroutine ignored GeneratorExit
        assert tasks and all(t.cancelling() or t.cancelled() for t in tasks)
    finally:
        asyncio.set_event_loop(None)
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()


INTERRUPTED_GATHER = """
import asyncio, gc
from summarize.runner import gather_or_cancel

async def sleeper():
    await asyncio.sleep(3600)

async def interrupt():
    await asyncio.sleep(0.01)
    raise KeyboardInterrupt  # as an on_text writing to a terminal does on Ctrl-C

async def main():
    await gather_or_cancel([sleeper(), interrupt(), sleeper()])

try:
    asyncio.run(main())
except KeyboardInterrupt:
    print("interrupted")
gc.collect()
"""


def test_an_interrupt_raised_in_a_gathered_task_reaches_the_caller_once_and_leaves_nothing_pending():
    # Raised again in the gathering task, it stopped asyncio.run's clean-up as well: at exit
    # "Task exception was never retrieved" and a traceback, or "Task was destroyed but it is
    # pending!", after the CLI had said "interrupted".
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", INTERRUPTED_GATHER], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "interrupted"
    assert result.stderr == ""
