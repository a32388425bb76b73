"""Bearer tokens and the routes that issue them (basic auth and OAuth client credentials),
and the session's tokens (``GET /api/v1/oauth2/session-tokens``)."""

from __future__ import annotations

import base64
import datetime
import hmac
import json
import secrets
import threading
import time
from typing import Any

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator.state import Principal
from jcds2.emulator.web import Call, Route, api_error, json_response, no_content


@attrs.frozen
class IssuedToken:
    """A bearer token and the moment (epoch seconds) it stops working."""

    token: str
    principal: Principal
    expires_at: float

    @property
    def expires_iso(self) -> str:
        moment = datetime.datetime.fromtimestamp(self.expires_at, tz=datetime.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class TokenStore:
    """Thread-safe registry of issued bearer tokens."""

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}
        self._history: list[str] = []

    def set_ttl(self, ttl_seconds: float) -> None:
        """The lifetime of tokens issued from now on."""
        with self._lock:
            self._ttl = ttl_seconds

    def issue(self, principal: Principal) -> IssuedToken:
        with self._lock:
            issued = IssuedToken(secrets.token_urlsafe(32), principal, time.time() + self._ttl)
            self._tokens[issued.token] = issued
            self._history.append(issued.token)
        return issued

    def issued(self) -> list[str]:
        """Every token issued so far, expired and revoked ones included, oldest first."""
        with self._lock:
            return list(self._history)

    def lookup(self, token: str) -> IssuedToken | None:
        """The token if it exists and has not expired."""
        with self._lock:
            issued = self._tokens.get(token)
            if issued is None:
                return None
            if time.time() >= issued.expires_at:
                del self._tokens[token]
                return None
            return issued

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def expire_all(self) -> None:
        with self._lock:
            now = time.time()
            for token, issued in self._tokens.items():
                self._tokens[token] = attrs.evolve(issued, expires_at=now)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


@attrs.frozen
class AuthRoutes:
    """``/api/v1/auth/*``, the OAuth token endpoints and ``/api/v1/oauth2/session-tokens``."""

    tokens: TokenStore
    username: str
    password: str = attrs.field(repr=False)
    client_id: str
    client_secret: str = attrs.field(repr=False)

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/auth/token", ("POST",), self.token, needs_auth=False),
            Route("/api/v1/auth/keep-alive", ("POST",), self.keep_alive),
            Route("/api/v1/auth/invalidate-token", ("POST",), self.invalidate),
            Route("/api/v1/oauth/token", ("POST",), self.oauth_token, needs_auth=False),
            Route("/api/oauth/token", ("POST",), self.oauth_token, needs_auth=False),
            Route("/api/v1/oauth2/session-tokens", ("GET",), self.session_tokens),
        ]

    def token(self, call: Call) -> Response:
        auth = call.request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or not _same(auth.username or "", self.username)
            or not _same(auth.password or "", self.password)
        ):
            return api_error(401, "INVALID_CREDENTIALS", "Unauthorized")
        issued = self.tokens.issue(Principal(self.username, "user"))
        return json_response({"token": issued.token, "expires": issued.expires_iso})

    def keep_alive(self, call: Call) -> Response:
        assert call.principal is not None
        assert call.token is not None
        if call.principal.kind != "user":
            return api_error(401, "INVALID_TOKEN", "API client tokens cannot be kept alive")
        self.tokens.revoke(call.token)
        issued = self.tokens.issue(call.principal)
        return json_response({"token": issued.token, "expires": issued.expires_iso})

    def invalidate(self, call: Call) -> Response:
        assert call.token is not None
        self.tokens.revoke(call.token)
        return no_content()

    def oauth_token(self, call: Call) -> Response:
        form = call.request.form
        grant_type = form.get("grant_type")
        if not grant_type:
            return _oauth_error(400, "invalid_request", "OAuth 2.0 Parameter: grant_type")
        if grant_type != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", f"Unsupported grant type {grant_type}"
            )
        client_id = form.get("client_id")
        client_secret = form.get("client_secret")
        if not client_id or not client_secret:
            return _oauth_error(400, "invalid_request", "OAuth 2.0 Parameter: client_id")
        if not (_same(client_id, self.client_id) and _same(client_secret, self.client_secret)):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        issued = self.tokens.issue(Principal(self.client_id, "client"))
        return json_response(
            {
                "access_token": issued.token,
                "token_type": "Bearer",
                "expires_in": round(issued.expires_at - time.time()),
                "scope": "api-role:1",
            }
        )

    def session_tokens(self, call: Call) -> Response:
        """``OauthTokens`` of the caller's session: its bearer token as ``accessToken`` and
        an unsigned ID token naming the user; an API client has no user session (400)."""
        issued = self.tokens.lookup(call.token or "")
        if issued is None or issued.principal.kind != "user":
            return api_error(400, "INVALID_REQUEST", "Unable to retrieve tokens")
        return json_response({"accessToken": issued.token, "idToken": id_token(issued, call)})


def _base64url(value: dict[str, Any]) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def id_token(issued: IssuedToken, call: Call) -> str:
    """An unsecured JWT (RFC 7519 section 6, ``alg`` ``none``) for the token's user: issuer
    the emulator's URL, subject and name the user name, expiring with the token."""
    claims = {
        "iss": call.request.host_url.rstrip("/"),
        "sub": issued.principal.name,
        "name": issued.principal.name,
        "exp": int(issued.expires_at),
    }
    return f"{_base64url({'alg': 'none', 'typ': 'JWT'})}.{_base64url(claims)}."


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response(
        {
            "error": error,
            "error_description": description,
            "error_uri": "https://datatracker.ietf.org/doc/html/rfc6749#section-5.2",
        },
        status,
    )
