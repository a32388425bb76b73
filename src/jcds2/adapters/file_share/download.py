"""The file share's ``RangeFetcher``: byte ranges of ``file://`` URLs."""

from __future__ import annotations

import os
from io import FileIO
from pathlib import Path

from jcds2.adapters.file_share.common import (
    READ_CHUNK,
    _look_at,
    _open_regular,
    _path_of,
    _strerror,
    _version,
)
from jcds2.adapters.read_buffer import ThreadBuffers
from jcds2.application.cancel import CancelToken
from jcds2.application.ports import RangeSink
from jcds2.domain.errors import (
    ConfigurationError,
    DownloadError,
)
from jcds2.domain.transfer import ByteRange

# --- downloads ----------------------------------------------------------------------------


class FileRangeFetcher:
    """A :class:`~jcds2.application.ports.RangeFetcher` for ``file://`` URLs.

    Reads exactly the range asked for, ``chunk_size`` bytes at a time into one reused
    buffer per thread, checking for cancellation between chunks. A file that is
    missing, shorter than the range, or changed (the URL's version from
    :meth:`FileShareStore.download_url` no longer matches, or its size or modification
    time changes during the read) raises ``DownloadError``: ranges of two versions of a
    file are never mixed.
    """

    def __init__(self, chunk_size: int = READ_CHUNK) -> None:
        if chunk_size <= 0:
            raise ConfigurationError(f"chunk_size must be positive, not {chunk_size}")
        self._chunk_size = chunk_size
        self._buffers = ThreadBuffers(chunk_size)

    def __repr__(self) -> str:
        return "FileRangeFetcher()"

    def size(self, url: str) -> int:
        path, version = _path_of(url)
        try:
            info = _look_at(path)
        except FileNotFoundError:
            raise _gone(path) from None
        _check_version(path, info, version)
        return info.st_size

    def fetch(
        self,
        url: str,
        byte_range: ByteRange,
        sink: RangeSink,
        *,
        cancel: CancelToken | None = None,
    ) -> None:
        if cancel is not None:
            cancel.check()
        path, version = _path_of(url)
        try:
            handle, info = _open_regular(path, DownloadError, "open")
        except FileNotFoundError:
            raise _gone(path) from None
        with handle:
            try:
                self._read(path, handle, info, version, byte_range, sink=sink, cancel=cancel)
            except OSError as exc:
                raise DownloadError(f"reading {path} failed: {_strerror(exc)}") from exc

    def _read(
        self,
        path: Path,
        handle: FileIO,
        before: os.stat_result,
        version: str | None,
        byte_range: ByteRange,
        *,
        sink: RangeSink,
        cancel: CancelToken | None,
    ) -> None:
        _check_version(path, before, version)
        if byte_range.start < 0 or byte_range.end >= before.st_size:
            raise DownloadError(
                f"{path} is {before.st_size} bytes, too short for bytes "
                f"{byte_range.start}-{byte_range.end}"
            )
        handle.seek(byte_range.start)
        buffer = self._buffers.get()
        received = 0
        while received < byte_range.length:
            if cancel is not None:
                cancel.check()
            want = min(len(buffer), byte_range.length - received)
            count = handle.readinto(buffer[:want])
            if not count:
                raise DownloadError(
                    f"{path} ended after {byte_range.start + received} bytes while bytes up "
                    f"to {byte_range.end} were read: it changed during the download"
                )
            sink(byte_range.start + received, buffer[:count])
            received += count
        after = os.fstat(handle.fileno())
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise _changed(path)


def _check_version(path: Path, info: os.stat_result, version: str | None) -> None:
    if version is not None and _version(info) != version:
        raise _changed(path)


def _changed(path: Path) -> DownloadError:
    return DownloadError(
        f"{path} changed during the download (replaced or rewritten on the share); "
        "download it again"
    )


def _gone(path: Path) -> DownloadError:
    return DownloadError(f"{path} is gone: it was deleted or the share unmounted")
