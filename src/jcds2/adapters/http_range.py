"""HTTP range adapter: reads byte ranges of a signed download URL.

Uses its own ``requests.Session``, which never carries Jamf credentials: the signed
URL points at a CDN or S3, not at the Jamf Pro server.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import re
from collections.abc import Callable, Iterator
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from jcds2.adapters.connections import ConnectionRegistry
from jcds2.adapters.read_buffer import ThreadBuffers
from jcds2.application.cancel import CancelToken
from jcds2.application.ports import RangeSink
from jcds2.application.retry import Retrying
from jcds2.domain.errors import (
    DownloadDeadlineError,
    DownloadError,
    DownloadRedirectRefusedError,
    DownloadUrlExpiredError,
    Jcds2Error,
)
from jcds2.domain.server import check_transport_url, is_loopback_host
from jcds2.domain.text import shown
from jcds2.domain.transfer import ByteRange, MiB, TransferConfig, parse_content_range

log = logging.getLogger("jcds2.http_range")

_T = TypeVar("_T")

READ_CHUNK = 1 * MiB
#: Redirects followed for one range request before giving up.
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.RetryError,
    urllib3.exceptions.HTTPError,
)


def redact(url: str) -> str:
    """``url`` without its query: signed URLs carry credentials in the query string."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


_QUERY = re.compile(r"\?[^\s'\")]*")


def scrub(text: str) -> str:
    """``text`` with every URL query string removed (exception texts quote whole URLs)."""
    return _QUERY.sub("?…", text)


class _Transient(Exception):
    """A failure that a new attempt may not meet."""


class _DeadlineExceeded(_Transient):
    """An attempt that did not end within ``request_deadline``."""


def redirect_target(current: str, location: str) -> str:
    """The URL a redirect from ``current`` to ``location`` leads to, if jcds2 follows it.

    Only ``https`` to ``https``, or plain ``http`` from loopback to loopback; never a URL
    with user info (credentials). Anything else raises ``DownloadRedirectRefusedError``.
    """
    try:
        target = urljoin(current, location)
        parts, origin = urlsplit(target), urlsplit(current)
    except ValueError:
        raise DownloadRedirectRefusedError(
            f"the download host {redact(current)} redirected to an unreadable URL"
        ) from None
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    refused = None
    if parts.username is not None or parts.password is not None:
        refused = "it carries credentials"
    elif scheme != origin.scheme.lower():
        refused = f"it changes the scheme from {origin.scheme} to {scheme or 'none'}"
    elif scheme not in {"https", "http"} or not host:
        refused = "it is not an https URL"
    elif scheme == "http" and not (
        is_loopback_host(host) and is_loopback_host(origin.hostname or "")
    ):
        refused = "plain http is followed only from loopback to loopback"
    if refused is not None:
        where = f"{scheme}://{host}" if scheme else "a URL without a scheme"
        raise DownloadRedirectRefusedError(
            f"the download host {redact(current)} redirected to {shown(where)}, which jcds2 "
            f"does not follow: {refused}"
        )
    return target


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, (_Transient, *_TRANSIENT))


def _reason(exc: BaseException) -> str:
    return shown(scrub(str(exc))) or type(exc).__name__


