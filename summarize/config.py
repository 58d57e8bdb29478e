"""Settings: one frozen object, built from explicit arguments > environment variables > defaults.

Nothing here runs at import time, and nothing here talks to the network.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from . import presets
from .errors import ConfigError

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Where Settings remember, in the map of settings to the variables they were read from, that
# OPENAI_API_KEY was set but not sent (Settings.withheld_key).
_WITHHELD = "api_key withheld"
# Local servers accept any key, but the openai package refuses to send none.
PLACEHOLDER_API_KEY = "no-key-needed"


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError
    return value


# The fewest tokens a reply may be capped at: a summary of 5 words after the 32 tokens of room
# every reply is given (``budget.REPLY_EXTRA_TOKENS``; one under 3 words is refused as too
# short anyway). Below it the advice to shorten the summary instead could name no length that
# exists ("0 words or less", output_tokens=1 was told); above it, budget.py says which does.
MIN_OUTPUT_TOKENS = 40


def _output_tokens(text: str) -> int:
    value = int(text)
    if value < MIN_OUTPUT_TOKENS:
        raise ValueError
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise ValueError
    return value


# The sampling temperature's range in the OpenAI API, which DashScope follows; a local server
# takes more, but above 2 a model writes noise, and the gateways refuse it only after the request.
MAX_TEMPERATURE = 2.0


def _temperature(text: str) -> float:
    value = _non_negative_float(text)
    if value > MAX_TEMPERATURE:
        raise ValueError
    return value


class _Refused(ValueError):
    """A value refused for a reason of its own; the message follows the variable's name and
    never repeats the value (it may hold a password or a key)."""


def holds_userinfo(url: str) -> bool:
    """``url`` has a ``user:password@`` (or a ``user@``) before its host, even if it is malformed."""
    _, sep, rest = url.strip().partition("://")
    return bool(sep) and "@" in rest.split("/", 1)[0]


def _url(text: str) -> str:
    text = text.strip()
    scheme, sep, rest = text.partition("://")
    # Userinfo and a query are looked for before parsing, so that even a malformed URL's password
    # or key ("https//user:pw@host", "http://[::1/v1?api-key=...") is never echoed: a message
    # about a malformed URL shows it whole.
    if holds_userinfo(text):
        raise _Refused(
            "must not hold a user name or password (user:password@host): it would be printed in "
            "messages and logs, and sent as Basic auth in place of the key; remove it and set "
            "SUMMARIZE_API_KEY to the key"
        )
    if "?" in text or "#" in text:
        raise _Refused(
            "must not hold a query string or fragment (?... or #...): request paths are added to "
            "the base URL, which would put them after it; a key belongs in SUMMARIZE_API_KEY"
        )
    # A zero-width space pasted with the URL: the message below, which shows the URL, would show
    # nothing wrong (whitespace and controls it shows escaped).
    unseen = _unseen("".join(c for c in text if not (c.isspace() or ord(c) < 32)))
    if unseen:
        raise _Refused(f"holds {unseen}; set it to the URL alone, such as http://localhost:8080/v1")
    try:
        if scheme.lower() not in ("http", "https") or not sep or any(c.isspace() or ord(c) < 32 for c in text):
            raise ValueError
        parts = urlsplit(text)  # ValueError for "http://[::1" and the like
        if not parts.hostname:
            raise ValueError
        _encodable_host(parts.hostname)
    except ValueError:
        if "@" in text:  # "https//user:pw@host", "user:pw@host/v1": maybe a password, so not shown
            raise _Refused(
                "must be an http:// or https:// URL such as http://localhost:8080/v1 (not shown: it holds an '@', "
                "which may be a password; a key belongs in SUMMARIZE_API_KEY)"
            ) from None
        raise
    _ = parts.port  # ValueError for a port that is not a number in 0-65535
    if parts.hostname.startswith("[") or ":" in parts.hostname:
        ipaddress.IPv6Address(parts.hostname.split("%", 1)[0])  # ValueError for a bad bracketed address
    text = text.rstrip("/")
    path = "/chat/completions"
    # Copied from a curl example: every request would go to .../chat/completions/chat/completions.
    if text.lower().endswith(path) and len(text) - len(path) >= len(f"{scheme}://{parts.netloc}"):
        raise _Refused(f"ends in {path}, which is added to it for every request: set it to {text[: -len(path)]}")
    return text


_DOTTED_QUAD = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")


def _encodable_host(host: str) -> None:
    """Refuse a host the HTTP client refuses at the first request (httpx's
    ``InvalidURL``, which is no ``SummarizeError``): four dotted numbers that are no IPv4 address
    (``192.168.1.300``), or a name in another script that IDNA cannot encode (an empty label)."""
    if _DOTTED_QUAD.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise _Refused(f"names the host {host}, which is no IPv4 address: each of its four numbers must be 0-255, written without a leading zero") from None
    elif not host.isascii() and not host.startswith("["):
        try:
            import idna  # what httpx encodes such a host with; it comes with openai's HTTP client
        except ImportError:  # pragma: no cover - depends on the environment
            return
        try:
            idna.encode(host.lower())
        except idna.IDNAError as exc:
            raise _Refused(f"names the host {host}, which is no valid host name ({exc})") from None


# Loopback and private networks: servers there are the user's own (often a model on a CPU).
# 0.0.0.0 and [::] too: servers print them as where they listen ("Uvicorn running on
# http://0.0.0.0:8000"), people copy them, and they reach this machine. Link-local addresses, and
# 100.64.0.0/10, where Tailscale puts the machines of one's own tailnet.
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "0.0.0.0/32", "100.64.0.0/10", "169.254.0.0/16",
        "::1/128", "::/128", "fd00::/8", "fe80::/10",
    )
)


def _on_openai(url: str) -> bool:
    """``url`` is on OpenAI's API host over https (see ``Settings.is_openai``)."""
    preset = presets.for_request(None, url)
    return preset is not None and preset.name == "openai" and url.strip().lower().startswith("https://")


