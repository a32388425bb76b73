"""The public entry point: ``JamfProClient`` and its ``jcds2`` interface."""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from types import TracebackType

from dependency_injector import providers

from jcds2.adapters.jamf_auth import CredentialsProvider
from jcds2.adapters.pro_packages import UploadCapability
from jcds2.application.batch import BatchProgress, UploadPackageFiles
from jcds2.application.cancel import CancelToken
from jcds2.application.download import DownloadFile
from jcds2.application.ports import FileStore, ProgressCallback
from jcds2.application.upload import UploadPackageFile
from jcds2.container.containers import Jcds2Container
from jcds2.domain.errors import ConfigurationError, InvalidFileNameError
from jcds2.domain.models import (
    BatchItem,
    DownloadResult,
    OnExists,
    Package,
    RemoteFile,
    UploadResult,
)
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import TransferConfig


def _check_path(file_path: str | os.PathLike[str]) -> None:
    path_text = os.fspath(file_path)
    if "\x00" in path_text:
        # No file system can hold it, and the OS would raise a bare ValueError.
        raise InvalidFileNameError(path_text, "it contains a NUL character")


class _Route:
    """Upload and download through one route; the subclasses say which."""

    _upload_provider = "upload_package_file"
    _batch_provider = "upload_package_files"
    _download_provider = "download_file"

    def __init__(self, container: Jcds2Container) -> None:
        self._container = container

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._container.server().base_url!r})"

    def upload_file(
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
        """Upload ``file_path`` and make it a package (named ``package_name``, default:
        the file name).

        ``on_exists`` says what to do when a package already uses the file name:
        ``"fail"`` (``PackageExistsError``, the default), ``"skip"`` (return that package
        without sending a byte if its file has the same hash; ``PackageExistsError`` if
        not) or ``"replace"`` (upload the file in place of the package's, keeping the
        package and its id). With ``verify`` (the default) the call returns once the
        distribution point reports the file's hash and size (and ``READY`` on the packages
        route; at most ``TransferConfig.verify_timeout`` seconds). ``progress`` is called
        with byte counts as they are sent; ``cancel`` stops the upload from another thread.
        """
        _check_path(file_path)
        upload: UploadPackageFile = getattr(self._container, self._upload_provider)()
        return upload(
            file_path,
            package_name=package_name,
            category=category,
            info=info,
            notes=notes,
            priority=priority,
            on_exists=on_exists,
            verify=verify,
            progress=progress,
            cancel=cancel,
        )

    def upload_files(
        self,
        file_paths: Sequence[str | os.PathLike[str]],
        *,
        workers: int = 2,
        category: str | None = None,
        info: str | None = None,
        notes: str | None = None,
        priority: int = 10,
        on_exists: OnExists | str = OnExists.FAIL,
        verify: bool = True,
        progress: BatchProgress | None = None,
        cancel: CancelToken | None = None,
    ) -> list[BatchItem]:
        """Upload several files, at most ``workers`` at once; one ``BatchItem`` (a result
        or the ``Jcds2Error`` met) per file, in order. Each package is named after its
        file. ``progress`` gets the file name with each byte count."""
        for path in file_paths:
            _check_path(path)
        batch: UploadPackageFiles = getattr(self._container, self._batch_provider)()
        return batch(
            file_paths,
            workers=workers,
            category=category,
            info=info,
            notes=notes,
            priority=priority,
            on_exists=on_exists,
            verify=verify,
            progress=progress,
            cancel=cancel,
        )

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

        A directory gets the file name appended. An existing file is replaced only with
        ``overwrite=True``; on any failure the destination is not created. A failed or
        interrupted download keeps ``<destination>.part`` and ``.part.json`` so that the
        next call fetches only what is missing (``resume=False``: start afresh, and
        remove them on failure). The whole file is verified before it is renamed.
        """
        download: DownloadFile = getattr(self._container, self._download_provider)()
        return download(
            file_name, download_path, overwrite=overwrite, resume=resume, progress=progress
        )


class Jcds2(_Route):
    """Files of the distribution point, through the seed's route.

    For the JCDS (the default): files through ``/api/v1/jcds`` (deprecated by Jamf on
    2025-08-28, still served), bytes through S3, the package created after the upload
    with the Classic API. For a file share (``JamfProClient(file_share=...)``): files
    copied into the share's Packages folder, the package created the same way.
    """

    def list_files(self) -> list[RemoteFile]:
        """Every file of the distribution point, with size and the hashes it reports."""
        store: FileStore = self._container.file_store()
        return store.list_files()

    def delete_file(self, file_name: str) -> None:
        """Delete a file (its package object, if any, stays)."""
        self._container.file_store().delete(file_name)


class Packages(_Route):
    """Jamf's supported route: ``/api/v1/packages`` and ``/api/v1/packages/{id}/upload``.

    Uploads create the package first, send the file into it, ask for an inventory
    refresh and wait until Jamf Pro reports the file's SHA3-512, size and ``READY``
    (``TransferConfig.verify_timeout``, 20 minutes by default). A package made by a
    failed upload is deleted again. Downloads use the JCDS's download URLs.
    """

    _upload_provider = "packages_upload_file"
    _batch_provider = "packages_upload_files"
    _download_provider = "packages_download_file"

    def find(self, file_name: str) -> Package | None:
        """The package that uses ``file_name``, or ``None``."""
        return self._container.packages_repository().find_by_file_name(file_name)

    def find_by_name(self, package_name: str) -> Package | None:
        """The package named ``package_name``, or ``None``."""
        return self._container.packages_repository().find_by_name(package_name)

    def get(self, package_id: int) -> Package | None:
        """The package with ``package_id`` as Jamf Pro reports it now, or ``None``."""
        return self._container.packages_repository().get(package_id)

    def delete(self, package_id: int) -> None:
        """Delete a package and, as Jamf Pro does, its file. A missing one is no error."""
        self._container.packages_repository().delete(package_id)

    def upload_capability(self) -> UploadCapability:
        """Whether the server's cloud distribution point takes direct uploads."""
        return self._container.server_info().upload_capability()


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
    configuration decides (``AWS_ENDPOINT_URL_S3`` works). ``file_share`` (a mounted
    share's path, e.g. ``/Volumes/CasperShare``) makes ``jcds2`` work with that file-share
    distribution point instead of the JCDS. Use it as a context manager, or call
    :meth:`close`, to end the session and invalidate its token.

    ``client.jcds2`` is the seed's route; ``client.packages`` is Jamf's supported one.
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
    ) -> None:
        if not isinstance(credentials, CredentialsProvider):
            raise ConfigurationError(
                "credentials must be a BasicAuthProvider, an ApiClientCredentialsProvider "
                "or another CredentialsProvider"
            )
        if isinstance(verify, str) and not os.path.exists(verify):
            raise ConfigurationError(f"the CA bundle {verify} does not exist")
        self.server = JamfServer.parse(server)
        self.container = Jcds2Container(credentials=providers.Object(credentials))
        self.container.config.from_dict(
            {
                "server": server,
                "verify": verify,
                "s3_endpoint_url": s3_endpoint_url,
                "distribution_point": "jcds" if file_share is None else "file_share",
                "file_share_path": None if file_share is None else os.fspath(file_share),
            }
        )
        if transfer_config is not None:
            self.container.transfer_config.override(providers.Object(transfer_config))
        self.container.init_resources()
        self.jcds2 = Jcds2(self.container)
        self.packages = Packages(self.container)
        self._close_lock = threading.Lock()
        self._closed = False
        self._exit_hook = _close_at_exit(self)

    def __repr__(self) -> str:
        return f"JamfProClient({self.server.base_url!r})"

    def server_version(self) -> str:
        """The Jamf Pro version the server reports, e.g. ``"11.30.1-t1700000000000"``."""
        return self.container.server_info().server_version()

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
