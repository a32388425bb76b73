"""The guardrails an upload passes before a request that changes anything, and before a
byte is sent: a file type Jamf Pro takes, a well-formed flat package, a signature if asked.

Only the local file is read: its header, its table of contents and the TOC's checksum,
never more than :data:`~jcds2.domain.flat_package.MAX_TOC_BYTES` of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from jcds2.domain.errors import MalformedPackageError, UnreadableFileError, UnsignedPackageError
from jcds2.domain.flat_package import (
    FLAT_PACKAGE_TYPES,
    MAX_HEADER_SIZE,
    PackageCheck,
    check_toc_checksum,
    checksum_region,
    file_type,
    heap_region_fits,
    inflate_toc,
    kind_of,
    parse_header,
    parse_toc,
    signer,
)
from jcds2.domain.models import LocalFile


def check_package(source: LocalFile, *, require_signed: bool = False) -> PackageCheck:
    """The guardrails for ``source``: ``UnsupportedFileTypeError``,
    ``MalformedPackageError``, ``UnsignedPackageError`` (with ``require_signed``, for a
    flat package), each a ``PackageCheckError``; ``UnreadableFileError`` if it cannot be
    read."""
    suffix = file_type(source.path)
    kind = kind_of(suffix)
    if suffix not in FLAT_PACKAGE_TYPES:
        return PackageCheck(suffix, kind)
    path = source.path
    try:
        with path.open("rb") as handle:
            header = parse_header(handle.read(MAX_HEADER_SIZE), source.size, path)
            handle.seek(header.header_size)
            compressed = _read_exactly(handle, header.toc_compressed, path)
            toc = parse_toc(inflate_toc(compressed, header, path), path)
            region = checksum_region(toc, header, source.size, path)
            if region is not None:
                handle.seek(region.offset)
                stored = _read_exactly(handle, region.size, path)
                check_toc_checksum(compressed, toc, stored, path)
    except OSError as exc:
        raise UnreadableFileError(path, exc.strerror or str(exc)) from exc
    if toc.signature is not None and not heap_region_fits(toc.signature, header, source.size):
        raise MalformedPackageError(path, "its signature lies beyond its end")
    if not toc.signed:
        if require_signed:
            raise UnsignedPackageError(path)
        return PackageCheck(suffix, kind, flat_package=True, signed=False)
    return PackageCheck(suffix, kind, flat_package=True, signed=True, signed_by=signer(toc, path))


def _read_exactly(handle: BinaryIO, count: int, path: Path) -> bytes:
    data = handle.read(count)
    if len(data) != count:
        raise MalformedPackageError(path, "it ends early: truncated?")
    return data
