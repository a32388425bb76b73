"""One retry policy for every step that may meet a server's passing trouble.

The shape of hynek/stamina's ``retry_context``: a number of attempts, a backoff with
jitter (``TransferConfig.backoff``), and a classifier the caller passes to say which
failures are worth another attempt. Every wait is a wait on the :class:`CancelToken`,
so nothing sleeps through a cancellation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TypeVar

import attrs

from jcds2.application.cancel import CancelToken
from jcds2.domain.errors import Jcds2Error, RemoteFileNotFoundError, TransferCancelledError
from jcds2.domain.transfer import TransferConfig

log = logging.getLogger("jcds2.retry")

_T = TypeVar("_T")

#: Says whether a failure is worth another attempt.
Transient = Callable[[BaseException], bool]


def any_passing_error(error: BaseException) -> bool:
    """The use-cases' classifier: any ``Jcds2Error`` but a missing file may pass."""
    return isinstance(error, Jcds2Error) and not isinstance(error, RemoteFileNotFoundError)


@attrs.frozen
class Retrying:
    """Attempts of one operation, ``attempts`` at most, with ``backoff(n)`` seconds between.

    ``sleep`` replaces the wait in tests (a fake clock); the token is checked after it.
    """

    attempts: int
    backoff: Callable[[int], float]
    cancel: CancelToken = attrs.field(factory=CancelToken)
    sleep: Callable[[float], None] | None = None

    @classmethod
    def of(
        cls,
        config: TransferConfig,
        cancel: CancelToken | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> Retrying:
        """The policy of ``config`` (``max_attempts``, ``backoff``)."""
        return cls(config.max_attempts, config.backoff, cancel or CancelToken(), sleep)

    def tries(
        self,
        what: str,
        transient: Transient = any_passing_error,
        describe: Callable[[BaseException], str] = str,
    ) -> Iterator[Attempt]:
        """The attempts of one operation, each a context manager around one try.

        ``for attempt in retrying.tries(...): with attempt: return action()`` tries
        again after a failure ``transient`` accepts, until a try succeeds or the attempts
        run out (then the last failure propagates). Nothing is attempted once the token is
        cancelled, and a failure that ``transient`` accepts after the cancellation (a
        severed connection, say) raises ``TransferCancelledError``. ``describe`` words a
        failure for the log (an adapter passes one that keeps secrets such as signed URLs
        out). The caller's own code stays on its own stack: nothing here calls it.
        """
        number = 1
        while True:
            attempt = Attempt(self, number, what, transient, describe)
            yield attempt
            if not attempt.failed:
                return
            number += 1

    def call(
        self,
        action: Callable[[], _T],
        what: str,
        transient: Transient = any_passing_error,
        describe: Callable[[BaseException], str] = str,
    ) -> _T:
        """``action()`` through :meth:`tries`."""
        for attempt in self.tries(what, transient, describe):
            with attempt:
                return action()
        raise AssertionError("an attempt ends in a result or an exception")  # pragma: no cover

    def pause(self, seconds: float) -> None:
        """Wait ``seconds``; raise ``TransferCancelledError`` once cancelled."""
        if self.sleep is not None:
            self.sleep(seconds)
        else:
            self.cancel.wait(seconds)
        self.cancel.check()


@attrs.define
class Attempt:
    """One try of :meth:`Retrying.tries`: a failure worth another try ends it quietly."""

    retrying: Retrying
    number: int
    what: str
    transient: Transient
    describe: Callable[[BaseException], str]
    failed: bool = False

    def __enter__(self) -> Attempt:
        self.retrying.cancel.check()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if not isinstance(error, Exception) or not self.transient(error):
            return False
        if self.retrying.cancel.cancelled:
            raise TransferCancelledError(f"{self.what}: cancelled") from None
        if self.number >= self.retrying.attempts:
            return False
        delay = self.retrying.backoff(self.number)
        reason = self.describe(error) or type(error).__name__
        log.info("%s failed (%s); attempt %d in %.2f s", self.what, reason, self.number + 1, delay)
        self.retrying.pause(delay)
        self.failed = True
        return True
