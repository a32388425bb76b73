"""Use-case: upload a local file to the distribution point and register it as a package."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import attrs

from jcds2.application.cancel import CancelToken
from jcds2.application.local_files import hash_file, inspect_upload_source
from jcds2.application.ports import FileStore, ObjectUploader, PackageRepository, ProgressCallback
from jcds2.domain.errors import (
    CorruptUploadError,
    Jcds2Error,
    PackageCreationError,
    PackageExistsError,
    PackageNameTakenError,
    RemoteFileNotFoundError,
    ServerRejectedUploadError,
    UploadError,
    VerificationError,
    VerificationTimeoutError,
)
from jcds2.domain.models import (
    HashType,
    LocalFile,
    OnExists,
    Package,
    PackageSpec,
    StoredFileState,
    UploadResult,
    UploadTarget,
)
from jcds2.domain.names import validate_file_name
from jcds2.domain.transfer import TransferConfig
from jcds2.domain.verification import Expected, Judgement, Verdict, judge

log = logging.getLogger("jcds2.upload")

_T = TypeVar("_T")

#: Look-up order when comparing a local file with a package's: strongest first.
_SKIP_ALGORITHMS = ("sha3_512", "sha512", "md5")


class _ServerFailedError(Exception):
    """The distribution point reported the upload as failed; it may be sent again."""

    def __init__(self, judgement: Judgement, state: StoredFileState | None) -> None:
        super().__init__(judgement.reason)
        self.judgement = judgement
        self.state = state


@attrs.frozen
class _Sent:
    """What sending a file produced."""

    multipart: bool
    digests: dict[str, str]
    verified: bool


@attrs.define
class UploadPackageFile:
    """Upload a file and make it usable in policies as a package.

    The seed's route (``files.upload_needs_package`` false: the JCDS files route, a file
    share): refuse a file name a package already uses; open an upload (temporary S3
    credentials); upload in one request below ``config.multipart_threshold`` and in parts
    at or above it; wait for the distribution point to confirm the file; create the
    package with the file's SHA-512. If the package cannot be created, the uploaded file
    is deleted again: no file is left without a package.

    Jamf's packages route (``files.upload_needs_package`` true): create the package,
    upload the file into it, ask for an inventory refresh and wait until the server
    reports the file's SHA3-512, size and ``READY``. If that fails, the package this call
    created is deleted again (with its file).

    ``on_exists`` says what happens when a package already uses the file name (see
    :class:`~jcds2.domain.models.OnExists`).
    """

    packages: PackageRepository
    files: FileStore
    uploader: ObjectUploader
    config: TransferConfig = attrs.field(factory=TransferConfig)
    clock: Callable[[], float] = time.monotonic
    #: Waits between looks at an uploaded file; ``None``: sleep (cut short by ``cancel``).
    sleep: Callable[[float], None] | None = None

    def __call__(
        self,
        file_path: str | os.PathLike[str],
        *,
        package_name: str | None = None,
        category: str | None = None,
        info: str | None = None,
        notes: str | None = None,
        priority: int = 10,
        on_exists: OnExists | str = OnExists.FAIL,
        verify: bool = True,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> UploadResult:
        started = self.clock()
        mode = OnExists.parse(on_exists)
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
        call = _Call(
            self,
            source=source,
            spec=spec,
            verify=verify,
            progress=progress,
            cancel=cancel or CancelToken(),
            started=started,
        )

        existing = self.packages.find_by_file_name(file_name)
        if existing is not None:
            if mode is OnExists.FAIL:
                raise PackageExistsError(file_name, existing.id, existing.name)
            same, algorithm = self._same_file(existing, source)
            if same:
                log.info("%s: package %d already has this file; skipped", file_name, existing.id)
                return call.skipped(existing, algorithm)
            if mode is OnExists.SKIP:
                raise PackageExistsError(
                    file_name,
                    existing.id,
                    existing.name,
                    detail=(
                        "Its file differs from the local one; upload with on_exists='replace' "
                        "to replace it."
                        if same is False
                        else "Jamf Pro reports no hash for its file, so it cannot be told "
                        "whether it is the same file; use on_exists='replace' to replace it."
                    ),
                )
            return call.replace(existing)

        taken = self.packages.find_by_name(spec.name)
        if taken is not None:
            # Better said now than after sending gigabytes.
            raise PackageNameTakenError(
                f"a package named {spec.name!r} already exists (id {taken.id}, file "
                f"{taken.file_name!r}). Choose another package name.",
                operation=f"creating package {spec.name!r} for {file_name!r}",
            )
        if self.files.upload_needs_package:
            return call.into_new_package()
        return call.then_create_package()

    @staticmethod
    def _same_file(existing: Package, source: LocalFile) -> tuple[bool | None, str | None]:
        """Whether ``existing``'s file is ``source`` (``None``: the server reports no hash)."""
        reported = existing.digests()
        for algorithm in _SKIP_ALGORITHMS:
            if algorithm in reported:
                if existing.size is not None and existing.size != source.size:
                    return False, algorithm
                return hash_file(source.path, algorithm) == reported[algorithm], algorithm
        return None, None

    # Helpers shared by the routes --------------------------------------------------------

    def _persist(self, call: Callable[[], _T], what: str) -> _T:
        """``call()``, tried up to ``config.max_attempts`` times: cleanup and checks must
        not give up on a server's passing trouble, or a file would be left without its
        package."""
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

    def _wait(self, seconds: float, cancel: CancelToken) -> None:
        if self.sleep is not None:
            self.sleep(seconds)
            cancel.check()
        elif cancel.wait(seconds):
            cancel.check()


