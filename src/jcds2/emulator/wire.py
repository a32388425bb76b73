"""What faults do on the connection: resets, truncated bodies, drained uploads.

Both servers run ``werkzeug.serving`` with a request handler made by ``request_handler``. It
puts a ``ConnectionControl`` into every WSGI environ, through which a fault asks for the
connection to be reset (RST, not FIN) once werkzeug is done with it.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from werkzeug.serving import WSGIRequestHandler
from werkzeug.wsgi import get_input_stream

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CONTROL_KEY = "jcds2.emulator.connection"
_CHUNK = 1024 * 1024


class InjectedResetError(ConnectionResetError):
    """Raised inside the WSGI app to end a request whose connection a fault resets.

    werkzeug takes any ``ConnectionError`` for a dropped connection and stays quiet.
    """


class ConnectionControl:
    """A fault's hold on the connection of the request it spoils."""

    def __init__(self, handler: _ControlledHandler) -> None:
        self._handler = handler

    def reset_when_done(self) -> None:
        """Reset the connection (RST) instead of closing it once werkzeug is done with it."""
        self._handler.reset_on_finish = True
        self._handler.close_connection = True


class _ControlledHandler(WSGIRequestHandler):
    reset_on_finish = False

    def make_environ(self) -> WSGIEnvironment:
        environ = super().make_environ()
        environ[CONTROL_KEY] = ConnectionControl(self)
        return environ

    def finish(self) -> None:
        super().finish()  # closes the socket's files, so close() below closes the socket
        if self.reset_on_finish:
            # Linger on with a zero timeout: close() sends RST and drops unsent data.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


def _quiet_log_request(self: Any, code: int | str = "-", size: int | str = "-") -> None:
    del self, code, size


def request_handler(
    base: type[WSGIRequestHandler], verbose: bool, name: str
) -> type[WSGIRequestHandler]:
    """``base`` with connection control, logging each request only when ``verbose``."""
    namespace: dict[str, Any] = {} if verbose else {"log_request": _quiet_log_request}
    return type(name, (_ControlledHandler, base), namespace)


def control(environ: WSGIEnvironment) -> ConnectionControl:
    found = environ.get(CONTROL_KEY)
    if not isinstance(found, ConnectionControl):
        raise RuntimeError("this request was not served by an emulator request handler")
    return found


def drain_body(environ: WSGIEnvironment) -> None:
    """Read and discard the request body, so the client sees the answer, not a broken pipe."""
    stream = get_input_stream(environ, safe_fallback=True)
    while stream.read(_CHUNK):
        pass


def reset_upload(environ: WSGIEnvironment, after_bytes: int) -> NoReturn:
    """Read ``after_bytes`` of the request body, then reset; raises ``InjectedResetError``."""
    stream = get_input_stream(environ, safe_fallback=True)
    remaining = after_bytes
    while remaining > 0:
        chunk = stream.read(min(remaining, _CHUNK))
        if not chunk:
            break
        remaining -= len(chunk)
    control(environ).reset_when_done()
    raise InjectedResetError("injected connection reset during the upload")


def call_app(
    app: WSGIApplication, environ: WSGIEnvironment
) -> tuple[str, list[tuple[str, str]], Iterable[bytes]]:
    """Run a WSGI app: its status, headers and body (the body not yet consumed)."""
    captured: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        del exc_info
        captured.append((status, headers))
        return lambda _data: None

    body = app(environ, start_response)
    if not captured:
        # A lazy app sets its status on the first chunk; pull it now.
        iterator = iter(body)
        first = next(iterator, b"")
        body = _chain(first, iterator, body)
    status, headers = captured[0]
    return status, headers, body


def _chain(first: bytes, rest: Iterator[bytes], original: Iterable[bytes]) -> Iterator[bytes]:
    try:
        yield first
        yield from rest
    finally:
        _close(original)


def _close(body: Iterable[bytes]) -> None:
    close: Callable[[], None] | None = getattr(body, "close", None)
    if close is not None:
        close()


def _first_bytes(body: Iterable[bytes], limit: int) -> Iterator[bytes]:
    sent = 0
    try:
        for chunk in body:
            piece = chunk[: limit - sent]
            if piece:
                sent += len(piece)
                yield piece
            if sent >= limit:
                break
    finally:
        _close(body)


def reset_response(
    app: WSGIApplication,
    environ: WSGIEnvironment,
    start_response: StartResponse,
    after_bytes: int,
    on_status: Callable[[int | None], None] = lambda _status: None,
) -> Iterable[bytes]:
    """Process the request with ``app``; send its head and ``after_bytes`` of body; reset.

    With ``after_bytes`` 0 nothing of the answer is sent. ``on_status`` learns the status
    sent on the wire (None if none was).
    """
    link = control(environ)
    if after_bytes == 0:
        status, _headers, body = call_app(app, environ)
        _close(body)
        on_status(None)
        link.reset_when_done()
        raise InjectedResetError("injected connection reset before the answer")
    status, headers, body = call_app(app, environ)
    on_status(int(status.split(" ", 1)[0]))
    start_response(status, headers)

    def spoilt() -> Iterator[bytes]:
        yield from _first_bytes(body, after_bytes)
        link.reset_when_done()
        raise InjectedResetError("injected connection reset in the answer")

    return spoilt()


def truncated_response(
    app: WSGIApplication,
    environ: WSGIEnvironment,
    start_response: StartResponse,
    after_bytes: int,
    on_status: Callable[[int | None], None] = lambda _status: None,
) -> Iterable[bytes]:
    """Process the request with ``app``; send its head (full length) and ``after_bytes``.

    werkzeug closes every connection after one answer, so the client sees a clean end of
    the stream before the promised length.
    """
    status, headers, body = call_app(app, environ)
    on_status(int(status.split(" ", 1)[0]))
    start_response(status, headers)
    return _first_bytes(body, after_bytes)
