"""Replaying the online pipeline against stored replies: how a batch job computes its requests.

``replay_article`` runs one article through ``asummarize_article`` / ``atranslate_article`` with
``Replayer`` in place of the ``openai.AsyncOpenAI`` client. For each request the ``ChatClient``
makes, the replayer builds the JSON body the ``openai`` SDK would send (``request_body``) and
looks its ``custom_id`` (the article's id and the body's digest) up among the stored replies:

- a stored reply goes back as a completion, through the client's own cleaning and checks, after
  the request's stored failures: each attempt of the client gets the next one, so it retries
  (and counts attempts) as it did online;
- a failure that is the request's fault (any status but 408/409/429/5xx, as the client retries
  online; a line's status is the one its failure stands for, ``jobs.failed_status``), or a
  retryable one asked too often, goes back as the error body the client maps to the same
  exception as online (a context-length error, so a chunk is split the same way);
- anything else is pending: recorded, and the article stops for this round (``Pending``, a
  ``BaseException`` so that no ``except Exception`` in the pipeline takes it for a failure).

Log records of a replay are held and handed back: a warning shows once, when its article
finishes, not on every round that replays it.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from .config import Settings
from .reply import BodyError, MalformedReply, ReplyReader
from .result import Summary, Translation

# The statuses the online client retries (summarize.client): the rest are the request's fault.
RETRYABLE_STATUS = frozenset({408, 409, 429})


def request_body(create_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The JSON body the ``openai`` SDK sends for ``chat.completions.create(**create_kwargs)``.

    ``extra_body`` is merged into the top level as the SDK does; transport-only arguments are
    dropped, and so is streaming, which no batch engine takes.
    """
    body = {
        k: v
        for k, v in create_kwargs.items()
        if k not in ("extra_body", "extra_headers", "extra_query", "timeout", "stream", "stream_options")
    }
    body.update(create_kwargs.get("extra_body") or {})
    return body


def body_key(body: dict[str, Any]) -> str:
    """A digest of a request body: equal bodies, equal keys, whatever the key order."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def custom_id(article: str, body: dict[str, Any]) -> str:
    """The line's ``custom_id``: the article's id and the body's digest (42 characters)."""
    return f"{article}-{body_key(body)}"


def article_of(cid: str) -> str:
    return cid.split("-", 1)[0]


def retryable(status: int | None) -> bool:
    return status is None or status >= 500 or status in RETRYABLE_STATUS


def asked_again(failures: Sequence[Mapping[str, Any]], retries: int) -> bool:
    """Whether a request with no reply stored and these stored failures (oldest first) is asked
    again in a later round: never asked yet or answered, or its last failure passes (``retryable``)
    and its ``retries`` are not used up, as the online client would send it again. The one rule
    the replay, an import's warning and a job's status all follow."""
    return not failures or (retryable(failures[-1]["status"]) and len(failures) <= retries)


class Pending(BaseException):
    """A request whose reply is not stored yet: the article waits for the next round.

    A BaseException, so that no ``except Exception`` in the pipeline mistakes it for a failure.
    """


