"""A record of the secrets the Jamf routes handed out, so tests can look for leaks."""

from __future__ import annotations

import threading
from typing import Any

from jcds2.emulator.requestfacts import URL_NUMBER_PARAMETER


class IssuedSecrets:
    """Thread-safe lists of upload credentials and download URLs handed out.

    Download URLs into the bucket get a number (query parameter ``x-emulator-url``), so that
    two URLs for the same object, signed in the same second, still differ: an
    ``expire_url`` fault expires one without the other.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._credentials: list[dict[str, str]] = []
        self._urls: list[str] = []
        self._url_count = 0

    def add_credentials(self, credentials: dict[str, Any]) -> None:
        keys = ("accessKeyID", "secretAccessKey", "sessionToken")
        with self._lock:
            self._credentials.append({key: str(credentials[key]) for key in keys})

    def numbered_url(self, url: str) -> str:
        """``url`` with the next URL number added, recorded as handed out."""
        with self._lock:
            self._url_count += 1
            separator = "&" if "?" in url else "?"
            numbered = f"{url}{separator}{URL_NUMBER_PARAMETER}={self._url_count}"
            self._urls.append(numbered)
            return numbered

    def add_url(self, url: str) -> None:
        with self._lock:
            self._urls.append(url)

    def credentials(self) -> list[dict[str, str]]:
        with self._lock:
            return [dict(item) for item in self._credentials]

    def download_urls(self) -> list[str]:
        with self._lock:
            return list(self._urls)
