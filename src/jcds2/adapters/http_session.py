"""HTTP sessions, the retry policy every jcds2 HTTP request uses, and bounded answers."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import attrs
import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, NameResolutionError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from jcds2.domain.errors import JamfApiError, ResponseTooLargeError, TlsVerificationError
from jcds2.domain.transfer import KiB, MiB, TransferConfig

#: Answers that mean the server did not act on the request, so even a POST may be repeated.
NOT_PROCESSED = frozenset({429, 503})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 120.0
USER_AGENT = "jcds2/0.1"


_R = TypeVar("_R", bound="SafeRetry")


#: What :func:`nobody_there` says of a first contact that could not begin.
NOT_RESOLVED = "the host name does not resolve"
REFUSED = "connection refused: nothing listens there"


def _causes(error: BaseException | None) -> list[BaseException]:
    """``error`` and what it came from: its cause and context, and the ``reason`` of
    urllib3's ``MaxRetryError`` (which ``requests`` wraps in its own errors)."""
    found: list[BaseException] = []
    pending: list[object] = [error]
    while pending:
        item = pending.pop(0)
        if isinstance(item, BaseException) and item not in found:
            found.append(item)
            pending += [item.__cause__, item.__context__, getattr(item, "reason", None)]
    return found


def nobody_there(error: BaseException | None) -> str | None:
    """Why a connection could not even begin, if that is what ``error`` says: the host
    name does not resolve, or the connection was refused (nothing listens at that port)."""
    for cause in _causes(error):
        if isinstance(cause, (NameResolutionError, socket.gaierror)):
            return NOT_RESOLVED
        if isinstance(cause, ConnectionRefusedError):
            return REFUSED
    return None


class SafeRetry(Retry):
    """urllib3's ``Retry`` that never repeats a POST the server may have acted on.

    429 and 503 mean "not processed", so every method is retried on them (honouring
    ``Retry-After``, capped at two minutes); 502 and 504 only for idempotent methods.

    ``answered`` (set by :func:`build_session` once its session has had any answer) makes
    a first contact fail fast: a host name that does not resolve, or a refused
    connection, before anything ever answered is a wrong URL or a server that is down,
    reported at once rather than after every retry's backoff. Once something answered,
    a refused connection (a server restarting) is retried like any failed connection.
    """

    def __init__(self, *args: Any, answered: threading.Event | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answered = answered

    def new(self: _R, **kw: Any) -> _R:
        kw.setdefault("answered", self.answered)
        return super().new(**kw)

    def increment(
        self: _R,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> _R:
        first_contact = self.answered is not None and not self.answered.is_set()
        if first_contact and error is not None and nobody_there(error) is not None:
            raise MaxRetryError(_pool, url, error) from error  # type: ignore[arg-type]
        return super().increment(method, url, response, error, _pool, _stacktrace)

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
        backoff_factor=2 * config.backoff_base,
        backoff_max=config.backoff_max,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def build_session(
    config: TransferConfig, verify: bool | str = True, retry: Retry | None = None
) -> requests.Session:
    """A ``requests.Session`` with a connection pool as large as the concurrency.

    Its first contact fails fast when nothing is there to answer (see :class:`SafeRetry`).
    """
    session = requests.Session()
    retry = retry if retry is not None else build_retry(config)
    if isinstance(retry, SafeRetry):
        answered = threading.Event()
        retry = retry.new(answered=answered)

        def heard(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            answered.set()

        session.hooks["response"].append(heard)
    adapter = HTTPAdapter(
        pool_connections=4,
        pool_maxsize=config.concurrency + 4,
        max_retries=retry,
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


#: The most a Jamf API answer may hold; larger ones are refused, not read into memory.
MAX_RESPONSE_BYTES = 64 * MiB
#: The most read of an error answer (only its explanation is wanted) or a token answer.
SMALL_BODY_BYTES = 64 * KiB
_READ_CHUNK = 64 * KiB


@attrs.frozen
class BoundedResponse:
    """An HTTP answer whose body was read with a bound (see :func:`read_bounded`).

    ``truncated`` is true when only the first bytes of a longer body were kept.
    """

    status_code: int
    headers: Mapping[str, str]
    content: bytes = attrs.field(repr=False)
    truncated: bool = False

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` if it is not (a truncated body never is)."""
        if self.truncated:
            raise ValueError("the body was truncated")
        return json.loads(self.content)

    def json_or(
        self, operation: str, not_json: str, error: type[JamfApiError] = JamfApiError
    ) -> Any:
        """The body as JSON, or ``error`` (``"{operation}: {not_json}"``) if it is not."""
        try:
            return self.json()
        except ValueError as exc:
            raise error(
                f"{operation}: {not_json}", status=self.status_code, operation=operation
            ) from exc


def read_bounded(
    response: requests.Response,
    limit: int,
    *,
    operation: str,
    host: str,
    truncate: bool = False,
) -> BoundedResponse:
    """Read the body of a streamed ``response`` (``stream=True``), at most ``limit`` bytes.

    A ``Content-Length`` above the bound is refused before anything is read; a body
    that turns out longer (a lying or chunked server) is refused as soon as it passes
    the bound. Refusing raises :class:`ResponseTooLargeError`, unless ``truncate``
    asks for the first ``limit`` bytes instead. The response is closed in every case,
    so an unread rest never goes back to the connection pool. Errors while reading
    are ``requests`` exceptions, as they would be without streaming.
    """
    status = response.status_code
    try:
        declared = response.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            if not truncate:
                raise _too_large(operation, host, limit, status, f"{int(declared)} bytes")
            declared = ""
        chunks: list[bytes] = []
        received = 0
        for chunk in response.iter_content(_READ_CHUNK):
            received += len(chunk)
            if received > limit:
                if truncate:
                    chunks.append(chunk[: len(chunk) - (received - limit)])
                    return BoundedResponse(status, response.headers, b"".join(chunks), True)
                raise _too_large(operation, host, limit, status, "more")
            chunks.append(chunk)
        return BoundedResponse(status, response.headers, b"".join(chunks), False)
    finally:
        response.close()


def _too_large(
    operation: str, host: str, limit: int, status: int, size: str
) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{operation}: {host} sent an answer larger than jcds2 reads ({size} than the "
        f"bound of {limit} bytes); it was not read",
        limit=limit,
        status=status,
        operation=operation,
    )


def _certificate_problem(exc: BaseException) -> str | None:
    """The verification error inside ``exc``'s causes and arguments, if any."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return item.verify_message or str(item)
        pending.extend([item.__cause__, item.__context__, *item.args])
        pending.append(getattr(item, "reason", None))
    return None


def tls_failure(
    exc: requests.exceptions.SSLError, host: str, operation: str
) -> TlsVerificationError:
    """The :class:`TlsVerificationError` for a TLS failure talking to ``host``."""
    problem = _certificate_problem(exc)
    what = (
        f"the TLS certificate of {host} could not be verified ({problem})"
        if problem is not None
        else f"the TLS connection to {host} failed ({type(exc).__name__})"
    )
    return TlsVerificationError(
        f"{operation}: {what}; nothing was sent. If the server's certificate comes from a "
        "private CA, give jcds2 that CA's bundle: verify='/path/to/ca.pem', or set "
        "REQUESTS_CA_BUNDLE.",
        operation=operation,
    )
