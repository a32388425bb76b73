"""Jamf's supported upload route: package objects and their files through ``/api/v1/packages``.

The route is package-first: a package object is created (``POST /api/v1/packages``), its
file is uploaded into it as ``multipart/form-data`` (``POST /api/v1/packages/{id}/upload``),
and an inventory refresh (``POST /api/v1/cloud-distribution-point/refresh-inventory``)
makes the server compute the file's hashes and report it ``READY``. The server manages
the package's hash fields itself on this route.

Everything goes through :class:`~jcds2.adapters.jamf_http.JamfHttpClient`, so the bearer
token is sent to the Jamf Pro server and nowhere else.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import attrs

from jcds2.adapters.bodies import SeekableFileBody
from jcds2.adapters.fields import field, read_bool, read_id, read_int, read_text
from jcds2.adapters.http_session import RETRY_STATUSES, BoundedResponse
from jcds2.adapters.jamf_http import JamfHttpClient, error_detail
from jcds2.adapters.pro_models import find_package, package_from_pro, unexpected_answer
from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.application.ports import FileStore, ProgressCallback
from jcds2.application.retry import Retrying
from jcds2.domain.errors import (
    ConfigurationError,
    JamfApiError,
    PackageNameTakenError,
    ServerUnreachableError,
    TlsVerificationError,
    UploadError,
)
from jcds2.domain.models import (
    HashType,
    LocalFile,
    Package,
    PackageSpec,
    RemoteFile,
    StoredFileState,
    UploadCapability,
    UploadTarget,
    expect_target,
)
from jcds2.domain.transfer import TransferConfig

__all__ = [
    "PackageFormUploader",
    "PackageUploadTarget",
    "PackagesApiFileStore",
    "ProApiPackageRepository",
    "ProApiServerInfo",
    "UploadCapability",
    "multipart_preamble",
]

log = logging.getLogger("jcds2.pro_packages")

NO_CATEGORY = "-1"
_CATEGORY_ID = re.compile(r"-1|\d+")

# The fields of a Package that jcds2 sends back in a PUT, by their JSON type in Jamf's
# schema (components.schemas.Package): the declared ones that are not read-only and not
# computed by the server (id, indexed, size, cloudTransferStatus, md5, sha256, sha3512).
# Anything else a server reports (a field of a newer version, say) is not sent back.
_PACKAGE_BOOLEANS = (
    "fillUserTemplate",
    "fillExistingUsers",
    "swu",
    "rebootRequired",
    "selfHealNotify",
    "osInstall",
    "suppressUpdates",
    "ignoreConflicts",
    "suppressFromDock",
    "suppressEula",
    "suppressRegistration",
)
_PACKAGE_NULLABLE_TEXTS = (
    "info",
    "notes",
    "osRequirements",
    "selfHealingAction",
    "serialNumber",
    "parentPackageId",
    "basePath",
    "installLanguage",
    "hashType",
    "hashValue",
    "osInstallerVersion",
    "manifest",
    "manifestFileName",
    "format",
)


def _error_codes(response: BoundedResponse) -> list[tuple[str, str]]:
    """``(code, field)`` of every error in a Pro API error answer."""
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    return [
        (str(item.get("code") or ""), str(item.get("field") or ""))
        for item in errors
        if isinstance(item, dict)
    ]


def _read_package(http: JamfHttpClient, package_id: int, operation: str) -> dict[str, Any] | None:
    """The raw Pro API Package with ``package_id``, or ``None`` if there is none."""
    response = http.request(
        "GET", f"/api/v1/packages/{package_id}", operation=operation, allow=[404]
    )
    if response.status_code == 404:
        return None
    body = http.json(response, operation)
    if not isinstance(body, dict):
        raise unexpected_answer(operation, "not a package")
    return body


def _package(item: Any, operation: str) -> Package:
    return package_from_pro(item, endpoint="GET /api/v1/packages/{id}", operation=operation)


# --- package objects ----------------------------------------------------------------------


class ProApiPackageRepository:
    """Package objects as a :class:`~jcds2.application.ports.PackageRepository`, through
    the Pro API's ``/api/v1/packages``.

    Lookups use the RSQL filter (one request per page of matches, whatever the number of
    packages) and keep only exact matches, since RSQL treats ``*`` as a wildcard.

    The Pro API files a package under a category *id*, while jcds2 is given a category
    *name*: :meth:`create` takes a ``spec.category`` that is an id (``"5"``, or ``"-1"``
    for none) and refuses any other value with ``ConfigurationError`` rather than guess,
    because the published API has no category lookup by name that jcds2 may rely on.
    """

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProApiPackageRepository({self._http.server.base_url!r})"

    def find_by_file_name(self, file_name: str) -> Package | None:
        return self._find("fileName", file_name, f"looking for a package that uses {file_name!r}")

    def find_by_name(self, name: str) -> Package | None:
        return self._find("packageName", name, f"looking for a package named {name!r}")

    def get(self, package_id: int) -> Package | None:
        operation = f"reading package {package_id}"
        item = _read_package(self._http, package_id, operation)
        return None if item is None else _package(item, operation)

    def create(self, spec: PackageSpec) -> Package:
        """Create a package with every field the Pro API requires.

        ``hashType``/``hashValue`` are sent only when ``spec`` carries a hash (a caller
        that uploaded the file first); on the packages route the spec has none, and the
        server records the uploaded file's hashes itself.
        """
        operation = f"creating package {spec.name!r} for {spec.file_name!r}"
        body: dict[str, Any] = {
            "packageName": spec.name,
            "fileName": spec.file_name,
            "categoryId": _category_id(spec.category),
            "info": spec.info,
            "notes": spec.notes,
            "priority": int(spec.priority),
            "fillUserTemplate": False,
            "rebootRequired": False,
            "osInstall": False,
            "suppressUpdates": False,
            "suppressFromDock": False,
            "suppressEula": False,
            "suppressRegistration": False,
        }
        if spec.hash_type is not None and spec.hash_value:
            body["hashType"] = spec.hash_type.value
            body["hashValue"] = spec.hash_value
        response = self._http.request(
            "POST", "/api/v1/packages", operation=operation, json=body, allow=[400, 409]
        )
        if response.status_code in (400, 409):
            self._refused(response, spec, operation)
        answer = self._http.json(response, operation)
        package_id = field(
            answer, "id", read_id, endpoint="POST /api/v1/packages", operation=operation
        )
        return Package(
            id=package_id,
            name=spec.name,
            file_name=spec.file_name,
            hash_type=body.get("hashType"),
            hash_value=body.get("hashValue"),
        )

    def record_hash(self, package_id: int, hash_type: HashType, hash_value: str) -> None:
        """Read the package and PUT it back whole with the new hash.

        For file-first stores, whose package records the hash of a file uploaded apart
        from it. The packages route never needs it (the server hashes the uploads it
        receives), and should not: a metadata PUT makes the server report the file's
        ``size`` blank until its next inventory refresh.
        """
        operation = f"recording the new hash of package {package_id}"
        item = _read_package(self._http, package_id, operation)
        if item is None:
            raise JamfApiError(
                f"{operation}: package {package_id} no longer exists (HTTP 404)",
                status=404,
                operation=operation,
            )
        record = _writable_record(item, operation)
        record["hashType"] = hash_type.value
        record["hashValue"] = hash_value
        self._http.request(
            "PUT", f"/api/v1/packages/{package_id}", operation=operation, json=record
        )

    def delete(self, package_id: int) -> None:
        self._http.request(
            "DELETE",
            f"/api/v1/packages/{package_id}",
            operation=f"deleting package {package_id}",
            allow=[404],
        )

    def _find(self, field: str, value: str, operation: str) -> Package | None:
        return find_package(self._http, field, value, operation)

    @staticmethod
    def _refused(response: BoundedResponse, spec: PackageSpec, operation: str) -> None:
        status = response.status_code
        detail = error_detail(response)
        codes = _error_codes(response)
        duplicate = status == 409 or any(
            code == "DUPLICATE_FIELD" and field in ("packageName", "") for code, field in codes
        )
        if duplicate:
            raise PackageNameTakenError(
                f"{operation}: a package named {spec.name!r} already exists "
                f"(HTTP {status}: {detail}). Choose another package name.",
                status=status,
                operation=operation,
            )
        raise JamfApiError(
            f"{operation}: Jamf Pro refused the package (HTTP {status}: {detail})",
            status=status,
            operation=operation,
        )


def _writable_record(item: dict[str, Any], operation: str) -> dict[str, Any]:
    """The fields of a Package read from the server that a PUT may send back, each with
    the JSON type Jamf's schema declares (a server may report ``priority`` as ``"10"``
    or an id as a number; the PUT sends ``10`` and ``"3"``)."""
    endpoint = "GET /api/v1/packages/{id}"

    def read(name: str, reader: Any) -> Any:
        return field(item, name, reader, endpoint=endpoint, operation=operation)

    record: dict[str, Any] = {
        "packageName": read("packageName", read_text),
        "fileName": read("fileName", read_text),
        "categoryId": read("categoryId", _id_text),
        "priority": read("priority", read_int),
    }
    for name in _PACKAGE_BOOLEANS:
        if item.get(name) is not None:
            record[name] = read(name, read_bool)
    for name in _PACKAGE_NULLABLE_TEXTS:
        if name in item:
            record[name] = read(name, _nullable_text)
    return record


def _id_text(value: Any) -> str:
    """An id as the schema's string: ``"3"`` from ``3`` or ``"3"``; ``"-1"`` for none."""
    return str(read_int(value))


