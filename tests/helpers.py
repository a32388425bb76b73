"""Helpers shared by the integration and end-to-end tests."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import http.server
import ipaddress
import random
import re
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import attrs

from jcds2 import JamfProClient
from jcds2.emulator import JamfEmulator
from jcds2.testing import flat_package_head


@contextmanager
def on_route(client: JamfProClient, route: str) -> Iterator[JamfProClient]:
    """A second client like ``client`` (server, credentials, settings) on ``route``."""
    container = client.container
    with JamfProClient(
        client.server.base_url,
        container.credentials(),
        transfer_config=container.transfer_config(),
        verify=container.verify(),
        s3_endpoint_url=container.config.s3_endpoint_url(),
        route=route,
    ) as other:
        yield other


def make_file(path: Path, size: int, seed: int = 0) -> Path:
    """Write ``size`` reproducible pseudo-random bytes to ``path``; a ``.pkg`` or ``.mpkg``
    starts as a flat package does (``jcds2.testing.flat_package_head``), so that it passes
    the upload's guardrails."""
    generator = random.Random(seed)
    head = b""
    if path.suffix.lower() in (".pkg", ".mpkg"):
        head = flat_package_head(seed)
        if len(head) > size:  # the smallest head, for a file of a hundred bytes
            head = flat_package_head(seed, checksum=False)[:size]
    with path.open("wb") as handle:
        handle.write(head)
        remaining = size - len(head)
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


@contextmanager
def recording_server(handle: Handler) -> Iterator[tuple[str, list[str]]]:
    """A ``tiny_server`` that also keeps every request whole, as text.

    Yields its base URL and a list with one entry per request: the request line, every
    header and the body (read by Content-Length before ``handle`` runs), so a test can
    search all of it for a secret.
    """
    recorded: list[str] = []

    def record(handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        recorded.append(f"{handler.requestline}\r\n{handler.headers}\r\n{body.decode('latin-1')}")
        handle(handler)

    with tiny_server(record) as (url, _):
        yield url, recorded


def serve_ranges(handler: http.server.BaseHTTPRequestHandler, data: bytes) -> None:
    """Answer a GET for ``data`` as a download host does: 206 for ``bytes=a-b``, else 200."""
    match = re.fullmatch(r"bytes=(\d+)-(\d*)", handler.headers.get("Range", ""))
    if match is None:
        answer(handler, 200, data)
        return
    start = int(match.group(1))
    end = min(int(match.group(2) or len(data) - 1), len(data) - 1)
    headers = {"Content-Range": f"bytes {start}-{end}/{len(data)}"}
    answer(handler, 206, data[start : end + 1], headers)


@attrs.frozen
class Certificates:
    """A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost."""

    ca: Path
    cert: Path
    key: Path


def make_certificates(folder: Path, name: str = "jcds2 test CA") -> Certificates:
    """Write a new CA (``ca.pem``) and a server certificate and key signed by it."""
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: PLC0415

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    found = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    found.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    found.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    found.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return found


def _pump(tls: ssl.SSLSocket, backend: socket.socket) -> None:
    # One thread per connection: an SSL socket must not be read and written at once
    # from two threads.
    try:
        while True:
            readable = [tls] if tls.pending() else select.select([tls, backend], [], [], 1.0)[0]
            for side in readable:
                data = side.recv(65536)
                if not data:
                    return
                (backend if side is tls else tls).sendall(data)
    except (OSError, ValueError):
        return
    finally:
        for end in (tls, backend):
            with contextlib.suppress(OSError):
                end.close()


@contextmanager
def tls_proxy(backend_url: str, certificates: Certificates) -> Iterator[str]:
    """An HTTPS front for the plain-HTTP server at ``backend_url`` (on loopback).

    Terminates TLS with ``certificates`` and passes the bytes through unchanged. Yields
    the ``https://127.0.0.1:<port>`` URL. A client that refuses the certificate ends its
    connection during the handshake, so nothing reaches the backend.
    """
    parts = urlsplit(backend_url)
    backend_address = (parts.hostname or "127.0.0.1", parts.port or 80)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.cert, certificates.key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stopping = threading.Event()

    def serve(conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            tls = context.wrap_socket(conn, server_side=True)
            tls.settimeout(None)
            backend = socket.create_connection(backend_address, timeout=10)
            backend.settimeout(None)
        except (OSError, ssl.SSLError):
            conn.close()
            return
        _pump(tls, backend)

    def accept() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}{parts.path.rstrip('/')}"
    finally:
        stopping.set()
        thread.join(5)
        listener.close()
