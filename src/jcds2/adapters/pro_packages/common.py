"""What the packages-route adapters share: reading a package, the error codes of an answer."""

from __future__ import annotations

import logging
import re
from typing import Any

from jcds2.adapters.http_session import BoundedResponse
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_models import package_from_pro, unexpected_answer
from jcds2.domain.models import (
    Package,
)

log = logging.getLogger("jcds2.pro_packages")

NO_CATEGORY = "-1"
_CATEGORY_ID = re.compile(r"-1|\d+")


def _error_codes(response: BoundedResponse) -> list[tuple[str, str]]:
    """``(code, field)`` of every error in a Pro API error answer."""
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    return [
        (str(item.get("code") or ""), str(item.get("field") or ""))
        for item in errors
        if isinstance(item, dict)
    ]


def _read_package(http: JamfHttpClient, package_id: int, operation: str) -> dict[str, Any] | None:
    """The raw Pro API Package with ``package_id``, or ``None`` if there is none."""
    response = http.request(
        "GET", f"/api/v1/packages/{package_id}", operation=operation, allow=[404]
    )
    if response.status_code == 404:
        return None
    body = http.json(response, operation)
    if not isinstance(body, dict):
        raise unexpected_answer(operation, "not a package")
    return body


def _package(item: Any, operation: str) -> Package:
    return package_from_pro(item, endpoint="GET /api/v1/packages/{id}", operation=operation)
