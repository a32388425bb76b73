"""What the Pro API adapters share: RSQL quoting, reading a Pro API ``Package``, and
finding one with a filtered search."""

from __future__ import annotations

from typing import Any

from jcds2.adapters.fields import (
    field,
    read_id,
    read_int,
    read_optional_text,
    read_size,
    read_text,
)
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.domain.errors import JamfApiError, TooManyPagesError
from jcds2.domain.models import Package, TransferStatus

SEARCH_PAGE_SIZE = 100


def rsql_quote(value: str) -> str:
    """``value`` as a double-quoted RSQL argument (``"`` and ``\\`` escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _status(value: Any) -> TransferStatus | None:
    """``cloudTransferStatus``; a status this jcds2 does not know reads as none."""
    try:
        return TransferStatus(value) if value else None
    except ValueError:
        return None


def package_from_pro(item: Any, *, endpoint: str, operation: str) -> Package:
    """A domain ``Package`` from a Pro API Package object.

    ``id`` may be a number or a string of digits, ``size`` a string of bytes, a number,
    or blank (unknown yet). A missing or unreadable id or file name, or a field of the
    wrong type, raises ``UnexpectedAnswerError`` naming the field and ``endpoint``.
    """

    def read(name: str, reader: Any, **default: Any) -> Any:
        return field(item, name, reader, endpoint=endpoint, operation=operation, **default)

    return Package(
        id=read("id", read_id),
        name=read("packageName", _optional_name, default=""),
        file_name=read("fileName", read_text),
        hash_type=read("hashType", read_optional_text, default=None),
        hash_value=read("hashValue", read_optional_text, default=None),
        md5=read("md5", read_optional_text, default=None),
        sha3_512=read("sha3512", read_optional_text, default=None),
        size=read("size", read_size, default=None),
        status=_status(read("cloudTransferStatus", read_optional_text, default=None)),
    )


def _optional_name(value: Any) -> str:
    return read_optional_text(value) or ""


def unexpected_answer(operation: str, what: str) -> JamfApiError:
    """The error for an answer that is not what the Pro API documents."""
    return JamfApiError(
        f"{operation}: unexpected answer from Jamf Pro ({what})", operation=operation
    )


def find_package(
    http: JamfHttpClient, field_name: str, value: str, operation: str
) -> Package | None:
    """The first package (by id) whose ``field_name`` is exactly ``value``, or ``None``.

    One filtered ``GET /api/v1/packages`` per page of ``SEARCH_PAGE_SIZE``; RSQL treats
    ``*`` as a wildcard, so only exact matches count. The search ends at the first page
    that is short (whatever ``totalCount`` claims) and after ``max_search_pages`` pages
    at most (``TooManyPagesError``).
    """
    pages = http.config.max_search_pages
    total = 0
    for page in range(pages):
        response = http.request(
            "GET",
            "/api/v1/packages",
            operation=operation,
            params={
                "page": page,
                "page-size": SEARCH_PAGE_SIZE,
                "sort": "id:asc",
                "filter": f"{field_name}=={rsql_quote(value)}",
            },
        )
        body = http.json(response, operation)
        endpoint = "GET /api/v1/packages"
        results = field(body, "results", _list, endpoint=endpoint, operation=operation)
        total = field(
            body, "totalCount", read_int, endpoint=endpoint, operation=operation, default=None
        )
        total = len(results) if total is None else total
        for item in results:
            if isinstance(item, dict) and item.get(field_name) == value:
                return package_from_pro(item, endpoint=endpoint, operation=operation)
        if len(results) < SEARCH_PAGE_SIZE or (page + 1) * SEARCH_PAGE_SIZE >= total:
            return None
    raise TooManyPagesError(
        f"{operation}: the search of packages by {field_name} did not end after {pages} "
        f"pages of {SEARCH_PAGE_SIZE} (the server reported {total} matches); raise "
        "max_search_pages if the server really holds that many",
        operation=operation,
    )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value
