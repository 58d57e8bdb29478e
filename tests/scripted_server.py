"""A scripted OpenAI-compatible server on a free loopback port, for fault and behaviour tests.

Each request to ``/v1/chat/completions`` is answered by the next scripted ``Step`` (or by the
``default`` responder once the script runs out). Every request is recorded, with its parsed
JSON body and arrival time, so tests can assert on what the library sent and when. A request
whose body stops short of its ``Content-Length`` (the client cancelled it while sending) was
never made: it goes to ``abandoned``, is not answered and takes no scripted step, as a real
server never handles a request it did not receive in full.

A request with ``"stream": true`` gets a scripted reply as server-sent events, the way
llama.cpp, vLLM and OpenAI stream: a role delta, the content in small deltas, a last delta
with the finish_reason (and ``timings``, as llama.cpp sends), a usage event when
``stream_options.include_usage`` asks for one, then ``data: [DONE]``. ``Step(stream=False)``
answers one JSON body anyway, like a server that ignores ``stream``. Error steps are always
one JSON (or text) body, as real servers send errors before any event.

    server.script(Step(status=429, headers={"Retry-After": "2"}), Step.reply("ok"))
    server.script(Step(drop=True))                   # read the request, close without a word
    server.script(Step.error(400, {...}, cut=0))     # the status and headers, then close before the body
    settings = Settings(base_url=server.base_url, model="m")
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def completion(text: str | None, *, finish_reason: str = "stop", usage: dict | None | bool = True, model: str = "scripted",
               timings: dict | None = None, **message_extra: Any) -> dict:
    """An OpenAI chat.completion body (with llama.cpp's ``timings`` when given)."""
    body: dict[str, Any] = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text, **message_extra}, "finish_reason": finish_reason}
        ],
    }
    if usage is True:
        # -1: filled in per request with the characters it carried, a plausible server count.
        body["usage"] = {"prompt_tokens": -1, "completion_tokens": 10, "total_tokens": -1}
    elif isinstance(usage, dict):
        body["usage"] = usage
    if timings is not None:
        body["timings"] = timings
    return body


