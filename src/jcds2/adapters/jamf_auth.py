"""Credentials providers: how jcds2 gets a bearer token from Jamf Pro.

A provider holds the long-lived secret (a password or an API client secret) and knows
the endpoint that trades it for a short-lived bearer token. Caching, refreshing before
expiry and thread-safety live in :class:`jcds2.adapters.jamf_http.JamfHttpClient`.

Token requests pass the session's ``verify`` explicitly (so ``REQUESTS_CA_BUNDLE`` cannot
replace a CA bundle or ``False``), never follow redirects, and read at most 64 KiB of the
answer: a token is a few hundred bytes.
"""

from __future__ import annotations

import abc
import datetime as dt
import logging
from typing import Any

import attrs
import requests

from jcds2.adapters.fields import field, read_moment, read_seconds, read_text
from jcds2.adapters.http_session import (
    REFUSED,
    SMALL_BODY_BYTES,
    BoundedResponse,
    nobody_there,
    read_bounded,
    tls_failure,
)
from jcds2.adapters.redaction import register_secret
from jcds2.domain.errors import (
    AuthenticationError,
    ConfigurationError,
    JamfApiError,
    NotJamfServerError,
    ServerUnreachableError,
)
from jcds2.domain.server import JamfServer

log = logging.getLogger("jcds2.auth")

Timeout = tuple[float, float]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@attrs.frozen
class AccessToken:
    """A bearer token and when it stops working. The token itself never shows in ``repr``."""

    value: str = attrs.field(repr=False)
    expires_at: dt.datetime
    issued_at: dt.datetime = attrs.field(factory=_utcnow)

    def __attrs_post_init__(self) -> None:
        register_secret(self.value)  # kept out of every log record from now on

    @property
    def lifetime(self) -> float:
        return (self.expires_at - self.issued_at).total_seconds()

    def seconds_left(self, now: dt.datetime | None = None) -> float:
        return (self.expires_at - (now or _utcnow())).total_seconds()


def _post(
    session: requests.Session,
    server: JamfServer,
    path: str,
    timeout: Timeout,
    what: str,
    **kwargs: Any,
) -> BoundedResponse:
    url = server.url(path)
    try:
        response = session.post(
            url,
            timeout=timeout,
            allow_redirects=False,
            verify=session.verify,
            stream=True,
            **kwargs,
        )
        status = response.status_code
        return read_bounded(
            response,
            SMALL_BODY_BYTES,
            operation=what,
            host=server.host,
            truncate=not 200 <= status < 300,
        )
    except requests.exceptions.SSLError as exc:
        raise tls_failure(exc, server.host, what) from exc
    except requests.Timeout as exc:
        raise ServerUnreachableError(
            f"{what}: no answer from {url} in time", operation=what
        ) from exc
    except requests.RequestException as exc:
        reason = nobody_there(exc)
        advice = (
            "Check the server URL (and its port) and that the server is running."
            if reason == REFUSED
            else "Check the server URL and your network."
        )
        raise ServerUnreachableError(
            f"{what}: cannot reach {url} ({reason or type(exc).__name__}). {advice}",
            operation=what,
        ) from exc


def _json_body(response: BoundedResponse, server: JamfServer, what: str) -> dict[str, Any]:
    body = response.json_or(
        what,
        f"{server.base_url} did not answer with JSON; is it a Jamf Pro server?",
        NotJamfServerError,
    )
    if not isinstance(body, dict):
        raise NotJamfServerError(
            f"{what}: unexpected answer from {server.base_url}; is it a Jamf Pro server?",
            status=response.status_code,
            operation=what,
        )
    return body


def _raise_for_token_status(response: BoundedResponse, server: JamfServer, what: str) -> None:
    status = response.status_code
    if status in (200, 201):
        return
    if status == 404 or 300 <= status < 400:
        raise NotJamfServerError(
            f"{what}: {server.base_url} has no Jamf Pro token endpoint (HTTP {status}); "
            "is this the right server URL?",
            status=status,
            operation=what,
        )
    foreign = not _jamf_error(response)
    # An empty 400 or 401 is taken at its word: a refusal of the credentials.
    if status in (400, 401) and not (foreign and response.content.strip()):
        raise AuthenticationError(
            f"{what}: {server.host} rejected the credentials (HTTP {status}). "
            "Check them, and that the account or API client is enabled.",
            status=status,
            operation=what,
        )
    if foreign:
        raise NotJamfServerError(
            f"{what}: {server.base_url} answered HTTP {status} with {_described(response)}, "
            "not with a Jamf Pro error; is it a Jamf Pro server?",
            status=status,
            operation=what,
        )
    raise JamfApiError(
        f"{what}: {server.host} answered HTTP {status}", status=status, operation=what
    )


def _jamf_error(response: BoundedResponse) -> bool:
    """Whether an error answer is one Jamf Pro sends from its token endpoints: its API
    error (``{"httpStatus", "errors"}``) or an OAuth error (``{"error": "..."}``)."""
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    return "httpStatus" in body or "errors" in body or isinstance(body.get("error"), str)


