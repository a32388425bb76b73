"""JCDS files that live in a local folder and are served by another web server (e.g. nginx).

The emulator lists them and hands out ``download_base_url + quoted name`` for them, so the
bytes of a download never pass through the emulator; it only reads each file once to
compute the digests it lists.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import attrs

_CHUNK = 8 * 1024 * 1024


@attrs.frozen
class ExternalFile:
    """A regular file in the external folder, with its digests."""

    file_name: str
    path: Path
    length: int
    md5: str
    sha3: str


class ExternalFiles:
    """The regular files at the top level of ``directory``, served at ``download_base_url``.

    Read-only: the emulator never writes to or deletes from the folder. Digests are
    computed by streaming each file once and cached by (path, size, modification time).
    """

    def __init__(self, directory: str | os.PathLike[str], download_base_url: str) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ValueError(f"external files folder {self.directory} is not a directory")
        if not download_base_url.startswith(("http://", "https://")):
            raise ValueError(f"download base URL must be http(s), not {download_base_url!r}")
        self.download_base_url = (
            download_base_url if download_base_url.endswith("/") else download_base_url + "/"
        )
        self._digests: dict[tuple[str, int, int], tuple[str, str]] = {}
        # One digest computation at a time: a second lister waits and then hits the cache
        # instead of reading the same gigabytes again.
        self._digest_lock = threading.Lock()

    def _entries(self) -> list[os.DirEntry[str]]:
        with os.scandir(self.directory) as entries:
            return sorted(
                (entry for entry in entries if entry.is_file(follow_symlinks=True)),
                key=lambda entry: entry.name,
            )

    def names(self) -> list[str]:
        return [entry.name for entry in self._entries()]

    def find(self, file_name: str) -> Path | None:
        if "/" in file_name or file_name in ("", ".", ".."):
            return None
        path = self.directory / file_name
        return path if path.is_file() else None

    def files(self, exclude: Collection[str] = ()) -> list[ExternalFile]:
        """Every external file by name (but those in ``exclude``), with cached digests."""
        found: list[ExternalFile] = []
        for entry in self._entries():
            if entry.name in exclude:
                continue
            path = Path(entry.path)
            stat = path.stat()
            md5, sha3 = self.digests(path, stat.st_size, stat.st_mtime_ns)
            found.append(ExternalFile(entry.name, path, stat.st_size, md5, sha3))
        return found

    def digests(self, path: Path, size: int, mtime_ns: int) -> tuple[str, str]:
        """MD5 and SHA3-512 hex of a file, computed once per (path, size, mtime)."""
        cache_key = (str(path), size, mtime_ns)
        with self._digest_lock:
            cached = self._digests.get(cache_key)
            if cached is None:
                cached = _hash_file(path)
                self._digests[cache_key] = cached
            return cached

    def download_url(self, file_name: str) -> str:
        return self.download_base_url + quote(file_name)


def _hash_file(path: Path) -> tuple[str, str]:
    md5 = hashlib.md5(usedforsecurity=False)
    sha3 = hashlib.sha3_512()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    # hashlib releases the GIL on large buffers: both digests run side by side.
    with path.open("rb", buffering=0) as stream, ThreadPoolExecutor(1) as helper:
        while True:
            count = stream.readinto(buffer)
            if not count:
                break
            chunk = view[:count]
            pending = helper.submit(sha3.update, chunk)
            md5.update(chunk)
            pending.result()
    return md5.hexdigest(), sha3.hexdigest()
