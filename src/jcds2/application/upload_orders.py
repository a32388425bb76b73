"""The two orders in which a file and its package come into being, and the step they share.

:class:`FileFirst`: the file is sent and confirmed, then its package is made with the
file's SHA-512 (the JCDS files route, a file share). :class:`PackageFirst`: the package
is made, then the file is sent into it and the server records its hashes (Jamf's
packages route). Both send through :meth:`Job.send_and_confirm`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable
from typing import NoReturn, Protocol

import attrs

from jcds2.application.local_files import check_unchanged, hash_file, hashing_beside
from jcds2.application.ports import (
    FailedUploads,
    FileStore,
    ObjectUploader,
    PackageRepository,
    PhaseCallback,
    ProgressCallback,
)
from jcds2.application.retry import Retrying
from jcds2.domain.errors import (
    CorruptUploadError,
    Jcds2Error,
    PackageCreationError,
    PackageExistsError,
    PackageNameTakenError,
    RemoteFileNotFoundError,
    ServerRejectedUploadError,
    SourceChangedError,
    UploadError,
    VerificationError,
    VerificationTimeoutError,
)
from jcds2.domain.models import (
    HashType,
    LocalFile,
    Package,
    PackageSpec,
    StoredFileState,
    UploadTarget,
)
from jcds2.domain.progress import UploadEvent, UploadPhase
from jcds2.domain.transfer import TransferConfig
from jcds2.domain.verification import Expected, Verdict, judge

log = logging.getLogger("jcds2.upload")

#: What a file-first upload hashes: SHA3-512 to verify, SHA-512 to record, MD5 to tell its
#: own file from another upload's of the same name.
_FILE_FIRST_DIGESTS = ("sha3_512", "sha512", "md5")


@attrs.define
class Job:
    """One upload as an order sees it: the package to make, the ports, and the one step both
    orders share, :meth:`send_and_confirm`, with what it did so far (for the result, and
    for the clean-up after a failure)."""

    spec: PackageSpec
    source: LocalFile
    packages: PackageRepository
    files: FileStore
    uploader: ObjectUploader
    config: TransferConfig
    verify: bool
    progress: ProgressCallback | None
    #: For sends and looks at the store: cut short by the upload's ``cancel``.
    retrying: Retrying
    #: For checks and clean-up, which must outlast a server's passing trouble (and a cancel).
    cleanup: Retrying
    clock: Callable[[], float]
    #: A send completed: the store may hold the file.
    stored: bool = False
    multipart: bool = False
    verified: bool = False
    #: Every target a send went to: what this upload may have stored.
    sent_to: list[UploadTarget] = attrs.field(factory=list)
    #: The digests of the file as sent.
    digests: dict[str, str] = attrs.field(factory=dict)
    #: Told when the upload enters a phase and at each look while verifying.
    on_phase: PhaseCallback | None = None
    #: Where a package's failed upload is marked failed on the server (``None``: nowhere).
    failures: FailedUploads | None = None

    @property
    def file_name(self) -> str:
        return self.spec.file_name

    def tell(
        self,
        phase: UploadPhase,
        *,
        elapsed: float = 0.0,
        answer: str | None = None,
        deadline: float | None = None,
    ) -> None:
        """Tell ``on_phase`` about ``phase`` (see :class:`UploadEvent`)."""
        event = UploadEvent(self.file_name, phase, elapsed, answer, deadline)
        tell_phase(self.on_phase, event)

    def mark_failed(self, exc: BaseException) -> None:
        """Mark this upload failed on the server before it is cleaned up, when the
        distribution point did not confirm it (``VerificationError``) and the server offers
        that; nothing else here stops the clean-up."""
        failures, name = self.failures, self.file_name
        if failures is None or not self.stored or not isinstance(exc, VerificationError):
            return
        try:
            marked = self.cleanup.call(
                lambda: failures.mark_failed(name), f"marking the upload of {name} failed"
            )
        except Exception as error:  # the clean-up matters more than the mark
            log.warning("could not mark the upload of %s failed: %s", self.file_name, error)
            return
        if marked:
            log.info("marked the upload of %s failed on the server", self.file_name)

    def send_and_confirm(
        self,
        open_target: Callable[[], UploadTarget],
        algorithms: tuple[str, ...],
        *,
        replacing: bool = False,
    ) -> None:
        """Send the file, have the store take it in and wait for its verdict; a failed
        verdict sends it again, up to ``config.upload_retries`` times. The first send
        hashes the file with ``algorithms`` beside it, from one read: the server's SHA3-512
        then proves those bytes stored. A file changed meanwhile raises
        ``SourceChangedError``. ``replacing``: the store holds another file of the name.
        """
        source, name = self.source, self.file_name
        target = open_target()
        # What the store reports before a replacing upload: showing it again means "not yet".
        previous = self.describe(target) if replacing and self.verify else None
        for sends in itertools.count(1):
            log.info("uploading %s (%d bytes)", name, source.size)
            self.tell(UploadPhase.SENDING)
            self.sent_to.append(target)
            with hashing_beside(source.path, algorithms if sends == 1 else ()) as digests:
                self.multipart = self.uploader.upload(
                    target, source, progress=self.progress, cancel=self.retrying.cancel
                )
                self.stored = True
            self.digests.update(digests)
            check_unchanged(source)
            if not self.verify:
                self.refresh(target)  # the distribution point still has to take the file in
                return
            expected = Expected(size=source.size, sha3_512=self.digests["sha3_512"])
            reason = self._confirm(target, expected, previous)
            if reason is None:
                self.verified = True
                return
            if sends > self.config.upload_retries:
                raise ServerRejectedUploadError(
                    f"{name!r} was uploaded {sends} times, and each time the server reported "
                    f"it as failed ({reason})",
                    file_name=name,
                )
            log.warning(
                "the server reports the upload of %s as failed (%s); sending it again",
                name,
                reason,
            )
            target = open_target()

    def refresh(self, target: UploadTarget) -> None:
        self.retrying.call(
            lambda: self.files.refresh(target), f"refreshing the inventory for {self.file_name}"
        )

    def describe(self, target: UploadTarget) -> StoredFileState | None:
        return self.retrying.call(
            lambda: self.files.describe(target), f"looking at {self.file_name}"
        )

    def find_made(self) -> Package | None:
        """The package using the file name, say one the server made though its answer was
        lost; ``Jcds2Error`` when that cannot be told."""
        return self.cleanup.call(
            lambda: self.packages.find_by_file_name(self.file_name),
            f"looking for a package using {self.file_name}",
        )

    def _confirm(
        self, target: UploadTarget, expected: Expected, previous: StoredFileState | None
    ) -> str | None:
        """Wait until the store reports the file as ``expected`` (``None``) or as failed
        (the reason); ``CorruptUploadError`` when it has other bytes,
        ``VerificationTimeoutError`` after ``config.verify_deadline(size)`` seconds."""
        name, wait = self.file_name, self.config.verify_deadline(expected.size)
        started = self.clock()
        deadline = started + wait
        self.tell(UploadPhase.VERIFYING, deadline=wait)
        self.refresh(target)
        for look in itertools.count(1):
            judgement = judge(self.describe(target), expected, previous)
            log.debug("%s, look %d: %s", name, look, judgement.reason)
            self.tell(
                UploadPhase.VERIFYING,
                elapsed=self.clock() - started,
                answer=judgement.reason,
                deadline=wait,
            )
            if judgement.verdict is Verdict.READY:
                return None
            if judgement.verdict is Verdict.FAILED:
                return judgement.reason
            if judgement.verdict is Verdict.CORRUPT:
                raise CorruptUploadError(
                    f"the server has other bytes for {name!r} than were sent (corrupted, or "
                    f"another upload of that name at the same moment): {judgement.reason}",
                    file_name=name,
                )
            left = deadline - self.clock()
            if left <= 0:
                raise VerificationTimeoutError(
                    f"the server did not confirm {name!r} within {wait:g} s (last: "
                    f"{judgement.reason}); the wait is {self.config.verify_rule()} of the "
                    "file, and large files can take longer: raise verify_timeout or "
                    "verify_timeout_per_gib",
                    file_name=name,
                )
            self.retrying.pause(min(self.config.verify_poll(look), left))
        raise AssertionError("unreachable")  # pragma: no cover


@attrs.frozen
class Placed:
    """Where an upload ended: the package and the hash it is known by."""

    package: Package
    hash_type: HashType
    hash_value: str


class UploadOrder(Protocol):
    """How a route brings a file and its package into being."""

    def new(self, job: Job) -> Placed:
        """Upload a file no package uses yet and make its package."""
        ...

    def replace(self, job: Job, existing: Package) -> Placed:
        """Upload a file in place of ``existing``'s file; the package is kept."""
        ...


