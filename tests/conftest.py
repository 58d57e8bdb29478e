"""Shared test set-up: a clean environment for every test, and the cassette configuration.

Integration tests (``@pytest.mark.integration`` + ``@pytest.mark.vcr``) take the ``endpoint``
fixture. They run in one of three modes:

- replay (the default, and CI: ``--record-mode=none --block-network``): requests are answered
  from ``cassettes/<test_module>/<test_name>.yaml``; nothing leaves the process;
- record (``--record-mode=rewrite`` with ``SUMMARIZE_BASE_URL`` set): against a real server;
- live (``--disable-recording`` with ``SUMMARIZE_BASE_URL`` set): against your server, no cassettes.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from summarize import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SEED = CORPUS / "seed-qwen3-grok.txt"
SAMPLE = ROOT / "examples" / "sample_article.txt"

# Recorded requests all name this host, so cassettes replay whatever port a server had.
RECORDED_HOST = "llm.test"
REPLAY_BASE_URL = f"http://{RECORDED_HOST}/v1"
SECRET_HEADERS = ["authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie"]

# The caller's endpoint settings, read once before any test cleans the environment.
_REAL_ENV = {k: v for k, v in os.environ.items() if k.startswith(("SUMMARIZE_", "OPENAI_"))}


def corpus_text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's SUMMARIZE_* or OPENAI_* variables unless it sets them."""
    for name in list(os.environ):
        if name.startswith(("SUMMARIZE_", "OPENAI_")):
            monkeypatch.delenv(name)


def _rewrite_host(request):
    parts = urlsplit(request.uri)
    request.uri = urlunsplit(("http", RECORDED_HOST, parts.path, parts.query, parts.fragment))
    for name in list(request.headers):
        if name.lower().startswith("x-stainless") or name.lower() == "host":
            del request.headers[name]
    return request


def _scrub_response(response):
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ("set-cookie", "openai-organization"):
            del headers[name]
    return response


@pytest.fixture(scope="session")
def vcr_config() -> dict:
    # record_mode is deliberately absent: it would override --record-mode.
    return {
        "filter_headers": SECRET_HEADERS,
        "before_record_request": _rewrite_host,
        "before_record_response": _scrub_response,
        "match_on": ["method", "host", "path", "query", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(ROOT / "cassettes" / request.module.__name__.rsplit(".", 1)[-1])


def _talks_to_real_server(config: pytest.Config) -> bool:
    return bool(config.getoption("--disable-recording")) or config.getoption("--record-mode") not in ("none", None)


@pytest.fixture
def endpoint(request: pytest.FixtureRequest) -> Settings:
    """Settings for integration tests: the real endpoint when recording or live, else the replay host."""
    if _talks_to_real_server(request.config):
        if not _REAL_ENV.get("SUMMARIZE_BASE_URL"):
            pytest.fail("recording or live mode needs SUMMARIZE_BASE_URL (see README: Record against a real server)")
        settings = Settings.from_env(_REAL_ENV)
        if not _REAL_ENV.get("SUMMARIZE_TIMEOUT"):
            settings = settings.replace(timeout=600)  # a tiny CPU model is slow
        return settings
    return Settings(base_url=REPLAY_BASE_URL, max_retries=0)


@pytest.fixture
def allowed_hosts() -> list[str]:
    """Under --block-network, loopback stays open for the scripted server; everything else is blocked."""
    return [r"127\.0\.0\.1", "localhost", r"::1"]


@pytest.fixture
def scripted():
    """A scripted OpenAI-compatible server on a free loopback port (see tests/scripted_server.py)."""
    from scripted_server import ScriptedServer

    with ScriptedServer() as server:
        yield server


@pytest.fixture
def scripted_settings(scripted) -> Settings:
    """Settings pointing at the scripted server, with fast retries."""
    return Settings(base_url=scripted.base_url, model="scripted", retry_backoff=0.01, timeout=10)
