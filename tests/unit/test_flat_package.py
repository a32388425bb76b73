"""The guardrails' reading of flat packages: well-formed ones pass and name their signer;
malformed and hostile ones give a typed error quickly, never a hang or a MemoryError."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

import pytest

from jcds2.application.guardrails import check_package
from jcds2.application.local_files import inspect_upload_source
from jcds2.domain.der import subject_common_name
from jcds2.domain.flat_package import MAX_TOC_BYTES, PackageCheck
from jcds2.errors import (
    MalformedPackageError,
    PackageCheckError,
    UnsignedPackageError,
    UnsupportedFileTypeError,
)
from jcds2.testing import flat_package
from tests.xar import (
    CA_NAME,
    LEAF_NAME,
    certificate,
    signature_xml,
    signed_xar,
    toc_xml,
    xar,
)


def check(tmp_path: Path, data: bytes, name: str = "Tool.pkg", **keywords: bool) -> PackageCheck:
    path = tmp_path / name
    path.write_bytes(data)
    return check_package(inspect_upload_source(path), **keywords)


def malformed(tmp_path: Path, data: bytes, name: str = "Tool.pkg") -> str:
    with pytest.raises(MalformedPackageError) as caught:
        check(tmp_path, data, name)
    message = str(caught.value)
    assert "nothing was sent" in message
    return caught.value.reason


# --- well-formed packages ------------------------------------------------------------------


@pytest.mark.parametrize("checksum", ["sha1", "md5", "sha256", "sha512", "none"])
def test_a_well_formed_unsigned_package_passes(tmp_path: Path, checksum: str) -> None:
    algorithm = {"sha1": 1, "md5": 2, "none": 0}.get(checksum, 3)
    header_size = 64 if algorithm == 3 else 28
    data = xar(checksum=checksum, algorithm=algorithm, header_size=header_size)
    if algorithm == 3:  # "other": the algorithm's name follows the fixed header
        name = checksum.encode().ljust(36, b"\0")
        data = data[:28] + name + data[64:]

    found = check(tmp_path, data)

    assert found == PackageCheck(".pkg", "flat package", flat_package=True, signed=False)
    assert found.describe() == "flat package, unsigned"


def test_a_signed_package_names_its_leaf_certificate(tmp_path: Path) -> None:
    chain = [certificate(LEAF_NAME), certificate(CA_NAME, issuer="Root")]

    found = check(tmp_path, signed_xar(chain), require_signed=True)

    assert found.signed is True
    assert found.signed_by == LEAF_NAME
    assert found.describe() == f"flat package, signed by {LEAF_NAME}"


def test_an_unsigned_package_is_refused_when_a_signature_is_required(tmp_path: Path) -> None:
    with pytest.raises(UnsignedPackageError, match=r"not signed.*productsign"):
        check(tmp_path, xar(), require_signed=True)


def test_a_flat_mpkg_is_checked_like_a_pkg(tmp_path: Path) -> None:
    assert check(tmp_path, xar(), "Suite.mpkg").flat_package is True
    malformed(tmp_path, b"not a xar archive at all", "Broken.mpkg")


def test_the_stand_in_packages_of_jcds2_testing_pass(tmp_path: Path) -> None:
    der = certificate("Stand-in signer")
    assert check(tmp_path, flat_package(4096)).signed is False
    assert check(tmp_path, flat_package(100)).flat_package is True  # the smallest head
    assert check(tmp_path, flat_package(4096, certificates=[der])).signed_by == "Stand-in signer"
    with pytest.raises(ValueError, match="at least"):
        flat_package(10)


def test_a_leaf_without_a_common_name_is_said_so(tmp_path: Path) -> None:
    found = check(tmp_path, signed_xar([certificate(None)]))
    assert found.signed_by == "(a certificate without a common name)"


# --- file types ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Tool.PKG", "Tool.Mpkg", "Disk.DMG", "Archive.zip"])
def test_types_are_compared_case_insensitively(tmp_path: Path, name: str) -> None:
    data = xar() if name.lower().endswith("pkg") else b"anything at all"
    assert check(tmp_path, data, name).file_type == name[name.rindex(".") :].lower()


@pytest.mark.parametrize(("name", "kind"), [("Disk.dmg", "disk image"), ("App.zip", "zip")])
def test_disk_images_and_zips_are_not_opened(tmp_path: Path, name: str, kind: str) -> None:
    found = check(tmp_path, b"opaque bytes", name, require_signed=True)
    assert found == PackageCheck(name[-4:], kind)
    assert found.describe() == f"{kind} (signature not checked)"


@pytest.mark.parametrize("name", ["Tool.app", "notes.txt", "Makefile", "Tool.pkg.bak", "a.tar"])
def test_other_types_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnsupportedFileTypeError) as caught:
        check(tmp_path, xar(), name)
    assert isinstance(caught.value, PackageCheckError)
    assert ".pkg, .mpkg, .dmg or .zip" in str(caught.value)


# --- malformed and hostile -------------------------------------------------------------------


def test_every_truncation_is_malformed(tmp_path: Path) -> None:
    whole = xar(padding=0)
    # Up to the end of the TOC's checksum, every prefix is missing something it needs (the
    # 256 bytes after it are the heap's room for a signature, which this one does not have).
    needed = len(whole) - 256
    for length in range(1, needed):
        malformed(tmp_path, whole[:length])
    assert check(tmp_path, whole[:needed]).flat_package is True


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"magic": b"XAR!"}, "xar signature"),
        ({"version": 2}, "version 2"),
        ({"header_size": 12}, "header size of 12"),
        ({"header_size": 65535}, "header size of 65535"),
        ({"algorithm": 9}, "unknown checksum algorithm"),
        ({"compressed_length": 0}, "1 to"),
        ({"uncompressed_length": 0}, "1 to"),
        ({"compressed_length": 2**63}, "1 to"),
        ({"uncompressed_length": 2**40}, "1 to"),
        ({"compressed_length": MAX_TOC_BYTES}, "truncated"),
        ({"uncompressed_length": 5}, "not the length"),
        ({"uncompressed_length": 100_000}, "not the length"),
        ({"compressed": b"\x78\x9c" + b"garbage" * 10}, "does not inflate"),
    ],
)
def test_a_bad_header_is_malformed(tmp_path: Path, fields: dict[str, object], reason: str) -> None:
    started = time.monotonic()
    assert reason in malformed(tmp_path, xar(**fields))  # type: ignore[arg-type]
    assert time.monotonic() - started < 5


def test_a_short_file_is_malformed(tmp_path: Path) -> None:
    assert "shorter than a xar header" in malformed(tmp_path, b"xar!\x00\x1c")


def test_a_zlib_bomb_is_cut_at_the_declared_length(tmp_path: Path) -> None:
    bomb = zlib.compress(bytes(200 * 1024 * 1024), 9)  # 200 MiB of zeros in ~200 KiB
    assert "not the length" in malformed(tmp_path, xar(compressed=bomb, uncompressed_length=1000))


def test_entity_expansion_is_refused(tmp_path: Path) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE xar [<!ENTITY a "lol">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
        )
        + b"]><xar><toc>&j;</toc></xar>"
    )
    started = time.monotonic()
    assert "DTD" in malformed(tmp_path, xar(laughs))
    assert time.monotonic() - started < 5


def test_external_entities_are_refused(tmp_path: Path) -> None:
    external = (
        b'<?xml version="1.0"?><!DOCTYPE xar [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<xar><toc>&e;</toc></xar>"
    )
    assert "DTD" in malformed(tmp_path, xar(external))


@pytest.mark.parametrize(
    ("toc", "reason"),
    [
        (b"<xar><toc>", "not well-formed"),
        (
            b'<?xml version="1.0" encoding="UTF-8"?><xar><toc>\xff\xfe</toc></xar>',
            "not well-formed",
        ),
        (b"<archive><toc/></archive>", "no <xar><toc>"),
        (b"<xar/>", "no <xar><toc>"),
        (b"<xar><toc>&undefined;</toc></xar>", "not well-formed"),
        (toc_xml().replace(b"<offset>0</offset>", b"<offset>x</offset>"), "whole number"),
        (toc_xml().replace(b"<size>20</size>", b"<size>99</size>"), "wrong size"),
        (toc_xml().replace(b"<offset>0</offset>", b"<offset>99999</offset>"), "beyond its end"),
        (toc_xml(checksum="sha1").replace(b"sha1", b"crc32"), "unknown table of contents"),
        (toc_xml(checksum="none"), "names no checksum"),
    ],
)
def test_a_bad_table_of_contents_is_malformed(tmp_path: Path, toc: bytes, reason: str) -> None:
    assert reason in malformed(tmp_path, xar(toc))


def test_a_table_of_contents_that_does_not_match_its_checksum_is_malformed(
    tmp_path: Path,
) -> None:
    data = bytearray(xar())
    toc_end = 28 + struct.unpack_from(">Q", data, 8)[0]
    data[toc_end] ^= 0xFF  # the first byte of the stored checksum
    assert "does not match its checksum" in malformed(tmp_path, bytes(data))


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (signature_xml([b"\x30\x03\x02\x01\x01"]), "does not parse"),
        (
            signature_xml([]).replace(
                "</ds:X509Data>", "<X509Certificate>%%%</X509Certificate></ds:X509Data>"
            ),
            "not base64",
        ),
        (signature_xml([certificate(LEAF_NAME)], offset=10**9), "beyond its end"),
        ("<signature><offset>20</offset></signature>", "whole number"),
        (
            "<signature><offset>20</offset><size>1</size><KeyInfo><X509Data><X509Certificate>"
            + "A" * 70_000
            + "</X509Certificate></X509Data></KeyInfo></signature>",
            "oversized",
        ),
    ],
)
def test_a_bad_signature_is_malformed(tmp_path: Path, signature: str, reason: str) -> None:
    assert reason in malformed(tmp_path, xar(toc_xml(signature=signature)))


def test_a_signature_without_certificates_is_no_signature(tmp_path: Path) -> None:
    found = check(tmp_path, xar(toc_xml(signature=signature_xml([]))))
    assert found.signed is False


# --- the certificate's name --------------------------------------------------------------------


def test_common_names_in_every_string_type() -> None:
    def name_of(tag: int, value: bytes) -> bytes:
        attribute = b"\x06\x03\x55\x04\x03" + bytes([tag, len(value)]) + value
        pair = b"\x30" + bytes([len(attribute)]) + attribute
        return b"\x31" + bytes([len(pair)]) + pair

    def certificate_with(name: bytes) -> bytes:
        subject = b"\x30" + bytes([len(name)]) + name
        tbs_fields = b"\x02\x01\x01" + b"\x30\x00" + b"\x30\x00" + b"\x30\x00" + subject
        tbs = b"\x30" + bytes([len(tbs_fields)]) + tbs_fields
        return b"\x30" + bytes([len(tbs)]) + tbs

    assert subject_common_name(certificate_with(name_of(0x0C, "Zoë".encode()))) == "Zoë"
    assert subject_common_name(certificate_with(name_of(0x13, b"Plain"))) == "Plain"
    assert subject_common_name(certificate_with(name_of(0x1E, "Wide".encode("utf-16-be")))) == (
        "Wide"
    )
    assert subject_common_name(certificate_with(b"")) is None
    with pytest.raises(ValueError, match="unknown string type"):
        subject_common_name(certificate_with(name_of(0x04, b"octets")))
    with pytest.raises(ValueError, match="longer than the data"):
        subject_common_name(certificate_with(name_of(0x0C, b"x"))[:-3] + b"\xff")
    with pytest.raises(ValueError, match="longer than the data"):
        subject_common_name(b"\x30\x84\xff\xff\xff\xff")
    with pytest.raises(ValueError, match="truncated"):
        subject_common_name(b"")
