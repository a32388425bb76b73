"""``/_emulator/*``: control of an emulator running elsewhere (fault plan, strict JSON).

Not part of the Jamf API: no token, no request log, no faults, and only from loopback.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable

import attrs
from werkzeug.wrappers import Request, Response

from jcds2.emulator.faults import FaultEngine, FaultPlan
from jcds2.emulator.jsonbody import BodyReader
from jcds2.emulator.web import json_response, no_content

PREFIX = "/_emulator/"


@attrs.frozen
class Controls:
    """What the control routes change: the fault engine and the JSON body reader."""

    faults: FaultEngine
    bodies: BodyReader


def _from_loopback(request: Request) -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _error(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


def _put_plan(request: Request, controls: Controls) -> Response:
    try:
        plan = FaultPlan.from_json(request.get_data())
    except ValueError as error:
        return _error(400, f"invalid fault plan: {error}")
    controls.faults.set_plan(plan)
    return no_content()


def _put_strict(request: Request, controls: Controls) -> Response:
    try:
        body = json.loads(request.get_data())
    except ValueError:
        body = None
    valid = isinstance(body, dict) and set(body) == {"strict"}
    if not valid or not isinstance(body["strict"], bool):
        return _error(400, 'invalid strict-json setting: expected {"strict": true|false}')
    controls.bodies.set_strict(body["strict"])
    return no_content()


_Handler = Callable[[Request, Controls], Response]


def _shows(read: Callable[[Controls], object]) -> _Handler:
    """A handler that answers ``read(controls)`` as JSON, whatever the request says."""
    return lambda _request, controls: json_response(read(controls))


def _does(change: Callable[[Controls], object]) -> _Handler:
    """A handler that makes ``change`` and answers 204, whatever the request says."""

    def handler(_request: Request, controls: Controls) -> Response:
        change(controls)
        return no_content()

    return handler


_ROUTES: dict[str, dict[str, _Handler]] = {
    "/_emulator/faults": {
        "GET": _shows(lambda controls: controls.faults.plan.to_dict()),
        "PUT": _put_plan,
        "DELETE": _does(lambda controls: controls.faults.clear()),
    },
    "/_emulator/faults/log": {
        "GET": _shows(lambda controls: [attrs.asdict(record) for record in controls.faults.log()]),
        "DELETE": _does(lambda controls: controls.faults.clear_log()),
    },
    "/_emulator/strict-json": {
        "GET": _shows(lambda controls: {"strict": controls.bodies.strict}),
        "PUT": _put_strict,
    },
}


def control_response(request: Request, controls: Controls) -> Response:
    """The answer to a request under ``/_emulator/``."""
    if not _from_loopback(request):
        return _error(403, "the emulator's control routes answer loopback clients only")
    methods = _ROUTES.get(request.path.rstrip("/"))
    if methods is None:
        return _error(404, f"no control route {request.path}")
    handler = methods.get(request.method)
    if handler is None:
        allowed = ", ".join(methods)
        return _error(405, f"{request.method} is not allowed here ({allowed})")
    return handler(request, controls)
