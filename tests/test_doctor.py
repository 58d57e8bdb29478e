"""``summarize doctor`` against hostile and slow servers: secrets stay home, every request ends.

The friendly paths (a ready endpoint, context mismatches, thinking) are covered through the CLI
in tests/test_cli.py; these tests call ``diagnose`` directly.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from scripted_server import ScriptedServer, Step, completion

from summarize import Settings
from summarize.doctor import FAIL, OK, WARN, Check, diagnose

KEY = "vllm-key-7f3a9c1e5b2d"  # no sk- shape: a vLLM --api-key can be anything


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def shown(checks: list[Check]) -> str:
    return "\n".join(f"{c.status} {c.name}: {c.detail} {c.fix}" for c in checks)


# -- a raw loopback server, for what http.server cannot say (reason phrases, dripped bytes) --

Writer = Callable[[socket.socket, str], None]


@contextmanager
def raw_server(answer: Writer) -> Iterator[str]:
    """Each connection's request head is read, then ``answer(connection, path)`` writes bytes."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            path = head.split(b" ", 2)[1].decode()
            try:
                answer(conn, path)
            except OSError:
                pass  # the client hung up: that is what a deadline does

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join()
        listener.close()


def settings_for(base_url: str, **kwargs) -> Settings:
    return Settings(base_url=base_url, api_key=KEY, cache=False, **{"timeout": 10, **kwargs})


async def test_https_to_a_plain_http_server_is_no_advice_to_start_it(scripted):
    # It said "start the server", which was running: it speaks plain HTTP.
    checks = by_name(await diagnose(settings_for(scripted.base_url.replace("http://", "https://"), model="m")))
    reachable = checks["reachable"]
    assert reachable.status == FAIL and "WRONG_VERSION_NUMBER" in reachable.detail
    assert "the TLS handshake failed" in reachable.fix and "use http://" in reachable.fix
    assert "start the server" not in reachable.fix


# -- secrets -------------------------------------------------------------------------------


async def test_a_redirect_to_another_origin_does_not_carry_the_key():
    # Two loopback ports are two origins: the first server sends every request on to the other.
    with ScriptedServer() as other, ScriptedServer() as first:
        first._next = lambda seen: Step(status=302, body={}, headers={"Location": f"{other.base_url}/models"})
        await diagnose(settings_for(first.base_url))
        sent_first = [r.headers for r in first.requests]
        sent_other = [r.headers for r in other.requests]
    assert any(h.get("Authorization") == f"Bearer {KEY}" for h in sent_first)  # the key was in play
    assert sent_other, "the redirect was not followed: the test checks nothing"
    for headers in sent_other:
        assert KEY not in str(headers), headers


def refusing(reason: str) -> Writer:
    """A server that answers every request 401 with ``reason`` as its reason phrase."""

    def answer(conn: socket.socket, path: str) -> None:
        body = b'{"error": "no"}'
        conn.sendall(
            f"HTTP/1.1 401 {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
        )

    return answer


async def test_the_reason_phrase_is_redacted():
    with raw_server(refusing(f"Key {KEY} refused")) as base_url:
        checks = await diagnose(settings_for(base_url))
    reachable = by_name(checks)["reachable"]
    assert reachable.status == FAIL and "401" in reachable.detail
    assert "***" in reachable.detail  # redacted, not dropped
    assert KEY not in shown(checks)
    assert reachable.fix == "check SUMMARIZE_API_KEY"


async def test_a_refusal_when_an_openai_key_was_withheld_says_to_set_summarize_api_key():
    with raw_server(refusing("Unauthorized")) as base_url:
        settings = Settings.from_env({"OPENAI_API_KEY": KEY, "SUMMARIZE_BASE_URL": base_url}, timeout=5)
        checks = await diagnose(settings)
    reachable = by_name(checks)["reachable"]
    assert reachable.status == FAIL and reachable.fix == (
        "set SUMMARIZE_API_KEY: OPENAI_API_KEY is set, but it is sent only to OpenAI's API or to OPENAI_BASE_URL"
    )


async def test_the_key_is_not_logged_even_at_debug(caplog):
    import logging

    with ScriptedServer(default=llamacpp_with_timings(2000.0, 100.0), models=["m"]) as server:
        with caplog.at_level(logging.DEBUG):  # every logger: ours, openai's, httpx's, httpcore's
            checks = await diagnose(settings_for(server.base_url))
        sent = [{k.lower(): v for k, v in r.headers.items()}.get("authorization") for r in server.requests]
    assert f"Bearer {KEY}" in sent and len(set(sent)) == 1  # probes and model calls alike carried it
    assert any(r.name.startswith("httpx") for r in caplog.records), "nothing was logged: the test checks nothing"
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert KEY not in logged and KEY not in shown(checks)


