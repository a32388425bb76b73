"""The Jamf Pro server a client talks to, parsed and checked once."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import attrs

from jcds2.domain.errors import ConfigurationError, InsecureUrlError


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8 or ``::1``)."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@attrs.frozen
class JamfServer:
    """A Jamf Pro server's base URL, e.g. ``https://example.jamfcloud.com``.

    Build it with :meth:`parse`, which takes a bare host name or a
    full URL, and refuses plain ``http`` except to loopback addresses.
    """

    scheme: str
    host: str
    port: int | None
    path: str = ""

    @classmethod
    def parse(cls, server: str) -> JamfServer:
        """The server of a host name (``https`` implied) or a URL.

        Raises ``ConfigurationError`` for a URL that cannot name a server (no host, user
        info, a query or fragment, another scheme) and ``InsecureUrlError`` for plain
        ``http`` to a host that is not a loopback address.
        """
        text = server.strip()
        if not text:
            raise ConfigurationError("the Jamf Pro server is empty; give a host name or URL")
        if "://" not in text:
            text = f"https://{text}"
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in {"https", "http"}:
            raise ConfigurationError(f"unsupported URL scheme {parts.scheme!r}; use https")
        if parts.username is not None or parts.password is not None:
            raise ConfigurationError(
                "the server URL must not contain credentials; pass a credentials provider"
            )
        if parts.query or parts.fragment:
            raise ConfigurationError("the server URL must not have a query or fragment")
        try:
            port = parts.port
        except ValueError as exc:
            raise ConfigurationError(f"invalid port in server URL {server!r}") from exc
        host = parts.hostname or ""
        if not host:
            raise ConfigurationError(f"no host name in server URL {server!r}")
        if scheme == "http" and not is_loopback_host(host):
            raise InsecureUrlError(
                f"refusing plain http:// to {host}: credentials and tokens would travel "
                "unencrypted. Use https:// (plain http is allowed only to loopback addresses)."
            )
        return cls(scheme=scheme, host=host, port=port, path=parts.path.rstrip("/"))

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{host}{port}{self.path}"

    def url(self, path: str) -> str:
        """The absolute URL of an API path such as ``/api/v1/jcds/files``."""
        return f"{self.base_url}{path}"
