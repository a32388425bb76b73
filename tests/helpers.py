"""Helpers shared by the integration and end-to-end tests."""

from __future__ import annotations

import hashlib
import http.server
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from jcds2.emulator import JamfEmulator


def make_file(path: Path, size: int, seed: int = 0) -> Path:
    """Write ``size`` reproducible pseudo-random bytes to ``path``."""
    generator = random.Random(seed)
    with path.open("wb") as handle:
        remaining = size
        while remaining:
            count = min(remaining, 1 << 20)
            handle.write(generator.randbytes(count))
            remaining -= count
    return path


def sha(path: Path, algorithm: str = "sha256") -> str:
    return hashlib.new(algorithm, path.read_bytes()).hexdigest()


def server_state(emulator: JamfEmulator) -> tuple[object, ...]:
    """What the emulator holds: packages, JCDS files and multipart uploads in progress."""
    packages = sorted((p["id"], p["packageName"], p["fileName"]) for p in emulator.packages())
    files = sorted((f["fileName"], f["length"], f["md5"]) for f in emulator.jcds_files())
    return (packages, files, sorted(emulator.multipart_uploads_in_progress()))


Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@contextmanager
def tiny_server(handle: Handler) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A loopback HTTP server answering every request with ``handle``.

    Yields its base URL and a list of the headers of every request it received.
    """
    seen: list[dict[str, str]] = []

    class _Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            seen.append({key.lower(): value for key, value in self.headers.items()})
            handle(self)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def answer(
    handler: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    if "Content-Length" not in (headers or {}):
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
