"""Presets: the default base URL and the request-shape quirks of the servers people run.

A preset is data only; ``summarize.client.ChatClient.request_options`` reads it when it shapes
a request, and ``Settings`` takes its defaults (base URL, context window, timeout) for settings
nobody set: explicit arguments and environment variables always beat the preset.

How each server turns thinking off (``thinking_off``; sources in docs/presets.md):

- ``chat_template_kwargs``: ``{"chat_template_kwargs": {"enable_thinking": false}}`` in the body
  (vLLM, SGLang, llama.cpp with ``--jinja``), which Qwen3's and Qwen3.5's templates read;
  harmless for templates that do not.
- ``enable_thinking``: a top-level ``"enable_thinking": false`` (DashScope).
- ``reasoning_effort_none``: ``"reasoning_effort": "none"``, which Ollama and LM Studio map to
  their own thinking switch on ``/v1/chat/completions`` (they pass no template arguments, and
  Qwen3.5 ignores the ``/no_think`` soft switch Qwen3 had); sent to hybrid Qwen models only.
- ``reasoning_effort``: the lowest ``reasoning_effort`` for reasoning models (OpenAI's o-series
  and gpt-5); they reason anyway, but less.
- ``model``: the server has no switch; thinking is a choice of model (DeepSeek, xAI).

Qwen3-2507 comes as separate models with no switch: ``-Instruct-2507`` (like Qwen3-Coder) never
thinks and ``-Thinking-2507`` (like QwQ) always does, and DashScope refuses
``enable_thinking: false`` for the thinking-only ones with a 400; nothing is sent for any of
them (``qwen_thinking``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import ConfigError

# OpenAI's reasoning models reject max_tokens and any temperature but the default.
_OPENAI_REASONING = re.compile(r"^(o\d|gpt-5)")
_QWEN3 = re.compile(r"qwen3")
# DashScope's aliases of its hybrid Qwen3 models.
_DASHSCOPE_HYBRID = re.compile(r"^qwen-(plus|flash|turbo)")

HYBRID, INSTRUCT, THINKING = "hybrid", "instruct", "thinking"


def qwen_thinking(model: str) -> str | None:
    """How a Qwen model thinks: ``hybrid`` (a switch turns it off: Qwen3, Qwen3.5), ``instruct``
    (never thinks: Qwen3-2507 Instruct, Qwen3-Coder), ``thinking`` (always does: Qwen3-2507
    Thinking, QwQ), or ``None`` for a model that is not one of these."""
    name = model.lower()
    if "qwq" in name:
        return THINKING
    if _QWEN3.search(name):
        if "thinking" in name:
            return THINKING
        if "2507" in name or "instruct" in name or "coder" in name:
            return INSTRUCT
        return HYBRID
    return HYBRID if _DASHSCOPE_HYBRID.match(name) else None


@dataclass(frozen=True)
class Preset:
    """One server's defaults and quirks.

    Attributes:
        name: what ``--preset`` / ``SUMMARIZE_PRESET`` takes.
        base_url: the default endpoint.
        context_tokens: the context window to assume, or ``None`` for the library default (the
            server decides; ``summarize doctor`` reports what it says).
        thinking_off: how thinking is turned off (see the module docstring).
        reasoning_field: where reasoning comes back when the model thinks.
        max_tokens_param: ``max_tokens`` or ``max_completion_tokens``.
        stream_options: whether ``stream_options`` is accepted (for streaming callers).
        timeout: seconds per request; local servers on a CPU need long ones.
        note: one line for the README table.
    """

    name: str
    base_url: str
    context_tokens: int | None
    thinking_off: str
    reasoning_field: str
    max_tokens_param: str = "max_tokens"
    stream_options: bool = True
    timeout: float = 120.0
    note: str = ""
    hosts: tuple[str, ...] = ()  # other host names of the same service (regions)

    def is_reasoning_model(self, model: str) -> bool:
        """A model that reasons whatever we ask, and takes no temperature (OpenAI's o-series, gpt-5)."""
        return self.thinking_off == "reasoning_effort" and bool(_OPENAI_REASONING.match(model.lower()))

    def thinking_options(self, model: str) -> dict:
        """Body fields (beyond the standard ones) that turn thinking off for ``model``."""
        kind = qwen_thinking(model)
        if kind in (INSTRUCT, THINKING):
            return {}  # no switch to send: thinking or not is the model itself
        if self.thinking_off == "chat_template_kwargs":
            return {"chat_template_kwargs": {"enable_thinking": False}}
        if self.thinking_off == "enable_thinking" and kind == HYBRID:
            # DashScope rejects the field (400) for a model that always thinks (deepseek-r1,
            # kimi-k2-thinking): sent only where it is a switch.
            return {"enable_thinking": False}
        if self.thinking_off == "reasoning_effort_none" and kind == HYBRID:
            return {"reasoning_effort": "none"}
        if self.thinking_off == "reasoning_effort" and self.is_reasoning_model(model):
            return {"reasoning_effort": "low"}
        return {}


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "openai",
            base_url="https://api.openai.com/v1",
            context_tokens=128000,
            thinking_off="reasoning_effort",
            reasoning_field="not returned",
            max_tokens_param="max_completion_tokens",
            note="o-series and gpt-5 get no `temperature` (they reject one)",
        ),
        Preset(
            "dashscope",
            base_url="https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
            context_tokens=131072,
            thinking_off="enable_thinking",
            reasoning_field="`reasoning_content`",
            note="Alibaba Cloud Model Studio (international); key in `SUMMARIZE_API_KEY`",
            hosts=("dashscope.aliyuncs.com",),
        ),
        Preset(
            "deepseek",
            base_url="https://api.deepseek.com/v1",
            context_tokens=131072,
            thinking_off="model",
            reasoning_field="`reasoning_content`",
            note="`deepseek-chat` does not think; `deepseek-reasoner` does",
        ),
        Preset(
            "xai",
            base_url="https://api.x.ai/v1",
            context_tokens=131072,
            thinking_off="model",
            reasoning_field="`reasoning_content` (grok-3-mini); hidden for Grok 4",
            note="pick a non-reasoning Grok model to avoid thinking",
        ),
        Preset(
            "vllm",
            base_url="http://localhost:8000/v1",
            context_tokens=None,
            thinking_off="chat_template_kwargs",
            reasoning_field="`reasoning_content` or `reasoning`",
            timeout=600.0,
            note="reasoning is separated with `--reasoning-parser`, else inline `<think>`",
        ),
        Preset(
            "sglang",
            base_url="http://localhost:30000/v1",
            context_tokens=None,
            thinking_off="chat_template_kwargs",
            reasoning_field="`reasoning_content`",
            timeout=600.0,
            note="reasoning is separated with `--reasoning-parser`, else inline `<think>`",
        ),
        Preset(
            "llamacpp",
            base_url="http://localhost:8080/v1",
            context_tokens=None,
            thinking_off="chat_template_kwargs",
            reasoning_field="`reasoning_content` (`--reasoning-format`), else inline `<think>`",
            timeout=600.0,
            note="`llama-server --jinja` reads `chat_template_kwargs`; the context is `-c` (`summarize doctor` reads it)",
        ),
        Preset(
            "ollama",
            base_url="http://localhost:11434/v1",
            context_tokens=4096,
            thinking_off="reasoning_effort_none",
            reasoning_field="`reasoning`, or inline `<think>`",
            stream_options=True,
            timeout=600.0,
            note="Ollama cuts prompts at 4096 tokens unless `OLLAMA_CONTEXT_LENGTH` or `num_ctx` says more",
        ),
        Preset(
            "lmstudio",
            base_url="http://localhost:1234/v1",
            context_tokens=4096,
            thinking_off="reasoning_effort_none",
            reasoning_field="`reasoning_content`, or inline `<think>`",
            stream_options=True,
            timeout=600.0,
            note="the context is what the model was loaded with (4096 by default)",
        ),
    )
}


