"""``JamfEmulator``: the Jamf API app and the S3 server (moto), started and stopped together."""

from __future__ import annotations

import functools
import os
import secrets
import threading
import uuid
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from jcds2.emulator.app import JamfApp
from jcds2.emulator.categories import DEFAULT_PRIORITY, DuplicateCategoryError
from jcds2.emulator.categories_pro import to_pro as category_to_pro
from jcds2.emulator.cdp import DEFAULT_CDN_TYPE
from jcds2.emulator.external import ExternalFiles
from jcds2.emulator.faultrules import FaultRule, StatusFault
from jcds2.emulator.faults import FaultPlan, FaultRecord
from jcds2.emulator.jcds import jcds_listing
from jcds2.emulator.parts import EmulatorParts, Initial, Settings
from jcds2.emulator.policies import DuplicatePolicyError, PolicyPackage, policy_parts
from jcds2.emulator.prestages import to_pro as prestage_to_pro
from jcds2.emulator.pro import to_pro
from jcds2.emulator.requestlog import RecordedRequest
from jcds2.emulator.s3 import S3Bucket
from jcds2.emulator.s3server import RecordedS3Request, S3Server
from jcds2.emulator.system import DEFAULT_REFRESH_ALL_INTERVAL, DEFAULT_VERSION
from jcds2.emulator.wire import request_handler


class _NotStartedError(RuntimeError):
    """Raised when a running emulator's address is asked for before ``start()``."""


