"""Use-case: upload a local file to the distribution point and register it as a package."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import attrs

from jcds2.application.local_files import hash_file, inspect_upload_source
from jcds2.application.ports import FileStore, ObjectUploader, PackageRepository, ProgressCallback
from jcds2.domain.errors import (
    Jcds2Error,
    PackageCreationError,
    PackageExistsError,
    RemoteFileNotFoundError,
)
from jcds2.domain.models import HashType, LocalFile, Package, PackageSpec, UploadResult
from jcds2.domain.names import validate_file_name
from jcds2.domain.transfer import TransferConfig

log = logging.getLogger("jcds2.upload")

_T = TypeVar("_T")


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

        ticket = self.files.open_upload(file_name)
        log.info("uploading %s (%d bytes) to %s", file_name, source.size, ticket.bucket)
        # The package needs the SHA-512 only after the upload: hash while the bytes travel.
        stop_hashing = threading.Event()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jcds2-hash") as hasher:
            hashing = hasher.submit(hash_file, source.path, "sha512", stop_hashing)
            try:
                multipart = self.uploader.upload(
                    ticket, source, renew=self.files.renew_credentials, progress=progress
                )
                sha512 = hashing.result()
            except BaseException:
                stop_hashing.set()
                # S3 may have stored the object although its answer was lost: leave no file.
                self._discard_upload(source)
                raise
        spec = attrs.evolve(spec, hash_type=HashType.SHA_512, hash_value=sha512)
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
            # A lost answer (or an interrupt) can hide a package the server did create:
            # look before deleting the file, or a package would be left pointing at nothing.
            try:
                created = self._persist(
                    lambda: self.packages.find_by_file_name(spec.file_name),
                    f"looking for a package using {spec.file_name}",
                )
            except Jcds2Error:
                created, known = None, False
            else:
                known = True
            interrupted = not isinstance(exc, Exception)
            if created is not None:
                if interrupted:
                    raise  # the package and its file are both there: nothing to undo
                log.warning("package creation reported %r, but the package exists", exc)
                return created
            removed = known and self._remove_orphan(spec.file_name)
            if removed:
                what = "the uploaded file was deleted again"
            elif known:
                what = f"the file could not be deleted; delete JCDS file {spec.file_name!r} by hand"
            else:
                what = (
                    "it is unknown whether the package was made, so the file was kept; check "
                    f"Jamf Pro for a package using {spec.file_name!r} and delete the file if none"
                )
            if interrupted:
                log.warning(
                    "interrupted while creating the package for %s; %s", spec.file_name, what
                )
                raise
            raise PackageCreationError(
                f"uploaded {spec.file_name!r} but could not create its package: {exc}; {what}.",
                file_name=spec.file_name,
                file_removed=removed,
            ) from exc

    def _persist(self, call: Callable[[], _T], what: str) -> _T:
        """``call()``, tried up to ``config.max_attempts`` times: cleanup must not give up
        on a server's passing trouble, or a file would be left without its package."""
        attempt = 1
        while True:
            try:
                return call()
            except Jcds2Error as exc:
                if attempt >= self.config.max_attempts or isinstance(exc, RemoteFileNotFoundError):
                    raise
                delay = self.config.backoff(attempt)
                log.info("%s failed (%s); trying again in %.2f s", what, exc, delay)
                time.sleep(delay)
                attempt += 1

    def _discard_upload(self, source: LocalFile) -> None:
        """Delete the JCDS file of ``source``'s name only if it is provably this upload.

        An older file of the same name (one no package uses) is left alone: it is this
        upload only when its size and MD5 equal the local file's.
        """
        try:
            listing = self._persist(self.files.list_files, "listing the JCDS files")
            remote = next((f for f in listing if f.file_name == source.name), None)
            if remote is None or remote.size != source.size or not remote.md5:
                return
            if remote.md5.lower() != hash_file(source.path, "md5"):
                return
            with contextlib.suppress(RemoteFileNotFoundError):  # gone: a lost answer's work
                self._persist(lambda: self.files.delete(source.name), f"deleting {source.name}")
        except Exception:
            log.warning("could not check for a partial upload of %s", source.name, exc_info=True)
            return
        log.info("deleted %s: the upload failed after S3 had stored it", source.name)

    def _remove_orphan(self, file_name: str) -> bool:
        try:
            self._persist(lambda: self.files.delete(file_name), f"deleting {file_name}")
        except RemoteFileNotFoundError:
            pass  # an earlier attempt deleted it, but its answer was lost
        except Exception:
            log.exception("could not delete the orphaned JCDS file %s", file_name)
            return False
        log.info("deleted %s again: its package could not be created", file_name)
        return True
