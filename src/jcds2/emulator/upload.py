"""``POST /api/v1/packages/{id}/upload``: Jamf's supported way to put a package's file.

The multipart body is parsed as it arrives: the ``file`` part goes to a temporary file on
disk while its MD5, SHA-256 and SHA3-512 are computed, then to the bucket (multipart for
large files, one part in memory at a time) under ``packages/<id>/<uuid>/<fileName>``. The
package goes PENDING; the inventory refresh and the transfer delay make it show the file
(``state.PackageStore``).
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

import attrs
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.wrappers import Request, Response

from jcds2.emulator.cdp import DistributionPoint, missing
from jcds2.emulator.faultrules import (
    CorruptUploadFault,
    LateSizeFault,
    PackageUploadFault,
    TransferErrorFault,
    ZeroSizeUploadFault,
)
from jcds2.emulator.faults import UPLOAD_FAULT_KEY
from jcds2.emulator.history import PackageHistory
from jcds2.emulator.jsonbody import BodyError
from jcds2.emulator.pro import check_file_type, no_such_package
from jcds2.emulator.s3 import S3Bucket
from jcds2.emulator.state import PackageNotFoundError, PackageStore, UploadedFile
from jcds2.emulator.web import Call, Route, api_error, body_error, json_response

FILE_FIELD = "file"
KEY_PREFIX = "packages/"
# Form fields that are not files stay in memory, the file part never does; the parser's
# own buffer (64 KiB reads plus what may be the start of a boundary) counts too.
_MAX_FIELD_BYTES = 1024 * 1024
_MAX_PARTS = 16
_CHUNK = 1024 * 1024


class HashingSpool:
    """A file part on its way in: written to a temporary file on disk, hashed as written.

    With ``corrupt_at`` set, the byte at that offset is stored flipped (XOR 0xFF), or one
    0xFF byte is appended if the part is not that long, so that what is stored and hashed
    differs from what was sent. werkzeug's multipart parser writes the part's bytes here
    and seeks back to 0; call ``finish()`` once the part is complete.
    """

    def __init__(self, corrupt_at: int | None = None) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self._sha3 = hashlib.sha3_512()
        self._corrupt_at = corrupt_at
        self._corrupted = False
        self.size = 0

    def write(self, data: bytes) -> int:
        written = len(data)
        at = self._corrupt_at
        if at is not None and not self._corrupted and self.size <= at < self.size + written:
            spoilt = bytearray(data)
            spoilt[at - self.size] ^= 0xFF
            data = bytes(spoilt)
            self._corrupted = True
        self._update(data)
        return written

    def _update(self, data: bytes) -> None:
        self._file.write(data)
        self._md5.update(data)
        self._sha256.update(data)
        self._sha3.update(data)
        self.size += len(data)

    def finish(self) -> None:
        """End of the part: apply a corruption still due, then rewind for reading."""
        if self._corrupt_at is not None and not self._corrupted:
            self._file.seek(0, 2)
            self._update(b"\xff")
            self._corrupted = True
        self._file.flush()
        self._file.seek(0)

    def digests(self) -> tuple[str, str, str]:
        """MD5, SHA-256 and SHA3-512 (hex) of the bytes stored."""
        return self._md5.hexdigest(), self._sha256.hexdigest(), self._sha3.hexdigest()

    # What werkzeug and boto3 need of a file object.

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()


class _Discard:
    """Where a part goes that will not be kept (a file name that does not fit)."""

    def write(self, data: bytes) -> int:
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        del offset, whence
        return 0

    def close(self) -> None:
        pass


class _PackageLocks:
    """One lock per package id, so that uploads to one package take turns to store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[int, tuple[threading.Lock, int]] = {}

    @contextmanager
    def holding(self, package_id: int) -> Iterator[None]:
        with self._lock:
            lock, users = self._locks.get(package_id, (threading.Lock(), 0))
            self._locks[package_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._lock:
                lock, users = self._locks[package_id]
                if users == 1:
                    del self._locks[package_id]
                else:
                    self._locks[package_id] = (lock, users - 1)


def _drain(request: Request) -> None:
    """Read the rest of the body, so the client sees the answer, not a broken pipe."""
    while request.stream.read(_CHUNK):
        pass


@attrs.frozen
class PackageUploadRoutes:
    """Upload a package's file (multipart field ``file``, named as the package's file)."""

    store: PackageStore
    bucket: S3Bucket
    history: PackageHistory
    direct_upload_capable: bool = True
    point: DistributionPoint = attrs.Factory(DistributionPoint)
    _locks: _PackageLocks = attrs.field(factory=_PackageLocks, init=False)

    def routes(self) -> list[Route]:
        return [Route("/api/v1/packages/<package_id>/upload", ("POST",), self.upload)]

    def upload(self, call: Call) -> Response:
        raw_id = call.args["package_id"]
        package = self.store.get(int(raw_id)) if raw_id.isdigit() else None
        if package is None:
            _drain(call.request)
            return no_such_package(raw_id)
        try:
            check_file_type(package.file_name)
        except BodyError as error:
            # A package whose file name Jamf does not take (made through the Classic API).
            _drain(call.request)
            return body_error(error)
        if not self.point.configured:
            # Uploads go to the principal cloud distribution point; there is none.
            _drain(call.request)
            return missing()
        if not self.direct_upload_capable:
            _drain(call.request)
            return api_error(
                400,
                "DIRECT_UPLOAD_NOT_AVAILABLE",
                "Direct upload is not available for the cloud distribution point "
                "(see /api/v1/cloud-distribution-point/upload-capability)",
            )
        fault: PackageUploadFault | None = call.request.environ.get(UPLOAD_FAULT_KEY)
        corrupt_at = fault.after_bytes if isinstance(fault, CorruptUploadFault) else None
        opened: list[HashingSpool] = []

        def stream_factory(
            total_content_length: int | None,
            content_type: str | None,
            filename: str | None,
            content_length: int | None = None,
        ) -> IO[bytes]:
            del total_content_length, content_type, content_length
            if filename != package.file_name:
                return cast(IO[bytes], _Discard())
            spool = HashingSpool(corrupt_at)
            opened.append(spool)
            return cast(IO[bytes], spool)

        try:
            return self._receive(call, package.id, package.file_name, stream_factory, fault)
        finally:
            for spool in opened:
                spool.close()

    def _receive(
        self,
        call: Call,
        package_id: int,
        file_name: str,
        stream_factory: Any,
        fault: PackageUploadFault | None,
    ) -> Response:
        request = call.request
        parser = FormDataParser(
            stream_factory,
            max_form_memory_size=_MAX_FIELD_BYTES,
            max_form_parts=_MAX_PARTS,
        )
        try:
            _stream, _form, files = parser.parse(
                request.stream, request.mimetype, request.content_length, request.mimetype_params
            )
        except RequestEntityTooLarge:
            _drain(request)
            return api_error(413, "PAYLOAD_TOO_LARGE", "Too many or too large form fields")
        # Whatever the parser left (an epilogue, or the rest of a malformed body).
        _drain(request)
        part = files.get(FILE_FIELD)
        if part is None:
            return api_error(
                400,
                "INVALID_FIELD",
                f"A multipart/form-data part named '{FILE_FIELD}' with a file is required",
                field=FILE_FIELD,
            )
        if part.filename != file_name or not isinstance(part.stream, HashingSpool):
            return api_error(
                400,
                "INVALID_FILE_NAME",
                f"File name {part.filename!r} does not match the package's fileName {file_name!r}",
                field="fileName",
            )
        spool = part.stream
        spool.finish()
        md5, sha256, sha3 = spool.digests()
        zero = isinstance(fault, ZeroSizeUploadFault)
        late = fault.reads if isinstance(fault, LateSizeFault) else 0
        size = "0" if zero else str(spool.size)
        fails = isinstance(fault, TransferErrorFault)
        uploaded = UploadedFile(
            file_name, md5, sha256, sha3, size, size_lag_reads=late, transfer_fails=fails
        )
        # One upload to a package at a time from here: the last to store is the one pending.
        with self._locks.holding(package_id):
            if not self._store(package_id, spool, uploaded):
                return api_error(404, "INVALID_ID", f"Package with id {package_id} does not exist")
        self.history.add(package_id, call, "Package file uploaded", file_name)
        href = f"{request.host_url.rstrip('/')}/api/v1/packages/{package_id}"
        return json_response({"id": str(package_id), "href": href}, 201)

    def _store(self, package_id: int, spool: HashingSpool, uploaded: UploadedFile) -> bool:
        """Put the file in the bucket and make it the package's pending upload.

        False if the package was deleted meanwhile (the file is deleted again).
        """
        name = uploaded.file_name
        key = f"{KEY_PREFIX}{package_id}/{uuid.uuid4()}/{name}"
        md5, _sha256, sha3 = spool.digests()
        self.bucket.put_file(key, cast(IO[bytes], spool), spool.size, md5, sha3)
        try:
            self.store.begin_transfer(package_id, uploaded)
        except PackageNotFoundError:
            self.bucket.delete_keys([key])
            return False
        # The package's earlier files of this name are replaced by this one.
        earlier = self.bucket.objects(prefix=f"{KEY_PREFIX}{package_id}/")
        self.bucket.delete_keys(
            [obj.key for obj in earlier if obj.file_name == name and obj.key != key]
        )
        return True
