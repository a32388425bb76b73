"""``/_emulator/faults``: control of the fault plan of an emulator running elsewhere.

Not part of the Jamf API: no token, no request log, no faults, and only from loopback.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import attrs
from werkzeug.wrappers import Request, Response

from jcds2.emulator.faults import FaultEngine, FaultPlan
from jcds2.emulator.web import json_response, no_content

PREFIX = "/_emulator/"


def _from_loopback(request: Request) -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _error(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


def _put_plan(request: Request, engine: FaultEngine) -> Response:
    try:
        plan = FaultPlan.from_json(request.get_data())
    except ValueError as error:
        return _error(400, f"invalid fault plan: {error}")
    engine.set_plan(plan)
    return no_content()


def _get_plan(request: Request, engine: FaultEngine) -> Response:
    del request
    return json_response(engine.plan.to_dict())


def _clear_plan(request: Request, engine: FaultEngine) -> Response:
    del request
    engine.clear()
    return no_content()


def _get_log(request: Request, engine: FaultEngine) -> Response:
    del request
    return json_response([attrs.asdict(record) for record in engine.log()])


def _clear_log(request: Request, engine: FaultEngine) -> Response:
    del request
    engine.clear_log()
    return no_content()


_ROUTES: dict[str, dict[str, Callable[[Request, FaultEngine], Response]]] = {
    "/_emulator/faults": {"GET": _get_plan, "PUT": _put_plan, "DELETE": _clear_plan},
    "/_emulator/faults/log": {"GET": _get_log, "DELETE": _clear_log},
}


def control_response(request: Request, engine: FaultEngine) -> Response:
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
    return handler(request, engine)
