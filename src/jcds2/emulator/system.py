"""Server-wide Pro API routes: the Jamf Pro version and the cloud distribution point.

``POST /api/v1/cloud-distribution-point/refresh-inventory`` (and the deprecated
``POST /api/v1/jcds/refresh-inventory``) is what lets an upload through the packages route
show on its package (``state.PackageStore.refresh_inventory``).
"""

from __future__ import annotations

import threading

import attrs
from werkzeug.wrappers import Request, Response

from jcds2.emulator.state import PackageStore
from jcds2.emulator.web import Call, Route, json_response, no_content

DEFAULT_VERSION = "11.30.1-t1700000000000"
FILE_NAME_PARAMETER = "file-name"


def refresh_file_name(request: Request) -> str | None:
    """The ``file-name`` a refresh asks for; None (every file) when absent or empty."""
    return request.args.get(FILE_NAME_PARAMETER) or None


class InventoryRefreshes:
    """Inventory refreshes: each one asked for is recorded, then applied to the packages."""

    def __init__(self, store: PackageStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._asked: list[str | None] = []

    def refresh(self, file_name: str | None) -> None:
        with self._lock:
            self._asked.append(file_name)
        self._store.refresh_inventory(file_name)

    def snapshot(self) -> list[str | None]:
        """The file name of every refresh so far, oldest first (None: every file)."""
        with self._lock:
            return list(self._asked)

    def clear(self) -> None:
        with self._lock:
            self._asked.clear()


@attrs.frozen
class SystemRoutes:
    """``GET /api/v1/jamf-pro-version`` and the cloud distribution point's routes."""

    refreshes: InventoryRefreshes
    version: str = DEFAULT_VERSION
    direct_upload_capable: bool = True

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/jamf-pro-version", ("GET",), self.jamf_pro_version),
            Route(
                "/api/v1/cloud-distribution-point/upload-capability",
                ("GET",),
                self.upload_capability,
            ),
            Route(
                "/api/v1/cloud-distribution-point/refresh-inventory",
                ("POST",),
                self.refresh_inventory,
            ),
        ]

    def jamf_pro_version(self, call: Call) -> Response:
        del call
        return json_response({"version": self.version})

    def upload_capability(self, call: Call) -> Response:
        del call
        return json_response(
            {
                "principalDistributionTechnology": True,
                "directUploadCapable": self.direct_upload_capable,
            }
        )

    def refresh_inventory(self, call: Call) -> Response:
        self.refreshes.refresh(refresh_file_name(call.request))
        return no_content()
