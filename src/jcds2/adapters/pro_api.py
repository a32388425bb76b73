"""Jamf Pro API adapters: JCDS files (``/api/v1/jcds``) and package lookup by file name."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import attrs

from jcds2.adapters.fields import (
    field,
    read_int,
    read_moment,
    read_optional_text,
    read_text,
    unexpected_field,
)
from jcds2.adapters.http_session import BoundedResponse
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_models import find_package, unexpected_answer
from jcds2.domain.errors import RemoteFileNotFoundError
from jcds2.domain.models import (
    Package,
    RemoteFile,
    S3Credentials,
    StoredFileState,
    UploadTarget,
    UploadTicket,
)

log = logging.getLogger("jcds2.pro_api")


class JcdsApiFileStore:
    """The JCDS as a :class:`~jcds2.application.ports.FileStore`, through ``/api/v1/jcds``.

    Jamf deprecated these endpoints on 2025-08-28; they are still served, and are the
    JCDS files route: files are uploaded first, their package is created after.
    """

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"JcdsApiFileStore({self._http.server.base_url!r})"

    def open_upload(self, file_name: str, package: Package | None = None) -> UploadTicket:
        del package  # the package is created after the upload on this route
        operation = f"starting the JCDS upload of {file_name!r}"
        response = self._http.request("POST", "/api/v1/jcds/files", operation=operation)
        body = self._http.json(response, operation)
        return self._ticket(body, file_name, operation, "POST /api/v1/jcds/files")

    def renew_credentials(self, ticket: UploadTicket) -> UploadTicket:
        """Fresh S3 credentials for the same upload (wired into the S3 uploader)."""
        operation = f"renewing the upload credentials for {ticket.file_name!r}"
        response = self._http.request("POST", "/api/v1/jcds/renew-credentials", operation=operation)
        body = self._http.json(response, operation)
        renewed = self._ticket(
            body, ticket.file_name, operation, "POST /api/v1/jcds/renew-credentials"
        )
        if (renewed.bucket, renewed.key) != (ticket.bucket, ticket.key):
            log.warning("renewed credentials point at a different location; keeping the original")
        return attrs.evolve(ticket, credentials=renewed.credentials)

    def refresh(self, target: UploadTarget) -> None:
        """Ask Jamf Pro to take the new file into its inventory (it checks the JCDS for it)."""
        operation = f"refreshing the JCDS inventory for {target.file_name!r}"
        self._http.request(
            "POST",
            "/api/v1/jcds/refresh-inventory",
            operation=operation,
            params={"file-name": target.file_name},
        )

    def describe(self, target: UploadTarget) -> StoredFileState | None:
        """The file's length and hashes as the JCDS listing reports them."""
        listed = next((f for f in self.list_files() if f.file_name == target.file_name), None)
        if listed is None:
            return None
        return StoredFileState(size=listed.size, sha3_512=listed.sha3_512, md5=listed.md5)

    def _file(self, method: str, file_name: str, operation: str) -> BoundedResponse:
        """``method`` on ``/api/v1/jcds/files/{file_name}``; ``RemoteFileNotFoundError``
        for a 404."""
        response = self._http.request(
            method,
            f"/api/v1/jcds/files/{quote(file_name, safe='')}",
            operation=operation,
            allow=[404],
        )
        if response.status_code == 404:
            raise RemoteFileNotFoundError(file_name)
        return response

    def download_url(self, file_name: str) -> str:
        operation = f"getting the download URL of {file_name!r}"
        body = self._http.json(self._file("GET", file_name, operation), operation)
        endpoint = "GET /api/v1/jcds/files/{fileName}"
        uri = field(body, "uri", read_text, endpoint=endpoint, operation=operation)
        if not uri.startswith(("https://", "http://")):
            raise unexpected_field(operation, endpoint, "uri", "not an http(s) URL")
        return uri

    def list_files(self) -> list[RemoteFile]:
        operation = "listing the JCDS files"
        response = self._http.request("GET", "/api/v1/jcds/files", operation=operation)
        body = self._http.json(response, operation)
        if not isinstance(body, list):
            raise unexpected_answer(operation, "not a list")
        return [_remote_file(item, operation) for item in body]

    def delete(self, file_name: str) -> None:
        self._file("DELETE", file_name, f"deleting JCDS file {file_name!r}")

    @staticmethod
    def _ticket(body: Any, file_name: str, operation: str, endpoint: str) -> UploadTicket:
        """An upload ticket from ``body``; ``expiration`` as epoch seconds (a number or a
        string of digits) or ISO-8601 text, as Jamf Pro versions send it."""

        def read(name: str, reader: Any, **default: Any) -> Any:
            return field(body, name, reader, endpoint=endpoint, operation=operation, **default)

        credentials = S3Credentials(
            access_key_id=read("accessKeyID", read_text),
            secret_access_key=read("secretAccessKey", read_text),
            session_token=read("sessionToken", read_text),
            expiration=read("expiration", read_moment),
        )
        path = read("path", _text_or_empty)
        return UploadTicket(
            file_name=file_name,
            bucket=read("bucketName", read_text),
            key=f"{path}{file_name}",
            region=read("region", read_optional_text, default=None) or "us-east-1",
            upload_id=read("uuid", _text_or_id, default=None) or path,
            credentials=credentials,
        )


def _remote_file(item: Any, operation: str) -> RemoteFile:
    """One entry of the JCDS file list (``length`` as a number or a string of digits)."""
    endpoint = "GET /api/v1/jcds/files"

    def read(name: str, reader: Any, **default: Any) -> Any:
        return field(item, name, reader, endpoint=endpoint, operation=operation, **default)

    return RemoteFile(
        file_name=read("fileName", read_text),
        size=read("length", _length),
        md5=read("md5", read_optional_text, default=None),
        sha3_512=read("sha3", read_optional_text, default=None),
    )


def _length(value: Any) -> int:
    length = read_int(value)
    if length < 0:
        raise ValueError("a negative length")
    return length


def _text_or_empty(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a text")
    return value


def _text_or_id(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return read_optional_text(value)


class ProApiPackageLookup:
    """Finds a package by file name with one filtered ``GET /api/v1/packages``.

    The Classic API lists packages without their file names, so finding one that way
    costs a request per package; the Pro API's RSQL filter answers in one.
    """

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProApiPackageLookup({self._http.server.base_url!r})"

    def find_by_file_name(self, file_name: str) -> Package | None:
        operation = f"looking for a package that uses {file_name!r}"
        return find_package(self._http, "fileName", file_name, operation)
