"""Facts about the Jamf Pro server: its version and its upload capability."""

from __future__ import annotations

from jcds2.adapters.fields import field, read_bool, read_text
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.domain.models import (
    UploadCapability,
)

# --- what the server is -------------------------------------------------------------------


class ProApiServerInfo:
    """Facts about the Jamf Pro server, as a :class:`~jcds2.application.ports.ServerInfo`:
    its version and its distribution point's uploads."""

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProApiServerInfo({self._http.server.base_url!r})"

    def upload_capability(self) -> UploadCapability:
        operation = "asking the cloud distribution point's upload capability"
        response = self._http.request(
            "GET", "/api/v1/cloud-distribution-point/upload-capability", operation=operation
        )
        body = self._http.json(response, operation)
        endpoint = "GET /api/v1/cloud-distribution-point/upload-capability"
        principal = field(
            body,
            "principalDistributionTechnology",
            read_bool,
            endpoint=endpoint,
            operation=operation,
        )
        direct = field(
            body, "directUploadCapable", read_bool, endpoint=endpoint, operation=operation
        )
        return UploadCapability(principal, direct)

    def server_version(self) -> str:
        operation = "asking the Jamf Pro version"
        response = self._http.request("GET", "/api/v1/jamf-pro-version", operation=operation)
        body = self._http.json(response, operation)
        version = field(
            body, "version", read_text, endpoint="GET /api/v1/jamf-pro-version", operation=operation
        )
        return version.strip()
