"""Quality on a real model: summarize the corpus at default settings and judge what comes back.

    python benchmarks/quality.py                      # all 8 articles; writes benchmarks/QUALITY.md
    python benchmarks/quality.py --articles tainan-1624 --no-langchain

It runs against a live OpenAI-compatible server: ``SUMMARIZE_BASE_URL`` if set, else the
reference server that ``scripts/local-server start`` runs (its ``status`` prints the URL).
Every request goes through a recording pass-through on loopback, which reads the server's own
``usage`` and llama.cpp's ``timings`` (prompt_ms, predicted_ms, cache_n) from each reply,
streamed or not. Per article the report gives: returned or the error; the English share of the
summary; loops; the flags the ``Summary`` carries; wall time; server tokens and compute time;
and fact recall against the checklist in ``benchmarks/quality_facts.json``. For the seed
article and the 21k-character article it also runs LangChain's map_reduce (configured as in
``benchmarks/tools.py``) on the same server, at the chunk size and concurrency summarize used.

Run it with a python that has ``summarize`` installed; for the LangChain rows, with the bench
venv's (benchmarks/README.md) or pass ``--bench-python``. The model is slow on two cores: the
whole corpus takes an hour or more.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime
import http.client
import importlib
import importlib.util
import json
import logging
import os
import platform
import re
import select
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FACTS = HERE / "quality_facts.json"
SEED = "seed-qwen3-grok.txt"
LONG = "public-code-standard-moda-translation.zh-Hant.txt"
# The shortest Tainan release: the one translated with --translate, beside the seed article.
TAINAN = "tainan-1624-world-island-taiwan-exhibition-press-release-2024.zh-Hant.txt"
LANGCHAIN_ARTICLES = (SEED, LONG)
# The upstream wait of the pass-through: far above any library timeout, so the library's own
# timeout is what ends a request, as it would be without the pass-through.
UPSTREAM_TIMEOUT = 7200.0
LANGCHAIN_TIMEOUT = 1800.0
# Headers that belong to one connection, not to the request (RFC 9110 7.6.1), plus the ones
# the pass-through sets itself.
HOP_HEADERS = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
}


def corpus_dir() -> Path:
    given = os.environ.get("SUMMARIZE_CORPUS")
    return Path(given) if given else ROOT.parent / "shared" / "corpus"


def load_facts(path: Path = FACTS) -> dict[str, list[dict]]:
    """The fact checklist: article file name → its facts (see the file's ``_about``)."""
    return json.loads(path.read_text(encoding="utf-8"))["articles"]


# -- judging an output ---------------------------------------------------------------------------


def normalized(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII) with typographic quotes and dashes made plain."""
    text = unicodedata.normalize("NFKC", text)
    return text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2010: "-", 0x2011: "-",
                           0x2013: "-", 0x2014: "-", 0x00A0: " "})


def fact_recall(text: str, facts: list[dict]) -> tuple[list[str], list[str]]:
    """The ids of the facts found in ``text`` and of those missed; a fact is found when any of its patterns is."""
    plain = normalized(text)
    found, missed = [], []
    for fact in facts:
        hit = any(re.search(p, plain, re.IGNORECASE) for p in fact["patterns"])
        (found if hit else missed).append(fact["id"])
    return found, missed


def han_ratio(text: str) -> float:
    """The library's script check: the share of letters that are Chinese characters."""
    try:
        from summarize.verify import han_ratio as ratio  # where the output checks are moving
    except ImportError:
        from summarize.text import han_ratio as ratio
    return ratio(text)


def english_share(text: str) -> float | None:
    """The share of letters that are not Chinese characters (``None`` for no letters)."""
    if not any(ch.isalpha() for ch in text):
        return None
    return 1.0 - han_ratio(text)


_SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s*|\n+")
# A fragment of 8–200 characters said three times in a row, as a model that loops writes it.
_RUN = re.compile(r"(.{8,200}?)(?:\s*\1){2,}", re.DOTALL)


def repeated_sentences(text: str) -> str | None:
    """This benchmark's own loop check: a sentence of 12 characters or more said twice, or a
    fragment said three times in a row. Returns what repeats, or ``None``."""
    seen = collections.Counter(
        " ".join(s.lower().split()) for s in _SENTENCE_END.split(text) if len(s.strip()) >= 12
    )
    repeats = [(n, s) for s, n in seen.items() if n > 1]
    if repeats:
        n, sentence = max(repeats)
        return f"a sentence said {n} times: {shorten(sentence, 60)!r}"
    match = _RUN.search(text[-6000:])
    if match:
        return f"a fragment repeated in a row: {shorten(match.group(1), 60)!r}"
    return None


def loop_checker() -> tuple[str, Any]:
    """The loop check to use and its name: the library's ``strip_loops`` when it exists."""
    home = "summarize.loops"
    try:
        from summarize.loops import strip_loops
    except ImportError:
        try:  # its home before summarize.loops was split out
            from summarize.verify import strip_loops

            home = "summarize.verify"
        except ImportError:
            return ("this benchmark's repeated-sentence check (a sentence of 12+ characters said twice, or a"
                    " fragment of 8+ said three times in a row): `strip_loops` does not exist"
                    " in this version of the library"), repeated_sentences

    def check(text: str) -> str | None:
        result = strip_loops(text)
        if isinstance(result, tuple):
            result = result[0]
        kept = result if isinstance(result, str) else getattr(result, "text", None)
        if not isinstance(kept, str):
            raise TypeError(f"{home}.strip_loops returned {type(result).__name__}; quality.py expects the de-looped text")
        if kept.strip() == text.strip():
            return None
        return f"strip_loops removed {len(text) - len(kept)} characters"

    return f"`{home}.strip_loops` (a reply it shortens has a loop)", check


def result_flags(result: object) -> list[str]:
    """The flags a Summary or Translation carries: every set boolean and non-empty collection
    besides its content, so flags added to the library later show up too. What the article
    settled (``corrected``), and the sentences left out for a figure it does not give
    (``dropped``), are no flags: they are in the library's warnings; nor is how the summary was
    made (``method``, ``key_sentences``)."""
    content = {"text", "summaries", "pairs", "chunks", "usage", "model", "target", "glossary", "corrected", "dropped",
               "method", "key_sentences"}
    flags = []
    for f in dataclasses.fields(result):  # type: ignore[arg-type]
        if f.name in content:
            continue
        value = getattr(result, f.name)
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v}
        if value is True:
            flags.append(f.name)
        elif value and not isinstance(value, (bool, int, float, str)):
            flags.append(f"{f.name}={format_value(value)}")
        elif isinstance(value, int) and not isinstance(value, bool) and value:
            flags.append(f"{f.name}={value}")
    return flags


def format_value(value: object) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the recording pass-through ------------------------------------------------------------------