def tell_phase(on_phase: PhaseCallback | None, event: UploadEvent) -> None:
    """Give ``event`` to ``on_phase``, if any. An exception it raises is logged, not
    raised: showing an upload must not stop it."""
    if on_phase is None:
        return
    try:
        on_phase(event)
    except Exception:
        log.debug("the phase callback failed on %s", event, exc_info=True)


def failure_reason(exc: BaseException) -> str:
    """``exc`` in a few words for a log line, never empty (an interrupt has no message)."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return str(exc) or type(exc).__name__


def _fail(exc: BaseException, job: Job, what: str, *also: type[UploadError]) -> NoReturn:
    """Raise ``exc`` again after a failed upload, with ``what`` (the state left behind)
    added to the message of the errors that describe the upload (and of ``also``)."""
    log.warning("uploading %s failed (%s); %s", job.file_name, failure_reason(exc), what)
    if isinstance(exc, (VerificationError, SourceChangedError)):
        raise type(exc)(f"{exc}; {what}.", file_name=job.file_name) from exc
    if type(exc) in also:
        raise type(exc)(f"{exc}; {what}.") from exc
    raise exc


def _replace(
    job: Job,
    existing: Package,
    open_target: Callable[[], UploadTarget],
    algorithms: tuple[str, ...],
) -> None:
    """Send and confirm a new file for ``existing``; on failure the package is kept."""
    try:
        job.send_and_confirm(open_target, algorithms, replacing=True)
    except BaseException as exc:
        job.mark_failed(exc)
        _fail(
            exc,
            job,
            f"package {existing.id} is kept; its file may still be the old one or already "
            "the new one: upload again with on_exists='replace'",
        )


class FileFirst:
    """The file first, then its package (the JCDS files route and a file share)."""

    def new(self, job: Job) -> Placed:
        try:
            job.send_and_confirm(lambda: job.files.open_upload(job.file_name), _FILE_FIRST_DIGESTS)
        except BaseException as exc:
            # Stored, maybe (an answer lost, a send given up on), but not confirmed: no
            # package will use it. Only this upload's own file is deleted.
            removed = _remove_own_file(job)
            if not job.stored:
                raise
            _fail(
                exc,
                job,
                "the uploaded file was deleted again"
                if removed
                else f"delete file {job.file_name!r} by hand if no package uses it",
            )
        sha512 = job.digests["sha512"]
        spec = attrs.evolve(job.spec, hash_type=HashType.SHA_512, hash_value=sha512)
        package = self._create(job, spec)
        log.info("created package %d (%s) for %s", package.id, package.name, job.file_name)
        return Placed(package, HashType.SHA_512, sha512)

    def replace(self, job: Job, existing: Package) -> Placed:
        _replace(job, existing, lambda: job.files.open_upload(job.file_name), _FILE_FIRST_DIGESTS)
        sha512 = job.digests["sha512"]
        job.cleanup.call(
            lambda: job.packages.record_hash(existing.id, HashType.SHA_512, sha512),
            f"recording the new hash of package {existing.id}",
        )
        return Placed(existing, HashType.SHA_512, sha512)

    @staticmethod
    def _create(job: Job, spec: PackageSpec) -> Package:
        try:
            return job.packages.create(spec)
        except BaseException as exc:
            # A lost answer (or an interrupt) can hide a package the server did create:
            # look before deleting the file, or a package would be left pointing at nothing.
            try:
                made, known = job.find_made(), True
            except Jcds2Error:
                made, known = None, False
            interrupted = not isinstance(exc, Exception)
            if made is not None and made.digests().get("sha512") == job.digests["sha512"]:
                if interrupted:
                    raise  # the package and its file are both there: nothing to undo
                log.warning("package creation reported %r, but the package exists", exc)
                return made
            removed = known and _remove_own_file(job)
            if made is not None:
                # Another upload of this file name made its package meanwhile: this upload
                # lost the race, and only its own file was deleted.
                if interrupted:
                    raise
                raise PackageExistsError(
                    spec.file_name,
                    made.id,
                    made.name,
                    detail="Another upload of the same file name made it at the same moment; "
                    + (
                        "this upload's file was deleted again."
                        if removed
                        else "this upload's file could not be deleted: check the file."
                    ),
                ) from exc
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
                log.warning("interrupted creating the package for %s; %s", spec.file_name, what)
                raise
            raise PackageCreationError(
                f"uploaded {spec.file_name!r} but could not create its package: {exc}; {what}.",
                file_name=spec.file_name,
                file_removed=removed,
            ) from exc


def _remove_own_file(job: Job) -> bool:
    """Delete what this upload stored, and nothing another upload stored; whether none of
    it is known to remain.

    First each target's own copy (the S3 object at the ticket's key, the file this
    uploader renamed into place on a share). Then, if the store still serves this
    upload's bytes under the file name (same size and MD5) and no package uses the name,
    that file by name. A file listed without an MD5 is left to the first step.
    """
    if not job.sent_to:
        return True  # nothing was sent: nothing of this upload's can be there
    discarded = [job.uploader.discard(target) for target in job.sent_to]  # every one of them
    try:
        listing = job.cleanup.call(job.files.list_files, "listing the files")
        remote = next((f for f in listing if f.file_name == job.file_name), None)
        if remote is None or remote.size != job.source.size:
            return True  # nothing there, or another upload's file: not this upload's
        if not remote.md5:
            return all(discarded)  # this upload's or another's: it cannot tell
        if remote.md5.lower() != (job.digests.get("md5") or hash_file(job.source.path, "md5")):
            return True  # another upload's file: not this upload's to delete
        user = job.find_made()
        if user is None:
            with contextlib.suppress(RemoteFileNotFoundError):  # gone: a lost answer's work
                job.cleanup.call(
                    lambda: job.files.delete(job.file_name), f"deleting {job.file_name}"
                )
            log.info("deleted %s again: it is not to be left without a package", job.file_name)
        else:
            log.warning("%s: package %d uses this file name; left alone", job.file_name, user.id)
        return user is None
    except Exception:
        log.exception("could not delete the orphaned file %s", job.file_name)
        return False


class PackageFirst:
    """The package first, then its file into it (Jamf's packages route)."""

    def new(self, job: Job) -> Placed:
        package = self._create(job)
        try:
            job.send_and_confirm(
                lambda: job.files.open_upload(job.file_name, package), ("sha3_512",)
            )
        except BaseException as exc:
            job.mark_failed(exc)
            removed = self._remove_package(job, package)
            _fail(
                exc,
                job,
                f"package {package.id} made for it "
                + (
                    "was deleted again"
                    if removed
                    else "could not be deleted; delete it in Jamf Pro"
                ),
                UploadError,
            )
        log.info("uploaded %s into package %d", job.file_name, package.id)
        return Placed(package, HashType.SHA3_512, job.digests["sha3_512"])

    def replace(self, job: Job, existing: Package) -> Placed:
        _replace(
            job, existing, lambda: job.files.open_upload(job.file_name, existing), ("sha3_512",)
        )
        return Placed(existing, HashType.SHA3_512, job.digests["sha3_512"])

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