class HttpRangeFetcher:
    """A :class:`~jcds2.application.ports.RangeFetcher` over HTTP with ``requests``.

    Every answer must be exactly the range asked for: status 206, a ``Content-Range``
    of the same start and end, and that many bytes. A dropped connection, a short body
    or a server error is retried up to ``config.max_attempts`` times with backoff.
    """

    def __init__(
        self, session: requests.Session, config: TransferConfig, chunk_size: int = READ_CHUNK
    ) -> None:
        self._session = session
        self._config = config
        self._timeout = (config.connect_timeout, config.read_timeout)
        self._chunk_size = chunk_size
        self._buffers = ThreadBuffers(chunk_size)
        self._connections = ConnectionRegistry()
        self._connections.install(session)

    def __repr__(self) -> str:
        return "HttpRangeFetcher()"

    def size(self, url: str) -> int:
        return self._request(url, ByteRange(0, 0), lambda answer: _size_of(answer, url))

    def fetch(
        self,
        url: str,
        byte_range: ByteRange,
        sink: RangeSink,
        *,
        cancel: CancelToken | None = None,
    ) -> None:
        self._request(
            url, byte_range, lambda answer: self._take(answer, url, byte_range, sink), cancel
        )

    def _request(
        self,
        url: str,
        byte_range: ByteRange,
        read: Callable[[requests.Response], _T],
        cancel: CancelToken | None = None,
    ) -> _T:
        """``read(answer)`` of a request for ``byte_range`` of ``url``.

        Each attempt runs within the request deadline and is severed by ``cancel``; a
        redirect is followed as :func:`redirect_target` allows, with only the range
        headers sent to every hop (the session has no credentials). Transient failures
        are tried again with backoff; what remains is a ``DownloadError`` that never
        quotes the signed URL whole.
        """
        retrying = Retrying.of(self._config, cancel)
        try:
            for attempt in retrying.tries("range request", _transient, _reason):
                with attempt, self._deadline(), self._connections.severable(cancel):
                    hop = check_transport_url(url, "the download")
                    for _ in range(MAX_REDIRECTS + 1):
                        try:
                            answer = self._session.get(
                                hop,
                                headers={
                                    "Range": byte_range.header(),
                                    "Accept-Encoding": "identity",
                                },
                                stream=True,
                                timeout=self._timeout,
                                allow_redirects=False,
                                # Per request: a session-level setting would lose to
                                # REQUESTS_CA_BUNDLE.
                                verify=self._session.verify,
                            )
                        except ValueError as exc:  # requests parses even an unfollowed Location
                            raise DownloadError(
                                f"the answer of {redact(hop)} could not be read "
                                f"({type(exc).__name__}: {shown(scrub(str(exc)))})"
                            ) from None
                        location = answer.headers.get("Location")
                        if answer.status_code not in _REDIRECTS or location is None:
                            with answer:
                                return read(answer)
                        answer.close()
                        hop = redirect_target(hop, location)
                    raise DownloadError(
                        f"the download host redirected more than {MAX_REDIRECTS} times"
                    )
        except (_Transient, *_TRANSIENT) as exc:
            # Not chained: the cause's text quotes the signed URL whole.
            kind = DownloadDeadlineError if isinstance(exc, _DeadlineExceeded) else DownloadError
            raise kind(
                f"downloading from {redact(url)} failed after {retrying.attempts} attempts: "
                f"{_reason(exc)}"
            ) from None
        except requests.RequestException as exc:
            # Not a passing failure (a URL requests cannot use, say), and never raw.
            raise DownloadError(
                f"downloading from {redact(url)} failed: {type(exc).__name__}: {_reason(exc)}"
            ) from None
        raise AssertionError("an attempt ends in a result or an exception")  # pragma: no cover

    @contextlib.contextmanager
    def _deadline(self) -> Iterator[None]:
        """A failure of an attempt that outlived ``request_deadline`` is ``_DeadlineExceeded``."""
        deadline = self._config.request_deadline
        with self._connections.deadline(deadline) as clock:
            try:
                yield
            except (_Transient, *_TRANSIENT, OSError, http.client.HTTPException) as exc:
                if not clock.expired or isinstance(exc, Jcds2Error):
                    raise
                raise _DeadlineExceeded(
                    f"the answer was not complete within the request deadline of {deadline} s"
                ) from exc

    def _take(
        self, answer: requests.Response, url: str, byte_range: ByteRange, sink: RangeSink
    ) -> None:
        """Hand the body of ``answer`` to ``sink`` if it is exactly ``byte_range``."""
        _check_status(answer, url)
        start, end, total = _content_range(answer)
        if (start, end) != (byte_range.start, byte_range.end):
            raise _Transient(
                f"asked for bytes {byte_range.start}-{byte_range.end}, got {start}-{end}"
            )
        if byte_range.total is not None and total != byte_range.total:
            # Another file (or another version of it) behind the URL: never mix them.
            raise _Transient(
                f"the answer is part of a file of {total} bytes, not {byte_range.total}"
            )
        length = answer.headers.get("Content-Length", "").strip()
        if length and (not length.isdigit() or int(length) != byte_range.length):
            raise _Transient(
                f"Content-Length {shown(length)!r} for a {byte_range.length}-byte range"
            )
        received = self._drain(answer, byte_range, sink)
        if received != byte_range.length:
            raise _Transient(f"the body ended after {received} of {byte_range.length} bytes")

    def _drain(self, response: requests.Response, byte_range: ByteRange, sink: RangeSink) -> int:
        """Hand the body to ``sink``; return the number of bytes received.

        Reads straight from the socket into one reused buffer per thread (no allocation
        per chunk); the length is checked against the range, not trusted.
        """
        body = getattr(response.raw, "_fp", None)
        if not isinstance(body, http.client.HTTPResponse) or response.raw.chunked:
            received = 0
            for chunk in response.raw.stream(self._chunk_size, decode_content=False):
                if received + len(chunk) > byte_range.length:
                    raise _Transient("the server sent more bytes than the range holds")
                sink(byte_range.start + received, memoryview(chunk))
                received += len(chunk)
            return received
        buffer = self._buffers.get()
        received = 0
        while received < byte_range.length:
            want = min(len(buffer), byte_range.length - received)
            try:
                count = body.readinto(buffer[:want])
            except (OSError, http.client.HTTPException) as exc:
                raise _Transient(f"the connection failed mid-body: {type(exc).__name__}") from exc
            if not count:
                break
            sink(byte_range.start + received, buffer[:count])
            received += count
        return received


