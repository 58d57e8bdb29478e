"""The shape and cleaning of a reply: what came back, validated in one place, ``<think>`` removed.

A reply arrives as one JSON body, or as server-sent events when it was streamed (``stream=True``;
some servers ignore that and answer with one body, which is understood too). Events are read as
the format defines them (lines ending in CRLF, LF or CR; an event's data over one line or
several), and leniently where servers differ (no blank line between events). Either way a reply
is read by one ``ReplyReader``, which:

- counts the bytes and refuses a reply larger than its token limit can produce (``max_bytes``:
  a 50 MB reply or a gzip bomb is a broken or hostile server, not a summary);
- checks the shape (``choices`` a list of objects, ``content`` a string or null, ``usage``
  numbers), raising ``MalformedReply`` for anything else (``NotAnAPI`` for a web page that
  answered in the API's place), and ``BodyError`` for an error a server
  sent instead of a reply (some answer HTTP 200 with one, a 429 among them, or send it mid-stream);
- assembles text, finish_reason, usage, model, reasoning and llama.cpp's ``timings``;
- says what a finish_reason means (``ending``): only a few mean a complete answer;
- removes inline reasoning (``<think>``, ``<thinking>``, ``<reasoning>``) from the text, keeping
  it apart in ``reasoning``, and ends the text at a chat template's special token
  (``<|im_end|>``, ...) a server let through (``split_reasoning``).

Nothing here does I/O: ``summarize.transport`` feeds the bytes and ``summarize.classify`` turns
the two exceptions into the error tree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import prompts
from .text import parse_json, printable

log = logging.getLogger("summarize")

# Reasoning a model writes inline, in a block of one of these tags (DeepSeek-R1 and Qwen3 write
# <think>; other models and prompts <thinking> or <reasoning>), attributes allowed.
_REASONING_TAGS = "think|thinking|reasoning"
# A tag's attributes are bounded: "<think <think <think ..." never makes a scan to the end per tag.
_ATTRIBUTES = r"[^<>]{0,200}"
_OPENING_BLOCK = re.compile(rf"\s*<({_REASONING_TAGS})\b{_ATTRIBUTES}>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)
_REASONING_OPEN = re.compile(rf"<({_REASONING_TAGS})\b{_ATTRIBUTES}>", re.IGNORECASE)
_REASONING_CLOSE = re.compile(rf"</(?:{_REASONING_TAGS})\s*>", re.IGNORECASE)
_REASONING_CLOSERS = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _REASONING_TAGS.split("|")}
_REASONING_TAG = re.compile(rf"</?(?:{_REASONING_TAGS})\b{_ATTRIBUTES}>", re.IGNORECASE)
# A chat template's special token, which a server that does not stop at it sends on as text:
# ChatML's <|im_end|> and <|im_start|>, <|endoftext|>, Llama 3's <|eot_id|>, <|end_of_text|> and
# <|start_header_id|>, Phi's <|end|>, Gemma's <end_of_turn>. The answer ended at it; what follows
# is the template's next turn, or more of the model talking to itself.
_TEMPLATE_TOKEN = re.compile(r"<\|[a-z0-9_]{1,40}\|>|<(?:end|start)_of_turn>", re.IGNORECASE)
# The names a tag still streaming in may be the start of.
_PARTIAL_NAMES = ("think", "thinking", "reasoning", "end_of_turn", "start_of_turn")
# A UTF-8 byte-order mark, which the event-stream format says to skip, before an event or a body.
_BOM = b"\xef\xbb\xbf"
# What makes the visible text of a reply more than its characters as they come.
_MARKUP_CHARACTERS = frozenset("<\r")
# The end of a line in an event stream: CRLF, LF or a lone CR.
_LINE_END = re.compile(rb"\r\n|\r|\n")

# A reply may take this many bytes per token its limit allows, plus a fixed margin. A streamed
# token costs one event of about 200-400 bytes (id, model, created and the delta, the text
# possibly \u-escaped); 1 KiB a token leaves room for long ids and model names and for reasoning
# fields, and is still 2 MiB at the default 1,024 tokens, far below anything that strains memory.
BYTES_PER_TOKEN = 1024
MARGIN_BYTES = 1 << 20


def max_reply_bytes(max_tokens: int) -> int:
    """The most bytes (decoded, JSON or events) a reply limited to ``max_tokens`` may take."""
    return max_tokens * BYTES_PER_TOKEN + MARGIN_BYTES


def holds_markup(text: str) -> bool:
    """Whether ``text`` writes a reasoning tag or a chat template's token as text (an article
    about reasoning models that quotes ``</think>``): a reply to it may carry one over."""
    return bool(_REASONING_TAG.search(text) or _TEMPLATE_TOKEN.search(text))


def split_reasoning(text: str | None, quoted: bool = False) -> tuple[str, str]:
    """A reply's answer and the reasoning the model wrote inline, apart.

    Reasoning is a ``<think>``, ``<thinking>`` or ``<reasoning>`` block (empty ones too); the text
    before a stray closing tag (templates that open the block in the prompt); and the text after
    an opening tag never closed (the budget ran out mid-thought), wherever it starts: at the
    beginning (the reply was all reasoning) or after the answer. The answer also ends at a chat
    template's special token (``<|im_end|>``, ``<|eot_id|>``, ``<|endoftext|>``, ...): what comes
    after it is the next turn of the template, dropped, neither answer nor reasoning.

    With ``quoted`` (the request writes such a tag or token as text: ``holds_markup``), only a
    reasoning block that opens the reply is reasoning; a tag or token further on is the answer's
    own, carried over from the text (a translation of "以 </think> 標籤結束推理段落" keeps it:
    read as reasoning, everything before it was lost).

    Returns:
        ``(answer, reasoning)``, neither stripped of surrounding white space.
    """
    if not text:
        return "", ""
    if quoted:
        opening = _OPENING_BLOCK.match(text)
        return (text[opening.end() :], opening.group(2).strip()) if opening else (text, "")
    answer, thoughts = _without_blocks(text)
    end = _TEMPLATE_TOKEN.search(answer)
    if end:
        answer = answer[: end.start()]
    closings = list(_REASONING_CLOSE.finditer(answer))
    if closings:
        thoughts.append(answer[: closings[-1].start()])
        answer = answer[closings[-1].end() :]
    opening = _REASONING_OPEN.search(answer)
    if opening:
        thoughts.append(answer[opening.end() :])
        answer = answer[: opening.start()]
    reasoning = "\n".join(t for t in (_REASONING_TAG.sub("", t).strip() for t in thoughts) if t)
    return answer, reasoning


def _without_blocks(text: str) -> tuple[str, list[str]]:
    """``text`` without its closed reasoning blocks, and their insides, in one pass: each opening
    tag's closer is looked for once, and a tag name found unclosed is not looked for again (a
    reply of thousands of ``<think>`` cost a scan to its end per tag: minutes of CPU)."""
    kept: list[str] = []
    thoughts: list[str] = []
    unclosed: set[str] = set()
    position = searched = 0
    while (opening := _REASONING_OPEN.search(text, searched)) is not None:
        name = opening.group(1).lower()
        closing = None if name in unclosed else _REASONING_CLOSERS[name].search(text, opening.end())
        if closing is None:
            unclosed.add(name)
            searched = opening.end()  # left as text, for the stray-tag rules after
            continue
        kept.append(text[position : opening.start()])
        thoughts.append(text[opening.end() : closing.start()])
        position = searched = closing.end()
    kept.append(text[position:])
    return "".join(kept), thoughts


def strip_think(text: str | None, quoted: bool = False) -> str:
    """The answer of a reply, without the reasoning the model wrote inline and without anything
    after a chat template's special token (``split_reasoning``)."""
    return split_reasoning(text, quoted)[0].strip()


