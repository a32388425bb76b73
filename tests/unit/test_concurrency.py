"""run_all and CancelToken: results in order, the first error wins, stuck workers are left."""

from __future__ import annotations

import _thread
import functools
import threading
import time

import pytest

from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.application.concurrency import run_all
from jcds2.domain.errors import Jcds2Error, TransferError


def test_results_come_back_in_task_order() -> None:
    def task(number: int) -> int:
        time.sleep(0.002 * (10 - number))  # later tasks finish first
        return number * number

    tasks = [lambda number=number: task(number) for number in range(10)]

    assert run_all(tasks, workers=4) == [number * number for number in range(10)]


def test_no_tasks_is_an_empty_result() -> None:
    assert run_all([], workers=4) == []


def test_the_first_error_cancels_the_others_and_is_raised() -> None:
    cancel = CancelToken()
    started = threading.Event()
    stopped: list[str] = []

    def slow() -> None:
        started.set()
        if cancel.wait(10):
            stopped.append("noticed")
            cancel.check()

    def failing() -> None:
        started.wait(5)
        raise ValueError("part 2 failed")

    begun = time.monotonic()
    with pytest.raises(ValueError, match="part 2 failed"):
        run_all([slow, failing], workers=2, cancel=cancel)

    assert time.monotonic() - begun < 5
    assert stopped == ["noticed"]
    assert cancel.cancelled


def test_a_cancellation_from_outside_stops_the_workers() -> None:
    cancel = CancelToken()
    noticed = threading.Event()

    def worker() -> None:
        cancel.wait(10)
        noticed.set()

    timer = threading.Timer(0.2, cancel.cancel)
    timer.start()
    with pytest.raises(TransferCancelledError):
        run_all([worker, worker], workers=2, cancel=cancel)
    timer.join()
    assert noticed.wait(1)


def test_ctrl_c_in_the_caller_stops_the_workers_within_the_grace_and_propagates() -> None:
    cancel = CancelToken()
    ended: list[str] = []

    def worker() -> None:
        cancel.wait(30)
        ended.append(threading.current_thread().name)

    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    begun = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_all([worker] * 3, workers=3, cancel=cancel, name="probe")
    timer.join()

    assert time.monotonic() - begun < 2
    assert cancel.cancelled
    assert sorted(ended) == ["probe-0", "probe-1", "probe-2"]
    # Each worker has signalled its end; the thread itself exits a moment later.
    probes = [t for t in threading.enumerate() if t.name.startswith("probe-")]
    for probe in probes:
        probe.join(1)
    assert not [t for t in probes if t.is_alive()]


def test_a_stuck_worker_is_left_behind_after_the_grace_period() -> None:
    release = threading.Event()

    def stuck() -> None:
        release.wait(30)  # ignores the cancellation, like a blocked socket read

    def failing() -> None:
        raise RuntimeError("boom")

    begun = time.monotonic()
    with pytest.raises(RuntimeError, match="boom"):
        run_all([stuck, failing], workers=2, grace=0.3)
    elapsed = time.monotonic() - begun
    release.set()

    assert 0.3 <= elapsed < 2


def test_cancel_callbacks_run_once_and_only_while_registered() -> None:
    cancel = CancelToken()
    calls: list[str] = []
    with cancel.on_cancel(lambda: calls.append("inside")):
        pass
    with cancel.on_cancel(lambda: calls.append("registered")):
        cancel.cancel()
        cancel.cancel()
    with cancel.on_cancel(lambda: calls.append("late")):
        pass

    assert calls == ["registered", "late"]


def test_a_failing_callback_does_not_stop_the_cancellation() -> None:
    cancel = CancelToken()

    def broken() -> None:
        raise OSError("socket already closed")

    with cancel.on_cancel(broken):
        cancel.cancel()

    assert cancel.cancelled
    assert cancel.wait(5) is True


def test_cancelled_is_a_typed_transfer_error() -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(TransferError) as caught:
        cancel.check()
    assert isinstance(caught.value, Jcds2Error)


def test_an_interrupt_while_the_workers_start_cancels_those_already_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cancel = CancelToken()
    ended: list[str] = []
    started: list[str] = []

    class InterruptedOnTheSecondStart(threading.Thread):
        def start(self) -> None:
            if started:
                raise KeyboardInterrupt  # Ctrl-C between two starts
            started.append(self.name)
            super().start()

    def worker() -> None:
        cancel.wait(30)
        ended.append(threading.current_thread().name)

    monkeypatch.setattr(threading, "Thread", InterruptedOnTheSecondStart)
    with pytest.raises(KeyboardInterrupt):
        run_all([worker] * 3, workers=3, cancel=cancel, name="starting")

    assert cancel.cancelled
    assert ended == ["starting-0"]


def test_on_done_hears_of_each_task_once_it_has_returned() -> None:
    done: list[int] = []
    lock = threading.Lock()

    def note(index: int) -> None:
        with lock:
            done.append(index)

    tasks = [functools.partial(int, str(n * 10)) for n in range(5)]
    results = run_all(tasks, workers=3, on_done=note)

    assert results == [0, 10, 20, 30, 40]
    assert sorted(done) == [0, 1, 2, 3, 4]


def test_a_failing_on_done_fails_the_run_like_its_task() -> None:
    def refuse(index: int) -> None:
        raise TransferError(f"could not record task {index}")

    with pytest.raises(TransferError, match="could not record task 0"):
        run_all([lambda: 1], workers=1, on_done=refuse)
