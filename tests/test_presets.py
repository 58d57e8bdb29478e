"""Presets: the request each one produces (through the scripted server) and the defaults it sets."""

from __future__ import annotations

import pytest

from summarize import ConfigError, Settings, summarize_article
from summarize import presets
from summarize.client import ChatClient

ARTICLE = "臺南市政府今天宣布，明年起擴大公車路網。"

# preset, model, fields the body must have, fields it must not have, does the system message end in /no_think
CASES = [
    (
        "openai",
        "gpt-5-mini",
        {"max_completion_tokens": 1024, "reasoning_effort": "low"},
        {"max_tokens", "temperature"},
        False,
    ),
    (
        "openai",
        "o4-mini",
        {"max_completion_tokens": 1024, "reasoning_effort": "low"},
        {"max_tokens", "temperature"},
        False,
    ),
    (
        "openai",
        "gpt-4.1-mini",
        {"max_completion_tokens": 1024, "temperature": 0.2},
        {"max_tokens", "reasoning_effort"},
        False,
    ),
    (
        "dashscope",
        "qwen-plus",
        {"enable_thinking": False, "max_tokens": 1024, "temperature": 0.2},
        {"chat_template_kwargs"},
        False,
    ),
    ("dashscope", "qwen3-32b", {"enable_thinking": False}, {"chat_template_kwargs", "max_completion_tokens"}, False),
    (
        "deepseek",
        "deepseek-chat",
        {"max_tokens": 1024, "temperature": 0.2},
        {"enable_thinking", "chat_template_kwargs", "reasoning_effort"},
        False,
    ),
    (
        "xai",
        "grok-4-fast-non-reasoning",
        {"max_tokens": 1024, "temperature": 0.2},
        {"enable_thinking", "chat_template_kwargs", "reasoning_effort"},
        False,
    ),
    (
        "vllm",
        "Qwen/Qwen3-8B",
        {"chat_template_kwargs": {"enable_thinking": False}, "max_tokens": 1024},
        {"enable_thinking"},
        False,
    ),
    (
        "sglang",
        "Qwen/Qwen3-8B",
        {"chat_template_kwargs": {"enable_thinking": False}, "max_tokens": 1024},
        {"enable_thinking"},
        False,
    ),
    (
        "llamacpp",
        "qwen3-4b-q4_k_m",
        {"chat_template_kwargs": {"enable_thinking": False}, "max_tokens": 1024},
        {"enable_thinking"},
        False,
    ),
    ("ollama", "qwen3:8b", {"max_tokens": 1024, "temperature": 0.2}, {"chat_template_kwargs", "enable_thinking"}, True),
    ("ollama", "llama3.2:3b", {"max_tokens": 1024}, {"chat_template_kwargs", "enable_thinking"}, False),
    ("lmstudio", "qwen/qwen3-8b", {"max_tokens": 1024}, {"chat_template_kwargs", "enable_thinking"}, True),
]


def test_every_preset_has_a_request_case():
    assert {case[0] for case in CASES} == set(presets.PRESETS)


