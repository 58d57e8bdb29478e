"""Settings: explicit arguments > environment > defaults, and errors that name the variable."""

from __future__ import annotations

import pytest

from summarize import ConfigError, Settings
from summarize.config import OPENAI_BASE_URL, PLACEHOLDER_API_KEY


def test_defaults():
    s = Settings.from_env({})
    assert (s.base_url, s.model, s.context_tokens, s.chunk_tokens, s.concurrency) == (OPENAI_BASE_URL, None, 8192, None, 4)
    assert s.max_retries == 3 and s.timeout == 120


@pytest.mark.parametrize(
    "env, field, expected",
    [
        ({"SUMMARIZE_BASE_URL": "http://localhost:11434/v1/"}, "base_url", "http://localhost:11434/v1"),
        ({"OPENAI_BASE_URL": "http://a.test:1/v1"}, "base_url", "http://a.test:1/v1"),
        ({"SUMMARIZE_BASE_URL": "http://s.test/v1", "OPENAI_BASE_URL": "http://o.test/v1"}, "base_url", "http://s.test/v1"),
        ({"OPENAI_API_KEY": "k1"}, "api_key", "k1"),
        ({"SUMMARIZE_API_KEY": "k2", "OPENAI_API_KEY": "k1"}, "api_key", "k2"),
        ({"SUMMARIZE_MODEL": "qwen3:8b"}, "model", "qwen3:8b"),
        ({"SUMMARIZE_CONTEXT_TOKENS": "32768"}, "context_tokens", 32768),
        ({"SUMMARIZE_CHUNK_TOKENS": "300"}, "chunk_tokens", 300),
        ({"SUMMARIZE_CONCURRENCY": "8"}, "concurrency", 8),
        ({"SUMMARIZE_TIMEOUT": "2.5"}, "timeout", 2.5),
        ({"SUMMARIZE_MAX_RETRIES": "0"}, "max_retries", 0),
        ({"SUMMARIZE_MODEL": ""}, "model", None),
        ({"SUMMARIZE_TRANSLATION_CONTEXT": "on"}, "translation_context", True),
        ({}, "translation_context", False),
    ],
)
def test_environment_variables(env, field, expected):
    assert getattr(Settings.from_env(env), field) == expected


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SUMMARIZE_CONCURRENCY": "abc"}, "SUMMARIZE_CONCURRENCY must be a positive integer"),
        ({"SUMMARIZE_CONCURRENCY": "0"}, "SUMMARIZE_CONCURRENCY must be a positive integer"),
        ({"SUMMARIZE_CONTEXT_TOKENS": "8k"}, "SUMMARIZE_CONTEXT_TOKENS must be a positive integer"),
        ({"SUMMARIZE_CHUNK_TOKENS": "-5"}, "SUMMARIZE_CHUNK_TOKENS must be a positive integer"),
        ({"SUMMARIZE_TIMEOUT": "soon"}, "SUMMARIZE_TIMEOUT must be a positive number of seconds"),
        ({"SUMMARIZE_TIMEOUT": "nan"}, "SUMMARIZE_TIMEOUT must be a positive number of seconds"),
        ({"SUMMARIZE_MAX_RETRIES": "-1"}, "SUMMARIZE_MAX_RETRIES must be a whole number >= 0"),
        ({"SUMMARIZE_BASE_URL": "localhost:11434"}, "SUMMARIZE_BASE_URL must be an http:// or https:// URL"),
        ({"OPENAI_BASE_URL": "ftp://x"}, "OPENAI_BASE_URL must be an http:// or https:// URL"),
    ],
)
def test_malformed_values_name_the_variable(env, message):
    with pytest.raises(ConfigError, match=message) as info:
        Settings.from_env(env)
    assert isinstance(info.value, ValueError)
    assert repr(next(iter(env.values()))) in str(info.value)


def test_explicit_arguments_beat_environment():
    s = Settings.from_env({"SUMMARIZE_MODEL": "env-model", "SUMMARIZE_CONCURRENCY": "2"}, model="arg-model")
    assert s.model == "arg-model" and s.concurrency == 2


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings().replace(modle="x")


@pytest.mark.parametrize("kwargs", [{"concurrency": 0}, {"concurrency": True}, {"context_tokens": "8192"}, {"timeout": -1}])
def test_direct_construction_is_validated(kwargs):
    with pytest.raises(ConfigError):
        Settings(**kwargs)


def test_output_reserve_must_fit_context():
    with pytest.raises(ConfigError, match="SUMMARIZE_OUTPUT_TOKENS"):
        Settings(context_tokens=1000, output_tokens=1000)


def test_key_is_hidden_from_repr():
    s = Settings(api_key="sk-secret-value-123456")
    assert "sk-secret" not in repr(s) and "sk-secret" not in str(s)
    assert "***" in repr(s)


def test_local_endpoints_get_a_placeholder_key_and_openai_needs_one():
    assert Settings(base_url="http://localhost:8080/v1").resolved_api_key() == PLACEHOLDER_API_KEY
    with pytest.raises(ConfigError, match="SUMMARIZE_API_KEY"):
        Settings().resolved_api_key()