def _nullable_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError("not a text")


def _category_id(category: str | None) -> str:
    if category is None or not category.strip():
        return NO_CATEGORY
    if _CATEGORY_ID.fullmatch(category.strip()):
        return category.strip()
    raise ConfigurationError(
        f"category {category!r} is not a category id: Jamf's packages route files a package "
        "under a category's numeric id (see Settings > Categories in Jamf Pro, the number "
        "in the category's URL). Pass that id, or no category."
    )


# --- the file store -----------------------------------------------------------------------


@attrs.frozen
class PackageUploadTarget(UploadTarget):
    """Upload ``file_name`` into the existing package ``package_id`` (Jamf's packages route)."""

    package_id: int


class PackagesApiFileStore:
    """The JCDS seen through Jamf's packages route, as a
    :class:`~jcds2.application.ports.FileStore`.

    A file is uploaded into an existing package (the ``PackageFirst`` order), and the
    package reports the file's size, hashes and transfer status. Downloading, listing
    and deleting bare files have no route here other than the JCDS files API, so they
    are delegated to ``files`` (a :class:`~jcds2.adapters.pro_api.JcdsApiFileStore`).
    """

    def __init__(self, http: JamfHttpClient, files: FileStore) -> None:
        self._http = http
        self._files = files

    def __repr__(self) -> str:
        return f"PackagesApiFileStore({self._http.server.base_url!r})"

    def open_upload(self, file_name: str, package: Package | None = None) -> PackageUploadTarget:
        if package is None:
            raise ConfigurationError(
                f"uploading {file_name!r} through Jamf's packages route needs its package "
                "object first (this store uploads files into existing packages)"
            )
        if package.file_name != file_name:
            raise ConfigurationError(
                f"package {package.id} is for the file {package.file_name!r}, not "
                f"{file_name!r}; Jamf Pro only accepts an upload under the package's file name"
            )
        return PackageUploadTarget(file_name=file_name, package_id=package.id)

    def refresh(self, target: UploadTarget) -> None:
        """Ask Jamf Pro to take the file in (it then hashes it and reports it ``READY``)."""
        self._http.request(
            "POST",
            "/api/v1/cloud-distribution-point/refresh-inventory",
            operation=f"refreshing the distribution point's inventory for {target.file_name!r}",
            params={"file-name": target.file_name},
        )

    def describe(self, target: UploadTarget) -> StoredFileState | None:
        """What the target's package reports about its file (``None``: the package is gone
        or points at another file)."""
        package_id = expect_target(target, PackageUploadTarget, "Jamf's packages route").package_id
        operation = f"reading package {package_id} for {target.file_name!r}"
        item = _read_package(self._http, package_id, operation)
        if item is None:
            return None
        package = _package(item, operation)
        if package.file_name != target.file_name:
            return None
        sha3_512 = package.sha3_512
        if not sha3_512 and package.hash_type == HashType.SHA3_512.value:
            sha3_512 = package.hash_value
        return StoredFileState(
            size=package.size, sha3_512=sha3_512, md5=package.md5, status=package.status
        )

    def download_url(self, file_name: str) -> str:
        return self._files.download_url(file_name)

    def list_files(self) -> list[RemoteFile]:
        return self._files.list_files()

    def delete(self, file_name: str) -> None:
        self._files.delete(file_name)


