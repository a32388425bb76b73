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
    def __init__(
        self,
        tasks: Sequence[Callable[[], _T]],
        cancel: CancelToken,
        on_done: Callable[[int], object] | None = None,
    ) -> None:
        self.tasks = tasks
        self.on_done = on_done
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

    def work(self, finished: threading.Event) -> None:
        try:
            while (index := self.take()) is not None:
                try:
                    self.results[index] = self.tasks[index]()
                    if self.on_done is not None:
                        self.on_done(index)
                except BaseException as exc:  # handed to the caller
                    self.fail(exc)
                    return
        finally:
            finished.set()


def run_all(
    tasks: Sequence[Callable[[], _T]],
    *,
    workers: int,
    cancel: CancelToken | None = None,
    name: str = "jcds2-worker",
    grace: float | None = STOP_GRACE_SECONDS,
    on_done: Callable[[int], object] | None = None,
) -> list[_T]:
    """Run ``tasks`` on up to ``workers`` threads and return their results in order.

    The first task to fail cancels ``cancel`` (so the others stop) and its exception is
    raised once the workers have stopped, or ``grace`` seconds after the cancellation
    (``None``: once they have all stopped, however long their clean-up takes).
    An exception in the caller while it waits (``KeyboardInterrupt``) does the same and
    then propagates. A cancellation from outside raises ``TransferCancelledError``.
    ``on_done(index)`` runs on the worker once task ``index`` has returned (a failure
    there is the task's).
    """
    token = cancel if cancel is not None else CancelToken()
    run: _Run[_T] = _Run(tasks, token, on_done)
    count = max(1, min(workers, len(tasks)))
    # Each worker sets its own event when it ends. The caller waits on those, not on
    # Thread.join: a join interrupted by Ctrl-C can leave the thread looking finished
    # while it still runs, and the grace below would then not be given.
    finished = [threading.Event() for _ in range(count)]
    threads = [
        threading.Thread(target=run.work, args=(done,), name=f"{name}-{number}", daemon=True)
        for number, done in enumerate(finished)
    ]
    started: list[threading.Event] = []
    try:
        # Started inside the try: an interrupt between two starts must still cancel the
        # workers already running.
        for thread, done in zip(threads, finished, strict=True):
            thread.start()
            started.append(done)
        while not token.cancelled and (running := [e for e in started if not e.is_set()]):
            running[0].wait(_POLL_SECONDS)
    except BaseException:
        token.cancel()
        _stop(threads, started, grace)
        raise
    if token.cancelled:
        _stop(threads, started, grace)
        if run.error is not None:
            raise run.error
        raise TransferCancelledError("the transfer was cancelled")
    return cast("list[_T]", run.results)


def _stop(
    threads: Sequence[threading.Thread], started: Sequence[threading.Event], grace: float | None
) -> None:
    """Give the (cancelled) workers ``grace`` seconds to end; leave the stuck ones behind."""
    if grace is None:
        for done in started:
            while not done.wait(_POLL_SECONDS):
                pass  # woken often, so that a signal is handled promptly
        return
    end = time.monotonic() + grace
    for done in started:
        done.wait(max(0.0, end - time.monotonic()))
    # zip stops at the last started thread: the others never ran.
    stuck = [thread.name for thread, done in zip(threads, started) if not done.is_set()]  # noqa: B905
    if stuck:
        log.warning(
            "%d worker(s) still blocked %.1f s after the transfer stopped; left behind: %s",
            len(stuck),
            grace,
            ", ".join(stuck),
        )
