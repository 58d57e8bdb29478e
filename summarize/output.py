"""How results are written out: plain text, Markdown and JSON records (for the CLI and batches).

Also the one home of the flag names a result can carry (``Summary.flags``, ``Translation.flags``):
findings that make a result less trustworthy without making it fail. Each flag is written in
the JSON record (``"flags"``) and as a Markdown warning line, so ``summarize batch
--redo-flagged`` finds it again in either format.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import stat
import time
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .result import (
    ECHOED_TASK, LANGUAGE_FAILED, LOOPED, NEGATED, NOTES_CUT, PROMPT_CUT, TOO_LONG, TOO_SHORT, TRUNCATED, WRONG_LANGUAGE,
    markdown_text,
)

# -- flags ---------------------------------------------------------------------------------

# Each flag's Markdown warning line (the flag names live with the result types). Flags that
# the Partial/Cut/Unverified lines already report (truncated, a summary in the wrong language)
# get none of their own.
FLAG_NOTES = {
    PROMPT_CUT: "> Prompt cut: the server counted far fewer prompt tokens than were sent, so it probably "
    "cut the article; raise the server's context (Ollama: num_ctx) and redo it.",
    LOOPED: "> Looped: a reply kept repeating itself, even when asked again; the repeats were cut.",
    LANGUAGE_FAILED: "> Failed: a language's summary failed and is missing; the others are here.",
    NOTES_CUT: "> Notes cut: a part's notes ran past their limit and were used up to their last whole sentence.",
    TOO_SHORT: "> Too short: the model answered in a few words, twice; it may have obeyed text in the article.",
    TOO_LONG: "> Too long: a translation came back far longer than its sentence, and none was better; it may say more than the article.",
    NEGATED: "> Negated: a translation said \"no\" or \"not\" where its sentence negates nothing, even when asked again, and none was better; it may say the opposite of the article.",
    ECHOED_TASK: "> Echoed the task: a reply repeated its instructions instead of summarizing, twice; use a larger model.",
}
# Every flag --redo-flagged redoes.
FLAGS = (*FLAG_NOTES, TRUNCATED, *WRONG_LANGUAGE.values())

LANGUAGE_LABELS = {"en": "English", "zh-Hant": "繁體中文"}

# -- formats -------------------------------------------------------------------------------

FORMATS = ("md", "json")  # what a batch writes per article, and the default


def check_formats(formats: object) -> tuple[str, ...]:
    """The output formats asked for, in order, each once: a list of ``"md"`` and ``"json"``.

    A string is refused rather than read letter by letter: ``formats="md"`` would otherwise ask
    for outputs ``.m`` and ``.d`` that nothing writes, and the articles would never be done.

    Raises:
        ConfigError: naming the value and what would be valid.
    """
    wanted = 'a list of "md" and "json", e.g. ["md", "json"]'
    if isinstance(formats, (str, bytes)) or not isinstance(formats, (list, tuple)):
        raise ConfigError(f"formats must be {wanted}; got {formats!r}")
    chosen = tuple(dict.fromkeys(formats))
    if not chosen or any(not isinstance(f, str) or f not in FORMATS for f in chosen):
        raise ConfigError(f"formats must be {wanted}; got {list(formats)!r}")
    return chosen


def usage_record(usage: Any) -> dict[str, Any]:
    return {
        "requests": getattr(usage, "requests", None),
        "attempts": getattr(usage, "attempts", None),
        "cache_hits": getattr(usage, "cache_hits", None),
        "prompt_tokens": getattr(usage, "prompt_tokens", None),
        "completion_tokens": getattr(usage, "completion_tokens", None),
    }


def record(result: Any, *, source: str, elapsed: float, source_sha256: str | None = None) -> dict[str, Any]:
    """One JSON object for one article: a ``Summary`` or a ``Translation``; with ``source_sha256``
    (a batch's), the SHA-256 of the article file it was made from, so that a later batch can tell
    the article changed since."""
    data: dict[str, Any] = {"file": source, "model": result.model}
    if source_sha256 is not None:
        data["source_sha256"] = source_sha256
    if hasattr(result, "summaries"):
        data.update(
            summary=result.text,
            summaries=dict(result.summaries),
            chunks=result.chunks,
            is_partial=result.is_partial,
            failed_chunks=list(result.failed_chunks),
            # Languages asked for whose summary failed (the others are here): a rerun asks for them too.
            failed_languages=dict(getattr(result, "failed_languages", {})),
            method=result.method,
            key_sentences=[list(pair) for pair in result.key_sentences],
        )
    else:
        data.update(target=result.target, translation=result.text, pairs=[list(p) for p in result.pairs], chunks=result.chunks)
    # What a reader must know before trusting the text: cut replies, unverified language, repairs.
    data.update(
        truncated=result.truncated,
        unverified=list(result.unverified),
        flags=list(getattr(result, "flags", ())),
        unsupported=[list(u) if isinstance(u, tuple) else u for u in getattr(result, "unsupported", ())],
        corrected=[list(c) for c in getattr(result, "corrected", ())],
        dropped=list(getattr(result, "dropped", ())),
        simplified_fixed=result.simplified_fixed,
        usage=usage_record(result.usage),
        elapsed=round(elapsed, 3),
    )
    return data


def to_json(result: Any, *, source: str, elapsed: float, source_sha256: str | None = None) -> str:
    return json.dumps(record(result, source=source, elapsed=elapsed, source_sha256=source_sha256), ensure_ascii=False)


def to_markdown(result: Any, *, title: str) -> str:
    """A Markdown document: the title, then a section per summary language (or the translation)."""
    if not hasattr(result, "summaries"):
        return f"# {title}\n\n{result.to_markdown().strip()}\n" + "".join(f"\n{w}\n" for w in warnings(result))
    parts = [f"# {title}"]
    for language, text in result.summaries.items():
        parts.append(f"## Summary ({LANGUAGE_LABELS.get(language, language)})\n\n{markdown_text(text.strip())}")
    return "\n\n".join(parts + warnings(result)) + "\n"


def warnings(result: Any) -> list[str]:
    """Markdown notes on what makes a result less than complete (``written_notes`` reads them
    back by their shapes, ``FLAG_SHAPES``)."""
    partial, cut, unverified, unsupported = "> Partial:", "> Cut:", "> Unverified:", "> Unsupported:"
    notes = []
    if getattr(result, "is_partial", False):
        notes.append(f"{partial} chunks {', '.join(str(i + 1) for i in result.failed_chunks)} failed and are left out.")
    if result.truncated:
        notes.append(f"{cut} a reply hit the token limit and was kept as it was (on_truncation=keep).")
    if result.unverified:
        if not hasattr(result, "summaries"):  # a translation's are 0-based paragraph indexes
            numbers = ", ".join(str(i + 1) for i in result.unverified)
            notes.append(f"{unverified} paragraph(s) {numbers} still failed their check against the source after one more request.")
        else:
            notes.append(f"{unverified} {', '.join(map(str, result.unverified))} came back in the wrong language.")
    claims = getattr(result, "unsupported", ())
    if claims:
        quoted = [f"paragraph {u[0] + 1}: \"{u[1]}\"" if isinstance(u, tuple) else f"\"{u}\"" for u in claims]
        notes.append(f"{unsupported} not found in the article, check before use: {'; '.join(quoted)}.")
    notes += [FLAG_NOTES[flag] for flag in getattr(result, "flags", ()) if flag in FLAG_NOTES]
    fixes = getattr(result, "corrected", ())
    if fixes:
        # Not a flag: the article settled these, so a batch does not redo the article for them.
        shown = [
            (f"paragraph {c[0] + 1}: " if len(c) == 3 else "") + f"\"{c[-2]}\" → \"{c[-1]}\"" for c in fixes
        ]
        notes.append(f"> Corrected from the article: {'; '.join(shown)}.")
    dropped = getattr(result, "dropped", ())
    if dropped:
        # Not a flag either: what is left is traced to the article.
        left_out = "; ".join(f'"{s}"' for s in dropped)
        notes.append(f"> Dropped, for a figure the article does not give: {left_out}")
    return notes


# The exact shape of each note ``warnings`` writes, flags first, then the two that are not
# (corrected, dropped): ``written_notes`` reads a Markdown output's notes back by them, so a line
# a model wrote that merely starts like one ("> Partial: ...") is not taken for a flag.
_NUMBERS = r"\d+(?:, \d+)*"
_LANGUAGES = "(?:" + "|".join(map(re.escape, LANGUAGE_LABELS)) + ")"
FLAG_SHAPES = tuple(
    re.compile(shape, re.DOTALL)
    for shape in (
        rf"> Partial: chunks {_NUMBERS} failed and are left out\.",
        re.escape("> Cut: a reply hit the token limit and was kept as it was (on_truncation=keep)."),
        rf"> Unverified: paragraph\(s\) {_NUMBERS} still failed their check against the source after one more request\.",
        rf"> Unverified: {_LANGUAGES}(?:, {_LANGUAGES})* came back in the wrong language\.",
        r"> Unsupported: not found in the article, check before use: .+\.",
        *(re.escape(note) for note in FLAG_NOTES.values()),
    )
)
OTHER_NOTE_SHAPES = (
    re.compile(r"> Corrected from the article: .+\.", re.DOTALL),
    re.compile(r"> Dropped, for a figure the article does not give: .+", re.DOTALL),
)


def written_notes(markdown: str) -> list[str]:
    """The notes ``warnings`` put at the end of a Markdown output (``to_markdown``), in order.

    Read backwards from the end, a paragraph at a time, for as long as each has the exact shape
    of a note; the text above them (a summary, a translation) is the model's and is not read (a
    last paragraph that copied a note word for word would be, and cost a redo, nothing more).
    """
    notes: list[str] = []
    for paragraph in reversed(markdown.strip().split("\n\n")):
        if not any(shape.fullmatch(paragraph) for shape in (*FLAG_SHAPES, *OTHER_NOTE_SHAPES)):
            break
        notes.append(paragraph)
    return notes[::-1]


def is_flag_note(note: str) -> bool:
    """Whether a note ``written_notes`` found says the result is partial, cut, unverified,
    unsupported or flagged (the corrected and dropped notes do not)."""
    return any(shape.fullmatch(note) for shape in FLAG_SHAPES)


def flag_lines(result: Any) -> list[str]:
    """What makes a result less trustworthy (partial, cut, unverified, unsupported, flagged), one
    line each, for output that has no room for the notes (plain text: the CLI puts them on stderr)."""
    return [note.removeprefix("> ") for note in warnings(result) if is_flag_note(note)]


def to_text(result: Any) -> str:
    """Plain text: the summary (a labelled block per language when there are several) or the translation."""
    summaries = getattr(result, "summaries", None)
    if not summaries or len(summaries) == 1:
        return result.text.strip() + "\n"
    return "\n\n".join(f"[{language}]\n{text.strip()}" for language, text in summaries.items()) + "\n"


# -- files ---------------------------------------------------------------------------------

# Temporary files are ".summarize.<8 random characters>.tmp" beside their target, so os.replace
# stays on one file system, and their name is as short whatever the target's: a target whose name
# is near the file system's limit (255 bytes) is still written. Runs before that named them
# ".<target>.<8 random characters>.tmp". Only names of exactly those shapes (for the file types
# we write) are ever cleaned up. The shape without ".tmp" (what tempfile.mkstemp made, before
# ".tmp" was added) is no longer: a user's hidden backup ".notes.md.20240101" has it, and was
# deleted as ours.
TEMP_NAME = re.compile(r"^\.(?:summarize|.+\.(?:json|md))\.[a-z0-9_]{8}\.tmp$")
# A temporary file this old is left by a killed run: a write takes milliseconds, so no run still
# holds it (even a concurrent one on the same folder).
STALE_AFTER = 300.0


_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def temp_name() -> str:
    """A new temporary file's name (``TEMP_NAME``), 23 bytes whatever it stands in for."""
    return f".summarize.{''.join(secrets.choice(_TEMP_CHARS) for _ in range(8))}.tmp"


