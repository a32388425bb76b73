"""Categories through the Pro API's ``/api/v1/categories``: find by name or id, create."""

from __future__ import annotations

import logging
from typing import Any

from jcds2.adapters.fields import field, read_id, read_text
from jcds2.adapters.jamf_http import JamfHttpClient, error_detail
from jcds2.adapters.pro_models import rsql_quote
from jcds2.domain.errors import JamfApiError
from jcds2.domain.models import Category

log = logging.getLogger("jcds2.pro_categories")

_PATH = "/api/v1/categories"
#: Jamf's default for a new category (the schema requires a priority from 1 to 20).
_NEW_PRIORITY = 9
#: One page is one request; more categories of one name (with RSQL wildcards) are unlikely.
_PAGE_SIZE = 100


class ProApiCategoryDirectory:
    """Categories as a :class:`~jcds2.application.ports.CategoryDirectory`, through the
    Pro API (the same categories the Classic API files packages under by name)."""

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProApiCategoryDirectory({self._http.server.base_url!r})"

    def find_by_name(self, name: str) -> Category | None:
        operation = f"looking up category {name!r}"
        response = self._http.request(
            "GET",
            _PATH,
            operation=operation,
            params={
                "page": 0,
                "page-size": _PAGE_SIZE,
                "sort": "id:asc",
                "filter": f"name=={rsql_quote(name)}",
            },
        )
        body = self._http.json(response, operation)
        results = field(body, "results", _list, endpoint=f"GET {_PATH}", operation=operation)
        found = [_category(item, f"GET {_PATH}", operation) for item in results]
        # RSQL matches "*" as a wildcard and the server ignores case: keep the exact name,
        # or the one name that differs only in case.
        exact = [category for category in found if category.name == name]
        if exact:
            return exact[0]
        folded = [c for c in found if c.name.casefold() == name.casefold()]
        return folded[0] if len(folded) == 1 else None

    def get(self, category_id: int) -> Category | None:
        operation = f"reading category {category_id}"
        response = self._http.request(
            "GET", f"{_PATH}/{category_id}", operation=operation, allow=[404]
        )
        if response.status_code == 404:
            return None
        body = self._http.json(response, operation)
        return _category(body, f"GET {_PATH}/{{id}}", operation)

    def create(self, name: str) -> Category:
        operation = f"creating category {name!r}"
        response = self._http.request(
            "POST",
            _PATH,
            operation=operation,
            json={"name": name, "priority": _NEW_PRIORITY},
            allow=[400, 409],
        )
        if response.status_code in (400, 409):
            # Made meanwhile by someone else (a duplicate name): that one will do.
            made = self.find_by_name(name)
            if made is not None:
                return made
            raise JamfApiError(
                f"{operation}: Jamf Pro refused the category "
                f"(HTTP {response.status_code}: {error_detail(response)})",
                status=response.status_code,
                operation=operation,
            )
        answer = self._http.json(response, operation)
        category_id = field(answer, "id", read_id, endpoint=f"POST {_PATH}", operation=operation)
        log.info("created category %r (id %d)", name, category_id)
        return Category(id=category_id, name=name)


def _category(item: Any, endpoint: str, operation: str) -> Category:
    return Category(
        id=field(item, "id", read_id, endpoint=endpoint, operation=operation),
        name=field(item, "name", read_text, endpoint=endpoint, operation=operation),
    )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value
