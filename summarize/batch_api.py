"""A batch job through the endpoint's Files and Batches API (OpenAI, DashScope), round by round.

::

    upload each request file (purpose "batch") → create a batch (/v1/chat/completions, "24h")
      → poll with progress → download its output and error files → import them (summarize.jobs)
      → the next round, until every article is finished

Every file ID and batch ID is written to the job's ``job.json`` the moment it exists, so a run
that was interrupted, even killed while polling, resumes with the same batches; a batch ID lost
between creation and recording is found again by its input file. A round that comes back with
nothing (an expired or cancelled batch) is sent again, a bounded number of times. Calls go
through the ``ChatClient``'s ``summarize.transport.Transport`` (its ``openai`` client, deadline
and retries) and its ``summarize.classify`` error mapping, like every chat request.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .config import Settings, check_partial, resolve_settings
from .errors import ConfigError, EndpointError
from .jobs import (
    Job, JobError, Report, check_endpoint, export_round, import_results, read_lines, retry_failed, say_resumed,
    set_max_lines, status, take_partial,
)
from .output import check_formats, write_atomic
from .text import parse_json

log = logging.getLogger("summarize")

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
PLAIN_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}")  # what OpenAI's and DashScope's batch IDs look like


def submit(
    articles: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    settings: Settings | None = None,
    languages: Sequence[str] = ("en",),
    translate: bool = False,
    formats: Sequence[str] | None = None,
    partial: bool = False,
    max_lines: int | None = None,
    poll: float = 30.0,
    completion_window: str = "24h",
    on_progress: Callable[[str], None] | None = None,
) -> Report:
    """Run a batch job through the endpoint's Files and Batches API until every article is done.

    Each round's files are uploaded (purpose ``batch``), a batch is created for each
    (``/v1/chat/completions``, ``completion_window``), polled every ``poll`` seconds, and its
    output and error files are downloaded beside the round and imported. Every file ID and batch
    ID is written to ``out/.batch/job.json`` as soon as it exists, so a run that was interrupted
    (even killed while polling) resumes with the same batches: call ``submit`` again. Called
    again on a job whose articles are all finished, it asks the failed ones anew, as ``export``
    run again does.

    ``formats`` (default ``["md", "json"]``) is what to write per article; a job that exists
    keeps its own, with a warning if others are given.

    ``partial`` keeps what the other chunks of a long article gave, flagged, when one fails for
    good, as ``export_round`` takes it: kept with the job; given to a job started without it, it
    turns it on (``jobs.take_partial``).

    ``max_lines`` (default ``jobs.MAX_LINES`` for a new job) is the most requests per file. Run
    again on a job that exists, a ``max_lines`` given sets the job's limit, lower or higher: a
    round not sent yet is split again (the way under an account's enqueued-token limit, after a
    batch failed validation), later rounds are split at it. Left out, the job keeps its own.

    OpenAI and DashScope (Model Studio) both serve this API; DashScope takes files of up to
    500 MB instead of 200 MB, and a ``completion_window`` of up to ``"336h"``.

    Raises:
        EndpointError: the API refused a call (a subclass says how), or a batch failed
            validation (its errors are in the message).
        JobError: batches kept finishing without answering any request.
        ConfigError: a setting is malformed, or ``poll`` is not a positive number of seconds.
        BatchError: the job was never sent and another endpoint than its own is given
            (``jobs.check_endpoint``); nothing is sent.
    """
    from .client import ChatClient

    check_poll(poll)
    check_partial(partial)
    if formats is not None:
        formats = check_formats(formats)
    settings = given = resolve_settings(settings, {})

    job = Job(out)
    resumed = job.exists
    if not resumed:
        if not settings.model:
            async def resolve() -> str:
                async with ChatClient(given) as chat:
                    return await chat.resolve_model()

            settings = settings.replace(model=asyncio.run(resolve()))
        export_round(articles, out, settings=settings, languages=languages, translate=translate,
                     formats=formats, partial=partial, max_lines=max_lines)
    with job.exclusive():  # held while it polls: an import of the same job meanwhile is refused
        if resumed:
            check_endpoint(job, job.load(), settings)
            say_resumed(
                job, job.load(), settings, languages=languages, translate=translate, formats=formats, articles=articles,
            )
            if max_lines is not None:
                set_max_lines(job.out, max_lines)
            if partial:
                take_partial(job, job.load())
            retry_failed(job.out)  # run again on a finished job, as export run again
        meta = job.load()
        api_settings = job.settings(meta)
        # The key is judged against the job's endpoint, where it goes: an OPENAI_API_KEY in this
        # shell was sent to a job's third-party host, judged against the default OpenAI URL.
        if settings.api_key and settings.key_goes_to(api_settings.base_url):
            api_settings = job.settings(meta, api_key=settings.api_key)
        return asyncio.run(_drive(job, api_settings, poll, completion_window, on_progress or (lambda _text: None)))


def check_poll(poll: object) -> None:
    """Refuse a ``poll`` that is not a positive, finite number of seconds.

    Zero or a negative wait polls a paid API in a tight loop; NaN does too (``asyncio.sleep``
    returns at once), and infinity never polls again.

    Raises:
        ConfigError: naming the value and what would be valid.
    """
    if isinstance(poll, bool) or not isinstance(poll, (int, float)) or not math.isfinite(poll) or poll <= 0:
        raise ConfigError(f"poll must be a positive number of seconds between status checks, e.g. 30; got {poll!r}")


async def _drive(job: Job, settings: Settings, poll: float, window: str, say: Callable[[str], None]) -> Report:
    from .client import ChatClient
    from .transport import Deadline, sdk

    async with ChatClient(settings) as chat:
        transport = chat.transport
        api = transport.openai()
        # Uploads and polls, one at a time: no concurrency setting to lower.
        chat.errors.rate_advice = "try again later: run submit again, and the job resumes where it stopped"

        async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            """One Files/Batches call with the client's retries, deadline and error mapping."""

            async def once(attempt: int) -> Any:
                try:
                    return await transport.call(lambda: fn(*args, **kwargs))
                except sdk().OpenAIError as exc:
                    raise chat.errors.exception(exc, settings.model, attempt, sdk()) from exc
                except Deadline as exc:
                    raise chat.errors.overdue(transport.deadline, settings.model, attempt, "a Files or Batches call") from exc

            return await chat.errors.scrubbed(transport.with_retries(once))

        stalls = 0
        while True:
            meta = job.load()
            if job.interrupted(meta):  # an import killed before it recorded the next round
                current = meta["rounds"][-1] if meta["rounds"] else {"files": []}
                fetched = all(e.get("status") in TERMINAL and "results" in e for e in current["files"])
                downloaded = [job.state / p for e in current["files"] for p in e.get("results", ())]
                if fetched and downloaded:
                    # Killed while importing the results it had downloaded: imported again, not
                    # left behind for a new round of the requests they answer, uploaded and paid again.
                    await asyncio.to_thread(import_results, job.out, *downloaded)  # it runs its own event loop
                else:
                    await asyncio.to_thread(status, job.out)
                meta = job.load()
            if not meta["rounds"] or not meta["rounds"][-1]["files"]:
                report = status(job.out)
                say(f"every article is finished: {report.done} done, {report.failed} failed")
                return report
            current = meta["rounds"][-1]
            number = current["number"]
            for index, entry in enumerate(current["files"], 1):
                if not entry.get("file_id"):
                    uploaded = await call(api.files.create, file=job.state / entry["path"], purpose="batch")
                    entry["file_id"] = uploaded.id
                    job.save(meta)
                    say(f"round {number}: uploaded {entry['path']} ({entry['lines']} requests) as {uploaded.id}")
                if not entry.get("batch_id"):
                    found = await _batch_for_file(api, entry["file_id"])
                    if found is None:
                        found = await call(
                            api.batches.create, input_file_id=entry["file_id"], endpoint=meta["url"], completion_window=window
                        )
                    entry["batch_id"] = _plain_id(found.id)
                    job.save(meta)
                    say(f"round {number}: batch {found.id} for file {index} of {len(current['files'])}")
            seen: dict[str, str] = {}
            while True:
                waiting = [e for e in current["files"] if e.get("status") not in TERMINAL or "results" not in e]
                if not waiting:
                    break
                for entry in waiting:
                    try:
                        batch = await call(api.batches.retrieve, entry["batch_id"])
                    except EndpointError as exc:
                        if exc.status != 404 or not await _lists_batches(call, api):
                            raise
                        # The endpoint serves batches but not this one (deleted, or made with
                        # another project's key): polled again, it never answers.
                        _set_aside(entry)
                        job.save(meta)
                        raise JobError(
                            f"batch {entry['earlier'][-1]['batch_id']} is unknown to {settings.base_url} (HTTP 404: it was "
                            "deleted, or created with another project's key); it is set aside: run submit again to send its "
                            f"{entry['lines']} requests in a new batch (they are paid again)"
                        ) from exc
                    counts = getattr(batch, "request_counts", None)
                    line = (
                        f"round {number}: batch {batch.id} {batch.status}"
                        + (f", {counts.completed}/{counts.total} done, {counts.failed} failed" if counts else "")
                    )
                    if seen.get(batch.id) != line:
                        seen[batch.id] = line
                        say(line)
                    if batch.status not in TERMINAL:
                        continue
                    if batch.status == "failed" and not (batch.output_file_id or batch.error_file_id):
                        # Set aside, so that the next submit uploads the file and creates a batch
                        # anew instead of polling this one, which will never answer.
                        entry["status"] = batch.status
                        _set_aside(entry)
                        job.save(meta)
                        raise JobError(
                            f"batch {batch.id} failed validation: {_batch_errors(batch)}; fix the cause and run submit "
                            "again, which sends its requests in a new batch (a file over the account's enqueued-token "
                            "limit fails this way: run submit again with a lower --max-lines)"
                        )
                    try:
                        paths = await _download(call, api, job, entry, batch)
                    except JobError:
                        # Its results cannot be had: set aside, so that only a run of submit the
                        # user starts, having read why, sends the file again (and pays again).
                        entry["status"] = batch.status
                        _set_aside(entry)
                        job.save(meta)
                        raise
                    entry.update(status=batch.status, results=paths)
                    job.save(meta)
                if any(e.get("status") not in TERMINAL or "results" not in e for e in current["files"]):
                    await asyncio.sleep(poll)
            results = [job.state / p for e in current["files"] for p in e["results"]]
            report = await asyncio.to_thread(import_results, job.out, *results)  # it runs its own event loop
            retrying = f" ({report.said_retrying()})" if report.waiting_again else ""
            say(
                f"round {number} imported: {report.stored} replies stored; {report.done} done, "
                f"{report.failed} failed, {report.waiting} waiting{retrying}"
            )
            meta = job.load()
            if meta["rounds"][-1]["number"] == number and meta["rounds"][-1]["files"]:
                # Nothing new came back (expired, cancelled): the same requests go out again.
                stalls = 0 if report.stored else stalls + 1
                if stalls > settings.max_retries:
                    raise JobError(
                        f"{stalls} batches in a row finished without answering any request of round {number}; "
                        f"see the files in {job.state / Path(current['files'][0]['path']).parent} and run submit again later"
                    )
                for entry in meta["rounds"][-1]["files"]:
                    _set_aside(entry)
                job.save(meta)


