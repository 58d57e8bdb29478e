"""The client's pure parts: think removal, request shape, the reply reader, classification helpers, repetition controls."""

from __future__ import annotations

import dataclasses
import json

import pytest

from summarize import Settings, presets
from summarize.classify import html_summary, retry_after
from summarize.client import ChatClient, strip_think
from summarize.reply import BodyError, MalformedReply, ReplyReader, ReplyTooLarge, max_reply_bytes, visible_text
from summarize.config import is_local_url as is_local


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("<think>let me see</think>\n\nThe summary.", "The summary."),
        ("<think></think>The summary.", "The summary."),
        ("<think>\n\n</think>\n\nThe summary.", "The summary."),
        ("The summary.", "The summary."),
        ("reasoning without opening</think>The summary.", "The summary."),
        ("<think>still thinking when the budget ran out", ""),
        ("  <THINK>a</THINK> Two <think>b</think>parts.", "Two parts."),
        (None, ""),
    ],
)
def test_strip_think(raw, clean):
    assert strip_think(raw) == clean


def test_qwen3_gets_thinking_turned_off_and_others_do_not():
    client = ChatClient(Settings(base_url="http://localhost:8000/v1"))
    qwen = client.request_options("Qwen/Qwen3-8B", 100)
    assert qwen["extra_body"] == {"chat_template_kwargs": {"enable_thinking": False}}
    assert "extra_body" not in client.request_options("llama3.1:8b", 100)
    assert qwen["max_tokens"] == 100


def test_building_a_client_object_makes_no_openai_client():
    client = ChatClient(Settings())  # no key for OpenAI: fine until a request is made
    assert client._client is None


# -- the reply reader: streamed events and whole bodies, fed in any pieces -----------------

def events(*payloads) -> bytes:
    return b"".join(f"data: {p if isinstance(p, str) else json.dumps(p)}\r\n\r\n".encode() for p in payloads)


def delta(**fields) -> dict:
    finish = fields.pop("finish", None)
    return {"model": "m-served", "choices": [{"index": 0, "delta": fields, "finish_reason": finish}]}


