"""Bearer tokens: basic-auth tokens, keep-alive, invalidation, OAuth client credentials, expiry,
and the session's tokens (``/api/v1/oauth2/session-tokens``)."""

from __future__ import annotations

import base64
import datetime
import json
import time
from typing import Any

import pytest

from jcds2.emulator import JamfEmulator

from .conftest import JamfClient, SchemaChecker

INVALID_TOKEN = {
    "httpStatus": 401,
    "errors": [{"code": "INVALID_TOKEN", "field": None, "description": "Unauthorized", "id": "0"}],
}


def test_basic_auth_token(anonymous: JamfClient, emulator: JamfEmulator) -> None:
    before = datetime.datetime.now(datetime.timezone.utc)
    response = anonymous.post("/api/v1/auth/token", auth=(emulator.username, emulator.password))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires"}
    assert body["expires"].endswith("Z")
    assert len(body["expires"]) == len("2026-11-23T18:30:00.123Z")
    expires = datetime.datetime.fromisoformat(body["expires"].replace("Z", "+00:00"))
    lifetime = (expires - before).total_seconds()
    assert emulator.token_ttl_seconds - 5 < lifetime <= emulator.token_ttl_seconds + 1


@pytest.mark.parametrize("which", ["username", "password", "none"])
def test_wrong_credentials_are_refused(
    anonymous: JamfClient, emulator: JamfEmulator, which: str
) -> None:
    auth = {
        "username": ("nobody", emulator.password),
        "password": (emulator.username, "wrong"),
        "none": None,
    }[which]
    response = anonymous.post("/api/v1/auth/token", auth=auth)
    assert response.status_code == 401
    assert response.json()["httpStatus"] == 401


def test_routes_need_a_valid_bearer_token(anonymous: JamfClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}):
        response = anonymous.get("/api/v1/packages", headers=headers)
        assert response.status_code == 401
        assert response.json() == INVALID_TOKEN
        classic = anonymous.get("/JSSResource/packages", headers=headers)
        assert classic.status_code == 401
        assert classic.headers["Content-Type"].startswith("text/html")


def test_keep_alive_replaces_the_token(client: JamfClient) -> None:
    old = client.token
    response = client.post("/api/v1/auth/keep-alive")
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old
    assert client.get("/api/v1/packages").status_code == 401  # still the old token
    client.token = new
    assert client.get("/api/v1/packages").status_code == 200


def test_invalidate_token(client: JamfClient) -> None:
    assert client.post("/api/v1/auth/invalidate-token").status_code == 204
    assert client.get("/api/v1/packages").status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/oauth/token", "/api/oauth/token"])
def test_oauth_client_credentials(anonymous: JamfClient, emulator: JamfEmulator, path: str) -> None:
    response = anonymous.post(
        path,
        data={
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "grant_type": "client_credentials",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "api-role:1"
    assert abs(body["expires_in"] - emulator.token_ttl_seconds) <= 1
    anonymous.token = body["access_token"]
    assert anonymous.get("/api/v1/jcds/files").status_code == 200
    # API-client tokens cannot be kept alive, only requested again.
    assert anonymous.post("/api/v1/auth/keep-alive").status_code == 401


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "invalid_request"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "someone-else"}, 401, "invalid_client"),
        ({"client_id": None}, 400, "invalid_request"),
    ],
)
def test_oauth_errors(
    anonymous: JamfClient,
    emulator: JamfEmulator,
    form: dict[str, str | None],
    status: int,
    error: str,
) -> None:
    data = {
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "grant_type": "client_credentials",
    }
    data.update({key: value for key, value in form.items() if value is not None})
    for key in [key for key, value in form.items() if value is None]:
        del data[key]
    response = anonymous.post("/api/v1/oauth/token", data=data)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_expire_tokens(client: JamfClient, emulator: JamfEmulator) -> None:
    assert client.get("/api/v1/packages").status_code == 200
    emulator.expire_tokens()
    assert client.get("/api/v1/packages").status_code == 401
    assert client.get("/JSSResource/packages").status_code == 401


def test_tokens_expire_after_their_lifetime() -> None:
    with JamfEmulator(token_ttl_seconds=0.3) as short:
        client = JamfClient(short, SchemaChecker(short.url)).login()
        assert client.get("/api/v1/packages").status_code == 200
        time.sleep(0.4)
        assert client.get("/api/v1/packages").status_code == 401


def test_given_credentials_are_used() -> None:
    with JamfEmulator(
        username="admin", password="pw", client_id="cid", client_secret="cs"
    ) as emulator:
        info = emulator.info()
        assert (info["username"], info["password"]) == ("admin", "pw")
        assert (info["client_id"], info["client_secret"]) == ("cid", "cs")
        assert set(info) == {
            "url",
            "s3_endpoint_url",
            "username",
            "password",
            "client_id",
            "client_secret",
            "bucket",
        }


# The session's tokens -------------------------------------------------------------------

SESSION_TOKENS = "/api/v1/oauth2/session-tokens"


def decoded(part: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


def test_session_tokens_of_a_user_are_its_bearer_token_and_an_id_token(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    response = client.get(SESSION_TOKENS)
    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"accessToken", "idToken"}
    assert tokens["accessToken"] == client.token
    header, claims, signature = tokens["idToken"].split(".")
    assert decoded(header) == {"alg": "none", "typ": "JWT"}  # an unsecured JWT
    assert signature == ""
    body = decoded(claims)
    assert (body["iss"], body["sub"], body["name"]) == (
        emulator.url,
        emulator.username,
        emulator.username,
    )
    assert 0 < body["exp"] - time.time() <= emulator.token_ttl_seconds + 1
    # A kept-alive session answers its new token.
    client.token = client.post("/api/v1/auth/keep-alive").json()["token"]
    assert client.get(SESSION_TOKENS).json()["accessToken"] == client.token


def test_an_api_client_has_no_session_tokens(anonymous: JamfClient, emulator: JamfEmulator) -> None:
    granted = anonymous.post(
        "/api/v1/oauth/token",
        data={
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "grant_type": "client_credentials",
        },
    )
    anonymous.token = granted.json()["access_token"]
    response = anonymous.get(SESSION_TOKENS)
    assert response.status_code == 400
    assert response.json()["errors"][0]["description"] == "Unable to retrieve tokens"


def test_session_tokens_need_a_live_token(client: JamfClient, anonymous: JamfClient) -> None:
    assert (anonymous.get(SESSION_TOKENS).status_code, anonymous.get(SESSION_TOKENS).json()) == (
        401,
        INVALID_TOKEN,
    )
    assert client.post("/api/v1/auth/invalidate-token").status_code == 204
    assert client.get(SESSION_TOKENS).status_code == 401