def _create_temp(path: Path, mode: int) -> tuple[int, Path]:
    """A new, empty temporary file beside ``path``, opened for writing.

    Created with ``mode`` through ``os.open`` so the kernel applies the umask, as it does for
    any file the user makes (``tempfile.mkstemp`` would force ``0o600`` on every output).
    """
    for _ in range(100):
        tmp = path.parent / temp_name()
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {path.parent}: remove its stale .*.tmp files")


def name_max(folder: Path) -> int:
    """The most bytes a file name can have in ``folder`` (or the nearest folder above it that
    exists); 255, the common limit, when the system does not say."""
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            try:
                return os.pathconf(candidate, "PC_NAME_MAX")
            except (OSError, ValueError):
                break
    return 255


def read_only(path: Path) -> bool:
    """``path`` is a file its owner made read-only (``chmod a-w``): replacing it takes only the
    folder's write permission, so the file's own must be asked (root's access checks pass anything)."""
    try:
        return path.is_file() and not path.stat().st_mode & stat.S_IWUSR
    except OSError:
        return False


def protected(path: str | Path) -> str:
    """What to say of a read-only ``path`` that a run would replace."""
    return f"{path} is read-only: summarize does not replace a file you protected; make it writable (chmod u+w) or move it away"


def write_atomic(path: Path, text: str, *, private: bool = False) -> None:
    """Write ``text`` to ``path`` so that no reader, and no interrupted run, sees half a file.

    The file gets the mode any new file of the user's gets (``0o666`` less the umask), or
    ``0o600`` whatever the umask when ``private``.

    Raises:
        PermissionError: ``path`` is a read-only file (``read_only``); it is left as it is.
        OSError: it cannot be written.
    """
    path = Path(path)
    if read_only(path):
        raise PermissionError(errno.EACCES, protected(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path, 0o600 if private else 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def remove_stale_temps(folder: Path, *, recursive: bool = True, now: float | None = None) -> list[Path]:
    """Remove the temporary files a killed run left in ``folder``; returns what was removed.

    Only files named like ours (``TEMP_NAME``) and older than ``STALE_AFTER`` seconds go;
    symlinks and anything that cannot be removed are left alone.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    walk = os.walk(folder) if recursive else [(str(folder), [], os.listdir(folder) if Path(folder).is_dir() else [])]
    for parent, _dirs, names in walk:
        for name in names:
            if not TEMP_NAME.match(name):
                continue
            candidate = Path(parent) / name
            try:
                info = candidate.lstat()
                if not candidate.is_symlink() and now - info.st_mtime > STALE_AFTER:
                    candidate.unlink()
                    removed.append(candidate)
            except OSError:
                continue
    return removed
