"""Local file checks and hashing, shared by the use-cases."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from pathlib import Path

from jcds2.domain.errors import (
    EmptyFileError,
    LocalFileNotFoundError,
    NotARegularFileError,
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
    return LocalFile(path=file_path.absolute(), size=info.st_size)


def hash_file(path: Path, algorithm: str, stop: threading.Event | None = None) -> str:
    """Hex digest of a whole file, read in large chunks into one reused buffer.

    Setting ``stop`` abandons the work (the result is then meaningless).
    """
    digest = hashlib.new(algorithm)
    buffer = bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    try:
        with path.open("rb", buffering=0) as handle:
            while count := handle.readinto(buffer):
                digest.update(view[:count])
                if stop is not None and stop.is_set():
                    break
    except OSError as exc:
        raise UnreadableFileError(path, exc.strerror or str(exc)) from exc
    return digest.hexdigest()
