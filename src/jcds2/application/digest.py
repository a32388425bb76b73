"""Hashing a file while it is being written, so verifying costs no second pass."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Sequence

from jcds2.domain.transfer import ByteRange, MiB

BLOCK = 4 * MiB


class InOrderDigest:
    """Hashes the ranges of a file in file order as they are completed, on its own thread.

    Downloads complete ranges out of order; each one is read back (from the page cache,
    as a rule) and hashed as soon as every range before it is complete. The hash work
    thus overlaps the network work, and the digest is ready moments after the last
    range lands. ``fd`` must be open for reading. ``already`` lists ranges complete
    from the start (a resumed download); they are read back and hashed in their turn.
    """

    def __init__(
        self,
        fd: int,
        ranges: Sequence[ByteRange],
        algorithm: str,
        already: Iterable[int] = (),
    ) -> None:
        self._fd = fd
        self._ranges = ranges
        self._digest = hashlib.new(algorithm)
        self._completed = [False] * len(ranges)
        for index in already:
            self._completed[index] = True
        self._condition = threading.Condition()
        self._cancelled = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="jcds2-digest", daemon=True)
        self._thread.start()

    def completed(self, index: int) -> None:
        """Range ``index`` is fully written."""
        with self._condition:
            self._completed[index] = True
            self._condition.notify()

    def cancel(self) -> None:
        """Stop hashing (the download failed) and wait for the thread to end."""
        with self._condition:
            self._cancelled = True
            self._condition.notify()
        self._thread.join()

    def hexdigest(self) -> str:
        """The digest of the whole file; waits for the last ranges to be hashed."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._cancelled:
            raise RuntimeError("the digest was cancelled")
        return self._digest.hexdigest()

    def _run(self) -> None:
        try:
            for index, byte_range in enumerate(self._ranges):
                with self._condition:
                    while not self._completed[index] and not self._cancelled:
                        self._condition.wait()
                    if self._cancelled:
                        return
                self._hash(byte_range)
        except BaseException as exc:  # handed to the caller by hexdigest()
            self._error = exc

    def _hash(self, byte_range: ByteRange) -> None:
        offset, remaining = byte_range.start, byte_range.length
        while remaining:
            block = os.pread(self._fd, min(BLOCK, remaining), offset)
            if not block:
                raise OSError(f"the file ended {remaining} bytes early at offset {offset}")
            self._digest.update(block)
            offset += len(block)
            remaining -= len(block)