async def _lists_batches(call: Callable[..., Any], api: Any) -> bool:
    """Whether the endpoint serves the Batches API at all (a 404 for one batch then means that
    batch is unknown, not that the base URL is wrong)."""
    try:
        await call(api.batches.list, limit=1)
    except EndpointError:
        return False
    return True


def _set_aside(entry: dict[str, Any]) -> None:
    """Move a round file's upload and batch into its ``earlier`` list: the file is sent again."""
    entry.setdefault("earlier", []).append({k: entry.pop(k) for k in ("file_id", "batch_id", "status", "results") if k in entry})


async def _download(call: Callable[..., Any], api: Any, job: Job, entry: dict[str, Any], batch: Any) -> list[str]:
    """A finished batch's output and error files, written beside its round; their paths under ``.batch``.

    Raises:
        JobError: a file is gone (HTTP 404 or 410: providers delete results after a while), or
            the batch reports completed requests but names no output file, or one that answers
            none of its requests (the server sent another file). Nothing is sent again then:
            the message says what a new batch would cost.
    """
    counts = getattr(batch, "request_counts", None)
    completed, total = (getattr(counts, "completed", 0) or 0), getattr(counts, "total", None)
    state = f"{batch.status}, {completed} of {total if total is not None else '?'} requests completed"
    resend = f"run submit again to send its {entry['lines']} requests in a new batch (they are paid again)"
    found: dict[str, str] = {}
    for kind, file_id in (("output", batch.output_file_id), ("errors", batch.error_file_id)):
        if not file_id:
            continue
        try:
            content = await call(api.files.content, file_id)
        except EndpointError as exc:
            if exc.status not in (404, 410):
                raise
            raise JobError(
                f"the {kind} file {file_id} of batch {batch.id} ({state}) could not be downloaded: the server "
                f"has no such file (HTTP {exc.status}; providers delete results after a while); {resend}"
            ) from exc
        try:
            found[kind] = content.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JobError(
                f"the {kind} file {file_id} of batch {batch.id} ({state}) is not UTF-8 JSONL ({exc.reason} at byte "
                f"{exc.start}): it is not a batch results file; ask the provider for the results, or {resend}"
            ) from None
    if completed and not _answers(job.state / entry["path"], found.get("output", "")):
        what = (
            f"its output file {batch.output_file_id} answers none of them (the server sent another file)"
            if batch.output_file_id else "it named no output file"
        )
        raise JobError(
            f"batch {batch.id} reports {completed} of {total} requests completed, but {what}; nothing was sent "
            f"again: ask the provider for the results, or {resend}"
        )
    paths = []
    for kind, text in found.items():
        if not text.strip():  # nothing in it to import (an import refuses an empty results file)
            continue
        target = job.state / Path(entry["path"]).parent / f"results-{_plain_id(batch.id)}-{kind}.jsonl"
        write_atomic(target, text)
        paths.append(target.relative_to(job.state).as_posix())
    return paths


