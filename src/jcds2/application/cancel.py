"""Cancellation shared by the threads of one transfer.

A transfer runs on worker threads; when one of them fails, or the caller is interrupted
(``KeyboardInterrupt``, SIGTERM turned into one by the command line), the others must
stop promptly: between chunks, during a backoff wait, and, where an adapter can reach
it, in the middle of a blocking socket read.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Callable, Iterator

from jcds2.domain.errors import TransferCancelledError

__all__ = ["CancelToken", "TransferCancelledError"]

log = logging.getLogger("jcds2.cancel")


class CancelToken:
    """A one-way switch from "running" to "cancelled", with callbacks run on the switch.

    Callbacks let an adapter unblock a thread that is waiting on something only it can
    reach (for instance by shutting down the socket a worker is reading from).
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._keys = itertools.count()

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self.cancelled})"

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        """Switch to cancelled (once) and run the registered callbacks."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks = list(self._callbacks.values())
            self._callbacks.clear()
        for callback in callbacks:
            _run_quietly(callback)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return at once (``True``) when cancelled."""
        return self._event.wait(max(seconds, 0.0))

    def check(self) -> None:
        """Raise ``TransferCancelledError`` if cancelled."""
        if self._event.is_set():
            raise TransferCancelledError("the transfer was cancelled")

    @contextlib.contextmanager
    def on_cancel(self, callback: Callable[[], None]) -> Iterator[None]:
        """Run ``callback`` if the token is cancelled while the block runs (or already was)."""
        with self._lock:
            already = self._event.is_set()
            key = next(self._keys)
            if not already:
                self._callbacks[key] = callback
        if already:
            _run_quietly(callback)
        try:
            yield
        finally:
            with self._lock:
                self._callbacks.pop(key, None)


def _run_quietly(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception as exc:  # a failed unblocking attempt must not hide the real error
        log.debug("a cancellation callback failed: %s", type(exc).__name__)
