"""The recorded cassettes are safe to publish and replay anywhere."""

from __future__ import annotations

import re

import pytest
from conftest import _REAL_ENV, ROOT
from scripted_server import Step

from summarize import AuthenticationError, Settings, recording, summarize_article
from summarize.config import PLACEHOLDER_API_KEY
from summarize.recording import RECORDED_HOST, SECRET_HEADERS, ReadableYaml

CASSETTES = sorted((ROOT / "cassettes").rglob("*.yaml"))
KEY_SHAPES = re.compile(r"(Bearer\s+[A-Za-z0-9_.-]{8,}|sk-[A-Za-z0-9_-]{16,}|no-key-needed)")


def test_there_are_cassettes():
    assert len(CASSETTES) >= 5


def test_no_cassette_holds_a_key_or_a_secret_header():
    for path in CASSETTES:
        text = path.read_text(encoding="utf-8")
        assert not KEY_SHAPES.search(text), path.name
        for interaction in ReadableYaml.deserialize(text)["interactions"]:
            names = {name.lower() for name in interaction["request"]["headers"]}
            assert not names & set(SECRET_HEADERS), (path.name, names & set(SECRET_HEADERS))


def keys_in_force() -> list[str]:
    """The keys a recording made here would have sent: the caller's, else the placeholder."""
    given = (_REAL_ENV.get("SUMMARIZE_API_KEY"), _REAL_ENV.get("OPENAI_API_KEY"))
    return [key for key in given if key] + [PLACEHOLDER_API_KEY]


def test_no_cassette_holds_the_key_in_force_whatever_its_shape():
    for path in CASSETTES:
        text = path.read_text(encoding="utf-8")
        for key in keys_in_force():
            assert key not in text, path.name


def test_recording_scrubs_a_key_the_server_echoes_in_bodies_and_headers(scripted, tmp_path):
    import vcr

    key = "my-vllm-secret-2f9c"  # what `vllm serve --api-key` takes: any shape at all
    echo = {"X-Echo-Key": key, "WWW-Authenticate": f'Bearer realm="{key}"'}
    scripted.script(
        Step.reply(f"Your key is {key}.", headers=echo),
        Step.error(
            401, {"error": {"message": f"Incorrect API key provided: {key}", "code": "invalid_api_key"}}, headers=echo
        ),
    )
    settings = Settings(base_url=scripted.base_url, api_key=key, model="m", cache=False, max_retries=0)
    cassette = tmp_path / "echo.yaml"
    recorder = vcr.VCR(**recording.vcr_config())
    recorder.register_serializer("yaml", ReadableYaml)
    with recorder.use_cassette(str(cassette), record_mode="all", serializer="yaml"):
        summarize_article(f"臺南今天天氣晴朗。金鑰 {key} 不應出現。", settings=settings)  # the key in a request body too
        with pytest.raises(AuthenticationError):
            summarize_article("臺南今天下雨。", settings=settings)
    # The key was in play: in the request headers, and in the first request's article.
    assert len(scripted.chat_requests) == 2 and key in scripted.chat_requests[0].user_text
    text = cassette.read_text(encoding="utf-8")
    assert key not in text
    assert text.count("***") >= 5  # scrubbed in place: the rest of each body and header stays readable
    for interaction in ReadableYaml.deserialize(text)["interactions"]:
        names = {name.lower() for name in interaction["request"]["headers"]}
        assert not names & set(SECRET_HEADERS)
    # And the scrubbed recording still replays: live requests are scrubbed the same way before matching.
    replayer = vcr.VCR(**recording.vcr_config())
    replayer.register_serializer("yaml", ReadableYaml)
    with replayer.use_cassette(str(cassette), record_mode="none", serializer="yaml"):
        assert "***" in summarize_article(f"臺南今天天氣晴朗。金鑰 {key} 不應出現。", settings=settings).text


def test_recording_scrubs_a_short_key_the_server_echoes(scripted, tmp_path):
    import vcr

    key = "hunter2"  # `vllm serve --api-key hunter2`: under 8 characters, it was recorded whole
    scripted.script(
        Step.error(401, {"error": {"message": f"Incorrect API key provided: {key}"}}, headers={"X-Echo-Key": key}),
    )
    settings = Settings(base_url=scripted.base_url, api_key=key, model="m", cache=False, max_retries=0)
    cassette = tmp_path / "short.yaml"
    recorder = vcr.VCR(**recording.vcr_config())
    recorder.register_serializer("yaml", ReadableYaml)
    with recorder.use_cassette(str(cassette), record_mode="all", serializer="yaml"):
        with pytest.raises(AuthenticationError):
            summarize_article("臺南今天下雨。", settings=settings)
    text = cassette.read_text(encoding="utf-8")
    assert key not in text
    assert "provided: ***" in text


def test_every_request_names_the_fixed_host():
    for path in CASSETTES:
        for interaction in ReadableYaml.deserialize(path.read_text(encoding="utf-8"))["interactions"]:
            assert interaction["request"]["uri"].startswith(f"http://{RECORDED_HOST}/"), path.name


def test_cassettes_are_readable():
    # Chinese is written as itself, so a reviewer can read what was sent and what came back.
    for path in CASSETTES:
        text = path.read_text(encoding="utf-8")
        assert "\\u81FA" not in text and "\\u5357" not in text, path.name


# -- the examples replay unless a live run is asked for ---------------------------------------


EXAMPLES = {"quickstart": ROOT / "examples" / "quickstart.py", "bilingual": ROOT / "examples" / "bilingual.py"}


@pytest.mark.parametrize("name", list(EXAMPLES))
@pytest.mark.parametrize(
    "env",
    [
        {"OPENAI_API_KEY": "sk-test-0123456789abcdefghij"},
        {"OPENAI_API_KEY": "sk-test-0123456789abcdefghij", "OPENAI_BASE_URL": "https://api.example.com/v1"},
        {"SUMMARIZE_API_KEY": "some-key-123456"},
    ],
    ids=["openai-key", "openai-key-and-url", "summarize-key"],
)
def test_an_example_replays_when_only_a_key_is_in_the_environment(name, env, monkeypatch, capsys):
    import runpy

    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    example = runpy.run_path(str(EXAMPLES[name]))
    assert example["main"]([]) == 0  # under --block-network a live run could not have succeeded
    out = capsys.readouterr().out
    assert "replaying" in out and "--live" in out
    assert "SUMMARIZE_BASE_URL or SUMMARIZE_PRESET" in out  # each makes it go live: both are named


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_an_example_runs_live_when_asked(name, scripted, monkeypatch, capsys):
    import runpy

    monkeypatch.setenv("OPENAI_BASE_URL", scripted.base_url)
    monkeypatch.setenv("SUMMARIZE_MODEL", "scripted")
    from fake_translator import translator

    scripted.default = translator() if name == "bilingual" else (lambda seen: Step.reply("A summary."))
    example = runpy.run_path(str(EXAMPLES[name]))
    example["main"](["--live"])
    assert scripted.chat_requests, "--live did not reach the configured endpoint"
    assert "replaying" not in capsys.readouterr().out


def test_a_live_example_that_fails_says_so_in_one_line(monkeypatch, capsys):
    import runpy

    monkeypatch.setenv("SUMMARIZE_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("SUMMARIZE_MAX_RETRIES", "0")
    example = runpy.run_path(str(EXAMPLES["quickstart"]))
    assert example["main"]([]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "SUMMARIZE_BASE_URL" in err, err
