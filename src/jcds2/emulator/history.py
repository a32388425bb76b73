"""Object history (Jamf's ``ObjectHistory``): notes the server and users add to an object.

The emulator adds a note when a package is created, updated, given a file or a manifest,
as Jamf keeps an object history for such changes; ``POST /api/v1/packages/{id}/history``
adds a user's note. ``GET`` pages, sorts and filters them (``HistorySearchResults``), and
``POST .../history/export`` exports them as CSV. ``history_page`` and ``add_note`` serve
every object's history routes (the cloud distribution point's too, ``cdp_settings.py``).
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator.export import csv_response, export_request
from jcds2.emulator.jsonbody import BodyError, BodyReader
from jcds2.emulator.listing import (
    MAX_PAGE_SIZE,
    ListingError,
    Query,
    int_arg,
    select,
    sort_specs,
)
from jcds2.emulator.state import PackageStore
from jcds2.emulator.web import Call, Route, api_error, body_error, json_response

HISTORY_FIELDS = ("id", "username", "date", "note", "details")
DEFAULT_SORT = ("date:desc",)  # the schema's default for a package's history
HISTORY_PATH = "/v1/packages/{id}/history"


def _now() -> str:
    moment = datetime.datetime.now(tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ObjectHistory:
    """Thread-safe ObjectHistory records per object id; ids count up across objects."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[int, list[dict[str, Any]]] = {}
        self._next_id = 1

    def add(
        self, object_id: int, call: Call | None, note: str, details: str | None = None
    ) -> dict[str, Any]:
        """Add a note by the caller's principal (``call`` None: the emulator itself)."""
        username = call.principal.name if call and call.principal else "jamf"
        with self._lock:
            record = {
                "id": self._next_id,
                "username": username,
                "date": _now(),
                "note": note,
                "details": details,
            }
            self._next_id += 1
            self._records.setdefault(object_id, []).append(record)
            return dict(record)

    def records(self, object_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(record) for record in self._records.get(object_id, [])]

    def forget(self, object_id: int) -> None:
        with self._lock:
            self._records.pop(object_id, None)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._next_id = 1


# The package routes' name for it.
PackageHistory = ObjectHistory


def _sorted_by_date(rows: list[dict[str, Any]], query: Query) -> tuple[int, list[dict[str, Any]]]:
    # Dates of one millisecond tie; the id breaks ties in the same direction.
    sort = [*query.sort]
    if sort and sort[-1].strip().startswith("date") and "id" not in sort:
        sort.append("id:desc" if sort[-1].strip().endswith(":desc") else "id:asc")
    return select(
        rows,
        attrs.evolve(query, sort=sort),
        filterable=HISTORY_FIELDS,
        sortable=HISTORY_FIELDS,
    )


@attrs.frozen
class PackageHistoryRoutes:
    """``/api/v1/packages/{id}/history`` (GET, POST) and ``.../history/export``."""

    store: PackageStore
    history: PackageHistory
    bodies: BodyReader

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/packages/<package_id>/history", ("GET", "POST"), self.notes),
            Route("/api/v1/packages/<package_id>/history/export", ("POST",), self.export),
        ]

    def _package_id(self, call: Call) -> int | None:
        raw = call.args["package_id"]
        package = self.store.get(int(raw)) if raw.isdigit() else None
        return None if package is None else package.id

    def notes(self, call: Call) -> Response:
        package_id = self._package_id(call)
        if package_id is None:
            return _no_such_package(call)
        if call.request.method == "POST":
            return add_note(self.history, package_id, call, self.bodies, HISTORY_PATH)
        return history_page(self.history.records(package_id), call, DEFAULT_SORT)

    def export(self, call: Call) -> Response:
        package_id = self._package_id(call)
        if package_id is None:
            return _no_such_package(call)
        try:
            body = self.bodies.read(
                call.request.get_data(), "/v1/packages/{id}/history/export", "post"
            )
            query, columns = export_request(call.request, body, HISTORY_FIELDS, DEFAULT_SORT)
            _total, rows = _sorted_by_date(self.history.records(package_id), query)
        except BodyError as error:
            return body_error(error)
        except ListingError as error:
            return api_error(400, error.code, error.description, field=error.field)
        return csv_response(rows, columns)


def history_page(
    records: list[dict[str, Any]], call: Call, default_sort: tuple[str, ...]
) -> Response:
    """200 ``HistorySearchResults`` of ``records`` as the query pages, sorts and filters
    them, or a 400 ApiError for a bad query."""
    args = call.request.args
    try:
        query = Query(
            filter=args.get("filter", ""),
            sort=sort_specs(args.getlist("sort")) or list(default_sort),
            page=int_arg(args.get("page", "0"), "page", 0, None),
            page_size=int_arg(args.get("page-size", "100"), "page-size", 1, MAX_PAGE_SIZE),
        )
        total, rows = _sorted_by_date(records, query)
    except ListingError as error:
        return api_error(400, error.code, error.description, field=error.field)
    return json_response({"totalCount": total, "results": rows})


def add_note(
    history: ObjectHistory, object_id: int, call: Call, bodies: BodyReader, schema_path: str
) -> Response:
    """201 ``ObjectHistory``: the ``ObjectHistoryNote`` body of ``POST schema_path`` added
    to the object's history by the caller; 400 for a refused body."""
    try:
        body = bodies.read(call.request.get_data(), schema_path, "post")
    except BodyError as error:
        return body_error(error)
    return json_response(history.add(object_id, call, body["note"]), 201)


def _no_such_package(call: Call) -> Response:
    raw = call.args["package_id"]
    return api_error(
        404, "INVALID_ID", f"Package with id {raw} does not exist", field="id", object_id=raw
    )
