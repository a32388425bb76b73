"""Use-case: upload a local file to the distribution point and register it as a package."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

import attrs

from jcds2.application.local_files import hash_file, inspect_upload_source
from jcds2.application.ports import FileStore, ObjectUploader, PackageRepository, ProgressCallback
from jcds2.domain.errors import Jcds2Error, PackageCreationError, PackageExistsError
from jcds2.domain.models import HashType, Package, PackageSpec, UploadResult
from jcds2.domain.names import validate_file_name
from jcds2.domain.transfer import TransferConfig

log = logging.getLogger("jcds2.upload")


@attrs.define
class UploadPackageFile:
    """Upload a file and create the package object that makes it usable in policies.

    The steps are the seed's: refuse a file name a package already uses; open an upload
    (temporary S3 credentials); upload in one request below
    ``config.multipart_threshold`` and in parts at or above it; create the package with
    the file's SHA-512 so Jamf can verify installs. If the package cannot be created,
    the uploaded file is deleted again: no file is left without a package.
    """

    packages: PackageRepository
    files: FileStore
    uploader: ObjectUploader
    config: TransferConfig = attrs.field(factory=TransferConfig)
    clock: Callable[[], float] = time.monotonic

    def __call__(
        self,
        file_path: str | os.PathLike[str],
        *,
        package_name: str | None = None,
        category: str | None = None,
        info: str | None = None,
        notes: str | None = None,
        priority: int = 10,
        progress: ProgressCallback | None = None,
    ) -> UploadResult:
        started = self.clock()
        source = inspect_upload_source(file_path)
        file_name = validate_file_name(source.name)
        spec = PackageSpec(
            name=package_name or file_name,
            file_name=file_name,
            category=category,
            info=info,
            notes=notes,
            priority=priority,
        )

        existing = self.packages.find_by_file_name(file_name)
        if existing is not None:
            raise PackageExistsError(file_name, existing.id, existing.name)

        sha512 = hash_file(source.path, "sha512")
        spec = attrs.evolve(spec, hash_type=HashType.SHA_512, hash_value=sha512)

        ticket = self.files.open_upload(file_name)
        log.info("uploading %s (%d bytes) to %s", file_name, source.size, ticket.bucket)
        multipart = self.uploader.upload(
            ticket, source, renew=self.files.renew_credentials, progress=progress
        )
        package = self._create_package(spec)
        log.info("created package %d (%s) for %s", package.id, package.name, file_name)
        return UploadResult(
            package_id=package.id,
            package_name=package.name,
            file_name=file_name,
            size=source.size,
            hash_type=HashType.SHA_512,
            hash_value=sha512,
            elapsed_seconds=self.clock() - started,
            multipart=multipart,
        )

    def _create_package(self, spec: PackageSpec) -> Package:
        try:
            return self.packages.create(spec)
        except BaseException as exc:
            # A timeout can hide a package the server did create: look before deleting the
            # file, or a package would be left pointing at nothing.
            created = self._created_despite(exc, spec.file_name)
            if created is not None:
                return created
            removed = self._remove_orphan(spec.file_name)
            if not isinstance(exc, Exception):
                raise
            what = (
                "the uploaded file was deleted again"
                if removed
                else f"the uploaded file could not be deleted; delete JCDS file "
                f"{spec.file_name!r} by hand"
            )
            raise PackageCreationError(
                f"uploaded {spec.file_name!r} but could not create its package: {exc}; {what}.",
                file_name=spec.file_name,
                file_removed=removed,
            ) from exc

    def _created_despite(self, exc: BaseException, file_name: str) -> Package | None:
        if not isinstance(exc, Jcds2Error):
            return None
        try:
            return self.packages.find_by_file_name(file_name)
        except Jcds2Error:
            return None

    def _remove_orphan(self, file_name: str) -> bool:
        try:
            self.files.delete(file_name)
        except Exception:
            log.exception("could not delete the orphaned JCDS file %s", file_name)
            return False
        log.info("deleted %s again: its package could not be created", file_name)
        return True
