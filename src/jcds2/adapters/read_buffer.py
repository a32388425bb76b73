"""One reusable read buffer per thread, shared by the range fetchers."""

from __future__ import annotations

import threading


class ThreadBuffers:
    """A buffer of ``size`` bytes for each thread that asks, made once and reused.

    A range is read straight into it (``readinto``) and handed on as a view, so a
    download allocates nothing per chunk; one per thread, since ranges are read on
    several threads at once.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._local = threading.local()

    def get(self) -> memoryview:
        """This thread's buffer."""
        buffer: memoryview | None = getattr(self._local, "buffer", None)
        if buffer is None:
            buffer = memoryview(bytearray(self.size))
            self._local.buffer = buffer
        return buffer
