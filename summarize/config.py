"""Settings: one frozen object, built from explicit arguments > environment variables > defaults.

Nothing here runs at import time, and nothing here talks to the network.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ConfigError

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Local servers accept any key, but the openai package refuses to send none.
PLACEHOLDER_API_KEY = "no-key-needed"


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise ValueError
    return value


def _url(text: str) -> str:
    text = text.strip()
    if not text.startswith(("http://", "https://")) or len(text) < 10:
        raise ValueError
    return text.rstrip("/")


def _text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError
    return text


@dataclass(frozen=True)
class _Spec:
    env: str
    parse: Callable[[str], Any]
    valid: str
    fallback_env: str | None = None


# The one home of every setting's environment variable, parser and description of valid values.
_SPECS: dict[str, _Spec] = {
    "base_url": _Spec("SUMMARIZE_BASE_URL", _url, "an http:// or https:// URL", "OPENAI_BASE_URL"),
    "api_key": _Spec("SUMMARIZE_API_KEY", _text, "a non-empty key", "OPENAI_API_KEY"),
    "model": _Spec("SUMMARIZE_MODEL", _text, "a model name the endpoint serves"),
    "context_tokens": _Spec("SUMMARIZE_CONTEXT_TOKENS", _positive_int, "a positive integer, e.g. 8192"),
    "chunk_tokens": _Spec("SUMMARIZE_CHUNK_TOKENS", _positive_int, "a positive integer, e.g. 1500"),
    "output_tokens": _Spec("SUMMARIZE_OUTPUT_TOKENS", _positive_int, "a positive integer, e.g. 1024"),
    "concurrency": _Spec("SUMMARIZE_CONCURRENCY", _positive_int, "a positive integer, e.g. 4"),
    "timeout": _Spec("SUMMARIZE_TIMEOUT", _positive_float, "a positive number of seconds, e.g. 120"),
    "max_retries": _Spec("SUMMARIZE_MAX_RETRIES", _non_negative_int, "a whole number >= 0, e.g. 3"),
    "retry_backoff": _Spec("SUMMARIZE_RETRY_BACKOFF", _non_negative_float, "a number of seconds >= 0, e.g. 1"),
    "retry_wait_max": _Spec("SUMMARIZE_RETRY_WAIT_MAX", _non_negative_float, "a number of seconds >= 0, e.g. 60"),
    "temperature": _Spec("SUMMARIZE_TEMPERATURE", _non_negative_float, "a number >= 0, e.g. 0.2"),
    "tokenizer": _Spec("SUMMARIZE_TOKENIZER", _text, "auto, qwen, qwen3.5, conservative or a tiktoken encoding name"),
}


@dataclass(frozen=True)
class Settings:
    """Everything that shapes requests. Build with ``Settings.from_env()`` or directly.

    Args:
        base_url: the OpenAI-compatible endpoint, e.g. ``http://localhost:11434/v1``.
        api_key: the key; local servers need none (a placeholder is sent).
        model: the model name; ``None`` asks the endpoint's ``/models`` and takes the only one.
        context_tokens: the model's context window.
        chunk_tokens: most article tokens in one map request; ``None`` derives it from the
            context window, the output reserve and the prompt size.
        output_tokens: most tokens of each reply (also reserved out of the context window).
        concurrency: most requests in flight at once.
        timeout: seconds per request.
        max_retries: retries after the first attempt, for retryable failures only.
        retry_backoff: first backoff in seconds; doubles each retry, with jitter.
        retry_wait_max: the longest single wait; a ``Retry-After`` above it fails at once.
        temperature: sampling temperature.
        tokenizer: how tokens are counted; ``auto`` picks by model (see ``summarize.tokens``).
    """

    base_url: str = OPENAI_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    model: str | None = None
    context_tokens: int = 8192
    chunk_tokens: int | None = None
    output_tokens: int = 1024
    concurrency: int = 4
    timeout: float = 120.0
    max_retries: int = 3
    retry_backoff: float = 1.0
    retry_wait_max: float = 60.0
    temperature: float = 0.2
    tokenizer: str = "auto"

    def __post_init__(self) -> None:
        for name, spec in _SPECS.items():
            value = getattr(self, name)
            if value is None and name in ("api_key", "model", "chunk_tokens"):
                continue
            try:
                parsed = spec.parse(str(value))
            except (TypeError, ValueError):
                raise ConfigError(f"{name} must be {spec.valid}, got {value!r}") from None
            if isinstance(value, bool) or (isinstance(parsed, int) and not isinstance(value, int)):
                raise ConfigError(f"{name} must be {spec.valid}, got {value!r}")
            object.__setattr__(self, name, parsed)
        if self.output_tokens >= self.context_tokens:
            raise ConfigError(
                f"output_tokens ({self.output_tokens}) must be smaller than context_tokens "
                f"({self.context_tokens}); set SUMMARIZE_OUTPUT_TOKENS lower or SUMMARIZE_CONTEXT_TOKENS higher"
            )

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{f.name}={'***' if f.name == 'api_key' and self.api_key else getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
        )
        return f"Settings({fields})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``SUMMARIZE_*`` variables (falling back to ``OPENAI_*`` where noted), then apply overrides.

        Raises:
            ConfigError: a variable is malformed; the message names it and what would be valid.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, spec in _SPECS.items():
            raw, source = env.get(spec.env), spec.env
            if (raw is None or raw == "") and spec.fallback_env:
                raw, source = env.get(spec.fallback_env), spec.fallback_env
            if raw is None or raw == "":
                continue
            try:
                values[name] = spec.parse(raw)
            except ValueError:
                raise ConfigError(f"{source} must be {spec.valid}, got {raw!r}") from None
        return cls(**values).replace(**overrides)

    def replace(self, **overrides: Any) -> Settings:
        """A copy with some settings changed; unknown names raise ``ConfigError``."""
        unknown = sorted(set(overrides) - set(_SPECS))
        if unknown:
            raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; valid: {', '.join(_SPECS)}")
        return dataclasses.replace(self, **overrides) if overrides else self

    @property
    def is_openai(self) -> bool:
        return self.base_url.rstrip("/") == OPENAI_BASE_URL

    def resolved_api_key(self) -> str:
        """The key to send: the configured one, or a placeholder for endpoints other than OpenAI's."""
        if self.api_key:
            return self.api_key
        if self.is_openai:
            raise ConfigError(
                "No API key for OpenAI: set SUMMARIZE_API_KEY (or OPENAI_API_KEY), "
                "or point SUMMARIZE_BASE_URL at a local server"
            )
        return PLACEHOLDER_API_KEY


def env_variable(name: str) -> str:
    """The environment variable that sets ``name`` (for messages elsewhere)."""
    return _SPECS[name].env