# -- what a chat model says around its answer ----------------------------------------------
#
# Never part of a summary or a translation: the request's fence lines said back
# (``prompts.ECHOED_FENCE``), code fence lines, a lead-in that names the job ("Sure! Here is the
# summary of the article in English:", "Translation:", "以下是摘要："), and at the end sign-off
# lines or a sign-off sentence ("I hope this helps! Let me know if ...") and a translator's note
# ("Note: 臺南 is Tainan."). Only what speaks of the job or to the reader goes: "Here is what the
# mayor said:", "以下是本次活動的重點：" and "If you need more information, call 1999" are text.
_CODE_FENCE = re.compile(r"^[ \t]*(?:```|~~~)[\w-]*[ \t]*$", re.MULTILINE)
_FENCE_TAIL_LEFT = re.compile(r"[ \t]*>>>[ \t]*$", re.MULTILINE)
_JOB = r"(?:summary|summari[sz]ed|translation|translated|overview|key points)"
# An interjection alone goes only as a reply's own opening ("Sure! Tainan ..."); before a lead-in
# it may take a comma ("Sure, here is the summary:"). "Sure enough, prices rose" and "Of course,
# prices will rise, he said" are text.
_INTERJECTION = r"(?:sure|certainly|of course|okay|ok|absolutely)"
_JOB_LEAD = (
    rf"(?:(?:here(?:'s| is| are)|below is)\b[^\n:：]{{0,80}}\b{_JOB}\b[^\n:：]{{0,60}}"
    r"|[*#_ \t]*(?:english |chinese )?(?:summary|translation)[*_ \t]*"
    r"|(?:以下是|這是|这是)[^\n:：]{0,20}(?:摘要|翻譯|翻译|譯文|译文|總結|总结)[^\n:：]{0,10})[:：][*_]*\s*"
)
_LEAD_IN = re.compile(
    rf"\A\s*(?:{_INTERJECTION}[!.,]\s*{_JOB_LEAD}|{_INTERJECTION}[!.]\s+|{_JOB_LEAD})", re.IGNORECASE
)
# A source that opens with such a word itself (當然！): its translation's "Sure!" translates it.
_ANSWERING_SOURCE = re.compile(r"\A\s*(?:當然|好的|沒問題|是的|sure|certainly|of course|okay|ok\b|absolutely)", re.IGNORECASE)
# A sign-off's words someone in the article says ("Let me know if the city should add more, the
# mayor told residents."): reported speech, which a translation keeps.
_REPORTED = r"(?![^\n.!?]*\b(?:said|says|told|tells|asked|asks|urged|urges|wrote|writes)\b)"
_SIGN_OFF = re.compile(
    rf"(?:^|(?<=[.!?。！？]))[ \t]*(?:(?:I )?hope (?:this|that|it) helps\b{_REPORTED}|(?:please )?let me know\b{_REPORTED}"
    r"|if you (?:have|need) (?:any )?(?:other|further|more|additional) questions\b|if you need anything else\b"
    r"|is there anything else\b|希望(?:這|这|以上)[^\n]{0,12}(?:幫助|帮助|有用))[^\n]*$",
    re.IGNORECASE,
)
# A source that says what a sign-off would (歡迎, 希望, "hope"): its translation's "Feel free to
# come" or 希望這能幫助 translates it.
_SIGN_OFF_IN_SOURCE = re.compile(r"歡迎|欢迎|希望|告訴我們|告知|\bhope\b|\blet (?:me|us) know\b", re.IGNORECASE)
# A note may come in brackets: "(Note: 臺南 is rendered as Tainan.)".
_NOTE = re.compile(r"^[ \t]*[(（]?[ \t]*(?:translator'?s )?notes?[ \t]*[:：]", re.IGNORECASE)
# A source with a note of its own (註：, 備註, "Note:"): a note in its translation translates it.
_NOTE_IN_SOURCE = re.compile(r"註|备注|注[:：]|\bnotes?\b", re.IGNORECASE)


