"""One chat call for a run: the cache, the request shape and the truncation policy.

``ChatClient`` is what the pipelines call. It shapes each request (the configured preset,
else the hosted service the base URL points at: ``summarize.presets.for_request``), answers
from the response cache (``summarize.cache``) unless ``cache=False``, and decides what a
finished reply means: a reply cut at the token limit raises ``TruncatedOutputError`` (never a
silently short text), unless ``on_truncation="keep"`` asks for the cut text, flagged, instead.
A reply whose usage counts far fewer prompt tokens than were sent (a server that cut the prompt
to its context window) logs one warning per client on the ``summarize`` logger, naming the fix;
logging rather than ``warnings``, so an application routes it with the rest of its logs.

The work is split along its seams:

- ``summarize.transport``: sending and retrying (the only ``openai`` import, the cap on
  requests in flight, the one retry policy);
- ``summarize.reply``: the shape and cleaning of a reply (validation, ``<think>`` removal);
- ``summarize.classify``: a failure, classified into the error tree of ``summarize.errors``.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from . import errors, presets
from .cache import ResponseCache
from .classify import Classifier, context_limit, is_context_error, requested_tokens
from .config import Settings
from .reply import CACHED_FIELDS, Reply, body_error, from_completion, strip_think
from .tokens import tokenizer_for
from .transport import Transport, sdk

__all__ = ["ChatClient", "Reply", "strip_think", "context_limit", "is_context_error", "requested_tokens"]

log = logging.getLogger("summarize")


class ChatClient:
    """Sends chat requests for one run: at most ``settings.concurrency`` in flight.

    Args:
        settings: endpoint, model and retry settings.
        client: an ``openai.AsyncOpenAI`` or ``openai.OpenAI`` to use instead of building one
            (its own retries are turned off: retries have one owner, ``summarize.transport``),
            or another ``ChatClient`` whose cap on requests in flight and connections to share.
    """

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        self._warned_truncation = False
        self.preset = presets.for_request(settings.preset, settings.base_url)
        self._cache = ResponseCache(settings.cache_dir) if settings.cache else None
        # Called with every usable reply (the CLI's progress); a shared client's hook is inherited.
        self.on_reply: Callable[[Reply], None] | None = None
        if isinstance(client, ChatClient):
            # Runs sharing one ChatClient (a batch) share its cap on requests in flight and its connections.
            self.transport = Transport(settings, client.transport)
            self.on_reply = client.on_reply
        else:
            self.transport = Transport(settings, client)
        self.errors = Classifier(settings, self.base_url)
        self.requests = 0
        self.replies: list[Reply] = []  # every reply this client returned, cached ones included

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def _client(self) -> Any:
        """The openai client once built (``None`` before the first request)."""
        return self.transport._client

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    # -- calls -------------------------------------------------------------------------------

    async def list_models(self) -> list[str]:
        """Model ids from ``GET /models``."""

        async def once(attempt: int) -> list[str]:
            try:
                page = await self.transport.call(self.transport.openai().models.list)
            except sdk().OpenAIError as exc:
                raise self.errors.exception(exc, None, attempt, sdk()) from exc
            return [m.id for m in page.data]

        return await self.transport.with_retries(once)

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

    async def chat(self, messages: list[dict[str, str]], *, model: str, max_tokens: int | None = None) -> Reply:
        """One chat completion with retries; the reply with ``<think>`` removed.

        Raises:
            EndpointError: a subclass saying what failed, after retries where retrying helps.
        """
        limit = max_tokens or self.settings.output_tokens
        options = self.request_options(model, limit)
        suffix = self.preset.system_suffix(model) if self.preset else ""
        if suffix and messages and messages[0]["role"] == "system":
            messages = [{**messages[0], "content": f"{messages[0]['content']}\n{suffix}"}, *messages[1:]]
        cache = self._cache
        key = cache.key(self.base_url, messages, options) if cache else ""
        hit = cache.get(key) if cache else None
        if hit is not None:
            log.debug("reply from the response cache (%s)", key[:12])
            return self._deliver(Reply(**{name: hit.get(name) for name in CACHED_FIELDS}, cached=True))

        async def once(attempt: int) -> Reply:
            async with self.transport.semaphore:
                self.requests += 1
                log.debug("request %d to %s: %d messages, attempt %d", self.requests, self.base_url, len(messages), attempt)
                try:
                    completion = await self.transport.call(
                        self.transport.openai().chat.completions.create, messages=messages, **options
                    )
                except sdk().OpenAIError as exc:
                    raise self.errors.exception(exc, model, attempt, sdk()) from exc
            error = body_error(completion)
            if error is not None:
                # Some servers answer HTTP 200 with an error body (a 429 among them).
                raise self.errors.body_error(error, model, attempt)
            return from_completion(completion, model)

        reply = await self.transport.with_retries(once)
        if reply.finish_reason == "length" and reply.text and self.settings.on_truncation == "keep":
            log.warning("the reply hit the %d-token limit and is kept cut (on_truncation=keep)", limit)
            return self._deliver(reply)  # never cached: a cut reply is not an answer worth replaying
        if reply.finish_reason == "length":
            spent = "thinking" if not reply.text else "writing"
            raise errors.TruncatedOutputError(
                f"the reply hit the {limit}-token limit while {spent} and is incomplete; raise "
                "SUMMARIZE_OUTPUT_TOKENS" + (" or turn thinking off for this model" if not reply.text else ""),
                **self.errors.where(model, 1, None),
            )
        if reply.finish_reason == "content_filter":
            raise errors.ContentFilteredError(
                "the provider's content filter stopped the reply; the article may touch a topic it "
                "blocks: try another model or endpoint",
                **self.errors.where(model, 1, None),
            )
        if not reply.text:
            raise errors.EndpointError("the model returned an empty reply", **self.errors.where(model, 1, None))
        self._check_prompt_tokens(messages, reply)
        if cache:
            cache.put(key, {name: getattr(reply, name) for name in CACHED_FIELDS})
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

    def _check_prompt_tokens(self, messages: list[dict[str, str]], reply: Reply) -> None:
        """Warn (once per client, through logging) when the server counted far fewer prompt tokens than we sent.

        Ollama cuts a prompt longer than its ``num_ctx`` without an error and reports what it
        kept. Qwen's BPE counts Chinese lower than any other tokenizer, so a server count
        under half of Qwen's count means text was dropped, not tokenized more efficiently.
        """
        if reply.prompt_tokens is None or self._warned_truncation:
            return
        if reply.prompt_tokens * 2 >= sum(len(m["content"]) for m in messages):
            return  # Qwen needs at most about a token per character: no need to tokenize the request
        qwen = tokenizer_for(None, "qwen")
        sent = sum(qwen.count(m["content"]) for m in messages)
        if reply.prompt_tokens * 2 >= sent:
            return
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
