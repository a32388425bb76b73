"""Parsing the Jamf Pro server setting into a ``JamfServer``."""

from __future__ import annotations

import pytest

from jcds2.domain.errors import ConfigurationError, InsecureUrlError
from jcds2.domain.server import JamfServer, is_loopback_host


@pytest.mark.parametrize(
    ("text", "scheme", "host", "port", "base_url"),
    [
        ("example.jamfcloud.com", "https", "example.jamfcloud.com", None, None),
        ("  example.jamfcloud.com  ", "https", "example.jamfcloud.com", None, None),
        ("jamf.example.com:8443", "https", "jamf.example.com", 8443, None),
        ("https://example.jamfcloud.com", "https", "example.jamfcloud.com", None, None),
        ("https://example.jamfcloud.com/", "https", "example.jamfcloud.com", None, None),
        ("HTTPS://Example.JamfCloud.COM", "https", "example.jamfcloud.com", None, None),
        ("https://jamf.example.com:8443", "https", "jamf.example.com", 8443, None),
        ("http://[::1]:8443", "http", "::1", 8443, "http://[::1]:8443"),
        ("http://localhost", "http", "localhost", None, "http://localhost"),
        ("http://localhost:9000", "http", "localhost", 9000, "http://localhost:9000"),
        ("http://127.0.0.5", "http", "127.0.0.5", None, "http://127.0.0.5"),
        ("https://[2001:db8::1]", "https", "2001:db8::1", None, "https://[2001:db8::1]"),
    ],
)
def test_parse_accepts_hosts_and_urls(
    text: str, scheme: str, host: str, port: int | None, base_url: str | None
) -> None:
    server = JamfServer.parse(text)

    assert (server.scheme, server.host, server.port) == (scheme, host, port)
    expected_base = base_url or f"{scheme}://{host}" + (f":{port}" if port else "")
    assert server.base_url == expected_base


def test_path_prefix_is_kept_without_trailing_slash() -> None:
    server = JamfServer.parse("https://jamf.example.com:8443/jamf/")

    assert server.path == "/jamf"
    assert server.base_url == "https://jamf.example.com:8443/jamf"
    assert (
        server.url("/api/v1/jcds/files") == "https://jamf.example.com:8443/jamf/api/v1/jcds/files"
    )


def test_url_appends_an_api_path_to_the_base_url() -> None:
    server = JamfServer.parse("example.jamfcloud.com")

    assert server.url("/api/v1/auth/token") == "https://example.jamfcloud.com/api/v1/auth/token"


@pytest.mark.parametrize(
    "text",
    [
        "http://example.com",
        "http://example.com:8080",
        "http://10.0.0.1",
        "http://[::2]:8443",
        "http://127.0.0.1.example.com",
        "http://localhost.evil.example",
    ],
)
def test_plain_http_to_another_machine_is_refused(text: str) -> None:
    with pytest.raises(InsecureUrlError) as caught:
        JamfServer.parse(text)

    assert "https://" in str(caught.value)


def test_insecure_url_error_is_a_configuration_error() -> None:
    assert issubclass(InsecureUrlError, ConfigurationError)


@pytest.mark.parametrize(
    ("text", "fragment_of_message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("https://admin:hunter2@example.com", "credentials"),
        ("https://admin@example.com", "credentials"),
        ("https://example.com/?token=abc", "query"),
        ("https://example.com/#section", "fragment"),
        ("ftp://example.com", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https://example.com:99999", "port"),
        ("https://example.com:http", "port"),
        ("https://", "host"),
        ("https:///api", "host"),
    ],
)
def test_unusable_settings_are_refused(text: str, fragment_of_message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        JamfServer.parse(text)

    assert not isinstance(caught.value, InsecureUrlError)
    assert fragment_of_message in str(caught.value)


def test_credentials_in_the_url_are_not_echoed_in_the_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        JamfServer.parse("https://admin:hunter2@example.com")

    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("::1", True),
        ("[::1]", True),
        ("128.0.0.1", False),
        ("example.com", False),
        ("::2", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