# A line of an article that is a note (註：, 備註：, （註一）, "Note:"): a summary's last line that
# is a note may carry it. A summary is judged against the whole request, whose 註冊 or "notes"
# in running text say nothing of the kind.
_NOTE_LINE = re.compile(
    r"^[ \t\u3000]*(?:[（(](?:註|備註|附註|备注|附注)[一二三四五六七八九十\d]*[)）]"
    r"|(?:註|備註|附註|备注|附注)[一二三四五六七八九十\d]*[ \t]*[:：]|notes?[ \t]*[:：])",
    re.IGNORECASE | re.MULTILINE,
)


def has_note_line(text: str) -> bool:
    """Whether ``text`` (an article, the request that fences it) holds a line that is a note."""
    return _NOTE_LINE.search(text) is not None


def without_chatter(text: str, source: str = "", *, alone: bool = False, notes: bool | None = None) -> str:
    """``text`` without what a chat model says around its answer (see above); ``source`` is what
    it answers (one paragraph of a translation), whose own fence line (a PHP heredoc's
    <<<ARTICLE>>>) or note stays. With ``alone`` (the whole reply is the answer: a summary, or
    a translation of one paragraph) a lead-in goes too. ``notes`` says whether a note at the end
    stays (a summary of an article with notes: ``has_note_line``); left out, ``source`` says."""
    text = prompts.ECHOED_FENCE.sub(lambda m: m.group() if m.group() in source else "", text)
    text = _CODE_FENCE.sub("", text).strip()
    if prompts.FENCE_TAIL not in source:
        # A fence line's broken-off end, its name lost: "... on February 2, 2024. >>>" (the
        # reference model, on the 1624 exhibition's title) was printed in the summary.
        text = _FENCE_TAIL_LEFT.sub("", text).strip()
    if alone and not _ANSWERING_SOURCE.match(source):
        text = _LEAD_IN.sub("", text, count=1).strip()
    kept = _NOTE_IN_SOURCE.search(source) is not None if notes is None else notes
    sign_offs = _SIGN_OFF_IN_SOURCE.search(source) is None
    lines = text.split("\n")
    while len(lines) > 1 and (
        not lines[-1].strip() or sign_offs and _SIGN_OFF.match(lines[-1]) or not kept and _NOTE.match(lines[-1])
    ):
        lines.pop()
    last = _SIGN_OFF.search(lines[-1]) if sign_offs else None
    if last and last.start() > 0:  # a sign-off after the answer's last sentence, on its line
        lines[-1] = lines[-1][: last.start()]
    return "\n".join(lines).strip()


