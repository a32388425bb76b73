"""Cloud distribution point routes: its settings, its inventory of files, failing an upload,
the connection test, and the JCDS properties.

``upload-capability`` and ``refresh-inventory`` are served by ``system.py``; creating,
changing and deleting the CDP, and its history, by ``cdp_settings.py``.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator import listing
from jcds2.emulator.categories import NO_CATEGORY_NAME, CategoryStore
from jcds2.emulator.cdp import INVENTORY_ID, NO_CDN, DistributionPoint, missing
from jcds2.emulator.external import ExternalFiles
from jcds2.emulator.s3 import S3Bucket
from jcds2.emulator.state import (
    TRANSFER_READY,
    Package,
    PackageNotFoundError,
    PackageStore,
)
from jcds2.emulator.web import Call, Route, api_error, json_response, no_content

TYPE_PACKAGE = "PACKAGE"
TYPE_NONE = "NONE"
FILE_RULES = listing.ListingRules(
    filter_fields=frozenset({"fileName", "inventoryId", "type"}),
    sort_fields=frozenset({"id", "fileName", "inventoryId", "type", "fileObjectId", "status"}),
    numeric_fields=frozenset({"id", "inventoryId", "fileObjectId"}),
)
# What GET /api/v1/jcds/properties reports. Public clients show the three fields only (see
# docs/emulator.md); the values are the emulator's own.
MAX_CHUNK_SIZE = 8 * 1024 * 1024


class InventoryFileIds:
    """A stable id per JCDS file name, given the first time the inventory lists it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}

    def ids(self, names: list[str]) -> dict[str, int]:
        with self._lock:
            for name in sorted(names):
                self._ids.setdefault(name, len(self._ids) + 1)
            return {name: self._ids[name] for name in names}

    def name(self, file_id: int) -> str | None:
        with self._lock:
            return next((name for name, known in self._ids.items() if known == file_id), None)

    def clear(self) -> None:
        with self._lock:
            self._ids.clear()


@attrs.frozen
class CloudDistributionPointRoutes:
    """``/api/v1/cloud-distribution-point`` (GET), ``/files``, ``/fail-upload/{id}``,
    ``/test-connection`` and ``/api/v1/jcds/properties``; ``cdp_settings.py`` serves the
    other methods of the first and its history."""

    point: DistributionPoint
    packages: PackageStore
    categories: CategoryStore
    bucket: S3Bucket
    external: ExternalFiles | None = None
    file_ids: InventoryFileIds = attrs.Factory(InventoryFileIds)

    def routes(self) -> list[Route]:
        base = "/api/v1/cloud-distribution-point"
        return [
            Route(base, ("GET",), self.settings),
            Route(base + "/files", ("GET",), self.files),
            Route(base + "/fail-upload/<file_id>", ("POST",), self.fail_upload),
            Route(base + "/test-connection", ("GET",), self.test_connection),
            Route("/api/v1/jcds/properties", ("GET",), self.jcds_properties),
        ]

    def settings(self, call: Call) -> Response:
        del call
        return json_response(settings_answer(self.point))

    def files(self, call: Call) -> Response:
        if not self.point.configured:
            return missing()
        return listing.answer(self.inventory(), call.request.args, FILE_RULES)

    def inventory(self) -> list[dict[str, Any]]:
        """One entry per JCDS file, tied to the package whose ``fileName`` it is."""
        names = set(self.bucket.newest_by_name())
        if self.external is not None:
            names.update(self.external.names())
        by_file: dict[str, Package] = {}
        for package in self.packages.all():
            by_file.setdefault(package.file_name, package)
        ids = self.file_ids.ids(sorted(names))
        return [self._entry(ids[name], name, by_file.get(name)) for name in sorted(names)]

    def _entry(self, file_id: int, name: str, package: Package | None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": str(file_id),
            "inventoryId": INVENTORY_ID,
            "type": TYPE_NONE if package is None else TYPE_PACKAGE,
            "fileName": name,
            # The schema: fileObjectId identifies the package (or other object) the file is of.
            "fileObjectId": "-1" if package is None else str(package.id),
            # The schema does not let category be null: a file without a category (or without
            # a package) reads as Jamf names no category elsewhere (the emulator's choice).
            "category": NO_CATEGORY_NAME,
            # A file no package reports on is simply there.
            "status": TRANSFER_READY,
        }
        if package is not None:
            entry["status"] = package.cloud_transfer_status or TRANSFER_READY
            entry["category"] = self.categories.classic_name(package.category_id)
        return entry

    def fail_upload(self, call: Call) -> Response:
        if not self.point.configured:
            return missing()
        args = call.request.args
        file_name, file_type = args.get("file-name", ""), args.get("type", "")
        if not file_name or not file_type:
            return api_error(
                400,
                "INVALID_QUERY_PARAMETER",
                "file-name and type are required",
                field="file-name" if not file_name else "type",
            )
        raw_id = call.args["file_id"]
        entry = next((e for e in self.inventory() if e["id"] == raw_id), None)
        if entry is None or entry["fileName"] != file_name or entry["type"] != file_type:
            return api_error(
                404,
                "NOT_FOUND",
                f"No {file_type} inventory file {file_name!r} with id {raw_id}",
                object_id=raw_id,
            )
        try:
            self.packages.fail_transfer(int(entry["fileObjectId"]))
        except PackageNotFoundError:
            return api_error(404, "NOT_FOUND", f"No inventory file with id {raw_id}")
        return no_content()

    def test_connection(self, call: Call) -> Response:
        del call
        if not self.point.configured:
            return missing()
        return json_response(_connected())

    def jcds_properties(self, call: Call) -> Response:
        del call
        return json_response(
            {
                "jcds2Enabled": self.point.cdn_type == "JAMF_CLOUD",
                "fileStreamEndpointEnabled": True,
                "maxChunkSize": MAX_CHUNK_SIZE,
            }
        )


def _connected() -> dict[str, Any]:
    return {"hasConnectionSucceeded": True, "message": "Connection successful"}


def settings_answer(point: DistributionPoint) -> dict[str, Any]:
    """The ``CloudDistributionPoint`` the settings routes answer: the configuration without
    its secrets, or the schema's "NONE empty CDP object"."""
    settings = point.public()
    if settings["cdnType"] == NO_CDN:
        return {
            "hasConnectionSucceeded": False,
            "message": "",
            "inventoryId": "0",
            "cdnType": NO_CDN,
            "master": False,
            "username": "",
        }
    # The emulator's CDP always connects; cdnUrl (read-only) is the server's, empty here.
    return {**_connected(), "inventoryId": INVENTORY_ID, **settings, "cdnUrl": ""}
