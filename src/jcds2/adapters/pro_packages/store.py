"""The JCDS seen through Jamf's packages route: a ``FileStore`` whose files go into packages."""

from __future__ import annotations

import attrs

from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_packages.common import _package, _read_package
from jcds2.application.ports import FileStore
from jcds2.domain.errors import (
    ConfigurationError,
)
from jcds2.domain.models import (
    HashType,
    Package,
    RemoteFile,
    StoredFileState,
    UploadTarget,
    expect_target,
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