# What a finish_reason says of the reply's end. Only these mean the model ended its answer:
# OpenAI, vLLM, llama.cpp, Ollama and DashScope say "stop"; Text Generation Inference
# "eos_token" or "stop_sequence"; some servers "eos"; Anthropic's names "end_turn".
COMPLETE = frozenset({"stop", "eos", "eos_token", "stop_sequence", "end_turn"})
# Stopped before the answer's end, the text a fragment the judging cuts and asks again (with a
# repetition penalty): "length" at the token limit (OpenAI and the rest), "max_tokens"
# (Anthropic's name), "model_length" (Mistral: the context window ran out) and "repetition"
# (vLLM's repetition detection, where it is on, stopped a loop).
CUT = frozenset({"length", "max_tokens", "model_length", "repetition"})
# The provider's filter stopped it (OpenAI, Azure).
FILTERED = frozenset({"content_filter"})
# The server gave up on it: vLLM's "abort" (the request was aborted: its client seemed gone, the
# server was pausing or shutting down) and "error" (a request-level internal error, e.g. a failed
# KV-cache load, which vLLM calls retryable). Whatever text came is a fragment.
FAILED = frozenset({"abort", "error"})
# The model called a tool (we offer none): the reply holds a call, not the answer.
TOOL = frozenset({"tool_calls", "function_call"})


def ending(finish_reason: str | None) -> str:
    """What ``finish_reason`` says of a reply: ``"complete"``, ``"cut"`` (at the token limit),
    ``"filtered"``, ``"failed"`` (the server gave up on it), ``"tool"`` or ``"unknown"``.

    Any other value (a server's own) is ``"unknown"``, and an unknown end is never taken for a
    complete answer. ``None`` (a whole
    body that does not say) is ``"complete"``: a stream must say, or end with ``[DONE]``
    (``StreamCut``), and servers that send one body without it exist.
    """
    if finish_reason is None:
        return "complete"
    reason = finish_reason.strip().lower()
    for name, known in (("complete", COMPLETE), ("cut", CUT), ("filtered", FILTERED), ("failed", FAILED), ("tool", TOOL)):
        if reason in known:
            return name
    return "unknown"


@dataclass(frozen=True)
class Reply:
    """One chat completion, cleaned.

    Attributes:
        text: the reply with ``<think>`` reasoning removed.
        prompt_tokens, completion_tokens: what the server counted, ``None`` when it did not say.
        finish_reason: ``"stop"``, ``"length"`` (cut at the token limit), ``"content_filter"``, ...
            (``ending`` says what it means).
        model: the model the server says answered.
        reasoning: what the model thought, from a reasoning field or inline ``<think>``.
        cached: answered from the response cache; no request was sent.
        attempts: HTTP attempts this reply took (1 without retries; 0 when cached).
        timings: llama.cpp's ``timings`` (``prompt_ms``, ``predicted_ms``, ``cache_n``, ...), or ``None``.
        declined: why a reply has no text, when the server said: the model's ``refusal`` (OpenAI),
            or that it answered with a tool call; "" otherwise.
        cache_key: its key in the response cache, when it was stored there or read from it
            (``ChatClient.forget`` takes it out again).
    """

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None
    model: str | None
    reasoning: str | None = None
    cached: bool = False
    attempts: int = 1
    timings: dict[str, Any] | None = None
    declined: str = ""
    cache_key: str = field(default="", repr=False, compare=False)

    @property
    def end(self) -> str:
        """What its finish_reason says of its end (``ending``): ``"complete"``, ``"cut"``, ..."""
        return ending(self.finish_reason)

    @property
    def truncated(self) -> bool:
        """The reply stopped before its end (``finish_reason`` "length" and the like: ``CUT``)."""
        return self.end == "cut"


