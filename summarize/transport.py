"""Sending and retrying: the ``openai`` client, the requests in flight, one retry policy.

- One attempt (``Transport.post``) streams the reply into a ``summarize.reply.ReplyReader``.
  ``SUMMARIZE_TIMEOUT`` bounds silence (connecting, and every wait for the next bytes); a
  deadline of ``DEADLINE_FACTOR`` times it bounds the whole attempt, so a server dripping a
  byte a second cannot hold a request for ever. A reply larger than its token limit can
  produce is cut off (``ReplyTooLarge``).
- Retries have one owner: ``openai`` runs with ``max_retries=0`` and the tenacity policy here
  retries connection errors, timeouts, 408/409/429 and 5xx and never other 4xx. Each wait is
  exponential from ``SUMMARIZE_RETRY_BACKOFF`` (the first near it), never shorter than a
  ``Retry-After``, and jittered upwards so that retries told the same ``Retry-After`` spread.
- A request that timed out at a local server (loopback or private address) is not sent again:
  the server is most likely still working on it, and a second copy would only queue behind it.
- The status line is the server's answer: when it arrives and the connection dies before the
  error body (``StatusBodyLost``), the status alone decides (a 400 is not sent again, a 503 is
  retried), never "the connection dropped".
- A client passed in must be an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` (``check_client``).
- Closing the transport ends it: a request still in flight then fails with ``Closed`` and is
  not retried (the server may well have it, and the failure is our own close, not the
  server's), and nothing new is sent, on a new connection or otherwise.
- Rate limits are shared (``RateGate``): when one request is told to wait, every request of
  the client (and of a batch sharing it) waits too, and the number in flight halves, then
  grows back by one each time as many requests succeed as are allowed in flight.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import threading
import time
import weakref
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from . import errors
from .config import Settings

log = logging.getLogger("summarize")
T = TypeVar("T")

# The whole of one attempt may take this many times SUMMARIZE_TIMEOUT. Streaming, a healthy
# server is never silent for long once it writes, so the timeout mostly waits for the first
# token (the prompt being processed); three of it leaves that wait and the writing of the
# longest reply room, while a server that drips bytes is cut off in bounded time.
DEADLINE_FACTOR = 3.0
# Jitter: each wait is stretched by a random factor up to this much more.
JITTER = 0.25


def sdk() -> Any:
    """The openai package, imported at the first request rather than with ``summarize``: it
    takes about 0.35 s, which ``summarize --version``, ``--help`` and ``--dry-run`` need not pay."""
    import openai

    return openai


def _http_classes(name: str) -> tuple[type[BaseException], ...]:
    """An exception class of each HTTP library the SDK may stream through (httpx2, httpx)."""
    found: list[type[BaseException]] = []
    for library in ("httpx2", "httpx"):
        try:
            module = __import__(library)
        except ImportError:
            continue
        found.append(getattr(module, name))
    return tuple(found)


def _http_timeout() -> tuple[type[BaseException], ...]:
    """The HTTP library's timeout exceptions (what a read of a streamed body raises)."""
    return _http_classes("TimeoutException")


def _http_errors() -> tuple[type[BaseException], ...]:
    """The HTTP library's transport errors (a connection dropped while the body streamed)."""
    return _http_classes("TransportError")


def _http_undecodable() -> tuple[type[BaseException], ...]:
    """The HTTP library's error for a body its ``Content-Encoding`` does not decode (not a
    transport error: the bytes arrived, they are not what the header says)."""
    return _http_classes("DecodingError")


class Undecodable(Exception):
    """The body could not be decoded as its ``Content-Encoding`` says (a gzip that is not gzip)."""


# Most bytes read of a body openai reads whole: an error status's body, a /models listing. Real
# ones are a few kilobytes (a listing of thousands of models is under 1 MB); a hostile server's
# 1.5 GB error body took 8.7 GB of memory. Chat replies have their own cap (reply.max_reply_bytes),
# and batch result files, which are large by nature, none.
MAX_SIDE_BODY_BYTES = 8 * 2**20