@dataclass
class Exchange:
    """One request through the pass-through and what the server said about it."""

    method: str
    path: str
    body: Any
    started: float
    seconds: float | None = None
    status: int | None = None
    stream: bool = False
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    timings: dict | None = None
    finish_reason: str | None = None
    reply: str = ""
    abandoned: bool = False  # the client hung up before the reply was complete
    error: str | None = None

    @property
    def is_chat(self) -> bool:
        return self.path.rstrip("/").endswith("/chat/completions")

    @property
    def compute_ms(self) -> float | None:
        """The server's own time for this request: llama.cpp's prompt_ms + predicted_ms."""
        if not self.timings:
            return None
        return float(self.timings.get("prompt_ms") or 0) + float(self.timings.get("predicted_ms") or 0)

    def read_usage(self, usage: dict | None) -> None:
        if usage:
            self.prompt_tokens = usage.get("prompt_tokens", self.prompt_tokens)
            self.completion_tokens = usage.get("completion_tokens", self.completion_tokens)

    def read_completion(self, data: bytes) -> None:
        """A non-streamed reply: one JSON body with usage and (llama.cpp) timings."""
        try:
            body = json.loads(data)
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        self.read_usage(body.get("usage"))
        if isinstance(body.get("timings"), dict):
            self.timings = body["timings"]
        choices = body.get("choices") or []
        if choices and isinstance(choices[0], dict):
            self.finish_reason = choices[0].get("finish_reason")
            self.reply = ((choices[0].get("message") or {}).get("content")) or ""

    def read_event(self, payload: str) -> None:
        """One server-sent event of a streamed reply; llama.cpp puts timings (and usage, with
        ``stream_options.include_usage``) in the last chunk."""
        if payload == "[DONE]":
            return
        try:
            chunk = json.loads(payload)
        except ValueError:
            return
        if not isinstance(chunk, dict):
            return
        self.read_usage(chunk.get("usage"))
        if isinstance(chunk.get("timings"), dict):
            self.timings = chunk["timings"]
        for choice in chunk.get("choices") or []:
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                self.reply += delta["content"]

    def tokens(self) -> tuple[int | None, int | None]:
        """Prompt and completion tokens: from ``usage``, else from llama.cpp's timings."""
        prompt, completion = self.prompt_tokens, self.completion_tokens
        if self.timings:
            if prompt is None and self.timings.get("prompt_n") is not None:
                prompt = int(self.timings["prompt_n"]) + int(self.timings.get("cache_n") or 0)
            if completion is None and self.timings.get("predicted_n") is not None:
                completion = int(self.timings["predicted_n"])
        return prompt, completion

    def record(self) -> dict:
        return {**dataclasses.asdict(self), "compute_ms": self.compute_ms}


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # concurrent requests must not overflow the listen backlog
    daemon_threads = True