# What the response cache keeps of a reply.
CACHED_FIELDS = ("text", "prompt_tokens", "completion_tokens", "finish_reason", "model")


class MalformedReply(Exception):
    """The reply is not a chat completion; the message says what was wrong with it."""


class NotAnAPI(MalformedReply):
    """The body is markup (it starts with "<"), not JSON nor events: a web page answered in the
    API's place (a login page, a proxy's page, a site at the wrong URL); ``page`` is its start."""

    def __init__(self, page: str) -> None:
        self.page = page
        super().__init__(f"the body is a page of markup, not JSON: {page[:80]!r}")


class ReplyTooLarge(Exception):
    """The reply grew past ``max_reply_bytes``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the reply grew past {limit} bytes")


class StreamCut(Exception):
    """The stream ended with neither a ``finish_reason`` nor ``[DONE]``: the reply stopped short."""


class BodyError(Exception):
    """The server sent an error where the reply should be; ``error`` is what it sent."""

    def __init__(self, error: Any) -> None:
        self.error = error
        super().__init__(str(error))


def _error_in(body: dict[str, Any]) -> Any:
    """The error a body carries instead of a reply, else ``None``."""
    if body.get("error"):
        return body["error"]
    if body.get("object") == "error":  # vLLM's flat error shape
        return body
    return None


def _parsed(data: bytes) -> Any:
    """An error event's data: its ``error`` when it is JSON that has one, the JSON, else the text."""
    try:
        value = parse_json(data)
    except ValueError:
        return data.decode("utf-8", "replace")[:500]
    return (_error_in(value) or value) if isinstance(value, dict) else value


# More tokens than any request could hold or any reply could take: a count past it is not one.
MAX_COUNT = 10**9


def _count(usage: Any, name: str) -> int | None:
    """A token count of ``usage``: a whole number from 0 to ``MAX_COUNT``, sent as an int or as a
    float with nothing after the point (some servers' JSON says ``1500.0``); else ``None``, with a
    debug log when something was sent (a negative, fractional, NaN or huge count is no count)."""
    value = usage.get(name) if isinstance(usage, dict) else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_COUNT:
        return value
    if value is not None:
        log.debug("usage.%s is %r, not a token count: ignored", name, value)
    return None


def json_object(raw: str | bytes) -> dict[str, Any]:
    """A whole body read as the JSON object an API answers with.

    Raises:
        NotAnAPI: a web page answered.
        BodyError: the object is the server's error, not an answer.
        MalformedReply: it is not JSON, or not an object.
    """
    try:
        body = parse_json(raw)
    except ValueError:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if text.lstrip().startswith("<"):
            raise NotAnAPI(text.lstrip()[:65536]) from None
        raise MalformedReply(f"the body is not JSON: {text[:80]!r}") from None
    if not isinstance(body, dict):
        raise MalformedReply(f"the body is {type(body).__name__}, not an object")
    error = _error_in(body)
    if error is not None:
        raise BodyError(error)
    return body


def read_listing(text: str) -> list[Any]:
    """The entries of a ``GET /models`` answer (``{"object": "list", "data": [...]}``), read
    here rather than by ``openai``, whose parsing of a page that is not a listing failed with its
    own internals ("'str' object has no attribute '_set_private_attributes'") or read
    ``{"data": "nope"}`` as a listing of no models.

    Raises:
        NotAnAPI: a web page answered.
        BodyError: the server sent an error in place of the listing.
        MalformedReply: anything else that is not a listing.
    """
    body = json_object(text)
    data = body.get("data")
    if not isinstance(data, list):
        raise MalformedReply("it has no data" if data is None else f"its data is {type(data).__name__}, not a list")
    return data


