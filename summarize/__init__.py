"""Summarize and translate Traditional-Chinese news articles through any OpenAI-compatible endpoint.

>>> from summarize import summarize_article
>>> print(summarize_article(open("article.txt", encoding="utf-8").read()))  # doctest: +SKIP

Importing this package makes no network call and builds no client.
"""

from .config import Settings
from .errors import (
    AuthenticationError,
    BadRequestError,
    ChunkFailedError,
    ConfigError,
    ConnectionFailedError,
    ContentFilteredError,
    ContextLengthError,
    EmptyReplyError,
    EndpointError,
    InputError,
    InputTypeError,
    ModelNotFoundError,
    RateLimitedError,
    ServerError,
    SummarizeError,
    TruncatedOutputError,
)
from .glossary import load_glossary
from .pipeline import asummarize_article, summarize_article
from .result import Summary, Translation, Usage
from .tokens import count_tokens
from .translate import atranslate_article, translate_article

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ChunkFailedError",
    "ConfigError",
    "ConnectionFailedError",
    "ContentFilteredError",
    "ContextLengthError",
    "EmptyReplyError",
    "EndpointError",
    "InputError",
    "InputTypeError",
    "ModelNotFoundError",
    "RateLimitedError",
    "ServerError",
    "Settings",
    "Summary",
    "SummarizeError",
    "Translation",
    "TruncatedOutputError",
    "Usage",
    "asummarize_article",
    "atranslate_article",
    "count_tokens",
    "load_glossary",
    "summarize_article",
    "translate_article",
]
