"""Test doubles shared by the unit and integration tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs

from jcds2.application.cancel import CancelToken
from jcds2.application.ports import RangeFetcher, RangeSink
from jcds2.domain.errors import DownloadError
from jcds2.domain.transfer import ByteRange


def _no_hook(call: int) -> None:
    del call


@attrs.define
class FailsOnFetch:
    """A ``RangeFetcher`` over ``inner`` that numbers its fetches (1-based) and spoils one.

    ``hook(n)`` runs before the ``n``-th fetch; the ``nth`` fetch (0: none) raises
    ``error`` instead of going to ``inner``. ``fetched`` notes the ranges it served.
    """

    inner: RangeFetcher
    nth: int = 0
    error: Exception = attrs.field(factory=lambda: DownloadError("the connection dropped"))
    hook: Callable[[int], None] = _no_hook
    fetched: list[ByteRange] = attrs.field(factory=list, init=False)
    calls: int = attrs.field(default=0, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

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
            call = self.calls
        self.hook(call)
        if call == self.nth:
            raise self.error
        self.inner.fetch(url, byte_range, sink, cancel=cancel)
        with self._lock:
            self.fetched.append(byte_range)