# -- every request has a deadline ----------------------------------------------------------


def dripping(drip_path: str) -> Writer:
    """Answers ``drip_path`` one byte at a time, 0.2 s apart (well inside any read timeout); the rest at once."""

    def answer(conn: socket.socket, path: str) -> None:
        if path.endswith("/models"):
            body = b'{"object": "list", "data": [{"id": "m"}]}'
        elif path.endswith("/chat/completions"):
            import json

            body = json.dumps(completion("OK")).encode()
        else:
            body = b'{"error": "not found"}'
        status = "200 OK" if not body.startswith(b'{"error"') else "404 Not Found"
        conn.sendall(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        if not path.endswith(drip_path):
            conn.sendall(body)
            return
        for i in range(min(len(body), 40)):  # bounded: at most 8 s, then the rest
            conn.sendall(body[i : i + 1])
            time.sleep(0.2)
        conn.sendall(body[40:])

    return answer


@pytest.mark.parametrize("path, check", [("/models", "reachable"), ("/chat/completions", "completion")])
async def test_a_server_dripping_bytes_cannot_hold_doctor_past_its_deadline(path, check):
    with raw_server(dripping(path)) as base_url:
        checks = await diagnose(settings_for(base_url, timeout=1, model="m"))
    found = by_name(checks)[check]
    assert found.status == FAIL, shown(checks)
    assert "1 s" in found.detail and "SUMMARIZE_TIMEOUT" in found.detail + found.fix, found


# -- speed: can SUMMARIZE_TIMEOUT cover a full-context request? ------------------------------


def llamacpp_with_timings(prompt_per_second: float, predicted_per_second: float):
    def respond(seen):
        if seen.path == "/props":
            return Step(body={"default_generation_settings": {"n_ctx": 8192}})
        body = completion("OK", usage={"prompt_tokens": 400, "completion_tokens": 2, "total_tokens": 402})
        body["timings"] = {
            "prompt_n": 400,
            "prompt_ms": 400 / prompt_per_second * 1000,
            "prompt_per_second": prompt_per_second,
            "predicted_n": 2,
            "predicted_ms": 2 / predicted_per_second * 1000,
            "predicted_per_second": predicted_per_second,
        }
        return Step(body=body)

    return respond


async def test_doctor_warns_when_the_timeout_cannot_cover_a_full_context_request():
    # 8192-token context, 1024 reserved for the reply: 7168 / 20 + 1024 / 4 = 614.4 s.
    with ScriptedServer(default=llamacpp_with_timings(20.0, 4.0), models=["m"]) as server:
        checks = await diagnose(settings_for(server.base_url, timeout=120))
        speed_requests = [r for r in server.chat_requests if len(r.user_text) > 500]
    speed = by_name(checks)["speed"]
    assert speed.status == WARN, shown(checks)
    assert "prompt 20 tokens/s, generation 4 tokens/s (llama.cpp timings)" in speed.detail
    assert "a full-context request (7168 prompt + 1024 reply tokens) takes about 614 s" in speed.detail
    assert "SUMMARIZE_TIMEOUT=120" in speed.detail
    assert speed.fix.startswith("set SUMMARIZE_TIMEOUT=740")  # 614 s and a fifth more, rounded up to 10 s
    assert len(speed_requests) == 1  # one request of a few hundred tokens measured it


async def test_doctor_says_the_timeout_covers_a_fast_server():
    with ScriptedServer(default=llamacpp_with_timings(2000.0, 100.0), models=["m"]) as server:
        checks = await diagnose(settings_for(server.base_url, timeout=120))
    speed = by_name(checks)["speed"]
    assert speed.status == OK, shown(checks)
    assert "takes about 14 s" in speed.detail and "within SUMMARIZE_TIMEOUT=120" in speed.detail


async def test_doctor_fails_a_server_that_cuts_prompts_and_takes_no_speed_from_its_count():
    # A server counting 5 prompt tokens of the ~700 sent (Ollama past num_ctx) was "ready", with a
    # speed worked out from the 5; every run was then flagged prompt-cut.
    def cutting(seen):
        return Step(body=completion("OK", usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}))

    with ScriptedServer(default=cutting, models=["m"]) as server:
        checks = await diagnose(settings_for(server.base_url, timeout=120))
    found = by_name(checks)
    assert "speed" not in found and found["prompt"].status == FAIL, shown(checks)
    assert "counted 5 prompt tokens" in found["prompt"].detail and "num_ctx" in found["prompt"].fix


