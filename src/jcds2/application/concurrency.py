"""Run the tasks of one transfer on a few worker threads; stop them all on the first error.

Used for upload parts and download ranges alike. The workers are daemon threads: when
the caller is interrupted, or a task fails, the others are cancelled and given a short
grace period to notice; a worker still blocked after it (say, on a server that stopped
answering) is left behind rather than holding up the caller or the interpreter's exit,
and whatever it finishes later is discarded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar, cast

from jcds2.application.cancel import CancelToken, TransferCancelledError

log = logging.getLogger("jcds2.concurrency")

_T = TypeVar("_T")

#: Seconds the workers get to stop after a cancellation before the caller moves on.
STOP_GRACE_SECONDS = 1.5
#: How often the waiting caller wakes up, so that signals are handled promptly.
_POLL_SECONDS = 0.1


class _Run(Generic[_T]):
    def __init__(self, tasks: Sequence[Callable[[], _T]], cancel: CancelToken) -> None:
        self.tasks = tasks
        self.cancel = cancel
        self.results: list[_T | None] = [None] * len(tasks)
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.next_index = 0
        self.done = threading.Event()

    def take(self) -> int | None:
        with self.lock:
            if self.cancel.cancelled or self.next_index >= len(self.tasks):
                return None
            index = self.next_index
            self.next_index += 1
            return index

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            cancelled_echo = isinstance(exc, TransferCancelledError) and self.cancel.cancelled
            if self.error is None and not cancelled_echo:
                self.error = exc
        self.cancel.cancel()

    def work(self) -> None:
        while (index := self.take()) is not None:
            try:
                self.results[index] = self.tasks[index]()
            except BaseException as exc:  # handed to the caller
                self.fail(exc)
                return


def run_all(
    tasks: Sequence[Callable[[], _T]],
    *,
    workers: int,
    cancel: CancelToken | None = None,
    name: str = "jcds2-worker",
    grace: float = STOP_GRACE_SECONDS,
) -> list[_T]:
    """Run ``tasks`` on up to ``workers`` threads and return their results in order.

    The first task to fail cancels ``cancel`` (so the others stop) and its exception is
    raised once the workers have stopped, or ``grace`` seconds after the cancellation.
    An exception in the caller while it waits (``KeyboardInterrupt``) does the same and
    then propagates. A cancellation from outside raises ``TransferCancelledError``.
    """
    token = cancel if cancel is not None else CancelToken()
    run: _Run[_T] = _Run(tasks, token)
    count = max(1, min(workers, len(tasks)))
    threads = [
        threading.Thread(target=run.work, name=f"{name}-{number}", daemon=True)
        for number in range(count)
    ]
    try:
        # Started inside the try: an interrupt between two starts must still cancel the
        # workers already running.
        for thread in threads:
            thread.start()
        while not token.cancelled and (alive := [t for t in threads if t.is_alive()]):
            alive[0].join(_POLL_SECONDS)
    except BaseException:
        token.cancel()
        _stop(threads, grace)
        raise
    if token.cancelled:
        _stop(threads, grace)
        if run.error is not None:
            raise run.error
        raise TransferCancelledError("the transfer was cancelled")
    return cast("list[_T]", run.results)


def _stop(threads: Sequence[threading.Thread], grace: float) -> None:
    """Give the (cancelled) workers ``grace`` seconds to end; leave the stuck ones behind."""
    end = time.monotonic() + grace
    for thread in threads:
        if thread.ident is not None:  # never started: nothing to wait for
            thread.join(max(0.0, end - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    if stuck:
        log.warning(
            "%d worker(s) still blocked %.1f s after the transfer stopped; left behind: %s",
            len(stuck),
            grace,
            ", ".join(stuck),
        )
