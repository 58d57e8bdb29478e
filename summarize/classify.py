"""Classifying a failure into the error tree of ``summarize.errors``.

One small function decides which ``EndpointError`` a status, a body and a message make
(``Classifier.classify``); the rest turn what ``openai`` raised, or an error a server put in
an HTTP 200 body, into its arguments. Messages say what to do next and never hold the key.
"""

from __future__ import annotations

import email.utils
import re
import time
from typing import Any

from . import errors
from .config import Settings

_CONTEXT_PATTERNS = (
    "context_length_exceeded",
    "exceed_context_size",
    "maximum context length",
    "context length",
    "context size",
    "context window",
    "too many tokens",
    "input is too large",
    "prompt is too long",
    "range of input length",
)
_LIMIT_PATTERNS = (
    re.compile(r"maximum context length is (\d+)", re.IGNORECASE),
    re.compile(r"context (?:size|window|length) (?:of |is )?\(?(\d+)", re.IGNORECASE),
    re.compile(r"range of input length should be \[\d+, *(\d+)\]", re.IGNORECASE),
)
_REQUESTED_PATTERNS = (
    re.compile(r"['\"]n_prompt_tokens['\"]\s*:\s*(\d+)"),
    re.compile(r"resulted in (\d+) tokens", re.IGNORECASE),
    re.compile(r"(\d+) in the messages", re.IGNORECASE),
    re.compile(r"requested (\d+) tokens", re.IGNORECASE),
    re.compile(r"(\d+) input tokens", re.IGNORECASE),  # vLLM: "your request has 5000 input tokens"
)
RETRYABLE_STATUS = frozenset({408, 409, 429})


def context_limit(text: str) -> int | None:
    """The context window a server states in its error text, when it states one."""
    match = re.search(r"['\"]n_ctx['\"]\s*:\s*(\d+)", text)
    if match:
        return int(match.group(1))
    for pattern in _LIMIT_PATTERNS:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def requested_tokens(text: str) -> int | None:
    """The prompt size a server states in its context-length error, when it states one."""
    for pattern in _REQUESTED_PATTERNS:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def is_context_error(text: str) -> bool:
    lower = text.lower()
    return any(p in lower for p in _CONTEXT_PATTERNS)


