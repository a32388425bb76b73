"""The HTTP range fetcher: against the emulator's signed URLs, and against servers that lie."""

from __future__ import annotations

import http.server
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from jcds2 import JamfProClient
from jcds2.adapters.http_range import HttpRangeFetcher, redact
from jcds2.adapters.http_session import build_session
from jcds2.domain.errors import DownloadError, DownloadUrlExpiredError
from jcds2.domain.transfer import ByteRange, TransferConfig
from jcds2.testing import flat_package
from tests.helpers import answer, tiny_server

DATA = flat_package(10_240)  # 10,240 bytes that pass the upload's guardrails


@pytest.fixture
def fetcher(transfer_config: TransferConfig) -> Iterator[HttpRangeFetcher]:
    with build_session(transfer_config) as session:
        yield HttpRangeFetcher(session, transfer_config, chunk_size=1000)


def collect(fetcher: HttpRangeFetcher, url: str, byte_range: ByteRange) -> bytes:
    buffer = bytearray(len(DATA))
    received: list[tuple[int, int]] = []

    def sink(offset: int, data: memoryview) -> None:
        buffer[offset : offset + len(data)] = data
        received.append((offset, len(data)))

    fetcher.fetch(url, byte_range, sink)
    assert sum(length for _, length in received) == byte_range.length
    return bytes(buffer[byte_range.start : byte_range.end + 1])


def serve_ranges(
    mangle: Callable[[int, int, bytes], tuple[int, dict[str, str], bytes]] | None = None,
) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    """A handler that serves DATA with range support, optionally mangling each answer."""

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", handler.headers.get("Range", ""))
        if match is None:
            answer(handler, 200, DATA)
            return
        start, end = int(match.group(1)), min(int(match.group(2)), len(DATA) - 1)
        body = DATA[start : end + 1]
        status, headers = 206, {"Content-Range": f"bytes {start}-{end}/{len(DATA)}"}
        if mangle is not None:
            status, headers, body = mangle(start, end, body)
        answer(handler, status, body, headers)

    return handle


def test_size_and_ranges_from_a_signed_emulator_url(
    client: JamfProClient, fetcher: HttpRangeFetcher, tmp_path: Path
) -> None:
    source = tmp_path / "ranged.pkg"
    source.write_bytes(DATA)
    client.jcds2.upload_file(file_path=source)
    url = client.container.file_store().download_url("ranged.pkg")
    assert fetcher.size(url) == len(DATA)
    assert collect(fetcher, url, ByteRange(100, 5099)) == DATA[100:5100]
    assert collect(fetcher, url, ByteRange(10_000, 10_239)) == DATA[10_000:]


def test_correct_server(fetcher: HttpRangeFetcher) -> None:
    with tiny_server(serve_ranges()) as (url, seen):
        assert fetcher.size(url) == len(DATA)
        assert collect(fetcher, url, ByteRange(5, 2004)) == DATA[5:2005]
    assert all("authorization" not in headers for headers in seen)


def test_whole_body_instead_of_a_range_is_refused(fetcher: HttpRangeFetcher) -> None:
    with tiny_server(lambda handler: answer(handler, 200, DATA)) as (url, seen):
        with pytest.raises(DownloadError, match="ignored the range request"):
            collect(fetcher, url, ByteRange(0, 99))
        assert len(seen) == 3  # max_attempts


def test_wrong_content_range_is_refused(fetcher: HttpRangeFetcher) -> None:
    def shift(start: int, end: int, body: bytes) -> tuple[int, dict[str, str], bytes]:
        return 206, {"Content-Range": f"bytes {start + 1}-{end + 1}/{len(DATA)}"}, body

    with tiny_server(serve_ranges(shift)) as (url, _), pytest.raises(DownloadError, match="got"):
        collect(fetcher, url, ByteRange(0, 99))


def test_short_body_is_retried_then_refused(fetcher: HttpRangeFetcher) -> None:
    def truncate(start: int, end: int, body: bytes) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Range": f"bytes {start}-{end}/{len(DATA)}", "Content-Length": "50"}
        return 206, headers, body[:50]

    with tiny_server(serve_ranges(truncate)) as (url, seen):
        with pytest.raises(DownloadError):
            collect(fetcher, url, ByteRange(0, 99))
        assert len(seen) == 3


def test_a_flaky_server_is_retried(fetcher: HttpRangeFetcher) -> None:
    calls: list[int] = []

    def flaky(start: int, end: int, body: bytes) -> tuple[int, dict[str, str], bytes]:
        calls.append(start)
        if len(calls) == 1:
            return 503, {}, b""
        return 206, {"Content-Range": f"bytes {start}-{end}/{len(DATA)}"}, body

    with tiny_server(serve_ranges(flaky)) as (url, _):
        assert collect(fetcher, url, ByteRange(10, 19)) == DATA[10:20]
    assert len(calls) == 2


def test_403_means_the_url_expired(fetcher: HttpRangeFetcher) -> None:
    with (
        tiny_server(lambda handler: answer(handler, 403, b"expired")) as (url, _),
        pytest.raises(DownloadUrlExpiredError) as caught,
    ):
        collect(fetcher, url + "?Signature=very-secret", ByteRange(0, 9))
    assert "very-secret" not in str(caught.value)


def test_empty_object_has_size_zero(fetcher: HttpRangeFetcher) -> None:
    with tiny_server(
        lambda handler: answer(handler, 416, headers={"Content-Range": "bytes */0"})
    ) as (url, _):
        assert fetcher.size(url) == 0


def test_redact_drops_the_signature() -> None:
    assert redact("https://cdn.example/f.pkg?Signature=x&Key-Pair-Id=y") == (
        "https://cdn.example/f.pkg"
    )


def test_download_session_never_carries_the_jamf_token(client: JamfProClient) -> None:
    session = client.container.download_session()
    assert isinstance(session, requests.Session)
    assert "Authorization" not in session.headers
    assert session.auth is None
    with tiny_server(serve_ranges()) as (url, seen):
        client.container.range_fetcher().size(url)
    assert seen
    assert all("authorization" not in headers for headers in seen)


def test_retry_after_answers_become_download_errors_without_signatures(
    client: JamfProClient,
) -> None:
    def busy(handler: http.server.BaseHTTPRequestHandler) -> None:
        answer(handler, 503, b"busy", {"Retry-After": "0"})

    fetcher = client.container.range_fetcher()
    with tiny_server(busy) as (url, seen):
        with pytest.raises(DownloadError) as caught:
            fetcher.fetch(url + "/f.pkg?Signature=very-secret", ByteRange(0, 9), lambda *_: None)
        assert len(seen) == 3  # max_attempts, each answered once: no hidden urllib3 retries
    assert "very-secret" not in str(caught.value)
