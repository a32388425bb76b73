"""The two orders in which a file and its package come into being.

:class:`FileFirst`: the file is sent and confirmed, then its package is made with the
file's SHA-512 (the JCDS files route, a file share). :class:`PackageFirst`: the package
is made, then the file is sent into it and the server records its hashes (Jamf's
packages route). The container picks one per route; ``UploadPackageFile`` runs it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

import attrs

from jcds2.application.local_files import hash_file
from jcds2.application.ports import FileStore, PackageRepository
from jcds2.application.retry import Retrying
from jcds2.application.upload_send import SendAndConfirm, Sent, explained
from jcds2.domain.errors import (
    Jcds2Error,
    PackageCreationError,
    PackageExistsError,
    PackageNameTakenError,
    RemoteFileNotFoundError,
    UploadError,
)
from jcds2.domain.models import HashType, Package, PackageSpec, RemoteFile, UploadTarget

log = logging.getLogger("jcds2.upload")


@attrs.frozen
class Job:
    """One upload as an order sees it: the package to make, the ports, the shared step."""

    spec: PackageSpec
    packages: PackageRepository
    files: FileStore
    send: SendAndConfirm
    #: For checks and clean-up, which must outlast a server's passing trouble (and a cancel).
    cleanup: Retrying

    @property
    def file_name(self) -> str:
        return self.spec.file_name

    def find_made(self) -> Package | None:
        """After a failed ``create``: the package the server made all the same (its answer
        was lost), or ``None``. Raises ``Jcds2Error`` when that cannot be told."""
        return self.cleanup.call(
            lambda: self.packages.find_by_file_name(self.file_name),
            f"looking for a package using {self.file_name}",
        )


@attrs.frozen
class Placed:
    """Where an upload ended: the package, the hash it is known by, what was sent."""

    package: Package
    hash_type: HashType
    hash_value: str
    sent: Sent


class UploadOrder(Protocol):
    """How a route brings a file and its package into being."""

    def new(self, job: Job) -> Placed:
        """Upload a file no package uses yet and make its package."""
        ...

    def replace(self, job: Job, existing: Package) -> Placed:
        """Upload a file in place of ``existing``'s file; the package is kept."""
        ...


def _replace(
    job: Job,
    existing: Package,
    open_target: Callable[[], UploadTarget],
    algorithms: tuple[str, ...],
) -> Sent:
    """Send and confirm a new file for ``existing``; on failure the package is kept."""
    first = open_target()
    # What the store reports before the upload: showing it again means "not yet".
    previous = job.send.describe(first) if job.send.verify else None
    try:
        return job.send(open_target, algorithms, first=first, previous=previous)
    except BaseException as exc:
        what = (
            f"package {existing.id} is kept; its file may still be the old one or "
            "already the new one: upload again with on_exists='replace'"
        )
        log.warning("replacing the file of %s failed (%s); %s", job.file_name, exc, what)
        if (error := explained(exc, what, job.file_name)) is not None:
            raise error from exc
        raise


class FileFirst:
    """The file first, then its package (the JCDS files route and a file share)."""

    def new(self, job: Job) -> Placed:
        try:
            sent = job.send(lambda: job.files.open_upload(job.file_name), _FILE_FIRST_DIGESTS)
        except BaseException as exc:
            # Stored, maybe (an answer lost, a send given up on), but not confirmed: no
            # package will use it. Only this upload's own file is deleted.
            removed = _remove_own_file(job)
            if not job.send.stored:
                raise
            what = (
                "the uploaded file was deleted again"
                if removed
                else (f"delete file {job.file_name!r} by hand if no package uses it")
            )
            if (error := explained(exc, what, job.file_name)) is not None:
                raise error from exc
            log.warning("%s: %s", job.file_name, what)
            raise
        sha512 = sent.digests["sha512"]
        spec = attrs.evolve(job.spec, hash_type=HashType.SHA_512, hash_value=sha512)
        package = self._create(job, spec)
        log.info("created package %d (%s) for %s", package.id, package.name, job.file_name)
        return Placed(package, HashType.SHA_512, sha512, sent)

    def replace(self, job: Job, existing: Package) -> Placed:
        sent = _replace(
            job, existing, lambda: job.files.open_upload(job.file_name), _FILE_FIRST_DIGESTS
        )
        sha512 = sent.digests["sha512"]
        job.cleanup.call(
            lambda: job.packages.record_hash(existing.id, HashType.SHA_512, sha512),
            f"recording the new hash of package {existing.id}",
        )
        return Placed(existing, HashType.SHA_512, sha512, sent)

    def _create(self, job: Job, spec: PackageSpec) -> Package:
        try:
            return job.packages.create(spec)
        except BaseException as exc:
            # A lost answer (or an interrupt) can hide a package the server did create:
            # look before deleting the file, or a package would be left pointing at nothing.
            try:
                created = job.find_made()
            except Jcds2Error:
                created, known = None, False
            else:
                known = True
            interrupted = not isinstance(exc, Exception)
            if created is not None and not _records(created, spec):
                # Another upload of this file name made its package meanwhile: this
                # upload lost the race, and only its own file is deleted.
                removed = _remove_own_file(job)
                if interrupted:
                    raise
                raise PackageExistsError(
                    spec.file_name,
                    created.id,
                    created.name,
                    detail=(
                        "Another upload of the same file name made it at the same moment; "
                        + (
                            "this upload's file was deleted again."
                            if removed
                            else "this upload's file could not be deleted: check the file."
                        )
                    ),
                ) from exc
            if created is not None:
                if interrupted:
                    raise  # the package and its file are both there: nothing to undo
                log.warning("package creation reported %r, but the package exists", exc)
                return created
            removed = known and _remove_own_file(job)
            if removed:
                what = "the uploaded file was deleted again"
            elif known:
                what = f"the file could not be deleted; delete file {spec.file_name!r} by hand"
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


