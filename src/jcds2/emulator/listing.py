"""Paging, sorting and RSQL filtering of Pro API collections (``page``, ``page-size``,
``sort``, ``filter``), for the collections that answer ``{"totalCount", "results"}``.

Rows are the JSON objects the route answers; comparisons and text sorting ignore case, like
the default collation of Jamf's database (see ``rsql.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import Any

import attrs
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from jcds2.emulator import rsql
from jcds2.emulator.web import api_error, json_response

MAX_PAGE_SIZE = 2000


@attrs.frozen
class ListingRules:
    """How one collection may be filtered and sorted."""

    filter_fields: frozenset[str]
    sort_fields: frozenset[str]
    # Fields holding numbers as strings ("12"), sorted as numbers like Jamf's ids.
    numeric_fields: frozenset[str] = frozenset({"id"})
    default_sort: str = "id:asc"


class _QueryError(Exception):
    """Raised when a paging, sorting or filter parameter cannot be used."""

    def __init__(self, code: str, field: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.field = field
        self.description = description


def answer(rows: list[dict[str, Any]], args: MultiDict[str, str], rules: ListingRules) -> Response:
    """The ``{"totalCount", "results"}`` page that ``args`` asks for, or a 400 ApiError."""
    try:
        page = _int_arg(args.get("page", "0"), "page", 0, None)
        page_size = _int_arg(args.get("page-size", "100"), "page-size", 1, MAX_PAGE_SIZE)
        matching = _filtered(rows, args.get("filter", ""), rules.filter_fields)
        specs = [part for value in args.getlist("sort") for part in value.split(",") if part]
        for field, descending in reversed(_sort_specs(specs or [rules.default_sort], rules)):
            key = functools.partial(_sort_key, field, field in rules.numeric_fields)
            matching.sort(key=key, reverse=descending)
    except _QueryError as error:
        return api_error(400, error.code, error.description, field=error.field)
    start = page * page_size
    return json_response(
        {"totalCount": len(matching), "results": matching[start : start + page_size]}
    )


def _filtered(
    rows: list[dict[str, Any]], expression: str, fields: Collection[str]
) -> list[dict[str, Any]]:
    try:
        tree = rsql.parse(expression, fields)
    except rsql.RsqlError as error:
        raise _QueryError("INVALID_RSQL_FILTER_FIELD", "filter", str(error)) from None
    if tree is None:
        return list(rows)
    return [row for row in rows if tree.matches(functools.partial(_lookup, row))]


def _lookup(row: Mapping[str, Any], field: str) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _sort_specs(specs: list[str], rules: ListingRules) -> list[tuple[str, bool]]:
    parsed: list[tuple[str, bool]] = []
    for spec in specs:
        field, _, direction = spec.strip().partition(":")
        direction = direction.lower() or "asc"
        if field not in rules.sort_fields or direction not in ("asc", "desc"):
            raise _QueryError("INVALID_SORT_FIELD", "sort", f"Cannot sort by {spec!r}")
        parsed.append((field, direction == "desc"))
    return parsed


def _sort_key(field: str, numeric: bool, row: Mapping[str, Any]) -> tuple[int, Any, str]:
    value = row.get(field)
    if value is None:
        return (0, "", "")
    if numeric:
        try:
            return (1, int(value), "")
        except (TypeError, ValueError):
            return (1, 0, str(value))
    if isinstance(value, str):
        return (1, value.casefold(), value)
    return (1, value, "")


def _int_arg(raw: str, name: str, minimum: int, maximum: int | None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise _QueryError("INVALID_QUERY_PARAMETER", name, f"{name} must be an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise _QueryError("INVALID_QUERY_PARAMETER", name, f"{name} is out of range")
    return value
