"""The Jamf API WSGI application: request log, latency, faults, routing, bearer-token gate."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from jcds2.emulator.auth import TokenStore
from jcds2.emulator.faults import Fault, FaultInjector
from jcds2.emulator.requestlog import RecordedRequest, RequestLog
from jcds2.emulator.web import Call, Route, api_error, error_for_path, html_error, is_pro_path

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

_logger = logging.getLogger(__name__)


class JamfApp:
    """A WSGI app answering the Jamf Pro and Classic API routes it is given."""

    def __init__(
        self,
        routes: Sequence[Route],
        tokens: TokenStore,
        faults: FaultInjector,
        log: RequestLog,
        latency_ms: float = 0,
    ) -> None:
        self._routes = {str(index): route for index, route in enumerate(routes)}
        self._map = Map(
            [
                Rule(route.path, endpoint=key, methods=list(route.methods))
                for key, route in self._routes.items()
            ],
            strict_slashes=False,
        )
        self._tokens = tokens
        self._faults = faults
        self._log = log
        self._latency = latency_ms / 1000

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._respond(request)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        self._log.record(
            RecordedRequest(request.method, request.path, request.query_string.decode("latin-1"))
        )
        if self._latency > 0:
            time.sleep(self._latency)
        fault = self._faults.take(request.method, request.path)
        if fault is not None:
            return _fault_response(request.path, fault)
        adapter = self._map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return error_for_path(request.path, 404, "NOT_FOUND", "Not Found")
        except MethodNotAllowed as error:
            allow = ", ".join(sorted(error.valid_methods or []))
            return error_for_path(
                request.path, 405, "METHOD_NOT_ALLOWED", "Method Not Allowed", {"Allow": allow}
            )
        route = self._routes[str(endpoint)]
        return self._dispatch(request, route, {k: str(v) for k, v in args.items()})

    def _dispatch(self, request: Request, route: Route, args: dict[str, str]) -> Response:
        call = Call(request, args, None, None)
        if route.needs_auth:
            token = _bearer(request)
            issued = self._tokens.lookup(token) if token else None
            if issued is None:
                if is_pro_path(request.path):
                    return api_error(401, "INVALID_TOKEN", "Unauthorized")
                return html_error(401, "The request requires user authentication")
            call = Call(request, args, issued.principal, issued.token)
        try:
            return route.handler(call)
        except Exception:
            # Answer like a server would rather than dropping the connection.
            _logger.exception("emulator handler failed for %s %s", request.method, request.path)
            return error_for_path(request.path, 500, "INTERNAL_ERROR", "Internal Server Error")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _fault_response(path: str, fault: Fault) -> Response:
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    description = Response(status=fault.status).status.partition(" ")[2] or "Injected fault"
    return error_for_path(path, fault.status, "INJECTED_FAULT", description, headers)
