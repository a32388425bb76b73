"""The packages route's ``ObjectUploader``: one streamed ``multipart/form-data`` POST."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from jcds2.adapters.bodies import SeekableFileBody
from jcds2.adapters.http_session import RETRY_STATUSES, BoundedResponse
from jcds2.adapters.jamf_http import JamfHttpClient, error_detail
from jcds2.adapters.pro_packages.common import _error_codes, log
from jcds2.adapters.pro_packages.store import PackageUploadTarget
from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.application.ports import ProgressCallback
from jcds2.application.retry import Retrying
from jcds2.domain.errors import (
    JamfApiError,
    ServerUnreachableError,
    TlsVerificationError,
    UploadError,
)
from jcds2.domain.models import (
    LocalFile,
    UploadTarget,
    expect_target,
)
from jcds2.domain.transfer import TransferConfig

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

    def discard(self, target: UploadTarget) -> bool:
        """A file sent into a package goes with the package: nothing to do here, and
        ``False`` (the package-first order deletes the package it made instead)."""
        return False

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
                # The request stays on this stack; the loop ends once an attempt succeeds.
                for attempt in retrying.tries(operation, transient):
                    with attempt:
                        body.seek(0)
                        response = self._http.request(
                            "POST",
                            path,
                            operation=operation,
                            headers={"Content-Type": body.content_type},
                            data=cast("IO[bytes]", body),
                            allow=[400, 404],
                        )
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
