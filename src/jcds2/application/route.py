"""Use-case: choose the route uploads take, once per client."""

from __future__ import annotations

import logging

import attrs

from jcds2.application.ports import ServerInfo
from jcds2.domain.errors import ConfigurationError, PermissionDeniedError

log = logging.getLogger("jcds2.route")

#: The routes: the JCDS files API with S3, Jamf's packages route, a mounted file share.
ROUTES = ("jcds", "packages", "file_share")
#: What a caller may ask for: a route, or ``"auto"`` (the server's choice).
ROUTE_CHOICES = ("auto", "jcds", "packages")


@attrs.frozen
class ChooseRoute:
    """The route for ``requested`` (``"auto"``, ``"jcds"`` or ``"packages"``).

    With a file share, the route is ``"file_share"`` (``"packages"`` is refused: Jamf's
    packages route uploads to the cloud distribution point). ``"auto"`` asks the server:
    the packages route where its cloud distribution point takes direct uploads (also when
    the account may not ask: that route needs no privilege the JCDS files route lacks),
    the JCDS files route otherwise.
    """

    server: ServerInfo

    def __call__(self, requested: str, *, file_share: bool = False) -> str:
        if requested not in ROUTE_CHOICES:
            choices = ", ".join(repr(choice) for choice in ROUTE_CHOICES)
            raise ConfigurationError(f"route must be one of {choices}, not {requested!r}")
        if file_share:
            if requested == "packages":
                raise ConfigurationError(
                    "a file share works with the jcds route only: the packages route uploads "
                    "through Jamf Pro to its cloud distribution point"
                )
            return "file_share"
        if requested != "auto":
            return requested
        try:
            capable = self.server.upload_capability().direct_upload_capable
        except PermissionDeniedError as exc:
            log.warning("cannot read the upload capability (%s); using the packages route", exc)
            return "packages"
        route = "packages" if capable else "jcds"
        log.debug("route auto: %s (direct uploads %s)", route, "possible" if capable else "off")
        return route
