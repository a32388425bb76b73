"""Servers that lie or never stop, over real HTTP on loopback: redirects to other schemes,
ranges of two files, answers that trickle for ever, searches that never end, plain http
off loopback, and error text that would drive a terminal."""

from __future__ import annotations

import http.server
import json
import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
import requests

from jcds2 import JamfProClient, TransferConfig
from jcds2.adapters.http_range import HttpRangeFetcher
from jcds2.adapters.http_session import build_connect_retry, build_session
from jcds2.adapters.jamf_auth import BasicAuthProvider
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_models import SEARCH_PAGE_SIZE, find_package
from jcds2.adapters.s3 import S3ObjectUploader
from jcds2.application.download import DownloadFile
from jcds2.domain.models import LocalFile, RemoteFile, UploadTicket
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import ByteRange
from jcds2.emulator import JamfEmulator
from jcds2.errors import (
    DownloadDeadlineError,
    DownloadError,
    DownloadRedirectRefusedError,
    InsecureUrlError,
    JamfApiError,
    Jcds2Error,
    RequestDeadlineError,
    TooManyPagesError,
)
from tests.helpers import (
    Handler,
    answer,
    make_certificates,
    recording_server,
    serve_ranges,
    tiny_server,
    tls_proxy,
)

TOKEN = b'{"token": "t", "expires": "2099-01-01T00:00:00.000Z"}'
JSON = {"Content-Type": "application/json"}
DATA = random.Random(14).randbytes(3000)


def quick(**changes: Any) -> TransferConfig:
    """A configuration that gives up fast: one attempt, short timeouts."""
    values: dict[str, Any] = {
        "max_attempts": 1,
        "connect_timeout": 5.0,
        "read_timeout": 5.0,
        "backoff_base": 0.0,
        "range_size": 1000,
        "concurrency": 2,
    }
    return TransferConfig(**(values | changes))


@contextmanager
def range_fetcher(config: TransferConfig) -> Iterator[HttpRangeFetcher]:
    session = build_session(config, retry=build_connect_retry(config))
    try:
        yield HttpRangeFetcher(session, config)
    finally:
        session.close()


def collect(fetcher: HttpRangeFetcher, url: str, byte_range: ByteRange) -> bytes:
    received = bytearray(byte_range.length)

    def sink(offset: int, data: memoryview) -> None:
        received[offset - byte_range.start : offset - byte_range.start + len(data)] = data

    fetcher.fetch(url, byte_range, sink)
    return bytes(received)


def redirecting_to(location: str) -> Handler:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        answer(handler, 302, headers={"Location": location})

    return handle


# -- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "ftp://127.0.0.1/Firefox.pkg",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/1",
        "jcds2-unknown:whatever",
        "//[::1",
    ],
)
def test_a_redirect_to_another_scheme_is_a_typed_error(location: str) -> None:
    with (
        tiny_server(redirecting_to(location)) as (url, seen),
        range_fetcher(quick()) as fetcher,
        pytest.raises(DownloadError) as raised,
    ):
        collect(fetcher, f"{url}/file.pkg?signature=secret", ByteRange(0, 9))
    assert isinstance(raised.value, Jcds2Error)
    assert "secret" not in str(raised.value)
    assert len(seen) == 1


def test_a_redirect_from_https_to_plain_http_is_not_followed(tmp_path: Path) -> None:
    certificates = make_certificates(tmp_path / "tls")
    with (
        recording_server(lambda handler: serve_ranges(handler, DATA)) as (target, reached),
        tiny_server(redirecting_to(f"{target}/file.pkg")) as (backend, _),
        tls_proxy(backend, certificates) as front,
    ):
        config = quick()
        session = build_session(config, str(certificates.ca), retry=build_connect_retry(config))
        with session, pytest.raises(DownloadRedirectRefusedError, match="scheme"):
            collect(HttpRangeFetcher(session, config), f"{front}/file.pkg", ByteRange(0, 9))
    assert reached == []