class _Call:
    """One upload: the steps of each route, sharing what the call was given."""

    def __init__(
        self,
        use_case: UploadPackageFile,
        *,
        source: LocalFile,
        spec: PackageSpec,
        verify: bool,
        progress: ProgressCallback | None,
        cancel: CancelToken,
        started: float,
    ) -> None:
        self.use_case = use_case
        self.packages = use_case.packages
        self.files = use_case.files
        self.config = use_case.config
        self.source = source
        self.spec = spec
        self.verify = verify
        self.progress = progress
        self.cancel = cancel
        self.started = started
        #: Whether a send completed (the store holds the file, as far as it said).
        self.stored = False

    @property
    def file_name(self) -> str:
        return self.spec.file_name

    # Results -----------------------------------------------------------------------------

    def _result(
        self,
        package: Package,
        hash_type: HashType,
        hash_value: str,
        *,
        sent: _Sent | None = None,
        skipped: bool = False,
        replaced: bool = False,
    ) -> UploadResult:
        digests = sent.digests if sent is not None else {}
        return UploadResult(
            package_id=package.id,
            package_name=package.name,
            file_name=self.file_name,
            size=self.source.size,
            hash_type=hash_type,
            hash_value=hash_value,
            elapsed_seconds=self.use_case.clock() - self.started,
            multipart=sent.multipart if sent is not None else False,
            skipped=skipped,
            replaced=replaced,
            verified=sent.verified if sent is not None else False,
            sha3_512=digests.get("sha3_512"),
        )

    def skipped(self, existing: Package, algorithm: str | None) -> UploadResult:
        hash_type = {"md5": HashType.MD5, "sha512": HashType.SHA_512}.get(
            algorithm or "", HashType.SHA3_512
        )
        value = existing.digests().get(algorithm or "", "")
        return self._result(existing, hash_type, value, skipped=True)

    # The packages route ------------------------------------------------------------------

    def into_new_package(self) -> UploadResult:
        package = self._create_first()
        try:
            sent = self._send_and_verify(lambda: self.files.open_upload(self.file_name, package))
        except BaseException as exc:
            removed = self._remove_package(package)
            what = (
                f"package {package.id} made for it was deleted again"
                if removed
                else f"package {package.id} made for it could not be deleted; delete it in Jamf Pro"
            )
            log.warning("upload of %s failed (%s); %s", self.file_name, exc, what)
            if isinstance(exc, VerificationError):
                raise type(exc)(f"{exc}; {what}.", file_name=self.file_name) from exc
            if type(exc) is UploadError:
                raise UploadError(f"{exc}; {what}.") from exc
            raise
        log.info("uploaded %s into package %d", self.file_name, package.id)
        return self._result(package, HashType.SHA3_512, sent.digests["sha3_512"], sent=sent)

    def _create_first(self) -> Package:
        try:
            return self.packages.create(self.spec)
        except BaseException as exc:
            # A lost answer can hide a package the server did create: look for it.
            try:
                made = self.use_case._persist(
                    lambda: self.packages.find_by_file_name(self.file_name),
                    f"looking for a package using {self.file_name}",
                )
            except Jcds2Error:
                raise exc from None
            if made is None:
                raise
            if isinstance(exc, Exception):
                log.warning("package creation reported %r, but the package exists", exc)
                return made
            self._remove_package(made)  # interrupted: undo, then stop
            raise

    def _remove_package(self, package: Package) -> bool:
        try:
            self.use_case._persist(
                lambda: self.packages.delete(package.id), f"deleting package {package.id}"
            )
        except Exception:
            log.exception("could not delete package %d again", package.id)
            return False
        return True

    # The seed's route --------------------------------------------------------------------

    def then_create_package(self) -> UploadResult:
        try:
            sent = self._send_and_verify(
                lambda: self.files.open_upload(self.file_name), discard=True
            )
        except BaseException as exc:
            if not self.stored:
                raise  # nothing is stored (a failed send discards its own leftovers)
            # Stored but not confirmed (or interrupted meanwhile): no package will use it.
            removed = self._remove_file()
            what = (
                "the uploaded file was deleted again"
                if removed
                else f"delete file {self.file_name!r} by hand"
            )
            if isinstance(exc, VerificationError):
                raise type(exc)(f"{exc}; {what}.", file_name=self.file_name) from exc
            log.warning("%s: %s", self.file_name, what)
            raise
        sha512 = sent.digests["sha512"]
        spec = attrs.evolve(self.spec, hash_type=HashType.SHA_512, hash_value=sha512)
        package = self._create_after(spec)
        log.info("created package %d (%s) for %s", package.id, package.name, self.file_name)
        return self._result(package, HashType.SHA_512, sha512, sent=sent)

    def _create_after(self, spec: PackageSpec) -> Package:
        try:
            return self.packages.create(spec)
        except BaseException as exc:
            # A lost answer (or an interrupt) can hide a package the server did create:
            # look before deleting the file, or a package would be left pointing at nothing.
            try:
                created = self.use_case._persist(
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
            removed = known and self._remove_file()
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

    def _remove_file(self) -> bool:
        try:
            self.use_case._persist(
                lambda: self.files.delete(self.file_name), f"deleting {self.file_name}"
            )
        except RemoteFileNotFoundError:
            pass  # an earlier attempt deleted it, but its answer was lost
        except Exception:
            log.exception("could not delete the orphaned file %s", self.file_name)
            return False
        log.info("deleted %s again: it is not to be left without a package", self.file_name)
        return True

    def _discard_upload(self) -> None:
        """Delete the stored file of the source's name only if it is provably this upload.

        An older file of the same name (one no package uses) is left alone: it is this
        upload only when its size and MD5 equal the local file's.
        """
        source = self.source
        try:
            listing = self.use_case._persist(self.files.list_files, "listing the files")
            remote = next((f for f in listing if f.file_name == source.name), None)
            if remote is None or remote.size != source.size or not remote.md5:
                return
            if remote.md5.lower() != hash_file(source.path, "md5"):
                return
            with contextlib.suppress(RemoteFileNotFoundError):  # gone: a lost answer's work
                self.use_case._persist(
                    lambda: self.files.delete(source.name), f"deleting {source.name}"
                )
        except Exception:
            log.warning("could not check for a partial upload of %s", source.name, exc_info=True)
            return
        log.info("deleted %s: the upload failed after it was stored", source.name)

    # Replacing a package's file ----------------------------------------------------------

    def replace(self, existing: Package) -> UploadResult:
        package_first = self.files.upload_needs_package

        def open_target() -> UploadTarget:
            if package_first:
                return self.files.open_upload(self.file_name, existing)
            return self.files.open_upload(self.file_name)

        first = open_target()
        # What the store reports before the upload: showing it again means "not yet".
        previous = self._describe(first) if self.verify else None
        try:
            sent = self._send_and_verify(open_target, first=first, previous=previous)
        except BaseException as exc:
            what = (
                f"package {existing.id} is kept; its file may still be the old one or "
                "already the new one: upload again with on_exists='replace'"
            )
            log.warning("replacing the file of %s failed (%s); %s", self.file_name, exc, what)
            if isinstance(exc, VerificationError):
                raise type(exc)(f"{exc}; {what}.", file_name=self.file_name) from exc
            raise
        if package_first:
            hash_type, value = HashType.SHA3_512, sent.digests["sha3_512"]
        else:
            hash_type, value = HashType.SHA_512, sent.digests["sha512"]
            self.use_case._persist(
                lambda: self.packages.record_hash(existing.id, hash_type, value),
                f"recording the new hash of package {existing.id}",
            )
        log.info("replaced the file of package %d (%s)", existing.id, self.file_name)
        return self._result(existing, hash_type, value, sent=sent, replaced=True)

    # Sending and verifying ---------------------------------------------------------------

    def _algorithms(self) -> tuple[str, ...]:
        # The packages route: the server records the hash; the seed's: the package does.
        return ("sha3_512",) if self.files.upload_needs_package else ("sha3_512", "sha512")

    def _send_and_verify(
        self,
        open_target: Callable[[], UploadTarget],
        *,
        first: UploadTarget | None = None,
        previous: StoredFileState | None = None,
        discard: bool = False,
    ) -> _Sent:
        """Send the file (again, while the server reports failed uploads) and verify it.

        ``first`` is a target already opened for the first send.
        """
        target = first if first is not None else open_target()
        multipart, digests = self._send(target, self._algorithms(), discard=discard)
        if not self.verify:
            # The distribution point still has to take the file in to serve it.
            self._refresh(target)
            return _Sent(multipart, digests, verified=False)
        expected = Expected(size=self.source.size, sha3_512=digests["sha3_512"])
        failures = 0
        while True:
            try:
                self._confirm(target, expected, previous)
                return _Sent(multipart, digests, verified=True)
            except _ServerFailedError as failed:
                failures += 1
                if failures > self.config.upload_retries:
                    raise ServerRejectedUploadError(
                        f"{self.file_name!r} was uploaded {failures} times, and each time the "
                        f"server reported it as failed ({failed.judgement.reason})",
                        file_name=self.file_name,
                    ) from None
                log.warning(
                    "the server reports the upload of %s as failed (%s); sending it again",
                    self.file_name,
                    failed.judgement.reason,
                )
                target = open_target()
                multipart, _ = self._send(target, (), discard=discard)

    def _send(
        self, target: UploadTarget, algorithms: Iterable[str], *, discard: bool
    ) -> tuple[bool, dict[str, str]]:
        """Upload ``source`` to ``target`` while hashing it with ``algorithms``."""
        wanted = tuple(algorithms)
        log.info("uploading %s (%d bytes)", self.file_name, self.source.size)
        stop_hashing = threading.Event()
        with ThreadPoolExecutor(
            max_workers=max(len(wanted), 1), thread_name_prefix="jcds2-hash"
        ) as hasher:
            # One thread per algorithm: hashlib releases the GIL, so they run side by side.
            hashing: dict[str, Future[str]] = {
                name: hasher.submit(hash_file, self.source.path, name, stop_hashing)
                for name in wanted
            }
            try:
                multipart = self.use_case.uploader.upload(
                    target,
                    self.source,
                    renew=self.files.renew_credentials,
                    progress=self.progress,
                    cancel=self.cancel,
                )
                self.stored = True
                digests = {name: future.result() for name, future in hashing.items()}
            except BaseException:
                stop_hashing.set()
                if discard:
                    # The store may have kept the file although its answer was lost.
                    self._discard_upload()
                raise
        return multipart, digests

    def _refresh(self, target: UploadTarget) -> None:
        self.use_case._persist(
            lambda: self.files.refresh(target), f"refreshing the inventory for {self.file_name}"
        )

    def _describe(self, target: UploadTarget) -> StoredFileState | None:
        return self.use_case._persist(
            lambda: self.files.describe(target), f"looking at {self.file_name}"
        )

    def _confirm(
        self,
        target: UploadTarget,
        expected: Expected,
        previous: StoredFileState | None,
    ) -> None:
        """Wait until the distribution point reports the file as ``expected``.

        Raises ``_ServerFailedError`` when it reports a failed upload,
        ``CorruptUploadError`` when it has other bytes, ``VerificationTimeoutError`` after
        ``config.verify_timeout`` seconds. After a file is sent again, a server that
        reports transfer statuses shows ``PENDING`` until it has taken in the new upload
        (``judge`` waits then); a size of 0 after that is a new failure.
        """
        clock = self.use_case.clock
        deadline = clock() + self.config.verify_timeout
        self._refresh(target)
        look = 0
        while True:
            look += 1
            state = self._describe(target)
            judgement = judge(state, expected, previous)
            log.debug("%s, look %d: %s", self.file_name, look, judgement.reason)
            if judgement.verdict is Verdict.READY:
                return
            if judgement.verdict is Verdict.CORRUPT:
                raise CorruptUploadError(
                    f"the server has other bytes for {self.file_name!r} than were sent: "
                    f"{judgement.reason}",
                    file_name=self.file_name,
                )
            if judgement.verdict is Verdict.FAILED:
                raise _ServerFailedError(judgement, state)
            left = deadline - clock()
            if left <= 0:
                raise VerificationTimeoutError(
                    f"the server did not confirm {self.file_name!r} within "
                    f"{self.config.verify_timeout:g} s (last: {judgement.reason}); large "
                    "files can take longer: raise verify_timeout",
                    file_name=self.file_name,
                )
            self.use_case._wait(min(self.config.verify_poll(look), left), self.cancel)