def _described(response: BoundedResponse) -> str:
    """What kind of answer a server sent, in words of jcds2's own: nothing of the answer
    is repeated (a server that is not Jamf could echo the credentials back)."""
    if not response.content.strip():
        return "an empty answer"
    kind = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml") or response.content.lstrip()[:1] == b"<":
        return "an HTML page"
    try:
        response.json()
    except ValueError:
        return "plain text" if kind == "text/plain" else "an answer that is not JSON"
    return "JSON"


def _require(identity: str, secret: str, needs: str) -> None:
    """Refuse an empty identity or secret (``needs`` says what is missing); the secret is
    kept out of every log record from now on."""
    if not identity or not secret:
        raise ConfigurationError(needs)
    register_secret(secret)


class CredentialsProvider(abc.ABC):
    """Trades long-lived credentials for bearer tokens. Subclass to add a new kind."""

    @abc.abstractmethod
    def request_token(
        self, session: requests.Session, server: JamfServer, timeout: Timeout
    ) -> AccessToken:
        """Ask the server for a new token. Raises ``AuthenticationError`` when refused."""

    def refresh_token(
        self,
        session: requests.Session,
        server: JamfServer,
        timeout: Timeout,
        current: AccessToken,
    ) -> AccessToken:
        """A fresh token to replace ``current``; by default, simply a new one."""
        return self.request_token(session, server, timeout)


@attrs.frozen
class BasicAuthProvider(CredentialsProvider):
    """A Jamf Pro user account: user name and password (``POST /api/v1/auth/token``).

    Tokens are kept alive with ``/api/v1/auth/keep-alive`` while they are still valid.
    """

    username: str
    password: str = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        _require(self.username, self.password, "BasicAuthProvider needs a user name and a password")

    def request_token(
        self, session: requests.Session, server: JamfServer, timeout: Timeout
    ) -> AccessToken:
        what = f"signing in to Jamf Pro as {self.username!r}"
        response = _post(
            session,
            server,
            "/api/v1/auth/token",
            timeout,
            what,
            auth=(self.username, self.password),
        )
        _raise_for_token_status(response, server, what)
        return self._token_from(response, server, what, "POST /api/v1/auth/token")

    def refresh_token(
        self,
        session: requests.Session,
        server: JamfServer,
        timeout: Timeout,
        current: AccessToken,
    ) -> AccessToken:
        if current.seconds_left() <= min(1.0, current.lifetime * 0.1):
            return self.request_token(session, server, timeout)  # too late to keep alive
        what = "keeping the Jamf Pro session alive"
        response = _post(
            session,
            server,
            "/api/v1/auth/keep-alive",
            timeout,
            what,
            headers={"Authorization": f"Bearer {current.value}"},
        )
        if response.status_code != 200:
            log.debug("keep-alive answered %s; signing in again", response.status_code)
            return self.request_token(session, server, timeout)
        return self._token_from(response, server, what, "POST /api/v1/auth/keep-alive")

    @staticmethod
    def _token_from(
        response: BoundedResponse, server: JamfServer, what: str, endpoint: str
    ) -> AccessToken:
        """``{"token", "expires"}``; ``expires`` as ISO-8601 (any fraction, ``Z`` or an
        offset) or as epoch seconds or milliseconds, as Jamf Pro versions send it."""
        body = _json_body(response, server, what)
        value = field(body, "token", read_text, endpoint=endpoint, operation=what)
        expires = field(body, "expires", read_moment, endpoint=endpoint, operation=what)
        return AccessToken(value=value, expires_at=expires)


@attrs.frozen
class ApiClientCredentialsProvider(CredentialsProvider):
    """A Jamf Pro API client: client id and secret (OAuth client-credentials grant).

    Uses ``POST /api/v1/oauth/token``, and ``/api/oauth/token`` on older servers.
    """

    client_id: str
    client_secret: str = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        _require(
            self.client_id,
            self.client_secret,
            "ApiClientCredentialsProvider needs a client id and a secret",
        )

    def request_token(
        self, session: requests.Session, server: JamfServer, timeout: Timeout
    ) -> AccessToken:
        what = f"signing in to Jamf Pro as API client {self.client_id!r}"
        form = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "client_credentials",
        }
        # expires_in counts from when the server issued the token, which is after the
        # request left: counting from then errs on the early side, however slow the answer.
        issued = _utcnow()
        path = "/api/v1/oauth/token"
        response = _post(session, server, path, timeout, what, data=form)
        if response.status_code == 404:
            path = "/api/oauth/token"
            response = _post(session, server, path, timeout, what, data=form)
        _raise_for_token_status(response, server, what)
        body = _json_body(response, server, what)
        endpoint = f"POST {path}"
        value = field(body, "access_token", read_text, endpoint=endpoint, operation=what)
        expires_in = field(body, "expires_in", read_seconds, endpoint=endpoint, operation=what)
        return AccessToken(
            value=value, expires_at=issued + dt.timedelta(seconds=expires_in), issued_at=issued
        )
