"""Paged listings of the Pro API: every package record at once (``/api/v1/packages``) and
the cloud distribution point's inventory (``/api/v1/cloud-distribution-point/files``).

Both are read a page at a time (``{"totalCount", "results": [...]}``); a few names are
picked out with an RSQL filter, many from the whole listing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from typing import Any

from jcds2.adapters.fields import field, read_optional_text, read_text
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_models import package_from_pro, rsql_quote
from jcds2.domain.errors import TooManyPagesError
from jcds2.domain.models import Package, TransferStatus
from jcds2.domain.status import FileInventory

log = logging.getLogger("jcds2.pro_listings")

PACKAGES_PATH = "/api/v1/packages"
INVENTORY_PATH = "/api/v1/cloud-distribution-point/files"

#: Results per page of a listing: the fewer requests, the larger each answer.
LISTING_PAGE_SIZE = 200
#: The longest RSQL filter sent; more names than fit are picked from the whole listing.
MAX_FILTER_LENGTH = 2000


def name_filter(fields: Collection[str], names: Collection[str]) -> str | None:
    """An RSQL filter matching any of ``names`` in any of ``fields``, or ``None`` when it
    would be longer than ``MAX_FILTER_LENGTH`` (list everything and pick instead)."""
    text = ",".join(f"{name}=={rsql_quote(value)}" for value in names for name in fields)
    return text if len(text) <= MAX_FILTER_LENGTH else None


def listing(
    http: JamfHttpClient,
    path: str,
    operation: str,
    *,
    rsql: str | None = None,
    sort: str = "id:asc",
) -> Iterator[Any]:
    """Every result of the paged listing at ``path``, page by page (one request each).

    It ends at the first page shorter than ``LISTING_PAGE_SIZE``, whatever ``totalCount``
    says (a client has seen it wrong on the wire), and after ``max_search_pages`` pages at
    most (``TooManyPagesError``).
    """
    endpoint = f"GET {path}"
    pages = http.config.max_search_pages
    for page in range(pages):
        params: dict[str, Any] = {"page": page, "page-size": LISTING_PAGE_SIZE, "sort": sort}
        if rsql is not None:
            params["filter"] = rsql
        response = http.request("GET", path, operation=operation, params=params)
        body = http.json(response, operation)
        results = field(body, "results", _list, endpoint=endpoint, operation=operation)
        yield from results
        if len(results) < LISTING_PAGE_SIZE:
            return
    raise TooManyPagesError(
        f"{operation}: the listing of {path} did not end after {pages} pages of "
        f"{LISTING_PAGE_SIZE}; raise max_search_pages if the server really holds that many",
        operation=operation,
    )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _folded(names: Collection[str]) -> set[str]:
    return {name.casefold() for name in names}


class ProApiPackageCatalog:
    """Package records by the page, as a :class:`~jcds2.application.ports.PackageCatalog`:
    ``GET /api/v1/packages``, filtered by display name and file name when few are asked."""

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProApiPackageCatalog({self._http.server.base_url!r})"

    def list_packages(self, names: Collection[str] | None = None) -> list[Package]:
        operation = "listing the packages"
        rsql = None
        if names is not None:
            rsql = name_filter(("packageName", "fileName"), names)
        endpoint = f"GET {PACKAGES_PATH}"
        found = [
            package_from_pro(item, endpoint=endpoint, operation=operation)
            for item in listing(self._http, PACKAGES_PATH, operation, rsql=rsql)
        ]
        if names is None:
            return found
        # RSQL takes * as a wildcard, and the whole listing holds every package.
        wanted = _folded(names)
        return [p for p in found if _folded((p.name, p.file_name)) & wanted]


class ProApiDistributionInventory:
    """The cloud distribution point's files and their transfer statuses, as a
    :class:`~jcds2.application.ports.DistributionInventory`:
    ``GET /api/v1/cloud-distribution-point/files``, for the JCDS and the packages route
    alike (both put files on the principal cloud distribution point)."""

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProApiDistributionInventory({self._http.server.base_url!r})"

    def file_inventory(self, file_names: Collection[str] | None = None) -> FileInventory:
        operation = "reading the cloud distribution point's inventory"
        rsql = None if file_names is None else name_filter(("fileName",), file_names)
        wanted = None if file_names is None else set(file_names)
        statuses: dict[str, TransferStatus] = {}
        packages: set[str] = set()
        for item in listing(self._http, INVENTORY_PATH, operation, rsql=rsql):
            name, status, kind = _inventory_file(item, operation)
            if wanted is not None and name not in wanted:
                continue
            # A package's file wins over another object's file of the same name.
            if name in packages:
                continue
            if kind == "PACKAGE":
                packages.add(name)
            statuses[name] = status
        return FileInventory(statuses)


def _inventory_file(item: Any, operation: str) -> tuple[str, TransferStatus, str | None]:
    """``(fileName, status, type)`` of one inventory entry; a status this jcds2 does not
    know reads as ``PENDING``: not settled, so a watch waits rather than call it ready."""

    def read(name: str, reader: Any, **default: Any) -> Any:
        endpoint = f"GET {INVENTORY_PATH}"
        return field(item, name, reader, endpoint=endpoint, operation=operation, **default)

    name = read("fileName", read_text)
    raw = read("status", read_optional_text, default=None)
    try:
        status = TransferStatus(raw) if raw else TransferStatus.PENDING
    except ValueError:
        log.debug("unknown transfer status %r of %r read as PENDING", raw, name)
        status = TransferStatus.PENDING
    return name, status, read("type", read_optional_text, default=None)
