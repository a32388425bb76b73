"""One retry policy for every step that may meet a server's passing trouble.

The shape of hynek/stamina's ``retry_context``: a number of attempts, a backoff with
jitter (``TransferConfig.backoff``), and a classifier the caller passes to say which
failures are worth another attempt. Every wait is a wait on the :class:`CancelToken`,
so nothing sleeps through a cancellation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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

    def call(
        self,
        action: Callable[[], _T],
        what: str,
        transient: Transient = any_passing_error,
        describe: Callable[[BaseException], str] = str,
    ) -> _T:
        """``action()``, again after a failure ``transient`` accepts, until it succeeds or
        the attempts run out (then its last exception propagates).

        Nothing is attempted once the token is cancelled, and a failure that ``transient``
        accepts after the cancellation (a severed connection, say) raises
        ``TransferCancelledError``. ``describe`` words a failure for the log (an adapter
        passes one that keeps secrets such as signed URLs out).
        """
        attempt = 1
        while True:
            self.cancel.check()
            try:
                return action()
            except Exception as exc:
                if not transient(exc):
                    raise
                if self.cancel.cancelled:
                    raise TransferCancelledError(f"{what}: cancelled") from None
                if attempt >= self.attempts:
                    raise
                delay = self.backoff(attempt)
                reason = describe(exc) or type(exc).__name__
                log.info("%s failed (%s); attempt %d in %.2f s", what, reason, attempt + 1, delay)
                self.pause(delay)
                attempt += 1

    def pause(self, seconds: float) -> None:
        """Wait ``seconds``; raise ``TransferCancelledError`` once cancelled."""
        if self.sleep is not None:
            self.sleep(seconds)
        else:
            self.cancel.wait(seconds)
        self.cancel.check()