class JamfEmulator:
    """A local stand-in for a Jamf Pro server with JCDS, for tests and demos.

    Serves the Pro API under ``url + "/api"`` and the Classic API under
    ``url + "/JSSResource"``, with moto's S3 server behind the JCDS routes. Use it as a
    context manager, or call ``start()`` and ``stop()``. Credentials not given are random.
    Several emulators may run in one process; each keeps to its own randomly named bucket.

    ``external_files`` (a folder) and ``download_base_url`` go together: the folder's files
    are JCDS files too, and their download URL is the base URL plus the quoted file name,
    so that another web server (nginx, say) serves their bytes. ``request_log_path`` makes
    every Jamf API request append a JSON line to that file (see ``RequestLog``).
    ``faults`` is a ``FaultPlan`` to start with (see docs/emulator.md, "Fault plan").

    A file uploaded through ``POST /api/v1/packages/{id}/upload`` shows on its package
    (digests, size, ``cloudTransferStatus`` READY) once an inventory refresh was asked for
    after the upload and ``transfer_delay_seconds`` have passed since it; until then the
    package is PENDING with the previous file's values. ``direct_upload_capable`` is what
    the upload-capability route says (when False the upload route refuses with 400), and
    ``version`` what ``GET /api/v1/jamf-pro-version`` answers.

    JSON request bodies are read as Jamf Pro's Jackson reads them (scalars coerced, unknown
    properties ignored; see ``jsonbody``); with ``strict_json`` only what the published
    schema allows is accepted, so a client's tests can prove it sends nothing else.

    ``cdn_type`` is the cloud distribution point's type (``"NONE"``: none, so packages
    cannot be created through the Pro API nor uploaded to), and an inventory refresh of
    every file is allowed once every ``refresh_all_interval_seconds`` (see docs/emulator.md,
    "Categories" and "Cloud distribution point").
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        packages: int = 0,
        policies: int = 0,
        latency_ms: float = 0,
        token_ttl_seconds: float = 1200,
        credential_ttl_seconds: float = 3600,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        verbose: bool = False,
        download_base_url: str | None = None,
        external_files: str | os.PathLike[str] | None = None,
        request_log_path: str | os.PathLike[str] | None = None,
        faults: FaultPlan | None = None,
        transfer_delay_seconds: float = 0.0,
        direct_upload_capable: bool = True,
        version: str = DEFAULT_VERSION,
        strict_json: bool = False,
        cdn_type: str = DEFAULT_CDN_TYPE,
        refresh_all_interval_seconds: float = DEFAULT_REFRESH_ALL_INTERVAL,
    ) -> None:
        if (download_base_url is None) != (external_files is None):
            raise ValueError("external_files and download_base_url must be given together")
        self._external = (
            None
            if external_files is None or download_base_url is None
            else ExternalFiles(external_files, download_base_url)
        )
        self.host = host
        self.port = port
        self.preload_packages = packages
        self.preload_policies = policies
        self.latency_ms = latency_ms
        self.token_ttl_seconds = token_ttl_seconds
        self.credential_ttl_seconds = credential_ttl_seconds
        self.username = username or f"jamf-{secrets.token_hex(4)}"
        self.password = password or secrets.token_urlsafe(18)
        self.client_id = client_id or str(uuid.uuid4())
        self.client_secret = client_secret or secrets.token_urlsafe(32)
        self.verbose = verbose
        self.direct_upload_capable = direct_upload_capable
        self.version = version
        self._parts = EmulatorParts(
            Initial(
                token_ttl_seconds,
                transfer_delay_seconds,
                strict_json,
                cdn_type,
                refresh_all_interval_seconds,
            ),
            faults,
            request_log_path,
        )
        self.transfer_delay_seconds = self._parts.initial.transfer_delay_seconds
        # The emulator's own S3 requests sign with this key, so faults and the S3 log skip them.
        self._internal_access_key = f"jcds2-emulator-{secrets.token_hex(8)}"
        self._s3: S3Server | None = None
        self._bucket: S3Bucket | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle -------------------------------------------------------------------------

    def start(self) -> JamfEmulator:
        """Start the S3 server, create the bucket, then start serving the Jamf API."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._parts.faults.stopping.clear()
        try:
            self._start_s3()
            self._parts.preload(self.preload_packages)
            self._parts.preload_policies(self.preload_policies)
            self._start_jamf()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Shut both servers down and wait for their threads; ends stalls at once."""
        self._parts.faults.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        if self._s3 is not None:
            self._s3.stop()
        self._server = self._thread = self._s3 = self._bucket = None

    def __enter__(self) -> JamfEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _start_s3(self) -> None:
        self._s3 = S3Server(
            self.host,
            self._parts.faults,
            self._parts.s3_log,
            self._internal_access_key,
            self.verbose,
            write_order=self._parts.write_order,
        )
        self._s3.start()
        name = f"jcds-emulator-{secrets.token_hex(6)}"
        bucket = S3Bucket(
            self._s3.endpoint_url,
            name,
            # The newest write of a file name wins, whichever route it came by.
            functools.partial(self._parts.write_order.of, name),
            access_key=self._internal_access_key,
        )
        bucket.create()
        self._bucket = bucket

    def _start_jamf(self) -> None:
        settings = Settings(
            self.username,
            self.password,
            self.client_id,
            self.client_secret,
            self.credential_ttl_seconds,
            self.direct_upload_capable,
            self.version,
            self._external,
        )
        parts = self._parts
        routes = parts.jamf_routes(self._require(self._bucket), settings)
        app = JamfApp(
            routes, parts.tokens, parts.faults, parts.log, self.latency_ms, bodies=parts.bodies
        )
        handler = request_handler(WSGIRequestHandler, self.verbose, "EmulatorJamfRequestHandler")
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=handler
        )
        self._thread = threading.Thread(
            # A short poll interval makes stop() quick.
            target=functools.partial(self._server.serve_forever, poll_interval=0.05),
            name="jcds2-emulator-jamf",
            daemon=True,
        )
        self._thread.start()

    @staticmethod
    def _require(value: Any) -> Any:
        if value is None:
            raise _NotStartedError("the emulator is not running; call start() first")
        return value

    # Addresses -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The Jamf base URL, e.g. ``http://127.0.0.1:PORT``."""
        server: BaseWSGIServer = self._require(self._server)
        return f"http://{self.host}:{server.server_port}"

    @property
    def s3_endpoint_url(self) -> str:
        """The S3 server's endpoint URL."""
        bucket: S3Bucket = self._require(self._bucket)
        return bucket.endpoint_url

    @property
    def bucket(self) -> str:
        """The name of this emulator's bucket."""
        bucket: S3Bucket = self._require(self._bucket)
        return bucket.name

    def info(self) -> dict[str, str]:
        """Everything a client needs to connect, as printed by the command line."""
        return {
            "url": self.url,
            "s3_endpoint_url": self.s3_endpoint_url,
            "username": self.username,
            "password": self.password,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "bucket": self.bucket,
        }

    # Inspection and control for tests -------------------------------------------------

    @property
    def request_log(self) -> list[RecordedRequest]:
        """A snapshot of the Jamf API requests received so far (S3 requests excluded)."""
        return self._parts.log.snapshot()

    def clear_request_log(self) -> None:
        self._parts.log.clear()

    @property
    def s3_request_log(self) -> list[RecordedS3Request]:
        """A snapshot of the client requests to the S3 server, with the status answered.

        The emulator's own S3 requests (listing, digests, clean-up) are not included.
        """
        return self._parts.s3_log.snapshot()

    def clear_s3_request_log(self) -> None:
        self._parts.s3_log.clear()

    def set_fault_plan(self, plan: FaultPlan) -> None:
        """Replace the fault rules with ``plan``'s; rule counters start afresh."""
        self._parts.faults.set_plan(plan)

    def add_fault(self, rule: FaultRule) -> None:
        """Append a rule to the current plan (its random draws use the plan's seed)."""
        self._parts.faults.add(rule)

    @property
    def fault_plan(self) -> FaultPlan:
        return self._parts.faults.plan

    @property
    def fault_log(self) -> list[FaultRecord]:
        """A snapshot of every fault that fired, in order."""
        return self._parts.faults.log()

    def clear_fault_log(self) -> None:
        self._parts.faults.clear_log()

    def inject_fault(
        self,
        method: str,
        path: str,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` matching Jamf requests with ``status`` unprocessed.

        ``path`` is a regular expression that must match the whole request path. A
        shorthand for ``add_fault(StatusFault(...))``.
        """
        self.add_fault(
            StatusFault(
                server="jamf",
                method=method,
                path=path,
                status=status,
                retry_after=retry_after,
                times=times,
            )
        )

    def clear_faults(self) -> None:
        """Drop every fault rule (the fault log stays)."""
        self._parts.faults.clear()

    def packages(self) -> list[dict[str, Any]]:
        """A snapshot of all packages in Pro API shape."""
        return [to_pro(package) for package in self._parts.store.all()]

    def package(self, package_id: int | str) -> dict[str, Any] | None:
        """A snapshot of one package in Pro API shape, or None if there is no such id."""
        found = self._parts.store.get(int(package_id))
        return None if found is None else to_pro(found)

    @property
    def strict_json(self) -> bool:
        """Whether JSON request bodies must be exactly what the schema allows."""
        return self._parts.bodies.strict

    def set_strict_json(self, strict: bool) -> None:
        """Switch strict JSON bodies on or off; ``reset()`` restores the constructor's."""
        self._parts.bodies.set_strict(strict)

    def package_history(self, package_id: int | str) -> list[dict[str, Any]]:
        """A snapshot of a package's history records (ObjectHistory), oldest first."""
        return self._parts.history.records(int(package_id))

    def set_transfer_delay(self, seconds: float) -> None:
        """Seconds from an upload to its file showing on the package (with a refresh).

        Applies to uploads still pending too; ``reset()`` restores the constructor's.
        """
        self._parts.store.set_transfer_delay(seconds)
        self.transfer_delay_seconds = self._parts.store.transfer_delay_seconds

    @property
    def refresh_requests(self) -> list[str | None]:
        """The ``file-name`` of every inventory refresh so far (None: all files), either
        route, oldest first."""
        return self._parts.refreshes.snapshot()

    def jcds_files(self) -> list[dict[str, Any]]:
        """A snapshot of the JCDS files, as ``GET /api/v1/jcds/files`` lists them."""
        bucket: S3Bucket = self._require(self._bucket)
        return jcds_listing(bucket, self._external)

    def multipart_uploads_in_progress(self) -> list[tuple[str, str]]:
        """``(key, upload_id)`` of every multipart upload not yet completed or aborted."""
        bucket: S3Bucket = self._require(self._bucket)
        return bucket.multipart_uploads()

    def reset(self) -> None:
        """Forget packages (and their history), categories, files, uploads, refreshes, the
        cloud distribution point's history, both request logs, faults, fault log.

        Tokens stay valid, and the lists of issued secrets are kept; tokens issued from now
        on live ``token_ttl_seconds`` as given to the constructor again, and the transfer
        delay, the strict JSON mode, the cloud distribution point's settings (its CDN type
        among them) and the refresh interval are the constructor's again.
        """
        self._parts.reset(self._bucket)
        self.token_ttl_seconds = self._parts.initial.token_ttl_seconds
        self.transfer_delay_seconds = self._parts.initial.transfer_delay_seconds

    def categories(self) -> list[dict[str, Any]]:
        """A snapshot of all categories in Pro API shape (``{"id", "name", "priority"}``)."""
        return [category_to_pro(category) for category in self._parts.categories.all()]

    def add_category(self, name: str, priority: int = DEFAULT_PRIORITY) -> dict[str, Any]:
        """Create a category (as an administrator would); its Pro API shape.

        ``ValueError`` if the name is taken.
        """
        try:
            return category_to_pro(self._parts.categories.create(name, priority))
        except DuplicateCategoryError:
            raise ValueError(f"a category is already named {name!r}") from None

    def policies(self) -> list[dict[str, Any]]:
        """A snapshot of every policy as the Classic API's JSON shows it (``general``,
        ``package_configuration`` and the rest)."""
        return [policy_parts(policy, self._parts.store) for policy in self._parts.policies.all()]

    def add_policy(
        self, name: str, package_ids: Sequence[int] = (), action: str = "Install"
    ) -> int:
        """Create a policy installing the packages ``package_ids`` (as an administrator
        would); its id. ``ValueError`` if the name is taken or a package does not exist."""
        uses = []
        for package_id in package_ids:
            found = self._parts.store.get(int(package_id))
            if found is None:
                raise ValueError(f"no package has id {package_id}")
            uses.append(PolicyPackage(found.id, found.package_name, action))
        try:
            return self._parts.policies.create(name, tuple(uses)).id
        except DuplicatePolicyError:
            raise ValueError(f"a policy is already named {name!r}") from None

    def prestages(self) -> list[dict[str, Any]]:
        """A snapshot of every computer PreStage as the Pro API shows it."""
        return [prestage_to_pro(prestage) for prestage in self._parts.prestages.all()]

    def add_prestage(self, name: str, package_ids: Sequence[int | str] = ()) -> int:
        """Create a computer PreStage whose custom packages are ``package_ids``; its id."""
        ids = tuple(str(package_id) for package_id in package_ids)
        return self._parts.prestages.create(name, ids).id

    @property
    def cdn_type(self) -> str:
        """The cloud distribution point's type; ``"NONE"`` when there is none."""
        return self._parts.point.cdn_type

    def set_cdn_type(self, cdn_type: str) -> None:
        """Change the cloud distribution point's type (``reset()`` restores the
        constructor's); ``ValueError`` for a type Jamf does not have."""
        self._parts.point.set_cdn_type(cdn_type)

    @property
    def refresh_all_interval_seconds(self) -> float:
        return self._parts.refreshes.interval

    def set_refresh_all_interval(self, seconds: float) -> None:
        """Seconds an inventory refresh of every file must wait for the previous one
        (``reset()`` restores the constructor's and forgets the previous refresh)."""
        self._parts.refreshes.set_interval(seconds)

    def expire_tokens(self) -> None:
        """Make every bearer token issued so far expire now."""
        self._parts.tokens.expire_all()

    def set_token_ttl(self, seconds: float) -> None:
        """The lifetime of bearer tokens issued from now on."""
        self._parts.tokens.set_ttl(seconds)
        self.token_ttl_seconds = seconds

    def issued_tokens(self) -> list[str]:
        """Every bearer token issued so far (expired and revoked ones too), oldest first."""
        return self._parts.tokens.issued()

    def issued_upload_credentials(self) -> list[dict[str, str]]:
        """``{accessKeyID, secretAccessKey, sessionToken}`` of every JCDS upload ticket."""
        return self._parts.issued.credentials()

    def issued_download_urls(self) -> list[str]:
        """Every download URL the Jamf route handed out, as handed out."""
        return self._parts.issued.download_urls()
