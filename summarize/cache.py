"""The on-disk response cache: a second identical request is answered without the network.

A reply is keyed by the base URL, the model, the messages and every generation parameter
(SHA-256 of their canonical JSON), and stored as one small JSON file. Only complete replies are
stored: the client puts a reply here after its truncation and emptiness checks, and failures
never reach it. Writes go to a temporary file in the same folder and are moved into place with
``os.replace``, so two processes summarizing the same folder never see half a file; a file that
cannot be read is treated as a miss. The temporary files a killed run leaves behind are removed
(once they are old enough that no run can still be writing them) the next time a reply is
stored in the same subfolder.

Two runs asking the same at once (two batches on one folder, an article given twice) send it
once: the asker holds a lock file beside the entry (``claim``) from its look into the cache until
its reply is stored, and the other waits, then finds the reply stored. A run that dies holding
one releases it with its process; a failed request stores nothing, so the waiter then sends its
own. Where ``fcntl`` is missing (Windows) each sends it.

Cache files are private (``0o600``) whatever the umask, unlike a batch's outputs: they hold the
articles' text and replies of every run, in one folder the user never chose to share.

The folder is ``Settings.cache_dir`` (``SUMMARIZE_CACHE_DIR``), else the user's cache folder:
``$XDG_CACHE_HOME/summarize/responses`` (``~/.cache/...``; ``~/Library/Caches/...`` on macOS;
``%LOCALAPPDATA%\\summarize\\responses`` on Windows). Turn it off with ``cache=False``
(``SUMMARIZE_CACHE=0``, ``--no-cache``); delete the folder to empty it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: two runs asking the same at once each send it
    fcntl = None  # type: ignore[assignment]

from .output import remove_stale_temps, write_atomic
from .text import parse_json

log = logging.getLogger("summarize")

# Part of every key: bump it when the stored format or the meaning of a key changes.
FORMAT = 1

# How often a run waiting on another's claim looks again, first and at most (seconds).
CLAIM_POLL = (0.02, 0.5)

# Subfolders this process has cleaned of stale temporary files (once is enough: a run of ours
# only leaves one behind when it is killed).
_SWEPT: set[Path] = set()
# Cache folders a write failed in, this process, and none succeeded since: the warning is given once for each.
_UNWRITABLE: set[Path] = set()


def default_dir() -> Path:
    """The user's cache folder for responses."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    # Only an absolute path counts, as the XDG spec says: "~" or "cache" put every article
    # summarized into a folder of that name under whatever the current directory was.
    if xdg and os.path.isabs(xdg):
        base = Path(xdg)
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path.home() / ".cache"
    return base / "summarize" / "responses"


class ResponseCache:
    """Replies on disk, one JSON file per request key."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder).expanduser() if folder else default_dir()

    @staticmethod
    def key(base_url: str, messages: list[dict[str, Any]], options: dict[str, Any]) -> str:
        """A digest of everything that shapes the reply (``options`` holds the model)."""
        canonical = json.dumps(
            {"format": FORMAT, "base_url": base_url.rstrip("/"), "messages": messages, "options": options},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def unwritable(self) -> bool:
        """The last write to this folder, in this process, failed (and was warned of)."""
        return self.folder in _UNWRITABLE

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored reply fields, or ``None`` when absent or unreadable."""
        try:
            data = parse_json(self.path(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):  # absent, or a file where its folder goes (put says so)
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable cache file %s: %s", self.path(key), exc)
            return None
        # An entry with no text is no answer (a live empty reply raises): a hand-edited or damaged file.
        return data if isinstance(data, dict) and isinstance(data.get("text"), str) and data["text"].strip() else None

    @contextlib.asynccontextmanager
    async def claim(self, key: str) -> AsyncIterator[None]:
        """Hold ``key`` while looking into the cache and asking: another run (or task) that
        claims it meanwhile waits until this one is done, then finds the stored reply.

        The lock is ``flock`` on ``.<key>.lock`` beside the entry, removed by its holder (a
        waiter that locked a file since removed locks the new one instead). A folder that takes
        no lock file (read-only, full) or a system without ``fcntl`` claims nothing.
        """
        lock = self.path(key).with_name(f".{key}.lock")
        fd = await self._lock(lock) if fcntl is not None else None
        try:
            yield
        finally:
            if fd is not None:
                with contextlib.suppress(OSError):
                    lock.unlink()  # before the unlock: a waiter then finds its file gone and starts over
                os.close(fd)  # releases the lock

    async def _lock(self, lock: Path) -> int | None:
        """An open descriptor of ``lock`` holding its exclusive lock, once no one else holds it;
        ``None`` when the file cannot be made."""
        assert fcntl is not None
        wait, waited = CLAIM_POLL[0], False
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)  # once: a poll only opens and locks
        except OSError as exc:
            log.debug("no claim on %s (%s): a run asking the same at once sends it too", lock.name, exc)
            return None
        while True:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                log.debug("no claim on %s (%s): a run asking the same at once sends it too", lock.name, exc)
                return None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                if not waited:
                    waited = True
                    log.info("another run is asking the same request; waiting for its reply in the response cache")
                await asyncio.sleep(wait)
                wait = min(wait * 2, CLAIM_POLL[1])
                continue
            try:
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except OSError:  # removed by the holder before us: ours is a file no one else sees
                same = False
            if same:
                return fd
            os.close(fd)

    def drop(self, key: str) -> None:
        """Take a stored reply out (one the run judged unusable), so that the next run asks again."""
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove %s from the response cache: %s", self.path(key), exc)

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` atomically; a cache that cannot be written only logs a warning."""
        target = self.path(key)
        try:
            write_atomic(target, json.dumps(value, ensure_ascii=False), private=True)
            _UNWRITABLE.discard(self.folder)  # writable again: the next failure is said again
            if target.parent not in _SWEPT:
                _SWEPT.add(target.parent)
                for stale in remove_stale_temps(target.parent, recursive=False):
                    log.debug("removed a stale temporary cache file %s", stale)
        except OSError as exc:
            # Said once per folder until a write succeeds: a cache that cannot be written fails
            # at every request alike (in a long-lived process, a full disk freed and full again is said again).
            if self.folder in _UNWRITABLE:
                log.debug("could not write the response cache at %s: %s", target, exc)
                return
            _UNWRITABLE.add(self.folder)
            log.warning(
                "could not write the response cache at %s: %s; replies are not cached (said once until a write succeeds)", target, exc
            )