@pytest.mark.parametrize("name, model, present, absent, no_think", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_the_request_a_preset_produces(scripted, name, model, present, absent, no_think):
    settings = Settings(preset=name, base_url=scripted.base_url, model=model, cache=False, max_retries=0)
    summarize_article(ARTICLE, settings=settings)
    (request,) = scripted.chat_requests
    body = request.body
    assert body["model"] == model
    for key, value in present.items():
        assert body[key] == value, key
    assert not absent & set(body), absent & set(body)
    # Replies stream (the timeout then bounds silence); usage comes in the last event where the server takes stream_options.
    assert body["stream"] is True
    assert ("stream_options" in body) is presets.get(name).stream_options
    assert request.messages[0]["role"] == "system"
    assert request.messages[0]["content"].endswith("\n/no_think") is no_think
    assert "/no_think" not in request.user_text  # the article's message is left as it is


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_a_preset_fills_the_unset_settings(name):
    preset = presets.PRESETS[name]
    settings = Settings(preset=name)
    assert settings.base_url == preset.base_url
    assert settings.context_tokens == (preset.context_tokens or 8192)
    assert settings.timeout == preset.timeout


def test_explicit_settings_beat_the_environment_which_beats_the_preset():
    env = {"SUMMARIZE_PRESET": "ollama", "SUMMARIZE_CONTEXT_TOKENS": "16384"}
    settings = Settings.from_env(env)
    assert (settings.base_url, settings.context_tokens, settings.timeout) == ("http://localhost:11434/v1", 16384, 600.0)
    settings = Settings.from_env(env, base_url="http://gpu-box:11434/v1", timeout=30)
    assert (settings.base_url, settings.context_tokens, settings.timeout) == ("http://gpu-box:11434/v1", 16384, 30.0)
    # An explicit value equal to the library default still beats the preset.
    assert Settings(preset="ollama", context_tokens=8192).context_tokens == 8192


def test_changing_the_preset_re_derives_only_what_was_not_given():
    settings = Settings(preset="ollama", context_tokens=6000).replace(preset="vllm")
    assert settings.base_url == "http://localhost:8000/v1"
    assert settings.context_tokens == 6000
    assert settings.replace(model="m").replace(preset=None).base_url == "https://api.openai.com/v1"


def test_an_unknown_preset_names_the_valid_ones():
    valid = "one of openai, dashscope, deepseek, xai, vllm, sglang, llamacpp, ollama, lmstudio"
    with pytest.raises(ConfigError, match=f"^SUMMARIZE_PRESET must be {valid}, got 'olama'$"):
        Settings.from_env({"SUMMARIZE_PRESET": "olama"})
    with pytest.raises(ConfigError, match=f"^preset must be {valid}, got 'gpt'$"):
        Settings(preset="gpt")


def test_preset_names_are_case_insensitive_from_the_environment():
    assert Settings.from_env({"SUMMARIZE_PRESET": "LlamaCpp"}).preset == "llamacpp"


def test_no_preset_keeps_the_generic_request(scripted):
    settings = Settings(base_url=scripted.base_url, model="qwen3:8b", cache=False)
    summarize_article(ARTICLE, settings=settings)
    body = scripted.chat_requests[0].body
    assert body["max_tokens"] == 1024 and body["temperature"] == 0.2
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert not scripted.chat_requests[0].messages[0]["content"].endswith("/no_think")


def test_the_readme_table_has_a_row_per_preset():
    table = presets.markdown_table().splitlines()
    assert len(table) == 2 + len(presets.PRESETS)
    assert table[2].startswith("| `openai` | `https://api.openai.com/v1` | 128000 |")
    assert any(row.startswith("| `ollama` | `http://localhost:11434/v1` | 4096 | `/no_think`") for row in table)


def test_the_docs_carry_the_current_table():
    from conftest import ROOT

    assert presets.markdown_table() in (ROOT / "docs" / "presets.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "base_url, expected",
    [
        ("https://dashscope.aliyuncs.com/compatible-mode/v1", "dashscope"),  # the mainland region
        ("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "dashscope"),
        ("https://api.openai.com/v1", "openai"),
        ("http://localhost:8000/v1", None),  # local servers are never guessed from a port
        ("http://127.0.0.1:11434/v1", None),
    ],
)
def test_a_hosted_service_is_recognised_by_its_host(base_url, expected):
    preset = presets.for_request(None, base_url)
    assert (preset.name if preset else None) == expected
    client = ChatClient(Settings(base_url=base_url, api_key="k"))
    options = client.request_options("qwen3-32b", 100)
    if expected == "dashscope":
        assert options["extra_body"] == {"enable_thinking": False}
    if expected is None:
        assert options["extra_body"] == {"chat_template_kwargs": {"enable_thinking": False}}
