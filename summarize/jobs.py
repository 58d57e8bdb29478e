"""Batch jobs: many articles as rounds of OpenAI-format batch files, resumable from the folder alone.

A batch engine (OpenAI's or DashScope's Batch API, ``vllm run-batch``, SGLang, LiteLLM, a Ray or
Spark stage) answers a JSONL file of independent requests. Our requests are independent within a
stage (maps, then reduces, then re-asks), so a job is a few rounds::

    export_round(DIR, OUT)          plan every article, write round 1's requests (JSONL)
      engine answers the file       any engine that reads and writes the OpenAI batch format
    import_results(OUT, RESULTS)    store the replies, write finished articles' outputs,
                                    write the next round's requests; until nothing remains
    batch_api.submit(DIR, OUT)      the same loop through the endpoint's Files and Batches API

No pipeline is duplicated here. Each round is a *replay* (``summarize.replay``): every unfinished
article runs through the ordinary online pipeline with a stand-in for the ``openai`` client,
which builds the body the ``openai`` SDK would send (model, messages, token limit, preset and
thinking switches, ``extra_body`` merged in) and answers from the replies stored under ``OUT``.
A stored reply goes through the same ``ChatClient`` cleaning and checks as an online one
(``<think>`` removal, truncation, empty replies, the language check and its re-ask); a missing
one is recorded as pending and the article stops there for this round. The pending requests are
the next round's lines, so the bodies, their number and the outputs are those of an online
``summarize batch`` run.

Failed lines the client retries online (HTTP 408/409/429/5xx, or what stands for one: a
``rate_limit_exceeded`` or ``server_error`` code, the 400 ``vllm run-batch`` writes when its
engine died; ``failed_status`` is the one rule) are asked again in a later round, up to
``max_retries`` times, then fail with their message (``status`` tells the articles so asked
again, why and at which attempt: ``Report.retrying``); lines that never came back (an expired
batch) are asked again without limit (``Report.unanswered`` tells those articles apart). Other
failures (a context-length error, a refused key) are replayed to the pipeline as the online
client would raise them, so a too-long chunk is split and re-asked the same way. Importing the
same results twice changes nothing.

State lives under ``OUT/.batch/`` as plain files, each written atomically:

    job.json                  the request-shaping settings (never the key), languages, partial, rounds, batch IDs
    articles/NNNNNN.jsonl     the articles' text, SHARD_SIZE per file (so OUT alone resumes a job)
    replies/NNNNNN.json       the stored replies and failures for the same articles, and which are finished
    rounds/round-NNN/*.jsonl  each round's request files, split at the engine's limits, one model per file

A round streams shard by shard: memory holds one shard of articles and replies, whatever the
number of articles.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import copy
import dataclasses
import gc
import glob
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: jobs are not locked
    fcntl = None  # type: ignore[assignment]

from . import glossary as names
from . import presets
from .batch import (
    ARTICLE_SUFFIXES, BatchError, _inside, check_out_folder, check_outputs_match, check_replaceable, check_targets, collision,
    file_digest, is_done, not_ours, other_work, out_inside, output_paths, read_article, what_is_asked,
)
from .config import OPENAI_BASE_URL, Settings, check_partial, resolve_settings
from .errors import ChunkFailedError, ConfigError, InputError, SummarizeError
from .output import FORMATS, check_formats, to_json, to_markdown, write_atomic
from .reply import max_reply_bytes
from .text import display, parse_json, shown
from .replay import (
    article_of, asked_again, body_key, custom_id, hold_logs, malformed, replay_article, request_body, retryable,
)

__all__ = [
    "Job", "JobError", "Report", "Retrying", "RoundFile", "advance", "answer_round", "body_key", "custom_id",
    "export_round", "import_results", "read_lines", "request_body", "request_line", "result_line", "rounds", "set_max_lines", "status",
]

log = logging.getLogger("summarize")

FORMAT = 1
STATE = ".batch"
ENDPOINT = "/v1/chat/completions"
SHARD_SIZE = 500  # articles per state file: what one step of a round holds in memory
MAX_LINES = 50_000  # requests per file: OpenAI's and DashScope's limit
UNRUN = frozenset({"batch_expired", "batch_cancelled"})  # a line's error code when its batch never ran it
# Bytes per file: OpenAI's limit is 200 MB, DashScope's 500 MB; a little room for the line ends.
MAX_BYTES = {"openai": 200_000_000, "dashscope": 500_000_000}


class JobError(SummarizeError):
    """A batch job folder that cannot be used as asked; the message says what to do."""


# -- the request format --------------------------------------------------------------------


def request_line(cid: str, body: dict[str, Any], url: str = ENDPOINT) -> dict[str, Any]:
    """One line of a batch input file."""
    return {"custom_id": cid, "method": "POST", "url": url, "body": body}


def result_line(cid: str, body: dict[str, Any] | None, *, status: int = 200, error: Any = None, line_id: str | None = None) -> dict[str, Any]:
    """One line of a batch output file, as OpenAI, DashScope and ``vllm run-batch`` write it
    (for engines of your own: answer each request line with one of these).

    Its ``id`` (``line_id``, else a new random one, as the Batch APIs give) tells an answer
    apart from another answer to the same request: an import counts a failure once per id, so
    a file imported twice costs no retry, and each round's failure counts toward
    ``SUMMARIZE_MAX_RETRIES``. An id made of the request's ``custom_id`` alone was the same in
    every round: a request that always failed was asked again forever.
    """
    return {
        "id": line_id or f"batch_req_{uuid.uuid4().hex}",
        "custom_id": cid,
        "response": {"status_code": status, "request_id": f"req-{cid}", "body": body},
        "error": error,
    }


def read_lines(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file, one at a time; a malformed line is skipped with a warning."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield parse_json(line)
            except ValueError:
                log.warning("%s line %d is not JSON; skipped", path, number)


def _outcome(response: Any, error: Any) -> tuple[str, int | None, Any]:
    """What one result line says: ``("ok", 200, body)``, ``("failed", status, error)`` or
    ``("missing", None, error)`` for a line no engine answered (expired, cancelled: no error, or
    one coded ``batch_expired`` or ``batch_cancelled``).

    A failed line's status is the one its failure stands for (``failed_status``), which decides
    whether a later round asks it again.

    A reply the online client would refuse as malformed (``"choices": [5]``) fails its line
    here, as a 200 without choices does: it is never stored as a reply, so no later round trips
    on it, and, as online, it is not asked again.
    """
    if not isinstance(response, dict):
        if error is None or _code(error) in UNRUN:
            return "missing", None, error
        return "failed", failed_status(None, error), error
    status = response.get("status_code")
    body = response.get("body")
    status = int(status) if isinstance(status, (int, str)) and str(status).isdigit() else None
    if status == 200 and isinstance(body, dict) and body.get("choices") and not body.get("error"):
        problem = malformed(body)
        if problem is not None:
            return "failed", 200, f"the batch engine sent a malformed reply ({problem})"
        return "ok", 200, body
    if status == 200 and error is None and not (isinstance(body, dict) and "error" in body):
        # A 200 that holds no reply: named as online, not shown raw as a refusal ("null").
        if isinstance(body, dict):
            problem = malformed(body) or "the reply had no choices"
        else:
            problem = "no body" if body is None else f"its body is {type(body).__name__}, not a JSON object"
        return "failed", 200, f"the batch engine sent a malformed reply ({problem})"
    if status == 200 and isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        status = int(code) if str(code).isdigit() else 500  # an error inside a 200 (seen with 429s)
    detail = error if error is not None else body
    return "failed", failed_status(status, detail, vllm_exception=status == 400 and body is None and isinstance(error, str)), detail


# What vLLM says when its engine, not the request, failed: v1's EngineDeadError ("EngineCore
# encountered an issue"), v0's MQEngineDeadError ("Engine loop is not running ...
# RuntimeError('Engine loop has died')") and AsyncEngineDeadError ("Background loop has
# errored already", "Background loop is stopped").
ENGINE_FAILED = re.compile(
    r"enginedeaderror|enginegenerateerror|enginecore encountered an issue|engine loop has died|engine loop is not running"
    r"|background loop (?:has errored|is not running|is stopped)",
    re.IGNORECASE,
)
# The lines ``vllm run-batch`` writes as a bare-string 400 of its own, not from an exception:
# the request's fault, as the same request online would be.
VLLM_REFUSALS = re.compile(r"^(?:Request must not be sent in stream mode|The model does not support |URL .* was used\. Supported endpoints)")


def unrun_reason(error: Any) -> str:
    """Why an engine gave a request back unrun, in words, from its line's error (``_outcome``'s
    "missing"): "the batch expired before running it", "the batch was cancelled before running
    it", or "the engine gave no reply" (a line with neither a response nor an error)."""
    code = _code(error)
    if code == "batch_expired":
        return "the batch expired before running it"
    if code == "batch_cancelled":
        return "the batch was cancelled before running it"
    return "the engine gave no reply"


def failed_status(status: int | None, error: Any, *, vllm_exception: bool = False) -> int:
    """The HTTP status a failed result line stands for: ``replay.retryable`` of it decides, in
    this one place, whether the line is transient (asked again in a later round, counted toward
    ``SUMMARIZE_MAX_RETRIES``, then failed with its message) or the request's own fault (replayed
    to the pipeline at once, as the online client would raise it: a context-length error splits
    its chunk).

    First rule that holds:

    - an error coded or typed ``rate_limit_exceeded``: 429; ``server_error``: a 5xx (its own, else
      500), whatever the status, as the online client takes them;
    - no response, an error coded ``request_timeout`` (OpenAI: the call to the model timed out):
      408; any other error (the engine ran it and gave no status): 500;
    - vLLM's engine gone (``ENGINE_FAILED``), whatever the status: 500, what vLLM's server
      answers online;
    - ``vllm run-batch``'s line for an exception (400, no body, the error a bare string) that is
      not one of its own refusals (``VLLM_REFUSALS``): 500, since whatever escapes vLLM's serving
      code, an engine crash among them, is a 500 from its server online; a request that always
      fails so ends, after its retries, with its message;
    - anything else: its own status (a real 400, a context-length refusal, stays one).
    """
    code = _code(error)
    nested = error.get("error") if isinstance(error, dict) else None
    codes = {str(c) for c in (code, _code(nested), _kind(error), _kind(nested)) if c is not None}
    if "rate_limit_exceeded" in codes:
        return 429
    if "server_error" in codes:
        return status if status is not None and status >= 500 else 500
    if status is None:
        return 408 if code == "request_timeout" else 500
    text = error if isinstance(error, str) else json.dumps(error, ensure_ascii=False) if error is not None else ""
    if ENGINE_FAILED.search(text):
        return 500
    if vllm_exception and not VLLM_REFUSALS.match(text):
        return 500
    return status


