"""Cassette conventions shared by the test suite and the offline quickstart.

Recorded requests name one fixed host (``llm.test``), so a cassette replays whatever port or
address the recording server had; secret headers are dropped, and every key in force (the
ones given, and whatever each request sent in a secret header) is replaced by ``***`` in
request bodies, headers and URLs and in response bodies, headers and reason phrases, before
anything is written: servers echo a refused key in a 401 body, and a vLLM ``--api-key`` has no
recognisable shape. Requests match on method, host, path, query and body. Replaying needs
``vcrpy`` (the ``test`` extra); the library itself never imports this module.

The examples replay a cassette unless a live run is asked for (``endpoint_or_recording``).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .text import key_pattern

RECORDED_HOST = "llm.test"
REPLAY_BASE_URL = f"http://{RECORDED_HOST}/v1"
# Settings every recording was made with (request bodies must match on replay): the defaults,
# as a user runs the library, with the response cache off so every request reaches the server.
RECORDED_SETTINGS: dict[str, Any] = {"cache": False}
SECRET_HEADERS = ("authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie")




@functools.lru_cache(maxsize=8)
def _compiled(secrets: frozenset[str]) -> list[tuple[re.Pattern[str], re.Pattern[bytes]]]:
    patterns = (key_pattern(s) for s in sorted(secrets, key=len, reverse=True))
    return [(p, re.compile(p.pattern.encode())) for p in patterns if p is not None]


class Scrubber:
    """Keeps secrets out of cassettes: vcrpy's ``before_record_request`` and ``before_record_response``.

    vcrpy records a request before its response, so the key a request carried is known by the
    time its response is scrubbed.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        from .config import PLACEHOLDER_API_KEY

        self.secrets: set[str] = set()
        for secret in (*secrets, PLACEHOLDER_API_KEY):
            self._learn(secret)

    def _learn(self, value: str | None) -> None:
        value = (value or "").strip()
        if value.lower().startswith(("bearer ", "basic ")):
            value = value.split(None, 1)[1].strip()
        if key_pattern(value) is not None:  # a short one only where it stands alone (text.key_pattern)
            self.secrets.add(value)

    def _patterns(self) -> list[tuple[re.Pattern[str], re.Pattern[bytes]]]:
        """Each secret's pattern (``text.key_pattern``), for text and for bytes, longest secret
        first (one may hold another): compiled once per set of secrets, not at every body."""
        return _compiled(frozenset(self.secrets))

    def text(self, value: Any) -> Any:
        """``value`` (str or bytes) with every known secret replaced by ``***``."""
        for pattern, in_bytes in self._patterns():
            if isinstance(value, bytes):
                value = in_bytes.sub(b"***", value)
            elif isinstance(value, str):
                value = pattern.sub("***", value)
        return value

    def request(self, request: Any) -> Any:
        """Point a recorded request at the fixed host, drop secret and machine-specific headers, scrub the rest."""
        for name in list(request.headers):
            lower = name.lower()
            if lower in SECRET_HEADERS:
                self._learn(request.headers[name])
                del request.headers[name]
            elif lower.startswith("x-stainless") or lower == "host":
                del request.headers[name]
        for name in list(request.headers):
            request.headers[name] = self.text(request.headers[name])
        parts = urlsplit(request.uri)
        request.uri = urlunsplit(("http", RECORDED_HOST, parts.path, self.text(parts.query), parts.fragment))
        request.body = self.text(request.body)
        return request

    def response(self, response: dict) -> dict:
        headers = response.get("headers", {})
        for name in list(headers):
            if name.lower() in ("set-cookie", "openai-organization"):
                del headers[name]
            else:
                values = headers[name]
                headers[name] = [self.text(v) for v in values] if isinstance(values, list) else self.text(values)
        status = response.get("status")
        if isinstance(status, dict) and "message" in status:
            status["message"] = self.text(status["message"])
        body = response.get("body")
        if isinstance(body, dict) and "string" in body:
            body["string"] = self.text(self.stream(body["string"]))
        return response

    def stream(self, body: Any) -> Any:
        """A streamed reply (server-sent events) with every secret masked across its pieces.

        A streaming server splits what the model writes over many events, so a key it echoes
        never appears whole in the body: join each field's pieces, find the secrets in the
        whole, and mask the characters of every piece they span, keeping the events as sent.
        """
        raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        if not isinstance(raw, str) or "data:" not in raw or not self.secrets:
            return body
        lines = raw.split("\n")
        events: list[tuple[int, dict]] = []
        for index, line in enumerate(lines):
            if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
                try:
                    events.append((index, json.loads(line[5:])))
                except ValueError:
                    continue
        changed = False
        for field in ("content", "reasoning_content", "reasoning"):
            pieces = [
                (index, delta)
                for index, event in events
                for choice in event.get("choices") or []
                if isinstance(delta := choice.get("delta"), dict) and isinstance(delta.get(field), str)
            ]
            whole = "".join(delta[field] for _, delta in pieces)
            masked = list(whole)
            for pattern, _ in self._patterns():
                for found in pattern.finditer(whole):
                    masked[found.start() : found.end()] = "*" * (found.end() - found.start())
            if masked == list(whole):
                continue
            changed, offset = True, 0
            for _, delta in pieces:
                size = len(delta[field])
                delta[field] = "".join(masked[offset : offset + size])
                offset += size
        if not changed:
            return body
        for index, event in events:
            lines[index] = "data: " + json.dumps(event, ensure_ascii=False)
        text = "\n".join(lines)
        return text.encode("utf-8") if isinstance(body, bytes) else text