# --- the upload ---------------------------------------------------------------------------


def _form_filename(file_name: str) -> str:
    """``file_name`` as the quoted-string of a ``filename="..."`` parameter.

    UTF-8 as is, ``"`` and ``\\`` backslash-escaped (RFC 9110's quoted-string, as curl
    sends it and Java servers unquote it), CR and LF percent-escaped as browsers do
    (validated JCDS names have neither). Nothing else is escaped: RFC 7578 (section 4.2)
    forbids ``filename*`` in form data, and Jamf Pro compares the part's file name with
    the package's, so a percent-escaped space or letter would not match.
    """
    escaped = file_name.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("\r", "%0D").replace("\n", "%0A")


def multipart_preamble(boundary: str, file_name: str) -> bytes:
    """The bytes before the file's: the boundary and the headers of the ``file`` part."""
    return (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{_form_filename(file_name)}"\r\n'
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
    ).encode()


class _FormBody(SeekableFileBody):
    """A ``multipart/form-data`` body with one file part, streamed from disk.

    Seekable, so that whoever sends it again (urllib3's retry, the client's new token,
    the uploader's next attempt) can rewind it; only ``len(preamble + epilogue)`` bytes
    are ever held. Reports file bytes to ``progress`` once each, however often the body
    is sent, and counts how often sending it started (``sends``).
    """

    def __init__(
        self,
        path: Path,
        size: int,
        file_name: str,
        progress: ProgressCallback | None,
        cancel: CancelToken,
    ) -> None:
        boundary = f"jcds2-{secrets.token_hex(16)}"
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self._preamble = multipart_preamble(boundary, file_name)
        self._epilogue = f"\r\n--{boundary}--\r\n".encode()
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise UploadError(f"cannot read {path}: {exc.strerror or exc}") from exc
        super().__init__(fd, len(self._preamble) + size + len(self._epilogue))
        self._path = path
        self._size = size
        self._progress = progress
        self._cancel = cancel
        self._reported = 0
        self.sends = 0

    def _check(self) -> None:
        self._cancel.check()

    def _read_at(self, position: int, count: int) -> bytes:
        if position == 0:
            self.sends += 1
        pieces = list(self._pieces(position, count))
        return b"".join(pieces) if len(pieces) != 1 else pieces[0]

    def _pieces(self, start: int, count: int) -> Iterator[bytes]:
        end = start + count
        head, tail = len(self._preamble), len(self._preamble) + self._size
        if start < head:
            yield self._preamble[start : min(end, head)]
        if end > head and start < tail:
            first, last = max(start, head) - head, min(end, tail) - head
            yield self._file_bytes(first, last - first)
        if end > tail:
            yield self._epilogue[max(start, tail) - tail : end - tail]

    def _file_bytes(self, offset: int, count: int) -> bytes:
        # A failed read must not look like a network failure to urllib3 (which would
        # retry it as one): it is raised as an UploadError, which nothing below catches.
        try:
            data = os.pread(self._fd, count, offset)
        except OSError as exc:
            raise UploadError(f"reading {self._path} failed: {exc.strerror or exc}") from exc
        if len(data) != count:
            raise UploadError(
                f"{self._path} shrank while it was being uploaded (it was {self._size} bytes)"
            )
        sent = offset + count
        if self._progress is not None and sent > self._reported:
            self._progress(sent - self._reported)
            self._reported = sent
        return data


