"""The first contact with a server: one that is not Jamf Pro says so whatever it answers,
and one where nothing listens is reported at once, not after every retry's backoff.

The servers here are small loopback servers started by the tests; the ports where nothing
listens were free a moment ago (bound, then closed).
"""

from __future__ import annotations

import functools
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3.util.connection

from jcds2.adapters.http_session import REFUSED, build_session, nobody_there
from jcds2.adapters.jamf_auth import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    CredentialsProvider,
)
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.domain.errors import (
    AuthenticationError,
    JamfApiError,
    NotJamfServerError,
    ServerUnreachableError,
)
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import TransferConfig
from tests.helpers import answer, tiny_server

#: No waiting between attempts: what is counted is the attempts, not the time they take.
CONFIG = TransferConfig(max_attempts=4, backoff_base=0.0)
HINT = "is it a Jamf Pro server?"
PROVIDERS: dict[str, CredentialsProvider] = {
    "user": BasicAuthProvider("admin", "not-a-real-password"),
    "api-client": ApiClientCredentialsProvider("client", "not-a-real-secret"),
}


def free_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection urllib3 tries to open, as (host, port), refused or not."""
    tried: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def counting(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        tried.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)
    return tried


def drain(handler: http.server.BaseHTTPRequestHandler) -> bytes:
    """The body of the request ``handler`` is answering."""
    return handler.rfile.read(int(handler.headers.get("Content-Length", 0)))


def sign_in(url: str, provider: CredentialsProvider) -> None:
    with build_session(CONFIG) as session:
        JamfHttpClient(session, JamfServer.parse(url), provider, CONFIG).token()


# --- a server that is not Jamf Pro ------------------------------------------------------


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[str]:
    """A plain web server, as ``python -m http.server`` starts one: it answers a POST
    with HTTP 501 and an HTML page."""
    (tmp_path / "index.html").write_text("<h1>not Jamf</h1>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("provider", PROVIDERS.values(), ids=PROVIDERS.keys())
def test_a_plain_web_server_answering_501_gets_the_hint(
    web_server: str, provider: CredentialsProvider
) -> None:
    with pytest.raises(NotJamfServerError) as caught:
        sign_in(web_server, provider)

    assert caught.value.status == 501
    message = str(caught.value)
    assert f"{web_server} answered HTTP 501 with an HTML page" in message
    assert message.endswith(HINT)


HTML = {"Content-Type": "text/html"}
TEXT = {"Content-Type": "text/plain"}
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("status", "body", "headers", "described"),
    [
        (500, b"", {}, "an empty answer"),
        (502, b"Bad Gateway", TEXT, "plain text"),
        (503, b"<html><body>Service Unavailable</body></html>", HTML, "an HTML page"),
        (401, b"<html><body>Sign in to the proxy</body></html>", HTML, "an HTML page"),
        (403, b"<!doctype html><p>Forbidden</p>", {}, "an HTML page"),
        (400, b"bad request", {}, "an answer that is not JSON"),
        (418, b'{"message": "I am a teapot"}', JSON, "JSON"),
        (500, b"[1, 2, 3]", JSON, "JSON"),
    ],
)
def test_any_status_without_a_jamf_error_gets_the_hint(
    status: int, body: bytes, headers: dict[str, str], described: str
) -> None:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        drain(handler)  # a retried request comes on the same connection
        answer(handler, status, body, headers)

    with tiny_server(handle) as (url, _):
        for provider in PROVIDERS.values():
            with pytest.raises(NotJamfServerError) as caught:
                sign_in(url, provider)
            assert caught.value.status == status
            message = str(caught.value)
            assert f"{url} answered HTTP {status} with {described}, not with a Jamf " in message
            assert message.endswith(HINT)


def test_a_200_that_is_not_json_gets_the_hint() -> None:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        answer(handler, 200, b"<html>welcome</html>", HTML)

    with tiny_server(handle) as (url, _), pytest.raises(NotJamfServerError, match=HINT):
        sign_in(url, PROVIDERS["user"])


def test_the_hint_repeats_nothing_of_the_answer() -> None:
    # A server that is not Jamf may echo what it was sent: the message names the kind of
    # answer, never its content.
    secret = "not-a-real-secret"

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        sent = drain(handler)
        answer(handler, 500, b"<p>you sent " + sent + b"</p>", {"Content-Type": secret})

    with tiny_server(handle) as (url, _), pytest.raises(NotJamfServerError) as caught:
        sign_in(url, PROVIDERS["api-client"])
    assert secret not in str(caught.value)
    assert "an HTML page" in str(caught.value)


JAMF_401 = json.dumps({"httpStatus": 401, "errors": []}).encode()
OAUTH_401 = json.dumps({"error": "invalid_client", "error_description": "no"}).encode()
JAMF_500 = json.dumps(
    {"httpStatus": 500, "errors": [{"code": "X", "field": None, "description": "boom"}]}
).encode()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, JAMF_401, AuthenticationError),
        (401, OAUTH_401, AuthenticationError),
        (400, OAUTH_401, AuthenticationError),
        (401, b"", AuthenticationError),  # an empty refusal is taken at its word
        (500, JAMF_500, JamfApiError),
    ],
)
def test_jamf_errors_keep_their_meaning(
    status: int, body: bytes, expected: type[JamfApiError]
) -> None:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        answer(handler, status, body, JSON if body else {})

    with tiny_server(handle) as (url, _), pytest.raises(expected) as caught:
        sign_in(url, PROVIDERS["user"])
    assert not isinstance(caught.value, NotJamfServerError)
    assert HINT not in str(caught.value)


# --- nothing listens ------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS.values(), ids=PROVIDERS.keys())
def test_a_refused_first_contact_is_reported_after_one_attempt(
    connections: list[tuple[str, int]], provider: CredentialsProvider
) -> None:
    port = free_port()

    with pytest.raises(ServerUnreachableError) as caught:
        sign_in(f"http://127.0.0.1:{port}", provider)

    assert connections == [("127.0.0.1", port)]  # one attempt, no retry
    message = str(caught.value)
    assert f"cannot reach http://127.0.0.1:{port}/api/v1/" in message
    assert f"({REFUSED})" in message
    assert "that the server is running" in message


def test_a_refused_connection_after_an_answer_is_retried(
    connections: list[tuple[str, int]],
) -> None:
    # Once the server has answered, a refusal is a server restarting: worth the retries.
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        answer(handler, 200, b"{}", JSON)

    with build_session(CONFIG) as session:
        with tiny_server(handle) as (url, _):
            session.get(url + "/ok", timeout=5).close()
        session.close()  # no pooled connection left: the next request must connect
        connections.clear()
        with pytest.raises(requests.ConnectionError) as caught:
            session.get(url + "/again", timeout=5)

    port = int(url.rsplit(":", 1)[1])
    assert connections == [("127.0.0.1", port)] * CONFIG.max_attempts
    assert nobody_there(caught.value) == REFUSED


def test_each_session_has_its_own_first_contact(connections: list[tuple[str, int]]) -> None:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        answer(handler, 200, b"{}", JSON)

    with build_session(CONFIG) as answered, tiny_server(handle) as (url, _):
        answered.get(url, timeout=5).close()
    port = free_port()
    connections.clear()
    with build_session(CONFIG) as fresh, pytest.raises(requests.ConnectionError):
        fresh.get(f"http://127.0.0.1:{port}/", timeout=5)
    assert connections == [("127.0.0.1", port)]


def test_a_host_name_that_does_not_resolve_is_reported_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The resolver is the test's: no network is asked.
    calls: list[str] = []

    def no_such_host(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        calls.append(address[0])
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", no_such_host)
    with pytest.raises(ServerUnreachableError) as caught:
        sign_in("https://jamf.invalid", PROVIDERS["api-client"])

    assert calls == ["jamf.invalid"]
    assert "(the host name does not resolve)" in str(caught.value)
    assert "your network" in str(caught.value)
