"""A minimal xar writer for the guardrail tests, with every header field in the test's hands
(hostile files included), and throwaway signing certificates made with ``cryptography``."""

from __future__ import annotations

import datetime
import hashlib
import struct
import zlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LEAF_NAME = "Developer ID Installer: Example Corp (ABCDE12345)"
CA_NAME = "Developer ID Certification Authority (test)"


def toc_xml(*, checksum: str = "sha1", signature: str = "", extra: str = "") -> bytes:
    size = hashlib.new(checksum).digest_size if checksum != "none" else 0
    checksum_element = (
        f'<checksum style="{checksum}"><offset>0</offset><size>{size}</size></checksum>'
        if checksum != "none"
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<xar><toc>'
        f"{checksum_element}<creation-time>2026-12-01T00:00:00</creation-time>"
        f'{signature}<file id="1"><name>Distribution</name></file>{extra}</toc></xar>'
    ).encode()


def signature_xml(certificates: list[bytes], *, offset: int = 20, size: int = 256) -> str:
    import base64  # noqa: PLC0415

    encoded = "".join(
        f"<X509Certificate>\n{base64.encodebytes(der).decode()}</X509Certificate>"
        for der in certificates
    )
    return (
        f'<signature style="RSA"><offset>{offset}</offset><size>{size}</size>'
        '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data>{encoded}</ds:X509Data></ds:KeyInfo></signature>"
    )


def xar(
    toc: bytes | None = None,
    *,
    heap: bytes | None = None,
    padding: int = 64,
    magic: bytes = b"xar!",
    header_size: int = 28,
    version: int = 1,
    algorithm: int = 1,
    compressed: bytes | None = None,
    compressed_length: int | None = None,
    uncompressed_length: int | None = None,
    checksum: str = "sha1",
) -> bytes:
    """A xar archive: the header (each field overridable), the compressed ``toc`` and a
    heap that starts with the TOC's ``checksum`` (unless ``heap`` is given)."""
    toc = toc_xml(checksum=checksum) if toc is None else toc
    compressed = zlib.compress(toc) if compressed is None else compressed
    header = struct.pack(
        ">4sHHQQI",
        magic,
        header_size,
        version,
        len(compressed) if compressed_length is None else compressed_length,
        len(toc) if uncompressed_length is None else uncompressed_length,
        algorithm,
    )
    header += bytes(max(0, header_size - 28))
    if heap is None:
        heap = hashlib.new(checksum, compressed).digest() if checksum != "none" else b""
        heap += bytes(256)  # room for a signature
    return header + compressed + heap + bytes(padding)


def certificate(common_name: str | None, issuer: str = CA_NAME) -> bytes:
    """A self-signed certificate (DER) whose subject has ``common_name`` (``None``: only an
    organisation)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp")]
        + ([] if common_name is None else [x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    made = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return made.public_bytes(serialization.Encoding.DER)


def signed_xar(certificates: list[bytes], **keywords: object) -> bytes:
    return xar(toc_xml(signature=signature_xml(certificates)), **keywords)  # type: ignore[arg-type]
