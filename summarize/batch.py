"""Many articles in one run: find them, summarize (or translate) them concurrently, keep going past failures.

Articles run at most ``settings.concurrency`` at a time and share one ``ChatClient``, so the cap
on requests in flight holds for the whole run, not per article. The model is resolved once. A
failed article is reported in its ``Outcome`` and never stops the others. Batches write each
result as soon as it is ready (atomically), so an interrupted batch resumes where it stopped:
finished articles are skipped and the response cache answers the requests already made.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .client import ChatClient
from .config import Settings
from .errors import InputError, SummarizeError
from .output import WARNING_PREFIXES
from .pipeline import asummarize_article
from .translate import atranslate_article

ARTICLE_SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class Job:
    """One article: a file, or text already read (stdin)."""

    source: str
    path: Path | None = None
    text: str | None = None

    def read(self) -> str:
        if self.text is not None:
            return self.text
        assert self.path is not None
        try:
            return self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{self.path} is not UTF-8 text ({exc.reason} at byte {exc.start}); convert it first, "
                "e.g. iconv -f BIG5 -t UTF-8 (Big5 is common for Traditional Chinese)"
            ) from None


@dataclass(frozen=True)
class Outcome:
    """What became of one job: a result, or the error that stopped it."""

    job: Job
    result: Any = None
    error: BaseException | None = None
    elapsed: float = 0.0


async def run_jobs(
    jobs: Sequence[Job],
    settings: Settings,
    *,
    languages: Sequence[str] = ("en",),
    translate: bool = False,
    on_done: Callable[[Outcome], None] | None = None,
    on_reply: Callable[[Any], None] | None = None,
) -> list[Outcome]:
    """Summarize (or translate) every job; outcomes in job order.

    ``on_done`` is called as each job ends, ``on_reply`` with every reply of every job.

    Raises:
        SummarizeError: only what stops every job (no model can be resolved, a bad setting).
    """
    async with ChatClient(settings) as shared:
        shared.on_reply = on_reply
        if not settings.model:
            settings = settings.replace(model=await shared.resolve_model())
        gate = asyncio.Semaphore(settings.concurrency)

        async def one(job: Job) -> Outcome:
            async with gate:
                start = time.perf_counter()
                try:
                    text = job.read()
                    if translate:
                        result = await atranslate_article(text, target=languages[0], settings=settings, client=shared)
                    else:
                        result = await asummarize_article(text, languages=languages, settings=settings, client=shared)
                    outcome = Outcome(job, result=result, elapsed=time.perf_counter() - start)
                except (SummarizeError, OSError, ValueError, TypeError) as exc:
                    outcome = Outcome(job, error=exc, elapsed=time.perf_counter() - start)
            if on_done is not None:
                on_done(outcome)
            return outcome

        return list(await asyncio.gather(*(one(job) for job in jobs)))


def find_articles(spec: str) -> tuple[list[Path], Path]:
    """The article files a batch names, and the folder their output paths are relative to.

    A folder means every ``.txt`` and ``.md`` file under it; anything else is a glob
    (``**`` reaches into subfolders).

    Raises:
        FileNotFoundError: nothing matches; the message says what was looked for.
    """
    root = Path(spec).expanduser()
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
        base = root
    else:
        files = sorted(Path(p) for p in glob.glob(os.path.expanduser(spec), recursive=True) if Path(p).is_file())
        base = Path(os.path.commonpath([str(p.parent.resolve()) for p in files])) if files else Path(".")
    if not files:
        what = f"no .txt or .md files under {spec}" if root.is_dir() else f"no files match {spec!r}"
        raise FileNotFoundError(f"{what}: give a folder of articles or a glob such as 'news/*.txt'")
    return files, base


def output_paths(article: Path, base: Path, out: Path, formats: Sequence[str]) -> dict[str, Path]:
    """Where one article's results go: its path under ``base``, moved under ``out``, one file per format."""
    try:
        relative = article.resolve().relative_to(base.resolve())
    except ValueError:
        relative = Path(article.name)
    return {fmt: out / relative.with_suffix(f".{fmt}") for fmt in formats}


def is_done(paths: dict[str, Path], *, redo_flagged: bool = False) -> bool:
    """Every output exists and is not empty (outputs are written atomically, so they are whole);
    with ``redo_flagged``, also that none says it is partial, cut, in the wrong language or unsupported by the article."""
    if not all(p.is_file() and p.stat().st_size > 0 for p in paths.values()):
        return False
    return not (redo_flagged and is_flagged(paths))


def is_flagged(paths: dict[str, Path]) -> bool:
    """Whether a finished article's output says it is partial, cut, unverified or holds
    unsupported claims: read from its JSON record, else from the warning lines of its Markdown."""
    if "json" in paths:
        try:
            data = json.loads(paths["json"].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return True  # unreadable: better done again
        return bool(data.get("is_partial") or data.get("truncated") or data.get("unverified") or data.get("unsupported"))
    text = paths["md"].read_text(encoding="utf-8")
    return any(line.startswith(WARNING_PREFIXES) for line in text.splitlines())
