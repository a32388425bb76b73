"""A token that stops working between being handed out and being used (HTTP 401).

The request gets a fresh token and is sent once more; a 401 on that fresh token is an
``AuthenticationError``. A token another thread has already replaced explains its own 401
and is not charged. Many threads that meet one revoked token fetch one new token between
them. Every request here goes over real HTTP, to the emulator or to a small server that
plays a Jamf Pro whose tokens end at chosen moments.
"""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

import pytest
import requests

from jcds2 import AuthenticationError, BasicAuthProvider, JamfProClient, TransferConfig
from jcds2.adapters.classic_api import ClassicApiPackageRepository
from jcds2.adapters.http_session import build_session
from jcds2.adapters.jamf_http import MAX_SENDS_AFTER_401, JamfHttpClient
from jcds2.adapters.pro_api import ProApiPackageLookup
from jcds2.domain.models import PackageSpec
from jcds2.domain.server import JamfServer
from jcds2.emulator import JamfEmulator
from tests.helpers import answer, make_file, on_route, sha, tiny_server

TOKEN_PATHS = ("/api/v1/auth/token", "/api/v1/oauth/token", "/api/v1/auth/keep-alive")


def token_requests(emulator: JamfEmulator) -> int:
    return sum(1 for record in emulator.request_log if record.path in TOKEN_PATHS)