class _Inflater:
    """One layer of a body's ``Content-Encoding`` (gzip or deflate) undone a piece at a time,
    never producing more than it is given room for: a gzip body 1,000 times smaller than what
    it decodes to ("a gzip bomb") stops at the cap instead of being expanded whole in memory."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        # Deflate is meant to be zlib-wrapped; some servers send it raw, which is tried next.
        self.inflate = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS)
        self.started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Up to ``room + 1`` bytes decoded from ``data``: more than ``room`` means more were to come."""
        try:
            out = self.inflate.decompress(data, room + 1)
        except zlib.error:
            if self.encoding != "deflate" or self.started:
                raise
            self.inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self.inflate.decompress(data, room + 1)
        self.started = True
        return out

    def flush(self) -> bytes:
        return self.inflate.flush()


# The encodings the HTTP library decodes; any other it passes on as it came, and so do we.
INFLATED = ("gzip", "deflate")


class BodyCapped(Exception):
    """Marks the read error a body past ``MAX_SIDE_BODY_BYTES`` raises (a subclass of the HTTP
    library's ``ReadError``, so ``openai`` and the transport handle it as a failed read), for
    ``summarize.classify`` to tell it from a dropped connection."""


# How long the rest of a body is read once its reply is complete ([DONE] came): a body that ends
# now leaves its connection to be used again; a server that holds the stream open (keep-alive
# comments after [DONE]) is not waited for longer.
DRAIN_SECONDS = 1.0


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read and drop what follows a complete reply, for ``DRAIN_SECONDS`` at most."""

    async def rest() -> None:
        async for _ in chunks:
            pass

    try:
        await asyncio.wait_for(rest(), DRAIN_SECONDS)
    except Exception:  # noqa: BLE001 - the reply is whole: a stall or a break after it changes nothing
        pass


# Where a chat request was redirected to, when the redirect was not followed (``http_client``).
REDIRECTED_TO = "x-summarize-redirected-to"


def http_client(timeout: float) -> Any:
    """openai's default HTTP client (the same proxies and TLS from the environment, the same
    redirect rule: followed, and ``Authorization`` dropped on a redirect to another origin; but a
    301, 302 or 303 answering a POST, which would turn it into a GET, comes back as it is), with
    a response hook that makes a body openai or the HTTP library reads whole (an error status's,
    a redirect's, a ``GET /models`` listing) stop at ``MAX_SIDE_BODY_BYTES``: past it, the read
    fails as a dropped connection would, and the status (or the listing's failure) decides. A
    hook, not a transport, so that it holds whichever transport carries the request: the
    client's own, or one it mounts for a proxy named in the environment (``HTTPS_PROXY``). Every
    request goes through one: the chat client's, and ``summarize doctor``'s probes."""
    import httpx2 as http  # what openai 3 talks through (pyproject: openai>=3.0)

    class TooLarge(http.ReadError, BodyCapped):
        pass

    class Capped(http.AsyncByteStream):
        """The body as it decodes, stopped at ``MAX_SIDE_BODY_BYTES`` of decoded bytes. It
        undoes the ``Content-Encoding`` itself (``layers``, outermost first), a bounded piece at
        a time, since the HTTP library would expand the whole body before anything counted it."""

        def __init__(self, inner: Any, request: Any, layers: list[str]) -> None:
            self.inner, self.request = inner, request
            self.layers = [_Inflater(layer) for layer in layers]
            self.size = 0

        def _counted(self, data: bytes, flush: bool = False) -> bytes:
            for layer in self.layers:
                room = MAX_SIDE_BODY_BYTES - self.size
                try:
                    data = layer.feed(data, room) + (layer.flush() if flush else b"")
                except zlib.error as exc:
                    raise http.DecodingError(
                        f"{layer.encoding}: {exc}",
                        request=self.request,
                    ) from None
                if len(data) > room:
                    break
            self.size += len(data)
            if self.size > MAX_SIDE_BODY_BYTES:
                raise TooLarge(
                    f"the body grew past {MAX_SIDE_BODY_BYTES:,} bytes{' decoded' if self.layers else ''}, far more "
                    "than an error or a model listing: the server is broken or hostile", request=self.request,
                )
            return data

        async def __aiter__(self) -> AsyncIterator[bytes]:
            async for data in self.inner:
                counted = self._counted(data)
                if counted:
                    yield counted
            if self.layers:
                rest = self._counted(b"", flush=True)
                if rest:
                    yield rest

        async def aclose(self) -> None:
            await self.inner.aclose()

    async def cap(response: Any) -> None:
        request = response.request
        if request.method == "POST" and response.status_code in (301, 302, 303) and "location" in response.headers:
            # Followed, it arrives as a GET (and its 405 blames the base URL): handed back as the
            # redirect it is, its target kept under REDIRECTED_TO for the message.
            response.headers[REDIRECTED_TO] = response.headers["location"]
            del response.headers["location"]
        listing = request.method == "GET" and request.url.path.endswith("/models")
        if response.status_code >= 300 or listing:
            said = response.headers.get("content-encoding", "")
            layers = [e.strip().lower() for e in said.split(",") if e.strip().lower() in INFLATED]
            if layers:
                del response.headers["content-encoding"]  # decoded here: not again by the HTTP library
            response.stream = Capped(response.stream, request, layers[::-1])

    return sdk().DefaultAsyncHttpxClient(timeout=timeout, event_hooks={"response": [cap]})


class _Hangup:
    """Closes a synchronous client's response from another thread: at once when it is held
    already, else as soon as the worker thread holds it (the headers may still be on the way)."""

    def __init__(self) -> None:
        self.called = False
        self._response: Any = None
        self._lock = threading.Lock()

    def hold(self, response: Any) -> None:
        with self._lock:
            self._response = response
            called = self.called
        if called:
            response.close()

    def now(self) -> None:
        with self._lock:
            self.called = True
            response = self._response
        if response is not None:
            response.close()


# Seconds past the deadline that a synchronous client's request is waited for: its own timer
# ends a body read at the deadline, and its Deadline is the clearer report.
SYNC_GRACE = 1.0


class Deadline(Exception):
    """One attempt ran past its deadline."""


class Silence(Exception):
    """The server said nothing for the timeout in the middle of a reply."""


class Closed(ConnectionError):
    """The transport was closed while a request was in flight, or before one was sent."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            detail
            or "the client was closed while the request was in flight (the run it belongs to had "
            "ended or failed); it is not sent again: open a new ChatClient for new requests"
        )


# What a request of a closed client says, by what was closed: the client= its owner closed.
_CLOSED_DURING = "the client passed as client= was closed while the request was in flight; it is not sent again"
_CLOSED_BEFORE = (
    "the client passed as client= was closed (aclose() or close()) before this request; nothing was "
    "sent: pass an open one, or none"
)


class StatusBodyLost(Exception):
    """An HTTP error status arrived, and the connection dropped before its body did.

    ``response`` is the HTTP library's response (status and headers; no body).
    """

    def __init__(self, response: Any) -> None:
        self.response = response
        self.status_code: int = response.status_code
        super().__init__(f"HTTP {response.status_code}")


def _status_of(exc: BaseException) -> Any:
    """The response of the error status ``openai`` was reading the body of when ``exc`` (a
    transport error) was raised, else ``None``.

    ``openai`` reads an error body inside its ``except HTTPStatusError`` block, so a read that
    fails there has that status error in its chain of ``__context__`` (behind the HTTP core's
    own exception, which the HTTP library re-raised as ``exc``).
    """
    status_error = _http_classes("HTTPStatusError")
    seen: BaseException | None = exc.__context__
    for _ in range(8):  # a few links: the core's exception, then the status error
        if seen is None:
            return None
        if isinstance(seen, status_error):
            return getattr(seen, "response", None)
        seen = seen.__context__
    return None


class RateGate:
    """Requests in flight for one client (and a batch sharing it), slowed down together by rate limits.

    At most ``limit`` requests are in flight (``concurrency`` at first). ``throttle(wait)`` (a
    429, or a ``Retry-After``) holds every new request for ``wait`` seconds and halves the limit;
    each run of ``limit`` successes raises it by one, back up to ``concurrency``.
    """

    def __init__(self, concurrency: int) -> None:
        self.ceiling = concurrency
        self.limit = concurrency
        self.in_flight = 0
        self.resume_at = 0.0
        self._calm = 0
        self._condition: asyncio.Condition | None = None
        self._loop: weakref.ReferenceType[asyncio.AbstractEventLoop] | None = None
        self._users = 0  # requests holding or waiting for a slot, all in the loop of ``_condition``
        self._guard = threading.Lock()  # a gate shared by threads: which loop it is in, and its users

    def _enter(self) -> asyncio.Condition:
        """The condition requests wait on, in the running event loop, counted as one more user.
        A gate shared by runs of one loop after another (sync calls, each in a loop of its own)
        takes a new condition in each; one in use in another loop (another thread) is refused,
        as its waiters could never be woken from here.

        Raises:
            ConfigError: requests hold or wait for slots in another event loop.
        """
        loop = asyncio.get_running_loop()
        with self._guard:
            if self._condition is None or self._loop is None or self._loop() is not loop:
                if self._users:
                    raise errors.ConfigError(
                        "this ChatClient has requests in flight in another event loop (another thread, or another "
                        "asyncio.run): share a ChatClient only among the runs of one event loop, or give each thread its own "
                        "(an openai.OpenAI passed as client= is shared by any number of threads)"
                    )
                self._condition, self._loop = asyncio.Condition(), weakref.ref(loop)
            self._users += 1
            return self._condition

    def _leave(self) -> None:
        with self._guard:
            self._users -= 1

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        condition = self._enter()
        try:
            async with condition:
                while True:
                    pause = self.resume_at - time.monotonic()
                    if pause > 0:
                        try:
                            await asyncio.wait_for(condition.wait(), pause)
                        except asyncio.TimeoutError:
                            pass
                        continue
                    if self.in_flight < self.limit:
                        break
                    await condition.wait()
                self.in_flight += 1
            try:
                yield
            finally:
                async with condition:
                    self.in_flight -= 1
                    condition.notify_all()
        finally:
            self._leave()

    def throttle(self, wait: float) -> None:
        """Hold new requests for ``wait`` seconds and halve the requests in flight (once per pause)."""
        now = time.monotonic()
        if now >= self.resume_at:
            self.limit = max(1, self.limit // 2)
            log.info("rate limited: pausing new requests for %.1f s, at most %d in flight", wait, self.limit)
        self.resume_at = max(self.resume_at, now + wait)
        self._calm = 0

    async def succeeded(self) -> None:
        """One request succeeded: after ``limit`` in a row, allow one more in flight."""
        if self.limit >= self.ceiling:
            return
        self._calm += 1
        if self._calm >= self.limit:
            self.limit += 1
            self._calm = 0
            condition = self._condition  # the loop's: a success is reported from inside a slot
            if condition is not None:
                async with condition:
                    condition.notify_all()  # a waiting request may go now


# The event loop each ``openai.AsyncOpenAI`` passed in first ran in: its pooled connections
# belong to that loop.
_LOOP_OF: weakref.WeakKeyDictionary[Any, weakref.ReferenceType[asyncio.AbstractEventLoop]] = weakref.WeakKeyDictionary()


def _check_own_loop(client: Any, ours: bool = False) -> None:
    """Refuse an ``openai.AsyncOpenAI`` used in another event loop than the one it first ran in.

    Its connections stay in the loop that opened them: a second call of the sync
    ``summarize_article`` (each runs in a new loop) failed with a bare ``RuntimeError: Event
    loop is closed``, and calls from several threads failed now and then.

    With ``ours``, the client is the one a ``ChatClient`` passed in built for itself, and the
    message names the ``ChatClient``: the caller never saw an ``AsyncOpenAI``.

    Raises:
        ConfigError: this is another loop.
    """
    if not isinstance(client, sdk().AsyncOpenAI):
        return
    loop = asyncio.get_running_loop()
    first = _LOOP_OF.get(client)
    if first is None or first() is None:
        _LOOP_OF[client] = weakref.ref(loop)
    elif first() is not loop:
        what, advice = (
            ("ChatClient", "share a ChatClient among asummarize_article and atranslate_article calls in one event "
             "loop, or build it around an openai.OpenAI (ChatClient(settings, openai.OpenAI(...))) to share it among sync "
             "calls made one at a time (calls from several threads at once share the openai.OpenAI itself)")
            if ours else
            ("openai.AsyncOpenAI client", "pass an openai.OpenAI to the sync functions, or await asummarize_article "
             "and atranslate_article with this client in one event loop")
        )
        raise errors.ConfigError(
            f"this {what} first ran in another event loop, which its connections belong to (each call of the sync "
            f"summarize_article or translate_article runs in a new one): {advice}"
        )


def check_client(client: Any) -> None:
    """Refuse a ``client=`` that is not an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` (nor a
    stand-in with their ``chat.completions`` and ``with_options``) before anything is sent: a URL passed there was used as a client, and failed as "the endpoint sent a
    malformed reply".

    Raises:
        ConfigError: saying what to pass instead.
    """
    # An openai client was built by the caller, so openai is imported: no need to import it to check.
    openai = sys.modules.get("openai")
    if openai is not None and isinstance(client, (openai.OpenAI, openai.AsyncOpenAI)):
        return
    # A stand-in with their surface is taken as one (the batch import's replay answers through one).
    if callable(getattr(client, "with_options", None)) and hasattr(getattr(client, "chat", None), "completions"):
        return
    if isinstance(client, str) and client.lower().startswith(("http://", "https://")):
        url = client.split("?")[0].split("#")[0][:200]
        advice = f"to send to {url}, pass base_url={url!r} (or set SUMMARIZE_BASE_URL) instead"
    else:
        # Not echoed: a string here may be an API key passed in the wrong place.
        advice = "leave it out and pass base_url= and api_key= (or set SUMMARIZE_BASE_URL and SUMMARIZE_API_KEY) instead"
    raise errors.ConfigError(
        f"client= must be an openai.OpenAI or openai.AsyncOpenAI, got a {type(client).__name__}: {advice}"
    )


class Transport:
    """One endpoint's connection: the ``openai`` client, the requests in flight, retries.

    Args:
        settings: endpoint, timeout and retry settings.
        client: an ``openai.AsyncOpenAI`` or ``openai.OpenAI`` to use instead of building one
            (its own retries are turned off), or another ``Transport`` to share (its gate on
            requests in flight and its connections).
    """

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        self._given = client
        self._client: Any = None
        self.gate = RateGate(settings.concurrency)
        # The transport whose findings every one sharing it reads: the first one built.
        self._root: Transport = self
        # The server software, once a /models listing or a reply has told (presets.server_of).
        self._server: str | None = None
        # Model id → its parameter count, where a /models listing said (llama.cpp's meta.n_params).
        self._parameters: dict[str, float] = {}
        self._closed = False
        if isinstance(client, Transport):
            if client.closed:
                raise Closed(_CLOSED_BEFORE)
            self.gate, self._given, self._root = client.gate, client.openai(), client._root
        elif client is not None:
            check_client(client)
        self.local = settings.is_local

    @property
    def closed(self) -> bool:
        """Closed by its own run, by the transport it shares (a ``ChatClient`` passed in, closed
        by its owner: the requests of every sharer end and are not sent again), or with the
        ``openai`` client it was given."""
        is_closed = getattr(self._given, "is_closed", None)
        given = callable(is_closed) and is_closed() is True
        return self._closed or self._root._closed or given

    @property
    def server(self) -> str | None:
        """The server software, when something it sent has told (``presets.server_of``)."""
        return self._root._server

    def learned_server(self, server: str | None) -> None:
        """Keep the first server software a listing or a reply names, for every sharer to read."""
        self._root._server = self._root._server or server

    def parameters(self, model: str) -> float | None:
        """The parameter count a ``/models`` listing gave for ``model``, else ``None``."""
        return self._root._parameters.get(model)

    def learned_parameters(self, model: str, count: float) -> None:
        """Keep the parameter count a ``/models`` listing gave for ``model``, for every sharer to read."""
        self._root._parameters[model] = count

    @property
    def deadline(self) -> float:
        """Seconds one attempt may take in all."""
        return DEADLINE_FACTOR * self.settings.timeout

    def openai(self) -> Any:
        """The ``openai`` client, built at the first request.

        Raises:
            Closed: the transport was closed (a closed one never opens new connections).
        """
        if self.closed:
            raise Closed() if self._closed else Closed(_CLOSED_BEFORE)
        if self._client is None:
            if self._given is not None:
                _check_own_loop(self._given, ours=self._root is not self and self._root._given is None)
                self._client = self._given.with_options(max_retries=0)
            else:
                # openai reads OPENAI_ORG_ID and OPENAI_PROJECT_ID itself and sends them to any
                # host: they name the OpenAI account, so only where its key would go.
                unsent = {} if self.settings.sends_openai_ids else {
                    "OpenAI-Organization": sdk().Omit(), "OpenAI-Project": sdk().Omit()
                }
                self._client = sdk().AsyncOpenAI(
                    base_url=self.settings.base_url,
                    api_key=self.settings.resolved_api_key(),
                    timeout=self.settings.timeout,
                    max_retries=0,
                    http_client=http_client(self.settings.timeout),
                    default_headers=unsent or None,
                )
        return self._client

    @property
    def is_sync(self) -> bool:
        return isinstance(self.openai(), sdk().OpenAI)

    async def aclose(self) -> None:
        self._closed = True  # first: a request failing because of this close must see it
        if self._client is not None and self._given is None:
            await self._client.close()
        self._client = None

    async def call(self, fn: Any, **kwargs: Any) -> Any:
        """``fn(**kwargs)`` of the openai client (e.g. ``GET /models``), in a worker thread when
        the client is synchronous; an async call is held to the deadline too.

        Raises:
            Deadline: the call took longer than ``deadline``.
        """
        if self.is_sync:
            return await self._in_thread(self.deadline, fn, **kwargs)
        try:
            return await asyncio.wait_for(fn(**kwargs), self.deadline)
        except asyncio.TimeoutError:
            raise Deadline() from None

    async def _in_thread(self, deadline: float, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` of a synchronous client, in a daemon thread awaited for at
        most ``deadline`` seconds.

        A synchronous ``openai`` call cannot be interrupted, and one a server holds (headers
        dripping in, an error body that ``openai`` reads whole) ran on past the deadline without
        end. At the deadline the run goes on without it, and the thread is left to finish or
        not: a daemon, never joined (``asyncio.to_thread``'s pool is joined when the loop
        closes, which would wait for it after all).

        Raises:
            Deadline: ``fn`` took longer.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()

        def settle(result: Any, error: BaseException | None) -> None:
            if done.done():
                return  # given up on at the deadline
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(result)

        def work() -> None:
            try:
                result, error = fn(*args, **kwargs), None
            except BaseException as exc:  # handed to the awaiting task, which re-raises it
                result, error = None, exc
            try:
                loop.call_soon_threadsafe(settle, result, error)
            except RuntimeError:
                pass  # the loop has closed: nobody waits for this any more

        threading.Thread(target=work, name="summarize-sync-call", daemon=True).start()
        try:
            return await asyncio.wait_for(done, deadline)
        except asyncio.TimeoutError:
            raise Deadline() from None

    # -- one attempt -------------------------------------------------------------------------

    async def post(self, body: dict[str, Any], feed: Callable[[bytes], bool]) -> None:
        """POST one chat request and ``feed`` the reply's bytes as they arrive, until ``feed``
        says the reply is complete or the body ends.

        Raises:
            openai.OpenAIError: an HTTP error status or a failure to connect (``openai`` raised it).
            Deadline: the attempt took longer than ``deadline``.
            Silence: the server fell silent for longer than the timeout while sending the body.
            StatusBodyLost: an error status arrived, its body did not.
            Closed: the transport was closed before or during the attempt.
            ConnectionError: the connection dropped while the body streamed.
            whatever ``feed`` raises.
        """
        try:
            if self.is_sync:
                # The body is held to the deadline inside (``_post_sync``); this bounds what comes
                # before it, in ``openai``: the headers, and an error status's body.
                hangup = _Hangup()
                try:
                    await self._in_thread(self.deadline + SYNC_GRACE, self._post_sync, body, feed, hangup)
                except BaseException:
                    hangup.now()  # cancelled or given up on: the thread stops reading, the server sees it
                    raise
                return
            try:
                await asyncio.wait_for(self._post_async(body, feed), self.deadline)
            except asyncio.TimeoutError:
                raise Deadline() from None
        except (sdk().APIConnectionError, ConnectionError, StatusBodyLost, Silence, RuntimeError) as exc:
            # The HTTP library raises RuntimeError for a request of a client closed under it.
            if self.closed and not isinstance(exc, Closed):
                # Our own close cut the request off, not the server: say so (an answer read
                # whole before the close stays what it is).
                raise (Closed() if self._closed else Closed(_CLOSED_DURING)) from exc
            raise

    @contextmanager
    def _status_kept(self) -> Iterator[None]:
        """Turn a transport error raised while ``openai`` read an error status's body into
        ``StatusBodyLost``, so that the status, not "the connection dropped", decides; and a body
        that does not decode as its ``Content-Encoding`` says, an error's or a reply's, into
        ``StatusBodyLost`` or ``Undecodable``."""
        try:
            yield
        except _http_errors() as exc:
            response = _status_of(exc)
            if response is None:
                raise ConnectionError(str(exc) or type(exc).__name__) from exc
            raise StatusBodyLost(response) from exc
        except _http_undecodable() as exc:
            response = _status_of(exc)
            if response is None:
                raise Undecodable(str(exc) or type(exc).__name__) from exc
            raise StatusBodyLost(response) from exc

    async def _post_async(self, body: dict[str, Any], feed: Callable[[bytes], bool]) -> None:
        create = self.openai().chat.completions.with_streaming_response.create
        with self._status_kept():
            async with create(**body) as response:
                try:
                    chunks = response.http_response.aiter_bytes()
                    async for data in chunks:
                        if feed(data):
                            await _drain(chunks)
                            break
                except _http_timeout() as exc:
                    raise Silence() from exc
                except _http_errors() as exc:
                    raise ConnectionError(str(exc) or type(exc).__name__) from exc

    def _post_sync(self, body: dict[str, Any], feed: Callable[[bytes], bool], hangup: _Hangup) -> None:
        """The same for a synchronous ``openai.OpenAI``, run in a worker thread; the deadline
        closes the response from a timer, which ends a read blocked on a dripping server, and so
        does ``hangup`` when the awaiting task is cancelled or gives up."""
        end = time.monotonic() + self.deadline
        create = self.openai().chat.completions.with_streaming_response.create
        with self._status_kept():
            with create(**body) as response:
                timer = threading.Timer(max(0.0, end - time.monotonic()), response.http_response.close)
                timer.daemon = True
                timer.start()
                hangup.hold(response.http_response)
                complete: threading.Timer | None = None
                try:
                    for data in response.http_response.iter_bytes():
                        if complete is not None:
                            continue  # after [DONE]: read to the body's end, for DRAIN_SECONDS at most
                        if hangup.called:
                            raise Closed()
                        if time.monotonic() > end:
                            raise Deadline()
                        if feed(data):
                            complete = threading.Timer(DRAIN_SECONDS, response.http_response.close)
                            complete.daemon = True
                            complete.start()
                except Exception as exc:
                    if complete is not None:
                        return  # the reply was complete: what broke after it does not matter
                    if isinstance(exc, _http_timeout()):
                        raise Silence() from exc
                    if isinstance(exc, _http_errors()):
                        if time.monotonic() >= end:
                            raise Deadline() from exc
                        raise ConnectionError(str(exc) or type(exc).__name__) from exc
                    if time.monotonic() >= end and not isinstance(exc, Deadline):
                        raise Deadline() from exc  # a read of a response the timer closed
                    raise
                finally:
                    timer.cancel()
                    if complete is not None:
                        complete.cancel()

    # -- retries -----------------------------------------------------------------------------

    def retryable(self, exc: BaseException) -> bool:
        if self.closed:
            # Whatever failed, the run has closed this transport: nothing is sent again.
            return False
        if isinstance(exc, (errors.RateLimitedError, errors.ServerError)):
            # A Retry-After longer than we will wait fails at once rather than sleeping.
            return exc.retry_after is None or exc.retry_after <= self.settings.retry_wait_max
        if isinstance(exc, errors.ConnectionFailedError):
            # A local server that went silent is most likely still working on the request; a
            # failed TLS handshake (plain HTTP, a refused certificate) fails the same way again.
            return not (exc.timed_out and self.local) and not exc.settled
        return False

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait after failed attempt number ``attempt`` (1 for the first).

        ``SUMMARIZE_RETRY_BACKOFF`` doubling each time, at least the ``Retry-After``, stretched
        by up to ``JITTER`` so that requests told alike do not come back alike; at most
        ``SUMMARIZE_RETRY_WAIT_MAX`` (or the ``Retry-After``, which is never cut short).
        """
        # Doubled at most 64 times: past that every wait is at its cap, and 2 ** 1024 is more
        # than a float holds (an OverflowError at attempt 1,025, with SUMMARIZE_MAX_RETRIES high).
        base = self.settings.retry_backoff * 2.0 ** min(attempt - 1, 64)
        wait = max(base, retry_after or 0.0) * (1 + random.uniform(0, JITTER))
        return min(wait, max(self.settings.retry_wait_max, retry_after or 0.0))

    def _wait(self, state: Any) -> float:
        exc = state.outcome.exception()
        retry_after = getattr(exc, "retry_after", None)
        wait = self.backoff(state.attempt_number, retry_after)
        if isinstance(exc, errors.RateLimitedError) or retry_after is not None:
            # Told to wait: so is every other request of the run.
            self.gate.throttle(retry_after if retry_after is not None else wait)
        return wait

    async def with_retries(self, once: Callable[[int], Awaitable[T]]) -> T:
        """``once(attempt)`` until it succeeds, fails for good, or the retries run out."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(self.retryable),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                result = await once(attempt.retry_state.attempt_number)
                await self.gate.succeeded()
                return result
        raise AssertionError("unreachable")  # pragma: no cover
