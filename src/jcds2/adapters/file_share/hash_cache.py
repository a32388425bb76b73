"""The hashes of a folder's files, remembered between syncs in a small JSON state file.

An entry is used only while its key, the file's (device, inode, size, modification time
and status-change time in nanoseconds), is what the file has now; any difference and the
file is hashed again. The change time is there because a program can set a file's
modification time back (``touch -r``, ``cp -p``, a tampering hand) but not its change time.
A file modified less than :data:`RACY_SECONDS` before it was hashed is not remembered: a
write in the same clock tick could leave its time unchanged (git's "racy" files).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any

from jcds2.adapters.file_share.common import log

FORMAT = "jcds2-hash-cache"
VERSION = 2
RACY_SECONDS = 2.0

#: (device, inode, size, mtime_ns, ctime_ns)
Key = tuple[int, int, int, int, int]


def key_of(info: os.stat_result) -> Key:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def default_cache_dir() -> Path:
    """Where the state files live: ``$XDG_CACHE_HOME/jcds2/hashes`` (``~/.cache``), or
    ``~/Library/Caches/jcds2/hashes`` on macOS."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "jcds2" / "hashes"


def state_file(folder: Path, cache_dir: Path | None = None) -> Path:
    """The state file of ``folder`` (absolute): one per folder, named by its path's hash,
    in the user's cache folder, so that a read-only share can be a source and a share's
    contents are not touched."""
    digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:32]
    return (cache_dir or default_cache_dir()) / f"{digest}.json"


class HashCache:
    """The remembered hashes of one folder's files; thread-safe; saved atomically."""

    def __init__(self, path: Path, folder: Path, clock: Any = time.time) -> None:
        self.path = path
        self.folder = folder
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] = self._load()
        self._dirty = False

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.warning("cannot read the hash cache %s (%s); hashing afresh", self.path, exc)
            return {}
        try:
            body = json.loads(text)
        except ValueError:
            log.warning("the hash cache %s is not JSON; hashing afresh", self.path)
            return {}
        if (
            not isinstance(body, dict)
            or body.get("format") != FORMAT
            or body.get("version") != VERSION
            or body.get("folder") != os.fsdecode(self.folder)
            or not isinstance(body.get("entries"), dict)
        ):
            log.warning("the hash cache %s is not one of this folder's; ignoring it", self.path)
            return {}
        return {
            name: entry
            for name, entry in body["entries"].items()
            if isinstance(name, str) and _valid(entry)
        }

    def lookup(self, file_name: str, key: Key) -> tuple[str, str] | None:
        """The (MD5, SHA3-512) remembered for ``file_name`` if its key is ``key``."""
        with self._lock:
            entry = self._entries.get(file_name)
        if entry is None or tuple(entry["key"]) != key:
            return None
        return entry["md5"], entry["sha3_512"]

    def store(self, file_name: str, key: Key, md5: str, sha3_512: str) -> None:
        """Remember the hashes of ``file_name`` as it was at ``key`` (unless racy)."""
        with self._lock:
            if self._clock() - key[3] / 1e9 < RACY_SECONDS:
                self._entries.pop(file_name, None)
            else:
                self._entries[file_name] = {"key": list(key), "md5": md5, "sha3_512": sha3_512}
            self._dirty = True

    def forget_others(self, names: set[str]) -> None:
        """Drop the entries of files no longer in the folder."""
        with self._lock:
            gone = self._entries.keys() - names
            for name in gone:
                del self._entries[name]
            self._dirty = self._dirty or bool(gone)

    def save(self) -> None:
        """Write the state file atomically (a temporary file renamed over it). A cache
        that cannot be written costs only time: it is logged, not raised."""
        with self._lock:
            if not self._dirty:
                return
            body = {
                "format": FORMAT,
                "version": VERSION,
                "folder": os.fsdecode(self.folder),
                "entries": dict(self._entries),
            }
            self._dirty = False
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(body, sort_keys=True), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            log.warning("cannot save the hash cache %s (%s)", self.path, exc)
            with contextlib.suppress(OSError):
                temporary.unlink()


def _valid(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("key"), list)
        and len(entry["key"]) == 5
        and all(isinstance(part, int) for part in entry["key"])
        and isinstance(entry.get("md5"), str)
        and isinstance(entry.get("sha3_512"), str)
    )