class RecordingProxy:
    """A pass-through on a free loopback port to ``upstream`` (a base URL ending in ``/v1``).

    Requests and replies go through unchanged (streamed replies chunk by chunk as they come),
    except that ``model``, when given, replaces the model of every chat request. When the client
    hangs up (its timeout), the upstream connection is closed too, so the server sees what it
    would have seen without the pass-through. Use as a context manager; ``exchanges`` holds
    every request.
    """

    def __init__(self, upstream: str, model: str | None = None, sample_load: bool = False, sample_every: float = 2.0) -> None:
        parts = urllib.parse.urlsplit(upstream.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the upstream must be an http(s) base URL, got {upstream!r}")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path
        self.model = model
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._sample_load = sample_load
        self._sample_every = sample_every
        self._stop = threading.Event()
        self.others: list[int] = []  # per sample: the server's busy slots beyond our requests in flight

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.prefix}"

    @property
    def chats(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.is_chat]

    @property
    def in_flight(self) -> int:
        with self._lock:
            return sum(1 for e in self.exchanges if e.is_chat and e.seconds is None)

    def _sample(self) -> None:
        """Every ``sample_every`` seconds, llama.cpp's /slots: how many slots serve someone else (the server is shared,
        and other clients' work slows ours). Stops quietly where /slots is not served."""
        url = re.sub(r"/v1$", "", f"{self.scheme}://{self.host}:{self.port}{self.prefix}") + "/slots"
        while not self._stop.wait(self._sample_every):
            try:
                slots = get_json(url, timeout=2)
            except (OSError, ValueError):
                return
            if not isinstance(slots, list):
                return
            busy = sum(1 for slot in slots if isinstance(slot, dict) and slot.get("is_processing"))
            self.others.append(max(0, busy - self.in_flight))

    def load(self) -> dict:
        """Other clients' load during the run: the most slots they held and how often any."""
        if not self.others:
            return {}
        return {"others_max": max(self.others), "others_share": sum(1 for n in self.others if n) / len(self.others)}

    def _connect(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=UPSTREAM_TIMEOUT)
        return http.client.HTTPConnection(self.host, self.port, timeout=UPSTREAM_TIMEOUT)

    def __enter__(self) -> RecordingProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                exchange = Exchange(self.command, self.path, body, time.monotonic())
                if proxy.model and isinstance(body, dict) and exchange.is_chat:
                    body = {**body, "model": proxy.model}
                    raw = json.dumps(body).encode()
                    exchange.body = body
                exchange.stream = bool(isinstance(body, dict) and body.get("stream"))
                with proxy._lock:
                    proxy.exchanges.append(exchange)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                upstream = proxy._connect()
                done = threading.Event()
                threading.Thread(target=watch_hangup, args=(self.connection, upstream, done, exchange), daemon=True).start()
                sent_head = False
                try:
                    upstream.request(self.command, self.path, body=raw or None, headers=headers)
                    response = upstream.getresponse()
                    exchange.status = response.status
                    kind = response.getheader("Content-Type") or "application/json"
                    if "text/event-stream" in kind:
                        exchange.stream = True
                        self.send_response(response.status)
                        self.send_header("Content-Type", kind)
                        self.send_header("Cache-Control", "no-cache")
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        sent_head = True
                        pending = b""
                        while True:
                            data = response.read1(65536)
                            if not data:
                                break
                            pending += data
                            *lines, pending = pending.split(b"\n")
                            for line in lines:
                                line = line.strip()
                                if line.startswith(b"data:"):
                                    exchange.read_event(line[5:].strip().decode("utf-8", "replace"))
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                            self.wfile.flush()
                        if pending.strip().startswith(b"data:"):
                            exchange.read_event(pending.strip()[5:].strip().decode("utf-8", "replace"))
                        self.wfile.write(b"0\r\n\r\n")
                        self.wfile.flush()
                    else:
                        data = response.read()
                        if exchange.is_chat:
                            exchange.read_completion(data)
                        self.send_response(response.status)
                        self.send_header("Content-Type", kind)
                        self.send_header("Content-Length", str(len(data)))
                        for name in ("Retry-After",):
                            if response.getheader(name):
                                self.send_header(name, response.getheader(name))
                        self.end_headers()
                        sent_head = True
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    exchange.abandoned = exchange.finish_reason is None  # a whole reply was not given up
                    self.close_connection = True
                except OSError as exc:
                    if exchange.abandoned:
                        self.close_connection = True
                    else:
                        exchange.error = f"{type(exc).__name__}: {exc}"
                        if not sent_head:
                            message = json.dumps({"error": {"message": f"pass-through: upstream failed: {exc}"}}).encode()
                            self.send_response(502)
                            self.send_header("Content-Type", "application/json")
                            self.send_header("Content-Length", str(len(message)))
                            self.end_headers()
                            self.wfile.write(message)
                        self.close_connection = True
                finally:
                    done.set()
                    upstream.close()
                    exchange.seconds = time.monotonic() - exchange.started

            do_GET = do_POST = do_DELETE = do_PUT = _forward

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        if self._sample_load:
            threading.Thread(target=self._sample, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


def watch_hangup(client: socket.socket, upstream: http.client.HTTPConnection, done: threading.Event, exchange: Exchange) -> None:
    """Close the upstream connection when the client hangs up before its reply is complete."""
    while not done.is_set():
        try:
            readable, _, _ = select.select([client], [], [], 0.5)
            if not readable:
                continue
            if client.recv(1, socket.MSG_PEEK):
                return  # the client sent more (it does not while it waits): stop watching
        except (OSError, ValueError):
            pass
        if done.is_set() or exchange.finish_reason is not None:
            # The reply was whole: a client that closes its connection right after the last
            # event (as the library does after a run's last request) gave nothing up.
            return
        exchange.abandoned = True
        sock = upstream.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return


def totals(exchanges: list[Exchange]) -> dict:
    """Server-side totals over the chat requests of one run."""
    chats = [e for e in exchanges if e.is_chat]
    prompts, completions = zip(*(e.tokens() for e in chats)) if chats else ((), ())
    computes = [e.compute_ms for e in chats]
    timed = [c for c in computes if c is not None]
    cache = [int(e.timings.get("cache_n") or 0) for e in chats if e.timings]
    return {
        "requests": len(chats),
        "abandoned": sum(e.abandoned for e in chats),
        "failed": sum(1 for e in chats if e.error or (e.status or 0) >= 400),
        "prompt_tokens": sum(p for p in prompts if p is not None) if chats else 0,
        "completion_tokens": sum(c for c in completions if c is not None) if chats else 0,
        "tokens_unknown": sum(1 for p, c in zip(prompts, completions) if p is None or c is None),
        "compute_s": sum(timed) / 1000 if timed else None,
        "untimed": len(computes) - len(timed),
        "cache_n": sum(cache),
        # Prompt tokens the server computed: those it reused from its prompt cache cost no compute.
        "processed": sum(p for p in prompts if p is not None) - sum(cache),
        "cache_hits": sum(1 for c in cache if c > 0),
        "streamed": sum(e.stream for e in chats),
        "cut": sum(1 for e in chats if e.finish_reason == "length"),
    }


# -- the server ----------------------------------------------------------------------------------


def reference_base_url() -> tuple[str | None, str]:
    """The base URL to measure and where it came from."""
    if os.environ.get("SUMMARIZE_BASE_URL"):
        return os.environ["SUMMARIZE_BASE_URL"], "SUMMARIZE_BASE_URL"
    script = ROOT / "scripts" / "local-server"
    try:
        done = subprocess.run([str(script), "status"], capture_output=True, text=True, timeout=60, check=False)
    except OSError as exc:
        return None, f"`scripts/local-server status` could not run: {exc}"
    match = re.search(r"SUMMARIZE_BASE_URL=(\S+)", done.stdout)
    if match:
        return match.group(1), "the reference server (`scripts/local-server status`)"
    return None, "the reference server is not running (`scripts/local-server status`: " + (done.stderr.strip() or "no URL") + ")"


def get_json(url: str, timeout: float = 30) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def server_info(base_url: str) -> dict:
    """The model the server lists and, from llama.cpp's /props, its context and slots."""
    info: dict[str, Any] = {}
    models = get_json(base_url.rstrip("/") + "/models")
    info["models"] = [m.get("id") for m in models.get("data", [])]
    root = re.sub(r"/v1/?$", "", base_url.rstrip("/"))
    try:
        props = get_json(root + "/props", timeout=10)
    except (OSError, ValueError):
        return info
    settings = props.get("default_generation_settings") or {}
    info["n_ctx"] = settings.get("n_ctx") or props.get("n_ctx")
    info["slots"] = props.get("total_slots")
    info["build"] = props.get("build_info")
    if props.get("model_path"):
        info["model_file"] = Path(str(props["model_path"])).name  # the file's name only, never the machine's path
    return info


# -- runs ----------------------------------------------------------------------------------------


@dataclass
class Article:
    name: str
    text: str
    tokens: int = 0

    @property
    def short(self) -> str:
        """A label for tables: the file name's first two words (unique in the corpus)."""
        stem = self.name.removesuffix(".txt").removesuffix(".zh-Hant")
        return "-".join(stem.split("-")[:2])


@dataclass
class Outcome:
    """One tool's run on one article."""

    tool: str
    article: Article
    kind: str = "summary"
    text: str = ""
    error: str | None = None
    seconds: float | None = None
    flags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    server: dict = field(default_factory=dict)
    english: float | None = None
    loop: str | None = None
    found: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    chunks: int | None = None
    planned: int | None = None  # the chunks the library's dry run plans (known when a run fails too)
    budget: int | None = None
    pairs: int | None = None
    paragraphs: int | None = None
    aligned: bool | None = None
    unverified: int | None = None
    looped_pairs: list[int] = field(default_factory=list)
    not_run: str | None = None
    method: str | None = None  # summarize's: abstractive or key-sentences (Summary.method)
    key_sentences: int | None = None  # with key sentences: how many were translated

    @property
    def returned(self) -> bool:
        return self.error is None and self.not_run is None

    @property
    def recall(self) -> float | None:
        total = len(self.found) + len(self.missed)
        return len(self.found) / total if total else None

    @property
    def ok(self) -> bool:
        """An English summary a reader can use: returned, English, no loop, nothing kept cut or flagged,
        and no request the library gave up on (a timeout, even one a retry recovered)."""
        return (
            self.returned
            and self.english is not None
            and self.english >= 0.5
            and self.loop is None
            and not self.flags  # a cut reply kept is flagged (truncated, notes-cut); one re-asked and answered is not
            and not self.server.get("abandoned")
        )


class LogCapture(logging.Handler):
    """The library's warnings during one run (it logs on the ``summarize`` logger)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def library_settings(base_url: str, overrides: dict[str, str]):
    """Default settings as a user gets them with only SUMMARIZE_BASE_URL set; the cache off,
    so every run measures; plus any --setting given (as the environment variables would).

    The base URL is the pass-through's, on loopback: the library treats the server as a local
    one, which the reference server is (a remote server measured this way gets local defaults).
    """
    from summarize import Settings
    from summarize.config import env_variable

    environ = {"SUMMARIZE_BASE_URL": base_url, "SUMMARIZE_CACHE": "0"}
    environ.update({env_variable(k): v for k, v in overrides.items()})
    return Settings.from_env(environ)


def chunk_plan(article: Article, settings, model: str) -> tuple[int | None, int | None]:
    """The chunk budget and chunk count summarize's abstractive method plans for ``article`` (the
    library's dry run): the chunk size LangChain gets. A key-sentence run cuts no chunks, so
    LangChain gets the chunks the abstractive method would cut at the same settings: the
    largest the context allows, the fewest requests for LangChain."""
    try:
        from summarize.plan import plan_article

        planned = settings.replace(model=settings.model or model)
        if hasattr(planned, "method"):
            planned = planned.replace(method="abstractive")
        plan = plan_article(article.text, planned)
        return plan.budget, len(plan.chunks)
    except Exception:  # the dry run's API may move; the report then leaves the cells empty
        return None, None


def judge(outcome: Outcome, facts: list[dict], check_loop) -> None:
    if outcome.returned:
        outcome.english = english_share(outcome.text)
        outcome.loop = check_loop(outcome.text) if outcome.text else None
        outcome.found, outcome.missed = fact_recall(outcome.text, facts)
    else:
        outcome.found, outcome.missed = [], [f["id"] for f in facts]


def run_summarize(article: Article, upstream: str, overrides: dict, facts: list[dict], check_loop, model: str,
                  dump: list | None) -> Outcome:
    from summarize import summarize_article

    outcome = Outcome("summarize", article)
    capture = LogCapture()
    logger = logging.getLogger("summarize")
    logger.addHandler(capture)
    with RecordingProxy(upstream, sample_load=True) as proxy:
        settings = library_settings(proxy.base_url, overrides)
        outcome.budget, outcome.planned = chunk_plan(article, settings, model)
        start = time.perf_counter()
        try:
            summary = summarize_article(article.text, settings=settings)
            outcome.seconds = time.perf_counter() - start
            outcome.text = summary.text
            outcome.chunks = summary.chunks
            outcome.flags = result_flags(summary)
            outcome.method = getattr(summary, "method", "abstractive")
            outcome.key_sentences = len(getattr(summary, "key_sentences", ())) or None
        except Exception as exc:  # every outcome is a result to report
            outcome.seconds = time.perf_counter() - start
            outcome.error = f"{type(exc).__name__}: {shorten(str(exc), 160)}"
        finally:
            logger.removeHandler(capture)
        time.sleep(0.2)  # let a hung-up request's handler finish its record
        outcome.server = {**totals(proxy.exchanges), **proxy.load()}
        if dump is not None:
            dump.extend({"tool": "summarize", "article": article.name, **e.record()} for e in proxy.exchanges)
    outcome.warnings = capture.messages
    judge(outcome, facts, check_loop)
    return outcome


def run_translate(article: Article, upstream: str, overrides: dict, facts: list[dict], check_loop, dump: list | None) -> Outcome:
    from summarize import translate_article
    from summarize.text import clean

    outcome = Outcome("summarize", article, kind="translate")
    paragraphs = [line.strip() for line in clean(article.text).split("\n") if line.strip()]
    outcome.paragraphs = len(paragraphs)
    capture = LogCapture()
    logger = logging.getLogger("summarize")
    logger.addHandler(capture)
    with RecordingProxy(upstream, sample_load=True) as proxy:
        settings = library_settings(proxy.base_url, overrides)
        start = time.perf_counter()
        try:
            translation = translate_article(article.text, settings=settings)
            outcome.seconds = time.perf_counter() - start
            outcome.text = translation.text
            outcome.chunks = translation.chunks
            outcome.flags = result_flags(translation)
            outcome.pairs = len(translation.pairs)
            outcome.aligned = outcome.pairs == len(paragraphs) and all(
                source.strip() == line for (source, _), line in zip(translation.pairs, paragraphs)
            )
            outcome.unverified = len(translation.unverified)
            outcome.looped_pairs = [i for i, (_, english) in enumerate(translation.pairs) if english and check_loop(english)]
        except Exception as exc:
            outcome.seconds = time.perf_counter() - start
            outcome.error = f"{type(exc).__name__}: {shorten(str(exc), 160)}"
        finally:
            logger.removeHandler(capture)
        time.sleep(0.2)
        outcome.server = {**totals(proxy.exchanges), **proxy.load()}
        if dump is not None:
            dump.extend({"tool": "translate", "article": article.name, **e.record()} for e in proxy.exchanges)
    outcome.warnings = capture.messages
    judge(outcome, facts, check_loop)
    if outcome.returned:
        outcome.loop = f"{len(outcome.looped_pairs)} pair(s) loop: {outcome.looped_pairs}" if outcome.looped_pairs else None
    return outcome


def bench_python(given: str | None) -> tuple[str | None, str]:
    """The interpreter that has LangChain, or None and why."""
    candidate = given or os.environ.get("BENCH_PYTHON")
    if candidate:
        return candidate, ""
    if importlib.util.find_spec("langchain_classic") and importlib.util.find_spec("langchain_openai"):
        return sys.executable, ""
    return None, (
        "not run: LangChain is not installed for this python. Build the bench venv (benchmarks/README.md:"
        " `python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install -e '.[bench]'`) and run"
        " quality.py with its python, or pass `--bench-python`"
    )


def run_langchain(article: Article, upstream: str, model: str, python: str, budget: int, concurrency: int,
                  reduce_tokens: int, facts: list[dict], check_loop, scratch: Path, dump: list | None) -> Outcome:
    """LangChain's map_reduce as benchmarks/tools.py configures it, through the pass-through."""
    outcome = Outcome("langchain-map_reduce", article, budget=budget)
    path = scratch / article.name
    path.write_text(article.text, encoding="utf-8")
    results = scratch / f"langchain-{time.monotonic_ns()}.jsonl"
    log_path = scratch / "langchain.log"
    with RecordingProxy(upstream, model=model, sample_load=True) as proxy:
        job = {
            "id": article.name,
            "article": str(path),
            "base_url": proxy.base_url,
            "chunk_tokens": budget,
            "concurrency": concurrency,
            "reduce_tokens": reduce_tokens,
            "kind": "summary",
            "timeout": LANGCHAIN_TIMEOUT,
        }
        jobs = scratch / "langchain-jobs.json"
        jobs.write_text(json.dumps([job]), encoding="utf-8")
        try:
            with open(log_path, "a", encoding="utf-8") as log:
                subprocess.run(
                    [python, str(HERE / "tools.py"), "langchain-map_reduce", str(jobs), str(results)],
                    stdout=log, stderr=log, cwd=scratch, timeout=3 * LANGCHAIN_TIMEOUT, check=False,
                    env={**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": ""},
                )
        except subprocess.TimeoutExpired:
            pass
        except OSError as exc:  # the given python does not run
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"{python} could not run: {exc}\n")
        time.sleep(0.2)
        outcome.server = {**totals(proxy.exchanges), **proxy.load()}
        if dump is not None:
            dump.extend({"tool": "langchain-map_reduce", "article": article.name, **e.record()} for e in proxy.exchanges)
    row = json.loads(results.read_text(encoding="utf-8").splitlines()[-1]) if results.exists() else None
    if row is None:
        tail = [line for line in log_path.read_text(encoding="utf-8").splitlines() if line.strip()] if log_path.exists() else []
        outcome.error = "NoResult: the LangChain worker crashed or timed out" + (f"; its log ends: {tail[-1]}" if tail else "")
    elif row.get("not_run"):
        outcome.not_run = row["not_run"]
    else:
        outcome.text = row.get("output") or ""
        outcome.seconds = row.get("seconds")
        if row.get("error"):
            outcome.error = shorten(row["error"], 160)
    judge(outcome, facts, check_loop)
    return outcome


# -- the report ----------------------------------------------------------------------------------


def fmt(value: Any, spec: str = "", dash: str = "–") -> str:
    if value is None:
        return dash
    return format(value, spec) if spec else str(value)


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def result_cell(o: Outcome) -> str:
    if o.not_run:
        return "not run"
    if o.error:
        kind, _, message = o.error.partition(": ")
        return f"**{kind}**: {shorten(message, 90)}".replace("|", "\\|")
    return "returned"


def load_cell(server: dict) -> str:
    if "others_max" not in server:
        return "–"
    if not server["others_max"]:
        return "none"
    return f"up to {server['others_max']} slot(s), {pct(server['others_share'])} of the time"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a is not None and b else "–"


def method_cell(o: Outcome) -> str:
    if o.method == "key-sentences":
        return f"key sentences ({o.key_sentences})" if o.key_sentences else "key sentences"
    return o.method or "–"


def verdict(holds: bool, complete: bool) -> bool | None:
    """Met, not met, or (a subset that holds so far) not yet known."""
    if not holds:
        return False
    return True if complete else None


def done_when(outcomes: list[Outcome], langchain: list[Outcome], translations: list[Outcome],
              corpus_size: int, model: str, translate_asked: bool) -> list[str]:
    """The issue's "Done when" lines, each measured from this run."""
    rows = []
    ran = len(outcomes)
    subset = f" (only {ran} of the {corpus_size} corpus articles ran)" if ran < corpus_size else ""
    good = [o for o in outcomes if o.ok]
    problems = []
    for o in outcomes:
        why = []
        if o.error:
            why.append(o.error.split(":")[0])
        if o.returned and (o.english is None or o.english < 0.5):
            why.append(f"English {pct(o.english)}")
        if o.loop:
            why.append("loop")
        if o.flags:
            why.append(", ".join(o.flags))
        if o.server.get("abandoned"):
            why.append(f"{o.server['abandoned']} request(s) given up (timeout)")
        if why:
            problems.append(f"{o.article.short}: {'; '.join(why)}")
    rows.append((
        f"{corpus_size}/{corpus_size} articles return an English summary: no error, no loop, nothing kept cut, no timeout",
        f"{len(good)}/{ran} ok{subset}" + ("; " + "; ".join(problems) if problems else ""),
        verdict(len(good) == ran, ran == corpus_size),
    ))
    recalls = [o.recall if o.returned else 0.0 for o in outcomes]
    average = sum(r for r in recalls if r is not None) / len(recalls) if recalls else None
    rows.append(("average fact recall is at least 60%", f"{pct(average)}{subset} (an article that failed counts 0%)",
                 verdict(average is not None and average >= 0.6, ran == corpus_size)))
    by_article = {o.article.name: o for o in outcomes}
    for lc in langchain:
        ours = by_article.get(lc.article.name)
        if ours is None:
            continue
        if lc.not_run or lc.error:
            rows.append((f"{lc.article.short}: wall time and server prompt + completion tokens at or below LangChain map_reduce's",
                         f"LangChain {'not run' if lc.not_run else 'failed'}: {shorten(lc.not_run or lc.error or '', 120)}", False))
            continue
        our_tokens = ours.server["prompt_tokens"] + ours.server["completion_tokens"]
        their_tokens = lc.server["prompt_tokens"] + lc.server["completion_tokens"]
        met = ours.returned and ours.seconds is not None and lc.seconds is not None and ours.seconds <= lc.seconds and our_tokens <= their_tokens
        rows.append((
            f"{lc.article.short}: wall time and server prompt + completion tokens at or below LangChain map_reduce's",
            f"wall {fmt(ours.seconds, '.1f')} s vs {fmt(lc.seconds, '.1f')} s; tokens {our_tokens:,} vs {their_tokens:,}"
            f" (computed, less the prompt cache: {ours.server['processed'] + ours.server['completion_tokens']:,}"
            f" vs {lc.server['processed'] + lc.server['completion_tokens']:,})"
            + ("" if ours.returned else f" (summarize failed: {ours.error.split(':')[0] if ours.error else ''})"),
            met,
        ))
    if not langchain:
        rows.append(("seed and 21k articles: wall and tokens at or below LangChain map_reduce's", "not measured in this run", None))
    long = by_article.get(LONG)
    if long is not None:
        compute = long.server.get("compute_s")
        met = long.returned and compute is not None and long.seconds is not None and long.seconds / compute <= 1.2
        untimed = long.server.get("untimed")
        rows.append((
            "the 21k article spends no more than 1.2× the server's compute time (prompt_ms + predicted_ms)",
            f"wall {fmt(long.seconds, '.1f')} s / compute {fmt(compute, '.1f')} s = {ratio(long.seconds, compute)}"
            + (f"; {untimed} request(s) without timings (abandoned or failed)" if untimed else ""),
            met,
        ))
    else:
        rows.append(("the 21k article spends no more than 1.2× the server's compute time", "not measured in this run", None))
    if translations:
        bad = [t for t in translations if not (t.returned and t.aligned and not t.looped_pairs)]
        rows.append((
            "the same holds for translation of the seed article and one Tainan release: pairs aligned, no loop",
            "; ".join(
                f"{t.article.short}: " + (result_cell(t) if not t.returned else
                                          f"{t.pairs}/{t.paragraphs} pairs, aligned {'yes' if t.aligned else '**no**'},"
                                          f" {t.unverified} unverified, {len(t.looped_pairs)} looping")
                for t in translations
            ),
            not bad and len(translations) == 2,
        ))
    else:
        rows.append(("translation of the seed article and one Tainan release: pairs aligned, no loop",
                     "not measured in this run" + ("" if translate_asked else " (pass --translate)"), None))
    small = "0.5b" in model.lower()
    rows.append((
        "on the 0.5B model the library still returns or flags honestly: no crash, no loop in a result",
        ("this run is on the 0.5B model: "
         + f"{sum(o.returned for o in outcomes)}/{ran} returned, {sum(1 for o in outcomes if o.loop)} with a loop")
        if small else "not this run: start the server with `scripts/local-server start --model qwen-0.5b` and run again",
        (all(o.loop is None for o in outcomes) and all(o.returned or o.error for o in outcomes)) if small else None,
    ))
    lines = ["## Done when (issue 11), measured by this run", "", "| criterion | measured | met |", "|---|---|---|"]
    for criterion, measured, met in rows:
        mark = "–" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {criterion} | {measured.replace('|', chr(92) + '|')} | {mark} |")
    return lines + [""]


def comparison(outcomes: list[Outcome], others: list[Outcome]) -> list[str]:
    """The default run beside the abstractive method's, article by article, on the same server."""
    if not others:
        return []
    lines = [
        "## Beside the abstractive method (`--compare-abstractive`)",
        "",
        "Each article summarized again with `SUMMARIZE_METHOD=abstractive` (the model reads the whole article, in"
        " parts when it is long, and writes the summary), right after the default run, on the same server.",
        "",
        "| article | method | result | words | wall s | requests | prompt + completion tok | recall |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    by_article = {o.article.name: o for o in others}
    sums: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
    for ours in outcomes:
        for o in (ours, by_article.get(ours.article.name)):
            if o is None:
                continue
            s = o.server
            tokens = s.get("prompt_tokens", 0) + s.get("completion_tokens", 0)
            words = len(o.text.split())
            total = sums[method_cell(o).split(" (")[0]]
            for i, value in enumerate((len(o.found), len(o.found) + len(o.missed), words, o.seconds or 0.0, tokens)):
                total[i] += value
            lines.append(
                f"| {o.article.short} | {method_cell(o)} | {result_cell(o)} | {words} | {fmt(o.seconds, '.1f')}"
                f" | {s.get('requests', 0)} | {tokens:,} | {len(o.found)}/{len(o.found) + len(o.missed)} |"
            )
    lines += ["", "In all:", ""]
    for method, (found, facts, words, seconds, tokens) in sums.items():
        lines.append(
            f"- **{method}**: recall {pct(found / facts if facts else None)} ({int(found)}/{int(facts)} facts),"
            f" {int(words):,} words, {seconds:.1f} s, {int(tokens):,} tokens."
        )
    return lines + [""]


def render(meta: dict, outcomes: list[Outcome], langchain: list[Outcome], translations: list[Outcome],
           facts: dict[str, list[dict]], others: list[Outcome] | None = None) -> str:
    info = meta["server"]
    returned = sum(o.returned for o in outcomes)
    recalls = [o.recall if o.returned else 0.0 for o in outcomes]
    average = sum(recalls) / len(recalls) if recalls else None
    lines = [
        "# Quality on a real model",
        "",
        "Generated by `benchmarks/quality.py`; do not edit by hand. Regenerate with:",
        "",
        "```",
        meta["command"],
        "```",
        "",
        f"**{returned}/{len(outcomes)} returned, {sum(o.ok for o in outcomes)}/{len(outcomes)} usable English summaries"
        f" (English, no loop, nothing kept cut or flagged), average fact recall {pct(average)}**"
        + (f" — {meta['status']}" if meta.get("status") else "") + ".",
        "",
        f"- Date: {meta['started']:%Y-%m-%d %H:%M} UTC; the run took {meta['elapsed']:.0f} s.",
        f"- Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};"
        " the server is shared, and other clients' requests slow ours (prompt and generation share two cores):"
        " *others' load* samples llama.cpp's `/slots` every 2 s for slots busy beyond our own requests in flight.",
        f"- Server: {meta['source']}; model `{meta['model']}`"
        + (f" (file {info['model_file']})" if info.get("model_file") else "")
        + (f", context {info['n_ctx']}" if info.get("n_ctx") else "")
        + (f", {info['slots']} slot(s)" if info.get("slots") else "")
        + (f", llama.cpp {info['build']}" if info.get("build") else "") + ".",
        f"- Library: summarize {meta['version']}" + (f" at commit {meta['commit']}" if meta.get("commit") else "") + ".",
        f"- Settings: {meta['settings_note']}. In force: {meta['settings']}.",
        "- Requests go through a recording pass-through on loopback (`RecordingProxy` in this script): it forwards"
        " every request and reply unchanged, streamed or not, and reads `usage` and llama.cpp's `timings` from each"
        " reply. *Compute* is the sum over requests of `timings.prompt_ms + predicted_ms`; with several requests in"
        " flight on a server with several slots it can exceed the wall time. A request the library gave up on"
        " (its timeout) has no timings: its compute is not counted, and the request counts as *given up*."
        " *cache_n* sums the prompt tokens the server reused from its prompt cache.",
        f"- English share: the share of letters that are not Chinese characters (`{meta['script_check']}`)."
        f" Loops: {meta['loop_check']}.",
        "- Fact recall: the checklist in `benchmarks/quality_facts.json` (key numbers, names and places of each"
        " article, each with the English renderings accepted), matched case-insensitively in the output."
        " Numbers match in a summary of any language.",
        "",
    ]
    lines += done_when(outcomes, langchain, translations, meta["corpus_size"], meta["model"], meta["translate"])
    lines += [
        "## Per article (summarize_article at default settings)",
        "",
        "| article | chars | tokens | method | result | English | loop | flags | wall s | requests | prompt tok | completion tok"
        " | cache_n | compute s | wall / compute | others' load | recall |",
        "|---|---:|---:|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for o in outcomes:
        s = o.server
        extra = []
        if s.get("abandoned"):
            extra.append(f"{s['abandoned']} given up")
        if s.get("failed"):
            extra.append(f"{s['failed']} failed")
        if s.get("cut"):
            extra.append(f"{s['cut']} cut")
        requests = f"{s.get('requests', 0)}" + (f" ({', '.join(extra)})" if extra else "")
        lines.append(
            f"| {o.article.short} | {len(o.article.text):,} | {o.article.tokens:,} | {method_cell(o)} | {result_cell(o)} | {pct(o.english)}"
            f" | {'**yes**' if o.loop else ('no' if o.returned else '–')} | {', '.join(o.flags) or '–'}"
            f" | {fmt(o.seconds, '.1f')} | {requests} | {s.get('prompt_tokens', 0):,} | {s.get('completion_tokens', 0):,}"
            f" | {s.get('cache_n', 0):,} | {fmt(s.get('compute_s'), '.1f')} | {ratio(o.seconds, s.get('compute_s'))}"
            f" | {load_cell(s)} | {len(o.found)}/{len(o.found) + len(o.missed)} |"
        )
    lines += ["", "Missed facts, loops and the library's warnings:", ""]
    for o in outcomes:
        names = {f["id"]: f["what"] for f in facts.get(o.article.name, [])}
        bits = []
        if o.error:
            bits.append(f"failed: {o.error}; no output to check")
        elif o.missed:
            bits.append("missed " + "; ".join(names.get(m, m) for m in o.missed))
        if o.loop:
            bits.append(f"loop: {o.loop}")
        if o.key_sentences:
            bits.append(f"{o.key_sentences} key sentences translated")
        elif o.budget is not None:
            chunks = fmt(o.chunks) if o.chunks is not None else f"{fmt(o.planned)} planned"
            bits.append(f"{chunks} chunk(s) at a {o.budget:,}-token budget")
        if o.warnings:
            counted = collections.Counter(shorten(w, 120) for w in o.warnings)
            bits.append("warnings: " + "; ".join(f"{w}" + (f" (×{n})" if n > 1 else "") for w, n in counted.items()))
        lines.append(f"- **{o.article.short}**: " + (". ".join(bits) if bits else "all facts found").rstrip(".") + ".")
    lines.append("")
    if langchain:
        lines += [
            "## Beside LangChain map_reduce on the same server",
            "",
            "LangChain as `benchmarks/tools.py` configures it (`load_summarize_chain(chain_type=\"map_reduce\")`, the same"
            " Qwen BPE for its splitter, replies up to 1,024 tokens, no retries), at the chunk budget summarize planned"
            " for the article and the same concurrency; both through the pass-through, on the same server.",
            "",
            "| article | tool | chunk budget | requests | wall s | prompt tok | completion tok | prompt + completion | compute s"
            " | cache_n | others' load | English | recall | result |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|",
        ]
        by_article = {o.article.name: o for o in outcomes}
        for lc in langchain:
            for o in (by_article.get(lc.article.name), lc):
                if o is None:
                    continue
                s = o.server
                total = s.get("prompt_tokens", 0) + s.get("completion_tokens", 0)
                lines.append(
                    f"| {o.article.short} | {o.tool} | {fmt(o.budget, ',')} | {s.get('requests', 0)} | {fmt(o.seconds, '.1f')}"
                    f" | {s.get('prompt_tokens', 0):,} | {s.get('completion_tokens', 0):,} | {total:,} | {fmt(s.get('compute_s'), '.1f')}"
                    f" | {s.get('cache_n', 0):,} | {load_cell(s)} | {pct(o.english)} | {len(o.found)}/{len(o.found) + len(o.missed)}"
                    f" | {result_cell(o)} |"
                )
        lines.append("")
    lines += comparison(outcomes, others or [])
    if translations:
        lines += [
            "## Translation (translate_article at default settings)",
            "",
            "| article | result | pairs / paragraphs | aligned | unverified | looping pairs | flags | wall s | requests"
            " | prompt tok | completion tok | compute s | others' load | English | recall |",
            "|---|---|---:|---|---:|---|---|---:|---:|---:|---:|---:|---|---:|---|",
        ]
        for t in translations:
            s = t.server
            lines.append(
                f"| {t.article.short} | {result_cell(t)} | {fmt(t.pairs)} / {t.paragraphs} | "
                f"{'–' if t.aligned is None else ('yes' if t.aligned else '**no**')} | {fmt(t.unverified)}"
                f" | {', '.join(map(str, t.looped_pairs)) or ('none' if t.returned else '–')} | {', '.join(t.flags) or '–'}"
                f" | {fmt(t.seconds, '.1f')} | {s.get('requests', 0)} | {s.get('prompt_tokens', 0):,} | {s.get('completion_tokens', 0):,}"
                f" | {fmt(s.get('compute_s'), '.1f')} | {load_cell(s)} | {pct(t.english)} | {len(t.found)}/{len(t.found) + len(t.missed)} |"
            )
        lines.append("")
    lines += ["## What came back", "", "Each output as returned, for a reader to judge.", ""]
    for o in [*outcomes, *(others or []), *langchain, *translations]:
        if not o.returned:
            continue
        label = {"summarize": "summarize_article", "langchain-map_reduce": "LangChain map_reduce"}.get(o.tool, o.tool)
        if o.tool == "summarize" and o.method:
            label += f" ({method_cell(o)})"
        if o.kind == "translate":
            label = "translate_article"
        body = o.text.strip() or "(empty)"
        lines += [f"<details><summary>{o.article.short}: {label}</summary>", "", "```text", body.replace("```", "'''"), "```", "",
                  "</details>", ""]
    return "\n".join(lines).rstrip() + "\n"


def shown_command(argv: list[str]) -> str:
    parts, rest = [], iter(argv)
    for arg in rest:
        if arg in ("--bench-python", "--base-url", "--output", "--dump"):
            next(rest, None)
        elif not arg.startswith(("--bench-python=", "--base-url=", "--output=", "--dump=")):
            parts.append(arg)
    return "python benchmarks/quality.py" + (" " + shlex.join(parts) if parts else "")


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", nargs="*", help="only corpus articles whose file name contains one of these")
    parser.add_argument("--no-langchain", action="store_true", help="skip LangChain map_reduce on the seed and 21k articles")
    parser.add_argument("--translate", action="store_true",
                        help="also translate the seed article and a Tainan release (pairs aligned, unverified, loops)")
    parser.add_argument("--compare-abstractive", action="store_true",
                        help="also summarize each article with SUMMARIZE_METHOD=abstractive, reported side by side")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="change one setting from its default (e.g. chunk_tokens=500), as its SUMMARIZE_* variable would")
    parser.add_argument("--base-url", help="the server to measure (default: SUMMARIZE_BASE_URL, else the reference server)")
    parser.add_argument("--bench-python", help="a python with LangChain (default: this one if it has it, else BENCH_PYTHON)")
    parser.add_argument("--output", default=str(HERE / "QUALITY.md"), help="the report (default benchmarks/QUALITY.md)")
    parser.add_argument("--dump", help="also write every request and reply through the pass-through to this JSONL file")
    args = parser.parse_args(argv)

    import summarize
    from summarize.budget import reduce_budget
    from summarize.tokens import tokenizer_for

    overrides = {}
    for item in args.setting:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--setting takes NAME=VALUE, got {item!r}")
        overrides[name.strip()] = value.strip()

    from summarize import ConfigError, Settings

    try:  # before any request: a bad --setting fails at once
        settings = library_settings("http://127.0.0.1:1/v1", overrides)
    except KeyError as exc:
        parser.error(f"--setting: unknown setting {exc}; valid: {', '.join(f.name for f in dataclasses.fields(Settings))}")
    except ConfigError as exc:
        parser.error(f"--setting: {exc}")

    if args.base_url:
        upstream, source = args.base_url, "--base-url"
    else:
        upstream, source = reference_base_url()
    if not upstream:
        sys.exit(f"quality.py: no server to measure: {source}. Start it with `scripts/local-server start`"
                 " (it prints the line to export), or set SUMMARIZE_BASE_URL")
    try:
        info = server_info(upstream)
    except (OSError, ValueError) as exc:
        sys.exit(f"quality.py: {upstream} did not answer GET /models ({exc}); is the server up? (`scripts/local-server status`)")
    if not info["models"]:
        sys.exit(f"quality.py: {upstream}/models lists no model")
    model = overrides.get("model") or info["models"][0]
    source = {"--base-url": "the server given by --base-url", "SUMMARIZE_BASE_URL": "the server SUMMARIZE_BASE_URL names"}.get(
        source, "the reference server (`scripts/local-server`)")

    folder = corpus_dir()
    files = sorted(p for p in folder.glob("*.txt")) if folder.is_dir() else []
    if not files:
        sys.exit(f"quality.py: no articles in {folder}: the corpus lives in ../shared/corpus beside the repository"
                 " (or set SUMMARIZE_CORPUS)")
    facts = load_facts()
    missing = sorted(set(facts) - {p.name for p in files})
    if missing:
        print(f"quality.py: warning: checklist articles not in the corpus: {', '.join(missing)}", file=sys.stderr)
    counter = tokenizer_for(model)
    articles = [Article(p.name, p.read_text(encoding="utf-8")) for p in files if p.name in facts]
    articles.sort(key=lambda a: (a.name != SEED, a.name == LONG, a.name))  # the seed first, the long one last
    corpus_size = len(articles)
    if args.articles:
        articles = [a for a in articles if any(n in a.name for n in args.articles)]
        if not articles:
            sys.exit(f"quality.py: no article matches {args.articles}")
    for a in articles:
        a.tokens = counter.count(a.text)

    shown = {k: getattr(settings, k) for k in ("context_tokens", "chunk_tokens", "output_tokens", "concurrency", "timeout",
                                               "max_retries", "temperature", "on_truncation", "tokenizer", "preset")}
    for extra in ("summary_tokens", "deadline", "stream"):  # settings later versions add
        if hasattr(settings, extra):
            shown[extra] = getattr(settings, extra)
    check_name, check_loop = loop_checker()
    python, why_not = (None, "skipped (--no-langchain)") if args.no_langchain else bench_python(args.bench_python)
    script_check = "summarize.verify.han_ratio" if importlib.util.find_spec("summarize.verify") and hasattr(
        importlib.import_module("summarize.verify"), "han_ratio") else "summarize.text.han_ratio"
    meta = {
        "command": ("SUMMARIZE_BASE_URL=<the server's URL> " if "SUMMARIZE_BASE_URL" in source else "")
        + shown_command(argv) + (" --base-url <the server's URL>" if args.base_url else ""),
        "started": datetime.datetime.now(datetime.timezone.utc),
        "elapsed": 0.0,
        "source": source,
        "model": model,
        "server": info,
        "version": getattr(summarize, "__version__", "?"),
        "commit": git_commit(),
        "settings_note": "the defaults, as `summarize_article(text)` gets them with only SUMMARIZE_BASE_URL set"
        " (other SUMMARIZE_* variables of the shell are ignored), and the response cache off so that every run measures"
        + ("; changed with --setting: " + ", ".join(f"{k}={v}" for k, v in overrides.items()) if overrides else ""),
        "settings": ", ".join(f"{k} {v}" for k, v in shown.items()),
        "loop_check": check_name,
        "script_check": script_check,
        "corpus_size": corpus_size,
        "translate": args.translate,
        "status": "",
    }
    t0 = time.monotonic()
    outcomes: list[Outcome] = []
    langchain: list[Outcome] = []
    translations: list[Outcome] = []
    others: list[Outcome] = []
    dump: list | None = [] if args.dump else None

    def write(status: str = "") -> None:
        meta["elapsed"] = time.monotonic() - t0
        meta["status"] = status
        Path(args.output).write_text(render(meta, outcomes, langchain, translations, facts, others), encoding="utf-8")
        if args.dump and dump is not None:
            with open(args.dump, "w", encoding="utf-8") as out:
                for row in dump:
                    out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    say(f"quality.py: {len(articles)} article(s) on {model} at {upstream}; loops: {check_name.split(' (')[0]}")
    try:
        with tempfile.TemporaryDirectory(prefix="quality-") as scratch:
            for a in articles:
                say(f"  summarize {a.short} ({len(a.text):,} chars, {a.tokens:,} tokens)…")
                o = run_summarize(a, upstream, overrides, facts[a.name], check_loop, model, dump)
                outcomes.append(o)
                say(f"    {method_cell(o)}: {result_cell(o)} in {fmt(o.seconds, '.1f')} s; English {pct(o.english)}; loop {'yes' if o.loop else 'no'};"
                    f" flags {', '.join(o.flags) or 'none'}; recall {len(o.found)}/{len(o.found) + len(o.missed)};"
                    f" {o.server['requests']} request(s), {o.server['prompt_tokens']:,}+{o.server['completion_tokens']:,} tokens,"
                    f" compute {fmt(o.server['compute_s'], '.1f')} s")
                if args.compare_abstractive:
                    say(f"  summarize {a.short} with method=abstractive…")
                    other = run_summarize(a, upstream, {**overrides, "method": "abstractive"}, facts[a.name], check_loop,
                                          model, dump)
                    others.append(other)
                    say(f"    {result_cell(other)} in {fmt(other.seconds, '.1f')} s; recall {len(other.found)}/"
                        f"{len(other.found) + len(other.missed)}; {other.server['requests']} request(s)")
                write(f"in progress: {len(outcomes)} of {len(articles)} articles done")
            if not args.no_langchain:
                for o in [o for o in outcomes if o.article.name in LANGCHAIN_ARTICLES]:
                    if python is None:
                        langchain.append(Outcome("langchain-map_reduce", o.article, not_run=why_not))
                        continue
                    budget = o.budget or settings.chunk_tokens
                    if budget is None:
                        langchain.append(Outcome("langchain-map_reduce", o.article, not_run="summarize's chunk budget is unknown"))
                        continue
                    run_settings = settings.replace(model=settings.model or model)
                    say(f"  LangChain map_reduce {o.article.short} at {budget:,}-token chunks, concurrency {settings.concurrency}…")
                    lc = run_langchain(o.article, upstream, model, python, budget, settings.concurrency,
                                       reduce_budget(run_settings, counter), facts[o.article.name], check_loop, Path(scratch), dump)
                    langchain.append(lc)
                    say(f"    {result_cell(lc)} in {fmt(lc.seconds, '.1f')} s; {lc.server['requests']} request(s),"
                        f" {lc.server['prompt_tokens']:,}+{lc.server['completion_tokens']:,} tokens")
                    write("in progress: LangChain runs")
            if args.translate:
                known = {a.name: a for a in articles}
                chosen = [known.get(n) or Article(n, (folder / n).read_text(encoding="utf-8"))
                          for n in (SEED, TAINAN) if n in known or (folder / n).exists()]
                for a in chosen:
                    a.tokens = a.tokens or counter.count(a.text)
                    say(f"  translate {a.short}…")
                    t = run_translate(a, upstream, overrides, facts[a.name], check_loop, dump)
                    translations.append(t)
                    say(f"    {result_cell(t)} in {fmt(t.seconds, '.1f')} s; pairs {fmt(t.pairs)}/{t.paragraphs},"
                        f" aligned {t.aligned}, unverified {fmt(t.unverified)}, looping pairs {t.looped_pairs or 'none'}")
                    write("in progress: translations")
    except KeyboardInterrupt:
        write("**interrupted**: the tables hold the runs that finished")
        say(f"interrupted; wrote {args.output}")
        return 130
    write()
    recalls = [o.recall if o.returned else 0.0 for o in outcomes]
    print(f"{sum(o.returned for o in outcomes)}/{len(outcomes)} returned, {sum(o.ok for o in outcomes)}/{len(outcomes)} usable"
          f" English summaries, average recall {pct(sum(recalls) / len(recalls) if recalls else None)};"
          f" wrote {args.output} in {meta['elapsed']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