def _kind(error: Any) -> Any:
    return error.get("type") if isinstance(error, dict) else None


def _code(error: Any) -> Any:
    return error.get("code") if isinstance(error, dict) else None


# -- the job folder ------------------------------------------------------------------------


@dataclass
class _Shard:
    """The stored replies of one shard of articles, and which of them are finished."""

    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    finished: dict[str, dict[str, Any]] = field(default_factory=dict)
    unanswered: dict[str, str] = field(default_factory=dict)  # custom_id -> why an engine gave it back unrun

    def add(self, line: dict[str, Any], raw: bytes) -> str:
        """Store one result line: "stored" for a reply or a failure stored, "unrun" for a line
        an engine gave back unrun (noted in ``unanswered``, until a reply comes), "" for one
        that changes nothing (a line seen before, or one for a request answered already)."""
        cid = str(line.get("custom_id") or "")
        kind, status, detail = _outcome(line.get("response"), line.get("error"))
        if cid in self.replies:
            return ""
        if kind == "missing":
            self.unanswered[cid] = unrun_reason(detail)
            return "unrun"
        if kind == "ok":
            self.replies[cid] = detail
            self.unanswered.pop(cid, None)
            return "stored"
        seen = self.failures.setdefault(cid, [])
        line_id = str(line.get("id") or hashlib.sha256(raw).hexdigest()[:16])
        if any(f["id"] == line_id for f in seen):
            return ""
        seen.append({"id": line_id, "status": status, "error": _bounded(detail)})
        return "stored"


# The most characters of a failure's message the job keeps: a vLLM error line (body null, the
# error a string beside it) of 30 MB was stored whole, and read and rewritten on every pass.
MAX_ERROR_CHARACTERS = 4000


def _bounded(detail: Any) -> Any:
    """A failure's detail with its message cut to ``MAX_ERROR_CHARACTERS`` (saying so)."""

    def cut(text: str) -> str:
        if len(text) <= MAX_ERROR_CHARACTERS:
            return text
        return text[:MAX_ERROR_CHARACTERS] + f" ... (cut: {len(text):,} characters in all)"

    if isinstance(detail, str):
        return cut(detail)
    if isinstance(detail, dict) and len(json.dumps(detail, ensure_ascii=False)) > MAX_ERROR_CHARACTERS:
        nested = detail.get("error")
        message = detail.get("message", nested.get("message") if isinstance(nested, dict) else nested)
        code = detail.get("code", nested.get("code") if isinstance(nested, dict) else None)
        return {"message": cut(message if isinstance(message, str) else json.dumps(detail, ensure_ascii=False)), "code": code}
    return detail


@dataclass(frozen=True)
class RoundFile:
    """One request file of a round."""

    path: Path
    model: str
    lines: int
    bytes: int


@dataclass(frozen=True)
class Retrying:
    """Waiting articles whose request the current round asks again after a failure that passes
    (``failed_status``: a rate limit, a timeout, a server error, an engine crash), grouped by why
    and by attempt. Of an article with several such requests, the one that failed most often speaks.

    Attributes:
        reason: what the last failure stands for: "a rate limit", "a timeout", "a conflict",
            "an engine crash" (vLLM's engine died), "an engine exception" (the text of one,
            as ``vllm run-batch`` writes it) or "a server error" (any other 5xx).
        attempt: the attempt the current round makes (2 after one failure), of ``attempts`` in
            all: the first and ``SUMMARIZE_MAX_RETRIES`` more, as online.
        articles: how many articles.
        source, message: the first of them, and its last failure's message, cut short.
    """

    reason: str
    attempt: int
    attempts: int
    articles: int
    source: str
    message: str


@dataclass(frozen=True)
class Report:
    """Where a job stands after an export or an import.

    Attributes:
        round: the current round's number (0 when nothing is left to ask).
        files: the current round's request files (empty when the job is finished).
        requests: lines in those files.
        articles: articles in the job.
        done, failed: articles finished with outputs written, and articles that failed for good.
        waiting: articles with requests in the current round.
        stored: replies stored by this call (0 for an export, or an import of lines seen before).
        failures: (source, message) of every article that failed for good.
        skipped: articles left out of a new job because their outputs already existed.
        retryable: of the failed articles, those an export run again asks anew (not those
            that could not be read: they fail again alone).
        retrying: of the waiting articles, those the current round asks again after a failure
            that passes, by why and attempt (``Retrying``).
        unanswered: of the other waiting articles, those the current round asks again because an
            engine gave a request of theirs back unrun, as (why, articles): ("the batch expired
            before running it", 3). The rest wait for a first answer.
    """

    round: int
    files: tuple[RoundFile, ...]
    requests: int
    articles: int
    done: int
    failed: int
    waiting: int
    stored: int = 0
    failures: tuple[tuple[str, str], ...] = ()
    skipped: int = 0
    retryable: int = 0
    retrying: tuple[Retrying, ...] = ()
    unanswered: tuple[tuple[str, int], ...] = ()

    @property
    def finished(self) -> bool:
        return self.waiting == 0

    @property
    def waiting_again(self) -> int:
        """Waiting articles the current round asks again (``retrying`` and ``unanswered``); the
        rest await a first reply. (``replay.asked_again`` is the rule for one request.)"""
        return sum(group.articles for group in self.retrying) + sum(count for _, count in self.unanswered)

    def said_retrying(self) -> str:
        """The ``retrying`` and ``unanswered`` articles in words: "2 retrying after a server
        error (attempt 2 of 4), 1 asked again (the batch expired before running it)"; "" when
        there are none."""
        return ", ".join((
            *(f"{group.articles} retrying after {group.reason} (attempt {group.attempt} of {group.attempts})" for group in self.retrying),
            *(f"{count} asked again ({why})" for why, count in self.unanswered),
        ))


# The jobs this process holds (``Job.exclusive``), by the real path of their state folder.
_HELD: dict[str, int] = {}
_HELD_GUARD = threading.Lock()


