"""``Retrying``: the one retry policy, over a fake clock (nothing sleeps)."""

from __future__ import annotations

import pytest

from jcds2.application.cancel import CancelToken
from jcds2.application.retry import Retrying, any_passing_error
from jcds2.domain.errors import (
    JamfApiError,
    RemoteFileNotFoundError,
    ServerUnreachableError,
    TransferCancelledError,
)
from jcds2.domain.transfer import TransferConfig


class Flaky:
    """Fails with ``errors`` in turn, then returns ``"done"``."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def make(attempts: int = 3, cancel: CancelToken | None = None) -> tuple[Retrying, list[float]]:
    waits: list[float] = []
    retrying = Retrying(attempts, float, cancel or CancelToken(), waits.append)
    return retrying, waits


def test_a_passing_failure_is_tried_again_with_growing_waits() -> None:
    retrying, waits = make()
    action = Flaky(ServerUnreachableError("timed out"), JamfApiError("busy", status=503))

    assert retrying.call(action, "asking") == "done"
    assert action.calls == 3
    assert waits == [1.0, 2.0]


def test_the_last_failure_propagates_once_the_attempts_run_out() -> None:
    retrying, waits = make(attempts=2)
    action = Flaky(*(ServerUnreachableError(f"try {n}") for n in (1, 2, 3)))

    with pytest.raises(ServerUnreachableError, match="try 2"):
        retrying.call(action, "asking")
    assert action.calls == 2
    assert waits == [1.0]


def test_the_classifier_decides_what_is_worth_another_attempt() -> None:
    retrying, waits = make()
    action = Flaky(ValueError("permanent"))

    with pytest.raises(ValueError, match="permanent"):
        retrying.call(action, "asking", transient=lambda exc: isinstance(exc, OSError))
    assert action.calls == 1
    assert waits == []


def test_a_missing_file_is_no_passing_failure() -> None:
    assert any_passing_error(ServerUnreachableError("timed out"))
    assert not any_passing_error(RemoteFileNotFoundError("Tool.pkg"))
    assert not any_passing_error(ValueError("not a jcds2 error"))


def test_nothing_is_attempted_once_cancelled() -> None:
    cancel = CancelToken()
    cancel.cancel()
    retrying, _ = make(cancel=cancel)
    action = Flaky()

    with pytest.raises(TransferCancelledError):
        retrying.call(action, "asking")
    assert action.calls == 0


def test_a_failure_after_a_cancellation_is_a_cancellation() -> None:
    cancel = CancelToken()
    retrying, waits = make(cancel=cancel)

    def severed() -> str:
        cancel.cancel()  # as when a cancelled transfer shuts its socket down
        raise ServerUnreachableError("connection reset")

    with pytest.raises(TransferCancelledError):
        retrying.call(severed, "asking")
    assert waits == []


def test_a_cancel_during_the_wait_stops_the_retries() -> None:
    cancel = CancelToken()
    calls: list[int] = []

    def cancel_while_waiting(seconds: float) -> None:
        cancel.cancel()

    retrying = Retrying(3, lambda n: 1.0, cancel, cancel_while_waiting)

    def failing() -> str:
        calls.append(1)
        raise ServerUnreachableError("timed out")

    with pytest.raises(TransferCancelledError):
        retrying.call(failing, "asking")
    assert calls == [1]


def test_the_real_wait_ends_at_once_when_the_token_is_cancelled() -> None:
    cancel = CancelToken()
    cancel.cancel()
    retrying = Retrying(3, lambda n: 3600.0, cancel)

    with pytest.raises(TransferCancelledError):
        retrying.pause(3600.0)  # would take an hour if it slept through the cancel


def test_the_policy_of_a_transfer_config() -> None:
    config = TransferConfig(max_attempts=4, backoff_base=0)
    retrying = Retrying.of(config)

    assert retrying.attempts == 4
    assert retrying.backoff(3) == 0


def test_the_log_never_sees_what_describe_leaves_out(caplog: pytest.LogCaptureFixture) -> None:
    retrying, _ = make()
    action = Flaky(ServerUnreachableError("https://cdn.example/file?Signature=SECRET"))

    with caplog.at_level("INFO", logger="jcds2.retry"):
        retrying.call(action, "range request", describe=lambda exc: "reset")
    assert "SECRET" not in caplog.text
    assert "range request failed (reset); attempt 2" in caplog.text


def test_tries_is_the_same_policy_as_a_loop_of_attempts() -> None:
    retrying, waits = make()
    action = Flaky(ServerUnreachableError("timed out"), JamfApiError("busy", status=503))
    numbers: list[int] = []

    def attempt_once() -> str:
        for attempt in retrying.tries("asking"):
            numbers.append(attempt.number)
            with attempt:
                return action()
        raise AssertionError("the loop ended without a result")

    assert attempt_once() == "done"
    assert numbers == [1, 2, 3]
    assert waits == [1.0, 2.0]


def test_tries_lets_a_failure_it_does_not_retry_through_at_once() -> None:
    retrying, waits = make()
    action = Flaky(ValueError("permanent"))

    def attempt_once() -> str:
        for attempt in retrying.tries("asking"):
            with attempt:
                return action()
        raise AssertionError("the loop ended without a result")

    with pytest.raises(ValueError, match="permanent"):
        attempt_once()
    assert action.calls == 1
    assert waits == []


def test_tries_ends_after_an_attempt_that_succeeds_without_returning() -> None:
    retrying, _ = make()
    ran = [attempt.number for attempt in retrying.tries("asking") if not attempt.failed]

    assert ran == [1]
