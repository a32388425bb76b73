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


def _get_plan(request: Request, controls: Controls) -> Response:
    del request
    return json_response(controls.faults.plan.to_dict())


def _clear_plan(request: Request, controls: Controls) -> Response:
    del request
    controls.faults.clear()
    return no_content()


def _get_log(request: Request, controls: Controls) -> Response:
    del request
    return json_response([attrs.asdict(record) for record in controls.faults.log()])


def _clear_log(request: Request, controls: Controls) -> Response:
    del request
    controls.faults.clear_log()
    return no_content()


def _get_strict(request: Request, controls: Controls) -> Response:
    del request
    return json_response({"strict": controls.bodies.strict})


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


_ROUTES: dict[str, dict[str, Callable[[Request, Controls], Response]]] = {
    "/_emulator/faults": {"GET": _get_plan, "PUT": _put_plan, "DELETE": _clear_plan},
    "/_emulator/faults/log": {"GET": _get_log, "DELETE": _clear_log},
    "/_emulator/strict-json": {"GET": _get_strict, "PUT": _put_strict},
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
