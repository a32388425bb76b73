"""The S3 server: moto's WSGI app behind the fault plan, on a threaded werkzeug server.

Downloads (presigned GET URLs with Range) and uploads (PutObject, UploadPart, ...) both
arrive here, so this is where S3 faults happen. The emulator's own bucket client signs with
an access key of its own; its requests are neither faulted nor logged.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import attrs
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Response

from jcds2.emulator.faultrules import (
    S3,
    S3_ERRORS,
    ExpireUrlFault,
    FaultRule,
    FullBodyFault,
    ResetFault,
    ResetUploadFault,
    S3ErrorFault,
    StallFault,
    StatusFault,
    TruncateFault,
    WrongRangeFault,
)
from jcds2.emulator.faults import FaultEngine
from jcds2.emulator.requestfacts import RequestFacts, parse_range
from jcds2.emulator.wire import (
    call_app,
    drain_body,
    request_handler,
    reset_response,
    reset_upload,
    truncated_response,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Status of a "status" fault -> the S3 error code sent with it.
_CODE_FOR_STATUS = {
    400: "BadRequest",
    403: "AccessDenied",
    404: "NoSuchKey",
    408: "RequestTimeout",
    429: "SlowDown",
    500: "InternalError",
    501: "NotImplemented",
    502: "ServiceUnavailable",
    503: "SlowDown",
    504: "ServiceUnavailable",
}


@attrs.frozen
class RecordedS3Request:
    """One client request to the S3 server and the status answered (None: none was sent)."""

    method: str
    path: str
    query_string: str
    range: str | None
    status: int | None


# Query parameters of requests that write no object's bytes (parts, sub-resources).
_NOT_OBJECT_WRITES = frozenset(
    {"partNumber", "uploadId", "uploads", "tagging", "acl", "retention", "legal-hold", "restore"}
)


class WriteOrder:
    """The order in which the S3 server finished writing objects: a number per key.

    The S3 server's timestamps have whole seconds, so two objects of one file name written
    in the same second tie; a later write (PutObject, CopyObject, CompleteMultipartUpload)
    gets a greater number, whoever sent it. Keys never written through the server get 0.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = 0
        self._numbers: dict[tuple[str, str], int] = {}

    def note(self, bucket: str, key: str) -> None:
        with self._lock:
            self._counter += 1
            self._numbers[(bucket, key)] = self._counter

    def of(self, bucket: str, key: str) -> int:
        with self._lock:
            return self._numbers.get((bucket, key), 0)

    def clear(self) -> None:
        with self._lock:
            self._numbers.clear()