STREAM = events(
    delta(role="assistant"),
    delta(reasoning_content="Count first. "),
    delta(content="<think>hidden</think>The drill "),
    delta(content="drew 3,000."),
    {**delta(finish="stop"), "timings": {"cache_n": 5, "prompt_ms": 10.0}},
    {"choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 6, "total_tokens": 36}},
    "[DONE]",
)


@pytest.mark.parametrize("size", [1, 7, 64, len(STREAM)])
def test_a_stream_is_assembled_whatever_pieces_it_arrives_in(size):
    reader = ReplyReader("asked", max_reply_bytes(100))
    for i in range(0, len(STREAM), size):
        reader.feed(STREAM[i : i + size])
    reply = reader.reply(attempts=2)
    assert reply.text == "The drill drew 3,000."
    assert (reply.prompt_tokens, reply.completion_tokens, reply.finish_reason) == (30, 6, "stop")
    assert reply.model == "m-served" and reply.reasoning == "Count first. " and reply.attempts == 2
    assert reply.timings == {"cache_n": 5, "prompt_ms": 10.0} and not reply.truncated


@pytest.mark.parametrize("end", [b"\n", b"\r"])
@pytest.mark.parametrize("size", [1, 2, 7, 64])
def test_a_stream_whose_lines_end_in_lf_or_a_lone_cr_reads_the_same(end, size):
    # The event-stream format lets a line end in CRLF, LF or CR; a CRLF split between two reads
    # is one line end, not a line end and a blank line.
    stream = STREAM.replace(b"\r\n", end)
    reader = ReplyReader("asked", max_reply_bytes(100))
    for i in range(0, len(stream), size):
        reader.feed(stream[i : i + size])
    reply = reader.reply()
    assert reply.text == "The drill drew 3,000." and reply.finish_reason == "stop"
    assert (reply.prompt_tokens, reply.completion_tokens) == (30, 6)


def test_an_event_whose_data_spans_several_lines_is_read_whole():
    first, second = json.dumps(delta(content="Tainan ")), json.dumps(delta(content="opened.", finish="stop"))
    cut = first.index('"choices"')
    stream = (
        f"data: {first[:cut]}\ndata: {first[cut:]}\n\n"  # one event in two data lines
        "data:\n\n"  # data with nothing in it: no event
        f"data: {second}\n\ndata: [DONE]\n\n"
    ).encode()
    for size in (1, 5, len(stream)):
        reader = ReplyReader("asked", max_reply_bytes(10))
        for i in range(0, len(stream), size):
            reader.feed(stream[i : i + size])
        assert reader.reply().text == "Tainan opened."


@pytest.mark.parametrize(
    "stream, message",
    [
        (b'event: error\ndata: {"error": {"message":\ndata: "slot unavailable"}}\n\n', "slot unavailable"),
        (b'event: error\rdata: {"message": "context exceeded"}', "context exceeded"),
        (b"data: {\"choices\":\ndata: oops\n\n", "not JSON"),
    ],
)
def test_an_error_or_a_broken_event_over_several_lines_still_raises(stream, message):
    reader = ReplyReader("asked", max_reply_bytes(10))
    with pytest.raises((BodyError, MalformedReply), match=message):
        reader.feed(stream)
        reader.reply()


def test_a_whole_body_is_read_too_and_reasoning_inline_is_kept_apart():
    body = {"model": "m", "choices": [{"message": {"content": "<think>why</think>Done."}, "finish_reason": "length"}]}
    reader = ReplyReader("asked", max_reply_bytes(10))
    reader.feed(json.dumps(body).encode())
    reply = reader.reply()
    assert (reply.text, reply.reasoning, reply.truncated, reply.prompt_tokens) == ("Done.", "why", True, None)


@pytest.mark.parametrize(
    "raw, kind",
    [
        (b'{"error": {"message": "Rate limit exceeded", "code": 429}}', BodyError),
        (b'{"object": "error", "message": "bad", "code": 400}', BodyError),
        (events({"error": {"message": "context exceeded"}}), BodyError),
        (b'{"choices": [{"message": {"content": ["a"]}}]}', MalformedReply),
        (b'{"choices": 3}', MalformedReply),
        (b"<html>oops</html>", MalformedReply),
        (b"", MalformedReply),
        (events(delta(content=1)), MalformedReply),
        (b": keep-alive\n\n" + events("[DONE]"), MalformedReply),
    ],
)
def test_what_is_not_a_reply_raises_one_of_two_exceptions(raw, kind):
    reader = ReplyReader("asked", max_reply_bytes(10))
    with pytest.raises(kind):
        reader.feed(raw)
        reader.reply()


def test_a_reply_past_its_byte_cap_stops_being_read():
    reader = ReplyReader("asked", 100)
    reader.feed(b"x" * 100)
    with pytest.raises(ReplyTooLarge):
        reader.feed(b"x")
    assert max_reply_bytes(1024) == 1024 * 1024 + (1 << 20)


def test_on_text_sees_only_what_is_shown_and_sees_all_of_it():
    seen: list[str] = []
    reader = ReplyReader("asked", max_reply_bytes(10), on_text=seen.append)
    for piece in ("<thi", "nk>plan</th", "ink>\n\nTai", "pei <", "b>is</b> north", "."):
        reader.feed(events(delta(content=piece)))
    reader.feed(b"data: [DONE]\n\n")
    reply = reader.reply()
    assert "".join(seen) == reply.text == "Taipei <b>is</b> north."


@pytest.mark.parametrize(
    "raw, shown",
    [("<think>a", ""), ("<think>a</think>B", "B"), ("Hello <th", "Hello "), ("x < y", "x < y"), ("", "")],
)
def test_visible_text(raw, shown):
    assert visible_text(raw) == shown


# -- classification helpers ---------------------------------------------------------------


@pytest.mark.parametrize(
    "page, summary",
    [
        ("<html><head><title>502 Bad Gateway</title></head><body>...</body></html>", "502 Bad Gateway"),
        ("<!DOCTYPE html><body><h1>Service <b>Unavailable</b></h1></body>", "Service Unavailable"),
        ("<html><body><p>no title</p></body></html>", ""),
        ("upstream connect error", None),
        ('{"error": "x < y > z"}', None),
    ],
)
def test_html_summary(page, summary):
    assert html_summary(page) == summary


class _Headers(dict):
    def get(self, name, default=None):
        return super().get(name.lower(), default)


class _Response:
    def __init__(self, **headers):
        self.headers = _Headers({k.lower().replace("_", "-"): v for k, v in headers.items()})


class _Failure(Exception):
    def __init__(self, **headers):
        self.response = _Response(**headers)


@pytest.mark.parametrize(
    "headers, seconds",
    [
        ({"retry_after": "2"}, 2.0),
        ({"retry_after": "soon"}, None),
        ({"retry_after": "nan"}, None),
        ({"retry_after": "-5"}, 0.0),
        ({"retry_after_ms": "300"}, 0.3),
        ({"retry_after_ms": "x", "retry_after": "1"}, 1.0),
        ({"retry_after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past
        ({}, None),
    ],
)
def test_retry_after_never_raises(headers, seconds):
    assert retry_after(_Failure(**headers)) == seconds


@pytest.mark.parametrize(
    "url, local",
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://192.168.1.20:8000/v1", True),
        ("http://10.0.0.5/v1", True),
        ("http://[::1]:8080/v1", True),
        ("http://gpu-box.local:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://8.8.8.8/v1", False),
    ],
)
def test_is_local(url, local):
    assert is_local(url) is local


# -- repetition controls ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_every_preset_has_a_repetition_control(name):
    options = presets.repetition_options(presets.get(name), "qwen3-8b")
    assert options and all(isinstance(v, (int, float)) for v in options.values())


def test_repetition_controls_per_server():
    assert presets.repetition_options(presets.get("llamacpp"), "m") == {"dry_multiplier": 0.8}  # DRY alone
    assert presets.repetition_options(presets.get("vllm"), "m")["repetition_penalty"] > 1
    assert "repeat_penalty" not in presets.repetition_options(presets.get("ollama"), "m")  # not read on /v1
    assert presets.repetition_options(presets.get("dashscope"), "qwen-plus") == {"presence_penalty": 1.0}
    assert presets.repetition_options(presets.get("openai"), "o4-mini") == {}  # reasoning models reject penalties
    assert presets.repetition_options(None, "m") == {"frequency_penalty": 0.5}
    assert presets.repetition_options(None, "m", "llamacpp") == presets.repetition_options(presets.get("llamacpp"), "m")


def test_the_server_is_told_by_llama_cpp_fields_only():
    assert presets.server_of(owned_by="llamacpp") == presets.server_of(timings={"prompt_ms": 1.0}) == "llamacpp"
    assert presets.server_of(owned_by="vllm") is presets.server_of() is presets.server_of(timings="x") is None


def test_repetition_options_merge_with_the_thinking_switch():
    client = ChatClient(Settings(base_url="http://localhost:8000/v1", preset="vllm"))
    options = client.request_options("Qwen/Qwen3-8B", 100, penalize_repetition=True)
    assert options["extra_body"] == {
        "chat_template_kwargs": {"enable_thinking": False},
        "repetition_penalty": 1.1,
        "frequency_penalty": 0.3,
    }
    assert "repetition_penalty" not in client.request_options("Qwen/Qwen3-8B", 100).get("extra_body", {})


def test_stream_options_are_left_out_where_the_preset_says_the_server_rejects_them():
    client = ChatClient(Settings(base_url="http://localhost:8000/v1", preset="vllm"))
    assert client.stream_options() == {"stream": True, "stream_options": {"include_usage": True}}
    client.preset = dataclasses.replace(client.preset, stream_options=False)
    assert client.stream_options() == {"stream": True}


async def test_what_one_reply_says_of_the_server_every_client_sharing_its_endpoint_knows(scripted, scripted_settings):
    # A batch's articles each get a client sharing one transport: the llama.cpp timings of
    # the first reply pick the repetition control of every article's re-ask, not only its own.
    from scripted_server import Step

    scripted.script(Step.reply("First.", timings={"prompt_ms": 5.0, "predicted_ms": 5.0}))
    async with ChatClient(scripted_settings) as shared:
        first, second = ChatClient(scripted_settings, shared), ChatClient(scripted_settings, shared)
        assert "frequency_penalty" in second.request_options("m", 10, penalize_repetition=True)["extra_body"]
        await first.chat([{"role": "user", "content": "hi"}], model="m")
        for client in (shared, first, second):
            assert client.request_options("m", 10, penalize_repetition=True)["extra_body"] == {"dry_multiplier": 0.8}