class Job:
    """A job folder: ``OUT`` with its state under ``OUT/.batch``."""

    def __init__(self, out: str | os.PathLike[str]) -> None:
        self.out = Path(out).expanduser()
        self.state = self.out / STATE

    # job.json --------------------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return (self.state / "job.json").is_file()

    def load(self) -> dict[str, Any]:
        """The job's ``job.json``.

        Raises:
            JobError: there is none (``out`` is a file, say), it is of another format, or it is
                damaged (not JSON, a field missing or of the wrong type); the message names it
                and says what to do.
        """
        path = self.state / "job.json"
        if self.out.exists() and not self.out.is_dir():  # not "job.json is damaged ([Errno 20] ...)"
            raise JobError(
                f"{display(self.out)} is a file, not a job folder: give the folder that was given to "
                "`summarize batch export --out`"
            )
        try:
            meta = parse_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise JobError(
                f"{self.out} holds no batch job; start one with `summarize batch export DIR --out {shlex.quote(display(self.out))}`"
            ) from None
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise self.damaged(path, str(exc)) from None
        if not isinstance(meta, dict) or "format" not in meta:
            raise self.damaged(path, "not a job's JSON object")
        if meta["format"] != FORMAT:
            raise JobError(f"{self.out} holds a batch job of format {meta['format']}; this summarize reads format {FORMAT}")
        problem = _meta_problem(meta)
        if problem:
            raise self.damaged(path, problem)
        self.settings(meta)  # a malformed stored setting is found by every command, status too
        return meta

    def damaged(self, path: Path, why: str) -> JobError:
        """The refusal of a state file that cannot be read: what to do, and what starting over loses."""
        return JobError(
            f"{path} is damaged ({' '.join(why.split())}): restore it from a backup, or start the job over: "
            f"remove {self.state} and export again (the outputs already in {self.out} are kept and those articles "
            "skipped; the replies stored for the others are lost, and their requests sent, and paid for, again)"
        )

    def check_no_leftovers(self) -> None:
        """Refuse to start a job over the state of another whose ``job.json`` was lost.

        Its replies are keyed by article IDs a new job would give to other articles, so they
        would finish the wrong ones; without ``job.json`` it cannot be resumed either.

        Raises:
            JobError: a file is left under ``OUT/.batch``.
        """
        if not self.state.is_dir():
            return
        leftover = next((p for p in self.state.rglob("*") if p.is_file()), None)
        if leftover is not None:
            raise JobError(
                f"{self.state} holds an earlier job's state ({leftover.relative_to(self.state).as_posix()}, ...) "
                f"but no job.json, so it cannot be resumed, and a new job would take its replies for its own: "
                f"remove {self.state} and export again (articles whose outputs are in {self.out} are skipped)"
            )

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the job for this process: an import, export, status or submit that changes its
        state. Another process that holds it is refused at once (``JobError``): two imports at
        once each stored their replies over the other's and shared one draft round, so replies
        were lost and paid for again. Re-entered freely within one process (submit imports).
        Where ``fcntl`` is missing (Windows), or before the job has a state folder, nothing is held.

        Raises:
            JobError: another process holds the job.
        """
        if not self.state.is_dir():
            yield
            return
        key = os.path.realpath(self.state)
        with _HELD_GUARD:
            if key in _HELD:
                _HELD[key] += 1
                entered = True
            else:
                entered = False
        if entered:
            try:
                yield
            finally:
                with _HELD_GUARD:
                    _HELD[key] -= 1
            return
        fd = os.open(self.state, os.O_RDONLY)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise JobError(
                        f"another summarize process is working on the job in {display(self.out)} (an import, export, "
                        "status or submit): let it end, then run this again; two at once would lose replies"
                    ) from None
            with _HELD_GUARD:
                _HELD[key] = 1
            try:
                yield
            finally:
                with _HELD_GUARD:
                    del _HELD[key]
        finally:
            os.close(fd)  # closing it lets go of the lock

    def save(self, meta: dict[str, Any]) -> None:
        write_atomic(self.state / "job.json", json.dumps(meta, ensure_ascii=False, indent=1) + "\n")

    # Replies and finished articles are stored shard by shard, and the next round is recorded in
    # job.json after them: a process killed in between (kill -9, a power cut) left job.json naming
    # the round before, whose file holds requests answered since, and status handed it out to be
    # paid for again. A change is marked in job.json before it starts and unmarked when done; a
    # job found marked is advanced (``advance``) before anything reads its round.
    CHANGING = "changing"

    def begin_change(self, importing: Sequence[str] = ()) -> dict[str, Any]:
        """Mark the job as changing (``CHANGING``); its metadata, so marked. ``importing`` names
        the results files an import stores from, so that a ``status`` after an interrupted
        import can say to import them again (``interrupted_import``)."""
        meta = self.load()
        mark: Any = {"importing": list(importing)} if importing else True
        if meta.get(self.CHANGING) != mark:
            meta[self.CHANGING] = mark
            self.save(meta)
        return meta

    def interrupted_import(self, meta: dict[str, Any]) -> list[str]:
        """The results files of an import that was interrupted before it recorded the next round
        (``begin_change``); none when no import was."""
        mark = meta.get(self.CHANGING)
        return list(mark.get("importing", ())) if isinstance(mark, dict) else []

    def end_change(self) -> dict[str, Any]:
        """Unmark the job (``begin_change``); its metadata."""
        meta = self.load()
        if meta.pop(self.CHANGING, None):
            self.save(meta)
        return meta

    def interrupted(self, meta: dict[str, Any]) -> bool:
        """Whether a change of the job was interrupted (``begin_change``), or a file of its round is lost."""
        return bool(meta.get(self.CHANGING)) or bool(_lost_files(self, meta))

    def settings(self, meta: dict[str, Any], **overrides: Any) -> Settings:
        """The job's request-shaping settings; ``overrides`` (the key, for one) come from this machine.

        Raises:
            JobError: a stored setting is malformed (a hand edit, a bad restore); the message
                names ``job.json``, where the value is, not only the setting, as a bare
                ``ConfigError`` did.
        """
        stored = {k: v for k, v in meta["settings"].items() if k in {f.name for f in dataclasses.fields(Settings)}}
        try:
            settings = Settings(**stored)
        except ConfigError as exc:
            raise self.damaged(self.state / "job.json", f"its settings: {exc}") from None
        return settings.replace(**overrides) if overrides else settings

    # shards ----------------------------------------------------------------------------------

    def article_file(self, shard: int) -> Path:
        return self.state / "articles" / f"{shard:06d}.jsonl"

    def reply_file(self, shard: int) -> Path:
        return self.state / "replies" / f"{shard:06d}.json"

    def articles(self, shard: int, total: int) -> Iterator[dict[str, Any]]:
        """The stored articles of one shard, one at a time; ``total`` is the job's article count
        (``job.json``'s ``articles``), which says how many the shard holds.

        Raises:
            JobError: the file is missing or damaged: a line that is not an article's JSON, an
                article out of its place, or fewer or more articles than the job holds there (a
                file cut at a line's end or emptied reads as valid JSON lines, and its missing
                articles were silently never done while the job said every article was finished).
        """
        path = self.article_file(shard)
        first = shard * SHARD_SIZE
        expected = max(0, min(SHARD_SIZE, total - first))
        # Its lines are counted before any article is yielded, so that a pass stops before it
        # acts on any; counted, not parsed (an article holds its whole text): each line is
        # parsed once, below, where an article out of its place is found too.
        try:
            with open(path, "rb") as handle:
                held = sum(1 for line in handle if line.strip())
        except OSError as exc:  # a file gone
            raise self.damaged(path, str(exc)) from None
        if held != expected:
            for _ in self._read_articles(path, first):  # a line that is no article says more, if there is one
                pass
            raise self.damaged(path, f"it holds {held} article(s) where job.json counts {expected}: lines were lost or added")
        yield from self._read_articles(path, first)

    def _read_articles(self, path: Path, first: int) -> Iterator[dict[str, Any]]:
        """The articles of a shard's file, each checked: JSON, an article, and in its place."""
        try:
            with open(path, encoding="utf-8") as handle:
                index = first
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        article = parse_json(line)
                    except ValueError as exc:
                        raise self.damaged(path, f"line {number}: {exc}") from None
                    if not isinstance(article, dict) or not isinstance(article.get("id"), str) or not (
                        "text" in article or "error" in article
                    ):
                        raise self.damaged(path, f"line {number} is not an article")
                    if article["id"] != _article_id(index):
                        raise self.damaged(path, f"line {number} is article {article['id']}, where {_article_id(index)} belongs")
                    index += 1
                    yield article
        except (OSError, ValueError) as exc:  # a file gone, or bytes that are not UTF-8
            raise self.damaged(path, str(exc)) from None

    def shard(self, shard: int) -> _Shard:
        """The stored replies of one shard (none yet when its file does not exist).

        Raises:
            JobError: the file is damaged (not JSON, or not the shape this module writes).
        """
        path = self.reply_file(shard)
        try:
            data = parse_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return _Shard()
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise self.damaged(path, str(exc)) from None
        keys = ("replies", "failures", "finished", "unanswered")  # "unanswered": not in a job's files before it was kept
        if not isinstance(data, dict) or not all(isinstance(data.get(k, {}), dict) for k in keys):
            raise self.damaged(path, "not the replies of a shard of articles")
        return _Shard(*(data.get(k, {}) for k in keys))

    def save_shard(self, number: int, shard: _Shard) -> None:
        data = {"replies": shard.replies, "failures": shard.failures, "finished": shard.finished, "unanswered": shard.unanswered}
        write_atomic(self.reply_file(number), json.dumps(data, ensure_ascii=False))


# What job.json must hold, and of what type, for a job to be read (a hand edit, a bad restore).
_META_TYPES: dict[str, type | tuple[type, ...]] = {
    "created": (int, float), "settings": dict, "languages": list, "translate": bool, "formats": list, "url": str,
    "max_lines": int, "max_bytes": int, "articles": int, "rounds": list,
}
# What job.json may hold, and of what type when it does: "partial" is left out by a job made before
# jobs kept it (one made without it).
_OPTIONAL_META_TYPES: dict[str, type] = {"partial": bool}
_ROUND_TYPES: dict[str, type] = {"number": int, "digest": str, "files": list}
_FILE_TYPES: dict[str, type] = {"path": str, "model": str, "lines": int, "bytes": int}


def _meta_problem(meta: dict[str, Any]) -> str | None:
    """What is wrong with a ``job.json``'s fields, or ``None``."""

    def wrong(record: Any, types: dict[str, Any], what: str) -> str | None:
        if not isinstance(record, dict):
            return f"{what} that is not an object"
        for key, kind in types.items():
            if not isinstance(record.get(key), kind):
                return f'{what} without a {_type_name(kind)} "{key}"'
        return None

    problem = wrong(meta, _META_TYPES, "a job") or next(
        (f'a job whose "{key}" is not a {_type_name(kind)}' for key, kind in _OPTIONAL_META_TYPES.items()
         if key in meta and not isinstance(meta[key], kind)),
        None,
    )
    if problem:
        return problem
    for entry in meta["rounds"]:
        problem = wrong(entry, _ROUND_TYPES, "a round") or next(
            filter(None, (wrong(item, _FILE_TYPES, "a round's file") for item in entry["files"])), None
        )
        if problem:
            return problem
    return None


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "object", list: "list", str: "string", int: "number", float: "number", bool: "boolean"}
    return names[kind[0] if isinstance(kind, tuple) else kind]


def _article_id(index: int) -> str:
    return f"a{index:07d}"


def _shard_of(article: str) -> int:
    if not article.startswith("a"):
        raise ValueError(f"not an article id: {article!r}")
    return int(article[1:]) // SHARD_SIZE


def _request_settings(settings: Settings) -> dict[str, Any]:
    """What a job keeps of the settings: all that shapes a request or reads a reply; never the key."""
    kept = {f.name: getattr(settings, f.name) for f in dataclasses.fields(Settings)}
    for name in ("api_key", "cache_dir", "glossary"):
        kept.pop(name)
    return kept


def byte_limit(settings: Settings) -> int:
    """The most bytes per request file for the endpoint (DashScope takes larger files than OpenAI)."""
    preset = presets.for_request(settings.preset, settings.base_url)
    return MAX_BYTES["dashscope"] if preset is not None and preset.name == "dashscope" else MAX_BYTES["openai"]


def export_round(
    articles: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    settings: Settings | None = None,
    languages: Sequence[str] = ("en",),
    translate: bool = False,
    formats: Sequence[str] | None = None,
    glossary: names.GlossaryLike = None,
    partial: bool = False,
    max_lines: int | None = None,
    max_bytes: int | None = None,
    url: str = ENDPOINT,
    on_article: Callable[[str, str | None], None] | None = None,
) -> Report:
    """Start a batch job: plan every article and write the first round of requests under ``out``.

    Args:
        articles: a folder (its ``.txt`` and ``.md`` files), a glob, or a list of files (one
            named twice is one article, with a warning). When
            ``out`` holds a job already, it resumes with its own articles, and those given that
            it does not hold as they are now (new, changed) are named in a warning.
        out: the job folder; outputs land where ``summarize batch --out`` puts them, state under ``out/.batch``.
        settings: endpoint settings; the model must be set (it is written into every request).
        languages, translate, glossary: as for ``summarize batch``.
        partial: as for ``summarize_article``: when a chunk of a long article fails for good, its
            article keeps what the other chunks gave, flagged, instead of failing. Kept with the
            job, so every import, status and submit of it does the same. Given to a job started
            without it, it turns it on (``take_partial``); left out, a job keeps its own.
        formats: what to write per article, ``["md", "json"]`` by default. A job that exists
            keeps its own, with a warning if others are given.
        max_lines, max_bytes: split request files at these limits (default: the endpoint's,
            ``MAX_LINES`` lines). A job that exists keeps its own: its files may be in an
            engine's hands already (``batch_api.submit``, which records its uploads, resplits).
        url: the ``url`` of each line (DashScope's test model takes ``/v1/chat/ds-test``).
        on_article: called with (source, error message or ``None``) for each article finished
            without a request (none, unless an article fails before any request is sent).

    Returns:
        A ``Report``; ``report.files`` are the JSONL files to hand to the engine.

    Raises:
        JobError: ``out`` already holds a different job.
        ConfigError: no model is set, or a setting is malformed.
        BatchError: ``out`` is the folder the articles are in, a file or cannot be written,
            two articles would write the same outputs, or an output the job would replace is
            read-only, as ``summarize batch`` refuses them.
        FileNotFoundError: no articles match.

    Example::

        >>> report = export_round("news/", "job/", settings=Settings(model="qwen-plus"))  # doctest: +SKIP
        >>> print(report.files[0].path)  # doctest: +SKIP
    """
    from .pipeline import check_languages

    settings = resolve_settings(settings, {})
    if not settings.model:
        raise ConfigError(
            "a batch job writes the model into every request: set SUMMARIZE_MODEL or pass --model"
        )
    languages = check_languages(languages)
    if formats is not None:
        formats = check_formats(formats)
    check_partial(partial)
    check_max_lines(max_lines)
    job = Job(out)
    if job.exists:
        with job.exclusive():
            meta = job.load()
            say_resumed(job, meta, settings, languages=languages, translate=translate, formats=formats, articles=articles)
            kept = meta["max_lines"]
            if max_lines is not None and max_lines != kept:
                log.warning(
                    "%s already holds a job whose files are split at %d requests; it keeps that (max_lines %d "
                    "applies to a new job, and `summarize batch submit` splits a round it has not sent yet anew)",
                    job.out, kept, max_lines,
                )
            if partial:
                take_partial(job, meta)
            _retry_failed(job, meta)
            return advance(job, on_article=on_article)  # a job resumes; nothing already there is rewritten
    job.check_no_leftovers()
    if not endpoint_given(settings):
        # Bodies differ by endpoint (thinking switches, the token limit's name): a job exported
        # with none named and handed to vllm run-batch left Qwen3 thinking, and every reply was
        # cut at its token limit while it thought.
        log.warning(
            "no --base-url or --preset is given, so the requests are shaped for OpenAI's Batch API (%s); "
            "for another engine give its preset (--preset vllm for vllm run-batch, sglang, dashscope) or the "
            "--base-url of the server it stands for (--preset openai says OpenAI's is meant)",
            OPENAI_BASE_URL,
        )
    found, base = _article_files(articles)
    if job.out.resolve() == base.resolve():  # every result would land among the articles
        raise out_inside(job.out, base)
    entries = names.resolve_glossary(glossary, settings)
    meta = {
        "format": FORMAT,
        "created": time.time(),
        "settings": _request_settings(settings),
        "glossary": entries if (glossary is not None or settings.glossary) else None,
        "languages": list(languages),
        "translate": translate,
        "partial": partial,
        "formats": list(formats or FORMATS),
        "url": url,
        "max_lines": max_lines or MAX_LINES,
        "max_bytes": max_bytes or byte_limit(settings),
        "articles": 0,
        "skipped": 0,
        "rounds": [],
    }
    try:
        count, skipped = _write_articles(
            job, found, base, formats or FORMATS, grouped=isinstance(articles, (str, os.PathLike)), translate=translate, languages=languages,
        )
    except BaseException:
        shutil.rmtree(job.state / "articles", ignore_errors=True)  # half a job's articles are no job
        raise
    if not count and not skipped:
        raise FileNotFoundError(f"no articles in {articles}: give a folder of .txt or .md files, a glob or a list of files")
    meta.update(articles=count, skipped=skipped)
    with job.exclusive():
        job.save(meta)
        return advance(job, on_article=on_article)


