"""Test doubles shared by the unit and integration tests."""

from __future__ import annotations

import threading

import attrs

from jcds2.application.cancel import CancelToken
from jcds2.application.ports import RangeFetcher, RangeSink
from jcds2.domain.transfer import ByteRange


@attrs.define
class FailsOnFetch:
    """A ``RangeFetcher`` whose ``nth`` fetch (1-based; 0: none) raises ``error``; every
    other one goes to ``inner``, and ``fetched`` notes the ranges it served."""

    inner: RangeFetcher
    nth: int
    error: Exception
    fetched: list[ByteRange] = attrs.field(factory=list)
    calls: int = 0
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def size(self, url: str) -> int:
        return self.inner.size(url)

    def fetch(
        self,
        url: str,
        byte_range: ByteRange,
        sink: RangeSink,
        *,
        cancel: CancelToken | None = None,
    ) -> None:
        with self._lock:
            self.calls += 1
            fail = self.calls == self.nth
        if fail:
            raise self.error
        self.inner.fetch(url, byte_range, sink, cancel=cancel)
        with self._lock:
            self.fetched.append(byte_range)
