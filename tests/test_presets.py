"""Presets: the request each one produces (through the scripted server) and the defaults it sets."""

from __future__ import annotations

import pytest

from summarize import ConfigError, Settings, summarize_article
from summarize import presets
from summarize.client import ChatClient

ARTICLE = "臺南市政府今天宣布，明年起擴大公車路網。"
# A one-request summary asks for what a summary of the default length needs, not output_tokens.
SUMMARY_TOKENS = 242

# preset, model, fields the body must have, fields it must not have (the last column, /no_think, is
# now False everywhere: Qwen3.5 ignores that soft switch, and Ollama and LM Studio read reasoning_effort)
CASES = [
    (
        "openai",
        "gpt-5-mini",
        {"max_completion_tokens": SUMMARY_TOKENS, "reasoning_effort": "low"},
        {"max_tokens", "temperature"},
        False,
    ),
    (
        "openai",
        "o4-mini",
        {"max_completion_tokens": SUMMARY_TOKENS, "reasoning_effort": "low"},
        {"max_tokens", "temperature"},
        False,
    ),
    (
        "openai",
        "gpt-4.1-mini",
        {"max_completion_tokens": SUMMARY_TOKENS, "temperature": 0.2},
        {"max_tokens", "reasoning_effort"},
        False,
    ),
    (
        "dashscope",
        "qwen-plus",
        {"enable_thinking": False, "max_tokens": SUMMARY_TOKENS, "temperature": 0.2},
        {"chat_template_kwargs"},
        False,
    ),
    ("dashscope", "qwen3-32b", {"enable_thinking": False}, {"chat_template_kwargs", "max_completion_tokens"}, False),
    # A model that always thinks: DashScope refuses enable_thinking false for it with a 400.
    ("dashscope", "deepseek-r1", {"max_tokens": SUMMARY_TOKENS}, {"enable_thinking", "chat_template_kwargs"}, False),
    (
        "deepseek",
        "deepseek-chat",
        {"max_tokens": SUMMARY_TOKENS, "temperature": 0.2},
        {"enable_thinking", "chat_template_kwargs", "reasoning_effort"},
        False,
    ),
    (
        "xai",
        "grok-4-fast-non-reasoning",
        {"max_tokens": SUMMARY_TOKENS, "temperature": 0.2},
        {"enable_thinking", "chat_template_kwargs", "reasoning_effort"},
        False,
    ),
    (
        "vllm",
        "Qwen/Qwen3-8B",
        {"chat_template_kwargs": {"enable_thinking": False}, "max_tokens": SUMMARY_TOKENS},
        {"enable_thinking"},
        False,
    ),
    (
        "sglang",
        "Qwen/Qwen3-8B",
        {"chat_template_kwargs": {"enable_thinking": False}, "max_tokens": SUMMARY_TOKENS},
        {"enable_thinking"},
        False,
    ),
    (
        "llamacpp",
        "qwen3-4b-q4_k_m",
        {"chat_template_kwargs": {"enable_thinking": False}, "max_tokens": SUMMARY_TOKENS},
        {"enable_thinking"},
        False,
    ),
    (
        "ollama",
        "qwen3:8b",
        {"max_tokens": SUMMARY_TOKENS, "temperature": 0.2, "reasoning_effort": "none"},
        {"chat_template_kwargs", "enable_thinking"},
        False,
    ),
    ("ollama", "llama3.2:3b", {"max_tokens": SUMMARY_TOKENS}, {"chat_template_kwargs", "enable_thinking", "reasoning_effort"}, False),
    ("lmstudio", "qwen/qwen3-8b", {"max_tokens": SUMMARY_TOKENS, "reasoning_effort": "none"}, {"chat_template_kwargs", "enable_thinking"}, False),
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
    assert not any("/no_think" in m["content"] for m in request.messages)  # every message is left as it is


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
    assert body["max_tokens"] == SUMMARY_TOKENS and body["temperature"] == 0.2
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert not scripted.chat_requests[0].messages[0]["content"].endswith("/no_think")


def test_the_readme_table_has_a_row_per_preset():
    table = presets.markdown_table().splitlines()
    assert len(table) == 2 + len(presets.PRESETS)
    assert table[2].startswith("| `openai` | `https://api.openai.com/v1` | 128000 |")
    assert any(row.startswith("| `ollama` | `http://localhost:11434/v1` | 4096 | `reasoning_effort: none`") for row in table)


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


# -- thinking off, per preset and model family ------------------------------------------------

CTK = {"chat_template_kwargs": {"enable_thinking": False}}
OFF = {"enable_thinking": False}
NONE = {"reasoning_effort": "none"}
# Model names as each server spells them: Qwen3 (hybrid), Qwen3.5 (hybrid, no /no_think),
# Qwen3-2507 Instruct (never thinks) and Thinking (always does: no switch), and another family.
FAMILIES = ("qwen3", "qwen3.5", "2507-instruct", "2507-thinking", "other")
NAMES = {
    "hf": (
        "Qwen/Qwen3-8B",
        "Qwen/Qwen3.5-35B-A3B",
        "Qwen/Qwen3-30B-A3B-Instruct-2507",
        "Qwen/Qwen3-30B-A3B-Thinking-2507",
        "meta-llama/Llama-3.1-8B-Instruct",
    ),
    "gguf": (
        "qwen3-8b-q4_k_m",
        "Qwen3.5-9B-Q4_K_M",
        "Qwen3-4B-Instruct-2507-Q4_K_M",
        "Qwen3-4B-Thinking-2507-Q4_K_M",
        "gemma-3-4b-it-q4_0",
    ),
    "ollama": (
        "qwen3:8b",
        "qwen3.5:9b",
        "qwen3:30b-a3b-instruct-2507-q4_K_M",
        "qwen3:30b-a3b-thinking-2507-q4_K_M",
        "llama3.2:3b",
    ),
    "lmstudio": (
        "qwen/qwen3-8b",
        "qwen/qwen3.5-9b",
        "qwen/qwen3-30b-a3b-2507",
        "qwen/qwen3-4b-thinking-2507",
        "google/gemma-3-12b",
    ),
    "dashscope": (
        "qwen3-32b",
        "qwen3.5-plus",
        "qwen3-235b-a22b-instruct-2507",
        "qwen3-235b-a22b-thinking-2507",
        "qwen-plus",
    ),
}
THINKING_OFF = [
    # preset, names, what each family gets (in FAMILIES order)
    ("vllm", "hf", (CTK, CTK, {}, {}, CTK)),  # other templates ignore the argument
    ("sglang", "hf", (CTK, CTK, {}, {}, CTK)),
    ("llamacpp", "gguf", (CTK, CTK, {}, {}, CTK)),
    ("ollama", "ollama", (NONE, NONE, {}, {}, {})),
    ("lmstudio", "lmstudio", (NONE, NONE, {}, {}, {})),
    # DashScope refuses enable_thinking=false for thinking-only models (a 400); qwen-plus is a hybrid Qwen3.
    ("dashscope", "dashscope", (OFF, OFF, {}, {}, OFF)),
    ("deepseek", "hf", ({}, {}, {}, {}, {})),
    ("xai", "hf", ({}, {}, {}, {}, {})),
    ("openai", "hf", ({}, {}, {}, {}, {})),
]


@pytest.mark.parametrize(
    "preset, model, expected",
    [(p, NAMES[names][i], want[i]) for p, names, want in THINKING_OFF for i in range(len(FAMILIES))],
    ids=[f"{p}-{FAMILIES[i]}" for p, _, _ in THINKING_OFF for i in range(len(FAMILIES))],
)
def test_thinking_is_switched_off_the_way_each_server_reads(preset, model, expected):
    client = ChatClient(Settings(preset=preset, api_key="k"))
    options = client.request_options(model, 100)
    assert options.get("extra_body", {}) == expected
    assert "messages" not in options  # nothing rides in the prompt: no /no_think soft switch


def test_every_preset_has_a_thinking_row():
    assert {row[0] for row in THINKING_OFF} == set(presets.PRESETS)


@pytest.mark.parametrize(
    "model, kind",
    [
        ("Qwen/Qwen3-8B", "hybrid"),
        ("qwen3.5:9b", "hybrid"),
        ("Qwen3.6-27B", "hybrid"),
        ("qwen-plus", "hybrid"),
        ("qwen-flash-2025-07-28", "hybrid"),
        ("Qwen/Qwen3-235B-A22B-Instruct-2507", "instruct"),
        ("qwen3-coder-plus", "instruct"),
        ("Qwen/Qwen3-VL-8B-Instruct", "instruct"),
        ("Qwen/Qwen3-235B-A22B-Thinking-2507", "thinking"),
        ("qwq-32b", "thinking"),
        ("Qwen/Qwen2.5-7B-Instruct", None),
        ("gpt-4.1-mini", None),
    ],
)
def test_how_a_qwen_model_thinks(model, kind):
    assert presets.qwen_thinking(model) == kind


def test_a_server_that_ignores_the_switch_is_caught_by_doctor(scripted):
    # A thinking-only model gets no switch; doctor sees the reasoning and says to choose another model.
    import asyncio

    from scripted_server import Step, completion

    from summarize.doctor import diagnose

    scripted.default = lambda seen: Step(body=completion("OK", reasoning_content="Let me think. " * 10))
    scripted.models = ["Qwen/Qwen3-30B-A3B-Thinking-2507"]
    checks = asyncio.run(diagnose(Settings(preset="vllm", base_url=scripted.base_url, cache=False)))
    (thinking,) = [c for c in checks if c.name == "thinking"]
    assert thinking.status == "warn" and "always thinks" in thinking.fix and "Instruct-2507" in thinking.fix
    assert "chat_template_kwargs" not in scripted.chat_requests[0].body