def _check_status(answer: requests.Response, url: str) -> None:
    status = answer.status_code
    if status == 206:
        return
    where = redact(url)
    if status == 403:
        raise DownloadUrlExpiredError(f"the download URL was refused (HTTP 403): {where}")
    if status == 404:
        raise DownloadError(f"the file is no longer at its download URL (HTTP 404): {where}")
    if status == 200:
        raise _Transient(f"{where} ignored the range request and sent the whole file")
    if status in (408, 429) or status >= 500:
        raise _Transient(f"{where} answered HTTP {status}")
    raise DownloadError(f"the download server answered HTTP {status}: {where}")


def _size_of(answer: requests.Response, url: str) -> int:
    """The file's size from the answer to a request for its first byte."""
    if answer.status_code == 416:
        return _empty_object_size(answer, url)
    _check_status(answer, url)
    start, end, total = _content_range(answer)
    if total is None:
        raise DownloadError(f"{redact(url)} did not say how large the file is")
    if (start, end) != (0, 0) or total <= 0:
        raise _Transient(f"asked for bytes 0-0 of the file, got {start}-{end}/{total}")
    return total


def _content_range(response: requests.Response) -> tuple[int, int, int | None]:
    header = response.headers.get("Content-Range")
    if header is None:
        raise _Transient("a partial answer without Content-Range")
    try:
        return parse_content_range(header)
    except ValueError as exc:
        raise _Transient(f"an unreadable Content-Range: {header!r}") from exc


def _empty_object_size(response: requests.Response, url: str) -> int:
    # Only an empty object cannot satisfy bytes=0-0; its answer is "bytes */0".
    match = re.fullmatch(r"bytes \*/(\d+)", response.headers.get("Content-Range", "").strip())
    if match is None or int(match.group(1)) != 0:
        raise DownloadError(f"{redact(url)} refused the range request (HTTP 416)")
    return 0