def is_local_url(url: str) -> bool:
    """``url`` points at a loopback or private address, ``localhost`` or an mDNS ``*.local`` name."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in _LOCAL_NETWORKS)


def _key(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError
    # An HTTP header cannot carry these; httpcore would print the key in a traceback, and a
    # newline would end the header. Keys are printable ASCII.
    if any(not 0x21 <= ord(c) <= 0x7E for c in text):
        raise _Refused(
            "holds a control, whitespace or non-ASCII character (a pasted newline, a curly quote?); "
            "set it to the key alone"
        )
    return text


_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _model(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError
    # A model name goes into every request and every log line: a pasted line break, or a
    # zero-width space that looks like nothing, names a model no server has, and the 404 that
    # follows shows the name looking right.
    unseen = _unseen(text)
    if unseen:
        raise _Refused(f"holds {unseen}; set it to the model's name alone, as the endpoint lists it")
    return text


def _unseen(text: str) -> str | None:
    """What ``text`` holds that cannot be seen where it is shown ("an invisible character
    (U+200B)"), else ``None``. Categories C* (controls, format characters such as U+200B and
    U+FEFF, unassigned) and Z* other than the plain space are what cannot be seen."""
    for c in text:
        category = unicodedata.category(c)
        if 0xDC80 <= ord(c) <= 0xDCFF:  # how Python keeps a byte of the environment that is not UTF-8
            return f"a byte that is not UTF-8 (0x{ord(c) - 0xDC00:02X}: is the variable in another encoding?)"
        if category[0] == "C" or (category[0] == "Z" and c != " "):
            what = "a line break" if c in _LINE_BREAKS or category in ("Zl", "Zp") else (
                "a control character" if category == "Cc" else "an invisible character"
            )
            return f"{what} (U+{ord(c):04X})"
    return None


def _text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError
    return text


def _path(text: str) -> str:
    """A path: text without a NUL, which no file system takes (``open`` raised a bare ValueError,
    for a cache folder after the reply it would have kept was paid for)."""
    text = _text(text)
    if "\x00" in text:
        raise _Refused("must be a path, which holds no NUL character")
    # "~/names.tsv" from a .env file or a systemd unit, where no shell expands it, as the cache
    # folder's always was: the glossary's failed every run as a file named "~/names.tsv".
    return os.path.expanduser(text)


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError


def _one_of(choices: Iterable[str]) -> Callable[[str], str]:
    """A parser of a value that must be one of ``choices``, in any case, spaces around ignored."""
    allowed = frozenset(choices)

    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in allowed:
            raise ValueError
        return value

    return parse


# How a summary is written (``Settings.method``; ``summarize.keysentences`` says how auto picks).
AUTO, ABSTRACTIVE, KEY_SENTENCES = "auto", "abstractive", "key-sentences"
METHODS = (AUTO, ABSTRACTIVE, KEY_SENTENCES)



@dataclass(frozen=True)
class _Spec:
    env: str
    parse: Callable[[str], Any]
    valid: str
    fallback_env: str | None = None
    # What a Python argument must be: "str", "path" (a str or an os.PathLike), "bool", "int" or
    # "float" (an int will do). The variable's text is parsed; an argument is never str()-ed.
    wants: str = "str"


# The one home of every setting's environment variable, parser and description of valid values.
_SPECS: dict[str, _Spec] = {
    "base_url": _Spec("SUMMARIZE_BASE_URL", _url, "an http:// or https:// URL", "OPENAI_BASE_URL"),
    "api_key": _Spec("SUMMARIZE_API_KEY", _key, "a non-empty key", "OPENAI_API_KEY"),
    "model": _Spec("SUMMARIZE_MODEL", _model, "a model name the endpoint serves"),
    "context_tokens": _Spec("SUMMARIZE_CONTEXT_TOKENS", _positive_int, "a positive integer, e.g. 8192", wants="int"),
    "chunk_tokens": _Spec("SUMMARIZE_CHUNK_TOKENS", _positive_int, "a positive integer, e.g. 1500", wants="int"),
    "output_tokens": _Spec(
        "SUMMARIZE_OUTPUT_TOKENS", _output_tokens, f"a whole number of at least {MIN_OUTPUT_TOKENS}, e.g. 1024", wants="int"
    ),
    "summary_words": _Spec("SUMMARIZE_SUMMARY_WORDS", _positive_int, "a positive integer, e.g. 150", wants="int"),
    "method": _Spec("SUMMARIZE_METHOD", _one_of(METHODS), f"one of {', '.join(METHODS)}"),
    "concurrency": _Spec("SUMMARIZE_CONCURRENCY", _positive_int, "a positive integer, e.g. 4", wants="int"),
    "timeout": _Spec("SUMMARIZE_TIMEOUT", _positive_float, "a positive number of seconds, e.g. 120", wants="float"),
    "max_retries": _Spec("SUMMARIZE_MAX_RETRIES", _non_negative_int, "a whole number >= 0, e.g. 3", wants="int"),
    "retry_backoff": _Spec("SUMMARIZE_RETRY_BACKOFF", _non_negative_float, "a number of seconds >= 0, e.g. 1", wants="float"),
    "retry_wait_max": _Spec("SUMMARIZE_RETRY_WAIT_MAX", _non_negative_float, "a number of seconds >= 0, e.g. 60", wants="float"),
    "temperature": _Spec("SUMMARIZE_TEMPERATURE", _temperature, "a number from 0 to 2, e.g. 0.2", wants="float"),
    # Lowercased as it is used: "AUTO" counted as auto but was reported as a tokenizer named "AUTO".
    "tokenizer": _Spec("SUMMARIZE_TOKENIZER", lambda t: _text(t).lower(), "auto, qwen, qwen3.5, conservative or a tiktoken encoding name"),
    "preset": _Spec("SUMMARIZE_PRESET", _one_of(presets.PRESETS), f"one of {', '.join(presets.PRESETS)}"),
    "cache": _Spec("SUMMARIZE_CACHE", _flag, "1 or 0 (true/false, yes/no, on/off)", wants="bool"),
    "cache_dir": _Spec("SUMMARIZE_CACHE_DIR", _path, "a folder path", wants="path"),
    "glossary": _Spec("SUMMARIZE_GLOSSARY", _path, "a glossary file path (lines of source<TAB>English)", wants="path"),
    "on_truncation": _Spec("SUMMARIZE_ON_TRUNCATION", _one_of(("error", "keep")), "error or keep"),
    "translation_context": _Spec("SUMMARIZE_TRANSLATION_CONTEXT", _flag, "1 or 0 (true/false, yes/no, on/off)", wants="bool"),
    "verify": _Spec("SUMMARIZE_VERIFY", _flag, "1 or 0 (true/false, yes/no, on/off)", wants="bool"),
}

# Settings a preset can set; None means "not given": the preset's value, else this default.
_PRESET_DEFAULTS: dict[str, Any] = {"base_url": OPENAI_BASE_URL, "context_tokens": 8192, "timeout": 120.0}
# Without a preset, a base URL on a loopback or private address gets the local presets' timeout:
# a model on a CPU needs minutes for a long prompt, and a timed-out request there is work lost.
LOCAL_TIMEOUT = 600.0


def _argument(name: str, spec: _Spec, value: Any) -> Any:
    """``value`` if it has the Python type setting ``name`` takes (a path as its str).

    A Python argument keeps its type: ``"30"`` for a timeout is as wrong as ``"4"`` for a count,
    and ``verify=0`` or ``cache="false"`` as ``model=5`` (which was sent as the model "5").
    The words the variables take (1/0, yes/no, on/off) are for the environment only.

    Raises:
        ConfigError: it has another type; the message names the type wanted.
    """
    got = type(value).__name__ if name == "api_key" else f"{type(value).__name__} {value!r}"  # never a key
    if spec.wants == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be True or False, got {got}")
        return value
    if spec.wants in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int if spec.wants == "int" else (int, float)):
            raise ConfigError(f"{name} must be {spec.valid}, got {got}")
        return value
    if spec.wants == "path" and isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        wanted = "a str or os.PathLike" if spec.wants == "path" else "a str"
        raise ConfigError(f"{name} must be {wanted}: {spec.valid}, got {got}")
    return value


# The public functions' own keywords besides the settings, each function's (the async twins take
# the same): a misspelt one is as likely meant for them ("language" for languages=) as for a setting.
FUNCTION_ARGUMENTS = {
    "summarize_article": ("languages", "settings", "client", "partial", "glossary", "on_text"),
    "translate_article": ("target", "settings", "client", "partial", "glossary"),
}
ARGUMENTS = tuple(dict.fromkeys(name for names in FUNCTION_ARGUMENTS.values() for name in names))

# An argument of one public function given to the other: what that one takes instead.
_INSTEAD = {
    ("translate_article", "languages"): "it translates into one language: target='en' (or 'zh-Hant')",
    ("translate_article", "on_text"): "it does not stream its text: on_text is summarize_article's",
    ("summarize_article", "target"): "it takes languages=('en',) (or 'zh-Hant', or both); target is translate_article's",
}
# Names a translate_article caller may mean target by (languages= is in _INSTEAD); summarize_article's
# are in _OTHER_NAMES.
_TARGET_NAMES = ("language", "lang", "target_language", "to")


# What other APIs call a setting: an OpenAI client's parameter names, and plain words.
_OTHER_NAMES = {
    "max_tokens": "output_tokens", "max_completion_tokens": "output_tokens", "max_output_tokens": "output_tokens",
    "words": "summary_words", "max_words": "summary_words", "length": "summary_words",
    "api_base": "base_url", "url": "base_url", "endpoint": "base_url", "key": "api_key", "lang": "languages",
}


def _meant(name: str) -> str:
    """" (did you mean 'languages'?)" for a name one typo away from a setting or an argument, or
    another API's name for one (max_tokens)."""
    close = [_OTHER_NAMES[name]] if name in _OTHER_NAMES else difflib.get_close_matches(
        name, [*_SPECS, *ARGUMENTS], n=1, cutoff=0.75
    )
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_arguments(function: str, overrides: Mapping[str, Any]) -> None:
    """Refuse an argument of the other public function, or a name ``function`` would read as
    its target, with what ``function`` takes instead: the settings' own check would call
    ``languages`` an unknown setting and ask whether 'languages' was meant. Called first, before
    the article is judged against a target the caller did not mean.

    Raises:
        ConfigError: ``overrides`` holds such a name.
    """
    own = FUNCTION_ARGUMENTS[function]
    for name in overrides:
        if name in ARGUMENTS and name not in own:
            instead = _INSTEAD.get((function, name), "it is another public function's argument")
            raise ConfigError(f"{function} takes no {name}=: {instead}")
        if function == "translate_article" and name in _TARGET_NAMES:
            raise ConfigError(f"{function} takes no {name}= (did you mean 'target'?): target='en' or 'zh-Hant'")


