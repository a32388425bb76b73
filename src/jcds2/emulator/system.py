"""Server-wide Pro API routes: the Jamf Pro version and the cloud distribution point.

``POST /api/v1/cloud-distribution-point/refresh-inventory`` (and the deprecated
``POST /api/v1/jcds/refresh-inventory``) is what lets an upload through the packages route
show on its package (``state.PackageStore.refresh_inventory``). A refresh of every file (no
``file-name``) is allowed once every ``refresh_all_interval_seconds``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import attrs
from werkzeug.wrappers import Request, Response

from jcds2.emulator.cdp import DistributionPoint, missing
from jcds2.emulator.state import PackageStore
from jcds2.emulator.web import Call, Route, api_error, json_response, no_content

DEFAULT_VERSION = "11.30.1-t1700000000000"
FILE_NAME_PARAMETER = "file-name"
# The published schema: without a file name, "an immediate inventory refresh at a
# rate-limit of once every 15 seconds".
DEFAULT_REFRESH_ALL_INTERVAL = 15.0


def refresh_file_name(request: Request) -> str | None:
    """The ``file-name`` a refresh asks for; None (every file) when absent or empty."""
    return request.args.get(FILE_NAME_PARAMETER) or None


def check_refresh_interval(seconds: float) -> float:
    """``seconds`` if it is a usable interval between refreshes of every file."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError("the refresh interval must be a number of seconds")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("the refresh interval must be a number of seconds, 0 or more")
    return float(seconds)


class InventoryRefreshes:
    """Inventory refreshes: each one allowed is recorded, then applied to the packages.

    A refresh of every file comes at most once every ``interval`` seconds (by ``clock``);
    one asked for sooner is refused (``answer`` gives the 429) and changes nothing.
    Refreshes of one file name are not limited and do not count.
    """

    def __init__(
        self,
        store: PackageStore,
        interval: float = DEFAULT_REFRESH_ALL_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._asked: list[str | None] = []
        self._interval = check_refresh_interval(interval)
        self._clock = clock
        self._last_all: float | None = None

    @property
    def interval(self) -> float:
        with self._lock:
            return self._interval

    def set_interval(self, seconds: float) -> None:
        interval = check_refresh_interval(seconds)
        with self._lock:
            self._interval = interval

    def refresh(self, file_name: str | None) -> float | None:
        """Apply a refresh; None if it was, else the seconds until one of every file may
        come again (nothing was done)."""
        with self._lock:
            if file_name is None:
                now = self._clock()
                if self._last_all is not None and now - self._last_all < self._interval:
                    return self._interval - (now - self._last_all)
                self._last_all = now
            self._asked.append(file_name)
        self._store.refresh_inventory(file_name)
        return None

    def answer(self, file_name: str | None) -> Response | None:
        """``refresh``, with the answer for a refresh that came too soon (else None)."""
        wait = self.refresh(file_name)
        if wait is None:
            return None
        # No public record of what Jamf answers here was found; the status and body follow
        # the published schema's other rate-limited operations (429 ApiError), see
        # docs/emulator.md, "Cloud distribution point".
        return api_error(
            429,
            "TOO_MANY_REQUESTS",
            "An inventory refresh of every file is allowed once every "
            f"{self.interval:g} seconds; give a file-name or try again later",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )

    def snapshot(self) -> list[str | None]:
        """The file name of every refresh so far, oldest first (None: every file)."""
        with self._lock:
            return list(self._asked)

    def clear(self) -> None:
        """Forget the refreshes so far (the next one of every file is allowed at once)."""
        with self._lock:
            self._asked.clear()
            self._last_all = None


@attrs.frozen
class SystemRoutes:
    """``GET /api/v1/jamf-pro-version`` and the cloud distribution point's routes."""

    refreshes: InventoryRefreshes
    version: str = DEFAULT_VERSION
    direct_upload_capable: bool = True
    point: DistributionPoint = attrs.Factory(DistributionPoint)

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
        if not self.point.configured:
            return missing()
        return json_response(
            {
                "principalDistributionTechnology": True,
                "directUploadCapable": self.direct_upload_capable,
            }
        )

    def refresh_inventory(self, call: Call) -> Response:
        refused = self.refreshes.answer(refresh_file_name(call.request))
        return no_content() if refused is None else refused
