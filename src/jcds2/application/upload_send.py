"""The step both upload orders share: send a file, then wait for the server's verdict."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import attrs

from jcds2.application.local_files import current_identity, hash_file_all
from jcds2.application.ports import FileStore, ObjectUploader, ProgressCallback
from jcds2.application.retry import Retrying
from jcds2.domain.errors import (
    CorruptUploadError,
    ServerRejectedUploadError,
    SourceChangedError,
    VerificationError,
    VerificationTimeoutError,
)
from jcds2.domain.models import LocalFile, StoredFileState, UploadTarget
from jcds2.domain.transfer import TransferConfig
from jcds2.domain.verification import Expected, Verdict, judge

log = logging.getLogger("jcds2.upload")


@attrs.frozen
class Sent:
    """What sending a file produced: whether in parts, its digests, whether confirmed."""

    multipart: bool
    digests: dict[str, str]
    verified: bool


def explained(error: BaseException, what: str, file_name: str) -> BaseException | None:
    """``error`` again with ``what`` (the state left behind) added to its message, for the
    errors that describe a failed upload; ``None`` for the others (re-raise them as is)."""
    if isinstance(error, (VerificationError, SourceChangedError)):
        return type(error)(f"{error}; {what}.", file_name=file_name)
    return None


@attrs.define
class SendAndConfirm:
    """Send ``source`` to a target, have the store take it in and wait for its verdict.

    A failed verdict (the server lost the upload) sends the file again, up to
    ``config.upload_retries`` times. ``stored`` says whether a send completed, that is
    whether the store may hold the file now.
    """

    files: FileStore
    uploader: ObjectUploader
    config: TransferConfig
    source: LocalFile
    verify: bool
    progress: ProgressCallback | None
    retrying: Retrying
    clock: Callable[[], float]
    stored: bool = False
    #: Every target a send went to: what this upload may have stored, for the clean-up.
    sent_to: list[UploadTarget] = attrs.field(factory=list)
    #: The digests of the file as sent, once a send has completed and been hashed.
    digests: dict[str, str] = attrs.field(factory=dict)

    @property
    def file_name(self) -> str:
        return self.source.name

    def __call__(
        self,
        open_target: Callable[[], UploadTarget],
        algorithms: tuple[str, ...],
        *,
        first: UploadTarget | None = None,
        previous: StoredFileState | None = None,
    ) -> Sent:
        """Send, refresh, confirm; ``first`` is a target already opened for the first send,
        ``previous`` what the store reported before (seeing it again means "not yet").
        ``sent_to`` lists the targets for the caller's clean-up after a failure."""
        target = first if first is not None else open_target()
        multipart, digests = self._send(target, algorithms)
        if not self.verify:
            self.refresh(target)  # the distribution point still has to take the file in
            return Sent(multipart, digests, verified=False)
        expected = Expected(size=self.source.size, sha3_512=digests["sha3_512"])
        for failures in range(1, self.config.upload_retries + 2):
            reason = self._confirm(target, expected, previous)
            if reason is None:
                return Sent(multipart, digests, verified=True)
            if failures > self.config.upload_retries:
                raise ServerRejectedUploadError(
                    f"{self.file_name!r} was uploaded {failures} times, and each time the "
                    f"server reported it as failed ({reason})",
                    file_name=self.file_name,
                )
            log.warning(
                "the server reports the upload of %s as failed (%s); sending it again",
                self.file_name,
                reason,
            )
            target = open_target()
            multipart, _ = self._send(target, ())
        raise AssertionError("unreachable")  # pragma: no cover

    def refresh(self, target: UploadTarget) -> None:
        self.retrying.call(
            lambda: self.files.refresh(target), f"refreshing the inventory for {self.file_name}"
        )

    def describe(self, target: UploadTarget) -> StoredFileState | None:
        return self.retrying.call(
            lambda: self.files.describe(target), f"looking at {self.file_name}"
        )

    def _send(
        self, target: UploadTarget, algorithms: tuple[str, ...]
    ) -> tuple[bool, dict[str, str]]:
        """Upload to ``target`` while hashing the file with ``algorithms`` alongside.

        The upload runs on the caller's thread, so that an interrupt meets it there and its
        clean-up (an aborted multipart upload, say) is done before the interrupt propagates.
        The digests come from one read of the file on one thread beside it, each buffer
        feeding all of them, so they describe the same bytes; the server's SHA3-512
        (verification) then proves those bytes are the stored ones. A file whose identity
        (``os.stat``) changed by the end of the send raises ``SourceChangedError``: what it
        stored is unknown.
        """
        log.info("uploading %s (%d bytes)", self.file_name, self.source.size)
        source, stop_hashing = self.source, threading.Event()
        self.sent_to.append(target)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jcds2-hash") as hasher:
            hashing: Future[dict[str, str]] | None = (
                hasher.submit(hash_file_all, source.path, algorithms, stop_hashing)
                if algorithms
                else None
            )
            try:
                multipart = self.uploader.upload(
                    target, source, progress=self.progress, cancel=self.retrying.cancel
                )
                self.stored = True
                digests = hashing.result() if hashing is not None else {}
            except BaseException:
                stop_hashing.set()
                raise
        self.digests.update(digests)
        self._check_unchanged()
        return multipart, digests

    def _check_unchanged(self) -> None:
        expected = self.source.identity
        if expected is None or current_identity(self.source.path) == expected:
            return
        raise SourceChangedError(
            f"{self.source.path} changed while it was being uploaded (written, replaced or "
            "touched), so what the server stored may be neither the old nor the new file; "
            "upload it again once nothing writes to it",
            file_name=self.file_name,
        )

    def _confirm(
        self, target: UploadTarget, expected: Expected, previous: StoredFileState | None
    ) -> str | None:
        """Wait until the store reports the file as ``expected`` (``None``) or as failed
        (the reason). Raises ``CorruptUploadError`` when it has other bytes and
        ``VerificationTimeoutError`` after ``config.verify_timeout`` seconds. After a file
        is sent again, a server that reports transfer statuses shows ``PENDING`` until it
        has taken in the new upload (``judge`` waits then)."""
        deadline = self.clock() + self.config.verify_timeout
        self.refresh(target)
        look = 0
        while True:
            look += 1
            judgement = judge(self.describe(target), expected, previous)
            log.debug("%s, look %d: %s", self.file_name, look, judgement.reason)
            if judgement.verdict is Verdict.READY:
                return None
            if judgement.verdict is Verdict.FAILED:
                return judgement.reason
            if judgement.verdict is Verdict.CORRUPT:
                raise CorruptUploadError(
                    f"the server has other bytes for {self.file_name!r} than were sent "
                    f"(corrupted, or another upload of that name at the same moment): "
                    f"{judgement.reason}",
                    file_name=self.file_name,
                )
            left = deadline - self.clock()
            if left <= 0:
                raise VerificationTimeoutError(
                    f"the server did not confirm {self.file_name!r} within "
                    f"{self.config.verify_timeout:g} s (last: {judgement.reason}); large "
                    "files can take longer: raise verify_timeout",
                    file_name=self.file_name,
                )
            self.retrying.pause(min(self.config.verify_poll(look), left))
