"""The public entry point: ``JamfProClient`` and its ``jcds2`` interface."""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import attrs
from dependency_injector import providers

from jcds2.adapters.file_share import FolderOpener
from jcds2.adapters.jamf_auth import CredentialsProvider
from jcds2.application.audit import DEFAULT_PENDING_WAIT, AuditDistributionPoint
from jcds2.application.batch import BatchProgress, UploadPackageFiles
from jcds2.application.cancel import CancelToken
from jcds2.application.download import DownloadFile
from jcds2.application.edit import EditPackage
from jcds2.application.package_status import ReadPackageStatus
from jcds2.application.package_usage import DeletePackage
from jcds2.application.ports import (
    FileStore,
    PackageCatalog,
    PackageRepository,
    ProgressCallback,
    ServerInfo,
)
from jcds2.application.remote_files import RemoveFile, VerifyFile
from jcds2.application.sync import SyncDistributionPoints
from jcds2.application.upload import UploadOptions, UploadPackageFile, check_upload_source
from jcds2.container.containers import Jcds2Container
from jcds2.domain.audit import AuditReport
from jcds2.domain.errors import ConfigurationError, InvalidFileNameError
from jcds2.domain.flat_package import PackageCheck
from jcds2.domain.models import (
    BatchItem,
    DownloadResult,
    FileComparison,
    Package,
    RemoteFile,
    UploadCapability,
    UploadResult,
)
from jcds2.domain.package_settings import EditResult
from jcds2.domain.plans import RemovePlan, UploadPlan
from jcds2.domain.server import JamfServer, check_transport_url
from jcds2.domain.status import PackageStatus
from jcds2.domain.sync import DEFAULT_WORKERS, Endpoint, StepResult, SyncPlan, SyncReport
from jcds2.domain.transfer import TransferConfig


def _check_path(file_path: str | os.PathLike[str]) -> None:
    path_text = os.fspath(file_path)
    if "\x00" in path_text:
        # No file system can hold it, and the OS would raise a bare ValueError.
        raise InvalidFileNameError(path_text, "it contains a NUL character")