class _Wire:
    """A reply body seen through attributes, the way the ``openai`` SDK's objects show it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        if name == "model_extra":
            return self._data
        value = self._data.get(name)
        if isinstance(value, dict) and name != "error":  # the client reads an error body as a dict
            return _Wire(value)
        if isinstance(value, list):
            return [_Wire(v) if isinstance(v, dict) else v for v in value]
        return value


class _Chunks:
    """A whole reply as a one-chunk stream, for a client that streams."""

    def __init__(self, body: dict[str, Any]) -> None:
        choice = (body.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        delta = {k: v for k, v in message.items() if k != "role"}
        self._chunks = [
            _Wire({**body, "object": "chat.completion.chunk",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": choice.get("finish_reason")}]})
        ]

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> _Wire:
        if not self._chunks:
            raise StopAsyncIteration
        return self._chunks.pop(0)


class Replayer:
    """Stands in for ``openai.AsyncOpenAI`` during one article's replay: answers from the store."""

    answered_by = "the batch engine"  # named in messages in place of the job's base URL

    def __init__(
        self,
        article: str,
        replies: Mapping[str, dict[str, Any]],
        failures: Mapping[str, Sequence[dict[str, Any]]],
        retries: int,
    ) -> None:
        self.article = article
        self.replies, self.failures = replies, failures
        self.retries = retries
        self.pending: dict[str, dict[str, Any]] = {}
        self._attempts: dict[str, int] = {}  # attempts answered so far, per custom_id
        self.chat = self
        self.completions = self

    def with_options(self, **_options: Any) -> Replayer:
        return self

    @property
    def with_streaming_response(self) -> _Streaming:
        """``chat.completions.with_streaming_response.create``, for a client that reads raw SSE bytes."""
        return _Streaming(self)

    async def close(self) -> None:  # pragma: no cover - never called: the ChatClient does not own it
        pass

    async def create(self, **kwargs: Any) -> Any:
        answer = self.answer(kwargs)
        if "error" in answer:
            return _Wire({**answer, "choices": None})
        return _Chunks(answer) if kwargs.get("stream") else _Wire(answer)

    def answer(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The stored completion for a request, or the error body of one that failed for good.

        Raises:
            Pending: no reply is stored yet (recorded in ``pending``).
        """
        body = request_body(kwargs)
        cid = custom_id(self.article, body)
        stored = self.replies.get(cid)
        failures = self.failures.get(cid) or []
        if stored is not None:
            # A reply came back after all (two runs of a round imported together): a failure the
            # client does not retry, which online ends the request, cannot have come before it.
            failures = [f for f in failures if retryable(f["status"])]
        if stored is None and asked_again(failures, self.retries):
            self.pending[cid] = body
            raise Pending(cid)
        # The online client's attempts, in order: each stored failure (it retries the retryable
        # ones, as online), then the reply; a request that failed for good ends on its last failure.
        attempt = self._attempts.get(cid, 0)
        if attempt < len(failures) or stored is None:
            self._attempts[cid] = attempt + 1
            failure = failures[min(attempt, len(failures) - 1)]
            if stored is not None or attempt < len(failures) - 1:
                # An attempt the client retries: its status decides that, and its text is never
                # shown; left out, so that a "try again in 20s" in it cannot make the replay sleep.
                return {"error": {"code": failure["status"], "message": f"an earlier attempt failed (HTTP {failure['status']})"}}
            error = failure["error"]
            message = error if isinstance(error, str) else json.dumps(error, ensure_ascii=False)
            return {"error": {"code": failure["status"], "message": message}}
        self._attempts.pop(cid, None)  # an identical request later in the article starts afresh
        return stored


class _Streaming:
    """``with_streaming_response``: the answer as the server-sent events of a streamed reply."""

    def __init__(self, replayer: Replayer) -> None:
        self.replayer = replayer

    def create(self, **kwargs: Any) -> _SSEResponse:
        return _SSEResponse(self.replayer.answer(kwargs))


class _SSEResponse:
    """An async context manager whose ``http_response.aiter_bytes()`` yields the reply as SSE."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.http_response = self
        self._answer = answer

    async def __aenter__(self) -> _SSEResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def aiter_bytes(self) -> Any:
        for event in sse_events(self._answer):
            yield event


def sse_events(answer: dict[str, Any]) -> list[bytes]:
    """A completion as the events a streaming server sends: a delta with the whole message and
    its finish reason, the usage, ``[DONE]``; an error body as one error event."""
    if "error" in answer:
        return [b"data: " + json.dumps({"error": answer["error"]}).encode() + b"\n\n"]
    choice = (answer.get("choices") or [{}])[0]
    head: dict[str, Any] = {k: answer[k] for k in ("id", "created", "model") if k in answer}
    delta = {"index": 0, "delta": dict(choice.get("message") or {}), "finish_reason": choice.get("finish_reason")}
    events = [{**head, "object": "chat.completion.chunk", "choices": [delta]}]
    if answer.get("usage"):
        events.append({**head, "object": "chat.completion.chunk", "choices": [], "usage": answer["usage"]})
    encoded = [b"data: " + json.dumps(e, ensure_ascii=False).encode() + b"\n\n" for e in events]
    return encoded + [b"data: [DONE]\n\n"]


def malformed(body: dict[str, Any]) -> str | None:
    """What the online client would find malformed in a reply body (``choices[0]`` not an
    object, ``message`` not one, ``content`` or ``usage`` of the wrong type), else ``None``.

    ``ReplyReader``, which reads every online reply, is the judge, so a batch job refuses the
    replies an online run refuses; a body that passes converts to events (``sse_events``) safely.
    An error body, or one without choices, is not malformed: it is a failure of its own.
    """
    reader = ReplyReader("", sys.maxsize)
    try:
        reader.feed(json.dumps(body).encode("utf-8"))
        reader.reply()
    except MalformedReply as exc:
        return str(exc)
    except BodyError:  # an error body: not malformed
        pass
    return None


# Log records of the article being replayed: shown once, when the article finishes.
_held: contextvars.ContextVar[list[logging.LogRecord] | None] = contextvars.ContextVar("summarize_held_logs", default=None)


class _HoldLogs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        held = _held.get()
        if held is None:
            return True
        held.append(record)
        return False


hold_logs = _HoldLogs()  # add to the "summarize" logger while replaying


async def replay_article(
    article: dict[str, Any],
    replies: Mapping[str, dict[str, Any]],
    failures: Mapping[str, Sequence[dict[str, Any]]],
    settings: Settings,
    job: Mapping[str, Any],
    retries: int,
) -> dict[str, dict[str, Any]] | tuple[Any, BaseException | None, list[logging.LogRecord]]:
    """One article (``id``, ``text``) through the online pipeline, as the job (``languages``,
    ``translate``, ``glossary``, ``partial``: false for a job that does not say) asks:
    ``(result, error, held log records)`` when it finished, else the pending requests,
    ``{custom_id: body}``, it waits for."""
    from .pipeline import asummarize_article
    from .translate import atranslate_article

    client = Replayer(article["id"], replies, failures, retries)
    held: list[logging.LogRecord] = []
    token = _held.set(held)
    result: Summary | Translation | None = None
    error: BaseException | None = None
    try:
        glossary = job.get("glossary")
        partial = job.get("partial", False)  # a job made before jobs kept it was made without it
        if job["translate"]:
            result = await atranslate_article(
                article["text"], target=job["languages"][0], settings=settings, client=client, glossary=glossary,
                partial=partial,
            )
        else:
            result = await asummarize_article(
                article["text"], languages=job["languages"], settings=settings, client=client, glossary=glossary,
                partial=partial,
            )
    except Pending:
        await _settle()
        return client.pending
    except Exception as exc:  # whatever it was, it was this article's alone (as in summarize.batch)
        error = exc
    finally:
        _held.reset(token)
    return result, error, held


async def _settle() -> None:
    """Let the article's other tasks run to their own end first: a plain ``asyncio.gather`` in
    the pipeline leaves siblings running when one waits, and each may have a request to add."""
    while True:
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if not others:
            return
        await asyncio.gather(*others, return_exceptions=True)