def _first_choice(choices: list[Any]) -> list[Any]:
    """The one choice a reply is read from: the one numbered 0 (we ask for one, ``n`` = 1), or the
    first when none is numbered; a chunk of another choice only (``"index": 1``) adds nothing."""
    numbered = [c for c in choices if isinstance(c, dict) and "index" in c]
    if not numbered:
        return choices[:1]
    return [c for c in numbered if c["index"] == 0][:1]


def _text_field(holder: dict[str, Any], name: str, where: str) -> str:
    value = holder.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedReply(f"{where}.{name} is {type(value).__name__}, not a string")
    return value


def _partial_tag(tail: str) -> bool:
    """Whether ``tail``, a reply's text from its last "<", may be the first half of a reasoning
    tag or a template token still streaming in."""
    if ">" in tail or len(tail) > 200:
        return False
    if tail.startswith("<|"):
        return re.fullmatch(r"<\|[a-z0-9_]{0,40}\|?", tail, re.IGNORECASE) is not None
    match = re.fullmatch(r"</?([a-z_]*)(\s[^<]*)?", tail, re.IGNORECASE)
    if match is None:
        return False
    name = match.group(1).lower()
    if match.group(2) is not None:  # attributes follow the name: it is whole
        return name in _PARTIAL_NAMES[:3]
    return any(known.startswith(name) for known in _PARTIAL_NAMES)


def visible_text(raw: str, quoted: bool = False) -> str:
    """What of a reply still streaming in can be shown: its answer so far (``split_reasoning``),
    less a half-received tag or template token at the end."""
    text = split_reasoning(raw, quoted)[0]
    tail = text.rfind("<")
    if tail != -1 and _partial_tag(text[tail:]):
        text = text[:tail]
    return text.lstrip()


