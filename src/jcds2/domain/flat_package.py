"""The file types Jamf Pro takes, and flat packages (xar archives) read without macOS tools.

A flat package is a xar archive: a 28-byte (or longer) big-endian header, then the
zlib-compressed XML table of contents (TOC), then the heap. The TOC names the checksum of
its own compressed bytes (stored in the heap) and, in a signed package, a ``<signature>``
with the signing certificate chain, leaf first. These functions parse what is given to
them and nothing more; the caller reads the file, no further than :func:`parse_header`
says, so that a hostile file costs at most :data:`MAX_TOC_BYTES` twice over.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import zlib
from pathlib import Path
from typing import Any
from xml.parsers import expat

import attrs

from jcds2.domain.der import subject_common_name
from jcds2.domain.errors import MalformedPackageError, UnsupportedFileTypeError

#: The file types Jamf Pro takes for a package (compared case-insensitively).
PACKAGE_FILE_TYPES = (".pkg", ".mpkg", ".dmg", ".zip")
#: The types that are flat packages when they are files (a bundle ``.mpkg`` is a folder).
FLAT_PACKAGE_TYPES = (".pkg", ".mpkg")
_KINDS = {".pkg": "flat package", ".mpkg": "flat package", ".dmg": "disk image", ".zip": "zip"}

XAR_MAGIC = b"xar!"
#: The fixed part of the header: magic, header size, version, the TOC's compressed and
#: uncompressed lengths, the checksum algorithm.
_HEADER = struct.Struct(">4sHHQQI")
HEADER_SIZE = _HEADER.size
#: A header is 28 bytes, or a little more with the name of an "other" checksum algorithm.
MAX_HEADER_SIZE = 4096
#: The most jcds2 reads of a TOC, compressed or not. A package of a hundred thousand files
#: has a TOC of some tens of MiB; anything larger is refused rather than read.
MAX_TOC_BYTES = 64 * 1024 * 1024
#: The header's checksum algorithms: none, SHA-1, MD5, or "other" (named in the header).
_CHECKSUMS = {0: "none", 1: "sha1", 2: "md5"}
_OTHER_CHECKSUM = 3
_HASHES = {"sha1", "md5", "sha224", "sha256", "sha384", "sha512"}
_MAX_CERTIFICATE_CHARS = 64 * 1024


def file_type(path: Path) -> str:
    """The type of ``path`` as Jamf Pro sees it (``".pkg"``, lower case), or
    ``UnsupportedFileTypeError`` when it takes no such package."""
    suffix = path.suffix.lower()
    if suffix not in PACKAGE_FILE_TYPES:
        raise UnsupportedFileTypeError(path)
    return suffix


def kind_of(suffix: str) -> str:
    """What a file of type ``suffix`` is, in words: ``"flat package"``, ``"disk image"``."""
    return _KINDS[suffix]


@attrs.frozen
class XarHeader:
    """A xar header, checked against the file it starts: where the TOC and the heap are."""

    header_size: int
    version: int
    toc_compressed: int
    toc_uncompressed: int
    checksum: str

    @property
    def heap_start(self) -> int:
        return self.header_size + self.toc_compressed


def parse_header(data: bytes, file_size: int, path: Path) -> XarHeader:
    """The header at the start of ``data`` (at least :data:`MAX_HEADER_SIZE` bytes of the
    file, or all of it), bounded by ``file_size``; ``MalformedPackageError`` otherwise."""
    if len(data) < HEADER_SIZE:
        raise MalformedPackageError(path, f"it is {file_size} bytes, shorter than a xar header")
    magic, size, version, compressed, uncompressed, algorithm = _HEADER.unpack_from(data)
    if magic != XAR_MAGIC:
        raise MalformedPackageError(path, "it does not start with the xar signature 'xar!'")
    if version != 1:
        raise MalformedPackageError(path, f"xar version {version}, where 1 is the only one")
    if not HEADER_SIZE <= size <= min(MAX_HEADER_SIZE, len(data)):
        raise MalformedPackageError(path, f"a xar header size of {size} bytes")
    if algorithm == _OTHER_CHECKSUM:
        name = data[HEADER_SIZE:size].split(b"\0", 1)[0]
        checksum = name.decode("ascii", "replace").lower()
    elif algorithm in _CHECKSUMS:
        checksum = _CHECKSUMS[algorithm]
    else:
        raise MalformedPackageError(path, f"an unknown checksum algorithm ({algorithm})")
    if not 0 < compressed <= MAX_TOC_BYTES or not 0 < uncompressed <= MAX_TOC_BYTES:
        raise MalformedPackageError(
            path,
            f"a table of contents of {compressed} bytes compressed and {uncompressed} "
            f"uncompressed, where jcds2 reads 1 to {MAX_TOC_BYTES} bytes",
        )
    if size + compressed > file_size:
        raise MalformedPackageError(
            path, "it is shorter than its table of contents says: truncated?"
        )
    return XarHeader(size, version, compressed, uncompressed, checksum)


@attrs.frozen
class HeapRegion:
    """Bytes of the heap a TOC points at (offset from the heap's start, and size)."""

    offset: int
    size: int


@attrs.frozen
class TableOfContents:
    """What a guardrail needs of a flat package's TOC."""

    #: The checksum of the compressed TOC: its algorithm (``hashlib`` name) and place.
    checksum_style: str | None
    checksum: HeapRegion | None
    #: The ``<signature>``: its style (``"RSA"``), where its bytes are, and the
    #: certificates of its chain (DER, leaf first); ``None``: unsigned.
    signature_style: str | None = None
    signature: HeapRegion | None = None
    certificates: tuple[bytes, ...] = ()

    @property
    def signed(self) -> bool:
        return self.signature is not None and bool(self.certificates)


def inflate_toc(compressed: bytes, header: XarHeader, path: Path) -> bytes:
    """The TOC's XML from its compressed bytes, no longer than the header says."""
    inflater = zlib.decompressobj()
    try:
        xml = inflater.decompress(compressed, header.toc_uncompressed + 1)
    except zlib.error as exc:
        raise MalformedPackageError(path, f"its table of contents does not inflate: {exc}") from exc
    if len(xml) != header.toc_uncompressed or not inflater.eof or inflater.unconsumed_tail:
        raise MalformedPackageError(path, "its table of contents is not the length its header says")
    return xml


def checksum_region(
    toc: TableOfContents, header: XarHeader, file_size: int, path: Path
) -> HeapRegion | None:
    """Where in the file the checksum of the compressed TOC is (``None``: it has none),
    checked: a known algorithm, its digest's size, within the file."""
    if toc.checksum is None or toc.checksum_style in (None, "none"):
        if header.checksum != "none":
            raise MalformedPackageError(path, "its table of contents names no checksum")
        return None
    if toc.checksum_style not in _HASHES:
        raise MalformedPackageError(
            path, f"an unknown table of contents checksum {toc.checksum_style!r}"
        )
    region = toc.checksum
    if region.size != hashlib.new(toc.checksum_style).digest_size:
        raise MalformedPackageError(path, "its table of contents checksum has the wrong size")
    if not heap_region_fits(region, header, file_size):
        raise MalformedPackageError(path, "its table of contents checksum lies beyond its end")
    return HeapRegion(header.heap_start + region.offset, region.size)


def check_toc_checksum(compressed: bytes, toc: TableOfContents, stored: bytes, path: Path) -> None:
    """``MalformedPackageError`` unless ``stored`` (read where :func:`checksum_region`
    says) is the checksum of the TOC's compressed bytes."""
    assert toc.checksum_style is not None
    if hashlib.new(toc.checksum_style, compressed).digest() != stored:
        raise MalformedPackageError(path, "its table of contents does not match its checksum")


def heap_region_fits(region: HeapRegion, header: XarHeader, file_size: int) -> bool:
    """Whether ``region`` (of the heap) lies within the file."""
    return header.heap_start + region.offset + region.size <= file_size


@attrs.frozen
class PackageCheck:
    """What the guardrails found in a file to upload.

    ``file_type`` is its type (``".pkg"``), ``kind`` says what that is (``"flat package"``,
    ``"disk image"``, ``"zip"``). ``flat_package``: the xar header and table of contents
    parsed (``None``: not a flat package type, not looked at). ``signed``: the table of
    contents carries a signature (``None``: not looked at); ``signed_by``: the common name
    of its signing (leaf) certificate. A signature is found, not verified.
    """

    file_type: str
    kind: str
    flat_package: bool | None = None
    signed: bool | None = None
    signed_by: str | None = None

    def describe(self) -> str:
        """The findings in a few words: ``"flat package, signed by Developer ID ..."``."""
        if self.flat_package is None:
            return f"{self.kind} (signature not checked)"
        if not self.signed:
            return f"{self.kind}, unsigned"
        return f"{self.kind}, signed by {self.signed_by}"


#: Where, below ``<xar><toc>``, the facts a guardrail needs are.
_TOC = ("xar", "toc")
_CHECKSUM = (*_TOC, "checksum")
_SIGNATURE = (*_TOC, "signature")
_CERTIFICATE = (*_SIGNATURE, "KeyInfo", "X509Data", "X509Certificate")
_WANTED = {
    _TOC,
    _CHECKSUM,
    (*_CHECKSUM, "offset"),
    (*_CHECKSUM, "size"),
    _SIGNATURE,
    (*_SIGNATURE, "offset"),
    (*_SIGNATURE, "size"),
    _CERTIFICATE,
}
_DEEPEST = max(len(path) for path in _WANTED)


class _Refused(Exception):
    """Raised inside the XML parser for a construct a TOC never needs (a DTD, entities)."""


def parse_toc(xml: bytes, path: Path) -> TableOfContents:
    """The checksum and signature a TOC's XML names; ``MalformedPackageError`` when it
    is not a xar TOC. DTDs (and so entity declarations) are refused, which rules out
    entity expansion and external entities."""
    stack: list[str] = []
    texts: dict[tuple[str, ...], list[str]] = {}
    attributes: dict[tuple[str, ...], dict[str, str]] = {}
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: Any) -> None:
        raise _Refused

    def start(name: str, attrs_: dict[str, str]) -> None:
        stack.append(name.rsplit(":", 1)[-1])  # ``ds:KeyInfo`` is ``KeyInfo``
        if len(stack) <= _DEEPEST and (key := tuple(stack)) in _WANTED:
            attributes.setdefault(key, attrs_)
            texts.setdefault(key, []).append("")

    def end(_: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if len(stack) <= _DEEPEST and (key := tuple(stack)) in _WANTED and key != _TOC:
            texts[key][-1] += data
            if len(texts[key][-1]) > _MAX_CERTIFICATE_CHARS:
                raise _Refused

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(xml, True)
    except _Refused:
        raise MalformedPackageError(
            path, "its table of contents has a DTD, entities or an oversized field"
        ) from None
    except expat.ExpatError as exc:
        raise MalformedPackageError(
            path, f"its table of contents is not well-formed XML ({exc})"
        ) from None
    if _TOC not in texts:
        raise MalformedPackageError(path, "its table of contents has no <xar><toc>")
    return _contents(texts, attributes, path)


def _contents(
    texts: dict[tuple[str, ...], list[str]],
    attributes: dict[tuple[str, ...], dict[str, str]],
    path: Path,
) -> TableOfContents:
    def number(key: tuple[str, ...]) -> int:
        values = texts.get(key, [])
        if len(values) != 1 or not values[0].strip().isdigit():
            raise MalformedPackageError(path, f"no single whole number at <{'/'.join(key)}>")
        return int(values[0].strip())

    checksum = style = None
    if _CHECKSUM in texts:
        style = attributes[_CHECKSUM].get("style", "").lower()
        checksum = HeapRegion(number((*_CHECKSUM, "offset")), number((*_CHECKSUM, "size")))
    if _SIGNATURE not in texts:
        return TableOfContents(style, checksum)
    certificates = []
    for encoded in texts.get(_CERTIFICATE, []):
        try:
            certificates.append(base64.b64decode("".join(encoded.split()), validate=True))
        except (binascii.Error, ValueError):
            raise MalformedPackageError(
                path, "a certificate of its signature is not base64"
            ) from None
    return TableOfContents(
        style,
        checksum,
        signature_style=attributes[_SIGNATURE].get("style"),
        signature=HeapRegion(number((*_SIGNATURE, "offset")), number((*_SIGNATURE, "size"))),
        certificates=tuple(certificates),
    )


def signer(toc: TableOfContents, path: Path) -> str:
    """The common name of the signing (leaf) certificate of a signed ``toc``; its whole
    subject is not shown, only this name, as ``pkgutil --check-signature`` lists it."""
    try:
        name = subject_common_name(toc.certificates[0])
    except ValueError as exc:
        raise MalformedPackageError(
            path, f"the signing certificate does not parse ({exc})"
        ) from None
    return name if name is not None else "(a certificate without a common name)"
