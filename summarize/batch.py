"""Many articles in one run: find them, summarize (or translate) them concurrently, keep going past failures.

Articles run at most ``settings.concurrency`` at a time and share one ``ChatClient``, so the cap
on requests in flight holds for the whole run, not per article. The model is resolved once. A
failed article (whatever the exception, writing its results included) is reported in its
``Outcome`` and never stops the others. Batches write each result as soon as it is ready
(atomically), so an interrupted batch resumes where it stopped: finished articles are skipped
and the response cache answers the requests already made.

Everything that can be checked is checked before the first request: outputs that two articles
would share, an ``--out`` inside the folder being read or that cannot be written (a file, a
read-only folder, an output path that is a folder or too long a name), symlinks leading out of it.
"""

from __future__ import annotations

import asyncio
import contextvars
import glob
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client import ChatClient
from .config import Settings
from .errors import InputError
from .glossary import resolve_glossary
from . import output
from .output import FLAG_NOTES, LANGUAGE_LABELS
from .result import LANGUAGE_FAILED, Summary, Translation
from .runner import gather_or_cancel
from .text import display, parse_json, read_article as read_text
from .pipeline import asummarize_article
from .translate import atranslate_article

ARTICLE_SUFFIXES = (".txt", ".md")

log = logging.getLogger("summarize")


class BatchError(ValueError):
    """A batch that cannot run as asked (outputs that collide, ``--out`` inside what is read or
    not writable); raised before anything is sent. The CLI reports it as a usage error."""


@dataclass(frozen=True)
class Job:
    """One article: a file, or text already read (stdin)."""

    source: str
    path: Path | None = None
    text: str | None = None

    def read(self) -> str:
        if self.text is not None:
            return self.text
        if self.path is None:
            raise InputError(f"{self.source}: no file and no text to read")
        return read_article(self.path)


def read_article(path: Path) -> str:
    """An article file's text, for a batch run and a batch job alike.

    Raises:
        InputError: its name or its contents are not UTF-8; the message says how to convert it
            (the file's name only when that is what is wrong: a batch's failure line names it).
        OSError: it cannot be read.
    """
    name = display(path)
    if name != str(path):
        # Its name could not go into the JSON record, the Markdown title or a UTF-8 terminal.
        raise InputError(
            f"{name}: the file name is not valid UTF-8; rename it (e.g. convmv -f big5 -t utf-8 --notest FILE)"
        )
    with open(path, "rb") as stream:
        return read_text(stream, "the file")


@dataclass(frozen=True)
class Outcome:
    """What became of one job: a result, or the error that stopped it."""

    job: Job
    result: Any = None
    error: BaseException | None = None
    elapsed: float = 0.0


# The article whose job is running, in that job's task: a log handler may name it (the CLI's does
# when several run at once, or their warnings could belong to any of them).
ARTICLE: contextvars.ContextVar[str | None] = contextvars.ContextVar("summarize_article", default=None)