def _check_known(overrides: Mapping[str, Any]) -> None:
    unknown = sorted(set(overrides) - set(_SPECS))
    if unknown:
        named = ", ".join(f"{name}{_meant(name)}" for name in unknown)
        raise ConfigError(f"unknown setting(s) {named}; valid: {', '.join(_SPECS)}")


@dataclass(frozen=True)
class Settings:
    """Everything that shapes requests. Build with ``Settings.from_env()`` or directly.

    A Settings object is the whole configuration of the runs given it: built directly
    (``Settings(model="qwen3:8b")``), it reads no environment variable, and what it leaves unset
    is the default or the preset's. ``Settings.from_env(model="qwen3:8b")`` starts from the
    ``SUMMARIZE_*`` variables instead, its arguments beating them.

    Args:
        base_url: the OpenAI-compatible endpoint, e.g. ``http://localhost:11434/v1``.
        api_key: the key; local servers need none (a placeholder is sent).
        model: the model name; ``None`` asks the endpoint's ``/models`` and takes the only one.
        context_tokens: the model's context window.
        chunk_tokens: most article tokens in one map request; ``None`` derives it from the
            context window, the output reserve and the prompt size.
        output_tokens: the most tokens any one reply may take (at least ``MIN_OUTPUT_TOKENS``,
            40). Each request asks for what its job
            needs (a summary's length, a chunk's notes, a chunk's translation), capped by this,
            and only that much is reserved out of the context window.
        summary_words: how long a summary may be, in English words (a Chinese summary gets
            twice as many characters); map notes get a share of it sized to their chunk.
        method: how a summary is written: ``abstractive`` (the model reads the article, in
            parts when it is long, and writes the summary), ``key-sentences`` (the article's key
            sentences are chosen offline and the model translates each, shortened:
            ``summarize.keysentences``), or ``auto`` (the default): key sentences for a model
            of fewer than 3 billion parameters, by its name or the server's model listing,
            which summarizes badly and translates well; abstractive otherwise.
        concurrency: most requests in flight at once.
        timeout: seconds a request may stay silent (connecting, or between streamed bytes);
            each attempt also has a deadline of ``summarize.transport.DEADLINE_FACTOR`` (3) times
            it. ``None`` is the preset's, else 600 for a base URL on a loopback or private
            address (``is_local_url``), else 120.
        max_retries: retries after the first attempt, for retryable failures only.
        retry_backoff: first backoff in seconds; doubles each retry, jittered upwards, never below a ``Retry-After``.
        retry_wait_max: the longest single wait; a ``Retry-After`` above it fails at once.
        temperature: sampling temperature.
        tokenizer: how tokens are counted; ``auto`` picks by model (see ``summarize.tokens``).
        preset: a server preset (``summarize.presets``): its base URL, context window and timeout
            fill those left unset (explicit values and environment variables win), and
            requests take its quirks (how thinking is turned off, the token-limit field).
        cache: reuse replies from the on-disk response cache (``summarize.cache``).
        cache_dir: the cache folder; ``None`` is the user's cache folder.
        glossary: a glossary file of names and their English forms (``summarize.glossary``).
        on_truncation: what a reply cut at ``output_tokens`` does: ``error`` (the default) raises
            ``TruncatedOutputError``; ``keep`` keeps the cut text, logs a warning and flags the
            result (``truncated``), for small local models that rarely stop on their own.
        translation_context: send each translation request the article's title and the
            paragraph before its chunk as well (about a third more characters at 500-token
            chunks, the text near every chunk boundary sent twice); off by default, since the
            glossary already keeps names consistent across chunks.
        verify: check every output's figures and names against its source and ask once to
            repair a summary's unsupported figures (``summarize.verify``); ``False`` turns both off.

    ``base_url``, ``context_tokens`` and ``timeout`` left at ``None`` become the preset's value,
    else ``https://api.openai.com/v1``, 8192 and 120.
    """

    base_url: str = None  # type: ignore[assignment]  # None: the preset's, else OpenAI's
    api_key: str | None = field(default=None, repr=False)
    model: str | None = None
    context_tokens: int = None  # type: ignore[assignment]  # None: the preset's, else 8192
    chunk_tokens: int | None = None
    output_tokens: int = 1024
    summary_words: int = 150
    method: str = AUTO
    concurrency: int = 4
    timeout: float = None  # type: ignore[assignment]  # None: the preset's, else 120
    max_retries: int = 3
    retry_backoff: float = 1.0
    retry_wait_max: float = 60.0
    temperature: float = 0.2
    tokenizer: str = "auto"
    preset: str | None = None
    cache: bool = True
    cache_dir: str | None = None
    glossary: str | None = None
    on_truncation: str = "error"
    translation_context: bool = False
    verify: bool = True

    def __post_init__(self) -> None:
        if not hasattr(self, "_env"):  # built directly: no variable was read (see _build)
            object.__setattr__(self, "_env", None)
        preset = None
        if self.preset is not None:
            try:
                preset = presets.get(str(self.preset))
            except ConfigError:
                raise ConfigError(f"preset must be {_SPECS['preset'].valid}, got {self.preset!r}") from None
        derived = []
        for name, default in _PRESET_DEFAULTS.items():
            if getattr(self, name) is None:
                value = getattr(preset, name, None)
                if name == "timeout" and preset is None and is_local_url(str(self.base_url)):
                    value = LOCAL_TIMEOUT
                object.__setattr__(self, name, default if value is None else value)
                derived.append(name)
        # Remembered so that replace(preset=...) re-derives what nobody set.
        object.__setattr__(self, "_derived", frozenset(derived))
        for name, spec in _SPECS.items():
            value = getattr(self, name)
            if value is None and name in ("api_key", "model", "chunk_tokens", "preset", "cache_dir", "glossary"):
                continue
            value = _argument(name, spec, value)
            try:
                parsed = spec.parse(str(value))
            except _Refused as exc:
                # Named as it was given: the variable it was read from, else the argument (a
                # variable the user never set is no help: "model (SUMMARIZE_MODEL)" for --model).
                raise ConfigError(f"{self._variable(name) or name} {exc}") from None
            except (TypeError, ValueError):
                raise ConfigError(f"{name} must be {spec.valid}, got {value!r}") from None
            object.__setattr__(self, name, parsed)
        if self.output_tokens >= self.context_tokens:
            raise ConfigError(
                f"output_tokens ({self.output_tokens}{self.origin('output_tokens')}) must be smaller than "
                f"context_tokens ({self.context_tokens}{self.origin('context_tokens')}): lower the one or raise the other"
            )

    @classmethod
    def _build(cls, env: Mapping[str, str], values: Mapping[str, Any]) -> Settings:
        """``cls(**values)``, remembering which setting came from which environment variable
        (``env``), so that messages name the variable to change only where one was read."""
        self = cls.__new__(cls)
        object.__setattr__(self, "_env", dict(env))
        cls.__init__(self, **values)
        return self

    def _variable(self, name: str) -> str | None:
        """The environment variable ``name`` was read from, if it was."""
        env: dict[str, str] | None = getattr(self, "_env", None)
        return env.get(name) if env else None

    def defaulted(self, name: str) -> bool:
        """Whether ``name`` was left to the preset or the default: no argument or variable gave it."""
        return name in getattr(self, "_derived", ())

    def origin(self, name: str) -> str:
        """Where ``name``'s value came from, for messages: ``", from SUMMARIZE_..."`` (or the
        ``OPENAI_*`` variable it fell back to), the preset's or the default; nothing for a value
        given as an argument."""
        variable = self._variable(name)
        if variable:
            return f", from {variable}"
        if self.defaulted(name):
            if self.preset and getattr(presets.get(self.preset), name, None) is not None:
                return f", preset {self.preset}'s"
            return ", the default"
        return ""

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{f.name}={'***' if f.name == 'api_key' and self.api_key else getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
        )
        return f"Settings({fields})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``SUMMARIZE_*`` variables (falling back to ``OPENAI_*`` where noted), with ``overrides`` on top.

        A variable an override replaces is not read, so a malformed one does not matter, and
        checks across settings see the merged values.

        Raises:
            ConfigError: a variable that is read is malformed (the message names it and what would
                be valid), an override is, or the merged settings contradict each other.
        """
        _check_known(overrides)
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}  # setting -> the variable it was read from
        unsent = ""  # why an OPENAI_API_KEY is malformed: an error only if it would be sent
        # A preset names the server: OPENAI_BASE_URL, set for other tools, must not outrank it
        # (`--preset ollama` sent the articles to the gateway it named).
        preset_named = overrides["preset"] is not None if "preset" in overrides else bool((env.get("SUMMARIZE_PRESET") or "").strip())
        for name, spec in _SPECS.items():
            if name in overrides:
                continue  # not read at all: a value nobody will use cannot be the reason a run stops
            raw, source = env.get(spec.env), spec.env
            if (raw is None or raw == "") and spec.fallback_env and not (name == "base_url" and preset_named):
                raw, source = env.get(spec.fallback_env), spec.fallback_env
            if raw is None or raw == "":
                continue
            try:
                values[name] = spec.parse(raw)
            except (_Refused, ValueError) as exc:
                message = f"{source} {exc}" if isinstance(exc, _Refused) else f"{source} must be {spec.valid}, got {raw!r}"
                if name == "api_key" and source == spec.fallback_env:
                    unsent = message  # set for other tools, it may never be sent here
                    continue
                raise ConfigError(message) from None
            sources[name] = source
        # One object from the merged values, so that checks across settings (output_tokens below
        # context_tokens) judge what will be used, never a variable an override replaced.
        settings = cls._build(sources, {**values, **overrides})
        fallback = _SPECS["api_key"].fallback_env
        if unsent:
            if settings._openai_key_goes_to(settings.base_url):
                raise ConfigError(unsent)
            sources[_WITHHELD] = str(fallback)  # malformed, and withheld anyway: no reason to stop
            return cls._build(sources, {**values, **overrides})
        if not settings.key_goes_to(settings.base_url):
            # An OpenAI key goes to OpenAI, or with the OPENAI_BASE_URL it is paired with: set for
            # other tools, it was sent to whatever host SUMMARIZE_BASE_URL or a preset named.
            del values["api_key"], sources["api_key"]
            sources[_WITHHELD] = str(fallback)
            settings = cls._build(sources, {**values, **overrides})
        return settings

    def withheld_key(self) -> str | None:
        """The variable holding a key that was not sent to this endpoint (``OPENAI_API_KEY``,
        which goes only to OpenAI's API or with ``OPENAI_BASE_URL``), for messages."""
        return None if self.api_key else self._variable(_WITHHELD)

    def withheld_note(self) -> str | None:
        """What a refused key's message says of a key withheld (``withheld_key``), or ``None``."""
        variable = self.withheld_key()
        return f"{variable} is set, but it is sent only to OpenAI's API or to OPENAI_BASE_URL" if variable else None

    def replace(self, **overrides: Any) -> Settings:
        """A copy with some settings changed; unknown names raise ``ConfigError``."""
        _check_known(overrides)
        if not overrides:
            return self
        # Built from what was given, not what was derived: a new preset fills the unset settings.
        derived: frozenset[str] = getattr(self, "_derived", frozenset())
        given = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in derived}
        env: dict[str, str] | None = getattr(self, "_env", None)
        if env is None:
            return type(self)(**{**given, **overrides})
        kept = {k: v for k, v in env.items() if k not in overrides}
        if overrides.get("preset") is not None and kept.get("base_url") == _SPECS["base_url"].fallback_env:
            # As from_env reads it: a preset named outranks OPENAI_BASE_URL, set for other tools.
            del kept["base_url"], given["base_url"]
        changed = type(self)._build(kept, {**given, **overrides})
        if not changed.key_goes_to(changed.base_url):
            # The OPENAI_API_KEY read for OpenAI's API stays with it: .replace(base_url=...) or a
            # preset sent it to whatever host they named, as from_env would not.
            del kept["api_key"]
            kept[_WITHHELD] = str(_SPECS["api_key"].fallback_env)
            changed = type(self)._build(kept, {**given, **overrides, "api_key": None})
        return changed

    def key_goes_to(self, base_url: str) -> bool:
        """Whether this settings' key may be sent to ``base_url``: any key given as itself may;
        one read from ``OPENAI_API_KEY`` only to OpenAI's API (over https) or to the
        ``OPENAI_BASE_URL`` it is paired with."""
        return self._variable("api_key") != _SPECS["api_key"].fallback_env or self._openai_key_goes_to(base_url)

    @property
    def sends_openai_ids(self) -> bool:
        """Whether the ``OPENAI_ORG_ID`` and ``OPENAI_PROJECT_ID`` the openai package reads may go
        to this base URL: they name the OpenAI account, so they go where ``OPENAI_API_KEY`` would."""
        return self._openai_key_goes_to(self.base_url)

    def _openai_key_goes_to(self, base_url: str) -> bool:
        """The one rule for ``OPENAI_API_KEY``, set for other tools: it goes to OpenAI's API over
        https, or to the ``OPENAI_BASE_URL`` it is paired with (this settings' base URL, when it
        was read from that variable)."""
        paired = self._variable("base_url") == _SPECS["base_url"].fallback_env and self.base_url == base_url.rstrip("/")
        return _on_openai(base_url) or paired

    @property
    def is_local(self) -> bool:
        """The base URL is on a loopback or private address (see ``is_local_url``)."""
        return is_local_url(self.base_url)

    @property
    def is_openai(self) -> bool:
        """The base URL is on OpenAI's API host, however spelt (``HTTPS://API.OPENAI.COM:443/v1``):
        the host ``presets.for_request`` knows as the openai preset's, over https (a key sent to
        ``http://api.openai.com`` goes out in clear text first)."""
        return _on_openai(self.base_url)

    def resolved_api_key(self) -> str:
        """The key to send: the configured one, or a placeholder for endpoints other than OpenAI's."""
        if self.api_key:
            return self.api_key
        if self.is_openai:
            if getattr(self, "_env", None) is None:
                # Telling this user to set a variable would send them to one they may have set already.
                unread = [v for v in ("SUMMARIZE_BASE_URL", "OPENAI_BASE_URL", "SUMMARIZE_API_KEY", "OPENAI_API_KEY") if os.environ.get(v)]
                said = f" ({' and '.join(unread)} {'is' if len(unread) == 1 else 'are'} set, but not read)" if unread else ""
                raise ConfigError(
                    f"No API key for OpenAI: a Settings built directly reads no environment variable{said}; "
                    "pass api_key=, or base_url= for a local server, or build it with Settings.from_env(...), "
                    "which reads SUMMARIZE_API_KEY, OPENAI_API_KEY and SUMMARIZE_BASE_URL"
                )
            raise ConfigError(
                "No API key for OpenAI: set SUMMARIZE_API_KEY (or OPENAI_API_KEY), "
                "or point SUMMARIZE_BASE_URL at a local server"
            )
        return PLACEHOLDER_API_KEY