@pytest.mark.parametrize("absurd", [5e-324, 1e-9, 1e300])
async def test_doctor_takes_absurd_timings_for_none_and_does_not_crash(absurd):
    # A speed of 5e-324 tokens/s made a full-context request take inf seconds, and the advice
    # (math.ceil(inf)) crashed doctor with an OverflowError, outside the library's errors.
    with ScriptedServer(default=llamacpp_with_timings(absurd, absurd), models=["m"]) as server:
        checks = await diagnose(settings_for(server.base_url, timeout=120))
    speed = by_name(checks)["speed"]
    assert "llama.cpp timings" not in speed.detail and "(wall time)" in speed.detail, shown(checks)


async def test_without_timings_doctor_bounds_the_speed_by_wall_time():
    # A server that reports usage but no timings, and takes 0.3 s for every request: the speed
    # request's 400 prompt tokens took at least 0.3 s, the short reply's 2 tokens too.
    def slow(seen):
        usage = {"prompt_tokens": 400 if len(seen.user_text) > 500 else 20, "completion_tokens": 2, "total_tokens": 0}
        return Step.reply("OK", usage=usage, delay=0.3)

    with ScriptedServer(default=slow, models=["m"]) as server:
        checks = await diagnose(settings_for(server.base_url, timeout=30))
    speed = by_name(checks)["speed"]
    # At least 7168 x 0.3 / 400 + 1024 x 0.3 / 2 = 5.4 + 153.6 s: more than 30 s, whatever the machine's load.
    assert speed.status == WARN, shown(checks)
    assert "wall time" in speed.detail and "at most" in speed.detail
    assert "SUMMARIZE_TIMEOUT=30" in speed.detail and speed.fix.startswith("set SUMMARIZE_TIMEOUT=")


async def test_a_hosted_service_without_timings_is_measured_but_not_extrapolated():
    # To a hosted service a short request is mostly round trip: an upper bound from it would warn
    # about a 128k context that the service in fact answers in seconds.
    from summarize.client import Reply
    from summarize.doctor import _speed_check

    class Slow:
        prompt_cut = ""  # as a ChatClient whose server counted the prompt it was sent

        async def chat(self, messages, *, model, max_tokens=None):
            return Reply("1 2 3", prompt_tokens=400, completion_tokens=40, finish_reason="stop", model=model)

    settings = Settings(base_url="https://api.example.com/v1", api_key=KEY, context_tokens=128000, timeout=120)
    tiny = (Reply("OK", prompt_tokens=20, completion_tokens=1, finish_reason="stop", model="m"), 0.5)
    check = await _speed_check(Slow(), settings, "m", tiny)  # type: ignore[arg-type]
    assert check.status == OK
    assert "400 prompt tokens and a short reply took" in check.detail and "not estimated" in check.detail


@pytest.mark.parametrize(
    "models, method, says",
    [
        ([{"id": "my-model", "object": "model", "meta": {"n_params": 1777088000}}], "auto",
         "key sentences: my-model has 1.8B parameters (llama.cpp /models meta.n_params); summaries translate"),
        (["Qwen2.5-Coder-1.5B-Instruct"], "auto", "key sentences: Qwen2.5-Coder-1.5B-Instruct has 1.5B parameters (its name)"),
        (["qwen3:8b"], "auto", "abstractive: qwen3:8b has 8B parameters (its name); the model reads the article"),
        (["m"], "auto", "abstractive: the size of m is not known; the model reads the article"),
        (["m"], "key-sentences", "key sentences: SUMMARIZE_METHOD=key-sentences; summaries translate"),
        (["qwen2.5:0.5b"], "abstractive", "abstractive: SUMMARIZE_METHOD=abstractive; the model reads"),
    ],
)
async def test_doctor_says_how_summaries_will_be_written(models, method, says):
    with ScriptedServer(default=llamacpp_with_timings(2000.0, 100.0), models=models) as server:
        checks = await diagnose(settings_for(server.base_url, timeout=120).replace(method=method))
    check = by_name(checks)["method"]
    assert check.status == OK and check.detail.startswith(says), shown(checks)
    assert ("SUMMARIZE_METHOD=abstractive has" in check.detail) == (method == "auto" and says.startswith("key"))