class ReadableYaml:
    """vcrpy's YAML cassettes with Chinese written as itself, not as \\uXXXX escapes."""

    @staticmethod
    def deserialize(cassette_string: str) -> dict:
        from vcr.serializers import yamlserializer

        return yamlserializer.deserialize(cassette_string)

    @staticmethod
    def serialize(cassette_dict: dict) -> str:
        import yaml

        return yaml.dump(cassette_dict, Dumper=yaml.SafeDumper, allow_unicode=True, width=120)


def vcr_config(secrets: Iterable[str | None] = ()) -> dict:
    """vcrpy options, scrubbing ``secrets`` and every key a request sends.

    ``record_mode`` is deliberately absent: it would override ``--record-mode``. Secret headers
    are dropped by the scrubber, not vcrpy's ``filter_headers``, which would drop them before
    the scrubber learns the key they carry.
    """
    scrubber = Scrubber(secrets)
    return {
        "before_record_request": scrubber.request,
        "before_record_response": scrubber.response,
        "match_on": ["method", "host", "path", "query", "body"],
        "decode_compressed_response": True,
    }


@contextmanager
def replay(cassette: Path) -> Iterator[None]:
    """Answer requests from ``cassette`` only; a request it does not hold raises."""
    try:
        import vcr
    except ImportError:  # pragma: no cover - depends on the environment
        raise RuntimeError("replaying a recording needs vcrpy: pip install 'summarize[test]'") from None
    recorder = vcr.VCR(**vcr_config())
    recorder.register_serializer("yaml", ReadableYaml)
    with recorder.use_cassette(str(cassette), record_mode="none"):
        yield


# What chooses a live run of an example: a flag, or a variable that names summarize's server.
# A key alone does not (OPENAI_API_KEY is set for many other tools), nor OPENAI_BASE_URL.
LIVE_FLAG = "--live"
LIVE_VARIABLES = ("SUMMARIZE_BASE_URL", "SUMMARIZE_PRESET")


def endpoint_or_recording(cassette: Path, argv: Sequence[str] = ()) -> tuple[Any, AbstractContextManager]:
    """For the examples: the configured endpoint when a live run is asked for, else a replay of ``cassette``.

    A live run is asked for with ``--live`` in ``argv`` or ``SUMMARIZE_BASE_URL`` /
    ``SUMMARIZE_PRESET`` in the environment. Returns ``(settings, context)``: ``settings`` is
    ``None`` for the configured endpoint (``Settings.from_env()`` applies), or replay settings;
    run the call inside ``context``.
    """
    if LIVE_FLAG in argv or any(os.environ.get(name) for name in LIVE_VARIABLES):
        return None, nullcontext()
    from .config import Settings

    print(
        f"No endpoint chosen: replaying {cassette.name} from cassettes/ "
        f"(pass {LIVE_FLAG}, or set {' or '.join(LIVE_VARIABLES)}, to use yours)."
    )
    return Settings(base_url=REPLAY_BASE_URL, max_retries=0, **RECORDED_SETTINGS), replay(cassette)