@dataclass
class Step:
    """One scripted answer: a status, headers and a JSON body, or a dropped connection."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering
    cut: int | None = None  # send the status line, the headers and only this many body bytes, then close
    stream: bool | None = None  # None: stream when asked; False: one JSON body even when asked
    drip: float = 0.0  # seconds between single bytes of the body (a stalling server)
    event_delay: float = 0.0  # seconds between streamed events
    gzip: bool = False  # send the body gzip-compressed (Content-Encoding: gzip)
    raw: bytes | None = None  # exactly these body bytes, instead of ``body``
    content_type: str | None = None
    hold_open: float = 0.0  # send no Content-Length, and keep the connection open this long after the body

    @classmethod
    def reply(cls, text: str, **kwargs: Any) -> Step:
        delay = kwargs.pop("delay", 0.0)
        return cls(body=completion(text, **kwargs), delay=delay)

    @classmethod
    def error(cls, status: int, body: Any, **kwargs: Any) -> Step:
        return cls(status=status, body=body, **kwargs)


@dataclass
class Seen:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float

    @property
    def messages(self) -> list[dict]:
        return (self.body or {}).get("messages", [])

    @property
    def user_text(self) -> str:
        return "\n".join(m["content"] for m in self.messages if m["role"] == "user")

    @property
    def system_text(self) -> str:
        return "\n".join(m["content"] for m in self.messages if m["role"] == "system")

    @property
    def fenced(self) -> str:
        """The text between the fence lines of the user message (the article, chunk or notes)."""
        lines = self.user_text.split("\n")
        end = max((i for i, line in enumerate(lines) if line.startswith("<<<END ") and line.endswith(">>>")), default=None)
        if end is None:
            return ""
        opening = "<<<" + lines[end][len("<<<END ") :]
        start = max(i for i in range(end) if lines[i] == opening)
        return "\n".join(lines[start + 1 : end])

    @property
    def task_text(self) -> str:
        """The instructions after the fenced text (the task line and any re-ask), else the system text."""
        user = self.user_text
        closing = user.rfind("<<<END ")
        if closing < 0:
            return self.system_text
        return user[user.find(">>>", closing) + 3 :].strip()

    @property
    def kind(self) -> str:
        """What the request asks for: map, merge, final (a summary from notes), summarize (a
        whole article), key_sentences (a summary's key sentences to translate), translate,
        names; else other."""
        task = self.task_text
        for kind, phrase in (
            ("map", "is part "),
            ("merge", "Merge them into"),
            ("final", "Write one summary of the article from them"),
            ("summarize", "Task: summarize the article"),
            ("key_sentences", "each shortened to one sentence"),
            ("translate", "Task: translate the"),
        ):
            if phrase in task:
                return kind
        return "names" if "recurs in a" in self.system_text else "other"

    @property
    def reasked(self) -> bool:
        """The request is a re-ask (its task has the words for a reply that could not be used)."""
        return "could not be used" in self.task_text

    @property
    def streamed(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True


def stream_events(body: dict, include_usage: bool, piece: int = 8) -> list[dict]:
    """A chat.completion body as the chunk events a streaming server sends."""
    choice = body["choices"][0]
    message = dict(choice.get("message") or {})
    base = {"id": body.get("id", "chatcmpl-scripted"), "object": "chat.completion.chunk", "created": 0,
            "model": body.get("model", "scripted")}

    def event(delta: dict, finish: str | None = None, **extra: Any) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}

    events = [event({"role": "assistant"})]
    for name in ("reasoning_content", "reasoning", "content"):
        text = message.get(name)
        if isinstance(text, str):
            events += [event({name: text[i : i + piece]}) for i in range(0, len(text), piece)]
        elif text is not None:
            events.append(event({name: text}))  # a malformed value travels as it is
    last = event({}, choice.get("finish_reason"))
    if body.get("timings") is not None:
        last["timings"] = body["timings"]
    events.append(last)
    if include_usage and body.get("usage") is not None:
        events.append({**base, "choices": [], "usage": body["usage"]})
    return events


Responder = Callable[[Seen], Step]


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of concurrent connections overflows it
    # and the kernel retries the dropped ones a second later, which looks like a client stall.
    request_queue_size = 128
    daemon_threads = True


class ScriptedServer:
    """Start with ``with ScriptedServer() as server:``; ``server.base_url`` ends in ``/v1``."""

    def __init__(self, default: Responder | None = None, models: list[str | dict] | None = None, latency: float = 0.0) -> None:
        self.default: Responder = default or (lambda seen: Step.reply("A scripted summary."))
        self.models = models if models is not None else ["scripted"]
        self.latency = latency
        self.models_step: Step | None = None  # answers GET /models instead of the model list
        self.requests: list[Seen] = []
        self.abandoned: list[Seen] = []  # requests whose body never arrived in full
        self._steps: list[Step] = []
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak_in_flight = 0
        self._httpd: ThreadingHTTPServer | None = None

    def script(self, *steps: Step) -> ScriptedServer:
        with self._lock:
            self._steps.extend(steps)
        return self

    @property
    def chat_requests(self) -> list[Seen]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> ScriptedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                seen = Seen(self.command, self.path, dict(self.headers), body, time.monotonic())
                if len(raw) < length:
                    # The client hung up mid-request. Recorded as a request, two of these (body
                    # None) looked like the same request sent twice.
                    with server._lock:
                        server.abandoned.append(seen)
                    self.close_connection = True
                    return
                with server._lock:
                    server.requests.append(seen)
                    server.in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
                try:
                    step = server._next(seen)
                    time.sleep(server.latency + step.delay)
                    if step.drop:
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    body = step.body
                    if isinstance(body, dict) and isinstance(body.get("usage"), dict) and body["usage"].get("prompt_tokens") == -1:
                        sent = sum(len(m.get("content") or "") for m in seen.messages)
                        usage = {**body["usage"], "prompt_tokens": sent}
                        body = {**body, "usage": {**usage, "total_tokens": sent + usage["completion_tokens"]}}
                    content_type = step.content_type or "application/json"
                    events = None
                    if step.raw is not None:
                        payload = step.raw
                    elif (
                        step.stream is not False and seen.streamed and step.status == 200 and isinstance(body, dict)
                        and isinstance(body.get("choices"), list) and body["choices"]
                        and isinstance(body["choices"][0], dict) and "message" in body["choices"][0]
                    ):
                        include = bool(((seen.body or {}).get("stream_options") or {}).get("include_usage"))
                        events = [f"data: {json.dumps(e)}\n\n".encode() for e in stream_events(body, include)]
                        events.append(b"data: [DONE]\n\n")
                        payload = b"".join(events)
                        content_type = step.content_type or "text/event-stream"
                    else:
                        payload = json.dumps(body).encode() if not isinstance(body, (bytes, str)) else (
                            body.encode() if isinstance(body, str) else body
                        )
                    if step.gzip:
                        payload = gzip.compress(payload, compresslevel=9)
                        events = None
                    self.send_response(step.status)
                    self.send_header("Content-Type", content_type)
                    if not step.hold_open:
                        self.send_header("Content-Length", str(len(payload)))
                    if step.gzip:
                        self.send_header("Content-Encoding", "gzip")
                    for name, value in step.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if step.cut is not None:
                        # A server (or proxy) that dies mid-answer: the status arrived, the body did not.
                        self.wfile.write(payload[: step.cut])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                    elif step.drip:
                        for i in range(len(payload)):
                            self.wfile.write(payload[i : i + 1])
                            self.wfile.flush()
                            time.sleep(step.drip)
                    elif events is not None and step.event_delay:
                        for chunk in events:
                            self.wfile.write(chunk)
                            self.wfile.flush()
                            time.sleep(step.event_delay)
                    else:
                        self.wfile.write(payload)
                    if step.hold_open:  # a body with no length ends at the close, which comes late
                        self.wfile.flush()
                        time.sleep(step.hold_open)
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on a slow or oversized reply
                finally:
                    with server._lock:
                        server.in_flight -= 1

            do_GET = do_POST = _answer

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval, and every test stops a server.
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def _next(self, seen: Seen) -> Step:
        if seen.path.endswith("/models") and self.models_step is not None:
            return self.models_step
        if seen.path.endswith("/models"):
            # A dict is a whole /models entry (e.g. vLLM's max_model_len); a str is just an id.
            data = [m if isinstance(m, dict) else {"id": m, "object": "model"} for m in self.models]
            return Step(body={"object": "list", "data": data})
        with self._lock:
            if self._steps:
                return self._steps.pop(0)
        return self.default(seen)
