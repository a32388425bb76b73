"""What the Pro API adapters share: RSQL quoting, reading a Pro API ``Package``, and
finding one with a filtered search."""

from __future__ import annotations

from typing import Any

from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.domain.errors import JamfApiError
from jcds2.domain.models import Package, TransferStatus

SEARCH_PAGE_SIZE = 100


def rsql_quote(value: str) -> str:
    """``value`` as a double-quoted RSQL argument (``"`` and ``\\`` escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _size(value: Any) -> int | None:
    """Jamf reports ``size`` as a string of bytes; blank or unreadable means unknown."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _status(value: Any) -> TransferStatus | None:
    try:
        return TransferStatus(value) if value else None
    except ValueError:
        return None


def package_from_pro(item: Any) -> Package:
    """A domain ``Package`` from a Pro API Package object.

    Raises ``KeyError``, ``TypeError`` or ``ValueError`` when ``item`` lacks the id or
    file name; callers turn those into a ``JamfApiError``.
    """
    return Package(
        id=int(item["id"]),
        name=str(item.get("packageName") or ""),
        file_name=str(item["fileName"]),
        hash_type=item.get("hashType") or None,
        hash_value=item.get("hashValue") or None,
        md5=item.get("md5") or None,
        sha3_512=item.get("sha3512") or None,
        size=_size(item.get("size")),
        status=_status(item.get("cloudTransferStatus")),
    )


def unexpected_answer(operation: str, what: str) -> JamfApiError:
    """The error for an answer that is not what the Pro API documents."""
    return JamfApiError(
        f"{operation}: unexpected answer from Jamf Pro ({what})", operation=operation
    )


def find_package(http: JamfHttpClient, field: str, value: str, operation: str) -> Package | None:
    """The first package (by id) whose ``field`` is exactly ``value``, or ``None``.

    One filtered ``GET /api/v1/packages`` per page of ``SEARCH_PAGE_SIZE``; RSQL treats
    ``*`` as a wildcard, so only exact matches count.
    """
    page = 0
    while True:
        response = http.request(
            "GET",
            "/api/v1/packages",
            operation=operation,
            params={
                "page": page,
                "page-size": SEARCH_PAGE_SIZE,
                "sort": "id:asc",
                "filter": f"{field}=={rsql_quote(value)}",
            },
        )
        body = http.json(response, operation)
        try:
            results = body["results"]
            total = int(body.get("totalCount", len(results)))
            found = next((item for item in results if item.get(field) == value), None)
            if found is not None:
                return package_from_pro(found)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise unexpected_answer(operation, "not a package search result") from exc
        page += 1
        if not results or page * SEARCH_PAGE_SIZE >= total:
            return None