def test_a_redirect_carrying_credentials_is_not_followed() -> None:
    with (
        recording_server(lambda handler: serve_ranges(handler, DATA)) as (target, reached),
        tiny_server(redirecting_to(target.replace("http://", "http://user:pass@") + "/f")) as (
            url,
            _,
        ),
        range_fetcher(quick()) as fetcher,
        pytest.raises(DownloadRedirectRefusedError, match="credentials"),
    ):
        collect(fetcher, f"{url}/file.pkg", ByteRange(0, 9))
    assert reached == []


def test_a_loopback_redirect_is_followed_with_the_range_headers_only() -> None:
    with (
        recording_server(lambda handler: serve_ranges(handler, DATA)) as (target, reached),
        tiny_server(redirecting_to(f"{target}/file.pkg")) as (url, _),
        range_fetcher(quick()) as fetcher,
    ):
        assert collect(fetcher, f"{url}/file.pkg", ByteRange(10, 19)) == DATA[10:20]
    assert len(reached) == 1
    assert "authorization" not in reached[0].lower()


# -- ranges of two files --------------------------------------------------------------------


@attrs.define
class ListedFile:
    """A file store that lists one file and hands out one download URL."""

    remote: RemoteFile
    url: str

    def list_files(self) -> list[RemoteFile]:
        return [self.remote]

    def download_url(self, file_name: str) -> str:
        return self.url


def two_files_mixed(first: bytes, second: bytes) -> Handler:
    """A download host that serves odd ranges of ``second``, the rest of ``first``."""

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", handler.headers.get("Range", ""))
        assert match is not None
        start, end = int(match.group(1)), int(match.group(2))
        data = second if (start // 1000) % 2 else first
        headers = {"Content-Range": f"bytes {start}-{end}/{len(data)}"}
        answer(handler, 206, data[start : end + 1], headers)

    return handle


@pytest.mark.parametrize("listed", [True, False], ids=["listed-size", "not-listed"])
def test_ranges_of_files_of_another_size_are_never_mixed(tmp_path: Path, listed: bool) -> None:
    other = random.Random(15).randbytes(len(DATA) + 500)
    with (
        tiny_server(two_files_mixed(DATA, other)) as (url, _),
        range_fetcher(quick()) as fetcher,
    ):
        remote = RemoteFile("mixed.pkg", len(DATA))  # no MD5, as a file share lists
        files = ListedFile(remote, f"{url}/mixed.pkg") if listed else Unlisted(f"{url}/m.pkg")
        download = DownloadFile(files, fetcher, quick())  # type: ignore[arg-type]
        with pytest.raises(DownloadError, match="not 3000"):
            download("mixed.pkg", tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == []


@attrs.define
class Unlisted:
    """A file store whose list does not hold the file it hands a URL for."""

    url: str

    def list_files(self) -> list[RemoteFile]:
        return []

    def download_url(self, file_name: str) -> str:
        return self.url


def test_a_range_whose_total_differs_from_the_listed_size_is_refused() -> None:
    with (
        tiny_server(lambda handler: serve_ranges(handler, DATA)) as (url, _),
        range_fetcher(quick()) as fetcher,
    ):
        assert collect(fetcher, url, ByteRange(0, 9, total=len(DATA))) == DATA[:10]
        with pytest.raises(DownloadError, match="a file of 3000 bytes, not 3001"):
            collect(fetcher, url, ByteRange(0, 9, total=len(DATA) + 1))


# -- answers that never end -----------------------------------------------------------------


@attrs.define
class Drip:
    """A handler that sends its answer one byte at a time, each well within the read
    timeout, until it has sent ``limit`` bytes or the client has gone."""

    body: bytes
    headers_first: bool = True
    pace: float = 0.02
    client_left: threading.Event = attrs.field(factory=threading.Event)
    finished: threading.Event = attrs.field(factory=threading.Event)

    def send(self, handler: http.server.BaseHTTPRequestHandler, head: bytes) -> None:
        paced = threading.Event()  # never set: only paces the drip, nothing waits on it
        try:
            if self.headers_first:
                handler.wfile.write(head)
                handler.wfile.flush()
                payload = self.body
            else:
                payload = head + self.body
            for index in range(len(payload)):
                handler.wfile.write(payload[index : index + 1])
                handler.wfile.flush()
                paced.wait(self.pace)
        except OSError:
            self.client_left.set()
        finally:
            handler.close_connection = True
            self.finished.set()


def dripping_range_host(drip: Drip) -> Handler:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        length = len(drip.body)
        head = (
            f"HTTP/1.1 206 Partial Content\r\nContent-Length: {length}\r\n"
            f"Content-Range: bytes 0-{length - 1}/{length}\r\n\r\n"
        ).encode()
        drip.send(handler, head)

    return handle


@pytest.mark.parametrize("headers_first", [True, False], ids=["body-drips", "headers-drip"])
def test_a_download_host_that_drips_is_given_up_on_at_the_deadline(headers_first: bool) -> None:
    # 300 bytes at 20 ms each: 6 s of trickle, each byte far inside the 5 s read timeout.
    drip = Drip(DATA[:300], headers_first=headers_first)
    config = quick(request_deadline=0.5)
    with tiny_server(dripping_range_host(drip)) as (url, _), range_fetcher(config) as fetcher:
        with pytest.raises(DownloadDeadlineError, match=r"deadline of 0\.5 s"):
            collect(fetcher, url, ByteRange(0, 299))
        assert drip.finished.wait(10)
    assert drip.client_left.is_set()


@contextmanager
def jamf_http_to(
    handle: Handler, config: TransferConfig
) -> Iterator[tuple[JamfHttpClient, list[dict[str, str]]]]:
    with tiny_server(handle) as (url, seen), requests.Session() as session:
        yield (
            JamfHttpClient(session, JamfServer.parse(url), BasicAuthProvider("u", "p"), config),
            seen,
        )


@pytest.mark.parametrize("headers_first", [True, False], ids=["body-drips", "headers-drip"])
def test_an_api_call_that_drips_is_given_up_on_at_the_deadline(headers_first: bool) -> None:
    body = json.dumps([{"fileName": f"{n}.pkg", "length": 1, "md5": "0" * 32} for n in range(9)])
    drip = Drip(body.encode(), headers_first=headers_first)

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.path == "/api/v1/auth/token":
            answer(handler, 200, TOKEN, JSON)
            return
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(drip.body)}\r\n\r\n"
        ).encode()
        drip.send(handler, head)

    with jamf_http_to(handle, quick(request_deadline=0.5)) as (http, _):
        with pytest.raises(RequestDeadlineError, match=r"deadline of 0\.5 s"):
            http.request("GET", "/api/v1/jcds/files", operation="listing the JCDS files")
        assert drip.finished.wait(10)
    assert drip.client_left.is_set()


