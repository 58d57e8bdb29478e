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
import signal
from pathlib import Path

import pytest

from summarize import Settings, recording
from summarize.recording import RECORDED_SETTINGS, REPLAY_BASE_URL

# A run started in the background by a non-interactive shell (`bash -c '... &'`) starts with
# SIGINT ignored, and Python keeps it so: the tests that send Ctrl-C (to this process, or to a
# child, which inherits it) saw it vanish, and 4 of them failed. Ctrl-C is Python's here, as at a
# terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
# Real zh-Hant articles, kept out of the repository: a folder beside the checkout, or SUMMARIZE_CORPUS.
CORPUS = Path(os.environ.get("SUMMARIZE_CORPUS") or ROOT.parent / "shared" / "corpus")
SEED = CORPUS / "seed-qwen3-grok.txt"
SAMPLE = ROOT / "examples" / "sample_article.txt"  # the repository's own sample text

# The caller's endpoint settings, read once before any test cleans the environment.
_REAL_ENV = {k: v for k, v in os.environ.items() if k.startswith(("SUMMARIZE_", "OPENAI_"))}


def _no_corpus(name: str) -> str:
    return (
        f"needs the corpus article {name}, not found in {CORPUS}: the real zh-Hant articles are not in the "
        "repository; put them in ../shared/corpus beside the checkout or set SUMMARIZE_CORPUS to their folder"
    )


class MissingCorpusText(str):
    """Stands in, while test modules are imported, for a corpus article that is not there.

    A test whose code uses a module global holding one is skipped (``pytest_runtest_setup``),
    so the rest of its module still runs on the repository's own texts.
    """

    def __new__(cls, name: str) -> MissingCorpusText:
        text = super().__new__(cls, "")
        text.reason = _no_corpus(name)
        return text

    reason: str


_collecting = True


def corpus_text(name: str) -> str:
    """A corpus article's text; a test that needs a missing one is skipped, with where to get it."""
    path = CORPUS / name
    if path.is_file():
        return path.read_text(encoding="utf-8")
    if _collecting:  # a module-level constant: skip the tests that use it, not the whole module
        return MissingCorpusText(name)
    pytest.skip(_no_corpus(name))


def pytest_collection_finish(session: pytest.Session) -> None:
    global _collecting
    _collecting = False


def _names_used(code) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):  # lambdas and inner functions of the test
            names |= _names_used(const)
    return names


def pytest_runtest_setup(item: pytest.Item) -> None:
    function, module = getattr(item, "function", None), getattr(item, "module", None)
    if function is None or module is None:
        return
    for name in _names_used(function.__code__):
        value = getattr(module, name, None)
        if isinstance(value, MissingCorpusText):
            pytest.skip(value.reason)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's SUMMARIZE_* or OPENAI_* variables unless it sets them.

    The response cache is off unless a test turns it on, and then lives in the test's own
    folder (XDG_CACHE_HOME reaches Settings built directly and the CLI's subprocesses too):
    the developer's cache never answers a test or a cassette replay.
    """
    for name in list(os.environ):
        if name.startswith(("SUMMARIZE_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SUMMARIZE_CACHE", "0")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def pytest_recording_configure(config: pytest.Config, vcr) -> None:
    vcr.register_serializer("yaml", recording.ReadableYaml)


@pytest.fixture(scope="session")
def vcr_config() -> dict:
    # The caller's keys are scrubbed from recordings even where no request header carried them.
    return recording.vcr_config(secrets=[_REAL_ENV.get("SUMMARIZE_API_KEY"), _REAL_ENV.get("OPENAI_API_KEY")])


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
        settings = Settings.from_env(_REAL_ENV).replace(**RECORDED_SETTINGS)
        if not _REAL_ENV.get("SUMMARIZE_TIMEOUT"):
            settings = settings.replace(timeout=600)  # a tiny CPU model is slow
        return settings
    return Settings(base_url=REPLAY_BASE_URL, max_retries=0, **RECORDED_SETTINGS)


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
    return Settings(base_url=scripted.base_url, model="scripted", retry_backoff=0.01, timeout=10, cache=False)
