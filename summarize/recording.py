"""Cassette conventions shared by the test suite and the offline quickstart.

Recorded requests name one fixed host (``llm.test``), so a cassette replays whatever port or
address the recording server had; secret headers are filtered out before anything is written;
requests match on method, host, path, query and body. Replaying needs ``vcrpy`` (the ``test``
extra); the library itself never imports this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

RECORDED_HOST = "llm.test"
REPLAY_BASE_URL = f"http://{RECORDED_HOST}/v1"
# Settings every recording was made with (request bodies must match on replay). The recording
# model, SmolLM2-135M, rarely stops on its own: its cut replies are kept and flagged rather
# than raised, and a short reply limit keeps recording fast on a CPU.
RECORDED_SETTINGS = {"output_tokens": 256, "on_truncation": "keep", "cache": False}
SECRET_HEADERS = ("authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie")


def rewrite_request(request: Any) -> Any:
    """Point a recorded request at the fixed host and drop headers that vary by machine."""
    parts = urlsplit(request.uri)
    request.uri = urlunsplit(("http", RECORDED_HOST, parts.path, parts.query, parts.fragment))
    for name in list(request.headers):
        if name.lower().startswith("x-stainless") or name.lower() == "host":
            del request.headers[name]
    return request


def scrub_response(response: dict) -> dict:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ("set-cookie", "openai-organization"):
            del headers[name]
    return response


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


def vcr_config() -> dict:
    """vcrpy options. ``record_mode`` is deliberately absent: it would override ``--record-mode``."""
    return {
        "filter_headers": list(SECRET_HEADERS),
        "before_record_request": rewrite_request,
        "before_record_response": scrub_response,
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


ENDPOINT_VARIABLES = ("SUMMARIZE_BASE_URL", "OPENAI_BASE_URL", "SUMMARIZE_API_KEY", "OPENAI_API_KEY", "SUMMARIZE_PRESET")


def endpoint_or_recording(cassette: Path) -> tuple[Any, AbstractContextManager]:
    """For the examples: the configured endpoint if there is one, else a replay of ``cassette``.

    Returns ``(settings, context)``: ``settings`` is ``None`` for the configured endpoint
    (``Settings.from_env()`` applies), or replay settings; run the call inside ``context``.
    """
    if any(os.environ.get(name) for name in ENDPOINT_VARIABLES):
        return None, nullcontext()
    from .config import Settings

    print(f"No endpoint configured: replaying {cassette.name} from cassettes/ (set SUMMARIZE_BASE_URL to use yours).")
    return Settings(base_url=REPLAY_BASE_URL, max_retries=0, **RECORDED_SETTINGS), replay(cassette)
