"""Request bodies streamed from a file: read-only, seekable, of a length known up front.

Shared by the uploaders (S3 parts, the packages route's form) so that each says only what
its bytes are. Reads go through ``os.pread``, so several bodies over one file never share
a file position, and none is ever held in memory whole. Seekable, so that whoever sends a
body again (urllib3's retry, botocore's, a new token) can rewind it.
"""

from __future__ import annotations

import io
import os
from typing import Any


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