def test_a_401_on_the_fresh_token_is_an_authentication_error(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    jamf_http.token()
    emulator.inject_fault("GET", "/api/v1/jcds/files", 401, times=2)

    with pytest.raises(AuthenticationError, match="with a fresh token") as caught:
        jamf_http.request("GET", "/api/v1/jcds/files", operation="listing")

    assert caught.value.status == 401
    listings = [r for r in emulator.request_log if r.path == "/api/v1/jcds/files"]
    assert len(listings) == 2  # the first send and one with a fresh token, no more
    assert token_requests(emulator) == 2


def test_a_401_then_a_fresh_token_succeeds(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    jamf_http.token()
    emulator.inject_fault("GET", "/api/v1/jcds/files", 401, times=1)

    jamf_http.request("GET", "/api/v1/jcds/files", operation="listing")

    assert token_requests(emulator) == 2


def test_a_classic_api_post_met_by_a_401_is_sent_once_more_and_creates_one_package(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    jamf_http.token()
    emulator.inject_fault("POST", "/JSSResource/packages/id/0", 401, times=1)
    repository = ClassicApiPackageRepository(
        jamf_http, ProApiPackageLookup(jamf_http).find_by_file_name
    )

    created = repository.create(PackageSpec(name="Renewed", file_name="Renewed.pkg"))

    assert [p["id"] for p in emulator.packages()] == [str(created.id)]
    assert token_requests(emulator) == 2


def test_a_streamed_upload_met_by_a_401_is_rewound_and_sent_whole(
    emulator: JamfEmulator, client: JamfProClient, tmp_path: Path
) -> None:
    """The packages route streams the file from disk; after the 401 the body is sent
    again from its first byte, and the server stores the whole file."""
    source = make_file(tmp_path / "Renewed Upload.pkg", 3 * 1024 * 1024 + 7, seed=11)
    client.server_version()  # a token first, so the 401 meets a token that was valid
    emulator.inject_fault("POST", r"/api/v1/packages/\d+/upload", 401, times=1)

    with on_route(client, "packages") as packages:
        result = packages.jcds2.upload_file(file_path=source)

    assert result.verified
    assert result.sha3_512 == sha(source, "sha3_512")
    uploads = [r for r in emulator.request_log if r.path.endswith("/upload")]
    assert len(uploads) == 2


def test_threads_that_meet_one_revoked_token_fetch_one_new_token(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    jamf_http.token()
    emulator.expire_tokens()
    emulator.clear_request_log()
    barrier = threading.Barrier(8)

    def listing(_: int) -> None:
        barrier.wait()
        jamf_http.request("GET", "/api/v1/jcds/files", operation="listing")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(listing, range(8)))

    assert token_requests(emulator) == 1


# --- a server whose tokens end at chosen moments -------------------------------------------


@contextmanager
def jamf_with_tokens(
    on_request: Callable[[str, int], bool],
) -> Iterator[tuple[JamfHttpClient, list[str]]]:
    """A ``JamfHttpClient`` on a server that issues tokens ``t1``, ``t2``, ... and lets
    ``on_request(token, number)`` (the ``number``-th API request) decide whether a
    request is answered (``True``) or refused with 401. Yields the client and the
    tokens API requests carried, in order."""
    issued = 0
    carried: list[str] = []
    lock = threading.Lock()

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        nonlocal issued
        handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if handler.path == "/api/v1/auth/token":
            with lock:
                issued += 1
                token = f"t{issued}"
            body = {"token": token, "expires": "2099-01-01T00:00:00.000Z"}
            answer(handler, 200, json.dumps(body).encode())
            return
        if handler.path == "/api/v1/auth/invalidate-token":
            answer(handler, 204)
            return
        token = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        with lock:
            carried.append(token)
            number = len(carried)
        if on_request(token, number):
            answer(handler, 200, b"[]")
        else:
            answer(handler, 401, b'{"httpStatus": 401, "errors": []}')

    config = TransferConfig(max_attempts=1, connect_timeout=5.0, read_timeout=5.0)
    with tiny_server(handle) as (url, _), build_session(config) as session:
        client = JamfHttpClient(
            session, JamfServer.parse(url), BasicAuthProvider("user", "password"), config
        )
        yield client, carried


def test_a_token_another_thread_already_replaced_is_not_charged() -> None:
    """t1 is revoked and, while its request is in flight, another thread replaces it; the
    request goes again with the current token. That one is refused too and renewed, and
    the third token works: a 401 on a replaced token did not use up the renewal."""
    replace_while_in_flight: list[JamfHttpClient] = []

    def on_request(token: str, number: int) -> bool:
        if token == "t1":
            replace_while_in_flight[0].invalidate()  # "another thread" drops t1
            return False
        return token == "t3"

    with jamf_with_tokens(on_request) as (client, carried):
        replace_while_in_flight.append(client)
        client.token()
        client.request("GET", "/api/v1/jcds/files", operation="listing")

    assert carried == ["t1", "t2", "t3"]


def test_tokens_that_keep_being_replaced_end_in_an_authentication_error() -> None:
    holder: list[JamfHttpClient] = []

    def on_request(token: str, number: int) -> bool:
        holder[0].invalidate()  # every token is gone by the time its request arrives
        return False

    with jamf_with_tokens(on_request) as (client, carried):
        holder.append(client)
        with pytest.raises(AuthenticationError):
            client.request("GET", "/api/v1/jcds/files", operation="listing")

    assert len(carried) == MAX_SENDS_AFTER_401


class _OneWayStream(io.RawIOBase):
    """A body that can be read once and never rewound (a pipe, say)."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._data.readinto(buffer)


def test_a_body_that_cannot_be_rewound_is_never_sent_twice() -> None:
    with jamf_with_tokens(lambda token, number: False) as (client, carried):
        client.token()
        with pytest.raises(AuthenticationError):
            client.request(
                "POST",
                "/api/v1/packages/1/upload",
                operation="uploading",
                headers={"Content-Length": "5"},
                data=cast("IO[bytes]", _OneWayStream(b"bytes")),
            )

    assert carried == ["t1"]


def test_the_token_never_reaches_the_download_host(
    emulator: JamfEmulator, client: JamfProClient, tmp_path: Path
) -> None:
    """Downloads after a renewal still go to the CDN without the Jamf token."""
    source = make_file(tmp_path / "Renewed Download.pkg", 300_000, seed=4)
    client.jcds2.upload_file(file_path=source)
    emulator.expire_tokens()
    seen: list[requests.PreparedRequest] = []
    download_session = client.container.download_session()
    download_session.hooks["response"].append(
        lambda response, *a, **k: seen.append(response.request)
    )

    result = client.jcds2.download_file(file_name=source.name, download_path=tmp_path / "out.pkg")

    assert sha(result.path) == sha(source)
    assert seen
    assert all("Authorization" not in request.headers for request in seen)