class Jcds2:
    """The files of the client's route: upload, download, list and delete.

    The route is the client's (``JamfProClient(route=..., file_share=...)``): the JCDS
    files route by default (files through ``/api/v1/jcds``, bytes through S3, the package
    created after the upload with the Classic API), Jamf's packages route (the package
    first, the file into it, verified by the server), or a file share (files copied into
    its Packages folder, the package created after the copy).
    """

    def __init__(self, container: Jcds2Container) -> None:
        self._container = container

    def __repr__(self) -> str:
        return f"Jcds2({self._container.server().base_url!r})"

    @property
    def route(self) -> str:
        """The route in use: ``"jcds"``, ``"packages"`` or ``"file_share"``."""
        route: str = self._container.route()
        return route

    def upload_file(
        self,
        file_path: str | os.PathLike[str],
        options: UploadOptions | None = None,
        **keywords: Any,
    ) -> UploadResult:
        """Upload ``file_path`` and make it a package; ``options`` (an
        :class:`~jcds2.application.upload.UploadOptions`) or its fields as keywords:

        ``package_name`` (default: the file name), ``category``, ``info``, ``notes``,
        ``priority`` (default: 10); ``on_exists``, what to do when a package already uses
        the file name: ``"fail"`` (``PackageExistsError``, the default), ``"skip"`` (return
        that package without sending a byte if its file has the same hash;
        ``PackageExistsError`` if not) or ``"replace"`` (upload the file in place of the
        package's, keeping the package and its id); with ``"skip"`` and ``"replace"`` the
        package options given are written to that package (as :meth:`Packages.update` does;
        ``UploadResult.changed_fields`` says which changed); ``verify`` (the default: return
        once the distribution point reports the file's hash and size, and ``READY`` on the
        packages route; at most ``TransferConfig.verify_deadline(size)`` seconds:
        ``verify_timeout`` plus ``verify_timeout_per_gib`` per GiB); ``progress``, called
        with byte counts as they are sent; ``on_phase``, called with an
        :class:`~jcds2.UploadEvent` as the upload starts hashing, sending and verifying,
        and at each look at the server while it verifies; ``cancel``, a ``CancelToken``
        that stops the upload from another thread; ``require_signed``, refuse a ``.pkg``
        without a signature (``UnsignedPackageError``).

        Before any request, the guardrails check the file: a type Jamf Pro takes (``.pkg``,
        ``.mpkg``, ``.dmg``, ``.zip``; ``UnsupportedFileTypeError``) and, for a ``.pkg``
        or ``.mpkg``, a well-formed flat package (``MalformedPackageError``). The result's
        ``signed_by`` names a signed package's signer.
        """
        _check_path(file_path)
        upload: UploadPackageFile = self._container.upload_package_file()
        return upload(file_path, options, **keywords)

    def upload_files(
        self,
        file_paths: Sequence[str | os.PathLike[str]],
        options: UploadOptions | None = None,
        *,
        workers: int = 2,
        progress: BatchProgress | None = None,
        **keywords: Any,
    ) -> list[BatchItem]:
        """Upload several files, at most ``workers`` at once; one ``BatchItem`` (a result
        or the ``Jcds2Error`` met) per file, in order. Each package is named after its
        file. ``progress`` gets the file name with each byte count, ``on_phase`` every
        file's events (each names its file); the other options are those of
        :meth:`upload_file`."""
        for path in file_paths:
            _check_path(path)
        batch: UploadPackageFiles = self._container.upload_package_files()
        return batch(file_paths, options, workers=workers, progress=progress, **keywords)

    def plan_upload(
        self,
        file_path: str | os.PathLike[str],
        options: UploadOptions | None = None,
        **keywords: Any,
    ) -> UploadPlan:
        """What :meth:`upload_file` with these arguments would do (``create``, ``skip``,
        ``replace`` or ``fail``), the category it would use and what the guardrails found;
        only reads, on the server and of the file. Raises as the upload would before it
        looks at the packages (``PackageCheckError``, ``UnknownCategoryError``, ...)."""
        _check_path(file_path)
        upload: UploadPackageFile = self._container.upload_package_file()
        return attrs.evolve(upload.plan(file_path, options, **keywords), route=self.route)

    def check_file(
        self, file_path: str | os.PathLike[str], *, require_signed: bool = False
    ) -> PackageCheck:
        """The guardrails alone, without a request: what they found in ``file_path``, or
        the ``LocalFileError`` an upload would raise (``PackageCheckError`` and others)."""
        _check_path(file_path)
        return check_upload_source(file_path, require_signed=require_signed)[1]

    def download_file(
        self,
        file_name: str,
        download_path: str | os.PathLike[str] = ".",
        *,
        overwrite: bool = False,
        resume: bool = True,
        progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        """Download file ``file_name`` to ``download_path``.

        A directory gets the file name appended. An existing file, or one that appears
        during the download, is replaced only with ``overwrite=True``; on any failure the
        destination is not created. A second download into the same destination while
        one runs raises ``DownloadInProgressError``. A failed or
        interrupted download keeps ``<destination>.part`` and ``.part.json`` so that the
        next call fetches only what is missing (``resume=False``: start afresh, and
        remove them on failure). The whole file is verified before it is renamed.
        """
        download: DownloadFile = self._container.download_file()
        return download(
            file_name, download_path, overwrite=overwrite, resume=resume, progress=progress
        )

    def list_files(self) -> list[RemoteFile]:
        """Every file of the distribution point, with size and the hashes it reports."""
        store: FileStore = self._container.file_store()
        return store.list_files()

    def delete_file(self, file_name: str) -> None:
        """Delete a file (its package object, if any, stays)."""
        store: FileStore = self._container.file_store()
        store.delete(file_name)

    def remove_file(self, file_name: str, *, force: bool = False) -> int | None:
        """Delete the package that uses ``file_name`` and the file; the package's id, or
        ``None`` if no package used it (``RemoteFileNotFoundError``: neither was there).

        A package that a policy or computer PreStage uses is not deleted
        (``PackageInUseError`` names them), nor one whose users cannot be read
        (``PackageUsageUnknownError``), unless ``force=True``."""
        remove: RemoveFile = self._container.remove_file()
        return remove(file_name, force=force)

    def plan_remove(self, file_name: str, *, force: bool = False) -> RemovePlan:
        """What :meth:`remove_file` would delete (the package that uses ``file_name``, the
        file, what uses the package, and why it would refuse), found by reading only;
        ``RemoteFileNotFoundError`` when neither is there."""
        remove: RemoveFile = self._container.remove_file()
        return remove.plan(file_name, force=force)

    def verify_file(self, file_name: str, path: str | os.PathLike[str]) -> FileComparison:
        """Compare the distribution point's ``file_name`` with the local file ``path`` by
        the strongest hash the server reports (``FileComparison.match``)."""
        verify: VerifyFile = self._container.verify_file()
        return verify(file_name, path)


class Packages:
    """Package objects on the Jamf Pro server, through the Pro API's ``/api/v1/packages``:
    find, read, edit (:meth:`update`) and delete them."""

    def __init__(self, container: Jcds2Container) -> None:
        self._container = container

    def __repr__(self) -> str:
        return f"Packages({self._container.server().base_url!r})"

    def _repository(self) -> PackageRepository:
        repository: PackageRepository = self._container.pro_package_repository()
        return repository

    def find(self, file_name: str) -> Package | None:
        """The package that uses ``file_name``, or ``None``."""
        return self._repository().find_by_file_name(file_name)

    def find_by_name(self, package_name: str) -> Package | None:
        """The package named ``package_name``, or ``None``."""
        return self._repository().find_by_name(package_name)

    def get(self, package_id: int) -> Package | None:
        """The package with ``package_id`` as Jamf Pro reports it now, or ``None``."""
        return self._repository().get(package_id)

    def update(
        self,
        package: Package | int | str,
        *,
        create_category: bool = False,
        dry_run: bool = False,
        **fields: Any,
    ) -> EditResult:
        """Change settings of ``package`` (a ``Package``, its id, or its display or file
        name) without uploading its file again; ``PackageNotFoundError`` if there is none.

        ``fields``: ``package_name``, ``category`` (a name or an id; ``-1`` for none),
        ``info``, ``notes``, ``os_requirements`` (text; ``""`` clears), ``priority``
        (1-20), and the flags ``reboot_required``, ``fill_user_template``,
        ``fill_existing_users``, ``os_install``, ``suppress_updates``,
        ``suppress_from_dock``, ``suppress_eula``, ``suppress_registration``. Another name
        raises ``UnknownPackageFieldError``, a value of the wrong kind
        ``InvalidPackageFieldError``; an unknown category ``UnknownCategoryError``
        unless ``create_category=True``.

        Only the fields that differ are written, and nothing when none does
        (``EditResult.written`` is ``False``); ``dry_run=True`` writes nothing and says
        what would change. After a write the package is read back: the fields must be as
        written, and the size and hashes as before (a size Jamf Pro blanked on the write
        is brought back with an inventory refresh of the file, waited for), else
        ``PackageEditError``.
        """
        edit: EditPackage = self._container.edit_package()
        return edit(package, fields, create_category=create_category, dry_run=dry_run)

    def delete(self, package_id: int, *, force: bool = False) -> None:
        """Delete a package and, as Jamf Pro does, its file. A missing one is no error.

        A package that a policy or computer PreStage uses is not deleted
        (``PackageInUseError``), nor one whose users cannot be read
        (``PackageUsageUnknownError``), unless ``force=True``."""
        delete: DeletePackage = self._container.delete_package()
        delete(package_id, force=force)

    def all(self) -> list[Package]:
        """Every package, by id, with the size, hashes and transfer status Jamf Pro reports:
        one request per page of packages."""
        catalog: PackageCatalog = self._container.package_catalog()
        return catalog.list_packages()

    def status(self, names: str | Sequence[str] | None = None) -> list[PackageStatus]:
        """Each package's id, name, file, size, hash and the distribution point's transfer
        status (a :class:`~jcds2.domain.status.PackageStatus`).

        ``names`` are package names or file names (or one, as a string), one status each
        in the order given
        (``NO_PACKAGE`` for a name no package has); ``None``: every package, by id. The
        status is ``READY``, ``PENDING`` or ``ERROR`` as the package record
        (``cloudTransferStatus``) and the cloud distribution point's inventory report it,
        the worse of the two; ``NO_FILE`` when the distribution point does not hold the
        file; ``NOT_APPLICABLE`` on a file share (no transfers to report). It takes two
        listings (a request per page each), however many packages there are.
        """
        read: ReadPackageStatus = self._container.read_package_status()
        if isinstance(names, str):
            names = [names]
        return read(None if names is None else list(names))

    def upload_capability(self) -> UploadCapability:
        """Whether the server's cloud distribution point takes direct uploads."""
        info: ServerInfo = self._container.server_info()
        return info.upload_capability()


class JamfProClient:
    """A client for one Jamf Pro server.

    >>> client = JamfProClient("example.jamfcloud.com", BasicAuthProvider("user", "pass"))
    >>> client.jcds2.upload_file(file_path="/path/to/my.pkg")  # doctest: +SKIP

    ``server`` is a host name (HTTPS is implied) or a full URL; plain ``http`` is
    refused except to loopback addresses. ``verify`` is ``True`` (the default: verify
    TLS with the system's trust, or ``REQUESTS_CA_BUNDLE`` if set), a path to a CA bundle,
    or ``False`` (not advised); it applies to the Jamf Pro server, the download host and
    S3 alike, and a CA bundle or ``False`` wins over ``REQUESTS_CA_BUNDLE``.
    ``s3_endpoint_url`` points uploads at another S3 endpoint; by default boto3's own
    configuration decides (``AWS_ENDPOINT_URL_S3`` works). Use it as a context manager,
    or call :meth:`close`, to end the session and invalidate its token.

    ``route`` is the route ``client.jcds2`` uploads along: ``"jcds"`` (the default: the
    JCDS files route), ``"packages"`` (Jamf's packages route) or ``"auto"`` (the packages
    route where the server's cloud distribution point takes direct uploads, asked once, at
    the first upload). ``file_share`` (a mounted share's path, e.g.
    ``/Volumes/CasperShare``) makes it the file-share route instead of the JCDS.
    ``client.packages`` reads, edits and deletes package objects.
    """

    def __init__(
        self,
        server: str,
        credentials: CredentialsProvider,
        *,
        transfer_config: TransferConfig | None = None,
        verify: bool | str = True,
        s3_endpoint_url: str | None = None,
        file_share: str | os.PathLike[str] | None = None,
        route: str = "jcds",
    ) -> None:
        if not isinstance(credentials, CredentialsProvider):
            raise ConfigurationError(
                "credentials must be a BasicAuthProvider, an ApiClientCredentialsProvider "
                "or another CredentialsProvider"
            )
        if isinstance(verify, str) and not os.path.exists(verify):
            raise ConfigurationError(f"the CA bundle {verify} does not exist")
        self.server = JamfServer.parse(server)
        if s3_endpoint_url:
            check_transport_url(s3_endpoint_url, "the S3 endpoint")
        self.container = Jcds2Container(credentials=providers.Object(credentials))
        self.container.config.from_dict(
            {
                "server": server,
                "verify": verify,
                "s3_endpoint_url": s3_endpoint_url,
                "route": route,
                "file_share_path": None if file_share is None else os.fspath(file_share),
            }
        )
        if transfer_config is not None:
            self.container.transfer_config.override(providers.Object(transfer_config))
        self.container.init_resources()
        if route != "auto" or file_share is not None:
            self.container.route()  # checked now; only "auto" must ask the server
        self.jcds2 = Jcds2(self.container)
        self.packages = Packages(self.container)
        self._close_lock = threading.Lock()
        self._closed = False
        self._exit_hook = _close_at_exit(self)

    def __repr__(self) -> str:
        return f"JamfProClient({self.server.base_url!r})"

    def audit(
        self,
        *,
        pending_wait: float = DEFAULT_PENDING_WAIT,
        fix: bool = False,
        remove_unused: bool = False,
    ) -> AuditReport:
        """Audit the distribution point in one pass (an :class:`~jcds2.domain.audit.AuditReport`):
        files without a package (orphans), packages whose file is missing, whose file's
        hash (SHA3-512 or MD5, as the package records it) is not the recorded one, whose
        transfer is in ``ERROR`` or still ``PENDING`` after ``pending_wait`` seconds, and
        which policies and computer PreStages use each package.

        ``fix=True`` removes the orphan files, and with ``remove_unused=True`` the packages
        nothing uses (with their files); nothing else is changed. No package is called
        unused when what uses the packages could not be read (``usage_error`` says why).
        """
        audit: AuditDistributionPoint = self.container.audit_distribution_point()
        return audit(pending_wait=pending_wait, fix=fix, remove_unused=remove_unused)

    def server_version(self) -> str:
        """The Jamf Pro version the server reports, e.g. ``"11.30.1-t1700000000000"``."""
        info: ServerInfo = self.container.server_info()
        return info.server_version()

    def sync(
        self,
        source: Endpoint | str,
        *destinations: Endpoint | str,
        delete: bool = False,
        dry_run: bool = False,
        force: bool = False,
        workers: int = DEFAULT_WORKERS,
        progress: ProgressCallback | None = None,
        on_plan: Callable[[SyncPlan], None] | None = None,
        on_result: Callable[[StepResult], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> SyncReport:
        """Make each of ``destinations`` hold the files ``source`` holds, compared by
        content (size and hashes; never by size and date alone); a
        :class:`~jcds2.domain.sync.SyncReport` with the plan and one result per file.

        A point is ``"jcds"`` (this server's cloud distribution point: uploads replace the
        file of the package that has it, keeping its id, and make a package for a new
        file), ``"share:PATH"`` (a mounted file share: its ``Packages`` folder) or a
        folder's path, or an :class:`~jcds2.domain.sync.Endpoint`. ``delete`` removes
        what the source does not hold, but never a file on the JCDS or a share whose
        package a policy or PreStage uses (nor any, when that cannot be checked) unless
        ``force``. ``dry_run`` only plans. A destination that cannot be reached is
        reported (``DestinationPlan.error``) and skipped; ``SyncReport.in_sync`` says
        whether every destination now matches. ``progress`` gets byte counts of every
        file, ``on_plan`` the plan before anything changes, ``on_result`` each file's
        :class:`~jcds2.domain.sync.StepResult` as it ends (from worker threads).
        """
        if self.container.config.file_share_path() is not None:
            points = [source, *destinations]
            if any(str(point) == "jcds" for point in points):
                raise ConfigurationError(
                    "sync's jcds is the cloud distribution point: make the client without "
                    "file_share, and name the share as share:PATH"
                )
        use_case: SyncDistributionPoints = self.container.sync_distribution_points(workers=workers)
        return use_case(
            source,
            *destinations,
            delete=delete,
            dry_run=dry_run,
            force=force,
            progress=progress,
            on_plan=on_plan,
            on_result=on_result,
            cancel=cancel,
        )

    def close(self) -> None:
        """Invalidate the session's token and close its connections.

        A client that is never closed is closed when the interpreter exits (an ``atexit``
        hook that holds the client only weakly); one that is garbage-collected first
        just lets its token expire. Closing twice does nothing the second time.
        """
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self._exit_hook)
        self.container.shutdown_resources()

    def __enter__(self) -> JamfProClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _close_at_exit(client: JamfProClient) -> Callable[[], None]:
    """Register an ``atexit`` hook that closes ``client`` if it is still open then.

    The hook holds the client weakly, so a client nobody uses any more is collected as
    usual (and its hook unregistered with it). Nothing is done from a finalizer: at
    interpreter shutdown Python may have torn down what an HTTP request needs.
    """

    def close_at_exit() -> None:
        alive = reference()
        if alive is not None:
            alive.close()

    # Bound now: a client collected while the interpreter tears its modules down must not
    # need a module global any more.
    def forget(
        _: object, unregister: Callable[[Callable[[], None]], None] = atexit.unregister
    ) -> None:
        unregister(close_at_exit)

    reference = weakref.ref(client, forget)
    atexit.register(close_at_exit)
    return close_at_exit


def sync_folders(
    source: Endpoint | str,
    *destinations: Endpoint | str,
    delete: bool = False,
    dry_run: bool = False,
    force: bool = False,
    workers: int = DEFAULT_WORKERS,
    progress: ProgressCallback | None = None,
    on_plan: Callable[[SyncPlan], None] | None = None,
    on_result: Callable[[StepResult], None] | None = None,
    cancel: CancelToken | None = None,
    transfer_config: TransferConfig | None = None,
) -> SyncReport:
    """:meth:`JamfProClient.sync` between folders and shares, without a Jamf Pro server.

    Nothing can tell what uses a share's packages here, so with ``delete`` a share's
    files are deleted only with ``force`` (a plain folder's always are); ``"jcds"`` is
    refused (``UsageError``).
    """
    use_case = SyncDistributionPoints(folders=FolderOpener(transfer_config), workers=workers)
    return use_case(
        source,
        *destinations,
        delete=delete,
        dry_run=dry_run,
        force=force,
        progress=progress,
        on_plan=on_plan,
        on_result=on_result,
        cancel=cancel,
    )