def retry_after(exc: BaseException) -> float | None:
    """Seconds a response's ``Retry-After`` (or ``retry-after-ms``) asks to wait, when it asks."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _body_text(body: object) -> str:
    return str(body) if body is not None else ""


class Classifier:
    """Maps failures at one endpoint (``base_url``) to ``EndpointError`` subclasses."""

    def __init__(self, settings: Settings, base_url: str) -> None:
        self.settings = settings
        self.base_url = base_url

    def redact(self, text: str) -> str:
        """``text`` without the API key (servers that echo a refused key in full exist)."""
        key = self.settings.api_key
        return text.replace(key, "***") if key and len(key) >= 8 else text

    def where(self, model: str | None, attempt: int, status: int | None) -> dict[str, Any]:
        return {"status": status, "base_url": self.base_url, "model": model, "attempts": attempt}

    def body_error(self, error: Any, model: str, attempt: int) -> errors.EndpointError:
        """An error a server sent in an HTTP 200 body."""
        if isinstance(error, dict):
            code, message = error.get("code"), str(error.get("message") or error)
        else:
            code, message = getattr(error, "code", None), str(error or "the reply had no choices")
        status = code if isinstance(code, int) else (int(code) if str(code).isdigit() else None)
        return self.classify(status, message, code, None, model, attempt)

    def exception(self, exc: Any, model: str | None, attempt: int, sdk: Any) -> errors.EndpointError:
        """What ``openai`` (module ``sdk``) raised, as an ``EndpointError``."""
        if isinstance(exc, sdk.APIError) and self.redact(exc.message) != exc.message:
            # The original travels on as __cause__ and prints in tracebacks: redact it too.
            exc.message = self.redact(exc.message)
            exc.args = (exc.message,)
        if isinstance(exc, sdk.APITimeoutError):
            return errors.ConnectionFailedError(
                f"the request timed out after {self.settings.timeout:g} s; raise SUMMARIZE_TIMEOUT for slow local models",
                **self.where(model, attempt, None),
            )
        if isinstance(exc, sdk.APIConnectionError):
            return errors.ConnectionFailedError(
                f"could not connect or the connection dropped ({exc}); is the server running at SUMMARIZE_BASE_URL?",
                **self.where(model, attempt, None),
            )
        if isinstance(exc, sdk.APIStatusError):
            body = exc.body
            code = body.get("code") if isinstance(body, dict) else None
            etype = body.get("type") if isinstance(body, dict) else None
            text = f"{exc.message} {_body_text(body)} {etype or ''}"
            return self.classify(exc.status_code, text, code, retry_after(exc), model, attempt)
        return errors.EndpointError(f"{type(exc).__name__}: {exc}", **self.where(model, attempt, None))

    def classify(
        self, status: int | None, text: str, code: Any, retry_after: float | None, model: str | None, attempt: int
    ) -> errors.EndpointError:
        """The error a status, an error text and a code make."""
        where = self.where(model, attempt, status)
        lower = text.lower()
        short = self.redact(text).strip()[:300]
        wait_max = self.settings.retry_wait_max
        if is_context_error(text):
            limit = context_limit(text)
            if limit and limit < self.settings.context_tokens:
                advice = (
                    f"the server's window is {limit} tokens, smaller than SUMMARIZE_CONTEXT_TOKENS="
                    f"{self.settings.context_tokens}: set SUMMARIZE_CONTEXT_TOKENS={limit} or give the server more"
                )
            else:
                advice = "lower SUMMARIZE_CHUNK_TOKENS or SUMMARIZE_OUTPUT_TOKENS"
            return errors.ContextLengthError(
                f"the request is longer than the model's context window; {advice}: {short}",
                limit=limit,
                requested=requested_tokens(text),
                **where,
            )
        if "data_inspection_failed" in lower or "content_filter" in lower or "content management policy" in lower:
            return errors.ContentFilteredError(f"the provider's content filter refused the text: {short}", **where)
        if status == 429 or code == "rate_limit_exceeded":
            if retry_after is not None and retry_after > wait_max:
                message = (
                    f"rate limited: the endpoint asks to wait {retry_after:g} s, more than "
                    f"SUMMARIZE_RETRY_WAIT_MAX={wait_max:g}; try again later or lower SUMMARIZE_CONCURRENCY"
                )
            else:
                message = f"rate limited; lower SUMMARIZE_CONCURRENCY or try again later: {short}"
            return errors.RateLimitedError(message, retry_after=retry_after, **where)
        if status in (401, 403):
            return errors.AuthenticationError(
                f"the endpoint refused the key; check SUMMARIZE_API_KEY (or OPENAI_API_KEY): {short}", **where
            )
        names_model = "model" in lower
        if "model_not_found" in lower or (names_model and (status == 404 or "not found" in lower)):
            hint = f"pull it first (ollama pull {model or 'NAME'}) or " if "pull" in lower else ""
            return errors.ModelNotFoundError(
                f"the endpoint does not serve this model; {hint}set SUMMARIZE_MODEL to a model it lists: {short}",
                **where,
            )
        if status == 404:
            # No model named: the path itself is wrong, e.g. a base URL without its /v1.
            return errors.BadRequestError(
                f"the endpoint has no such path; check SUMMARIZE_BASE_URL (OpenAI-compatible servers "
                f"usually serve under /v1): {short}",
                **where,
            )
        if status is not None and (status >= 500 or status in RETRYABLE_STATUS):
            advice = "try again later or raise SUMMARIZE_MAX_RETRIES"
            if retry_after is not None and retry_after > wait_max:
                advice = f"it asks to wait {retry_after:g} s, more than SUMMARIZE_RETRY_WAIT_MAX={wait_max:g}; try again later"
            return errors.ServerError(
                f"the endpoint failed (overloaded, still loading the model, or crashed); {advice}: {short}",
                retry_after=retry_after,
                **where,
            )
        return errors.BadRequestError(f"the endpoint rejected the request: {short}", **where)
