"""Every error this library raises, under one base class.

::

    SummarizeError
    ├── ConfigError (ValueError)          a setting or environment variable is malformed or missing
    ├── InputError (ValueError)           the article cannot be summarized (empty, lone surrogates, ...)
    │   └── InputTypeError (TypeError)    the article is not a str (None, bytes, a number)
    ├── ChunkFailedError                  one chunk of a map-reduce failed for good (index and cause)
    └── EndpointError                     the endpoint failed; carries status, base_url, model, attempts
        ├── ConnectionFailedError         unreachable, connection dropped, or timed out after retries
        ├── RateLimitedError              429 after retries, or a Retry-After longer than we will wait
        ├── AuthenticationError           401 / 403: the key is missing, wrong, or lacks access
        ├── ModelNotFoundError            404 for the model (Ollama: "try pulling it first")
        ├── ContextLengthError            the request is longer than the model's context window
        ├── ContentFilteredError          the provider refused the text (DashScope data_inspection_failed)
        ├── BadRequestError               any other 4xx: the request itself is wrong
        ├── ServerError                   5xx after retries, a 503 whose Retry-After is too long, or
        │                                 a reply the server gave up on (finish_reason abort or error)
        ├── TruncatedOutputError          finish_reason == "length": the reply was cut off
        └── EmptyReplyError               the reply held no answer: empty, only reasoning or chatter

Endpoint errors keep the original exception on ``__cause__`` and never contain the API key.
"""

from __future__ import annotations


class SummarizeError(Exception):
    """Base of every error this library raises."""


class ConfigError(SummarizeError, ValueError):
    """A setting is malformed or missing; the message names the variable and what is valid."""


class InputError(SummarizeError, ValueError):
    """The article text cannot be used; nothing was sent."""


class InputTypeError(InputError, TypeError):
    """The article is not a ``str``; nothing was sent."""


class ChunkFailedError(SummarizeError):
    """A chunk of a long article failed for good; ``index`` is 0-based in article order."""

    def __init__(self, index: int, count: int, cause: BaseException, *, what: str | None = "summary") -> None:
        """``what`` partial=True would return instead (``"summary"`` or ``"translation"``), or
        ``None`` when it would return nothing: every chunk failed."""
        self.index = index
        self.count = count
        kept = {
            "summary": " Pass partial=True to get a summary of the chunks that succeeded.",
            "translation": " Pass partial=True to get the translation of the chunks that succeeded "
            "(the failed chunks' paragraphs empty, listed in unverified).",
        }
        # What failed, without the advice for a Python caller (the command line's is --partial),
        # and whether keeping the other chunks would give anything.
        self.reason = f"chunk {index + 1} of {count} failed: {cause}."
        self.keeps_others = what in kept and count > 1
        super().__init__(f"{self.reason}{kept[what] if self.keeps_others and what else ''}")


class EndpointError(SummarizeError):
    """The endpoint could not give a usable reply."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        base_url: str | None = None,
        model: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.status = status
        self.base_url = base_url
        self.model = model
        self.attempts = attempts
        where = ", ".join(
            part
            for part in (
                f"status {status}" if status is not None else "",
                f"model {model!r}" if model else "",
                f"at {base_url}" if base_url else "",
                f"after {attempts} attempts" if attempts > 1 else "",
            )
            if part
        )
        from .text import printable  # text imports this module

        # A message quotes what the server sent: nothing in it may act on the user's terminal.
        super().__init__(printable(f"{message} ({where})" if where else message))


class ConnectionFailedError(EndpointError):
    """The endpoint could not be reached, dropped the connection, or timed out.

    Two marks tell the retry policy what sending again would do: ``timed_out`` (the server
    went silent, or ran past the request's deadline: a local server is most likely still
    working on it) and ``settled`` (a failure that comes back the same every time, such as
    a TLS handshake with a plain-HTTP server).
    """

    def __init__(self, message: str, *, timed_out: bool = False, settled: bool = False, **kwargs) -> None:
        self.timed_out = timed_out
        self.settled = settled
        super().__init__(message, **kwargs)


class RateLimitedError(EndpointError):
    """The endpoint kept answering 429, or asked us to wait longer than we are allowed to."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class AuthenticationError(EndpointError):
    """The key was refused (401) or lacks permission (403)."""


class ModelNotFoundError(EndpointError):
    """The endpoint does not serve the requested model."""


class ContextLengthError(EndpointError):
    """The request is longer than the model's context; ``limit`` is the window when the server said."""

    def __init__(self, message: str, *, limit: int | None = None, requested: int | None = None, **kwargs) -> None:
        self.limit = limit
        self.requested = requested
        super().__init__(message, **kwargs)


class ContentFilteredError(EndpointError):
    """The provider's content filter refused the request or the reply."""


class BadRequestError(EndpointError):
    """The endpoint rejected the request (a 4xx other than the ones above)."""


class ServerError(EndpointError):
    """The endpoint kept failing with 5xx (or 408/409); ``retry_after`` is what it asked us to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class TruncatedOutputError(EndpointError):
    """The reply stopped at the token limit (``finish_reason == "length"``), so it is incomplete."""


class EmptyReplyError(EndpointError):
    """The model's reply held no answer: nothing, only its reasoning (thinking), or only what a
    chat model says around an answer ("Here is the summary:"), asked twice. The message says
    what may have caused it and what to do."""