class PackageFormUploader:
    """Uploads a file into its package with ``POST /api/v1/packages/{id}/upload``.

    The request is ``multipart/form-data`` with one part (field ``file``, the package's
    file name, ``application/octet-stream``), streamed from disk with an exact
    ``Content-Length``: memory use does not grow with the file.

    Retries: a lost connection (reset, timeout) and HTTP 429, 500, 502, 503 and 504 are
    retried with ``config.backoff`` (cut short by ``cancel``), sending the file again from
    its start: uploading the same file into the same package again is harmless. The Jamf
    session's own policy (:func:`~jcds2.adapters.http_session.build_retry`) already
    repeats a 429 or 503 inside one call, rewinding the body; every time the body starts
    over counts as an attempt, so the file is sent at most ``config.max_attempts`` times
    when answers alone fail, and never more than twice that.
    """

    def __init__(self, http: JamfHttpClient, config: TransferConfig) -> None:
        self._http = http
        self._config = config

    def __repr__(self) -> str:
        return f"PackageFormUploader({self._http.server.base_url!r})"

    def upload(
        self,
        target: UploadTarget,
        source: LocalFile,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> bool:
        package = expect_target(target, PackageUploadTarget, "Jamf's packages route")
        cancel = cancel or CancelToken()
        path = f"/api/v1/packages/{package.package_id}/upload"
        operation = f"uploading {source.name!r} into package {package.package_id}"
        with _FormBody(source.path, source.size, package.file_name, progress, cancel) as body:

            def send() -> BoundedResponse:
                body.seek(0)
                return self._http.request(
                    "POST",
                    path,
                    operation=operation,
                    headers={"Content-Type": body.content_type},
                    data=cast("IO[bytes]", body),
                    allow=[400, 404],
                )

            def transient(exc: BaseException) -> bool:
                # Every time the body starts over counts, urllib3's own resends included.
                return (
                    isinstance(exc, JamfApiError)
                    and _transient(exc)
                    and body.sends < self._config.max_attempts
                )

            retrying = Retrying(
                self._config.max_attempts, lambda _: self._config.backoff(body.sends), cancel
            )
            try:
                response = retrying.call(send, operation, transient)
            except JamfApiError as exc:
                if cancel.cancelled:
                    raise TransferCancelledError("the upload was cancelled") from None
                attempts = f" after {body.sends} attempts" if body.sends > 1 else ""
                raise UploadError(f"{exc}{attempts}") from exc
        self._check(response, package, operation)
        log.debug("%s: %d bytes sent %d time(s)", operation, source.size, body.sends)
        return False

    @staticmethod
    def _check(response: BoundedResponse, target: PackageUploadTarget, operation: str) -> None:
        status = response.status_code
        if status == 404:
            raise UploadError(
                f"{operation}: package {target.package_id} is gone (HTTP 404); it was deleted "
                "before its file arrived. Create the package again and upload once more."
            )
        if status == 400:
            detail = error_detail(response)
            if any(code == "INVALID_FILE_NAME" for code, _ in _error_codes(response)):
                raise UploadError(
                    f"{operation}: Jamf Pro refused the file name {target.file_name!r} "
                    f"(HTTP 400: {detail}). The uploaded file must have exactly the file "
                    f"name package {target.package_id} records."
                )
            raise UploadError(f"{operation}: Jamf Pro refused the upload (HTTP 400: {detail})")


def _transient(exc: JamfApiError) -> bool:
    if isinstance(exc, ServerUnreachableError):
        return not isinstance(exc, TlsVerificationError)
    return type(exc) is JamfApiError and exc.status in RETRY_STATUSES | {500}


# --- what the server is -------------------------------------------------------------------


class ProApiServerInfo:
    """Facts about the Jamf Pro server, as a :class:`~jcds2.application.ports.ServerInfo`:
    its version and its distribution point's uploads."""

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProApiServerInfo({self._http.server.base_url!r})"

    def upload_capability(self) -> UploadCapability:
        operation = "asking the cloud distribution point's upload capability"
        response = self._http.request(
            "GET", "/api/v1/cloud-distribution-point/upload-capability", operation=operation
        )
        body = self._http.json(response, operation)
        endpoint = "GET /api/v1/cloud-distribution-point/upload-capability"
        principal = field(
            body,
            "principalDistributionTechnology",
            read_bool,
            endpoint=endpoint,
            operation=operation,
        )
        direct = field(
            body, "directUploadCapable", read_bool, endpoint=endpoint, operation=operation
        )
        return UploadCapability(principal, direct)

    def server_version(self) -> str:
        operation = "asking the Jamf Pro version"
        response = self._http.request("GET", "/api/v1/jamf-pro-version", operation=operation)
        body = self._http.json(response, operation)
        version = field(
            body, "version", read_text, endpoint="GET /api/v1/jamf-pro-version", operation=operation
        )
        return version.strip()
