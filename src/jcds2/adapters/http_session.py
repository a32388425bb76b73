"""HTTP sessions and the retry policy every jcds2 HTTP request uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from jcds2.domain.transfer import TransferConfig

#: Answers that mean the server did not act on the request, so even a POST may be repeated.
NOT_PROCESSED = frozenset({429, 503})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 120.0
USER_AGENT = "jcds2/0.1"


class SafeRetry(Retry):
    """urllib3's ``Retry`` that never repeats a POST the server may have acted on.

    429 and 503 mean "not processed", so every method is retried on them (honouring
    ``Retry-After``, capped at two minutes); 502 and 504 only for idempotent methods.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST" and status_code not in NOT_PROCESSED:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)


def build_retry(config: TransferConfig, statuses: Iterable[int] = RETRY_STATUSES) -> SafeRetry:
    """A bounded retry policy with exponential backoff, safe for non-idempotent POSTs."""
    retries = config.max_attempts - 1  # attempts include the first one
    return SafeRetry(
        total=retries,
        connect=retries,
        read=0,  # a request whose answer was lost may have been acted on: do not repeat it
        status=retries,
        other=0,
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"POST"},
        status_forcelist=frozenset(statuses),
        backoff_factor=0.5,
        backoff_max=30,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def build_session(
    config: TransferConfig, verify: bool | str = True, retry: Retry | None = None
) -> requests.Session:
    """A ``requests.Session`` with a connection pool as large as the concurrency."""
    session = requests.Session()
    adapter = HTTPAdapter(
        pool_connections=4,
        pool_maxsize=config.concurrency + 4,
        max_retries=retry if retry is not None else build_retry(config),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.verify = verify
    session.headers["User-Agent"] = USER_AGENT
    return session


def build_connect_retry(config: TransferConfig) -> SafeRetry:
    """Retries of failed connections only, for callers that retry answers themselves."""
    retries = config.max_attempts - 1
    return SafeRetry(
        total=retries,
        connect=retries,
        read=0,
        status=0,
        other=0,
        respect_retry_after_header=False,
        raise_on_status=False,
    )