def _answers(requests: Path, output: str) -> bool:
    """Whether a batch's output file answers any request of its input file (by ``custom_id``)."""
    asked = {line.get("custom_id") for line in read_lines(requests)}
    for raw in output.splitlines():
        try:
            if parse_json(raw).get("custom_id") in asked:
                return True
        except (ValueError, AttributeError):
            continue
    return False


async def _batch_for_file(api: Any, file_id: str) -> Any:
    """A batch already created from ``file_id`` (its ID lost to an interruption), else ``None``."""
    try:
        page = await api.batches.list(limit=100)
    except Exception as exc:  # listing is only a safeguard against a duplicate batch; not every server has it
        log.debug("could not list batches (%s); creating one", exc)
        return None
    return next((b for b in getattr(page, "data", []) or [] if getattr(b, "input_file_id", None) == file_id), None)

def _plain_id(batch_id: Any) -> str:
    """A batch ID the endpoint gave, checked before it names a results file (or is recorded).

    Raises:
        JobError: the ID is not a plain name (``batch_abc123``); one with a ``/`` or ``..``
            would write the results outside the job folder.
    """
    if isinstance(batch_id, str) and PLAIN_ID.fullmatch(batch_id):
        return batch_id
    raise JobError(
        f"the endpoint gave the batch ID {str(batch_id)[:100]!r}, which is not a plain name (letters, digits, "
        "'_', '-', '.'); it is refused, since it names the results file: check SUMMARIZE_BASE_URL"
    )


def _batch_errors(batch: Any) -> str:
    errors = getattr(batch, "errors", None)
    data = getattr(errors, "data", None) or []
    found = [f"{getattr(e, 'code', '')}: {getattr(e, 'message', '')}".strip(": ") for e in data]
    return "; ".join(found) or "no reason given"
