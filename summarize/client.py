"""One chat call for a run: the cache, the request shape and the truncation policy.

``ChatClient`` is what the pipelines call. It shapes each request (the configured preset,
else the hosted service the base URL points at: ``summarize.presets.for_request``), answers
from the response cache (``summarize.cache``) unless ``cache=False``, and decides what a
finished reply means: a reply cut at the token limit raises ``TruncatedOutputError`` (never a
silently short text), unless ``on_truncation="keep"`` asks for the cut text, flagged, instead;
a reply whose finish_reason does not mean a complete answer (``summarize.reply.ending``: vLLM's
"abort", a tool call, a value not known) is an error, never kept or cached.
A reply whose usage counts far fewer prompt tokens than were sent (a server that cut the prompt
to its context window) logs one warning per client on the ``summarize`` logger, naming the fix;
logging rather than ``warnings``, so an application routes it with the rest of its logs.

The work is split along its seams:

- ``summarize.transport``: sending and retrying (the only ``openai`` import, the cap on
  requests in flight, the one retry policy);
- ``summarize.reply``: the shape and cleaning of a reply (validation, streaming assembly,
  ``<think>`` removal, the size cap);
- ``summarize.classify``: a failure, classified into the error tree of ``summarize.errors``.
"""

from __future__ import annotations

import dataclasses

import logging
from collections.abc import Iterable
from typing import Any, Callable

from . import errors, presets
from .cache import ResponseCache
from .classify import Classifier, context_limit, is_context_error, requested_tokens
from .config import Settings, holds_userinfo
from .keysentences import parameters_in_listing
from .reply import CACHED_FIELDS, BodyError, MalformedReply, NotAnAPI, Reply, ReplyReader, ReplyTooLarge, StreamCut, ending, holds_markup, max_reply_bytes, read_listing, strip_think
from .result import Usage
from .text import printable
from .tokens import tokenizer_for
from .transport import Closed, Deadline, Silence, StatusBodyLost, Transport, Undecodable, sdk

__all__ = ["ChatClient", "Reply", "strip_think", "context_limit", "is_context_error", "requested_tokens"]

log = logging.getLogger("summarize")


def usable_ids(ids: Iterable[object]) -> list[str]:
    """The model ids of a ``/models`` listing a run can ask for: the strings (an entry without
    one is skipped, never ``str()``-ed into "None"). ``summarize doctor`` reads a listing by it too."""
    return [i for i in ids if isinstance(i, str)]


def _complete_answer(hit: dict[str, Any] | None, quoted: bool = False) -> dict[str, Any] | None:
    """A cached reply as the reply cleaning and the finish_reason rules of today read it, or
    ``None`` when they do not take it for a complete answer: a cache written by an older version
    may hold a fragment (finish_reason "abort") or a chat template's tokens. ``quoted``: the
    request writes reasoning tags as text (``reply.split_reasoning``). Its text and model name
    are made ``printable`` as a live reply's are: a damaged or tampered cache file must not
    send a terminal's escape sequences through the output either."""
    if hit is None:
        return None
    reason = hit.get("finish_reason")
    text = strip_think(hit.get("text"), quoted)
    text = printable(text) if text else text
    if not text or not (reason is None or isinstance(reason, str)) or ending(reason) != "complete":
        log.debug("a cached reply that is no complete answer is asked for again (finish_reason %r)", reason)
        return None
    model = hit.get("model")
    return {**hit, "text": text, "model": printable(model) if isinstance(model, str) else None}


def _client_base_url(client: Any) -> str | None:
    """The base URL an ``openai`` client passed in sends to (it decides, not the settings)."""
    url = getattr(client, "base_url", None)
    return str(url).rstrip("/") if url else None


def _listed_parameters(entry: dict[str, Any]) -> float | None:
    """The parameter count a ``/models`` entry states: llama.cpp's ``meta.n_params``."""
    return parameters_in_listing(entry.get("meta")) if isinstance(entry.get("id"), str) else None