def get(name: str | None) -> Preset | None:
    """The preset called ``name`` (``None`` for none).

    Raises:
        ConfigError: no preset has that name; the message lists the valid ones.
    """
    if name is None:
        return None
    try:
        return PRESETS[name.strip().lower()]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; valid: {', '.join(PRESETS)}") from None


def for_request(name: str | None, base_url: str) -> Preset | None:
    """The preset that shapes requests: the named one, else the hosted service ``base_url`` is on.

    Local servers are never guessed from a URL (any of them may listen on any port).
    """
    if name is not None:
        return get(name)
    host = (urlsplit(base_url).hostname or "").rstrip(".")  # lowercased; "api.openai.com." is the same host
    for preset in PRESETS.values():
        preset_host = urlsplit(preset.base_url).hostname
        if preset_host != "localhost" and host in (preset_host, *preset.hosts):
            return preset
    return None


def markdown_table() -> str:
    """The README table of presets."""
    rows = [
        "| preset | default base URL | context | thinking off | reasoning comes back in | token limit | stream_options | timeout | note |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    switch = {
        "chat_template_kwargs": "`chat_template_kwargs: {enable_thinking: false}`",
        "enable_thinking": "top-level `enable_thinking: false`",
        "reasoning_effort_none": "`reasoning_effort: none` (Qwen3, Qwen3.5)",
        "reasoning_effort": "`reasoning_effort: low` (reasoning models)",
        "model": "choose a non-thinking model",
    }
    for p in PRESETS.values():
        rows.append(
            f"| `{p.name}` | `{p.base_url}` | {p.context_tokens or 'server decides (8192 assumed)'} | "
            f"{switch[p.thinking_off]} | {p.reasoning_field} | `{p.max_tokens_param}` | "
            f"{'yes' if p.stream_options else 'no'} | {p.timeout:g} s | {p.note} |"
        )
    return "\n".join(rows)


