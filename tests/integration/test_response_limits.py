"""Hostile answers over real HTTP: larger than a bound (refused, not read into memory), and
Classic API XML with entity expansion or external entities (refused by defusedxml)."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import requests
from defusedxml import DefusedXmlException

from jcds2 import JamfApiError, JamfProClient, TransferConfig
from jcds2.adapters.classic_api import ClassicApiPackageRepository
from jcds2.adapters.jamf_auth import ApiClientCredentialsProvider, BasicAuthProvider
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_api import JcdsApiFileStore, ProApiPackageLookup
from jcds2.domain.models import PackageSpec
from jcds2.domain.server import JamfServer
from jcds2.errors import ResponseTooLargeError
from tests.helpers import answer, recording_server, tiny_server

TOKEN = b'{"token": "t", "expires": "2099-01-01T00:00:00.000Z"}'
LIMIT = 256 * 1024
JSON = {"Content-Type": "application/json"}


class Sent:
    """How much a server handler wrote, and whether it stopped because the client left."""

    def __init__(self) -> None:
        self.bytes = 0
        self.client_left = threading.Event()


def endless_json(
    sent: Sent, *, chunked: bool
) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    """A handler that answers a JSON list that never ends, until the client hangs up."""

    def write(handler: http.server.BaseHTTPRequestHandler, data: bytes) -> None:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        sent.bytes += len(data)

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.path == "/api/v1/auth/token":
            answer(handler, 200, TOKEN, JSON)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        item = b'{"fileName": "x.pkg", "length": 1, "md5": "' + b"0" * 32 + b'"},'
        try:
            write(handler, b"[")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                write(handler, item * 1000)
        except OSError:
            sent.client_left.set()
        handler.close_connection = True

    return handle


@contextmanager
def jamf_http_to(
    handle: Callable[[http.server.BaseHTTPRequestHandler], None],
    config: TransferConfig,
    limit: int = LIMIT,
) -> Iterator[tuple[JamfHttpClient, list[dict[str, str]]]]:
    with tiny_server(handle) as (url, seen), requests.Session() as session:
        yield (
            JamfHttpClient(
                session, JamfServer.parse(url), BasicAuthProvider("u", "p"), config, limit
            ),
            seen,
        )


def test_a_declared_length_above_the_bound_is_refused_before_reading(
    transfer_config: TransferConfig,
) -> None:
    huge = 10 * 1024 * 1024 * 1024

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.path == "/api/v1/auth/token":
            answer(handler, 200, TOKEN, JSON)
        else:
            # Announces 10 GiB and sends a little: a client that trusted it would wait.
            answer(handler, 200, b"[" * 1000, {**JSON, "Content-Length": str(huge)})
            handler.close_connection = True

    with jamf_http_to(handle, transfer_config) as (http, _):
        started = time.monotonic()
        with pytest.raises(ResponseTooLargeError) as caught:
            JcdsApiFileStore(http).list_files()
    assert time.monotonic() - started < 5
    assert caught.value.limit == LIMIT
    assert caught.value.operation == "listing the JCDS files"
    assert str(LIMIT) in str(caught.value)
    assert "listing the JCDS files" in str(caught.value)
    assert isinstance(caught.value, JamfApiError)


@pytest.mark.parametrize("chunked", [False, True], ids=["no-length", "chunked"])
def test_an_endless_answer_is_refused_and_not_read_to_its_end(
    transfer_config: TransferConfig, chunked: bool
) -> None:
    sent = Sent()
    with jamf_http_to(endless_json(sent, chunked=chunked), transfer_config) as (http, _):
        with pytest.raises(ResponseTooLargeError, match="listing the JCDS files"):
            JcdsApiFileStore(http).list_files()
        # The client closed the connection: the server's next writes fail.
        assert sent.client_left.wait(10)
    # What the server got out before it noticed is the bound plus the socket buffers.
    assert sent.bytes < LIMIT + 32 * 1024 * 1024


def test_the_default_bound_is_64_mib(transfer_config: TransferConfig) -> None:
    sent = Sent()
    with tiny_server(endless_json(sent, chunked=False)) as (url, _), requests.Session() as session:
        http = JamfHttpClient(
            session, JamfServer.parse(url), BasicAuthProvider("u", "p"), transfer_config
        )
        with pytest.raises(ResponseTooLargeError) as caught:
            http.request("GET", "/api/v1/jcds/files", operation="listing")
        assert sent.client_left.wait(10)
    assert caught.value.limit == 64 * 1024 * 1024
    assert "67108864" in str(caught.value)


def test_answers_within_the_bound_are_read_whole(transfer_config: TransferConfig) -> None:
    body = b"[" + b",".join([b'{"fileName": "a.pkg", "length": 5}'] * 5000) + b"]"
    assert len(body) < LIMIT

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        answer(handler, 200, TOKEN if "token" in handler.path else body, JSON)

    with jamf_http_to(handle, transfer_config) as (http, seen):
        for _ in range(3):
            assert len(JcdsApiFileStore(http).list_files()) == 5000
    assert len(seen) == 4  # one token, three listings


def test_a_huge_error_body_is_cut_not_refused(transfer_config: TransferConfig) -> None:
    sent = Sent()

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if "token" in handler.path:
            answer(handler, 200, TOKEN, JSON)
            return
        handler.send_response(500)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            while True:
                handler.wfile.write(b"4000\r\n" + b"<p>boom</p>" * 1489 + b"abcde\r\n")
                sent.bytes += 0x4000
        except OSError:
            sent.client_left.set()

    with jamf_http_to(handle, transfer_config) as (http, _):
        with pytest.raises(JamfApiError) as caught:
            http.request("GET", "/api/v1/jcds/files", operation="listing")
        assert sent.client_left.wait(10)
    assert caught.value.status == 500
    assert not isinstance(caught.value, ResponseTooLargeError)
    assert "boom" in str(caught.value)
    assert sent.bytes < 32 * 1024 * 1024


@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_a_huge_token_answer_is_refused(transfer_config: TransferConfig, kind: str) -> None:
    sent = Sent()
    endless = endless_json(sent, chunked=False)

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.path = "/anything"  # answer the token request with the endless body
        endless(handler)

    credentials = (
        BasicAuthProvider("u", "p") if kind == "basic" else ApiClientCredentialsProvider("i", "s")
    )
    with tiny_server(handle) as (url, _), requests.Session() as session:
        http = JamfHttpClient(session, JamfServer.parse(url), credentials, transfer_config)
        with pytest.raises(ResponseTooLargeError, match="signing in") as caught:
            http.token()
        assert sent.client_left.wait(10)
    assert caught.value.limit == 64 * 1024


def test_a_huge_classic_api_answer_is_refused(transfer_config: TransferConfig) -> None:
    sent = Sent()
    endless = endless_json(sent, chunked=True)
    with jamf_http_to(endless, transfer_config) as (http, _):
        repository = ClassicApiPackageRepository(http, ProApiPackageLookup(http).find_by_file_name)
        with pytest.raises(ResponseTooLargeError, match="creating package"):
            repository.create(PackageSpec(name="A", file_name="A.pkg"))
        assert sent.client_left.wait(10)


def test_the_public_client_refuses_a_huge_listing(transfer_config: TransferConfig) -> None:
    sent = Sent()
    with (
        tiny_server(endless_json(sent, chunked=True)) as (url, _),
        JamfProClient(url, BasicAuthProvider("u", "p"), transfer_config=transfer_config) as client,
    ):
        with pytest.raises(ResponseTooLargeError, match="67108864"):
            client.jcds2.list_files()
        assert sent.client_left.wait(10)


def _laughs(level: int) -> bytes:
    inner = b"&lol%d;" % (level - 1) if level > 1 else b"&lol;"
    return b'<!ENTITY lol%d "%s">\n' % (level, inner * 10)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE package [\n<!ENTITY lol "lol">\n'
    + b"".join(_laughs(level) for level in range(1, 10))
    + b"]>\n<package><id>1</id><name>&lol9;</name></package>"
)
#: One harmless entity: the standard library would read the id as 42; defusedxml refuses it.
SMALL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY n "42">]><package><id>&n;</id></package>'
)


def external_entity(url: str) -> bytes:
    return (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY ext SYSTEM "'
        + url.encode()
        + b'/secret.txt">]><package><id>&ext;</id></package>'
    )


@contextmanager
def classic_api_answering(
    xml: bytes, config: TransferConfig
) -> Iterator[ClassicApiPackageRepository]:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.path == "/api/v1/auth/token":
            answer(handler, 200, TOKEN, JSON)
        else:
            length = int(handler.headers.get("Content-Length") or 0)
            handler.rfile.read(length)
            answer(
                handler,
                201 if handler.command == "POST" else 200,
                xml,
                {"Content-Type": "text/xml"},
            )

    with jamf_http_to(handle, config) as (http, _):
        yield ClassicApiPackageRepository(http, ProApiPackageLookup(http).find_by_file_name)


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, SMALL_ENTITY], ids=["billion-laughs", "entity"])
def test_entity_declarations_in_a_created_package_answer_are_refused(
    transfer_config: TransferConfig, xml: bytes
) -> None:
    with classic_api_answering(xml, transfer_config) as repository:
        started = time.monotonic()
        with pytest.raises(JamfApiError, match="not the expected package XML") as caught:
            repository.create(PackageSpec(name="A", file_name="A.pkg"))
    assert time.monotonic() - started < 5
    assert caught.value.operation == "creating package 'A' for 'A.pkg'"
    assert isinstance(caught.value.__cause__, DefusedXmlException)


def test_an_external_entity_is_refused_and_never_fetched(transfer_config: TransferConfig) -> None:
    with recording_server(lambda handler: answer(handler, 200, b"42")) as (elsewhere, fetched):
        with (
            classic_api_answering(external_entity(elsewhere), transfer_config) as repository,
            pytest.raises(JamfApiError, match="not the expected package XML") as caught,
        ):
            repository.create(PackageSpec(name="A", file_name="A.pkg"))
        assert fetched == []
    assert isinstance(caught.value.__cause__, DefusedXmlException)


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, SMALL_ENTITY], ids=["billion-laughs", "entity"])
def test_reading_a_package_never_parses_xml(transfer_config: TransferConfig, xml: bytes) -> None:
    # get() asks for JSON; an XML answer, hostile or not, is refused as not JSON.
    with (
        classic_api_answering(xml, transfer_config) as repository,
        pytest.raises(JamfApiError, match="did not answer with JSON"),
    ):
        repository.get(1)


def test_a_plain_created_package_answer_is_read(transfer_config: TransferConfig) -> None:
    xml = b'<?xml version="1.0" encoding="UTF-8"?><package><id>42</id></package>'
    with classic_api_answering(xml, transfer_config) as repository:
        assert repository.create(PackageSpec(name="A", file_name="A.pkg")).id == 42


def test_read_answers_give_their_connection_back(transfer_config: TransferConfig) -> None:
    ports: list[int] = []
    body = b'[{"fileName": "a.pkg", "length": 5}]'

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        ports.append(handler.client_address[1])
        if "token" in handler.path:
            answer(handler, 200, TOKEN, JSON)
        elif handler.path.endswith("missing.pkg"):
            answer(handler, 500, b'{"errors": [{"description": "it broke"}]}', JSON)
        else:
            answer(handler, 200, body, JSON)

    with jamf_http_to(handle, transfer_config) as (http, _):
        store = JcdsApiFileStore(http)
        for _ in range(3):
            store.list_files()
            with pytest.raises(JamfApiError, match="it broke"):
                store.download_url("missing.pkg")
    assert len(ports) == 7
    assert len(set(ports)) == 1  # one kept-alive connection served every request
