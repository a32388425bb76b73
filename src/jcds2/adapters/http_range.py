"""HTTP range adapter: reads byte ranges of a signed download URL.

Uses its own ``requests.Session``, which never carries Jamf credentials: the signed
URL points at a CDN or S3, not at the Jamf Pro server.
"""

from __future__ import annotations

import http.client
import logging
import re
import threading
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from jcds2.adapters.connections import ConnectionRegistry
from jcds2.application.cancel import CancelToken
from jcds2.application.ports import RangeSink
from jcds2.application.retry import Retrying
from jcds2.domain.errors import DownloadError, DownloadUrlExpiredError
from jcds2.domain.transfer import ByteRange, MiB, TransferConfig, parse_content_range

log = logging.getLogger("jcds2.http_range")

_T = TypeVar("_T")

READ_CHUNK = 1 * MiB
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


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, (_Transient, *_TRANSIENT))


def _reason(exc: BaseException) -> str:
    return scrub(str(exc)) or type(exc).__name__


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
        self._local = threading.local()
        self._connections = ConnectionRegistry()
        self._connections.install(session)

    def __repr__(self) -> str:
        return "HttpRangeFetcher()"

    def _get(self, url: str, byte_range: ByteRange) -> requests.Response:
        return self._session.get(
            url,
            headers={"Range": byte_range.header(), "Accept-Encoding": "identity"},
            stream=True,
            timeout=self._timeout,
            # Given per request: a session-level setting would lose to REQUESTS_CA_BUNDLE.
            verify=self._session.verify,
        )

    @staticmethod
    def _check_status(response: requests.Response, url: str) -> None:
        status = response.status_code
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

    def size(self, url: str) -> int:
        return self._retrying(url, lambda: self._size_once(url), None)

    def fetch(
        self,
        url: str,
        byte_range: ByteRange,
        sink: RangeSink,
        *,
        cancel: CancelToken | None = None,
    ) -> None:
        self._retrying(url, lambda: self._fetch_once(url, byte_range, sink, cancel), cancel)

    def _retrying(self, url: str, attempt_once: Callable[[], _T], cancel: CancelToken | None) -> _T:
        """``attempt_once()``, repeated with backoff while it fails transiently."""
        retrying = Retrying.of(self._config, cancel)
        try:
            return retrying.call(attempt_once, "range request", _transient, _reason)
        except (_Transient, *_TRANSIENT) as exc:
            # Not chained: the cause's text quotes the signed URL whole.
            raise DownloadError(
                f"downloading from {redact(url)} failed after {retrying.attempts} attempts: "
                f"{_reason(exc)}"
            ) from None

    def _size_once(self, url: str) -> int:
        with self._get(url, ByteRange(0, 0)) as response:
            if response.status_code == 416:
                return _empty_object_size(response, url)
            self._check_status(response, url)
            _, _, total = _content_range(response)
            if total is None:
                raise DownloadError(f"{redact(url)} did not say how large the file is")
            return total

    def _fetch_once(
        self, url: str, byte_range: ByteRange, sink: RangeSink, cancel: CancelToken | None
    ) -> None:
        with self._connections.severable(cancel), self._get(url, byte_range) as response:
            self._check_status(response, url)
            start, end, _ = _content_range(response)
            if (start, end) != (byte_range.start, byte_range.end):
                raise _Transient(
                    f"asked for bytes {byte_range.start}-{byte_range.end}, got {start}-{end}"
                )
            length = response.headers.get("Content-Length")
            if length is not None and int(length) != byte_range.length:
                raise _Transient(f"Content-Length {length} for a {byte_range.length}-byte range")
            received = self._drain(response, byte_range, sink)
            if received != byte_range.length:
                raise _Transient(f"the body ended after {received} of {byte_range.length} bytes")

    def _buffer(self) -> memoryview:
        buffer: memoryview | None = getattr(self._local, "buffer", None)
        if buffer is None:
            buffer = memoryview(bytearray(self._chunk_size))
            self._local.buffer = buffer
        return buffer

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
        buffer = self._buffer()
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
