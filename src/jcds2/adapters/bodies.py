"""Request bodies streamed from a file: read-only, seekable, of a length known up front.

Shared by the uploaders (S3 parts, the packages route's form) so that each says only what
its bytes are. Reads go through ``os.pread``, so several bodies over one file never share
a file position, and none is ever held in memory whole. Seekable, so that whoever sends a
body again (urllib3's retry, botocore's, a new token) can rewind it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from jcds2.application.cancel import CancelToken
from jcds2.application.ports import ProgressCallback
from jcds2.domain.transfer import Part


class SeekableFileBody(io.RawIOBase):
    """``length`` bytes read from the open file descriptor ``fd``, which it closes.

    Subclasses give the bytes at a position (:meth:`_read_at`) and may refuse to go on
    (:meth:`_check`, called before every read: a cancelled transfer).
    """

    def __init__(self, fd: int, length: int) -> None:
        super().__init__()
        self._fd = fd
        self._length = length
        self._position = 0

    def __len__(self) -> int:
        return self._length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        self._position = min(max(base + offset, 0), self._length)
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        self._check()
        remaining = self._length - self._position
        count = remaining if size is None or size < 0 else min(size, remaining)
        if count <= 0:
            return b""
        data = self._read_at(self._position, count)
        self._position += len(data)
        return data

    def _check(self) -> None:
        """Raise to stop the body being read (by default, nothing stops it)."""

    def _read_at(self, position: int, count: int) -> bytes:
        """Up to ``count`` bytes of the body from ``position`` (at least one)."""
        raise NotImplementedError

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


class FileSlice(SeekableFileBody):
    """A read-only, seekable window ``[offset, offset + length)`` of a file.

    Many slices of one file can be read at once (``os.pread``), and no part is ever held
    in memory whole. A cancelled ``cancel`` stops a part mid-body.
    """

    def __init__(
        self, path: Path, offset: int, length: int, cancel: CancelToken | None = None
    ) -> None:
        super().__init__(os.open(path, os.O_RDONLY), length)
        self._offset = offset
        self._cancel = cancel

    def _check(self) -> None:
        if self._cancel is not None:
            self._cancel.check()

    def _read_at(self, position: int, count: int) -> bytes:
        return os.pread(self._fd, count, self._offset + position)


class PartBody(FileSlice):
    """A part's slice that reports each of its bytes to ``progress`` once, however many
    times botocore reads it (a checksum pass, the send, the sends of later attempts)."""

    def __init__(
        self,
        path: Path,
        part: Part,
        cancel: CancelToken,
        progress: ProgressCallback | None,
        reported: list[int],
    ) -> None:
        super().__init__(path, part.offset, part.length, cancel)
        self._progress = progress
        self._reported = reported  # shared by the attempts at this part

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if self._progress is not None and self.tell() > self._reported[0]:
            self._progress(self.tell() - self._reported[0])
            self._reported[0] = self.tell()
        return data
