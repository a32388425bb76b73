"""CSV exports of a Pro API collection (``POST .../export``), as the schema describes them.

The query parameters ``export-fields``, ``export-labels``, ``page``, ``page-size``, ``sort``
and ``filter`` say what to export; an ``ExportParameters`` body, when given, overrides each
of them it sets (``page``, ``pageSize``, ``sort``, ``filter``, ``fields`` with optional
``fieldLabelOverride``). No fields (or an empty list) means every field, in the schema's
order. An unknown or repeated column, or labels that do not pair up with the fields, are
a 400, as the schema says ("may contain a non-existing column or a duplicate").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from werkzeug.wrappers import Request, Response

from jcds2.emulator.listing import (
    MAX_PAGE_SIZE,
    ListingError,
    Query,
    check_range,
    int_arg,
    sort_specs,
)

Column = tuple[str, str]  # (field name, label)


def _listed(request: Request, name: str) -> list[str]:
    # Either repeated (the schema's explode=true) or comma-separated (its example).
    return [part.strip() for part in sort_specs(request.args.getlist(name))]


def _columns(request: Request, body: Mapping[str, Any], fields: Sequence[str]) -> list[Column]:
    given = body.get("fields")
    if given:
        chosen = [
            (item.get("fieldName") or "", item.get("fieldLabelOverride") or item.get("fieldName"))
            for item in given
        ]
    else:
        names = _listed(request, "export-fields")
        labels = _listed(request, "export-labels")
        if labels and len(labels) != len(names):
            raise ListingError(
                "INVALID_FIELD", "export-labels", "export-labels must match export-fields"
            )
        chosen = list(zip(names, labels or names, strict=True))
    if not chosen:
        return [(name, name) for name in fields]
    seen: set[str] = set()
    for name, _label in chosen:
        if name not in fields or name in seen:
            raise ListingError(
                "INVALID_FIELD",
                "fields",
                f"Could not export: {name!r} is not a column or is given twice",
            )
        seen.add(name)
    return [(name, str(label)) for name, label in chosen]


def export_request(
    request: Request,
    body: Mapping[str, Any] | None,
    fields: Sequence[str],
    default_sort: Sequence[str],
) -> tuple[Query, list[Column]]:
    """What to export: the rows' query and the columns. ``ListingError`` if refused."""
    args = request.args
    body = body or {}
    page = int_arg(args.get("page", "0"), "page", 0, None)
    page_size = int_arg(args.get("page-size", "100"), "page-size", 1, MAX_PAGE_SIZE)
    if body.get("page") is not None:
        page = body["page"]
        check_range(page, "page", 0, None)
    if body.get("pageSize") is not None:
        page_size = body["pageSize"]
        check_range(page_size, "pageSize", 1, MAX_PAGE_SIZE)
    sort = body.get("sort") or sort_specs(args.getlist("sort")) or list(default_sort)
    row_filter = body.get("filter")
    query = Query(
        filter=args.get("filter", "") if row_filter is None else row_filter,
        sort=sort,
        page=page,
        page_size=page_size,
    )
    return query, _columns(request, body, fields)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_response(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> Response:
    """200 ``text/csv``: a header of labels, then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([label for _name, label in columns])
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name, _label in columns])
    return Response(out.getvalue(), status=200, mimetype="text/csv")
