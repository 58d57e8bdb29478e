"""The recorded cassettes are safe to publish and replay anywhere."""

from __future__ import annotations

import re

from conftest import ROOT

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


def test_every_request_names_the_fixed_host():
    for path in CASSETTES:
        for interaction in ReadableYaml.deserialize(path.read_text(encoding="utf-8"))["interactions"]:
            assert interaction["request"]["uri"].startswith(f"http://{RECORDED_HOST}/"), path.name


def test_cassettes_are_readable():
    # Chinese is written as itself, so a reviewer can read what was sent and what came back.
    for path in CASSETTES:
        text = path.read_text(encoding="utf-8")
        assert "\\u81FA" not in text and "\\u5357" not in text, path.name
