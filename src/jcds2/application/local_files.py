"""Local file checks and hashing, shared by the use-cases."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from jcds2.domain.errors import (
    EmptyFileError,
    LocalFileNotFoundError,
    NotARegularFileError,
    SourceChangedError,
    UnreadableFileError,
)
from jcds2.domain.models import LocalFile

HASH_CHUNK = 4 * 1024 * 1024


def inspect_upload_source(path: str | os.PathLike[str]) -> LocalFile:
    """Check that ``path`` is a regular, readable, non-empty file and return it.

    Raises the matching ``LocalFileError`` otherwise.
    """
    file_path = Path(path).expanduser()
    try:
        info = file_path.stat()
    except FileNotFoundError as exc:
        raise LocalFileNotFoundError(file_path) from exc
    except OSError as exc:
        raise UnreadableFileError(file_path, exc.strerror or str(exc)) from exc
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFileError(file_path)
    if info.st_size == 0:
        raise EmptyFileError(file_path)
    try:
        with file_path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise UnreadableFileError(file_path, exc.strerror or str(exc)) from exc
    return LocalFile(path=file_path.absolute(), size=info.st_size, identity=identity(info))


def identity(info: os.stat_result) -> tuple[int, ...]:
    """What tells a file's versions apart: a write, a truncation, a replacement by another
    file and a ``touch`` each change it (the change time cannot be set back)."""
    return (
        info.st_dev,
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
    )


def current_identity(path: Path) -> tuple[int, ...] | None:
    """The identity of the file at ``path`` now (``None``: it cannot be looked at)."""
    try:
        return identity(path.stat())
    except OSError:
        return None


def check_unchanged(source: LocalFile) -> None:
    """Raise ``SourceChangedError`` if ``source`` is no longer the file it was inspected as."""
    if source.identity is not None and current_identity(source.path) != source.identity:
        raise SourceChangedError(
            f"{source.path} changed while it was being uploaded (written, replaced or "
            "touched), so what the server stored may be neither the old nor the new file; "
            "upload it again once nothing writes to it",
            file_name=source.name,
        )


@contextlib.contextmanager
def hashing_beside(path: Path, algorithms: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """Hash the file at ``path`` with ``algorithms`` (:func:`hash_file_all`) on one thread
    beside the ``with`` body, which stays on the caller's thread, where an interrupt meets
    it and its clean-up. The dict it gives holds the digests once the body is done (none
    without ``algorithms``); a failed body abandons the hashing."""
    digests: dict[str, str] = {}
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jcds2-hash") as hasher:
        hashing = hasher.submit(hash_file_all, path, algorithms, stop) if algorithms else None
        try:
            yield digests
            digests.update(hashing.result() if hashing is not None else {})
        except BaseException:
            stop.set()
            raise


def hash_file(path: Path, algorithm: str, stop: threading.Event | None = None) -> str:
    """Hex digest of a whole file, read in large chunks into one reused buffer.

    Setting ``stop`` abandons the work (the result is then meaningless).
    """
    return hash_file_all(path, (algorithm,), stop)[algorithm]


def hash_file_all(
    path: Path, algorithms: tuple[str, ...], stop: threading.Event | None = None
) -> dict[str, str]:
    """Hex digests of a whole file with each of ``algorithms``, all from one read of it:
    each buffer read feeds every digest, so the digests describe the same bytes even if
    the file changes meanwhile (they agree with each other, whatever they describe).

    Setting ``stop`` abandons the work (the result is then meaningless).
    """
    digests = [hashlib.new(name) for name in algorithms]
    buffer = bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    try:
        with path.open("rb", buffering=0) as handle:
            while count := handle.readinto(buffer):
                for digest in digests:
                    digest.update(view[:count])
                if stop is not None and stop.is_set():
                    break
    except OSError as exc:
        raise UnreadableFileError(path, exc.strerror or str(exc)) from exc
    return {name: digest.hexdigest() for name, digest in zip(algorithms, digests, strict=True)}
