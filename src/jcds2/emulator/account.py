"""``GET /api/v1/auth``: who the bearer token belongs to (the schema's ``AuthorizationV1``).

The emulator has no privileges (any valid token may do anything), so every principal is an
administrator with full access; what differs is how it authenticated: a user account by
user name and password (``JSS``), an API client by client credentials.
"""

from __future__ import annotations

from typing import Any

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator.state import Principal
from jcds2.emulator.web import Call, Route, json_response

# Account ids: the user account and the API client are the only principals.
_USER_ID = "1"
_CLIENT_ID = "2"


def authorization(principal: Principal) -> dict[str, Any]:
    """The ``AuthorizationV1`` object for ``principal``."""
    user = principal.kind == "user"
    return {
        "account": {
            "id": _USER_ID if user else _CLIENT_ID,
            "username": principal.name,
            "realName": principal.name if user else "",
            "email": "",
            "preferences": {
                "language": "en",
                "dateFormat": "MM/dd/yyyy",
                "region": "Europe",
                "timezone": "Etc/GMT",
                "disableRelativeDates": False,
            },
            "multiSiteAdmin": True,
            "accessLevel": "FullAccess",
            "privilegeSet": "ADMINISTRATOR",
            "privilegesBySite": {},
            "groupIds": [],
            "currentSiteId": "-1",
        },
        "accountGroups": [],
        "sites": [],
        "authenticationType": "JSS" if user else "CLIENT_CREDENTIALS",
    }


@attrs.frozen
class AccountRoutes:
    """``GET /api/v1/auth``."""

    def routes(self) -> list[Route]:
        return [Route("/api/v1/auth", ("GET",), self.current)]

    def current(self, call: Call) -> Response:
        assert call.principal is not None
        return json_response(authorization(call.principal))