# The settings a job resumes with as it was started, which a run given others warns of
# (``say_resumed``): all that shapes a request or reads a reply, but its endpoint and model
# (said on their own) and the key.
_RESUMED_AS_STARTED = (
    "preset", "method", "summary_words", "output_tokens", "context_tokens", "chunk_tokens", "temperature",
    "tokenizer", "on_truncation", "translation_context", "verify", "max_retries",
)


def say_resumed(
    job: Job, meta: dict[str, Any], settings: Settings, *, languages: Sequence[str], translate: bool,
    formats: Sequence[str] | None = None,
    articles: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
) -> None:
    """Warn of what a command run on the job that exists in ``job.out`` asks otherwise than the
    job was started with (its endpoint, model, work, or ``formats`` when given: export and
    submit alike), and of the
    ``articles`` given that the job does not hold as they are now (``_not_in_job``): the job
    resumes as it was started, at its own endpoint, where its batches live, with its own articles."""
    kept = meta["settings"]
    for name, what in (("base_url", "endpoint"), ("model", "model")):
        given = getattr(settings, name)
        if name == "base_url" and not endpoint_given(settings):
            continue  # OpenAI's URL by default: nobody asked for it
        if given and given.rstrip("/") != (kept.get(name) or "").rstrip("/"):
            log.warning(
                "%s already holds a job for %s %s, not %s; resuming it there (give another --out for a new job)",
                job.out, what, kept.get(name), given,
            )
    # Any other setting that shapes a request or reads a reply, given otherwise than the job
    # was started with (and not left at its default: a run without it asks nothing otherwise).
    # A new --method, summary length or temperature was silently ignored.
    defaults = Settings()
    differ = [
        f"{name} {kept.get(name)!r}, not {given!r}"
        for name in _RESUMED_AS_STARTED
        if (given := getattr(settings, name)) != getattr(defaults, name) and given != kept.get(name)
    ]
    if settings.glossary:
        try:
            entries: dict[str, str] | None = names.load_glossary(settings.glossary)
        except ConfigError:
            entries = None
        if entries != meta.get("glossary"):
            differ.append(f"its own glossary entries, not those of {str(settings.glossary)!r}")
    if differ:
        log.warning(
            "%s already holds a job started with %s; resuming it as it was started (give another --out for a new job)",
            job.out, "; ".join(differ),
        )
    from .pipeline import check_languages

    started = what_is_asked(translate=meta["translate"], languages=meta["languages"])
    asked = what_is_asked(translate=translate, languages=check_languages(languages))
    if started != asked:
        log.warning(
            "%s already holds a job for %s, not %s; resuming it as it was started (give another --out for a new job)",
            job.out, started, asked,
        )
    if formats is not None and set(formats) != set(meta["formats"]):
        log.warning(
            "%s already holds a job that writes %s per article, not %s; resuming it as it was started "
            "(give another --out for a new job)",
            job.out, ",".join(meta["formats"]), ",".join(formats),
        )
    missing, gone = _not_in_job(job, meta, articles) if articles is not None else ([], [])
    if missing:
        log.warning(
            "%s already holds a job, which lacks %d of the articles given, as they are now: %s; resuming it with "
            "the articles it was started with, so these are not summarized (give another --out for a new job of them)",
            job.out, len(missing), _some(f"{source} ({why})" for source, why in missing),
        )
    if gone:
        log.warning(
            "%s holds %d unfinished article(s) that are no longer among the articles given: %s; the job still "
            "summarizes the text it stored of them (give another --out for a new job without them)",
            job.out, len(gone), _some(gone),
        )


def take_partial(job: Job, meta: dict[str, Any]) -> bool:
    """Turn ``partial`` on for the job in ``job.out`` (``meta``, saved) when it was started
    without it; whether it was off. Said in a warning.

    Unlike the settings a job keeps as it was started (``say_resumed``), ``partial`` shapes no
    request: it decides only how an article ends when a chunk of it fails for good. So a job
    started without it takes it: articles still waiting follow it, outputs written already are
    left as they are, and the articles that failed are asked again when export is run again (or
    submit, once every article is finished). There is no turning it off: a run that does not
    give it asks nothing otherwise, as with any setting left at its default.
    """
    if meta.get("partial"):
        return False
    meta["partial"] = True
    job.save(meta)
    log.warning(
        "%s holds a job started without --partial; it takes it from now on: an article a chunk of which fails for "
        "good keeps what the other chunks gave, flagged (outputs written already are left as they are)",
        job.out,
    )
    return True


def endpoint_given(settings: Settings) -> bool:
    """Whether ``settings`` name an endpoint (a base URL given, or a preset), rather than fall
    back to OpenAI's API, the default."""
    return settings.preset is not None or not settings.defaulted("base_url")


def check_endpoint(job: Job, meta: dict[str, Any], settings: Settings) -> None:
    """Refuse to send a job to OpenAI's API when it was exported for it only by default (no base
    URL, no preset), none of its files was ever uploaded, and another endpoint is given now.

    Without this, ``submit --base-url X`` on a job exported without one said "resuming it there"
    and sent the articles, and the key meant for X, to OpenAI's API, which nobody named; every
    later ``--base-url`` was ignored the same way. A job exported for an endpoint that was named,
    or with batches out there, resumes at its own, with a warning (``say_resumed``).

    Raises:
        BatchError: naming both endpoints and how to send the job where it is meant to go.
    """
    kept = str(meta["settings"].get("base_url") or "").rstrip("/")
    given = settings.base_url.rstrip("/")
    by_default = kept == OPENAI_BASE_URL.rstrip("/") and meta["settings"].get("preset") is None
    sent = any(f.get("file_id") or f.get("earlier") for entry in meta["rounds"] for f in entry["files"])
    if not by_default or sent or not endpoint_given(settings) or given == kept:
        return
    raise BatchError(
        f"{display(job.out)} holds a job exported for {kept} (OpenAI's API, the default when export is given no "
        f"--base-url or --preset), not {given}, and none of it was sent yet: nothing was sent now either; to send "
        f"it to {given}, export it again with --base-url {given} (or its --preset) and another --out (its requests "
        "are shaped for the endpoint they go to)"
    )


