"""The cloud distribution point (CDP): its settings, whether it is switched on, and the
answers of routes that need one.

The emulator's CDP is Jamf's own (``JAMF_CLOUD``) and the principal one unless told
otherwise. Its ``cdnType`` can be set to ``NONE`` (no CDP), as an administrator can in Jamf
Pro's settings, or through ``DELETE /api/v1/cloud-distribution-point``; routes that need a
CDP then answer the 404 real servers were seen to send (``missing()``). ``POST`` and
``PATCH`` of that path configure it (``cdp_settings.py``), checked by ``check_settings``.
"""

from __future__ import annotations

import base64
import binascii
import threading
from typing import Any

from werkzeug.wrappers import Response

from jcds2.emulator.jsonbody import BodyError
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


# What the emulator keeps of a CDP configuration besides cdnType, with the schema's defaults
# (a string without one is empty). cdnUrl is read-only: the emulator's is always empty.
SETTING_DEFAULTS: dict[str, Any] = {
    "master": False,
    "username": "",
    "password": "",
    "directory": "",
    "uploadUrl": "",
    "downloadUrl": "",
    "secondaryAuthRequired": False,
    "secondaryAuthStatusCode": 200,
    "secondaryAuthTimeToLive": 3600,
    "requireSignedUrls": False,
    "keyPairId": "",
    "expirationSeconds": 3600,
    "privateKey": "",
}
# Never answered nor logged: the schema's writeOnly password, and the CloudFront private key
# (not marked so in the schema; left out too: the emulator's choice).
SECRETS = frozenset({"password", "privateKey"})
# The fields each CDN type uses (the schema's descriptions); the others must keep their
# defaults (the schema's 400: "Fields which are not associated with provided cdnType has
# some value").
_CREDENTIALS = ("username", "password")
ASSOCIATED: dict[str, tuple[str, ...]] = {
    NO_CDN: (),
    DEFAULT_CDN_TYPE: (),
    "RACKSPACE_CLOUD_FILES": _CREDENTIALS,
    "AMAZON_S3": (
        *_CREDENTIALS,
        "requireSignedUrls",
        "keyPairId",
        "expirationSeconds",
        "privateKey",
    ),
    "AKAMAI": (
        *_CREDENTIALS,
        "directory",
        "uploadUrl",
        "downloadUrl",
        "secondaryAuthRequired",
        "secondaryAuthStatusCode",
        "secondaryAuthTimeToLive",
    ),
}
_AT_LEAST_ONE = ("secondaryAuthTimeToLive", "expirationSeconds")  # the schema's minimum 1


class NoDistributionPointError(Exception):
    """There is no CDP (``cdnType`` ``NONE``) to update or delete."""


class DistributionPointExistsError(Exception):
    """A CDP is configured already; it cannot be created again."""


def fresh_settings(cdn_type: str) -> dict[str, Any]:
    """A configuration of ``cdn_type`` as the emulator starts with: the principal CDP
    (``master``) unless ``NONE``, every other field at its default."""
    return {"cdnType": check_cdn_type(cdn_type), **SETTING_DEFAULTS, "master": cdn_type != NO_CDN}


def _required(settings: dict[str, Any]) -> list[str]:
    cdn_type = settings["cdnType"]
    needed = list(_CREDENTIALS) if ASSOCIATED[cdn_type] else []
    if cdn_type == "AKAMAI":
        needed += ["directory", "uploadUrl", "downloadUrl"]
    if cdn_type == "AMAZON_S3" and settings["requireSignedUrls"]:
        needed += ["keyPairId", "privateKey"]
    return needed


def check_settings(settings: dict[str, Any]) -> None:
    """``BodyError`` naming the first field of ``settings`` the schema's 400 refuses."""
    cdn_type = settings["cdnType"]
    if cdn_type == NO_CDN:
        raise BodyError("cdnType", "A cloud distribution point needs a cdnType other than NONE")
    for name, default in SETTING_DEFAULTS.items():
        if name != "master" and name not in ASSOCIATED[cdn_type] and settings[name] != default:
            raise BodyError(name, f"{name} is not used with cdnType {cdn_type}")
    for name in _required(settings):
        if not str(settings[name]).strip():
            raise BodyError(name, f"{name} is required with cdnType {cdn_type}")
    for name in _AT_LEAST_ONE:
        if settings[name] < 1:
            raise BodyError(name, f"{name} must be at least 1")
    if settings["privateKey"]:
        try:
            base64.b64decode(settings["privateKey"], validate=True)
        except binascii.Error:
            raise BodyError("privateKey", "privateKey must be base64 (format byte)") from None


def _given(body: dict[str, Any]) -> dict[str, Any]:
    # What a body sets: known fields only (hasConnectionSucceeded and the other read-only
    # ones were dropped by the reader); null counts as not given.
    return {k: v for k, v in body.items() if k in SETTING_DEFAULTS or k == "cdnType"}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The names (never the values) of the settings that differ."""
    return [name for name in after if before.get(name) != after[name]]


class DistributionPoint:
    """The CDP's configuration, settable while the emulator runs (thread-safe)."""

    def __init__(self, cdn_type: str = DEFAULT_CDN_TYPE) -> None:
        self._lock = threading.Lock()
        self._settings = fresh_settings(cdn_type)

    @property
    def cdn_type(self) -> str:
        with self._lock:
            return str(self._settings["cdnType"])

    def set_cdn_type(self, cdn_type: str) -> None:
        """Start over with a fresh configuration of ``cdn_type`` (``fresh_settings``)."""
        settings = fresh_settings(cdn_type)
        with self._lock:
            self._settings = settings

    @property
    def configured(self) -> bool:
        return self.cdn_type != NO_CDN

    def public(self) -> dict[str, Any]:
        """The configuration without its secrets."""
        with self._lock:
            return {k: v for k, v in self._settings.items() if k not in SECRETS}

    def create(self, body: dict[str, Any]) -> list[str]:
        """Configure a CDP from a create body (``POST``); the fields it changed.

        ``DistributionPointExistsError`` while one is configured, ``BodyError`` if refused.
        """
        with self._lock:
            if self._settings["cdnType"] != NO_CDN:
                raise DistributionPointExistsError
            settings = {**fresh_settings(NO_CDN), **_given(body)}
            check_settings(settings)
            before, self._settings = self._settings, settings
        return changed_fields(before, settings)

    def update(self, patch: dict[str, Any]) -> list[str]:
        """Merge ``patch`` into the configuration (``PATCH``); the fields it changed.

        ``NoDistributionPointError`` without a CDP, ``BodyError`` if the result is refused.
        """
        with self._lock:
            if self._settings["cdnType"] == NO_CDN:
                raise NoDistributionPointError
            settings = {**self._settings, **_given(patch)}
            check_settings(settings)
            before, self._settings = self._settings, settings
        return changed_fields(before, settings)

    def delete(self) -> None:
        """Back to no CDP (``NONE``); ``NoDistributionPointError`` if there is none."""
        with self._lock:
            if self._settings["cdnType"] == NO_CDN:
                raise NoDistributionPointError
            self._settings = fresh_settings(NO_CDN)


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
