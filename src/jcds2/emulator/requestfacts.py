"""A request as the fault rules see it: server, method, path, query and ``Range``."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import attrs

# The query parameter that tells download URLs handed out by the Jamf route apart.
URL_NUMBER_PARAMETER = "x-emulator-url"

_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


def parse_range(header: str | None) -> tuple[int, int | None] | None:
    """``(first, last)`` of a single ``bytes=first-[last]`` range, else None."""
    found = _RANGE.fullmatch((header or "").strip())
    if found is None:
        return None
    return int(found[1]), int(found[2]) if found[2] else None


@attrs.frozen
class RequestFacts:
    """What the fault rules need to know about a request."""

    server: str
    method: str
    path: str
    query: str = ""
    range: str | None = None

    @property
    def url_number(self) -> str | None:
        """The number of the handed-out download URL this request uses, if any."""
        values = parse_qs(self.query).get(URL_NUMBER_PARAMETER)
        return values[0] if values else None