# -- what a server says about itself, in whatever shape ------------------------------------


def answering(path: str, body: object):
    """A server that answers ``path`` with ``body``, has no other metadata path, and says OK to chats."""

    def respond(seen):
        if seen.path == path:
            return Step(body=body)
        if seen.path in ("/props", "/api/show"):
            return Step(status=404, body={"error": "not found"})
        return Step.reply("OK")

    return respond


@pytest.mark.parametrize(
    "path, body, status, says",
    [
        # llama.cpp's settings in another shape: the top-level n_ctx still counts.
        ("/props", {"default_generation_settings": "oops", "n_ctx": 4096}, FAIL,
         "the server's context is 4096 (llama.cpp /props n_ctx)"),
        ("/api/show", {"model_info": [1, 2]}, OK, "the server does not report its context; assuming 8192"),
        # Parameters without num_ctx are still Ollama's: its default context applies.
        ("/api/show", {"parameters": "x", "model_info": "str"}, FAIL, "the server's context is 4096 (Ollama's default;"),
    ],
)
async def test_metadata_in_another_shape_is_not_stated_rather_than_a_crash(path, body, status, says):
    with ScriptedServer(default=answering(path, body), models=["m"]) as server:
        checks = await diagnose(settings_for(server.base_url))
    context = by_name(checks)["context"]
    assert context.status == status and context.detail.startswith(says), shown(checks)


@pytest.mark.parametrize(
    "answer, says",
    [
        (Step(body=[{"id": "m"}]), "the JSON is a list, not an object with a \"data\" list"),
        (Step(body={"object": "list", "data": None}), 'its "data" is null, not a list'),
        (Step(body={"object": "list", "data": {"id": "m"}}), 'its "data" is an object, not a list'),
        (Step(body={"object": "list"}), 'the JSON object has no "data" list'),
        (Step(raw=b"<html><title>Welcome to nginx</title></html>", content_type="text/html"),
         "the body is not JSON (text/html)"),
    ],
)
async def test_a_models_answer_that_is_not_a_listing_is_named_as_such(answer, says):
    # The server answered: "cannot reach" and "start the server" would send the user the wrong way.
    with ScriptedServer() as server:
        server.models_step = answer
        checks = await diagnose(settings_for(server.base_url))
    reachable = by_name(checks)["reachable"]
    assert reachable.status == FAIL, shown(checks)
    assert reachable.detail == f"GET {server.base_url}/models answered, but not with an OpenAI model listing: {says}"
    assert reachable.fix.startswith("set SUMMARIZE_BASE_URL / --base-url to the server's OpenAI-compatible API")


@pytest.mark.parametrize("model", ["m", None])
async def test_a_server_without_a_models_listing_is_ready_when_the_model_is_set(model):
    # Some gateways serve chat completions and no /models: doctor said "not ready" and advised
    # checking a base URL that was right, without trying a completion.
    with ScriptedServer(default=answering("/none", {})) as server:
        server.models_step = Step(status=404, body={"error": "not found"})
        checks = await diagnose(settings_for(server.base_url).replace(model=model))
    reachable = by_name(checks)["reachable"]
    if model is None:  # nothing to try a completion with: the listing is needed
        assert reachable.status == FAIL and "answered 404" in reachable.detail, shown(checks)
        return
    assert reachable.status == WARN and "the server lists no models; the model is set (m)" in reachable.detail
    assert by_name(checks)["completion"].status == OK, shown(checks)
    assert not [c for c in checks if c.status == FAIL], shown(checks)


# -- the model: read from the listing as a run reads it ------------------------------------


@pytest.mark.parametrize("entry", [{"name": "x"}, {"id": None, "object": "model"}, {"id": 123, "object": "model"}])
async def test_a_listing_without_a_usable_id_fails_when_no_model_is_set(entry):
    # A run skips such entries and refuses to start; doctor once said "using the only model listed: None".
    with ScriptedServer(models=[entry]) as server:
        checks = await diagnose(settings_for(server.base_url))
    found = by_name(checks)
    assert found["reachable"].detail == "GET /models lists 0 model(s) (1 entry without a usable id skipped)"
    assert found["model"].status == FAIL, shown(checks)
    assert found["model"].detail == (
        'no model is set and /models lists no usable id (1 entry, none with a string "id"), '
        "so summarize cannot choose one"
    )
    assert found["model"].fix == "set SUMMARIZE_MODEL or pass --model"
    assert not server.chat_requests


