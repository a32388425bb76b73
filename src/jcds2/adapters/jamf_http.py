"""One authenticated HTTP connection to a Jamf Pro server, shared by the API adapters.

Owns the bearer token: fetched on first use, refreshed before it expires (one refresh
at a time, however many threads are waiting), sent only to the Jamf Pro server
(redirects are never followed, so the token cannot leak to another host).

Every request passes the session's ``verify`` explicitly, because ``requests`` lets
``REQUESTS_CA_BUNDLE`` override a session-level setting; and every answer is streamed
and read with a bound, so a huge or endless answer is refused instead of filling memory.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import requests

from jcds2.adapters.connections import ConnectionRegistry, Deadline
from jcds2.adapters.http_session import (
    MAX_RESPONSE_BYTES,
    SMALL_BODY_BYTES,
    BoundedResponse,
    build_retry,
    build_session,
    nobody_there,
    read_bounded,
    tls_failure,
)
from jcds2.adapters.jamf_auth import AccessToken, CredentialsProvider
from jcds2.domain.errors import (
    AuthenticationError,
    JamfApiError,
    PermissionDeniedError,
    RedirectRefusedError,
    RequestDeadlineError,
    ServerUnreachableError,
)
from jcds2.domain.server import JamfServer
from jcds2.domain.text import shown
from jcds2.domain.transfer import TransferConfig

__all__ = ["BoundedResponse", "JamfHttpClient", "build_retry", "build_session", "error_detail"]

log = logging.getLogger("jcds2.http")

_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def error_detail(response: BoundedResponse, limit: int = 300) -> str:
    """The server's own explanation of an error, from Pro API JSON or Classic API HTML,
    with control and bidirectional characters escaped (see :func:`shown`)."""
    return shown(_error_detail(response, limit))


def _error_detail(response: BoundedResponse, limit: int) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):
            texts = [
                str(item.get("description") or item.get("code"))
                for item in errors
                if isinstance(item, dict) and (item.get("description") or item.get("code"))
            ]
            if texts:
                return "; ".join(texts)[:limit]
        for key in ("error_description", "error", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])[:limit]
    text = response.text
    paragraphs = re.findall(r"<p[^>]*>(.*?)</p>", text, flags=re.I | re.S)
    if paragraphs:
        text = " ".join(paragraphs)
    return _SPACES.sub(" ", _TAGS.sub(" ", text)).strip()[:limit]


#: The most times one request is sent because of 401s: the first send, one with a renewed
#: token, and up to two more when other threads had already replaced the token it carried.
MAX_SENDS_AFTER_401 = 4


def _position(stream: IO[bytes] | None) -> int | None:
    """Where a request body stream starts, or ``None`` if it cannot be rewound."""
    if stream is None:
        return 0
    try:
        return stream.tell() if stream.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


class JamfHttpClient:
    """Authenticated requests to one Jamf Pro server (Pro and Classic API alike)."""

    def __init__(
        self,
        session: requests.Session,
        server: JamfServer,
        credentials: CredentialsProvider,
        config: TransferConfig,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.session = session
        self.server = server
        self.config = config
        self._credentials = credentials
        self._timeout = (config.connect_timeout, config.read_timeout)
        self._connections = ConnectionRegistry()
        self._connections.install(session)
        self._max_response_bytes = max_response_bytes
        self._token: AccessToken | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"JamfHttpClient(server={self.server.base_url!r})"

    # --- tokens -----------------------------------------------------------------------

    @staticmethod
    def _refresh_margin(token: AccessToken) -> float:
        # Refresh in the last quarter of the token's life (at most a minute before it
        # ends): early enough to beat expiry, late enough that even a token living only
        # seconds is renewed once per lifetime, not on every request.
        return min(60.0, token.lifetime * 0.25)

    def token(self) -> AccessToken:
        """A token valid for a while yet; refreshes it (once, under a lock) if needed."""
        with self._lock:
            current = self._token
            if current is not None and current.seconds_left() > self._refresh_margin(current):
                return current
            with self._deadline("requesting a bearer token"):
                if current is None:
                    log.debug("requesting a bearer token from %s", self.server.host)
                    fresh = self._credentials.request_token(
                        self.session, self.server, self._timeout
                    )
                else:
                    log.debug("refreshing the bearer token for %s", self.server.host)
                    fresh = self._credentials.refresh_token(
                        self.session, self.server, self._timeout, current
                    )
            self._token = fresh
            return fresh

    def _after_401(self, token: AccessToken, renewed: bool) -> bool | None:
        """What to do after the server refused ``token`` with a 401 (one decision, locked).

        ``None``: give up (the request already had its token renewed, and the server
        refused the current one again). Otherwise send the request again, and the value is
        whether it has now had its token renewed: a token another thread has already
        replaced explains its own 401 (the server revoked it, or a keep-alive ended it) and
        is not charged to the request; a 401 on the current token is, and that token is
        dropped so that the next :meth:`token` fetches a fresh one (once, for every thread).
        """
        with self._lock:
            if self._token is not token:
                return renewed
            self._token = None
            return None if renewed else True

    def invalidate(self) -> None:
        """Tell the server to end the current token (best effort) and forget it."""
        with self._lock:
            token, self._token = self._token, None
        if token is None or token.seconds_left() <= 0:
            return
        try:
            with self._deadline("invalidating the token"):
                response = self.session.post(
                    self.server.url("/api/v1/auth/invalidate-token"),
                    headers={"Authorization": f"Bearer {token.value}"},
                    timeout=self._timeout,
                    allow_redirects=False,
                    verify=self.session.verify,
                    stream=True,
                )
                response.close()  # the answer does not matter; do not read it
        except (requests.RequestException, RequestDeadlineError):
            log.debug("could not invalidate the token; it will expire by itself")

    # --- requests -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _deadline(self, operation: str, bounded: bool = True) -> Iterator[None]:
        """Bound the block by ``request_deadline``: a request still unanswered then has its
        connection severed, and the block raises ``RequestDeadlineError``, whatever it
        made of the answer cut short (an error, or headers cut off that read as an empty
        answer)."""
        if not bounded:
            yield
            return
        seconds = self.config.request_deadline
        clock: Deadline
        with self._connections.deadline(seconds) as clock:
            try:
                yield
            except (JamfApiError, requests.RequestException, OSError) as exc:
                if not clock.expired or isinstance(exc, RequestDeadlineError):
                    raise  # not the deadline's doing, or already said (a token request's)
                raise self._too_slow(operation, seconds) from exc
            if clock.expired:
                raise self._too_slow(operation, seconds)

    def _too_slow(self, operation: str, seconds: float) -> RequestDeadlineError:
        return RequestDeadlineError(
            f"{operation}: {self.server.host} did not answer in full within the request "
            f"deadline of {seconds} s",
            operation=operation,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        allow: Iterable[int] = (),
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: bytes | str | IO[bytes] | None = None,
    ) -> BoundedResponse:
        """Send an authenticated request and return a successful (2xx) answer.

        Statuses in ``allow`` are returned too, for the caller to interpret (their body
        is cut at 64 KiB, like every error body). Any other answer raises the matching
        ``JamfApiError``; so does a lost connection, a TLS certificate that cannot be
        verified (``TlsVerificationError``), a redirect (``RedirectRefusedError``) and a
        body above ``max_response_bytes`` (``ResponseTooLargeError``).

        A 401 means the token expired or was revoked after it was handed out (a 60 s
        API-client token can end while a request waits or a long upload streams): the
        request gets a fresh token and is sent once more, and a 401 on that fresh token
        raises ``AuthenticationError``. A token another thread has already replaced
        explains its own 401, so the request just goes again with the current one (at
        most ``MAX_SENDS_AFTER_401`` sends in all). One thread fetches the fresh token
        while the others wait for it.

        ``data`` may be a seekable stream; it is rewound to where it started before the
        request is sent again. A stream that cannot be rewound is never sent twice: its
        401 raises ``AuthenticationError``.
        """
        url = self.server.url(path)
        allowed = set(allow)
        stream = data if data is not None and not isinstance(data, (bytes, str)) else None
        start = _position(stream)
        rewindable = start is not None
        renewed = False  # whether a 401 on the current token already renewed it for this request
        sends = 0
        # A streamed body (an upload) takes as long as the file is large: no deadline.
        with self._deadline(operation, bounded=stream is None):
            while True:
                sends += 1
                if stream is not None and sends > 1:
                    assert start is not None
                    stream.seek(start)
                token = self.token()
                request_headers = {"Accept": "application/json", **(headers or {})}
                request_headers["Authorization"] = f"Bearer {token.value}"
                started = time.monotonic()
                try:
                    response = self.session.request(
                        method,
                        url,
                        params=params,
                        headers=request_headers,
                        json=json,
                        data=data,
                        timeout=self._timeout,
                        allow_redirects=False,
                        # Explicit, or REQUESTS_CA_BUNDLE would override a CA bundle or False.
                        verify=self.session.verify,
                        stream=True,
                    )
                except requests.exceptions.SSLError as exc:
                    raise tls_failure(exc, self.server.host, operation) from exc
                except requests.Timeout as exc:
                    raise ServerUnreachableError(
                        f"{operation}: {self.server.host} did not answer in time",
                        operation=operation,
                    ) from exc
                except requests.RequestException as exc:
                    reason = nobody_there(exc) or type(exc).__name__
                    raise ServerUnreachableError(
                        f"{operation}: cannot reach {self.server.host} ({reason})",
                        operation=operation,
                    ) from exc
                log.debug(
                    "%s %s -> %s in %.3f s",
                    method,
                    path,
                    response.status_code,
                    time.monotonic() - started,
                )
                if response.status_code == 401 and rewindable and sends < MAX_SENDS_AFTER_401:
                    verdict = self._after_401(token, renewed)
                    if verdict is not None:
                        response.close()
                        renewed = verdict
                        continue
                break
            status = response.status_code
            answer = self._read(response, operation, error=not 200 <= status < 300)
        if 200 <= status < 300 or status in allowed:
            return answer
        if 300 <= status < 400:
            raise RedirectRefusedError(
                f"{operation}: {self.server.host} redirected the request (HTTP {status}); "
                "jcds2 does not follow redirects with credentials. Use the final server URL.",
                status=status,
                operation=operation,
            )
        detail = error_detail(answer)
        suffix = f": {detail}" if detail else ""
        if status == 401:
            again = " again, with a fresh token" if sends > 1 else ""
            raise AuthenticationError(
                f"{operation}: {self.server.host} refused the credentials{again} "
                f"(HTTP 401){suffix}",
                status=status,
                operation=operation,
            )
        if status == 403:
            raise PermissionDeniedError(
                f"{operation}: the account lacks a privilege for this (HTTP 403){suffix}. "
                "Check its Jamf Pro privileges (packages, Jamf Cloud Distribution Service Files).",
                status=status,
                operation=operation,
            )
        raise JamfApiError(
            f"{operation}: {self.server.host} answered HTTP {status}{suffix}",
            status=status,
            operation=operation,
        )

    def _read(self, response: requests.Response, operation: str, *, error: bool) -> BoundedResponse:
        # An error answer is read only for its explanation: its first 64 KiB will do.
        try:
            return read_bounded(
                response,
                SMALL_BODY_BYTES if error else self._max_response_bytes,
                operation=operation,
                host=self.server.host,
                truncate=error,
            )
        except requests.RequestException as exc:
            raise ServerUnreachableError(
                f"{operation}: the answer from {self.server.host} broke off ({type(exc).__name__})",
                operation=operation,
            ) from exc

    def json(self, response: BoundedResponse, operation: str) -> Any:
        """The JSON body of ``response``, or a ``JamfApiError`` saying it is not JSON."""
        return response.json_or(operation, f"{self.server.host} did not answer with JSON")
