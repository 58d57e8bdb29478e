"""The on-disk response cache: a second identical request is answered without the network.

A reply is keyed by the base URL, the model, the messages and every generation parameter
(SHA-256 of their canonical JSON), and stored as one small JSON file. Only complete replies are
stored: the client puts a reply here after its truncation and emptiness checks, and failures
never reach it. Writes go to a temporary file in the same folder and are moved into place with
``os.replace``, so two processes summarizing the same folder never see half a file; a file that
cannot be read is treated as a miss. The temporary files a killed run leaves behind are removed
(once they are old enough that no run can still be writing them) the next time a reply is
stored in the same subfolder.

Cache files are private (``0o600``) whatever the umask, unlike a batch's outputs: they hold the
articles' text and replies of every run, in one folder the user never chose to share.

The folder is ``Settings.cache_dir`` (``SUMMARIZE_CACHE_DIR``), else the user's cache folder:
``$XDG_CACHE_HOME/summarize/responses`` (``~/.cache/...``; ``~/Library/Caches/...`` on macOS;
``%LOCALAPPDATA%\\summarize\\responses`` on Windows). Turn it off with ``cache=False``
(``SUMMARIZE_CACHE=0``, ``--no-cache``); delete the folder to empty it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from .output import remove_stale_temps, write_atomic
from .text import parse_json

log = logging.getLogger("summarize")

# Part of every key: bump it when the stored format or the meaning of a key changes.
FORMAT = 1

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
