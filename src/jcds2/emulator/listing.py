"""Filter, sort and page rows of a Pro API collection (search results and CSV exports).

Rows are the JSON objects the route answers; comparisons and text sorting ignore case, like
the default collation of Jamf's database (see ``rsql.py``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import attrs
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from jcds2.emulator import rsql
from jcds2.emulator.web import api_error, json_response

MAX_PAGE_SIZE = 2000


class ListingError(ValueError):
    """A bad paging, sort or filter value: 400 with ``code`` on ``field``."""

    def __init__(self, code: str, field: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.field = field
        self.description = description


@attrs.frozen
class Query:
    """What to select: an RSQL filter, sort specs (``field:asc|desc``), a page."""

    filter: str = ""
    sort: Sequence[str] = ()
    page: int = 0
    page_size: int = 100


def int_arg(raw: str, name: str, minimum: int, maximum: int | None) -> int:
    """A whole-number query parameter within bounds, else ``ListingError``."""
    # As Java's Integer.parseInt: an optional sign and digits (Python's int() would also
    # take spaces and underscores).
    if not re.fullmatch(r"[+-]?[0-9]+", raw):
        raise ListingError("INVALID_QUERY_PARAMETER", name, f"{name} must be an integer")
    value = int(raw)
    check_range(value, name, minimum, maximum)
    return value


def check_range(value: int, name: str, minimum: int, maximum: int | None) -> None:
    if value < minimum or (maximum is not None and value > maximum):
        raise ListingError("INVALID_QUERY_PARAMETER", name, f"{name} is out of range")


def sort_specs(values: Iterable[str]) -> list[str]:
    """Sort parameters given comma-separated, repeated, or both."""
    return [part for value in values for part in value.split(",") if part.strip()]


def _sort_key(field: str, numeric: Collection[str], row: dict[str, Any]) -> tuple[int, Any, str]:
    value = row.get(field)
    if value is None:
        return (0, "", "")
    if field in numeric:
        try:
            return (1, int(value), "")
        except (TypeError, ValueError):
            return (1, 0, str(value))
    if isinstance(value, str):
        # Ordered like the filter compares: case-insensitively, as Jamf's database does.
        return (1, value.casefold(), value)
    return (1, value, "")


def _lookup(row: dict[str, Any], field: str) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_sort(specs: Sequence[str], sortable: Collection[str]) -> list[tuple[str, bool]]:
    parsed: list[tuple[str, bool]] = []
    for spec in specs:
        field, _, direction = spec.strip().partition(":")
        direction = direction.lower() or "asc"
        if field not in sortable or direction not in ("asc", "desc"):
            raise ListingError("INVALID_SORT_FIELD", "sort", f"Cannot sort by {spec!r}")
        parsed.append((field, direction == "desc"))
    return parsed


def select(
    rows: list[dict[str, Any]],
    query: Query,
    *,
    filterable: Collection[str],
    sortable: Collection[str],
    numeric: Collection[str] = ("id",),
) -> tuple[int, list[dict[str, Any]]]:
    """The number of rows matching the filter, and the requested page of them, sorted.

    ``numeric`` fields sort as numbers (ids are strings on the wire). ``ListingError`` for a
    bad filter or sort.
    """
    try:
        tree = rsql.parse(query.filter, frozenset(filterable))
    except rsql.RsqlError as error:
        raise ListingError("INVALID_RSQL_FILTER_FIELD", "filter", str(error)) from None
    if tree is not None:
        rows = [row for row in rows if tree.matches(functools.partial(_lookup, row))]
    for field, descending in reversed(_parse_sort(query.sort, sortable)):
        rows.sort(key=functools.partial(_sort_key, field, numeric), reverse=descending)
    start = query.page * query.page_size
    return len(rows), rows[start : start + query.page_size]


@attrs.frozen
class ListingRules:
    """How one ``{"totalCount", "results"}`` collection may be filtered and sorted."""

    filter_fields: frozenset[str]
    sort_fields: frozenset[str]
    # Fields holding numbers as strings ("12"), sorted as numbers like Jamf's ids.
    numeric_fields: frozenset[str] = frozenset({"id"})
    default_sort: str = "id:asc"


def answer(rows: list[dict[str, Any]], args: MultiDict[str, str], rules: ListingRules) -> Response:
    """The ``{"totalCount", "results"}`` page that ``args`` asks for, or a 400 ApiError."""
    try:
        query = Query(
            filter=args.get("filter", ""),
            sort=sort_specs(args.getlist("sort")) or [rules.default_sort],
            page=int_arg(args.get("page", "0"), "page", 0, None),
            page_size=int_arg(args.get("page-size", "100"), "page-size", 1, MAX_PAGE_SIZE),
        )
        total, page = select(
            rows,
            query,
            filterable=rules.filter_fields,
            sortable=rules.sort_fields,
            numeric=rules.numeric_fields,
        )
    except ListingError as error:
        return api_error(400, error.code, error.description, field=error.field)
    return json_response({"totalCount": total, "results": page})
