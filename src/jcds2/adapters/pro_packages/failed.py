"""Marking a package's upload failed: the cloud distribution point's ``fail-upload``."""

from __future__ import annotations

import logging
from typing import Any

from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_models import rsql_quote, unexpected_answer

log = logging.getLogger("jcds2.pro_packages")

_CDP = "/api/v1/cloud-distribution-point"
#: The inventory's type of a file a package uses: the only kind an upload marks failed.
_PACKAGE = "PACKAGE"
#: What a server without the route (before Jamf Pro 11.24) or the file answers.
_ABSENT = (404, 405)


class ProApiFailedUploads:
    """A :class:`~jcds2.application.ports.FailedUploads` through the Pro API: finds the
    file in the distribution point's inventory (``GET .../files``, filtered by name), then
    ``POST .../fail-upload/{id}?file-name=&type=PACKAGE``. A server that has neither
    route, or lists no package file of that name, answers ``False``."""

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProApiFailedUploads({self._http.server.base_url!r})"

    def mark_failed(self, file_name: str) -> bool:
        operation = f"marking the upload of {file_name!r} failed"
        file_id = self._inventory_id(file_name, operation)
        if file_id is None:
            return False
        response = self._http.request(
            "POST",
            f"{_CDP}/fail-upload/{file_id}",
            operation=operation,
            allow=_ABSENT,
            params={"file-name": file_name, "type": _PACKAGE},
        )
        if response.status_code in _ABSENT:
            log.debug("%s: HTTP %d, carrying on", operation, response.status_code)
            return False
        return True

    def _inventory_id(self, file_name: str, operation: str) -> str | None:
        """The inventory id of the package file ``file_name``, or ``None``."""
        response = self._http.request(
            "GET",
            f"{_CDP}/files",
            operation=operation,
            allow=_ABSENT,
            params={"page": 0, "page-size": 100, "filter": f"fileName=={rsql_quote(file_name)}"},
        )
        if response.status_code in _ABSENT:
            log.debug("%s: no inventory (HTTP %d)", operation, response.status_code)
            return None
        body = self._http.json(response, operation)
        results: Any = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise unexpected_answer(operation, "no list of results")
        for item in results:
            if (
                isinstance(item, dict)
                and item.get("fileName") == file_name
                and item.get("type") == _PACKAGE
                and item.get("id") is not None
            ):
                return str(item["id"])
        return None
