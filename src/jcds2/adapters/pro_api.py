"""Jamf Pro API adapters: JCDS files (``/api/v1/jcds``) and package lookup by file name."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import quote

import attrs

from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_models import find_package, unexpected_answer
from jcds2.domain.errors import ConfigurationError, RemoteFileNotFoundError
from jcds2.domain.models import (
    Package,
    RemoteFile,
    S3Credentials,
    StoredFileState,
    UploadTarget,
    UploadTicket,
)

log = logging.getLogger("jcds2.pro_api")


class ProApiFileStore:
    """The JCDS as a :class:`~jcds2.application.ports.FileStore`, through ``/api/v1/jcds``.

    Jamf deprecated these endpoints on 2025-08-28; they are still served, and are the
    route the seed describes: files are uploaded first, their package is created after.
    """

    upload_needs_package = False

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProApiFileStore({self._http.server.base_url!r})"

    def open_upload(self, file_name: str, package: Package | None = None) -> UploadTicket:
        del package  # the package is created after the upload on this route
        operation = f"starting the JCDS upload of {file_name!r}"
        response = self._http.request("POST", "/api/v1/jcds/files", operation=operation)
        body = self._http.json(response, operation)
        return self._ticket(body, file_name, operation)

    def renew_credentials(self, target: UploadTarget) -> UploadTicket:
        ticket = s3_ticket(target)
        operation = f"renewing the upload credentials for {ticket.file_name!r}"
        response = self._http.request("POST", "/api/v1/jcds/renew-credentials", operation=operation)
        body = self._http.json(response, operation)
        renewed = self._ticket(body, ticket.file_name, operation)
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

    def download_url(self, file_name: str) -> str:
        operation = f"getting the download URL of {file_name!r}"
        response = self._http.request(
            "GET",
            f"/api/v1/jcds/files/{quote(file_name, safe='')}",
            operation=operation,
            allow=[404],
        )
        if response.status_code == 404:
            raise RemoteFileNotFoundError(file_name)
        body = self._http.json(response, operation)
        uri = body.get("uri") if isinstance(body, dict) else None
        if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
            raise unexpected_answer(operation, "no download URI")
        return uri

    def list_files(self) -> list[RemoteFile]:
        operation = "listing the JCDS files"
        response = self._http.request("GET", "/api/v1/jcds/files", operation=operation)
        body = self._http.json(response, operation)
        if not isinstance(body, list):
            raise unexpected_answer(operation, "not a list")
        files = []
        for item in body:
            try:
                files.append(
                    RemoteFile(
                        file_name=str(item["fileName"]),
                        size=int(item["length"]),
                        md5=item.get("md5") or None,
                        sha3_512=item.get("sha3") or None,
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise unexpected_answer(operation, "a file without name or length") from exc
        return files

    def delete(self, file_name: str) -> None:
        operation = f"deleting JCDS file {file_name!r}"
        response = self._http.request(
            "DELETE",
            f"/api/v1/jcds/files/{quote(file_name, safe='')}",
            operation=operation,
            allow=[404],
        )
        if response.status_code == 404:
            raise RemoteFileNotFoundError(file_name)

    @staticmethod
    def _ticket(body: Any, file_name: str, operation: str) -> UploadTicket:
        try:
            credentials = S3Credentials(
                access_key_id=str(body["accessKeyID"]),
                secret_access_key=str(body["secretAccessKey"]),
                session_token=str(body["sessionToken"]),
                expiration=dt.datetime.fromtimestamp(int(body["expiration"]), dt.timezone.utc),
            )
            path = str(body["path"])
            return UploadTicket(
                file_name=file_name,
                bucket=str(body["bucketName"]),
                key=f"{path}{file_name}",
                region=str(body.get("region") or "us-east-1"),
                upload_id=str(body.get("uuid") or path),
                credentials=credentials,
            )
        except (KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
            raise unexpected_answer(operation, "incomplete upload credentials") from exc


def s3_ticket(target: UploadTarget) -> UploadTicket:
    """``target`` as an S3 upload ticket, or ``ConfigurationError`` if it is another kind."""
    if not isinstance(target, UploadTicket):
        raise ConfigurationError(
            f"the JCDS files route cannot use a {type(target).__name__}; "
            "the file store and the uploader are wired for different distribution points"
        )
    return target


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