def _some(items: Iterable[str], *, shown: int = 3) -> str:
    """The first few of ``items`` joined, and how many more there are."""
    items = list(items)
    more = f", and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _not_in_job(
    job: Job, meta: dict[str, Any], articles: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
) -> tuple[list[tuple[str, str]], list[str]]:
    """How the articles ``articles`` names differ from those the job in ``job.out`` holds.

    First, those it does not hold as they are now, each with why: new (added to the folder
    since, or from another folder), or changed since the export (the job summarizes the text it
    stored then). An article is known by its output paths, as online; one whose outputs are
    there already is finished, whatever the job holds. Second, the sources of the unfinished
    articles the job holds that are no longer among those named (removed, or renamed).

    Without this, an export or submit run again on a folder that had grown said that every
    article was finished, exit 0, and the new ones were never done.
    """
    stored: dict[tuple[str, ...], tuple[str, str]] = {}  # output paths -> (source, a digest of the text stored)
    unread: set[str] = set()  # sources of articles that could not be read at export
    for shard_number in range((meta["articles"] + SHARD_SIZE - 1) // SHARD_SIZE):
        for article in job.articles(shard_number, meta["articles"]):
            if "outputs" in article:
                stored[tuple(sorted(article["outputs"].values()))] = (article["source"], _text_digest(article["text"]))
            else:
                unread.add(article["source"])
    try:
        found, base = _article_files(articles)
    except (OSError, ValueError):  # nothing to compare with: the job resumes all the same
        return [], []
    out_resolved = job.out.resolve()
    own_results_read = _inside(out_resolved, base.resolve())
    missing: list[tuple[str, str]] = []
    seen: set[tuple[str, ...]] = set()
    for path in found:
        if own_results_read and out_resolved in path.resolve().parents:
            continue  # the job's own outputs
        targets = output_paths(path, base, job.out, meta["formats"])
        key = tuple(sorted(p.relative_to(job.out).as_posix() for p in targets.values()))
        seen.add(key)
        if key in stored:
            try:
                changed = _text_digest(read_article(path)) != stored[key][1]
            except (InputError, OSError):
                changed = True  # unreadable now, where the job's was read
            if changed:
                missing.append((display(path), "changed since the job was started"))
        elif display(path) not in unread and not is_done(targets):
            missing.append((display(path), "new"))
    gone = [
        source for key, (source, _digest) in stored.items()
        if key not in seen and not is_done({rel: job.out / rel for rel in key})
    ]
    return missing, gone


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def retry_failed(out: str | os.PathLike[str]) -> int:
    """Once every article of the job in ``out`` is finished, ask the requests of those that failed
    anew in a new round (as export run again does, and the next online run); how many. A job
    with a round still out there is left as it is: its failures are retried after it.
    """
    job = Job(out)
    with job.exclusive():
        meta = job.load()
        if meta["rounds"] and meta["rounds"][-1]["files"]:
            return 0
        retried = _retry_failed(job, meta)
        if retried:
            advance(job)
        return retried


def _retry_failed(job: Job, meta: dict[str, Any]) -> int:
    """Make the articles that failed for good unfinished again, their stored replies and failures
    dropped, so that the next round asks all their requests anew (as the next online run does);
    how many, said in a warning. Articles that could not be read at export fail again alone:
    they are left.
    """
    retried = 0
    for shard_number in range((meta["articles"] + SHARD_SIZE - 1) // SHARD_SIZE):
        shard = job.shard(shard_number)
        failed = {aid for aid, state in shard.finished.items() if state.get("status") == "failed"}
        if not failed:
            continue
        failed -= {a["id"] for a in job.articles(shard_number, meta["articles"]) if "error" in a}  # as _Tally.retryable counts
        if not failed:
            continue
        for aid in failed:
            del shard.finished[aid]
        shard.replies = {cid: r for cid, r in shard.replies.items() if article_of(cid) not in failed}
        shard.failures = {cid: f for cid, f in shard.failures.items() if article_of(cid) not in failed}
        shard.unanswered = {cid: why for cid, why in shard.unanswered.items() if article_of(cid) not in failed}
        job.save_shard(shard_number, shard)
        retried += len(failed)
    if retried:
        log.warning("%d article(s) that failed are tried again: their requests are asked anew", retried)
    return retried


def _write_articles(
    job: Job, found: Iterable[Path], base: Path, formats: Sequence[str], *, grouped: bool,
    translate: bool = False, languages: Sequence[str] = ("en",),
) -> tuple[int, int]:
    """Store the articles of a new job, SHARD_SIZE per file; how many, and how many were skipped
    because their outputs exist.

    Raises:
        BatchError: two articles would write the same outputs (``a.txt`` and ``a.md``), ``out``
            is a file or cannot be written, an output path cannot be written (a name too long, a folder in its place), or an
            article's outputs hold other work than is asked (a summary where a translation is
            asked) or are read-only where they would be replaced, as ``summarize batch`` refuses them. Only articles of one folder can collide, and a folder
            or a glob yields a folder's files together (``grouped``), so memory holds one folder's
            outputs; a list of files is held whole.
    """
    out_resolved = job.out.resolve()
    # Results written below the folder read must not be read back as articles; an --out above it
    # (news/sub --out news) holds the articles themselves, which are read as online.
    own_results_read = _inside(out_resolved, base.resolve())
    count = skipped = 0
    shard_file: _AtomicFile | None = None
    writers: dict[Path, Path] = {}
    checked: set[Path] = set()  # folders check_targets has seen
    folder: Path | None = None
    named: set[str] = set()  # a list's files by absolute path (a folder or a glob names each once)
    try:
        for path in found:
            if own_results_read and out_resolved in path.resolve().parents:
                continue  # never our own results
            if not grouped:
                # As online: a file named twice (a.txt, ./a.txt, its absolute path) is one article,
                # not two paying for the same requests and writing the same outputs.
                if os.path.abspath(path) in named:
                    log.warning("%s is named twice; it is summarized once", display(path))
                    continue
                named.add(os.path.abspath(path))
            if not checked:  # at the first article: no folder is made for a job of none
                # A file, or read-only: refused as online, not a raw OSError at the first write.
                check_out_folder(job.out)
            targets = output_paths(path, base, job.out, formats)
            if grouped and path.parent != folder:
                folder = path.parent
                writers.clear()
            shared = [p for p in targets.values() if writers.setdefault(p, path) != path]
            if shared:
                raise collision(writers[shared[0]], path, shared)
            # As online, before the outputs are read: a name too long for the file system was
            # taken for a file of the user's in the way ("move it away"), which is not there.
            check_targets(job.out, targets.values(), checked)
            check_outputs_match({str(path): targets}, translate=translate, languages=languages)
            if is_done(targets):
                skipped += 1
                continue
            check_replaceable(targets.values())
            record: dict[str, Any] = {"id": _article_id(count), "source": display(path)}
            try:
                record["text"] = read_article(path)
            except (InputError, OSError) as exc:
                # That article's failure, as online: the job records it and the others go on.
                # Shown escaped: a name that is not UTF-8 cannot go into the UTF-8 state file.
                record["error"] = display(" ".join(str(exc).split()))
            else:
                record["outputs"] = {fmt: p.relative_to(job.out).as_posix() for fmt, p in targets.items()}
                record["sha256"] = file_digest(path)  # its record says what it was made from, as online
            if count % SHARD_SIZE == 0:
                if shard_file is not None:
                    shard_file.commit()
                shard_file = _AtomicFile(job.article_file(count // SHARD_SIZE))
            assert shard_file is not None  # opened at the first article (count 0)
            shard_file.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    except BaseException:
        if shard_file is not None:
            shard_file.discard()
        raise
    if shard_file is not None:
        shard_file.commit()
    return count, skipped


class _AtomicFile:
    """A file written line by line under a temporary name, moved into place when complete."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.tmp = path.with_name(f".{path.name}.part")
        self.handle = open(self.tmp, "w", encoding="utf-8")

    def write(self, text: str) -> None:
        self.handle.write(text)

    def commit(self) -> None:
        self.handle.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


def _article_files(articles: Any) -> tuple[Iterator[Path], Path]:
    """The article files a job names, one at a time, and the folder output paths are relative to.

    The same files and folder as ``summarize batch`` (``batch.find_articles``), but streamed: a
    folder is walked one directory at a time (each sorted), so a million files are never one list.
    """
    if not isinstance(articles, (str, os.PathLike)):
        files = [Path(a) for a in articles]
        common = Path(os.path.commonpath([str(p.parent.resolve()) for p in files])) if files else Path(".")
        return iter(files), common
    root = Path(os.fspath(articles)).expanduser()
    if root.is_dir():
        real_root = root.resolve()

        def walk() -> Iterator[Path]:
            # As summarize batch does: links are not followed out of the folder (an untrusted
            # folder could link to private files, which would be sent to the endpoint).
            for folder, dirs, entries in os.walk(root):
                dirs.sort()
                for name in sorted(entries):
                    path = Path(folder) / name
                    if path.suffix.lower() in ARTICLE_SUFFIXES and path.is_file():
                        if path.is_symlink() and not _inside(path.resolve(), real_root):
                            log.warning("skipped %s: a link out of %s", path, root)
                            continue
                        yield path

        return walk(), root
    spec = os.path.expanduser(os.fspath(articles))
    base: str | None = None
    for match in glob.iglob(spec, recursive=True):  # a first pass for the common folder only
        if not Path(match).is_file():
            continue
        parent = str(Path(match).parent.resolve())
        base = parent if base is None else os.path.commonpath([base, parent])
    matches = (Path(m) for m in glob.iglob(spec, recursive=True) if Path(m).is_file())
    return matches, Path(base or ".")


def import_results(
    out: str | os.PathLike[str],
    *results: str | os.PathLike[str],
    on_article: Callable[[str, str | None], None] | None = None,
) -> Report:
    """Store the replies in results files (any order, any engine's) and move the job on.

    Lines are joined to requests by ``custom_id``. Finished articles get their outputs; the next
    round's requests are written when any remain (reduces, re-asks, failed or missing lines).
    Importing the same lines again changes nothing.

    Args:
        out: the job folder.
        results: batch output files (OpenAI's output and error files, DashScope's, ``vllm run-batch -o``);
            a pipe (``/dev/stdin``, a shell's ``<(cmd)``) is read too.
        on_article: called with (source, error message or ``None``) as each article finishes.

    Raises:
        JobError: ``out`` holds no job.
        BatchError: a results file is not there, or none of its lines answers a request of the
            job (another job's results, a request file, not JSONL, an empty file); nothing is
            stored then.
    """
    job = Job(out)
    meta = job.load()
    for path in results:
        if Path(path).is_dir() or not Path(path).exists():
            raise BatchError(
                f"{display(Path(path))}: no such results file{' (it is a folder)' if Path(path).is_dir() else ''}: "
                "give the file(s) the batch engine wrote for this job's requests"
            )
    names = [Path(path) for path in results]  # what messages call them
    spooled: list[Path] = []
    with job.exclusive():
        meta = job.load()  # as the process that held the job before left it
        try:
            # A pipe (/dev/stdin, a shell's <(cmd)) is read once into a file of the job's: the lines
            # are found again by their offsets, and a pipe cannot seek.
            files = [path if path.is_file() else _spool(job, path, spooled) for path in names]
            return _import(job, meta, names, files, on_article)
        finally:
            for path in spooled:
                path.unlink(missing_ok=True)


def _spool(job: Job, path: Path, spooled: list[Path]) -> Path:
    """A copy of what can be read from ``path`` (a pipe, a device), in a file under the job's state."""
    job.state.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".results-", suffix=".jsonl", dir=job.state)
    spooled.append(Path(name))
    with os.fdopen(fd, "wb") as copy, open(path, "rb") as source:
        shutil.copyfileobj(source, copy)
    return Path(name)


def _import(
    job: Job, meta: dict[str, Any], names: list[Path], results: list[Path],
    on_article: Callable[[str, str | None], None] | None,
) -> Report:
    """``import_results`` on regular files (``results``, called ``names`` in messages)."""
    if job.interrupted(meta):
        advance(job)  # the round its requests are known from: written again, or recorded, first
        meta = job.load()
    asked, gone = _asked(job, meta)
    unknown = _Asked("", None)  # a request of a round whose file is gone: nothing to check it against
    # Which lines belong to which shard, by byte offset: memory holds 8 bytes a line, never replies.
    offsets: dict[int, array.array[int]] = {}
    foreign = 0
    # A line naming an article of the job but no request of a file still there (``gone``): the
    # job's own when a reply or failure is stored for it already (a file imported again); else
    # not (another job's results), since every request still unanswered is in the current round.
    unchecked: dict[int, list[tuple[str, int]]] = {}
    scanned: list[list[Any]] = []
    for number, (name, path) in enumerate(zip(names, results)):
        lines = answers = requests = unreadable = 0
        first_unreadable, cut = 0, False
        with open(path, "rb") as handle:
            position = 0
            for raw in handle:
                start, position = position, position + len(raw)
                if not raw.strip():
                    continue
                lines += 1
                try:
                    line = parse_json(raw)
                    cid = str(line.get("custom_id") or "")
                except (ValueError, AttributeError):
                    unreadable += 1
                    first_unreadable = first_unreadable or lines
                    # An object begun on the file's last line, without its line end: the file
                    # stops inside a result line (binary junk is merely not JSON).
                    cut = not raw.endswith(b"\n") and raw.lstrip().startswith(b"{")
                    continue
                if "body" in line and "response" not in line:
                    requests += 1  # a request line, not its answer
                    continue
                if cid not in asked:
                    if gone and _of_job(cid, meta):
                        unchecked.setdefault(_shard_of(article_of(cid)), []).append((cid, start * len(results) + number))
                    continue
                answers += 1
                offsets.setdefault(_shard_of(article_of(cid)), array.array("q")).append(start * len(results) + number)
        scanned.append([name, lines, answers, requests, unreadable, first_unreadable, cut])
    for shard_number, entries in sorted(unchecked.items()):
        shard = job.shard(shard_number)
        for cid, packed in entries:
            if cid in shard.replies or cid in shard.failures:
                scanned[packed % len(results)][2] += 1
                offsets.setdefault(shard_number, array.array("q")).append(packed)
        del shard
    for name, lines, answers, requests, unreadable, first_unreadable, cut in scanned:
        if not answers:
            raise _not_results(name, lines, requests, unreadable, job, cut=cut)
        if unreadable:
            _say_unreadable(name, unreadable, first_unreadable, cut)
        foreign += lines - answers - unreadable
    if foreign:
        log.warning("%d result line(s) are not this job's requests (unknown custom_id) and were skipped", foreign)
    stored = 0
    odd = [_Odd() for _ in results]
    retries = job.settings(meta).max_retries
    # Replies stored before the next round is recorded (``advance`` ends it); the files named, for
    # a status after an interrupt to say to import them again.
    job.begin_change(importing=[str(name) if not name.is_file() else os.path.abspath(name) for name in names])
    handles = [open(path, "rb") for path in results]
    try:
        for shard_number in sorted(offsets):
            shard = job.shard(shard_number)
            changed = 0
            unanswered = dict(shard.unanswered)
            for packed in offsets[shard_number]:
                start, number = divmod(packed, len(results))
                handles[number].seek(start)
                raw = handles[number].readline()
                line = parse_json(raw)
                cid = str(line.get("custom_id") or "")
                request = asked.get(cid, unknown)
                if odd[number].oversized(line, raw, request):
                    continue
                odd[number].check(line, request, shard.replies.get(cid))
                added = shard.add(line, raw)
                if added == "stored":
                    changed += 1
                    odd[number].failed(line, asked_again(shard.failures.get(cid, ()), retries))
                elif added == "unrun":
                    odd[number].unrun(cid, shard.unanswered[cid])
            if changed or shard.unanswered != unanswered:
                job.save_shard(shard_number, shard)
                stored += changed
    finally:
        for handle in handles:
            handle.close()
    for name, found in zip(names, odd):
        found.tell(name, retries)
    if not stored and not any(found.refused or found.unanswered for found in odd):
        # A loop of engine rounds that imports nothing new waits on the same requests forever.
        log.warning(
            "%s: nothing new stored: every line answers a request whose reply is stored already, or is an "
            "answer imported before (the same line id)",
            ", ".join(display(name) for name in names),
        )
    return advance(job, stored=stored, on_article=on_article)


def _say_unreadable(name: Path, count: int, first: int, cut: bool) -> None:
    """Warn of a results file's lines that are not JSON: skipped, their requests asked again.

    A last line without its line end is named as cut short: the file is incomplete (a partial
    download, an engine still writing it), not another job's, as it was reported before.
    """
    if cut and count == 1:
        what = (
            f"its last line (line {first}) is not complete JSON: the file ends inside it, cut short (a partial "
            "download, or a file the engine was still writing?); skipped, so its request is asked again in the "
            "next round, unless you import the whole file again"
        )
    else:
        what = (
            f"{count} line(s) are not JSON (the first is line {first}{'; the file ends inside its last line, cut short' if cut else ''}); "
            "skipped, so the requests they answer are asked again in the next round"
        )
    log.warning("%s: %s", display(name), what)


@dataclass(frozen=True)
class _Asked:
    """What a results line is checked against: the request it answers."""

    model: str
    max_tokens: int | None


def _asked(job: Job, meta: dict[str, Any]) -> tuple[dict[str, _Asked], bool]:
    """Every request the job has written (every round's files still there), by ``custom_id``:
    what a results line must answer to be stored; and whether a request file of an earlier round
    is gone (cleaned up once its batch was sent), so that its requests are not known line by line."""
    asked: dict[str, _Asked] = {}
    gone = False
    for entry in meta["rounds"]:
        for item in entry["files"]:
            path = job.state / item["path"]
            if not path.is_file():
                gone = True
                continue
            for line in read_lines(path):
                body = line.get("body") if isinstance(line, dict) else None
                if not isinstance(body, dict):
                    continue
                limit = body.get("max_tokens", body.get("max_completion_tokens"))
                asked[str(line.get("custom_id"))] = _Asked(
                    str(body.get("model")), limit if isinstance(limit, int) and not isinstance(limit, bool) else None
                )
    return asked, gone


def _of_job(cid: str, meta: dict[str, Any]) -> bool:
    """Whether ``cid`` names an article of the job (``a<number>-...``, the number one it holds)."""
    article = article_of(cid)
    return article.startswith("a") and article[1:].isdigit() and int(article[1:]) < meta["articles"]


@dataclass
class _Odd:
    """Replies a results file held that are stored, yet worth a word: counted, told once per file."""

    models: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (model, asked) -> custom_ids
    repeated: list[str] = field(default_factory=list)
    refused: int = 0  # replies too large for their requests: not stored
    first_refused: str = ""  # the first of them: its custom_id, its size against its limit
    passing: int = 0  # failed lines newly stored whose failure passes (``failed_status``): asked again
    first_passing: str = ""  # the first of them: its status as written and its message, cut short
    unanswered: dict[str, list[str]] = field(default_factory=dict)  # why -> custom_ids given back unrun

    def oversized(self, line: Any, raw: bytes, asked: _Asked) -> bool:
        """Whether a result line is refused before it is stored: a reply larger than its
        request's token limit can produce, which the client would refuse (stored, it failed the
        article for good, and took the state file to 19 MB). Noted, told once per file."""
        if asked.max_tokens is None or len(raw) <= max_reply_bytes(asked.max_tokens):
            return False
        response = line.get("response") if isinstance(line, dict) else None
        body = response.get("body") if isinstance(response, dict) else None
        size = len(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        limit = max_reply_bytes(asked.max_tokens)
        if size <= limit:
            return False
        if not self.refused:
            self.first_refused = (
                f"the reply to {line.get('custom_id')} is {size:,} bytes, more than its {asked.max_tokens} tokens "
                f"can produce ({limit:,} at most)"
            )
        self.refused += 1
        return True

    def check(self, line: Any, asked: _Asked, stored: dict[str, Any] | None) -> None:
        """Note a reply that names another model than its request (a dated snapshot of it,
        ``gpt-4o-2024-08-06`` for ``gpt-4o``, is the same), or that answers a request already
        answered with other text (the first stays: importing is repeatable)."""
        kind, _status, body = _outcome(line.get("response"), line.get("error"))
        if kind != "ok":
            return
        cid, model = str(line.get("custom_id")), body.get("model")
        if isinstance(model, str) and model and not (model.startswith(asked.model) or asked.model.startswith(model)):
            self.models.setdefault((model, asked.model), []).append(cid)
        if stored is not None and _answer_text(stored) != _answer_text(body):
            self.repeated.append(cid)

    def failed(self, line: dict[str, Any], retried: bool) -> None:
        """Note a failed line just stored that a later round asks again (a 429, a 5xx, an engine
        crash written as a 400; ``retried``: its retries are not used up): the same request comes
        back in the next round's file, and this says why, and what the 400 stood for."""
        kind, status, detail = _outcome(line.get("response"), line.get("error"))
        if kind != "failed" or not retryable(status) or not retried:
            return
        if not self.passing:
            response = line.get("response")
            written = response.get("status_code") if isinstance(response, dict) else None
            said = f"HTTP {written}, taken as {status}" if written is not None and str(written) != str(status) else f"HTTP {status}"
            message = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
            self.first_passing = f"{line.get('custom_id')}: {said}: {shown(message[:200]) or '(no message)'}"
        self.passing += 1

    def unrun(self, cid: str, why: str) -> None:
        """Note a line given back unrun (``unrun_reason``): its request is asked again (in the
        current round's files, or the next round's when other replies were stored). Such a file
        was told "nothing new stored: every line answers a request whose reply is stored
        already", when none was."""
        self.unanswered.setdefault(why, []).append(cid)

    def tell(self, path: str | os.PathLike[str], retries: int) -> None:
        name = display(Path(path))
        for why, cids in self.unanswered.items():
            log.warning(
                "%s: %d request(s) (%s%s) came back unrun (%s); asked again", name, len(cids),
                cids[0], ", ..." if len(cids) > 1 else "", why,
            )
        if self.passing:
            log.warning(
                "%s: %d line(s) failed at the batch engine in a way that passes (a rate limit, an overload, an engine "
                "crash; the first: %s); asked again in the next round, each up to SUMMARIZE_MAX_RETRIES=%d times",
                name, self.passing, self.first_passing, retries,
            )
        if self.refused:
            log.warning(
                "%s: %s; not stored, so %s asked again in the next round: check the batch engine that wrote this file",
                name,
                self.first_refused if self.refused == 1 else
                f"{self.refused:,} replies are larger than their requests' token limits can produce ({self.first_refused})",
                "it is" if self.refused == 1 else "they are",
            )
        for (model, wanted), cids in self.models.items():
            log.warning(
                "%s: %d reply(ies) (%s, ...) were written by model %s, not the %s asked; stored all the same: "
                "check that the batch engine served %s", name, len(cids), cids[0], model, wanted, wanted,
            )
        if self.repeated:
            log.warning(
                "%s: %d request(s) (%s, ...) are answered again, with other text than the reply stored for "
                "them; the first replies are kept", name, len(self.repeated), self.repeated[0],
            )


def _answer_text(body: dict[str, Any]) -> Any:
    choices = body.get("choices") or [{}]
    first = choices[0] if isinstance(choices[0], dict) else {}
    message = first.get("message")
    return message.get("content") if isinstance(message, dict) else None


def _not_results(path: Path, lines: int, requests: int, unreadable: int, job: Job, *, cut: bool = False) -> BatchError:
    """The refusal of a results file none of whose lines answer the job's requests (an empty
    one included: an engine that crashed, a download that failed, the wrong file named)."""
    if not lines:
        return BatchError(
            f"{display(path)} is empty: it holds no result line, so it answers none of the job's requests; "
            f"nothing was stored: give the results of its request files under {display(job.state / 'rounds')}"
        )
    if requests == lines:
        return BatchError(
            f"{display(path)} is a request file: its {lines} line(s) ask, none answers; give the results file "
            "the batch engine wrote for it (nothing was stored)"
        )
    others = "answer requests this job did not write (another job's results?)"
    what = (
        ("none is complete JSON: the file ends inside its last line, cut short: a partial download?" if cut else "none is JSON")
        if unreadable == lines else f"{unreadable} not JSON, the others {others}" if unreadable else f"they {others}"
    )
    return BatchError(
        f"none of the {lines} line(s) of {display(path)} answers a request of the job in {display(job.out)} "
        f"({what}); nothing was stored: give the results of its request files under {display(job.state / 'rounds')}"
    )


def status(out: str | os.PathLike[str]) -> Report:
    """Where a job stands, without changing anything but this: a request file of the current
    round that was lost is written again (``advance``), so that the paths reported exist, and
    finished articles' outputs that are missing or were not written are written from the
    stored replies."""
    job = Job(out)
    meta = job.load()
    if job.interrupted(meta) or _outputs_to_write(job, meta):
        with job.exclusive():
            meta = job.load()
            unfinished = job.interrupted_import(meta)
            report = advance(job)
        if unfinished and report.files:
            # The round advance wrote may hold requests whose answers are in those files, not
            # stored yet: handed to the engine, they were paid for twice.
            log.warning(
                "an import of %s was interrupted before it stored every reply, so some requests of round %d may be "
                "answered in it already: run `summarize batch import %s %s` again before answering round %d",
                ", ".join(unfinished), report.round, shlex.quote(display(job.out)),
                " ".join(shlex.quote(name) for name in unfinished), report.round,
            )
        return report
    return _report(job, meta)


def _outputs_to_write(job: Job, meta: dict[str, Any]) -> bool:
    """Whether a finished article's outputs are to be written (``_to_write``)."""
    for shard_number in range((meta["articles"] + SHARD_SIZE - 1) // SHARD_SIZE):
        finished = job.shard(shard_number).finished
        for article in job.articles(shard_number, meta["articles"]) if finished else ():
            if article["id"] in finished and _to_write(job, article, finished[article["id"]]):
                return True
    return False


def _lost_files(job: Job, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The request files of the job's current round that are missing."""
    current = meta["rounds"][-1]["files"] if meta["rounds"] else []
    return [entry for entry in current if not (job.state / entry["path"]).is_file()]


def advance(
    job: Job,
    *,
    stored: int = 0,
    on_article: Callable[[str, str | None], None] | None = None,
) -> Report:
    """Replay every unfinished article against the stored replies; write outputs and the next round."""
    meta = job.begin_change()
    settings = job.settings(meta)
    # Retries belong to the rounds here: the replay replays the stored failures as the online
    # client's attempts (so Usage.attempts and the errors match online), without sleeping.
    replay = settings.replace(cache=False, concurrency=1_000_000, retry_backoff=0.0)
    rounds = job.state / "rounds"
    draft = rounds / ".draft"
    shutil.rmtree(draft, ignore_errors=True)
    writer = _RoundWriter(draft, meta["max_lines"], meta["max_bytes"], meta["url"])
    tally = _Tally(settings.max_retries)
    logger = logging.getLogger("summarize")
    logger.addFilter(hold_logs)
    # One loop for the whole pass (a loop per article costs more than a replay), run by a Runner:
    # Ctrl-C cancels the article's tasks and they unwind in their own context, where a bare
    # loop left them half-run, to be finalized with dozens of lines of tracebacks.
    runner: Any = asyncio.Runner() if hasattr(asyncio, "Runner") else _Runner()  # Runner: Python 3.11+
    interrupts = _Interrupts()
    try:
        for shard_number in range((meta["articles"] + SHARD_SIZE - 1) // SHARD_SIZE):
            shard = job.shard(shard_number)
            finished_before = copy.deepcopy(shard.finished)
            for article in job.articles(shard_number, meta["articles"]):
                interrupts.check()
                before = shard.finished.get(article["id"])
                if before is not None and not _to_write(job, article, before):
                    tally.count(article, before)
                    continue
                if "error" not in article:
                    outcome = runner.run(
                        replay_article(article, shard.replies, shard.failures, replay, meta, settings.max_retries)
                    )
                    if isinstance(outcome, dict):  # pending requests
                        shard.finished.pop(article["id"], None)
                        for cid, body in outcome.items():
                            writer.add(cid, body)
                        tally.waits(article, outcome, shard)
                        continue
                    result, error, records = outcome
                else:  # it could not be read at export: it failed before any request, as online
                    result, error, records = None, InputError(article["error"]), []
                for record in records if before is None else ():  # told when it finished
                    logger.handle(record)
                if error is None:
                    unwritten = _write_outputs(job, meta, article, result, time.time() - meta["created"])
                    shard.finished[article["id"]] = (
                        {"status": UNWRITTEN, "error": unwritten} if unwritten else {"status": "done"}
                    )
                    if before is not None and not unwritten:
                        log.warning(
                            "%s: its output was missing or unwritten; written now from the stored replies (no request sent)",
                            shown(article["source"]),
                        )
                else:
                    shard.finished[article["id"]] = {"status": "failed", "error": _failure_message(job, meta, error)}
                tally.count(article, shard.finished[article["id"]])
                if on_article is not None:
                    on_article(article["source"], shard.finished[article["id"]].get("error"))
            if shard.finished != finished_before:
                job.save_shard(shard_number, shard)
            # A replay that waits leaves tasks and tracebacks in reference cycles: collect them
            # per shard, or the heap's peak grows with the article count (measured: 5.7 MB at
            # 1,000 articles, 10.9 MB at 3,000; 4.0 and 4.2 MB with this).
            del shard
            gc.collect()
    finally:
        interrupts.close()
        runner.close()
        logger.removeFilter(hold_logs)
        files = writer.close()
    interrupts.check()  # pressed after the last article: the pass is over, the round not written
    current = meta["rounds"][-1] if meta["rounds"] else None
    same = bool(files) and current is not None and current["digest"] == writer.digest
    lost = _lost_files(job, meta) if same else []
    drafted = {f.path.name: f.path for f in files}
    if same and all(Path(entry["path"]).name in drafted for entry in lost):
        # The same requests as the round out there: keep it, its recorded uploads and batches
        # included; a request file of it that was lost (cleaned up, overwritten by an engine's
        # -o) is written again, the same bytes under the same name.
        for entry in lost:
            target = job.state / entry["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(drafted[Path(entry["path"]).name], target)
            log.warning("%s was missing; written again (the same %d requests)", display(target), entry["lines"])
        shutil.rmtree(draft, ignore_errors=True)
    elif files:
        number = len(meta["rounds"]) + 1
        folder = rounds / f"round-{number:03d}"
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(draft, folder)
        meta["rounds"].append(
            {
                "number": number,
                "digest": writer.digest,
                "files": [
                    {"path": (folder / f.path.name).relative_to(job.state).as_posix(), "model": f.model,
                     "lines": f.lines, "bytes": f.bytes}
                    for f in files
                ],
            }
        )
        job.save(meta)
    else:
        shutil.rmtree(draft, ignore_errors=True)
        if current is not None and current.get("files"):
            meta["rounds"].append({"number": len(meta["rounds"]) + 1, "digest": writer.digest, "files": []})
            job.save(meta)
    return _report(job, job.end_change(), stored=stored, tally=tally)


def _failure_message(job: Job, meta: dict[str, Any], error: BaseException) -> str:
    """Why an article failed, on one line. A chunk that failed for good says what the job's own
    way to keep the others is (its "Pass partial=True" is for a caller of summarize_article,
    which no import takes), or nothing when the job keeps them already (every chunk failed)."""
    if isinstance(error, ChunkFailedError):
        advice = (
            f" Run `summarize batch export` or `submit` again on {shlex.quote(display(job.out))} with --partial to keep "
            "what the other chunks gave, flagged."
            if error.keeps_others and not meta.get("partial") else ""
        )
        return " ".join((error.reason + advice).split())
    return " ".join(str(error).split()) or type(error).__name__


class _Interrupts:
    """Ctrl-C during a pass of ``advance``, raised between articles.

    A pass runs one event loop per article, and ``asyncio.Runner`` handles SIGINT only while one
    runs: between them Python's default handler raised KeyboardInterrupt at any bytecode, inside a
    weakref callback too, where CPython prints "Exception ignored" and drops it. One export in
    twelve then ran to its end and exited 0 after Ctrl-C. Here a Ctrl-C is noted and raised at
    ``check``, after the article in hand (a replay takes milliseconds). Only in the main thread,
    and only over Python's default handler: elsewhere nothing changes.
    """

    def __init__(self) -> None:
        self.pressed = False
        self.previous: Any = None
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self._note)

    def _note(self, signum: int, frame: Any) -> None:
        self.pressed = True

    def check(self) -> None:
        if self.pressed:
            self.pressed = False
            raise KeyboardInterrupt

    def close(self) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None


class _Runner:
    """What ``advance`` needs of ``asyncio.Runner``, for Python 3.10: an interrupted article's
    exception is retrieved, and on close its tasks left behind are cancelled and run to their end."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Any) -> Any:
        task = self.loop.create_task(coro)
        try:
            return self.loop.run_until_complete(task)
        except BaseException:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved, so not reported again when the task is collected
            raise

    def close(self) -> None:
        try:
            tasks = asyncio.all_tasks(self.loop)
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()


def check_max_lines(max_lines: object) -> None:
    """Refuse a ``max_lines`` that is not a whole number of at least one (``None``: the default)."""
    if max_lines is not None and (isinstance(max_lines, bool) or not isinstance(max_lines, int) or max_lines < 1):
        raise ConfigError(f"max_lines must be a whole number of requests per file, at least 1; got {max_lines!r}")


def set_max_lines(out: str | os.PathLike[str], max_lines: int) -> bool:
    """Set a job's requests per file to ``max_lines``, higher or lower; whether it changed.

    The current round is split again when none of its files was uploaded yet (``batch_api``
    records the file IDs): after a batch failed validation (an account's enqueued-token limit),
    its file is set aside, so the smaller files go out instead. Later rounds follow the new limit.
    """
    check_max_lines(max_lines)
    job = Job(out)
    job.load()
    with job.exclusive():
        meta = job.load()
        if max_lines == meta["max_lines"]:
            return False
        meta["max_lines"] = max_lines
        current = meta["rounds"][-1]["files"] if meta["rounds"] else []
        unsent = bool(current) and not any(f.get("file_id") for f in current)
        if unsent:
            meta["rounds"].pop()  # advance writes the same requests again, as the same round, split anew
        job.save(meta)
        if unsent:
            advance(job)
        return True


# A finished article whose outputs could not be written: a file of the user's at an output path
# (it appeared while the batch ran), a read-only file, a full disk. Its replies stay stored; it
# counts as failed, with why, and every later pass (import, status, export again) writes it
# once it can, sending nothing. A failed write stopped the whole import before: the articles
# after it were never written, the ones before were not recorded as done.
UNWRITTEN = "unwritten"


def _to_write(job: Job, article: dict[str, Any], state: dict[str, Any]) -> bool:
    """Whether a finished article's outputs are to be written (again): never written, or one of
    them removed since (to have it written again, or lost)."""
    if state["status"] == UNWRITTEN:
        return True
    return state["status"] == "done" and any(not (job.out / rel).is_file() for rel in article["outputs"].values())


def _write_outputs(job: Job, meta: dict[str, Any], article: dict[str, Any], result: Any, elapsed: float) -> str:
    """The article's outputs, exactly as ``summarize batch`` writes them; why they could not
    be written, or "" when they were.

    A file summarize did not write, or one that holds other work than the job's (another run's
    summary in other languages, written there since the export), is left alone, as export
    refuses both: it was written over without a word."""
    source = article["source"]
    paths = {fmt: job.out / rel for fmt, rel in article["outputs"].items()}
    then = (
        f"move it away, then `summarize batch status {shlex.quote(display(job.out))}` writes the result from the stored replies "
        "(no request is sent)"
    )
    for path in paths.values():
        if why := not_ours(path):
            return f"{display(path)} is where its result goes, but summarize did not write it ({why}): it is left alone; {then}"
    if found := other_work(paths, translate=meta["translate"], languages=meta["languages"]):
        path, what = found
        asked = what_is_asked(translate=meta["translate"], languages=meta["languages"])
        return f"{display(path)} holds {what}, but this job makes {asked}: it is left alone; {then}"
    texts = {
        "json": lambda: to_json(result, source=source, elapsed=elapsed, source_sha256=article.get("sha256")) + "\n",
        "md": lambda: to_markdown(result, title=shown(Path(source).name)),
    }
    for fmt in ("json", "md"):
        if fmt not in paths:
            continue
        try:
            write_atomic(paths[fmt], texts[fmt]())
        except OSError as exc:
            return (
                f"its result could not be written to {display(paths[fmt])} ({exc.strerror or exc}); once it can be, "
                f"`summarize batch status {shlex.quote(display(job.out))}` writes it from the stored replies (no request is sent)"
            )
    return ""


# The most bytes of a model's name a request file's name holds (past them, a hash of it stands in).
MAX_SLUG = 80


class _RoundWriter:
    """Request lines into files of at most ``max_lines`` lines and ``max_bytes`` bytes, one model per file."""

    def __init__(self, folder: Path, max_lines: int, max_bytes: int, url: str) -> None:
        self.folder = folder
        self.max_lines, self.max_bytes, self.url = max_lines, max_bytes, url
        self.open: dict[str, tuple[Any, Path, int, int]] = {}
        self.done: list[RoundFile] = []
        self.counts: dict[str, int] = {}
        self._digest = hashlib.sha256()

    def add(self, cid: str, body: dict[str, Any]) -> None:
        line = (json.dumps(request_line(cid, body, self.url), ensure_ascii=False) + "\n").encode("utf-8")
        if len(line) > self.max_bytes:
            raise JobError(
                f"one request is {len(line)} bytes, more than the {self.max_bytes}-byte file limit; lower SUMMARIZE_CHUNK_TOKENS"
            )
        self._digest.update(line)
        model = str(body.get("model"))
        handle = self.open.get(model)
        if handle is not None and (handle[2] + 1 > self.max_lines or handle[3] + len(line) > self.max_bytes):
            self._finish(model)
            handle = None
        if handle is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.counts[model] = self.counts.get(model, 0) + 1
            slug = "".join(c if c.isalnum() or c in "._-" else "_" for c in model)
            if len(slug.encode("utf-8")) > MAX_SLUG:
                # A file name holds 255 bytes: a 240-character model name failed the export after
                # job.json was written, and the job folder could not be used again.
                while len(slug.encode("utf-8")) > MAX_SLUG - 9:
                    slug = slug[:-1]
                slug = f"{slug}-{hashlib.sha256(model.encode('utf-8')).hexdigest()[:8]}"
            path = self.folder / f"requests-{slug}-{self.counts[model]:03d}.jsonl"
            handle = (open(path, "wb"), path, 0, 0)
        stream, path, lines, size = handle
        stream.write(line)
        self.open[model] = (stream, path, lines + 1, size + len(line))

    def _finish(self, model: str) -> None:
        stream, path, lines, size = self.open.pop(model)
        stream.flush()
        os.fsync(stream.fileno())
        stream.close()
        self.done.append(RoundFile(path, model, lines, size))

    def close(self) -> list[RoundFile]:
        for model in list(self.open):
            self._finish(model)
        return sorted(self.done, key=lambda f: f.path.name)

    @property
    def digest(self) -> str:
        return self._digest.hexdigest()


@dataclass
class _Tally:
    """Finished articles, and waiting ones asked again after a failure, counted as a pass goes by them."""

    retries: int  # the job's SUMMARIZE_MAX_RETRIES
    done: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    retryable: int = 0  # failed articles an export run again asks anew (``_retry_failed``)
    retrying: dict[tuple[str, int], list[Any]] = field(default_factory=dict)  # (why, attempt) -> [articles, source, message]
    unanswered: dict[str, int] = field(default_factory=dict)  # why (``unrun_reason``) -> articles

    def count(self, article: dict[str, Any], state: dict[str, Any]) -> None:
        if state["status"] == "done":
            self.done += 1
        else:
            self.failed += 1
            self.failures.append((article["source"], state["error"]))
            self.retryable += "error" not in article and state["status"] == "failed"

    def waits(self, article: dict[str, Any], cids: Iterable[str], shard: _Shard) -> None:
        """Count a waiting article as retrying when one of its requests ``cids`` has failures
        stored and is asked again (``replay.asked_again``, the replay's own rule): of several,
        the one that failed most often. Else as unanswered when one came back unrun (the first's
        why); else it awaits a first reply."""
        worst: list[dict[str, Any]] = []
        for cid in cids:
            failures = shard.failures.get(cid) or []
            if failures and cid not in shard.replies and asked_again(failures, self.retries) and len(failures) > len(worst):
                worst = failures
        if not worst:
            unrun = [shard.unanswered[cid] for cid in cids if cid in shard.unanswered]
            if unrun:
                self.unanswered[unrun[0]] = self.unanswered.get(unrun[0], 0) + 1
            return
        last = worst[-1]
        group = self.retrying.setdefault((_why_retried(last["status"], last["error"]), len(worst) + 1), [0, article["source"], last["error"]])
        group[0] += 1

    def retried(self) -> tuple[Retrying, ...]:
        return tuple(
            Retrying(reason, attempt, self.retries + 1, count, source, _failure_text(error))
            for (reason, attempt), (count, source, error) in self.retrying.items()
        )


def _why_retried(status: int | None, error: Any) -> str:
    """What a failure that passes stands for, in words (``Retrying.reason``). A bare-string
    error is no server's answer: ``vllm run-batch`` writes the text of an exception it caught so
    ("CUDA out of memory"), and ``failed_status`` takes it as the 500 vLLM's server would send."""
    if ENGINE_FAILED.search(error if isinstance(error, str) else json.dumps(error, ensure_ascii=False)):
        return "an engine crash"
    if isinstance(error, str):
        return "an engine exception"
    return {429: "a rate limit", 408: "a timeout", 409: "a conflict"}.get(status or 500, "a server error")


def _failure_text(error: Any, limit: int = 200) -> str:
    """A stored failure's message (an error object's own "message" when it has one), on one line, cut short."""
    message = error
    for _ in range(2):  # {"message": ...} or {"error": {"message": ...}}
        if isinstance(message, dict):
            message = message.get("message", message.get("error", message))
    if not isinstance(message, str):
        message = json.dumps(error, ensure_ascii=False)
    message = " ".join(message.split())
    return shown(message if len(message) <= limit else message[:limit] + "...") or "(no message)"


def _report(job: Job, meta: dict[str, Any], *, stored: int = 0, tally: _Tally | None = None) -> Report:
    if tally is None:
        # From the job's folder alone: finished articles by their state, and waiting ones with a
        # request whose failures are stored, or that came back unrun, by those (the current round
        # asks them again).
        tally = _Tally(job.settings(meta).max_retries)
        for shard_number in range((meta["articles"] + SHARD_SIZE - 1) // SHARD_SIZE):
            shard = job.shard(shard_number)
            failed: dict[str, list[str]] = {}  # article id -> its requests with failures stored or given back unrun
            for cid in dict.fromkeys((*shard.failures, *shard.unanswered)):
                failed.setdefault(article_of(cid), []).append(cid)
            for article in job.articles(shard_number, meta["articles"]) if shard.finished or failed else ():
                if article["id"] in shard.finished:
                    tally.count(article, shard.finished[article["id"]])
                elif article["id"] in failed:
                    tally.waits(article, failed[article["id"]], shard)
    current: dict[str, Any] = meta["rounds"][-1] if meta["rounds"] else {"number": 0, "files": []}
    files = tuple(RoundFile(job.state / f["path"], f["model"], f["lines"], f["bytes"]) for f in current["files"])
    return Report(
        round=current["number"] if files else 0,
        files=files,
        requests=sum(f.lines for f in files),
        articles=meta["articles"],
        done=tally.done,
        failed=tally.failed,
        waiting=meta["articles"] - tally.done - tally.failed,
        stored=stored,
        failures=tuple(tally.failures),
        skipped=meta.get("skipped", 0),
        retryable=tally.retryable,
        retrying=tally.retried(),
        unanswered=tuple(tally.unanswered.items()),
    )


def rounds(out: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every round of a job so far, as recorded in its ``job.json`` (files, batch IDs)."""
    return Job(out).load()["rounds"]


def answer_round(
    files: Iterable[str | os.PathLike[str] | RoundFile],
    results: str | os.PathLike[str],
    engine: Callable[[dict[str, Any]], dict[str, Any]],
) -> int:
    """Answer request files with a Python function, writing a results file; returns the line count.

    ``engine(body)`` gets a request body and returns a chat.completion body; an exception it
    raises becomes a failed line (HTTP 500), asked again in a later round. This is the shape of a
    Ray Data or Spark stage: map each line's body through the model, keep the ``custom_id``.
    """
    count = 0
    with open(results, "w", encoding="utf-8") as out:
        for item in files:
            path = item.path if isinstance(item, RoundFile) else item
            for line in read_lines(path):
                try:
                    answer = result_line(line["custom_id"], engine(line["body"]))
                except Exception as exc:  # an engine's failure is the line's outcome, not ours
                    answer = result_line(line["custom_id"], None, status=500, error={"message": str(exc)})
                out.write(json.dumps(answer, ensure_ascii=False) + "\n")
                count += 1
    return count