def _written_object(environ: WSGIEnvironment) -> tuple[str, str] | None:
    """``(bucket, key)`` if this path-style request writes a whole object, else None."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    parameters = {name for name, _ in parse_qsl(environ.get("QUERY_STRING", ""), True)}
    completes = method == "POST" and "uploadId" in parameters and "partNumber" not in parameters
    puts = method == "PUT" and not parameters & _NOT_OBJECT_WRITES
    if not (completes or puts):
        return None
    # WSGI paths are the request's bytes as latin-1; S3 keys are UTF-8.
    raw = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
    bucket, _, key = raw.lstrip("/").partition("/")
    return (bucket, key) if bucket and key else None


class _WriteRecorder:
    """Notes every object moto wrote (a 2xx answer to a write) in a ``WriteOrder``."""

    def __init__(self, app: WSGIApplication, order: WriteOrder) -> None:
        self._app = app
        self._order = order

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        written = _written_object(environ)
        if written is None:
            return self._app(environ, start_response)

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if status.startswith("2"):
                self._order.note(*written)
            return start_response(status, headers, exc_info)

        return self._app(environ, recording)


class S3RequestLog:
    """Thread-safe list of ``RecordedS3Request``s, each added as its answer starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedS3Request] = []

    def record(self, entry: RecordedS3Request) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[RecordedS3Request]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def s3_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """An S3 XML error answer."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return Response(body, status=status, mimetype="application/xml", headers=headers or {})


def _status_error(rule: StatusFault) -> Response:
    status = rule.status
    code = _CODE_FOR_STATUS.get(status, "InjectedFault")
    message = Response(status=status).status.partition(" ")[2] or "Injected fault"
    headers = {} if rule.retry_after is None else {"Retry-After": str(rule.retry_after)}
    return s3_error(status, code, message, headers)


class S3FaultMiddleware:
    """Applies the fault plan's S3 rules around moto's app and logs client requests."""

    def __init__(
        self,
        app: WSGIApplication,
        engine: FaultEngine,
        log: S3RequestLog,
        internal_access_key: str,
    ) -> None:
        self._app = app
        self._engine = engine
        self._log = log
        self._internal = f"Credential={internal_access_key}/"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._internal in environ.get("HTTP_AUTHORIZATION", ""):
            return self._app(environ, start_response)
        facts = RequestFacts(
            S3,
            environ.get("REQUEST_METHOD", "GET"),
            environ.get("PATH_INFO", "/"),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_RANGE"),
        )
        noted: list[int | None] = []

        def note(status: int | None) -> None:
            noted.append(status)
            self._note(facts, status)

        fired = self._engine.take(facts)
        try:
            if fired is None:
                return self._app(environ, _noting(start_response, note))
            return self._spoil(fired.rule, environ, start_response, note)
        except Exception:
            if not noted:  # a reset notes itself; anything else gets werkzeug's 500
                note(500)
            raise

    def _note(self, facts: RequestFacts, status: int | None) -> None:
        self._log.record(
            RecordedS3Request(facts.method, facts.path, facts.query, facts.range, status)
        )

    def _spoil(
        self,
        rule: FaultRule,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        note: Any,
    ) -> Iterable[bytes]:
        noting = _noting(start_response, note)
        if isinstance(rule, (StatusFault, S3ErrorFault, ExpireUrlFault)):
            drain_body(environ)
            return _answer(rule)(environ, noting)
        if isinstance(rule, ResetFault):
            return reset_response(self._app, environ, start_response, rule.after_bytes, note)
        if isinstance(rule, ResetUploadFault):
            note(None)
            reset_upload(environ, rule.after_bytes)
        if isinstance(rule, TruncateFault):
            return truncated_response(self._app, environ, start_response, rule.after_bytes, note)
        if isinstance(rule, FullBodyFault):
            environ.pop("HTTP_RANGE", None)
            environ.pop("HTTP_IF_RANGE", None)
        if isinstance(rule, WrongRangeFault):
            return self._wrong_range(rule, environ, noting)
        if isinstance(rule, StallFault):
            self._engine.stopping.wait(rule.seconds)
        return self._app(environ, noting)

    def _wrong_range(
        self, rule: WrongRangeFault, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        asked = parse_range(environ.get("HTTP_RANGE"))
        assert asked is not None
        first, last = asked
        shift = rule.shift
        for start in (first + shift, max(0, first - shift)):
            end = "" if last is None else str(last - first + start)
            shifted = {**environ, "HTTP_RANGE": f"bytes={start}-{end}"}
            status, headers, body = call_app(self._app, shifted)
            # Past the end of the object: shift the other way instead.
            if status.startswith("416") and start > first:
                getattr(body, "close", lambda: None)()
                continue
            start_response(status, headers)
            return body
        raise AssertionError("unreachable")  # pragma: no cover


def _answer(rule: StatusFault | S3ErrorFault | ExpireUrlFault) -> Response:
    if isinstance(rule, S3ErrorFault):
        status, message = S3_ERRORS[rule.code]
        return s3_error(status, rule.code, message)
    if isinstance(rule, ExpireUrlFault):
        return s3_error(403, "AccessDenied", "Request has expired")
    return _status_error(rule)


def _noting(start_response: StartResponse, note: Any) -> StartResponse:
    def noting(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        note(int(status.split(" ", 1)[0]))
        return start_response(status, headers, exc_info)

    return noting


class S3Server:
    """moto's S3 app, wrapped in ``S3FaultMiddleware``, on a loopback werkzeug server."""

    def __init__(
        self,
        host: str,
        engine: FaultEngine,
        log: S3RequestLog,
        internal_access_key: str,
        verbose: bool = False,
        *,
        write_order: WriteOrder | None = None,
    ) -> None:
        self.write_order = write_order or WriteOrder()
        moto_app = _WriteRecorder(DomainDispatcherApplication(create_backend_app), self.write_order)
        app = S3FaultMiddleware(moto_app, engine, log, internal_access_key)
        handler = request_handler(MotoRequestHandler, verbose, "EmulatorS3RequestHandler")
        self._server: BaseWSGIServer = make_server(
            host, 0, app, threaded=True, request_handler=handler
        )
        self._thread = threading.Thread(
            # A short poll interval makes stop() quick.
            target=functools.partial(self._server.serve_forever, poll_interval=0.05),
            name="jcds2-emulator-s3",
            daemon=True,
        )

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
