"""S3 adapter: puts a local file into the JCDS bucket with an upload ticket's credentials.

Built on boto3. Its standard configuration applies (``AWS_ENDPOINT_URL_S3``, which is how
the local emulator's S3 server is reached); an explicit ``endpoint_url`` overrides it.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, cast

import attrs
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from jcds2.adapters.bodies import PartBody
from jcds2.adapters.connections import ConnectionRegistry
from jcds2.adapters.redaction import register_secret
from jcds2.application.cancel import CancelToken
from jcds2.application.concurrency import run_all
from jcds2.application.ports import ProgressCallback
from jcds2.application.retry import Attempt, Retrying
from jcds2.domain.errors import UploadError
from jcds2.domain.models import LocalFile, UploadTarget, UploadTicket, expect_target
from jcds2.domain.server import check_transport_url
from jcds2.domain.text import shown
from jcds2.domain.transfer import Part, TransferConfig, choose_part_size, plan_parts

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

log = logging.getLogger("jcds2.s3")

#: S3 error codes that mean the temporary credentials ran out.
EXPIRED_CODES = frozenset({"ExpiredToken", "TokenRefreshRequired", "RequestExpired"})
#: S3 error codes worth another attempt (throttling, transient server trouble).
RETRY_CODES = frozenset(
    {
        "SlowDown",
        "InternalError",
        "ServiceUnavailable",
        "RequestTimeout",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "BadDigest",
    }
)
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MAX_RENEWALS_PER_CALL = 3


#: Fresh credentials for the same upload (the JCDS's ``renew-credentials``).
RenewTicket = Callable[[UploadTicket], UploadTicket]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class _S3Access:
    """The current S3 client for one upload, renewed with the ticket's credentials."""

    def __init__(
        self,
        ticket: UploadTicket,
        renew: RenewTicket,
        make_client: Callable[[UploadTicket], S3Client],
        margin: float,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._ticket = ticket
        self._renew = renew
        self._make_client = make_client
        self._margin = margin
        self._clock = clock
        self._lock = threading.Lock()
        self._client = make_client(ticket)

    def client(self) -> S3Client:
        with self._lock:
            if self._ticket.credentials.seconds_left(self._clock()) < self._margin:
                self._renew_locked()
            return self._client

    def renew_after_expiry(self, stale: S3Client) -> None:
        with self._lock:
            if self._client is stale:  # not yet renewed by another thread
                self._renew_locked()

    def _renew_locked(self) -> None:
        log.info("renewing the S3 credentials for %s", self._ticket.file_name)
        self._ticket = self._renew(self._ticket)
        self._client = self._make_client(self._ticket)


@attrs.define
class _Request:
    """One request of :meth:`S3ObjectUploader._tries`, used as ``with request as client``.

    The client is the upload's current one, and a cancellation severs the request. An
    answer that the credentials ran out renews them and ends the request quietly
    (``renewed``: the same attempt is then made again); any other failure is the attempt's.
    """

    attempt: Attempt
    access: _S3Access
    severing: AbstractContextManager[None]
    may_renew: bool
    renewed: bool = False
    client: S3Client = attrs.field(init=False)

    def __enter__(self) -> S3Client:
        self.attempt.__enter__()
        self.client = self.access.client()
        self.severing.__enter__()
        return self.client

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        self.severing.__exit__(kind, error, traceback)
        if self.may_renew and isinstance(error, ClientError) and _expired(error):
            self.access.renew_after_expiry(self.client)
            self.renewed = True
            return True
        return self.attempt.__exit__(kind, error, traceback)


def _cannot_renew(ticket: UploadTicket) -> UploadTicket:
    raise UploadError(
        f"the S3 credentials for {ticket.file_name!r} ran out, and this uploader was given "
        "no way to renew them"
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        # S3's own words: escaped like all server text quoted in a message.
        return shown(f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": "))
    return shown(str(exc)) or type(exc).__name__


class S3ObjectUploader:
    """Uploads to S3, always through a multipart upload: one part below the threshold,
    parts of ``config.part_size`` (grown to stay within 10,000 parts) above it.

    Several parts are uploaded ``config.concurrency`` at a time, one on the caller's thread,
    each with a CRC32 checksum S3 verifies. Credentials are renewed through ``renew`` (the
    JCDS's ``renew-credentials``, wired by the container) before they run out, or when S3 says
    they have. Only ``CompleteMultipartUpload`` makes the object, so a request given up on (a
    stall past the read timeout) that reaches S3 later is refused once the upload is completed
    or aborted (ADR 0020). If anything fails, the upload is aborted and the object at the ticket's
    own key (unique to the ticket) is deleted, so S3 keeps neither parts nor a file.
    """

    def __init__(
        self,
        config: TransferConfig,
        endpoint_url: str | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
        verify: bool | str = True,
        renew: RenewTicket | None = None,
    ) -> None:
        self._config = config
        self._renew = renew or _cannot_renew
        self._endpoint_url = endpoint_url or None
        self._clock = clock
        self._verify = verify
        self._connections = ConnectionRegistry()

    def __repr__(self) -> str:
        return f"S3ObjectUploader(endpoint_url={self._endpoint_url!r})"

    def _make_client(self, ticket: UploadTicket) -> S3Client:
        # Imported here: boto3 takes a tenth of a second to import, which downloads and
        # every other command that never uploads should not pay.
        import boto3  # noqa: PLC0415
        from botocore.config import Config  # noqa: PLC0415

        credentials = ticket.credentials
        # botocore's DEBUG logs print the session token; keep it (and the key) out of them.
        register_secret(credentials.secret_access_key)
        register_secret(credentials.session_token)
        session = boto3.session.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            region_name=ticket.region,
        )
        botocore_config = Config(
            max_pool_connections=self._config.concurrency + 2,
            connect_timeout=self._config.connect_timeout,
            read_timeout=self._config.read_timeout,
            # One attempt per call: jcds2 retries itself (see _tries), so that a
            # cancelled upload is not kept waiting in botocore's backoff.
            retries={"mode": "standard", "total_max_attempts": 1},
        )
        client = session.client(
            "s3", endpoint_url=self._endpoint_url, config=botocore_config, verify=self._verify
        )
        # The endpoint as resolved (AWS_ENDPOINT_URL_S3 included), under the rule for every host.
        check_transport_url(client.meta.endpoint_url, "S3")
        # botocore keeps its urllib3 pool manager here; tracking its connections lets a
        # cancelled upload wake a part stuck waiting for S3's answer (if the layout ever
        # changes, such a part just runs into its read timeout instead).
        http_session = getattr(getattr(client, "_endpoint", None), "http_session", None)
        manager = getattr(http_session, "_manager", None)
        if manager is not None:
            self._connections.install_on_manager(manager)
        return client

    def upload(
        self,
        target: UploadTarget,
        source: LocalFile,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> bool:
        ticket = expect_target(target, UploadTicket, "the S3 uploader")
        outer = cancel if cancel is not None else CancelToken()
        if source.size < self._config.multipart_threshold:
            part_size = source.size  # one part (S3 allows a last part of any size)
        else:
            part_size = choose_part_size(source.size, self._config.part_size)
        parts = plan_parts(source.size, part_size)
        try:
            access = self._access(ticket)
            what = f"starting the multipart upload of {source.name}"
            for request in self._tries(access, outer, what):
                with request as client:
                    created = client.create_multipart_upload(
                        Bucket=ticket.bucket, Key=ticket.key, ChecksumAlgorithm="CRC32"
                    )
            upload_id = created["UploadId"]
            log.info(
                "multipart upload of %s: %d parts of %d bytes", source.name, len(parts), part_size
            )
            cancel = CancelToken()
            send = functools.partial(
                self._send_part, access, ticket, upload_id, source, cancel=cancel, progress=progress
            )
            try:
                with outer.on_cancel(cancel.cancel):
                    if len(parts) == 1:  # on this thread: no worker to start for one request
                        answers = [send(parts[0])]
                    else:
                        tasks = [functools.partial(send, part) for part in parts]
                        answers = run_all(
                            tasks,
                            workers=self._config.concurrency,
                            cancel=cancel,
                            name="jcds2-upload",
                        )
                completed = [
                    _completed(part, answer) for part, answer in zip(parts, answers, strict=True)
                ]
                self._complete(access, ticket, source, upload_id, completed)
            except BaseException:
                self._abort(access, ticket, upload_id)
                # An attempt given up on may have completed it all the same: the key is this
                # ticket's alone, so whatever stands there is this upload's to delete.
                self._delete_own(access, ticket)
                raise
            finally:
                self._abort_strays(access, ticket)
        except (ClientError, BotoCoreError, OSError) as exc:
            raise UploadError(
                f"uploading {source.name!r} to the JCDS failed: {_describe(exc)}"
            ) from exc
        return len(parts) > 1

    def _access(self, ticket: UploadTicket) -> _S3Access:
        margin = self._config.credential_renewal_margin
        return _S3Access(ticket, self._renew, self._make_client, margin, self._clock)

    def _tries(self, access: _S3Access, cancel: CancelToken, what: str) -> Iterator[_Request]:
        """The requests of one S3 call: ``for request in ...: with request as client:``.

        Transient failures are tried again with the one retry policy (its waits end at
        once on a cancellation); expired credentials are renewed, at most
        ``MAX_RENEWALS_PER_CALL`` times, without counting as attempts. The loop ends
        after the first request that succeeds; a failure not tried again propagates.
        """
        renewals = 0
        for attempt in Retrying.of(self._config, cancel).tries(what, _transient, _describe):
            while True:
                may_renew = renewals < MAX_RENEWALS_PER_CALL
                request = _Request(attempt, access, self._connections.severable(cancel), may_renew)
                yield request
                if not request.renewed:
                    break
                renewals += 1

    def _send_part(
        self,
        access: _S3Access,
        ticket: UploadTicket,
        upload_id: str,
        source: LocalFile,
        part: Part,
        *,
        cancel: CancelToken,
        progress: ProgressCallback | None,
    ) -> Any:
        """Upload ``part``: S3's answer, once it took the part."""
        reported = [0]
        for request in self._tries(access, cancel, f"part {part.number} of {source.name}"):
            with request as client, PartBody(source.path, part, cancel, progress, reported) as body:
                return client.upload_part(
                    Bucket=ticket.bucket,
                    Key=ticket.key,
                    UploadId=upload_id,
                    PartNumber=part.number,
                    Body=cast("IO[bytes]", body),
                    ContentLength=part.length,
                    ChecksumAlgorithm="CRC32",
                )
        raise AssertionError("a request ends in an answer or an exception")  # pragma: no cover

    def _abort_strays(self, access: _S3Access, ticket: UploadTicket) -> None:
        """Abort the multipart uploads still in progress at the ticket's own key: a create
        given up on (its answer too slow) may have started one all the same (best effort)."""
        what = f"listing the uploads in progress of {ticket.file_name}"
        try:
            for request in self._tries(access, CancelToken(), what):
                with request as client:
                    listed = client.list_multipart_uploads(Bucket=ticket.bucket, Prefix=ticket.key)
        except Exception as exc:  # the credentials may not allow it: S3 lifecycle rules will
            log.debug("could not list the uploads of %s: %s", ticket.file_name, _describe(exc))
            return
        for item in listed.get("Uploads", []):
            if item.get("Key") == ticket.key and "UploadId" in item:
                self._abort(access, ticket, item["UploadId"])

    def _complete(
        self,
        access: _S3Access,
        ticket: UploadTicket,
        source: LocalFile,
        upload_id: str,
        parts: list[CompletedPartTypeDef],
    ) -> None:
        what = f"completing the multipart upload of {source.name}"
        try:
            for request in self._tries(access, CancelToken(), what):
                with request as client:
                    client.complete_multipart_upload(
                        Bucket=ticket.bucket,
                        Key=ticket.key,
                        UploadId=upload_id,
                        MultipartUpload={"Parts": parts},
                    )
        except ClientError as exc:
            # An attempt whose answer was lost may have completed it: the upload id is then
            # gone, and the object stands at this upload's own key with the file's size.
            if _code(exc) != "NoSuchUpload" or not self._stored(access, ticket, source):
                raise
            log.info("the multipart upload of %s was completed by an earlier attempt", source.name)

    def _stored(self, access: _S3Access, ticket: UploadTicket, source: LocalFile) -> bool:
        try:
            for request in self._tries(
                access, CancelToken(), f"checking the upload of {source.name}"
            ):
                with request as client:
                    head = client.head_object(Bucket=ticket.bucket, Key=ticket.key)
        except (ClientError, BotoCoreError):
            return False
        return head.get("ContentLength") == source.size

    def _abort(self, access: _S3Access, ticket: UploadTicket, upload_id: str) -> None:
        """Abort the multipart upload so that S3 keeps none of its parts (best effort)."""
        what = f"aborting the multipart upload of {ticket.file_name}"
        try:
            for request in self._tries(access, CancelToken(), what):
                with request as client:
                    client.abort_multipart_upload(
                        Bucket=ticket.bucket, Key=ticket.key, UploadId=upload_id
                    )
        except Exception as exc:  # the caller's own error matters more
            if isinstance(exc, ClientError) and _code(exc) == "NoSuchUpload":
                return  # completed or aborted already
            log.error(
                "could not abort the multipart upload of %s (%s); S3 lifecycle rules will "
                "remove its parts",
                ticket.file_name,
                _describe(exc),
            )
        else:
            log.info("aborted the multipart upload of %s", ticket.file_name)

    def discard(self, target: UploadTarget) -> bool:
        """Delete the object at ``target``'s own key: what uploads with this ticket stored,
        and nothing another upload stored. ``False`` if S3 refuses (the credentials may
        not allow it): the caller then has to look by file name."""
        ticket = expect_target(target, UploadTicket, "the S3 uploader")
        return self._delete_own(self._access(ticket), ticket)

    def _delete_own(self, access: _S3Access, ticket: UploadTicket) -> bool:
        what = f"deleting the object of {ticket.file_name}"
        try:
            for request in self._tries(access, CancelToken(), what):
                with request as client:
                    client.delete_object(Bucket=ticket.bucket, Key=ticket.key)
        except (ClientError, BotoCoreError, OSError, UploadError) as exc:
            log.warning("could not delete the object of %s: %s", ticket.file_name, _describe(exc))
            return False
        return True


def _completed(part: Part, answer: Any) -> CompletedPartTypeDef:
    completed: CompletedPartTypeDef = {"PartNumber": part.number, "ETag": answer["ETag"]}
    if "ChecksumCRC32" in answer:
        completed["ChecksumCRC32"] = answer["ChecksumCRC32"]
    return completed


def _code(exc: ClientError) -> str | None:
    return exc.response.get("Error", {}).get("Code")


def _expired(exc: ClientError) -> bool:
    return _code(exc) in EXPIRED_CODES


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, ClientError):
        return _retryable(exc)
    return isinstance(exc, (BotoConnectionError, HTTPClientError))


def _retryable(exc: ClientError) -> bool:
    code = _code(exc)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code in RETRY_CODES or status in RETRY_STATUSES