def test_a_token_request_that_drips_is_given_up_on_at_the_deadline() -> None:
    drip = Drip(TOKEN + b" " * 300)  # 7 s at 20 ms a byte

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(drip.body)}\r\n\r\n".encode()
        drip.send(handler, head)

    with jamf_http_to(handle, quick(request_deadline=0.5)) as (http, _):
        # The token request's own deadline or the call's, whichever fires first.
        with pytest.raises(RequestDeadlineError, match=r"deadline of 0\.5 s"):
            http.request("GET", "/api/v1/jcds/files", operation="listing the JCDS files")
        assert drip.finished.wait(10)


def search_server(page_size: int, pages_served: list[int], limit: int = 50) -> Handler:
    """A Pro API that claims ``totalCount=10**9`` and answers every page with
    ``page_size`` packages that never match (and HTTP 500 after ``limit`` pages)."""

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.path == "/api/v1/auth/token":
            answer(handler, 200, TOKEN, JSON)
            return
        page = int(re.search(r"[?&]page=(\d+)", handler.path).group(1))  # type: ignore[union-attr]
        pages_served.append(page)
        if len(pages_served) > limit:
            answer(handler, 500, b"{}", JSON)
            return
        results = [
            {"id": str(page * 100 + n), "packageName": "p", "fileName": f"other-{n}.pkg"}
            for n in range(page_size)
        ]
        body = json.dumps({"totalCount": 10**9, "results": results}).encode()
        answer(handler, 200, body, JSON)

    return handle


