"""Classifying a failure into the error tree of ``summarize.errors``.

One small function decides which ``EndpointError`` a status, a body and a message make
(``Classifier.classify``); the rest turn what ``openai`` raised, or an error a server put in
an HTTP 200 body, into its arguments. Messages say what to do next and never hold the key.
"""

from __future__ import annotations

import email.utils
import math
import re
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from . import errors
from .config import Settings
from .reply import COMPLETE
from .text import printable, without_keys
from .transport import MAX_SIDE_BODY_BYTES, REDIRECTED_TO, BodyCapped

T = TypeVar("T")

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
    "`inputs` tokens + `max_new_tokens`",  # Hugging Face TGI
    "`inputs` must have less than",  # TGI
)
_LIMIT_PATTERNS = (
    re.compile(r"maximum context length is (\d+)", re.IGNORECASE),
    re.compile(r"context (?:size|window|length) (?:of |is )?\(?(\d+)", re.IGNORECASE),
    re.compile(r"range of input length should be \[\d+, *(\d+)\]", re.IGNORECASE),
    re.compile(r"`max_new_tokens` must be <= (\d+)"),  # TGI: the context less nothing
    re.compile(r"`inputs` must have less than (\d+) tokens"),  # TGI: the prompt's own limit
)
_REQUESTED_PATTERNS = (
    re.compile(r"['\"]n_prompt_tokens['\"]\s*:\s*(\d+)"),
    re.compile(r"resulted in (\d+) tokens", re.IGNORECASE),
    re.compile(r"(\d+) in the messages", re.IGNORECASE),
    re.compile(r"requested (\d+) tokens", re.IGNORECASE),
    re.compile(r"(\d+) input tokens", re.IGNORECASE),  # vLLM: "your request has 5000 input tokens"
    re.compile(r"Given: (\d+) `inputs` tokens"),  # TGI
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


# A wait longer than any run would make (about 31,700 years): what a Retry-After of more digits
# than a float holds asks for. "inf" and "nan" are not HTTP's delta-seconds, and ask nothing.
LONGEST_WAIT = 1e12


def _seconds(text: str, scale: float = 1.0) -> float | None:
    try:
        value = float(text) / scale
    except ValueError:
        return None
    if value == math.inf and text.strip().isascii() and text.strip().isdigit():
        return LONGEST_WAIT  # more digits than a float holds: not "no wait asked"
    return max(0.0, value) if math.isfinite(value) else None


def retry_after(exc: BaseException) -> float | None:
    """Seconds a response's ``Retry-After`` (or ``retry-after-ms``) asks to wait, when it asks.

    A value that is neither a number nor an HTTP date (``Retry-After: soon``) asks nothing.
    """
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms and _seconds(ms, 1000) is not None:
        return _seconds(ms, 1000)
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _body_text(body: object) -> str:
    return str(body) if body is not None else ""


_HTML = re.compile(r"<(?:!doctype|html|head|body|title)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)


def html_summary(text: str) -> str | None:
    """The title (else first heading) of an HTML error page, as plain text; ``None`` if ``text`` is not HTML.

    A proxy's 502 page is kilobytes of markup; its title says all a reader needs.
    """
    if not _HTML.search(text[:2000]):
        return None
    for pattern in (_TITLE, _HEADING):
        match = pattern.search(text)
        if match:
            plain = " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())
            if plain:
                return plain[:120]
    return ""


def _readable(exc: Any) -> bool:
    try:
        exc.response.text  # noqa: B018  # an unread streamed response raises
    except Exception:
        return False
    return True


def _behind(exc: BaseException, found: Callable[[BaseException], bool]) -> BaseException | None:
    """The first exception chained behind ``exc`` (``__cause__``, else ``__context__``) that is ``found``."""
    seen: BaseException | None = exc
    for _ in range(8):
        seen = seen.__cause__ or seen.__context__ if seen is not None else None
        if seen is None or found(seen):
            return seen
    return None


def _http_error(*names: str) -> Callable[[BaseException], bool]:
    """Whether an exception is the HTTP library's (httpx2 or httpx) of one of ``names``."""
    return lambda exc: type(exc).__name__ in names and type(exc).__module__.split(".")[0] in ("httpx", "httpx2")


def _capped(exc: BaseException) -> bool:
    return isinstance(exc, BodyCapped)


def tls_failure(exc: BaseException) -> str | None:
    """What to do about a TLS handshake that failed, when ``exc`` is one or has one chained
    behind it; else ``None``. Starts with what failed, for the run's error and doctor alike."""
    found = exc if isinstance(exc, ssl.SSLError) else _behind(exc, lambda e: isinstance(e, ssl.SSLError))
    if not isinstance(found, ssl.SSLError):
        return None
    reason = getattr(found, "reason", None)  # set by OpenSSL; an SSLError built by hand has none
    if isinstance(found, ssl.SSLCertVerificationError):
        return (
            f"the server's TLS certificate was not accepted ({found.verify_message or reason or found}): give the "
            "server a certificate this machine trusts, or use http:// in the base URL on a network that is yours"
        )
    if reason not in _NOT_TLS:
        return None  # a handshake cut off (SSLEOFError) and the like: dropped, as a connection is
    return (
        f"the TLS handshake failed ({reason}): the server may speak plain HTTP, as llama-server, "
        "Ollama and vLLM do unless given a certificate: use http:// in the base URL"
    )


# What OpenSSL reports when what answered a TLS handshake was no TLS at all (plain HTTP): the
# reason in OpenSSL 1.1 and 3.0/3.1, and in 3.2 and later.
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL"})


class Classifier:
    """Maps failures at one endpoint (``base_url``) to ``EndpointError`` subclasses."""

    def __init__(self, settings: Settings, base_url: str, *, local: bool = False, keys: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.base_url = base_url
        self.local = local
        # What a 429 advises: chat requests in flight are what a user can lower; a caller whose
        # calls no setting spaces out (batch submit's uploads) says what to do instead.
        self.rate_advice = "lower SUMMARIZE_CONCURRENCY or try again later"
        self.keys = tuple(k for k in (settings.api_key, *keys) if k)

    def redact(self, text: str) -> str:
        """``text`` without the API key (servers that echo a refused key in full exist)."""
        return without_keys(text, self.keys)

    async def scrubbed(self, call: Awaitable[T]) -> T:
        """What ``call`` gives; an error it raises loses the API key from every exception
        chained behind it (``__cause__``, ``__context__``), which ``--debug`` tracebacks and
        ``logging.exception`` print: a server may echo a refused key in a body a
        ``MalformedReply`` or ``BodyError`` quotes."""
        try:
            return await call
        except BaseException as exc:
            seen: BaseException | None = exc
            for _ in range(16):
                if seen is None:
                    break
                if any(isinstance(arg, str) and self.redact(arg) != arg for arg in seen.args):
                    seen.args = tuple(self.redact(arg) if isinstance(arg, str) else arg for arg in seen.args)
                seen = seen.__cause__ or seen.__context__
            raise

    def where(self, model: str | None, attempt: int, status: int | None) -> dict[str, Any]:
        return {"status": status, "base_url": self.base_url, "model": model, "attempts": attempt}

    def body_error(self, error: Any, model: str | None, attempt: int) -> errors.EndpointError:
        """An error a server sent in an HTTP 200 body (or in the middle of a stream)."""
        if isinstance(error, dict):
            code, kind = error.get("code"), error.get("type")
            # The other fields too: llama.cpp states n_ctx and n_prompt_tokens beside the message.
            others = {k: v for k, v in error.items() if k not in ("message", "code", "type", "param") and v is not None}
            message = f"{error.get('message') or error} {others if others else ''}".strip()
        else:
            code, message, kind = getattr(error, "code", None), str(error or "the reply had no choices"), None
        # A code the server chose: "²" passes isdigit() and int() refuses it; so do 5,000 digits.
        written = str(code)
        status = code if isinstance(code, int) and not isinstance(code, bool) else (
            int(written) if written.isascii() and written.isdigit() and len(written) <= 3 else None
        )
        if status is not None and not 100 <= status <= 599:
            status = None
        return self.classify(status, message, code, None, model, attempt, kind=kind if isinstance(kind, str) else None)

    def malformed(self, problem: str, model: str, attempt: int) -> errors.EndpointError:
        """A reply that is not a chat completion."""
        return errors.EndpointError(
            f"the endpoint sent a malformed reply ({self.redact(problem)[:200]}); "
            + self._not_the_api()
            + " and that nothing in between rewrites replies",
            **self.where(model, attempt, 200),
        )

    def not_an_api(self, page: str, model: str | None, attempt: int, call: str = "") -> errors.EndpointError:
        """A web page (``reply.NotAnAPI``) that answered a chat request, or another ``call``
        ("GET /models"), with HTTP 200: a network login page, a proxy's page, a site at the wrong URL."""
        title = html_summary(page)
        what = f"an HTML page titled {self.redact(title)!r}" if title else "an HTML page" if title is not None else "a page of markup"
        return errors.EndpointError(
            f"{self.base_url} answered {call + ' ' if call else ''}with {what}, not as an OpenAI-compatible API does: "
            f"{self._check_base_url()}, which usually ends in /v1, and whether a proxy or a "
            "network login page (a captive portal: sign in in a browser first) answered in its place",
            **self.where(model, attempt, 200),
        )

    def malformed_listing(self, problem: str, attempt: int) -> errors.EndpointError:
        """A ``GET /models`` answer that is JSON but not a model listing."""
        return errors.EndpointError(
            f"GET /models answered with something that is not a model listing ({self.redact(problem)[:200]}); "
            + self._not_the_api()
            + ", or set SUMMARIZE_MODEL so that no listing is needed",
            **self.where(None, attempt, 200),
        )

    def too_large(self, limit: int, max_tokens: int, model: str, attempt: int) -> errors.EndpointError:
        """A reply larger than its token limit can produce."""
        return errors.EndpointError(
            f"the reply grew past {limit:,} bytes, more than {max_tokens} tokens can produce: the server is "
            "broken or hostile, so the reply was refused (and not cached); " + self._check_base_url(),
            **self.where(model, attempt, 200),
        )

    def unfinished(self, finish_reason: str, end: str, model: str, attempt: int) -> errors.EndpointError:
        """A reply whose ``finish_reason`` does not say it is complete (``reply.ending``: ``end`` is
        ``"failed"``, ``"tool"`` or ``"unknown"``); its text is a fragment, never kept or cached.
        A reply the server gave up on is a ``ServerError``, retried as a 5xx is."""
        said = repr(printable(finish_reason)[:40])
        where = self.where(model, attempt, 200)
        if end == "failed":
            why = (
                "the server aborted the request (vLLM does when it is pausing or shutting down, or takes the client for gone)"
                if finish_reason.strip().lower() == "abort"
                else "the server failed while writing it"
            )
            return errors.ServerError(
                f"the reply ended with finish_reason {said} before it was complete: {why}; the fragment was not "
                "kept: try again later or raise SUMMARIZE_MAX_RETRIES, and check the server's log if it persists",
                **where,
            )
        if end == "tool":
            return errors.EndpointError(
                f"the reply ended with finish_reason {said}: the model called a tool, though none was offered, so "
                "there is no answer; check the server's tool-calling settings (a tool-call parser forced on every "
                "request) or use another model",
                **where,
            )
        return errors.EndpointError(
            f"the reply ended with finish_reason {said}, which does not say the answer is complete (only "
            f"{', '.join(sorted(COMPLETE))} do), so it was not used nor cached; check the server's log for why it "
            "stopped, or use another server",
            **where,
        )

    def silent(self, model: str | None, attempt: int) -> errors.ConnectionFailedError:
        """The server said nothing for ``SUMMARIZE_TIMEOUT`` seconds."""
        timeout = self.settings.timeout
        if self.local:
            message = (
                f"the server was silent for {timeout:g} s; a local server that is still working on the "
                f"request is not sent it again: raise SUMMARIZE_TIMEOUT (now {timeout:g}) for slow local models"
            )
        else:
            message = f"the request timed out after {timeout:g} s of silence; raise SUMMARIZE_TIMEOUT for slow models"
        return errors.ConnectionFailedError(message, timed_out=True, **self.where(model, attempt, None))

    def overdue(self, deadline: float, model: str | None, attempt: int, call: str = "") -> errors.ConnectionFailedError:
        """The attempt ran past its deadline while the server kept sending: a chat reply, or
        the answer to another ``call`` ("GET /models"), which no token limit makes shorter."""
        timeout = self.settings.timeout
        return errors.ConnectionFailedError(
            f"{f'the answer to {call}' if call else 'the reply'} was still coming after {deadline:g} s, the deadline "
            f"of one request ({deadline / timeout:g} times SUMMARIZE_TIMEOUT={timeout:g}); the server is very slow "
            "or stalling: raise SUMMARIZE_TIMEOUT" + ("" if call else " or lower SUMMARIZE_OUTPUT_TOKENS"),
            timed_out=True,
            **self.where(model, attempt, None),
        )

    def dropped(self, detail: str, model: str | None, attempt: int) -> errors.ConnectionFailedError:
        return errors.ConnectionFailedError(
            f"could not connect or the connection dropped ({self.redact(detail)}); is a server running at the "
            f"base URL{self._base_url_origin()}?",
            **self.where(model, attempt, None),
        )

    def _base_url_origin(self) -> str:
        """Where the base URL came from, as a message can say it: " (from OPENAI_BASE_URL)", the
        preset's or the default with the ways to set another, or, given as an argument, those ways."""
        origin = self.settings.origin("base_url").removeprefix(", ")
        ways = "base_url=, --base-url or SUMMARIZE_BASE_URL"
        if origin.startswith("from "):
            return f" ({origin})"
        return f" ({origin}; set another with {ways})" if origin else f" ({ways})"

    def _check_base_url(self) -> str:
        """Advice to check the base URL, named by where it came from (``_base_url_origin``)."""
        return f"check the base URL{self._base_url_origin()}"

    def _not_the_api(self) -> str:
        """Advice for a reply that is not the API's: the base URL may not be the API's path."""
        return f"check that the base URL{self._base_url_origin()} points at an OpenAI-compatible server (its /v1 path)"

    def cut_short(self, model: str | None, attempt: int, detail: str = "") -> errors.ConnectionFailedError:
        """A stream that ended mid-reply (``reply.StreamCut``), or a connection that broke after
        the reply began (``detail`` says how): dropped, as a connection is, and retried as one;
        its text is never kept or cached."""
        how = (
            f"the connection broke after the reply began ({self.redact(detail)})" if detail
            else "the stream ended with neither a finish_reason nor [DONE]"
        )
        return errors.ConnectionFailedError(
            f"the reply stopped short: {how}, so the connection or the server dropped it mid-reply",
            **self.where(model, attempt, 200),
        )

    def closed(self, detail: str, model: str | None, attempt: int) -> errors.ConnectionFailedError:
        """The client was closed under the request: our doing, not the server's (never retried)."""
        return errors.ConnectionFailedError(detail, **self.where(model, attempt, None))

    def status_only(self, exc: Any, model: str | None, attempt: int) -> errors.EndpointError:
        """An error status whose body never arrived (``transport.StatusBodyLost``): the status
        alone decides, so a 400 is not sent again and a 503 is retried as any 503."""
        response = exc.response
        reason = getattr(response, "reason_phrase", "") or ""
        lost = (
            f", with an error body past {MAX_SIDE_BODY_BYTES:,} bytes, not read"
            if _behind(exc, _capped) is not None
            else ", and the connection dropped before the error body arrived"
        )
        text = f"HTTP {exc.status_code} {reason}".strip() + lost
        try:
            wait = retry_after(exc)
        except (ValueError, TypeError, OverflowError):
            wait = None
        return self.classify(exc.status_code, text, None, wait, model, attempt)

    def exception(self, exc: Any, model: str | None, attempt: int, sdk: Any) -> errors.EndpointError:
        """What ``openai`` (module ``sdk``) raised, as an ``EndpointError``."""
        if isinstance(exc, sdk.APIError) and self.redact(exc.message) != exc.message:
            # The original travels on as __cause__ and prints in tracebacks: redact it too.
            exc.message = self.redact(exc.message)
            exc.args = (exc.message,)
        if isinstance(exc, sdk.APITimeoutError):
            return self.silent(model, attempt)
        if isinstance(exc, sdk.APIConnectionError):
            # openai calls whatever the HTTP library raised a connection error; two of them are not.
            capped = _behind(exc, _capped)
            if capped is not None:  # not worth asking again
                return errors.EndpointError(f"{capped}; {self._check_base_url()}", **self.where(model, attempt, None))
            cause = _behind(exc, _http_error("DecodingError", "TooManyRedirects"))
            if cause is not None and type(cause).__name__ == "DecodingError":
                return self.malformed(f"its body does not decode as its Content-Encoding says: {cause}", model or "", attempt)
            if cause is not None:
                return errors.EndpointError(
                    f"the endpoint redirects in a loop ({self.redact(str(cause))[:200]}); {self._check_base_url()}",
                    **self.where(model, attempt, None),
                )
            tls = tls_failure(exc)
            if tls is not None:
                # Plain HTTP where TLS was asked, or a certificate refused: the same answer every
                # time, so not asked again (4 attempts took 12 s to say so at default settings).
                return errors.ConnectionFailedError(
                    f"{tls}{self._base_url_origin()}", settled=True, **self.where(model, attempt, None)
                )
            return self.dropped(str(exc), model, attempt)
        if isinstance(exc, sdk.APIStatusError) and 300 <= exc.status_code < 400:
            target = exc.response.headers.get(REDIRECTED_TO) or exc.response.headers.get("location") or "elsewhere"
            return errors.EndpointError(
                f"{self.base_url} redirects the chat request to {self.redact(target)[:200]} (HTTP {exc.status_code}), "
                "where it would arrive as a GET, not the POST it is; set the base URL to the API it points at "
                f"(usually ending in /v1){self._base_url_origin()}",
                **self.where(model, attempt, exc.status_code),
            )
        if isinstance(exc, sdk.APIStatusError):
            body = exc.body
            error = body.get("error") if isinstance(body, dict) else None
            fields = error if isinstance(error, dict) else body if isinstance(body, dict) else {}
            code = fields.get("code", body.get("code") if isinstance(body, dict) else None)
            etype = fields.get("type") if isinstance(fields.get("type"), str) else None
            raw = body if isinstance(body, str) else (exc.response.text if body is None and _readable(exc) else "")
            page = html_summary(raw) if raw else None
            if page is not None:
                # An HTML error page (a proxy's 502): its title, else the status line, not the markup.
                reason = getattr(exc.response, "reason_phrase", "") or ""
                text = page or f"HTTP {exc.status_code} {reason}".strip()
                text = f"{text} (an HTML page, not the API: a proxy or gateway answered)"
            else:
                text = f"{exc.message} {_body_text(body)} {etype or ''}"
            try:
                wait = retry_after(exc)
            except (ValueError, TypeError, OverflowError):
                wait = None  # "Retry-After: soon" says nothing we can use
            return self.classify(exc.status_code, text, code, wait, model, attempt, kind=etype)
        return errors.EndpointError(f"{type(exc).__name__}: {exc}", **self.where(model, attempt, None))

    def classify(
        self,
        status: int | None,
        text: str,
        code: Any,
        retry_after: float | None,
        model: str | None,
        attempt: int,
        *,
        kind: str | None = None,
    ) -> errors.EndpointError:
        """The error a status, an error text, a code and an error type (``kind``) make."""
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
                    f"SUMMARIZE_RETRY_WAIT_MAX={wait_max:g}; {self.rate_advice}"
                )
            else:
                message = f"rate limited; {self.rate_advice}: {short}"
            return errors.RateLimitedError(message, retry_after=retry_after, **where)
        if status in (401, 403):
            withheld = self.settings.withheld_note()
            advice = (
                f"{withheld}: set SUMMARIZE_API_KEY to this endpoint's key" if withheld
                else "check SUMMARIZE_API_KEY (or OPENAI_API_KEY)"
            )
            return errors.AuthenticationError(f"the endpoint refused the key; {advice}: {short}", **where)
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
                "the endpoint has no such path (OpenAI-compatible servers usually serve under /v1); "
                f"{self._check_base_url()}: {short}",
                **where,
            )
        # A server_error code or type is the server's fault whatever the status (some send it in a 200).
        server_side = code == "server_error" or kind == "server_error"
        if server_side or (status is not None and (status >= 500 or status in RETRYABLE_STATUS)):
            advice = "try again later or raise SUMMARIZE_MAX_RETRIES"
            if retry_after is not None and retry_after > wait_max:
                advice = f"it asks to wait {retry_after:g} s, more than SUMMARIZE_RETRY_WAIT_MAX={wait_max:g}; try again later"
            return errors.ServerError(
                f"the endpoint failed (overloaded, still loading the model, or crashed); {advice}: {short}",
                retry_after=retry_after,
                **where,
            )
        return errors.BadRequestError(f"the endpoint rejected the request: {short}", **where)
