"""The only module that talks to the endpoint (and the only ``openai`` import).

It builds the client, sends one chat request at a time under a concurrency cap, owns the
retries (``openai`` runs with ``max_retries=0``; one tenacity policy here), maps every failure
to an error in ``summarize.errors``, and removes ``<think>`` reasoning from replies.

A reply cut at the token limit raises ``TruncatedOutputError`` (never a silently short text),
unless ``on_truncation="keep"`` asks for the cut text, flagged, instead.
A reply whose usage counts far fewer prompt tokens than were sent (a server that cut the prompt
to its context window) logs one warning per client on the ``summarize`` logger, naming the fix;
logging rather than ``warnings``, so an application routes it with the rest of its logs.

Request shapes follow the configured preset, else the hosted service the base URL points at
(``summarize.presets.for_request``); complete replies are kept
in and answered from the response cache (``summarize.cache``) unless ``cache=False``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from . import errors, presets
from .cache import ResponseCache
from .config import Settings
from .tokens import tokenizer_for

if TYPE_CHECKING:
    import openai

log = logging.getLogger("summarize")


def _sdk() -> Any:
    """The openai package, imported at the first request rather than with ``summarize``: it
    takes about 0.35 s, which ``summarize --version``, ``--help`` and ``--dry-run`` need not pay."""
    import openai

    return openai


def http_client(timeout: float) -> Any:
    """An HTTP client with the openai SDK's own defaults, for the few requests outside its API
    (``summarize doctor``'s probes): the same proxies and TLS from the environment, and the same
    redirect rule (followed, and ``Authorization`` dropped on a redirect to another origin)."""
    return _sdk().DefaultAsyncHttpxClient(timeout=timeout)


_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
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
_RETRYABLE_STATUS = frozenset({408, 409, 429})


def strip_think(text: str | None) -> str:
    """Remove reasoning a model put inline: ``<think>…</think>`` blocks (empty ones too),
    an unclosed leading ``<think>`` (the reply was all reasoning), and reasoning before a stray
    ``</think>`` (templates that open the block in the prompt)."""
    if not text:
        return ""
    text = _THINK_BLOCK.sub("", text)
    lower = text.lower()
    if "</think>" in lower:
        text = text[lower.rindex("</think>") + len("</think>") :]
    stripped = text.lstrip()
    if stripped.lower().startswith("<think>"):
        return ""
    return text.strip()


@dataclass(frozen=True)
class Reply:
    """One chat completion, cleaned."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None
    model: str | None
    reasoning: str | None = None  # what the model thought, in a reasoning field or inline <think>
    cached: bool = False  # answered from the response cache, no request sent
    timings: dict | None = None  # llama.cpp's own measurement of the request (prompt_per_second, ...)

    @property
    def truncated(self) -> bool:
        """The reply stopped at its token limit."""
        return self.finish_reason == "length"


_CACHED_FIELDS = ("text", "prompt_tokens", "completion_tokens", "finish_reason", "model")


def _body_text(body: object) -> str:
    return str(body) if body is not None else ""


def _retry_after(exc: BaseException) -> float | None:
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


_REQUESTED_PATTERNS = (
    re.compile(r"['\"]n_prompt_tokens['\"]\s*:\s*(\d+)"),
    re.compile(r"resulted in (\d+) tokens", re.IGNORECASE),
    re.compile(r"(\d+) in the messages", re.IGNORECASE),
    re.compile(r"requested (\d+) tokens", re.IGNORECASE),
    re.compile(r"(\d+) input tokens", re.IGNORECASE),  # vLLM: "your request has 5000 input tokens"
)


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


class ChatClient:
    """Sends chat requests for one run: at most ``settings.concurrency`` in flight.

    Args:
        settings: endpoint, model and retry settings.
        client: an ``openai.AsyncOpenAI`` or ``openai.OpenAI`` to use instead of building one
            (its own retries are turned off: retries have one owner, here).
    """

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        self._given = client
        self._client: Any = None
        self._semaphore = asyncio.Semaphore(settings.concurrency)
        self._warned_truncation = False
        self.prompt_cut = ""  # what the last prompt-cut finding was, for the result's flags
        self.preset = presets.for_request(settings.preset, settings.base_url)
        self._cache = ResponseCache(settings.cache_dir) if settings.cache else None
        # Called with every usable reply (the CLI's progress); a shared client's hook is inherited.
        self.on_reply: Callable[[Reply], None] | None = None
        if isinstance(client, ChatClient):
            # Runs sharing one ChatClient (a batch) share its cap on requests in flight and its connections.
            self._semaphore, self._given = client._semaphore, client._openai()
            self.on_reply = client.on_reply
        self.requests = 0
        self.replies: list[Reply] = []  # every reply this client returned, cached ones included

    # -- lifecycle ---------------------------------------------------------------------------

    def _openai(self) -> Any:
        if self._client is None:
            if self._given is not None:
                self._client = self._given.with_options(max_retries=0)
            else:
                self._client = _sdk().AsyncOpenAI(
                    base_url=self.settings.base_url,
                    api_key=self.settings.resolved_api_key(),
                    timeout=self.settings.timeout,
                    max_retries=0,
                )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._given is None:
            await self._client.close()
        self._client = None

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    # -- calls -------------------------------------------------------------------------------

    async def _call_sync_or_async(self, fn: Any, **kwargs: Any) -> Any:
        if isinstance(self._openai(), _sdk().OpenAI):
            return await asyncio.to_thread(fn, **kwargs)
        return await fn(**kwargs)

    async def list_models(self) -> list[str]:
        """Model ids from ``GET /models``."""

        async def once(attempt: int) -> list[str]:
            try:
                page = await self._call_sync_or_async(self._openai().models.list)
            except _sdk().OpenAIError as exc:
                raise self._map_error(exc, None, attempt) from exc
            return [m.id for m in page.data]

        return await self._with_retries(once)

    async def resolve_model(self) -> str:
        """The configured model, or the only one the endpoint lists."""
        if self.settings.model:
            return self.settings.model
        models = await self.list_models()
        if len(models) == 1:
            log.debug("using the only model %s lists: %s", self.base_url, models[0])
            return models[0]
        listed = ", ".join(models[:10]) + (", ..." if len(models) > 10 else "")
        raise errors.ConfigError(
            f"SUMMARIZE_MODEL is not set and {self.base_url} lists {len(models)} models"
            + (f" ({listed})" if models else "")
            + ": set SUMMARIZE_MODEL to the one to use"
        )

    def request_options(self, model: str, max_tokens: int) -> dict[str, Any]:
        """Generation parameters for ``model`` (besides messages), shaped by the preset in force."""
        preset = self.preset
        if preset is not None:
            options = {"model": model, preset.max_tokens_param: max_tokens}
            if not preset.is_reasoning_model(model):
                options["temperature"] = self.settings.temperature
            thinking = preset.thinking_options(model)
            return {**options, "extra_body": thinking} if thinking else options
        options: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "temperature": self.settings.temperature}
        if "qwen3" in model.lower():
            # Thinking costs output tokens and leaks into summaries; ask for it off, the way
            # vLLM, SGLang and llama.cpp read it (harmless elsewhere).
            options["extra_body"] = {"chat_template_kwargs": {"enable_thinking": False}}
        return options

    async def chat(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        max_tokens: int | None = None,
        allow_truncated: bool = False,
        penalize_repetition: bool = False,
    ) -> Reply:
        """One chat completion with retries; the reply with ``<think>`` removed.

        With ``allow_truncated`` a reply cut at the token limit is returned (never cached) for
        the caller to judge, instead of raising ``TruncatedOutputError``; ``penalize_repetition``
        adds the repetition control the server honours.

        Raises:
            EndpointError: a subclass saying what failed, after retries where retrying helps.
        """
        limit = max_tokens or self.settings.output_tokens
        options = self.request_options(model, limit)
        if penalize_repetition:
            options = {**options, **presets.repetition_options(self.preset, model)}
        cache = self._cache
        key = cache.key(self.base_url, messages, options) if cache else ""
        hit = cache.get(key) if cache else None
        if hit is not None:
            log.debug("reply from the response cache (%s)", key[:12])
            return self._deliver(Reply(**{name: hit.get(name) for name in _CACHED_FIELDS}, cached=True))

        async def once(attempt: int) -> Reply:
            async with self._semaphore:
                self.requests += 1
                log.debug("request %d to %s: %d messages, attempt %d", self.requests, self.base_url, len(messages), attempt)
                try:
                    completion = await self._call_sync_or_async(
                        self._openai().chat.completions.create, messages=messages, **options
                    )
                except _sdk().OpenAIError as exc:
                    raise self._map_error(exc, model, attempt) from exc
            return self._reply(completion, model, attempt)

        reply = await self._with_retries(once)
        if reply.finish_reason == "length" and reply.text and allow_truncated:
            return self._deliver(reply)  # the caller judges it; never cached
        if reply.finish_reason == "length" and reply.text and self.settings.on_truncation == "keep":
            log.warning("the reply hit the %d-token limit and is kept cut (on_truncation=keep)", limit)
            return self._deliver(reply)  # never cached: a cut reply is not an answer worth replaying
        if reply.finish_reason == "length":
            spent = "thinking" if not reply.text else "writing"
            raise errors.TruncatedOutputError(
                f"the reply hit the {limit}-token limit while {spent} and is incomplete; raise "
                "SUMMARIZE_OUTPUT_TOKENS" + (" or turn thinking off for this model" if not reply.text else ""),
                **self._where(model, 1, None),
            )
        if reply.finish_reason == "content_filter":
            raise errors.ContentFilteredError(
                "the provider's content filter stopped the reply; the article may touch a topic it "
                "blocks: try another model or endpoint",
                **self._where(model, 1, None),
            )
        if not reply.text:
            raise errors.EndpointError("the model returned an empty reply", **self._where(model, 1, None))
        cut = self._check_prompt_tokens(messages, reply)
        if cache and not cut:  # a reply to a cut prompt would outlive the fix
            cache.put(key, {name: getattr(reply, name) for name in _CACHED_FIELDS})
        return self._deliver(reply)

    def _deliver(self, reply: Reply) -> Reply:
        self.replies.append(reply)
        if self.on_reply is not None:
            self.on_reply(reply)
        return reply

    @property
    def truncated(self) -> bool:
        """Some reply was cut at the token limit and kept (``on_truncation="keep"``)."""
        return any(r.finish_reason == "length" for r in self.replies)

    def answering_model(self, default: str) -> str:
        """The model name the server reported, else ``default``."""
        return next((r.model for r in self.replies if r.model), default)

    def _check_prompt_tokens(self, messages: list[dict[str, str]], reply: Reply) -> bool:
        """Warn (once per client, through logging) when the server counted far fewer prompt tokens than we sent;
        returns whether it did, and says so in ``prompt_cut`` (the result's flags read it).

        Ollama cuts a prompt longer than its ``num_ctx`` without an error and reports what it
        kept. Qwen's BPE counts Chinese lower than any other tokenizer, so a server count
        under half of Qwen's count means text was dropped, not tokenized more efficiently.
        """
        if reply.prompt_tokens is None:
            return False
        if reply.prompt_tokens * 2 >= sum(len(m["content"]) for m in messages):
            return False  # Qwen needs at most about a token per character: no need to tokenize the request
        qwen = tokenizer_for(None, "qwen")
        sent = sum(qwen.count(m["content"]) for m in messages)
        if reply.prompt_tokens * 2 >= sent:
            return False
        self.prompt_cut = f"{self.base_url} counted {reply.prompt_tokens} prompt tokens of about {sent} sent"
        if self._warned_truncation:
            return True
        self._warned_truncation = True
        log.warning(
            "%s counted %d prompt tokens, but the request held about %d: the server is probably cutting "
            "prompts to a smaller context window (Ollama does so silently at num_ctx) and the summary "
            "misses text. Raise the server's context (Ollama: num_ctx, or OLLAMA_CONTEXT_LENGTH) to "
            "SUMMARIZE_CONTEXT_TOKENS=%d, or set SUMMARIZE_CONTEXT_TOKENS to the window the server has.",
            self.base_url,
            reply.prompt_tokens,
            sent,
            self.settings.context_tokens,
        )
        return True

    def _reply(self, completion: Any, model: str, attempt: int) -> Reply:
        error = getattr(completion, "error", None) or (getattr(completion, "model_extra", None) or {}).get("error")
        choices = getattr(completion, "choices", None)
        if error or not choices:
            # Some servers answer HTTP 200 with an error body (a 429 among them).
            raise self._map_body_error(error, model, attempt)
        choice = choices[0]
        usage = getattr(completion, "usage", None)
        text = strip_think(choice.message.content)
        extra = getattr(choice.message, "model_extra", None) or {}
        raw = choice.message.content or ""
        # What strip_think removed, less the tags (an empty <think></think> is not reasoning).
        inline = re.sub(r"</?think>", "", raw.replace(text, "", 1) if text else raw, flags=re.IGNORECASE).strip()
        timings = (getattr(completion, "model_extra", None) or {}).get("timings")  # llama.cpp's
        return Reply(
            text=text,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            finish_reason=choice.finish_reason,
            model=getattr(completion, "model", None) or model,
            reasoning=extra.get("reasoning_content") or extra.get("reasoning") or inline or None,
            timings=timings if isinstance(timings, dict) else None,
        )

    # -- retries -----------------------------------------------------------------------------

    def _retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, (errors.RateLimitedError, errors.ServerError)):
            # A Retry-After longer than we will wait fails at once rather than sleeping.
            return exc.retry_after is None or exc.retry_after <= self.settings.retry_wait_max
        return isinstance(exc, errors.ConnectionFailedError)

    def _wait(self, state: Any) -> float:
        exc = state.outcome.exception()
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, self.settings.retry_wait_max)
        backoff = wait_random_exponential(multiplier=self.settings.retry_backoff, max=self.settings.retry_wait_max)
        return backoff(state)

    async def _with_retries(self, once: Any) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(self._retryable),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await once(attempt.retry_state.attempt_number)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- error mapping -----------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        """``text`` without the API key (servers that echo a refused key in full exist)."""
        key = self.settings.api_key
        return text.replace(key, "***") if key and len(key) >= 8 else text

    def _where(self, model: str | None, attempt: int, status: int | None) -> dict[str, Any]:
        return {"status": status, "base_url": self.base_url, "model": model, "attempts": attempt}

    def _map_body_error(self, error: Any, model: str, attempt: int) -> errors.EndpointError:
        if isinstance(error, dict):
            code, message = error.get("code"), str(error.get("message") or error)
        else:
            code, message = getattr(error, "code", None), str(error or "the reply had no choices")
        status = code if isinstance(code, int) else (int(code) if str(code).isdigit() else None)
        return self._classify(status, message, code, None, model, attempt)

    def _map_error(self, exc: openai.OpenAIError, model: str | None, attempt: int) -> errors.EndpointError:
        if isinstance(exc, _sdk().APIError) and self._redact(exc.message) != exc.message:
            # The original travels on as __cause__ and prints in tracebacks: redact it too.
            exc.message = self._redact(exc.message)
            exc.args = (exc.message,)
        if isinstance(exc, _sdk().APITimeoutError):
            return errors.ConnectionFailedError(
                f"the request timed out after {self.settings.timeout:g} s; raise SUMMARIZE_TIMEOUT for slow local models",
                **self._where(model, attempt, None),
            )
        if isinstance(exc, _sdk().APIConnectionError):
            return errors.ConnectionFailedError(
                f"could not connect or the connection dropped ({exc}); is the server running at SUMMARIZE_BASE_URL?",
                **self._where(model, attempt, None),
            )
        if isinstance(exc, _sdk().APIStatusError):
            body = exc.body
            code = body.get("code") if isinstance(body, dict) else None
            etype = body.get("type") if isinstance(body, dict) else None
            text = f"{exc.message} {_body_text(body)} {etype or ''}"
            return self._classify(exc.status_code, text, code, _retry_after(exc), model, attempt)
        return errors.EndpointError(f"{type(exc).__name__}: {exc}", **self._where(model, attempt, None))

    def _classify(
        self, status: int | None, text: str, code: Any, retry_after: float | None, model: str | None, attempt: int
    ) -> errors.EndpointError:
        where = self._where(model, attempt, status)
        lower = text.lower()
        short = self._redact(text).strip()[:300]
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
            if retry_after is not None and retry_after > self.settings.retry_wait_max:
                message = (
                    f"rate limited: the endpoint asks to wait {retry_after:g} s, more than "
                    f"SUMMARIZE_RETRY_WAIT_MAX={self.settings.retry_wait_max:g}; try again later or lower SUMMARIZE_CONCURRENCY"
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
        if status is not None and (status >= 500 or status in _RETRYABLE_STATUS):
            advice = "try again later or raise SUMMARIZE_MAX_RETRIES"
            if retry_after is not None and retry_after > self.settings.retry_wait_max:
                advice = (
                    f"it asks to wait {retry_after:g} s, more than SUMMARIZE_RETRY_WAIT_MAX="
                    f"{self.settings.retry_wait_max:g}; try again later"
                )
            return errors.ServerError(
                f"the endpoint failed (overloaded, still loading the model, or crashed); {advice}: {short}",
                retry_after=retry_after,
                **where,
            )
        return errors.BadRequestError(f"the endpoint rejected the request: {short}", **where)