# What each server honours against repetition loops, as request-body fields (checked in the
# servers' docs, 2026):
# - llama.cpp's llama-server (tools/server/README.md): `repeat_penalty` (default 1.1, over
#   `repeat_last_n` = 64 tokens), `presence_penalty` and `frequency_penalty` (default 0 = off),
#   and the DRY sampler (`dry_multiplier`, off at 0), all read from the chat request body.
# - vLLM (docs "OpenAI-Compatible Server", extra parameters): `repetition_penalty` is an extra
#   sampling parameter (1.0 = off) beside the standard `frequency_penalty`/`presence_penalty`;
#   SGLang takes the same three.
# - Ollama (docs "OpenAI compatibility", supported request fields): `frequency_penalty` and
#   `presence_penalty` only; its own `repeat_penalty` is not read on /v1. LM Studio: the same
#   standard pair.
# - DashScope compatible-mode: `presence_penalty` (-2..2; Qwen's model cards advise it against
#   repetition, and it is supported from Qwen1.5 on); `repetition_penalty` is a DashScope-native
#   parameter, not relied on here.
# - OpenAI: `frequency_penalty`/`presence_penalty`; its reasoning models reject both.
# Values stay mild: a summary repeats names and figures legitimately, and a strong frequency
# penalty pushes small models into odd synonyms. On llama.cpp DRY goes alone: it penalizes only
# a repeated run of tokens, while a frequency or repeat penalty also hits the words and stops
# every sentence needs. Measured on the reference server (Qwen2.5-Coder-1.5B, summaries of three
# loop-prone articles and notes on the 21k one), replies that looped or ran to the token limit:
# DRY alone 2 of 16, repeat_penalty 1.15 with DRY 4 of 8, frequency_penalty 0.5 5 of 10,
# nothing 3 of 9. So a re-ask carries it, but a first request does not: over a corpus run with
# DRY on every first request too, 3 of 8 summaries needed a re-ask (2 ran to their limit),
# against 1 of 8 in the run before it without.
_REPETITION: dict[str, dict[str, float]] = {
    "llamacpp": {"dry_multiplier": 0.8},
    "vllm": {"repetition_penalty": 1.1, "frequency_penalty": 0.3},
    "sglang": {"repetition_penalty": 1.1, "frequency_penalty": 0.3},
    "ollama": {"frequency_penalty": 0.5, "presence_penalty": 0.3},
    "lmstudio": {"frequency_penalty": 0.5, "presence_penalty": 0.3},
    "dashscope": {"presence_penalty": 1.0},
    "openai": {"frequency_penalty": 0.5},
    "deepseek": {"frequency_penalty": 0.5},
    "xai": {"frequency_penalty": 0.5},
}
# No preset: the OpenAI-standard field every server above reads.
_REPETITION_DEFAULT = {"frequency_penalty": 0.5}


def server_of(owned_by: object = None, timings: object = None) -> str | None:
    """The server software a ``/models`` entry's ``owned_by`` or a reply's fields reveal, when
    they do: llama.cpp's llama-server owns its models as ``llamacpp`` and times every reply
    (``timings``), which no other server here sends."""
    if owned_by == "llamacpp" or isinstance(timings, dict):
        return "llamacpp"
    return None


def repetition_options(preset: Preset | None, model: str, server: str | None = None) -> dict:
    """Request-body fields that discourage repetition loops, the way ``preset``'s server reads them.

    With no preset, ``server`` names the server when its replies have told (``server_of``);
    otherwise the OpenAI-standard field goes. Standard and server-specific fields alike: send
    them through ``extra_body``, which puts them at the top level of the request body.
    """
    if preset is None:
        return dict(_REPETITION.get(server or "", _REPETITION_DEFAULT))
    if preset.is_reasoning_model(model):
        return {}  # OpenAI's reasoning models reject the penalties
    return dict(_REPETITION.get(preset.name, _REPETITION_DEFAULT))