def resolve_settings(settings: Settings | None, overrides: Mapping[str, Any]) -> Settings:
    """The settings of one run: ``settings`` with ``overrides`` on top, or, without ``settings``,
    the environment's with ``overrides`` on top (``Settings.from_env``: a variable an override
    replaces is not read). The one place the public functions turn their arguments into settings.

    Raises:
        ConfigError: ``settings`` is not a ``Settings``, an override is unknown or malformed, or a
            variable that is read is; the tokenizer named cannot count offline.
    """
    resolved = _resolve(settings, overrides)
    # Loaded now, before any request (GET /models comes first otherwise), and named as it was given.
    from .tokens import check_tokenizer

    check_tokenizer(resolved.tokenizer, resolved._variable("tokenizer") or "tokenizer")
    return resolved


def _resolve(settings: Settings | None, overrides: Mapping[str, Any]) -> Settings:
    if settings is None:
        return Settings.from_env(**overrides)
    if not isinstance(settings, Settings):
        given = type(settings).__name__
        if isinstance(settings, Mapping):
            raise ConfigError(
                f"settings must be a summarize.Settings, got a {given}: pass the values as keywords instead "
                "(model=..., concurrency=...; the environment fills the rest), or as settings=Settings.from_env(**values)"
            )
        raise ConfigError(
            f"settings must be a summarize.Settings, got {given}: build one with Settings.from_env(...) "
            "or Settings(...), or pass the settings as keywords (model=..., concurrency=...)"
        )
    return settings.replace(**overrides)


def check_partial(partial: object) -> bool:
    """``partial`` as a run takes it: True or False, never a truthy string or number.

    Raises:
        ConfigError: it is anything else.
    """
    if not isinstance(partial, bool):
        raise ConfigError(f"partial must be True or False, got {partial!r}")
    return partial


def env_variable(name: str) -> str:
    """The environment variable that sets ``name`` (for messages elsewhere)."""
    return _SPECS[name].env
