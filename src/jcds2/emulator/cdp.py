"""The cloud distribution point (CDP): its settings, whether it is switched on, and the
answers of routes that need one.

The emulator's CDP is Jamf's own (``JAMF_CLOUD``) and the principal one. Its ``cdnType``
can be set to ``NONE`` (no CDP), as an administrator can in Jamf Pro's settings; routes that
need a CDP then answer the 404 real servers were seen to send (``missing()``).
"""

from __future__ import annotations

import threading

from werkzeug.wrappers import Response

from jcds2.emulator.web import api_error

CDN_TYPES = ("NONE", "JAMF_CLOUD", "RACKSPACE_CLOUD_FILES", "AMAZON_S3", "AKAMAI")
DEFAULT_CDN_TYPE = "JAMF_CLOUD"
NO_CDN = "NONE"
# The CDP's inventoryId: "0" when none is configured, from 1 once one is (schema text).
INVENTORY_ID = "1"


def check_cdn_type(cdn_type: str) -> str:
    """``cdn_type`` if it is one of Jamf's CDN types, else ``ValueError``."""
    if cdn_type not in CDN_TYPES:
        raise ValueError(f"cdn_type must be one of {', '.join(CDN_TYPES)}, not {cdn_type!r}")
    return cdn_type


class DistributionPoint:
    """The CDP's type, settable while the emulator runs (thread-safe)."""

    def __init__(self, cdn_type: str = DEFAULT_CDN_TYPE) -> None:
        self._lock = threading.Lock()
        self._cdn_type = check_cdn_type(cdn_type)

    @property
    def cdn_type(self) -> str:
        with self._lock:
            return self._cdn_type

    def set_cdn_type(self, cdn_type: str) -> None:
        checked = check_cdn_type(cdn_type)
        with self._lock:
            self._cdn_type = checked

    @property
    def configured(self) -> bool:
        return self.cdn_type != NO_CDN


def missing() -> Response:
    """What a route that needs a CDP answers when there is none.

    The body is the one Jamf Pro 11.20 sent when the CDP was switched off (jamf/JamfSync
    issue #73, fixed for the upload-capability check in JamfSync PR #74).
    """
    return api_error(404, "NOT_FOUND", "Cloud distribution point not found or is null")


def package_creation_refusal(point: DistributionPoint) -> Response | None:
    """The answer to a Pro API package creation while no CDP is configured, else None.

    jamf-api.md: creating packages needs a ``cdnType`` other than ``NONE``; the answer is
    the same 404 as ``missing()``.
    """
    return None if point.configured else missing()