#: What a file-first upload hashes: SHA3-512 to verify, SHA-512 to record, MD5 to tell its
#: own file from another upload's of the same name.
_FILE_FIRST_DIGESTS = ("sha3_512", "sha512", "md5")


def _records(package: Package, spec: PackageSpec) -> bool:
    """Whether ``package`` records the hash ``spec`` carries (this upload's package)."""
    algorithm = HashType(spec.hash_type).algorithm if spec.hash_type else None
    reported = package.digests()
    return algorithm is not None and reported.get(algorithm) == (spec.hash_value or "").lower()


def _remove_own_file(job: Job) -> bool:
    """Delete what this upload stored, and nothing another upload stored; whether none of
    it is known to remain.

    First each target's own copy (the S3 object at the ticket's key, the file this
    uploader renamed into place on a share). Then, if the store still serves this
    upload's bytes under the file name (same size and MD5) and, looked at just before,
    no package uses the name, that file by name. Files served with no MD5 are left to
    the first step (what an uploader cannot tell apart is not deleted).
    """
    send = job.send
    if not send.sent_to:
        return True  # nothing was sent: nothing of this upload's can be there
    discarded = [send.uploader.discard(target) for target in send.sent_to]  # each one
    try:
        return _remove_by_name_if_own(job, own_deleted=all(discarded))
    except Exception:
        log.exception("could not delete the orphaned file %s", job.file_name)
        return False


def _remove_by_name_if_own(job: Job, *, own_deleted: bool) -> bool:
    listing = job.cleanup.call(job.files.list_files, "listing the files")
    remote = next((f for f in listing if f.file_name == job.file_name), None)
    own = None if remote is None else _is_own(job, remote)
    if own is None:
        return remote is None or own_deleted
    if not own:
        return True  # another upload's file: not this upload's to delete
    user = job.cleanup.call(
        lambda: job.packages.find_by_file_name(job.file_name),
        f"looking for a package using {job.file_name}",
    )
    if user is not None:
        log.warning(
            "%s: package %d uses this file name; its file is left alone", job.file_name, user.id
        )
        return False
    with contextlib.suppress(RemoteFileNotFoundError):  # gone: a lost answer's work
        job.cleanup.call(lambda: job.files.delete(job.file_name), f"deleting {job.file_name}")
    log.info("deleted %s again: it is not to be left without a package", job.file_name)
    return True


def _is_own(job: Job, remote: RemoteFile) -> bool | None:
    """Whether the store serves this upload's bytes as ``remote`` (``None``: no MD5 listed,
    so it cannot tell)."""
    source = job.send.source
    if remote.size != source.size:
        return False
    if not remote.md5:
        return None
    md5 = job.send.digests.get("md5") or hash_file(source.path, "md5")
    return remote.md5.lower() == md5


class PackageFirst:
    """The package first, then its file into it (Jamf's packages route)."""

    def new(self, job: Job) -> Placed:
        package = self._create(job)
        try:
            sent = job.send(lambda: job.files.open_upload(job.file_name, package), ("sha3_512",))
        except BaseException as exc:
            removed = self._remove_package(job, package)
            what = (
                f"package {package.id} made for it was deleted again"
                if removed
                else f"package {package.id} made for it could not be deleted; delete it in Jamf Pro"
            )
            log.warning("upload of %s failed (%s); %s", job.file_name, exc, what)
            if (error := explained(exc, what, job.file_name)) is not None:
                raise error from exc
            if type(exc) is UploadError:
                raise UploadError(f"{exc}; {what}.") from exc
            raise
        log.info("uploaded %s into package %d", job.file_name, package.id)
        return Placed(package, HashType.SHA3_512, sent.digests["sha3_512"], sent)

    def replace(self, job: Job, existing: Package) -> Placed:
        sent = _replace(
            job, existing, lambda: job.files.open_upload(job.file_name, existing), ("sha3_512",)
        )
        return Placed(existing, HashType.SHA3_512, sent.digests["sha3_512"], sent)

    def _create(self, job: Job) -> Package:
        try:
            return job.packages.create(job.spec)
        except BaseException as exc:
            # A lost answer can hide a package the server did create: look for it.
            try:
                made = job.find_made()
            except Jcds2Error:
                raise exc from None
            if made is None:
                raise
            if isinstance(exc, PackageNameTakenError):
                # Not a lost answer: the name was taken when this request arrived, by the
                # package of another upload of the same file name made at the same moment.
                raise PackageExistsError(
                    job.file_name,
                    made.id,
                    made.name,
                    detail="Another upload of the same file name made it at the same moment.",
                ) from exc
            if isinstance(exc, Exception):
                log.warning("package creation reported %r, but the package exists", exc)
                return made
            self._remove_package(job, made)  # interrupted: undo, then stop
            raise

    @staticmethod
    def _remove_package(job: Job, package: Package) -> bool:
        try:
            job.cleanup.call(
                lambda: job.packages.delete(package.id), f"deleting package {package.id}"
            )
        except Exception:
            log.exception("could not delete package %d again", package.id)
            return False
        return True
