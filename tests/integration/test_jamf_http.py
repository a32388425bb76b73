"""The authenticated Jamf HTTP client: tokens, refresh, retries and error translation."""

from __future__ import annotations

import datetime as dt
import http.server
import threading

import pytest
import requests

from jcds2.adapters import jamf_auth
from jcds2.adapters.jamf_auth import ApiClientCredentialsProvider, BasicAuthProvider
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.domain.errors import (
    AuthenticationError,
    JamfApiError,
    NotJamfServerError,
    RedirectRefusedError,
    ServerUnreachableError,
)
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import TransferConfig
from jcds2.emulator import JamfEmulator
from tests.helpers import answer, tiny_server


def token_requests(emulator: JamfEmulator) -> list[str]:
    return [r.path for r in emulator.request_log if "token" in r.path or "keep-alive" in r.path]


def test_basic_auth_gets_one_token_for_many_requests(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    for _ in range(3):
        jamf_http.request("GET", "/api/v1/jcds/files", operation="listing")
    assert token_requests(emulator) == ["/api/v1/auth/token"]


def test_api_client_credentials_sign_in(
    emulator: JamfEmulator, session: requests.Session, transfer_config: TransferConfig
) -> None:
    http = JamfHttpClient(
        session,
        JamfServer.parse(emulator.url),
        ApiClientCredentialsProvider(emulator.client_id, emulator.client_secret),
        transfer_config,
    )
    response = http.request("GET", "/api/v1/jcds/files", operation="listing")
    assert response.json() == []
    assert token_requests(emulator) == ["/api/v1/oauth/token"]


@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_wrong_credentials_raise_authentication_error(
    emulator: JamfEmulator, session: requests.Session, transfer_config: TransferConfig, kind: str
) -> None:
    credentials = (
        BasicAuthProvider(emulator.username, "wrong-password")
        if kind == "basic"
        else ApiClientCredentialsProvider(emulator.client_id, "wrong-secret")
    )
    http = JamfHttpClient(session, JamfServer.parse(emulator.url), credentials, transfer_config)
    with pytest.raises(AuthenticationError) as caught:
        http.request("GET", "/api/v1/jcds/files", operation="listing")
    assert caught.value.status == 401
    assert "wrong-" not in str(caught.value)


def test_expired_token_is_replaced_once(emulator: JamfEmulator, jamf_http: JamfHttpClient) -> None:
    jamf_http.request("GET", "/api/v1/jcds/files", operation="listing")
    emulator.expire_tokens()
    jamf_http.request("GET", "/api/v1/jcds/files", operation="listing")
    assert token_requests(emulator) == ["/api/v1/auth/token", "/api/v1/auth/token"]


def test_token_near_expiry_is_kept_alive(
    emulator: JamfEmulator, jamf_http: JamfHttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client's clock is moved on instead of waiting (the server's 20-minute token
    stays valid meanwhile, so the keep-alive cannot come too late on a slow machine)."""
    real_now = jamf_auth._utcnow
    later = dt.timedelta()
    monkeypatch.setattr(jamf_auth, "_utcnow", lambda: real_now() + later)
    first = jamf_http.token()
    assert first.lifetime > 1000  # the emulator's 20-minute user token

    later = dt.timedelta(seconds=first.seconds_left() - 61)  # a minute and more left
    assert jamf_http.token() is first
    later += dt.timedelta(seconds=2)  # in the last minute: kept alive
    second = jamf_http.token()

    assert second.value != first.value
    assert token_requests(emulator) == ["/api/v1/auth/token", "/api/v1/auth/keep-alive"]


def test_concurrent_requests_share_one_token_request(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            jamf_http.request("GET", "/api/v1/jcds/files", operation="listing")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert token_requests(emulator) == ["/api/v1/auth/token"]


def test_503_with_retry_after_is_retried(emulator: JamfEmulator, jamf_http: JamfHttpClient) -> None:
    jamf_http.token()
    emulator.inject_fault("GET", "/api/v1/jcds/files", 503, times=2, retry_after=0)
    response = jamf_http.request("GET", "/api/v1/jcds/files", operation="listing")
    assert response.status_code == 200
    assert [r.path for r in emulator.request_log].count("/api/v1/jcds/files") == 3


def test_429_on_post_is_retried(emulator: JamfEmulator, jamf_http: JamfHttpClient) -> None:
    jamf_http.token()
    emulator.inject_fault("POST", "/api/v1/jcds/files", 429, times=1, retry_after=0)
    response = jamf_http.request("POST", "/api/v1/jcds/files", operation="ticket")
    assert response.status_code == 201


def test_502_on_post_is_not_repeated(emulator: JamfEmulator, jamf_http: JamfHttpClient) -> None:
    jamf_http.token()
    emulator.inject_fault("POST", "/api/v1/jcds/files", 502, times=1)
    with pytest.raises(JamfApiError) as caught:
        jamf_http.request("POST", "/api/v1/jcds/files", operation="starting an upload")
    assert caught.value.status == 502
    assert "starting an upload" in str(caught.value)
    assert [r.path for r in emulator.request_log].count("/api/v1/jcds/files") == 1


def test_persistent_503_gives_up_with_a_typed_error(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    jamf_http.token()
    emulator.inject_fault("GET", "/api/v1/jcds/files", 503, times=50, retry_after=0)
    with pytest.raises(JamfApiError) as caught:
        jamf_http.request("GET", "/api/v1/jcds/files", operation="listing")
    assert caught.value.status == 503


def test_a_server_that_is_not_jamf(
    session: requests.Session, transfer_config: TransferConfig
) -> None:
    with tiny_server(lambda handler: answer(handler, 404, b"<html>nothing here</html>")) as (
        url,
        _,
    ):
        http = JamfHttpClient(
            session, JamfServer.parse(url), BasicAuthProvider("u", "p"), transfer_config
        )
        with pytest.raises(NotJamfServerError, match="token endpoint"):
            http.request("GET", "/api/v1/jcds/files", operation="listing")


def test_redirects_are_not_followed_with_the_token(
    session: requests.Session, transfer_config: TransferConfig
) -> None:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.path == "/api/v1/auth/token":
            body = b'{"token": "secret-token-value", "expires": "2099-01-01T00:00:00.000Z"}'
            answer(handler, 200, body, {"Content-Type": "application/json"})
        elif handler.path.startswith("/elsewhere"):
            answer(handler, 200, b"[]")
        else:
            answer(handler, 302, headers={"Location": "/elsewhere"})

    with tiny_server(handle) as (url, seen):
        http = JamfHttpClient(
            session, JamfServer.parse(url), BasicAuthProvider("u", "p"), transfer_config
        )
        with pytest.raises(RedirectRefusedError, match="redirected") as caught:
            http.request("GET", "/api/v1/jcds/files", operation="listing")
        assert caught.value.status == 302
        assert len(seen) == 2  # the token request and the redirected request, nothing more


def test_unreachable_server(session: requests.Session, transfer_config: TransferConfig) -> None:
    with tiny_server(lambda handler: answer(handler, 200)) as (url, _):
        pass  # the server is gone: its port refuses connections now
    http = JamfHttpClient(
        session, JamfServer.parse(url), BasicAuthProvider("u", "p"), transfer_config
    )
    with pytest.raises(ServerUnreachableError):
        http.request("GET", "/api/v1/jcds/files", operation="listing")