class ReplyReader:
    """Reads one reply, fed in pieces as bytes arrive; ``reply()`` gives the ``Reply``.

    Args:
        model: the model asked for (the reply's model when the server names none).
        max_bytes: the most bytes to accept (``max_reply_bytes``).
        on_text: called with each new piece of visible text as it streams in.
    """

    def __init__(
        self, model: str, max_bytes: int, on_text: Callable[[str], None] | None = None, *, quoted: bool = False
    ) -> None:
        self.model = model
        self.max_bytes = max_bytes
        self.on_text = on_text
        self.quoted = quoted  # the request writes reasoning tags as text (``split_reasoning``)
        self.size = 0
        self._buffer = bytearray()
        self._streamed: bool | None = None  # None until the first bytes tell
        self._done = False
        self._event_type = b""  # the "event:" field of the event being read (an "error" event is one)
        self._data: list[bytes] = []  # the "data:" lines of the event being read
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._refusal: list[str] = []  # OpenAI's "refusal" field: why the model gave no answer
        self._tool_call = False
        self._shown = ""
        self._held_cr = False  # the buffer ends with a CR that may be half a CRLF
        self._length = 0  # characters of content so far
        self._markup = False  # the content holds a tag's "<" or a carriage return: shown the slow way
        self._measured = 0  # characters of content when the visible text was last worked out
        self.finish_reason: str | None = None
        self.usage: Any = None
        self.answering_model: str | None = None
        self.timings: dict[str, Any] | None = None

    def feed(self, data: bytes) -> bool:
        """Take the next bytes of the body; returns whether the reply is complete (a stream's
        ``[DONE]`` came: whatever a server sends after it, keep-alives or nothing, is not read).

        Raises:
            ReplyTooLarge, MalformedReply, BodyError.
        """
        self.size += len(data)
        if self.size > self.max_bytes:
            raise ReplyTooLarge(self.max_bytes)
        self._buffer += data
        if self._streamed is None:
            if self._buffer.startswith(_BOM):  # a byte-order mark opens no event and no JSON
                del self._buffer[: len(_BOM)]
            start = self._buffer.lstrip()
            if not start or _BOM.startswith(bytes(self._buffer)):
                return False
            # Server-sent events start with a field or a comment; a plain body with "{" (or a
            # web page, which is no reply, with "<": read whole, to say what it is).
            self._streamed = not start.startswith((b"{", b"[", b"<"))
        # Only a line end makes a new line (or the byte after a held CR, which may be its LF):
        # bytes of a long line arriving in small reads are not split again at each read.
        if self._streamed and (b"\n" in data or b"\r" in data or self._held_cr):
            self._lines(final=False)
        return self._done

    def _lines(self, final: bool) -> None:
        """Read the whole lines of the buffer, ended by CRLF, LF or CR as the event-stream format
        allows. A CR that ends the buffer may be the first half of a CRLF, so it waits for the
        next bytes, unless the body has ended (``final``)."""
        held = b"" if final or not self._buffer.endswith(b"\r") else b"\r"
        self._held_cr = bool(held)
        *lines, rest = _LINE_END.split(bytes(self._buffer[: len(self._buffer) - len(held)]))
        self._buffer = bytearray(rest + held)
        if final:
            lines.append(bytes(self._buffer))
            self._buffer = bytearray()
        for line in lines:
            self._line(line)

    def _line(self, line: bytes) -> None:
        if self._done:
            return
        if not line:
            self._dispatch()  # a blank line ends an event
            self._event_type = b""
            return
        if line.startswith(b"event:"):
            self._event_type = line[6:].strip()
            return
        if line.startswith(b"error:"):
            # llama.cpp's server has ended a failed stream with an "error: {...}" line.
            raise BodyError(_parsed(line[6:].strip()))
        if not line.startswith(b"data:"):
            return  # comments (": ping"), "id:" and "retry:" fields
        # An event's data may span several "data:" lines, joined by line feeds, and ends at a
        # blank line. Servers send it in one line, and some send no blank line between events, so
        # an event's first line that is whole already (JSON that parses, or [DONE]) is taken at
        # once. Later lines wait for the blank line: trying each would read the event again per
        # line, quadratic in a hostile server's thousands of lines.
        self._data.append(line[5:].strip())
        if len(self._data) == 1 and self._event_type != b"error":
            self._dispatch(whole_only=True)

    def _dispatch(self, whole_only: bool = False) -> None:
        """Act on the event whose data has been read: at a blank line or the body's end, or, with
        ``whole_only``, at its first line when that is whole already (else it waits for more)."""
        data = b"\n".join(self._data).strip()
        if data == b"[DONE]":
            self._done = True
        elif data and self._event_type == b"error":
            self._data = []
            # An "event: error" carries the error as its data, with or without an "error" key.
            raise BodyError(_parsed(data))
        elif data:
            try:
                event = parse_json(data)
            except ValueError:
                if whole_only:
                    return  # more lines of it may follow
                self._data = []
                raise MalformedReply(f"a streamed event is not JSON: {data[:80]!r}") from None
            self._data = []
            self._event(event)
            return
        self._data = []  # [DONE], or "data:" with nothing after it: no event, as the format says

    def _event(self, event: Any) -> None:
        if not isinstance(event, dict):
            raise MalformedReply(f"a streamed event is {type(event).__name__}, not an object")
        error = _error_in(event)
        if error is not None:
            raise BodyError(error)
        if isinstance(event.get("model"), str) and event["model"]:
            self.answering_model = event["model"]
        if event.get("usage") is not None:
            self.usage = event["usage"]
        if isinstance(event.get("timings"), dict):
            self.timings = event["timings"]
        choices = event.get("choices")
        if choices is None:
            return
        if not isinstance(choices, list):
            raise MalformedReply(f"choices is {type(choices).__name__}, not a list")
        for choice in _first_choice(choices):
            if not isinstance(choice, dict):
                raise MalformedReply(f"choices[0] is {type(choice).__name__}, not an object")
            delta = choice.get("delta")
            if delta is None:
                delta = {}
            if not isinstance(delta, dict):
                raise MalformedReply(f"choices[0].delta is {type(delta).__name__}, not an object")
            # Text after a finish_reason is kept, as openai's own stream reader keeps it: proxies
            # (open-webui pipes, some gateways) put finish_reason "stop" on every chunk, and
            # dropping what followed cut their replies to the first chunk without a word.
            if self.finish_reason and _text_field(delta, "content", "choices[0].delta"):
                log.debug("the stream went on after finish_reason %r; the text after it is kept", self.finish_reason)
            self._add(delta, "choices[0].delta")
            if choice.get("finish_reason") is not None:
                self.finish_reason = str(choice["finish_reason"])

    def _add(self, message: dict[str, Any], where: str) -> None:
        piece = _text_field(message, "content", where)
        refusal = message.get("refusal")
        if isinstance(refusal, str) and refusal:
            self._refusal.append(refusal)
        if message.get("tool_calls") or message.get("function_call"):
            self._tool_call = True
        for name in ("reasoning_content", "reasoning"):
            thought = message.get(name)
            if isinstance(thought, str):
                self._reasoning.append(thought)
        if piece:
            self._content.append(piece)
            self._length += len(piece)
            if self.on_text is not None:
                self._show(piece)

    def _show(self, piece: str) -> None:
        """Pass the answer's new visible text to ``on_text``. Plain text (no tag, no carriage
        return, so far or in ``piece``) is shown as it comes; once a reply holds markup, its
        visible text is worked out again only after it grew by a twentieth, so that a reply
        of thousands of tags costs a few dozen passes, not one per piece."""
        assert self.on_text is not None
        if not self._markup and not (set(piece) & _MARKUP_CHARACTERS):
            new = printable(piece if self._shown else piece.lstrip())
            if new:
                self.on_text(new)
                self._shown += new
            return
        self._markup = True
        if self._length - self._measured < max(1, self._length // 20):
            return
        self._measured = self._length
        shown = printable(visible_text("".join(self._content), self.quoted))  # a terminal shows it
        if shown.startswith(self._shown) and len(shown) > len(self._shown):
            self.on_text(shown[len(self._shown) :])
            self._shown = shown

    def _whole_body(self) -> None:
        body = json_object(bytes(self._buffer))
        choices = body.get("choices")
        if not isinstance(choices, list):
            if choices is None or choices == {}:
                raise BodyError("the reply had no choices")
            raise MalformedReply(f"choices is {type(choices).__name__}, not a list")
        first = _first_choice(choices)
        if not first:
            # An answer with an empty list is no refusal of the request: it is not a chat completion.
            raise MalformedReply("the reply's choices are an empty list" if not choices else "the reply had no choice numbered 0")
        choice = first[0]
        if not isinstance(choice, dict):
            raise MalformedReply(f"choices[0] is {type(choice).__name__}, not an object")
        message = choice.get("message")
        if not isinstance(message, dict):
            raise MalformedReply("choices[0].message is missing" if message is None else "choices[0].message is not an object")
        self._add(message, "choices[0].message")
        if choice.get("finish_reason") is not None:
            self.finish_reason = str(choice["finish_reason"])
        self.usage = body.get("usage")
        if isinstance(body.get("model"), str) and body["model"]:
            self.answering_model = body["model"]
        if isinstance(body.get("timings"), dict):
            self.timings = body["timings"]

    def reply(self, attempts: int = 1) -> Reply:
        """The reply read so far, once the body has ended.

        Raises:
            MalformedReply, BodyError.
        """
        if self._streamed is None:
            raise MalformedReply("the body is empty")
        if self._streamed:
            self._lines(final=True)
            if not self._done:
                self._dispatch()  # the last event, when the body ended without a blank line
            if not self._content and not self._reasoning and self.finish_reason is None:
                raise MalformedReply("the stream ended without a reply")
            if self.finish_reason is None and not self._done:
                # A complete stream says how it ended; one cut off mid-reply says nothing, and
                # its text would pass for a whole (shorter) reply, and be cached.
                raise StreamCut()
        else:
            self._whole_body()
        if self.usage is not None and not isinstance(self.usage, dict):
            raise MalformedReply(f"usage is {type(self.usage).__name__}, not an object")
        answer, inline = split_reasoning("".join(self._content), self.quoted)
        text = printable(answer.strip())
        if self.on_text is not None and text.startswith(self._shown) and len(text) > len(self._shown):
            self.on_text(text[len(self._shown) :])  # the rest, e.g. a whole body from a server that ignored stream
        return Reply(
            text=text,
            prompt_tokens=_count(self.usage, "prompt_tokens"),
            completion_tokens=_count(self.usage, "completion_tokens"),
            finish_reason=self.finish_reason,
            model=printable(self.answering_model or "") or self.model,
            reasoning=printable("".join(self._reasoning) or inline) or None,
            attempts=attempts,
            timings=self.timings,
            declined=(
                f"the model refused: {printable(''.join(self._refusal)).strip()[:300]!r}" if self._refusal
                else "the model answered with a tool call, not text (the server or a proxy offered it tools)" if self._tool_call
                else ""
            ),
        )
