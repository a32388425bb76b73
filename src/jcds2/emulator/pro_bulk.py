"""``POST /api/v1/packages/delete-multiple`` and ``POST /api/v1/packages/export``."""

from __future__ import annotations

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator.export import csv_response, export_request
from jcds2.emulator.jsonbody import BodyError
from jcds2.emulator.listing import ListingError, select
from jcds2.emulator.pro import EXPORT_FIELDS, FILTER_FIELDS, SORTABLE, ProPackageRoutes, to_pro
from jcds2.emulator.state import PackageNotFoundError
from jcds2.emulator.web import (
    Call,
    Route,
    api_error,
    api_error_body,
    body_error,
    json_response,
    no_content,
)


@attrs.frozen
class PackageBulkRoutes:
    """Delete several packages at once; export the packages as CSV."""

    packages: ProPackageRoutes

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/packages/delete-multiple", ("POST",), self.delete_multiple),
            Route("/api/v1/packages/export", ("POST",), self.export),
        ]

    def delete_multiple(self, call: Call) -> Response:
        """204 once all are deleted; else 400 listing each id that could not be.

        The ids that exist are deleted even when others do not (the schema's 400 "returns
        error codes and IDs for any packages that were unable to be deleted").
        """
        try:
            body = self.packages.bodies.read(
                call.request.get_data(), "/v1/packages/delete-multiple", "post"
            )
        except BodyError as error:
            return body_error(error)
        missing: list[str] = []
        for raw_id in body.get("ids") or []:
            try:
                if raw_id is None or not raw_id.isdigit():
                    raise PackageNotFoundError(raw_id)
                self.packages.delete(int(raw_id))
            except PackageNotFoundError:
                missing.append(str(raw_id))
        if not missing:
            return no_content()
        causes = [
            api_error_body(
                400, "INVALID_ID", f"Package with id {raw_id} does not exist", object_id=raw_id
            )["errors"][0]
            for raw_id in missing
        ]
        return json_response({"httpStatus": 400, "errors": causes}, 400)

    def export(self, call: Call) -> Response:
        store = self.packages.store
        try:
            body = self.packages.bodies.read(call.request.get_data(), "/v1/packages/export", "post")
            query, columns = export_request(call.request, body, EXPORT_FIELDS, ("id:asc",))
            _total, rows = select(
                [to_pro(package) for package in store.all()],
                query,
                filterable=FILTER_FIELDS,
                sortable=SORTABLE,
            )
        except BodyError as error:
            return body_error(error)
        except ListingError as error:
            return api_error(400, error.code, error.description, field=error.field)
        return csv_response(rows, columns)
