"""Sending and retrying: the ``openai`` client, the cap on requests in flight, one retry policy.

``openai`` runs with ``max_retries=0``; the one tenacity policy here retries connection
errors, timeouts, 408/409/429 and 5xx, honours ``Retry-After``, and never retries other 4xx.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, TypeVar

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from . import errors
from .config import Settings

T = TypeVar("T")


def sdk() -> Any:
    """The openai package, imported at the first request rather than with ``summarize``: it
    takes about 0.35 s, which ``summarize --version``, ``--help`` and ``--dry-run`` need not pay."""
    import openai

    return openai


class Transport:
    """One endpoint's connection: the ``openai`` client, the cap on requests in flight, retries.

    Args:
        settings: endpoint, timeout and retry settings.
        client: an ``openai.AsyncOpenAI`` or ``openai.OpenAI`` to use instead of building one
            (its own retries are turned off), or another ``Transport`` to share (its cap and
            its connections).
    """

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        self._given = client
        self._client: Any = None
        self.semaphore = asyncio.Semaphore(settings.concurrency)
        if isinstance(client, Transport):
            self.semaphore, self._given = client.semaphore, client.openai()

    def openai(self) -> Any:
        if self._client is None:
            if self._given is not None:
                self._client = self._given.with_options(max_retries=0)
            else:
                self._client = sdk().AsyncOpenAI(
                    base_url=self.settings.base_url,
                    api_key=self.settings.resolved_api_key(),
                    timeout=self.settings.timeout,
                    max_retries=0,
                )
        return self._client

    @property
    def built(self) -> bool:
        return self._client is not None

    async def aclose(self) -> None:
        if self._client is not None and self._given is None:
            await self._client.close()
        self._client = None

    async def call(self, fn: Any, **kwargs: Any) -> Any:
        """``fn(**kwargs)`` of the openai client, in a worker thread when the client is synchronous."""
        if isinstance(self.openai(), sdk().OpenAI):
            return await asyncio.to_thread(fn, **kwargs)
        return await fn(**kwargs)

    # -- retries -----------------------------------------------------------------------------

    def retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, (errors.RateLimitedError, errors.ServerError)):
            # A Retry-After longer than we will wait fails at once rather than sleeping.
            return exc.retry_after is None or exc.retry_after <= self.settings.retry_wait_max
        return isinstance(exc, errors.ConnectionFailedError)

    def wait(self, state: Any) -> float:
        exc = state.outcome.exception()
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, self.settings.retry_wait_max)
        backoff = wait_random_exponential(multiplier=self.settings.retry_backoff, max=self.settings.retry_wait_max)
        return backoff(state)

    async def with_retries(self, once: Callable[[int], Awaitable[T]]) -> T:
        """``once(attempt)`` until it succeeds, fails for good, or the retries run out."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.max_retries + 1),
            wait=self.wait,
            retry=retry_if_exception(self.retryable),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await once(attempt.retry_state.attempt_number)
        raise AssertionError("unreachable")  # pragma: no cover
