"""The Jamf API WSGI application: request log, latency, faults, routing, bearer-token gate.

Requests under ``/_emulator/`` are control requests (``control.py``), not Jamf API ones.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from jcds2.emulator.auth import TokenStore
from jcds2.emulator.control import PREFIX, Controls, control_response
from jcds2.emulator.faultrules import (
    JAMF,
    FailPackageCreationFault,
    FaultRule,
    PackageUploadFault,
    ResetFault,
    ResetUploadFault,
    StallFault,
    StatusFault,
    TruncateFault,
)
from jcds2.emulator.faults import UPLOAD_FAULT_KEY, FaultEngine
from jcds2.emulator.jsonbody import BodyReader
from jcds2.emulator.requestfacts import RequestFacts
from jcds2.emulator.requestlog import RecordedRequest, RequestLog
from jcds2.emulator.schemas import pro_api_schema
from jcds2.emulator.web import Call, Route, api_error, error_for_path, html_error, is_pro_path
from jcds2.emulator.wire import drain_body, reset_response, reset_upload, truncated_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_logger = logging.getLogger(__name__)


class JamfApp:
    """A WSGI app answering the Jamf Pro and Classic API routes it is given."""

    def __init__(
        self,
        routes: Sequence[Route],
        tokens: TokenStore,
        faults: FaultEngine,
        log: RequestLog,
        latency_ms: float = 0,
        *,
        bodies: BodyReader | None = None,
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
        self._controls = Controls(faults, bodies or BodyReader(pro_api_schema()))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(PREFIX):
            return control_response(request, self._controls)(environ, start_response)
        query = request.query_string.decode("latin-1")
        self._log.record(RecordedRequest(request.method, request.path, query))
        if self._latency > 0:
            time.sleep(self._latency)
        facts = RequestFacts(
            JAMF, request.method, request.path, query, request.headers.get("Range")
        )
        if self._faults.tokens_expire(facts):
            self._tokens.expire_all()
        fired = self._faults.take(facts)
        if fired is None:
            return self._respond(request)(environ, start_response)
        return self._spoil(fired.rule, request, environ, start_response)

    def _spoil(
        self,
        rule: FaultRule,
        request: Request,
        environ: WSGIEnvironment,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """Carry out a fault that fired for this request."""

        def process(env: WSGIEnvironment, respond: StartResponse) -> Iterable[bytes]:
            return self._respond(request)(env, respond)

        app: WSGIApplication = process
        if isinstance(rule, ResetFault):
            return reset_response(app, environ, start_response, rule.after_bytes)
        if isinstance(rule, ResetUploadFault):
            reset_upload(environ, rule.after_bytes)
        if isinstance(rule, TruncateFault):
            return truncated_response(app, environ, start_response, rule.after_bytes)
        if isinstance(rule, StallFault):
            self._faults.stopping.wait(rule.seconds)
            return process(environ, start_response)
        if isinstance(rule, PackageUploadFault):
            # Processed; the upload route reads the rule and spoils what it stores or reports.
            environ[UPLOAD_FAULT_KEY] = rule
            return process(environ, start_response)
        if isinstance(rule, FailPackageCreationFault):
            if rule.mode == "lost_answer":
                # Created; only the answer is lost.
                self._respond(request).close()
            else:
                drain_body(environ)
            return _fault_response(request.path, rule.status)(environ, start_response)
        assert isinstance(rule, StatusFault), rule.kind
        drain_body(environ)
        return _fault_response(request.path, rule.status, rule.retry_after)(environ, start_response)

    def _respond(self, request: Request) -> Response:
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


def _fault_response(path: str, status: int, retry_after: int | None = None) -> Response:
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    description = Response(status=status).status.partition(" ")[2] or "Injected fault"
    return error_for_path(path, status, "INJECTED_FAULT", description, headers)