async def test_doctor_picks_the_model_a_run_would_pick():
    from summarize.client import ChatClient

    listing = ["x", 1, None, {"name": "b"}, {"id": 5}, {"id": None}, {"id": "a", "object": "model"}]
    with ScriptedServer() as server:
        server.models_step = Step(body={"object": "list", "data": listing})
        checks = await diagnose(settings_for(server.base_url))
        async with ChatClient(settings_for(server.base_url, max_retries=0)) as client:
            run_reads = await client.list_models()
    assert run_reads == ["a"]
    assert by_name(checks)["model"].detail == "using the only model listed: a", shown(checks)
    assert by_name(checks)["reachable"].detail.endswith("lists 1 model(s): a (6 entries without a usable id skipped)")


@pytest.mark.parametrize(
    "models, path, body",
    [
        ([{"id": "m", "max_model_len": True}], "", None),
        ([{"id": "m", "max_model_len": -5}], "", None),
        ([{"id": "m", "max_model_len": 0}], "", None),
        (["m"], "/props", {"default_generation_settings": {"n_ctx": True}}),
        (["m"], "/props", {"default_generation_settings": {"n_ctx": 0}, "n_ctx": -1}),
    ],
)
async def test_a_context_that_is_not_a_positive_number_is_not_stated(models, path, body):
    # Once "set SUMMARIZE_CONTEXT_TOKENS=True" (a JSON true is an int to Python), or =-5.
    with ScriptedServer(default=answering(path, body), models=models) as server:
        checks = await diagnose(settings_for(server.base_url))
    context = by_name(checks)["context"]
    assert context.status == OK, shown(checks)
    assert context.detail == "the server does not report its context; assuming 8192"


@pytest.mark.parametrize("parameters", ["num_ctx 0", "num_ctx ²"])
async def test_an_ollama_num_ctx_that_is_not_a_positive_number_leaves_ollamas_default(parameters):
    show = {"parameters": parameters, "model_info": {}}
    with ScriptedServer(default=answering("/api/show", show), models=["m"]) as server:
        checks = await diagnose(settings_for(server.base_url))
    context = by_name(checks)["context"]
    assert context.detail.startswith("the server's context is 4096 (Ollama's default;"), shown(checks)


# -- what doctor reads of an answer ----------------------------------------------------------


async def test_doctor_stops_reading_a_models_body_past_its_cap():
    from summarize.doctor import MAX_PROBE_BYTES

    entry = b'{"id": "' + b"x" * 1000 + b'"},'
    total = 8 * MAX_PROBE_BYTES
    sent = []

    def endless_listing(conn: socket.socket, path: str) -> None:
        # No Content-Length: the body runs until the connection closes, as a runaway server's does.
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
        conn.sendall(b'{"object": "list", "data": [')
        block, count = entry * 64, 0
        try:
            while count < total:
                conn.sendall(block)
                count += len(block)
            conn.sendall(b'{"id": "m"}]}')
        finally:
            sent.append(count)

    with raw_server(endless_listing) as base_url:
        checks = await diagnose(settings_for(base_url))
    reachable = by_name(checks)["reachable"]
    assert reachable.status == FAIL, shown(checks)
    assert reachable.detail == (
        f"GET {base_url}/models sent more than {MAX_PROBE_BYTES // 2**20} MB, far more than a model listing; "
        "doctor stopped reading it"
    )
    assert reachable.fix.startswith("set SUMMARIZE_BASE_URL")
    assert sent and sent[0] < total  # doctor hung up; the server never got to send the rest


# -- what the server names is printed as text, never acted on -------------------------------


async def test_model_ids_and_server_words_reach_no_terminal_as_escapes_or_extra_lines():
    evil = "evil\x1b]0;PWNED\x07\x1b[2J\u202em\nforged [ok  ] line"
    with ScriptedServer(default=lambda seen: Step.reply("Yes\x1b[31m"), models=[evil]) as server:
        checks = await diagnose(settings_for(server.base_url, timeout=30))
    assert by_name(checks)["model"].detail == "using the only model listed: evil]0;PWNED[2Jm forged [ok ] line"
    for check in checks:
        for text in (check.detail, check.fix):
            assert not any(c in text for c in "\x1b\x07\n\u202e"), check