def test_a_search_stops_at_the_first_short_page() -> None:
    served: list[int] = []
    with jamf_http_to(search_server(3, served), quick()) as (http, _):
        assert find_package(http, "fileName", "wanted.pkg", "looking up wanted.pkg") is None
    assert served == [0]


def test_a_search_that_never_ends_stops_at_max_search_pages() -> None:
    served: list[int] = []
    config = quick(max_search_pages=4)
    with (
        jamf_http_to(search_server(SEARCH_PAGE_SIZE, served), config) as (http, _),
        pytest.raises(TooManyPagesError, match="after 4 pages"),
    ):
        find_package(http, "fileName", "wanted.pkg", "looking up wanted.pkg")
    assert served == [0, 1, 2, 3]


# -- what a server says, shown ----------------------------------------------------------------

HOSTILE = "\x1b]0;owned\x07\x1b[2J\u202egkp.exe"


def test_a_server_error_text_is_quoted_with_its_control_characters_escaped() -> None:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.path == "/api/v1/auth/token":
            answer(handler, 200, TOKEN, JSON)
            return
        body = json.dumps({"errors": [{"code": "X", "description": HOSTILE}]}).encode()
        answer(handler, 400, body, JSON)

    with jamf_http_to(handle, quick()) as (http, _), pytest.raises(JamfApiError) as raised:
        http.request("GET", "/api/v1/jcds/files", operation="listing the JCDS files")
    message = str(raised.value)
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in message
    assert "\\x1b]0;owned\\x07\\x1b[2J\\u202egkp.exe" in message


# -- plain http off loopback ----------------------------------------------------------------


def test_a_download_url_in_plain_http_off_loopback_is_refused_before_connecting() -> None:
    with range_fetcher(quick()) as fetcher, pytest.raises(InsecureUrlError, match="plain http"):
        collect(fetcher, "http://downloads.example.com/f.pkg?sig=1", ByteRange(0, 9))


def test_a_redirect_to_plain_http_off_loopback_is_refused() -> None:
    with (
        tiny_server(redirecting_to("http://downloads.example.com/f.pkg")) as (url, _),
        range_fetcher(quick()) as fetcher,
        pytest.raises(DownloadRedirectRefusedError, match="loopback"),
    ):
        collect(fetcher, url, ByteRange(0, 9))


def test_an_s3_endpoint_in_plain_http_off_loopback_is_refused(emulator: JamfEmulator) -> None:
    with pytest.raises(InsecureUrlError, match="S3"):
        JamfProClient(
            emulator.url,
            BasicAuthProvider("u", "p"),
            s3_endpoint_url="http://s3.example.com",
        )


def test_an_s3_endpoint_from_the_environment_is_held_to_the_same_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://s3.example.com")
    source = tmp_path / "a.pkg"
    source.write_bytes(b"x" * 10)
    ticket = _ticket()
    with pytest.raises(InsecureUrlError, match="S3"):
        S3ObjectUploader(quick()).upload(ticket, LocalFile(source, 10))


def _ticket() -> UploadTicket:
    import datetime as dt  # noqa: PLC0415

    from jcds2.domain.models import S3Credentials  # noqa: PLC0415

    return UploadTicket(
        file_name="a.pkg",
        bucket="bucket",
        key="path/a.pkg",
        region="us-east-1",
        upload_id="",
        credentials=S3Credentials(
            access_key_id="AKIA",
            secret_access_key="secret",
            session_token="token",
            expiration=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
        ),
    )


def test_an_s3_error_message_is_quoted_escaped() -> None:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    from jcds2.adapters.s3 import _describe  # noqa: PLC0415

    error = ClientError({"Error": {"Code": "SlowDown", "Message": HOSTILE}}, "PutObject")
    assert _describe(error) == "SlowDown: \\x1b]0;owned\\x07\\x1b[2J\\u202egkp.exe"
