"""The bearer token and the credentials go to the Jamf Pro server only, redirects included.

Recording servers keep every request they get whole (request line, headers, body); each
test searches all of it for every secret in the forms it could travel in.
"""

from __future__ import annotations

import base64
import http.server
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from jcds2 import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    CredentialsProvider,
    JamfProClient,
    TransferConfig,
)
from jcds2.emulator import JamfEmulator
from jcds2.errors import NotJamfServerError, RedirectRefusedError
from tests.helpers import answer, make_file, recording_server, serve_ranges

USERNAME = "confined-user"
PASSWORD = "pa55-Never-Elsewhere"
CLIENT_ID = "confined-client"
CLIENT_SECRET = "s3cret/Never+Elsewhere=="
TOKEN = "bearer-token-never-elsewhere"
JSON = {"Content-Type": "application/json"}

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


def secret_forms(*secrets: str, username: str = USERNAME) -> list[str]:
    """Every way the secrets could appear on the wire: plain, form-encoded, Basic auth."""
    forms = ["authorization:"]
    for secret in secrets:
        forms += [secret.lower(), quote_plus(secret).lower()]
    basic = base64.b64encode(f"{username}:{secrets[0]}".encode()).decode()
    return [*forms, basic.lower()]


def assert_nothing_secret(recorded: list[str], forms: list[str]) -> None:
    for request in recorded:
        text = request.lower()
        leaked = [form for form in forms if form in text]
        assert leaked == [], f"{leaked} reached another host in:\n{request}"


def credentials(kind: str) -> CredentialsProvider:
    if kind == "basic":
        return BasicAuthProvider(USERNAME, PASSWORD)
    return ApiClientCredentialsProvider(CLIENT_ID, CLIENT_SECRET)


def jamf(
    redirect: Callable[[http.server.BaseHTTPRequestHandler], bool], elsewhere: str, status: int
) -> Handler:
    """A Jamf Pro stand-in that issues ``TOKEN`` for any credentials.

    Requests that ``redirect`` picks are sent to ``elsewhere`` (same path) with ``status``;
    the rest get an empty answer.
    """

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if redirect(handler):
            answer(handler, status, headers={"Location": elsewhere + handler.path})
        elif handler.path in ("/api/v1/auth/token", "/api/v1/oauth/token"):
            body: dict[str, object] = {"token": TOKEN, "expires": "2099-01-01T00:00:00.000Z"}
            body |= {"access_token": TOKEN, "expires_in": 1200}
            answer(handler, 200, json.dumps(body).encode(), JSON)
        elif handler.path.startswith("/api/v1/packages"):
            answer(handler, 200, b'{"totalCount": 0, "results": []}', JSON)
        elif handler.path.startswith("/JSSResource/packages/name/"):
            answer(handler, 404)  # no package of that name
        else:
            answer(handler, 204)

    return handle


def is_token_request(handler: http.server.BaseHTTPRequestHandler) -> bool:
    return "token" in handler.path


@pytest.mark.parametrize("redirect_status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_a_redirected_api_call_carries_no_token_elsewhere(
    transfer_config: TransferConfig, redirect_status: int, kind: str
) -> None:
    with (
        recording_server(lambda handler: answer(handler, 200, b"[]", JSON)) as (other, recorded),
        recording_server(jamf(lambda h: not is_token_request(h), other, redirect_status)) as (
            url,
            at_jamf,
        ),
        JamfProClient(url, credentials(kind), transfer_config=transfer_config) as client,
    ):
        with pytest.raises(RedirectRefusedError, match=f"HTTP {redirect_status}") as caught:
            client.jcds2.list_files()
        assert caught.value.status == redirect_status
        with pytest.raises(RedirectRefusedError):
            client.jcds2.delete_file("Some.pkg")

    assert recorded == []
    # The test means something: the Jamf server itself did get the token.
    assert any(f"Bearer {TOKEN}" in request for request in at_jamf)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_a_redirected_upload_request_carries_no_token_elsewhere(
    transfer_config: TransferConfig, tmp_path: Path, kind: str
) -> None:
    def redirect(handler: http.server.BaseHTTPRequestHandler) -> bool:
        return handler.command == "POST" and handler.path == "/api/v1/jcds/files"

    source = make_file(tmp_path / "Confined.pkg", 1000)
    with (
        recording_server(lambda handler: answer(handler, 200, b"{}", JSON)) as (other, recorded),
        recording_server(jamf(redirect, other, 307)) as (url, _),  # 307 keeps method, body
        JamfProClient(url, credentials(kind), transfer_config=transfer_config) as client,
        pytest.raises(RedirectRefusedError, match="307"),
    ):
        client.jcds2.upload_file(file_path=source)
    assert recorded == []


@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_a_redirected_token_request_carries_no_credentials_elsewhere(
    transfer_config: TransferConfig, kind: str
) -> None:
    with (
        recording_server(lambda handler: answer(handler, 200, b"{}", JSON)) as (other, recorded),
        recording_server(jamf(is_token_request, other, 307)) as (url, at_jamf),
        JamfProClient(url, credentials(kind), transfer_config=transfer_config) as client,
        pytest.raises(NotJamfServerError, match="307"),
    ):
        client.jcds2.list_files()
    assert recorded == []
    secrets = (PASSWORD,) if kind == "basic" else (CLIENT_SECRET,)
    # Only the Jamf server saw the credentials, in the one token request.
    assert len(at_jamf) == 1
    assert any(form in at_jamf[0].lower() for form in secret_forms(*secrets)[1:])


@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_downloads_carry_no_credentials_through_redirects(
    tmp_path: Path, transfer_config: TransferConfig, kind: str
) -> None:
    """The download host redirects its first request to a second host; neither sees a secret."""
    folder = tmp_path / "external"
    folder.mkdir()
    data = make_file(folder / "Far Away.pkg", 3 * 1024 * 1024 + 5, seed=8).read_bytes()
    redirected: list[str] = []

    with recording_server(lambda handler: serve_ranges(handler, data)) as (second, at_second):

        def first_host(handler: http.server.BaseHTTPRequestHandler) -> None:
            if not redirected:
                redirected.append(handler.path)
                answer(handler, 302, headers={"Location": second + handler.path})
            else:
                serve_ranges(handler, data)

        with (
            recording_server(first_host) as (first, at_first),
            JamfEmulator(external_files=folder, download_base_url=first) as emulator,
        ):
            provider = (
                BasicAuthProvider(emulator.username, emulator.password)
                if kind == "basic"
                else ApiClientCredentialsProvider(emulator.client_id, emulator.client_secret)
            )
            with JamfProClient(emulator.url, provider, transfer_config=transfer_config) as client:
                result = client.jcds2.download_file("Far Away.pkg", tmp_path)
                tokens = [client.container.jamf_http().token().value]
            issued = getattr(emulator, "issued_tokens", None)
            if callable(issued):
                tokens += list(issued())
            secrets = [emulator.password, emulator.client_secret, *tokens]
            username = emulator.username if kind == "basic" else emulator.client_id

    assert result.path.read_bytes() == data
    assert redirected == ["/Far%20Away.pkg"]
    assert at_first  # the first host got the probe (redirected) and ranges
    assert at_second  # the redirect was followed: the second host served bytes too
    forms = secret_forms(*secrets, username=username)
    assert_nothing_secret(at_first, forms)
    assert_nothing_secret(at_second, forms)