async def run_jobs(
    jobs: Sequence[Job],
    settings: Settings,
    *,
    languages: Sequence[str] = ("en",),
    translate: bool = False,
    partial: bool = False,
    on_done: Callable[[Outcome], None] | None = None,
    on_reply: Callable[[Any], None] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> list[Outcome]:
    """Summarize (or translate) every job; outcomes in job order.

    ``partial`` is the public functions' own: a chunk that fails for good leaves a flagged
    result of the others rather than failing its article. ``on_done`` is called as each job ends, ``on_reply`` with every reply of every job,
    ``on_text`` with a summary's pieces as they stream (one job only: pieces of several would
    interleave). Any
    exception from one job, its ``on_done`` included (a full disk while writing its results), is
    that job's failure: the others go on. Only ``BaseException``\\s that are not ``Exception``\\s
    (an interrupt, a cancelled run) stop them all.

    Raises:
        SummarizeError: only what stops every job, before any job starts (no model can be
            resolved; a bad setting, such as an unreadable ``SUMMARIZE_GLOSSARY``).
    """
    resolve_glossary(None, settings)  # a bad SUMMARIZE_GLOSSARY would fail every article alike: fail once, first
    async with ChatClient(settings) as shared:
        shared.on_reply = on_reply
        if not settings.model:
            settings = settings.replace(model=await shared.resolve_model())
        gate = asyncio.Semaphore(settings.concurrency)

        async def one(job: Job) -> Outcome:
            ARTICLE.set(job.source)  # in this job's task only: each runs in a copy of the context
            async with gate:
                start = time.perf_counter()
                try:
                    text = job.read()
                    result: Summary | Translation
                    if translate:
                        result = await atranslate_article(
                            text, target=languages[0], settings=settings, client=shared, partial=partial
                        )
                    else:
                        result = await asummarize_article(
                            text, languages=languages, settings=settings, client=shared, partial=partial,
                            on_text=on_text if len(jobs) == 1 else None,
                        )
                    outcome = Outcome(job, result=result, elapsed=time.perf_counter() - start)
                    if on_done is not None:
                        on_done(outcome)
                    return outcome
                except Exception as exc:  # whatever it was, it was this article's alone
                    outcome = Outcome(job, error=exc, elapsed=time.perf_counter() - start)
            if on_done is not None:
                on_done(outcome)  # a failure's report; if that fails too, nothing is left to save
            return outcome

        # What stops one job stops them all (a closed pipe, a cancel), before the shared client
        # closes: a plain gather left them running into it, and a closed `| head -1` printed 60
        # lines of tracebacks blaming a client= the user never passed.
        return await gather_or_cancel(one(job) for job in jobs)


@dataclass(frozen=True)
class Articles:
    """What a batch reads: the article files, the folder their output paths are relative to,
    and the symlinks left out because they lead outside it."""

    files: list[Path]
    base: Path
    # The folder symlinks must stay in: the one given, or the one a glob's matches share.
    root: Path = Path(".")
    skipped: list[Path] = field(default_factory=list)
    # The folder the batch reads at any depth, or None for a glob whose only wildcards are in
    # its last component (it reads just the folders it matched in).
    reads: Path | None = None


def _inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or below it (both resolved by the caller)."""
    return path == folder or folder in path.parents


def _has_wildcard(part: str) -> bool:
    return any(c in part for c in "*?[")


def _literal_root(spec: str) -> Path:
    """The folder a glob starts from: its components before the first wildcard."""
    parts = []
    for part in Path(spec).parts:
        if _has_wildcard(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def find_articles(spec: str, *, follow_symlinks: bool = False) -> Articles:
    """The article files a batch names, and the folder their output paths are relative to.

    A folder means every ``.txt`` and ``.md`` file under it; anything else is a glob
    (``**`` reaches into subfolders). A symlink whose target lies outside the folder (for a glob,
    the folder its matches share) is skipped unless ``follow_symlinks``: an untrusted folder must
    not carry ``~/.ssh/id_rsa`` to the endpoint. Symlinks to folders are never descended into
    without it either.

    Raises:
        FileNotFoundError: nothing matches; the message says what was looked for.
    """
    root = Path(spec).expanduser()
    is_folder = root.is_dir()
    skipped: list[Path] = []
    if is_folder:
        reads: Path | None = root
        files = []
        # Folders read, by device and inode: a link back to one (news/self -> .) made os.walk
        # read every article 41 times over, each paid for, until the path grew too long.
        read: set[tuple[int, int]] = set()
        for parent, dirs, names in os.walk(root, followlinks=follow_symlinks):
            here = Path(parent)
            if not follow_symlinks:  # os.walk does not descend into them; say which lead out
                links = [here / d for d in dirs if (here / d).is_symlink()]
                skipped += [link for link in links if not _inside(link.resolve(), root.resolve())]
            else:
                info = here.stat()
                read.add((info.st_dev, info.st_ino))
                kept = []
                for name in sorted(dirs):  # the first link to a folder reads it, whatever the listing's order
                    try:
                        info = (here / name).stat()
                    except OSError:
                        continue
                    if (info.st_dev, info.st_ino) in read:
                        log.warning("%s leads to a folder read already; it is not read again", display(here / name))
                        continue
                    read.add((info.st_dev, info.st_ino))
                    kept.append(name)
                dirs[:] = kept
            files += [here / n for n in names if Path(n).suffix.lower() in ARTICLE_SUFFIXES and (here / n).is_file()]
        files.sort()
    else:
        expanded = os.path.expanduser(spec)
        files = sorted(Path(p) for p in glob.glob(expanded, recursive=True) if Path(p).is_file())
        # Where the glob can reach: anywhere below its root when a folder component has a
        # wildcard (``**``, ``*/``), else only the folders it matched in.
        reads = _literal_root(expanded) if any(_has_wildcard(p) for p in Path(expanded).parts[:-1]) else None
        root = Path(os.path.commonpath([os.path.abspath(p.parent) for p in files])) if files else Path(".")
    if not follow_symlinks:
        allowed = root.resolve()
        skipped += [p for p in files if not _inside(p.resolve(), allowed)]
        files = [p for p in files if _inside(p.resolve(), allowed)]
    if not files and not skipped:
        what = f"no .txt or .md files under {spec}" if is_folder else f"no files match {spec!r}"
        raise FileNotFoundError(f"{what}: give a folder of articles or a glob such as 'news/*.txt'")
    if is_folder:
        base = root
    else:  # the folder the matches share
        base = Path(os.path.commonpath([os.path.abspath(p.parent) for p in files])) if files else Path(".")
    return Articles(files, base, root, sorted(skipped), reads)


def output_paths(article: Path, base: Path, out: Path, formats: Sequence[str]) -> dict[str, Path]:
    """Where one article's results go: its path under ``base``, moved under ``out``, one file per format."""
    try:
        # By the name it was found under, not its target: a symlink inside the folder is its own article.
        relative = Path(os.path.abspath(article)).relative_to(os.path.abspath(base))
    except ValueError:
        relative = Path(article.name)
    return {fmt: out / relative.with_suffix(f".{fmt}") for fmt in formats}


def plan_outputs(articles: Articles, out: Path, formats: Sequence[str], *, create: bool = True) -> dict[str, dict[str, Path]]:
    """Each article's output paths (by its path as text), checked before anything is sent.

    ``out`` is created if missing, and a file is created in it and removed, to prove it takes
    results; with ``create=False`` (a dry run) nothing is, and the folder it would be made in
    (or ``out``) is asked whether it could be written.

    Raises:
        BatchError: ``out`` lies inside what the batch reads (its results would be read back as
            articles, or overwrite them), two articles would write the same file (``a.txt`` and
            ``a.md`` both make ``a.json``), or results could not be written (``check_writable``).
    """
    out_resolved = out.resolve()
    inside = articles.reads is not None and _inside(out_resolved, articles.reads.resolve())
    # A glob that matches in fixed folders reads only those: results beside the articles would
    # overwrite a.md with its own summary, but a subfolder is out of the glob's reach.
    beside = next((f for f in sorted({f.parent for f in articles.files}) if f.resolve() == out_resolved), None)
    if inside and articles.reads is not None:
        raise out_inside(out, articles.reads)
    if beside is not None:
        raise out_inside(out, beside)
    targets: dict[str, dict[str, Path]] = {}
    writers: dict[Path, Path] = {}
    for article in articles.files:
        paths = output_paths(article, articles.base, out, formats)
        shared = [p for p in paths.values() if writers.setdefault(p, article) != article]
        if shared:
            raise collision(writers[shared[0]], article, shared)
        targets[str(article)] = paths
    check_writable(out, (p for paths in targets.values() for p in paths.values()), create=create)
    return targets


def out_inside(out: Path, folder: Path) -> BatchError:
    """The refusal of an ``--out`` that is, or lies inside, a folder the batch reads."""
    return BatchError(
        f"--out {display(out)} is inside the folder the batch reads ({display(folder)}), so its "
        "results would be read as articles: choose an --out outside it"
    )


def check_writable(out: Path, targets: Iterable[Path], *, create: bool = True) -> None:
    """Make sure results can be written before any is paid for: ``out`` is a folder (created if
    missing, unless not ``create``) that takes a new file, and no output path is already a
    folder (or below a file).

    Without this, every request of a batch is sent and every article then fails at its write.

    Raises:
        BatchError: naming the path in the way, and what to do.
    """
    if create:
        check_out_folder(out)
    else:
        _could_write(out)
    check_targets(out, targets)


def _could_write(out: Path) -> None:
    """``out``, or the nearest folder above it that exists, looks writable: a dry run's check,
    which creates nothing (the permission bits say so; a read-only mount is found by the run).

    Raises:
        BatchError: ``out`` or a folder above it is a file, or that folder cannot be written.
    """
    if out.exists() and not out.is_dir():
        raise BatchError(f"--out {display(out)} is a file, not a folder: give a folder for the results (created if missing)")
    existing = next((p for p in (out, *out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise BatchError(f"{display(existing)} is a file, where --out {display(out)} needs a folder: choose another --out")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise BatchError(
            f"--out {display(out)} cannot be written ({display(existing)} is not writable): choose a folder you "
            "can write to, or fix its permissions"
        )


def check_out_folder(out: Path) -> None:
    """``out`` is a folder (created if missing) that takes a new file.

    Raises:
        BatchError: it is a file, or cannot be written; the message says what to do.
    """
    if out.exists() and not out.is_dir():
        raise BatchError(f"--out {display(out)} is a file, not a folder: give a folder for the results (created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        # A name remove_stale_temps knows, so a probe an interrupted run leaves is cleaned up.
        probe = out / output.temp_name()
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BatchError(
            f"--out {display(out)} cannot be written ({exc.strerror or exc}): choose a folder you can write to, "
            "or fix its permissions"
        ) from None


def check_targets(out: Path, targets: Iterable[Path], checked: set[Path] | None = None) -> None:
    """No output path under ``out`` has a name too long for its file system, is a folder, or lies
    below a file. ``checked``: the folders already checked (a batch job checks its articles one
    at a time, and a folder once).

    Raises:
        BatchError: naming the path in the way, and what to do.
    """
    checked = {out} if checked is None else checked
    checked.add(out)
    limit = output.name_max(out)
    for target in targets:
        for part in target.relative_to(out).parts if _inside(target, out) else (target.name,):
            size = len(os.fsencode(part))
            if size > limit:
                # Found now, not once the article's requests are paid for.
                which = "its name" if part == target.name else f"its folder {display(part)}"
                raise BatchError(
                    f"{display(target)} cannot be written: {which} is {size} bytes, more than the {limit} a "
                    f"file name can have in {display(out)}: shorten the article's name, or choose another --out"
                )
        if target.is_dir():
            raise BatchError(
                f"{display(target)} is a folder, where a result would be written: move or rename it, or choose another --out"
            )
        for parent in target.parents:
            if parent in checked:
                break
            checked.add(parent)
            if parent.exists() and not parent.is_dir():
                raise BatchError(
                    f"{display(parent)} is a file, where results need a folder: move or rename it, or choose another --out"
                )


def check_replaceable(targets: Iterable[Path]) -> None:
    """No output a run is about to write is a file its owner made read-only: it was replaced,
    the mode reset and hand edits lost, or (one of a pair protected) the article was paid for
    and failed at its write.

    Raises:
        BatchError: naming the first such file, and what to do.
    """
    for target in targets:
        if output.read_only(target):
            raise BatchError(output.protected(display(target)))


def collision(first: Path, second: Path, shared: Sequence[Path]) -> BatchError:
    """The refusal of two articles that would write the same outputs (``a.txt`` and ``a.md``)."""
    return BatchError(
        f"{display(first)} and {display(second)} would both be written to "
        f"{' and '.join(display(p) for p in shared)}: rename one, or batch them separately"
    )


def what_is_asked(*, translate: bool, languages: Sequence[str]) -> str:
    """A run's task in words, as ``check_outputs_match`` names it."""
    return f"a translation into {languages[0]}" if translate else f"a summary in {', '.join(languages)}"


def _is_record(data: Any) -> bool:
    """Whether parsed JSON has the shape of a record ``output.record`` writes (a summary's or a translation's)."""
    if not isinstance(data, dict):
        return False
    return isinstance(data.get("summaries"), dict) or (isinstance(data.get("target"), str) and "translation" in data)


def _is_our_markdown(text: str) -> bool:
    """Whether Markdown has the layout ``output.to_markdown`` writes: a title, then a summary
    section or a translation's first quoted source paragraph."""
    lines = text.splitlines()
    if len(lines) < 3 or not lines[0].startswith("# ") or lines[1].strip():
        return False
    return lines[2].startswith("> ") or lines[2] in {f"## Summary ({label})" for label in LANGUAGE_LABELS.values()}


def not_ours(path: Path) -> str | None:
    """Why the file at an output path is not one summarize wrote (not UTF-8, not a record, not our
    Markdown layout), or ``None`` when it is ours, empty or not there.

    Outputs are written whole (``output.write_atomic``), so anything else is a file of the user's,
    or one edited by hand: a batch must neither count it as done nor write over it.
    """
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except OSError as exc:
        return f"it cannot be read: {exc.strerror or exc}"
    if path.suffix == ".json":
        try:
            data = parse_json(text)
        except ValueError:
            return "not JSON"
        if not _is_record(data):
            kind = {dict: "an object", list: "an array", str: "a string", type(None): "null", bool: "a boolean"}
            return f"JSON {kind.get(type(data), 'a number')} that is not a summary or translation record"
        return None
    return None if _is_our_markdown(text) else "Markdown without the title and sections summarize writes"


def check_outputs_ours(targets: dict[str, dict[str, Path]]) -> None:
    """Refuse a run whose output paths hold files summarize did not write, before anything is sent.

    Without this, such a file counts as its article's finished output (so the article is never
    done), or is written over (a user's ``notes.md`` beside ``--out``'s other results).

    Raises:
        BatchError: naming the first such file, why it is not ours, and what to do.
    """
    foreign = [(path, why) for paths in targets.values() for path in paths.values() if (why := not_ours(path))]
    if foreign:
        path, why = foreign[0]
        others = f" (and {len(foreign) - 1} other file(s) like it)" if len(foreign) > 1 else ""
        raise BatchError(
            f"{display(path)} is where an article's result goes, but summarize did not write it ({why}){others}; "
            "it is left alone and nothing was sent: move it away (or remove it) to have its article done, "
            "or choose another --out"
        )


def held(paths: dict[str, Path]) -> tuple[bool, frozenset[str] | None, bool] | None:
    """What an article's existing outputs hold: (a translation?, its languages, some failed?).

    Read from the JSON record when there is one, else from the Markdown's layout: a summary is
    a ``## Summary (LANGUAGE)`` section per language right after the title, a translation quotes
    its source paragraphs (its target cannot be told, so languages are ``None``). ``None`` when
    no output exists or none can be read as ours (``is_flagged`` reports those).
    """
    record = paths.get("json")
    if record is not None and record.is_file():
        try:
            data = parse_json(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        if isinstance(data.get("target"), str) and "translation" in data:
            return True, frozenset({data["target"]}), False
        summaries = data.get("summaries")
        if not isinstance(summaries, dict):
            return None
        failed = data.get("failed_languages")
        # A record written before failed_languages was recorded says only that one failed.
        failed_names = set(failed) if isinstance(failed, dict) else set()
        some_failed = LANGUAGE_FAILED in (data.get("flags") or ()) and not isinstance(failed, dict)
        return False, frozenset(summaries) | failed_names, some_failed
    markdown = paths.get("md")
    if markdown is not None and markdown.is_file():
        try:
            text = markdown.read_text(encoding="utf-8")
        except (OSError, ValueError):
            return None
        lines = text.splitlines()
        if len(lines) < 3 or not lines[0].startswith("# "):
            return None
        labels = {f"## Summary ({label})": code for code, label in LANGUAGE_LABELS.items()}
        if lines[2].startswith("> "):
            return True, None, False
        if lines[2] not in labels:
            return None
        # Sections follow one another after a blank line; a heading a model wrote could be read
        # as one too, which at worst names a language the run did not ask for.
        found = frozenset(labels[line] for i, line in enumerate(lines) if line in labels and not lines[i - 1].strip())
        return False, found, FLAG_NOTES[LANGUAGE_FAILED] in output.written_notes(text)
    return None


def other_work(paths: dict[str, Path], *, translate: bool, languages: Sequence[str]) -> tuple[Path, str] | None:
    """The output holding other work than is asked (a summary where a translation is asked, other
    languages), and what it holds in words; ``None`` when the outputs hold what is asked, or none."""
    found = held(paths)
    if found is None:
        return None
    asked = frozenset(languages[:1] if translate else languages)
    was_translation, found_languages, some_failed = found
    if was_translation != translate:
        same = False
    elif found_languages is None:
        same = True
    elif some_failed:  # the record does not say which failed: any languages it holds were asked
        same = found_languages <= asked
    else:
        same = found_languages == asked
    if same:
        return None
    path = paths["json"] if "json" in paths and paths["json"].is_file() else paths["md"]
    if was_translation:
        what = "a translation" + (f" into {', '.join(sorted(found_languages))}" if found_languages else "")
    else:
        what = f"a summary in {', '.join(sorted(found_languages or ()))}"
    return path, what


def check_outputs_match(targets: dict[str, dict[str, Path]], *, translate: bool, languages: Sequence[str]) -> None:
    """Refuse a run whose ``--out`` already holds other work for its articles (a summary where a
    translation is asked, other languages) or files summarize did not write (``check_outputs_ours``),
    before anything is sent.

    Without this, a finished article is skipped and the run reports success while the outputs
    hold what an earlier run asked for; or, redone, they would be overwritten.

    Raises:
        BatchError: naming the first such output, what it holds, what was asked and what to do.
    """
    check_outputs_ours(targets)
    mismatched = [found for paths in targets.values() if (found := other_work(paths, translate=translate, languages=languages))]
    if mismatched:
        path, what = mismatched[0]
        others = f" (and {len(mismatched) - 1} other article(s) like it)" if len(mismatched) > 1 else ""
        raise BatchError(
            f"{display(path)} holds {what}, but this run asks for {what_is_asked(translate=translate, languages=languages)}"
            f"{others}: give another --out, or remove the old outputs to have them redone"
        )


def is_done(paths: dict[str, Path], *, redo_flagged: bool = False) -> bool:
    """Every output exists and is not empty (outputs are written atomically, so they are whole);
    with ``redo_flagged``, also that none says it is partial, cut, unverified, unsupported or flagged."""
    if not all(p.is_file() and p.stat().st_size > 0 for p in paths.values()):
        return False
    return not (redo_flagged and is_flagged(paths))


def file_digest(path: Path) -> str | None:
    """The SHA-256 of a file's bytes, or ``None`` when it cannot be read (its run says why)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def changed_since(paths: dict[str, Path], digest: str | None) -> bool:
    """Whether a finished article's JSON record was made from another text than the article's
    now (``digest``): a figure corrected in it since. Outputs without a record, or a record
    without ``source_sha256`` (written before it was kept), cannot tell: not changed."""
    record = paths.get("json")
    if digest is None or record is None:
        return False
    try:
        data = parse_json(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    kept = data.get("source_sha256") if isinstance(data, dict) else None
    return isinstance(kept, str) and kept != digest


def is_flagged(paths: dict[str, Path]) -> bool:
    """Whether a finished article's output says it is partial, cut, unverified, holds unsupported
    claims or carries a flag (``output.FLAGS``): read from its JSON record, else from the warning
    lines of its Markdown.

    A run refuses outputs it did not write before it starts (``check_outputs_ours``); one that
    cannot be read as ours all the same (changed since) counts as flagged, with a warning naming it.
    """
    path = paths["json"] if "json" in paths else paths["md"]
    try:
        text = path.read_text(encoding="utf-8")
        data = parse_json(text) if "json" in paths else None
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return _unreadable(path, str(exc))
    if "json" not in paths:
        return any(output.is_flag_note(note) for note in output.written_notes(text))
    if not isinstance(data, dict):
        kind = {list: "an array", str: "a string", type(None): "null", bool: "a boolean"}.get(type(data), "a number")
        return _unreadable(path, f"JSON {kind}, not a summary record")
    return bool(
        data.get("is_partial") or data.get("truncated") or data.get("unverified")
        or data.get("flags") or data.get("unsupported")
    )


def _unreadable(path: Path, why: str) -> bool:
    log.warning("%s is not an output summarize can read (%s); doing its article again", display(path), why)
    return True