class _CallbackFailed(Exception):
    """An exception of ``on_text``, carried out of the transport (where a ``BrokenPipeError``
    would read as the connection dropping) to be raised as it is."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class ChatClient:
    """Sends chat requests for one run through one ``Transport`` (requests in flight, retries).

    Args:
        settings: endpoint, model and retry settings.
        client: an ``openai.AsyncOpenAI`` or ``openai.OpenAI`` to use instead of building one
            (its own retries are turned off: retries have one owner, ``summarize.transport``);
            its base URL is the one the cache key, the request shape and error messages use.
            Or another ``ChatClient``, whose transport (requests in flight, rate-limit pauses,
            connections) to share, as a batch does.

    Counters for the run: ``requests`` (requests sent; a retried one counts once; cache hits
    not at all), ``attempts`` (HTTP attempts, retries included) and ``cache_hits``.
    """

    def __init__(self, settings: Settings, client: Any = None) -> None:
        shared = client if isinstance(client, ChatClient) else None
        base_url = shared.base_url if shared else _client_base_url(client)
        if base_url and not shared and holds_userinfo(base_url):
            # Refused as base_url= is, without quoting it: every message names the base URL.
            raise errors.ConfigError(
                "client= sends to a base URL that holds a user name or password (user:password@host): it would be "
                "printed in messages and logs; build the client without it, with the key as its api_key"
            )
        if base_url and base_url != settings.base_url.rstrip("/"):
            if not shared and not settings.origin("base_url"):
                # Both given in code, and they disagree: the client would win without a word.
                raise errors.ConfigError(
                    f"client= sends to {base_url}, but base_url= says {settings.base_url}: pass one of "
                    "them (the client decides where requests go)"
                )
            settings = settings.replace(base_url=base_url)
        given_key = getattr(client, "api_key", None) if client is not None and not shared else None
        if isinstance(given_key, str) and settings.api_key and settings.api_key != given_key and not settings.origin("api_key"):
            # As for the base URL: the client's key is the one sent, and api_key= was dropped without a word.
            raise errors.ConfigError(
                "client= carries its own API key, and api_key= gives another: pass one of them "
                "(the client's key is the one sent)"
            )
        self.settings = settings
        self._warned_truncation = False
        self.preset = presets.for_request(settings.preset, settings.base_url)
        self._cache = ResponseCache(settings.cache_dir) if settings.cache else None
        # Called with every usable reply (the CLI's progress); a shared client's hook is inherited.
        self.on_reply: Callable[[Reply], None] | None = shared.on_reply if shared else None
        try:
            self.transport: Transport = Transport(settings, shared.transport if shared else client)
        except Closed as exc:  # a ChatClient closed by its owner, passed on as client=
            raise errors.ConfigError(str(exc)) from None
        # Who answers when it is not the endpoint: a batch import replays an engine's stored replies.
        answered_by = shared.answered_by if shared else getattr(client, "answered_by", None)
        self.answered_by: str | None = answered_by if isinstance(answered_by, str) else None
        # A failure a batch engine wrote is its own, not the job's base URL's (never contacted).
        self.errors = Classifier(
            settings, self.answered_by or self.base_url, local=self.transport.local,
            keys=(given_key,) if isinstance(given_key, str) else (),
        )
        self.requests = 0
        self.attempts = 0
        self.cache_hits = 0
        self.replies: list[Reply] = []  # every reply this client returned, cached ones included
        self.received: list[Reply] = []  # every reply that came over the network, returned or not
        self._kept_cut = False
        self.prompt_cut = ""  # what the last prompt-cut finding was, for the result's flags
        if not shared and settings.api_key and settings.base_url.lower().startswith("http://") and not settings.is_local:
            # A key over plain http to another machine is read by anyone on the way.
            log.warning(
                "the API key is sent unencrypted to %s (http://, not https://): anyone on the network path can read "
                "it; use https:// unless that network is yours", self.base_url,
            )

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
                # The body, read here (reply.read_listing): openai's parsing of what is not a
                # listing failed with its own internals, or found a listing of no models in it.
                answer = await self.transport.call(self.transport.openai().models.with_raw_response.list)
                entries = [e for e in read_listing(answer.text) if isinstance(e, dict)]
                for entry in entries:
                    self.transport.learned_server(presets.server_of(owned_by=entry.get("owned_by")))
                    size = _listed_parameters(entry)
                    if size is not None:
                        self.transport.learned_parameters(entry["id"], size)
                return usable_ids(entry.get("id") for entry in entries)
            except NotAnAPI as exc:
                raise self.errors.not_an_api(exc.page, None, attempt, "GET /models") from exc
            except MalformedReply as exc:
                raise self.errors.malformed_listing(str(exc), attempt) from exc
            except BodyError as exc:
                raise self.errors.body_error(exc.error, None, attempt) from exc
            except sdk().OpenAIError as exc:
                raise self.errors.exception(exc, None, attempt, sdk()) from exc
            except Deadline as exc:
                raise self.errors.overdue(self.transport.deadline, None, attempt, "GET /models") from exc
            except errors.SummarizeError:
                raise  # the library's own (no API key set: a ConfigError, which is a ValueError too)
            except (ValueError, TypeError, AttributeError) as exc:
                raise self.errors.malformed(f"GET /models: {type(exc).__name__}: {exc}", "", attempt) from exc

        return await self.errors.scrubbed(self.transport.with_retries(once))

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

    def request_options(self, model: str, max_tokens: int, *, penalize_repetition: bool = False) -> dict[str, Any]:
        """Generation parameters for ``model`` (besides messages), shaped by the preset in force.

        Server-specific fields (thinking switches, repetition controls) travel in ``extra_body``,
        which ``openai`` merges into the top level of the request body.
        """
        preset = self.preset
        extra: dict[str, Any] = {}
        if preset is not None:
            options: dict[str, Any] = {"model": model, preset.max_tokens_param: max_tokens}
            if not preset.is_reasoning_model(model):
                options["temperature"] = self.settings.temperature
            extra.update(preset.thinking_options(model))
        else:
            options = {"model": model, "max_tokens": max_tokens, "temperature": self.settings.temperature}
            if "qwen3" in model.lower():
                # Thinking costs output tokens and leaks into summaries; ask for it off, the way
                # vLLM, SGLang and llama.cpp read it (harmless elsewhere).
                extra["chat_template_kwargs"] = {"enable_thinking": False}
        if penalize_repetition:
            # Without a preset, the server software a listing or a reply named picks the control.
            extra.update(presets.repetition_options(preset, model, self.transport.server))
        return {**options, "extra_body": extra} if extra else options

    def stream_options(self) -> dict[str, Any]:
        """Request fields asking for a streamed reply, with usage in its last event where the server takes it."""
        if self.preset is not None and not self.preset.stream_options:
            return {"stream": True}
        return {"stream": True, "stream_options": {"include_usage": True}}

    async def chat(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        max_tokens: int | None = None,
        allow_truncated: bool = False,
        penalize_repetition: bool = False,
        on_text: Callable[[str], None] | None = None,
    ) -> Reply:
        """One chat completion, streamed, with retries; the reply with ``<think>`` removed.

        Args:
            messages: the chat messages.
            model: the model to ask.
            max_tokens: the reply's token limit; default ``SUMMARIZE_OUTPUT_TOKENS``.
            allow_truncated: return a reply cut at the token limit (``reply.truncated``) instead
                of raising ``TruncatedOutputError``, so the caller can judge it; such a reply is
                never cached and logs no warning.
            penalize_repetition: add the repetition control the server honours
                (``summarize.presets.repetition_options``), for a re-ask after a loop.
            on_text: called with each piece of reply text (``<think>`` removed) as it streams
                in (from a worker thread when the client passed in is a sync ``openai.OpenAI``);
                a retried attempt starts again from its first piece.

        Raises:
            EndpointError: a subclass saying what failed, after retries where retrying helps.
                ``TruncatedOutputError`` for a cut reply, unless ``allow_truncated`` or
                ``on_truncation="keep"`` (which keeps a cut reply that has text, with a warning).
        """
        limit = max_tokens or self.settings.output_tokens
        options = self.request_options(model, limit, penalize_repetition=penalize_repetition)
        cache = self._cache
        # The key holds what shapes the answer, not how it travels (streamed or not).
        key = cache.key(self.base_url, messages, options) if cache else ""
        if cache is None:
            return await self._answer(messages, model, limit, options, "", allow_truncated, on_text)
        # Another run asking the same meanwhile waits for this one's reply, and reads it stored.
        async with cache.claim(key):
            return await self._answer(messages, model, limit, options, key, allow_truncated, on_text)

    async def _answer(
        self,
        messages: list[dict[str, str]],
        model: str,
        limit: int,
        options: dict[str, Any],
        key: str,
        allow_truncated: bool,
        on_text: Callable[[str], None] | None,
    ) -> Reply:
        """``chat``'s reply: from the cache under ``key`` ("" without a cache), else asked for."""
        cache = self._cache if key else None
        # An article that writes </think> as text: a reply carrying it over keeps it as text.
        quoted = any(holds_markup(m.get("content") or "") for m in messages)
        hit = _complete_answer(cache.get(key), quoted) if cache else None
        if hit is not None:
            log.debug("reply from the response cache (%s)", key[:12])
            self.cache_hits += 1
            reply = Reply(**{name: hit.get(name) for name in CACHED_FIELDS}, cached=True, attempts=0, cache_key=key)  # type: ignore[arg-type]
            # What the reply told of the server, as a live one would: a re-ask's repetition
            # control (and so its cache key) depends on it.
            self.transport.learned_server(hit.get("server") if isinstance(hit.get("server"), str) else None)
            if on_text is not None and reply.text:
                on_text(reply.text)
            return self._deliver(reply)
        body = {"messages": messages, **options, **self.stream_options()}
        max_bytes = max_reply_bytes(limit)
        shown = False  # an attempt's text reached on_text: a retry must say that it starts over

        def showing(piece: str) -> None:
            nonlocal shown
            shown = True
            if on_text is not None:
                try:
                    on_text(piece)
                except Exception as exc:  # the caller's failure, not the server's: never retried
                    raise _CallbackFailed(exc) from exc

        async def once(attempt: int) -> Reply:
            nonlocal shown
            if shown:
                # The terminal holds the broken-off text of the last attempt: a warning puts
                # this one on a line of its own (the CLI ends the line before a log line).
                log.warning("the reply broke off after part of it was shown; asking for it again from the start")
                shown = False
            async with self.transport.gate.slot():
                self.attempts += 1
                if attempt == 1:
                    self.requests += 1
                log.debug("request %d to %s: %d messages, attempt %d", self.requests, self.base_url, len(messages), attempt)
                reader = ReplyReader(model, max_bytes, showing if on_text is not None else None, quoted=quoted)
                try:
                    await self.transport.post(body, reader.feed)
                    reply = reader.reply(attempt)
                except sdk().OpenAIError as exc:
                    raise self.errors.exception(exc, model, attempt, sdk()) from exc
                except ReplyTooLarge as exc:
                    raise self.errors.too_large(exc.limit, limit, model, attempt) from exc
                except NotAnAPI as exc:
                    raise self.errors.not_an_api(exc.page, model, attempt) from exc
                except MalformedReply as exc:
                    raise self.errors.malformed(str(exc), model, attempt) from exc
                except StreamCut as exc:
                    raise self.errors.cut_short(model, attempt) from exc
                except Undecodable as exc:
                    raise self.errors.malformed(f"its body does not decode as its Content-Encoding says: {exc}", model, attempt) from exc
                except BodyError as exc:
                    # Some servers answer HTTP 200 with an error body (a 429 among them), or end a stream with one.
                    raise self.errors.body_error(exc.error, model, attempt) from exc
                except Deadline as exc:
                    raise self.errors.overdue(self.transport.deadline, model, attempt) from exc
                except Silence as exc:
                    raise self.errors.silent(model, attempt) from exc
                except StatusBodyLost as exc:
                    raise self.errors.status_only(exc, model, attempt) from exc
                except Closed as exc:
                    raise self.errors.closed(str(exc), model, attempt) from exc
                except ConnectionError as exc:
                    if reader.size:  # the server answered and was streaming: no "is a server running?"
                        raise self.errors.cut_short(model, attempt, str(exc)) from exc
                    raise self.errors.dropped(str(exc), model, attempt) from exc
            self.received.append(reply)  # its tokens were spent, whatever it is worth
            self.transport.learned_server(presets.server_of(timings=reply.timings))
            end = reply.end
            if end in ("failed", "tool", "unknown"):
                # Neither a complete answer nor one cut at the limit that the caller may judge: a
                # fragment, raised here so that the retry policy sees it (one the server gave up on is retried).
                raise self.errors.unfinished(reply.finish_reason or "", end, model, attempt)
            return reply

        try:
            reply = await self.errors.scrubbed(self.transport.with_retries(once))
        except _CallbackFailed as failed:
            # on_text raised (a BrokenPipeError from a client gone away): as it is, after one
            # request. Inside the transport it passed for a dropped connection, asked four times.
            raise failed.error from None
        where = self.errors.where(model, reply.attempts, None)
        if reply.truncated:
            if allow_truncated and reply.text:
                return self._deliver(reply)  # the caller judges it; never cached
            # A reply that spent its whole limit thinking has nothing to judge: say so now.
            return self._deliver(self.kept_cut(reply, limit, model))  # never cached: a cut reply is no answer to replay
        if reply.end == "filtered":
            raise errors.ContentFilteredError(
                "the provider's content filter stopped the reply; the article may touch a topic it "
                "blocks: try another model or endpoint",
                **where,
            )
        if not reply.text and reply.reasoning:
            raise errors.EmptyReplyError(
                "the model's reply held only its reasoning (thinking), no answer: turn thinking off for this "
                "model (see Presets in the README), or use a model that answers after thinking",
                **where,
            )
        if not reply.text:
            raise errors.EmptyReplyError(reply.declined or self._empty(reply), **where)
        cut = self._check_prompt_tokens(messages, reply)
        if cache and not cut:  # a reply to a cut prompt would outlive the fix
            server = presets.server_of(timings=reply.timings)
            cache.put(key, {**{name: getattr(reply, name) for name in CACHED_FIELDS}, **({"server": server} if server else {})})
            reply = dataclasses.replace(reply, cache_key=key)
        return self._deliver(reply)

    @staticmethod
    def _empty(reply: Reply) -> str:
        """Why a reply with no text (and no reasoning) may have come back, and what to do."""
        spent = reply.completion_tokens
        said = f"finish_reason {reply.finish_reason!r}" + (f", {spent} output tokens" if spent is not None else "")
        thinking = (
            "a reasoning model may have spent its output thinking where this server does not send it: turn "
            "thinking off for this model (see Presets in the README) or raise SUMMARIZE_OUTPUT_TOKENS"
        )
        server = (
            "the server or its chat template may have ended the turn at once: check the server's log and that "
            "it serves this model with its own chat template, or try another model"
        )
        # Tokens spent with nothing to show point at hidden thinking; none spent at the server.
        causes = (thinking, server) if spent is None or spent > 2 else (server, thinking)
        return f"the model returned an empty reply ({said}); {causes[0]}; or {causes[1]}"

    def forget(self, reply: Reply) -> None:
        """Take ``reply`` out of the response cache: the run judged it unusable (a loop, the wrong
        language) and flagged what it kept, so the next run, or ``--redo-flagged``, asks again
        rather than replaying it."""
        if self._cache is not None and reply.cache_key:
            self._cache.drop(reply.cache_key)

    def kept_cut(self, reply: Reply, limit: int, model: str) -> Reply:
        """A reply of ``model`` cut at ``limit``, kept with a warning under ``on_truncation="keep"``
        when it has text (for a caller that asked with ``allow_truncated`` and found no better use).

        Raises:
            TruncatedOutputError: otherwise.
        """
        if reply.text and self.settings.on_truncation == "keep":
            log.warning("the reply hit the %d-token limit and is kept cut (on_truncation=keep)", limit)
            self._kept_cut = True
            return reply
        # A limit below the cap is the size of the text asked for: raising the cap changes nothing.
        capped = limit >= self.settings.output_tokens
        if not reply.text:
            advice = "turn thinking off for this model" + (" or raise SUMMARIZE_OUTPUT_TOKENS" if capped else (
                " (each reply's limit is sized to the text asked for, with no room for thinking)"))
        else:
            advice = "raise SUMMARIZE_OUTPUT_TOKENS" if capped else "set SUMMARIZE_ON_TRUNCATION=keep to keep it, flagged"
        raise errors.TruncatedOutputError(
            f"the reply hit the {limit}-token limit while {'writing' if reply.text else 'thinking'} and is "
            f"incomplete; {advice}",
            **self.errors.where(model, reply.attempts, None),
        )

    def usage(self) -> Usage:
        """Requests, attempts, cache hits and tokens of this client's run so far."""
        return Usage.total(self.received, requests=self.requests, attempts=self.attempts, cache_hits=self.cache_hits)

    def _deliver(self, reply: Reply) -> Reply:
        self.replies.append(reply)
        if self.on_reply is not None:
            self.on_reply(reply)
        return reply

    @property
    def truncated(self) -> bool:
        """Some reply was cut at the token limit and kept (``on_truncation="keep"``)."""
        return self._kept_cut

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
        where = self.answered_by or self.base_url
        self.prompt_cut = f"{where} counted {reply.prompt_tokens} prompt tokens of about {sent} sent"
        if self._warned_truncation:
            return True
        self._warned_truncation = True
        log.warning(
            "%s counted %d prompt tokens, but the request held about %d: %s is probably cutting prompts to a smaller "
            "context window%s and the summary misses text. %s.",
            where, reply.prompt_tokens, sent, "it" if self.answered_by else "the server",
            "" if self.answered_by else " (Ollama does so silently at num_ctx)", self.prompt_cut_fix(),
        )
        return True

    def prompt_cut_fix(self) -> str:
        """What to do when the server cuts prompts (``prompt_cut``): the one wording, for the
        run's warning and ``summarize doctor``'s check."""
        context = self.settings.context_tokens
        if self.answered_by:  # the job's settings are fixed: another context means another job
            return (
                "Raise the engine's context (vllm run-batch: --max-model-len), or export the articles as a new job "
                f"(another --out) with SUMMARIZE_CONTEXT_TOKENS set to the window it has (this job's is {context})"
            )
        return (
            f"Raise the server's context (Ollama: num_ctx, or OLLAMA_CONTEXT_LENGTH) to SUMMARIZE_CONTEXT_TOKENS={context}, "
            "or set SUMMARIZE_CONTEXT_TOKENS to the window the server has"
        )
