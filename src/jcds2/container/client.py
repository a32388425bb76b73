"""The public entry point: ``JamfProClient`` and its ``jcds2`` interface."""

from __future__ import annotations

import os
from types import TracebackType

from dependency_injector import providers

from jcds2.adapters.jamf_auth import CredentialsProvider
from jcds2.application.ports import ProgressCallback
from jcds2.container.containers import Jcds2Container
from jcds2.domain.errors import ConfigurationError, InvalidFileNameError
from jcds2.domain.models import DownloadResult, RemoteFile, UploadResult
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import TransferConfig


class Jcds2:
    """File operations on the Jamf Cloud Distribution Service of one server."""

    def __init__(self, container: Jcds2Container) -> None:
        self._container = container

    def __repr__(self) -> str:
        return f"Jcds2({self._container.server().base_url!r})"

    def upload_file(
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
        """Upload ``file_path`` to the JCDS and create its package object.

        Refuses a file name a package already uses (``PackageExistsError``). The
        package is named ``package_name`` (default: the file name) and records the
        file's SHA-512. ``progress`` is called with byte counts as they are sent.
        """
        path_text = os.fspath(file_path)
        if "\x00" in path_text:
            # No file system can hold it, and the OS would raise a bare ValueError.
            raise InvalidFileNameError(path_text, "it contains a NUL character")
        upload = self._container.upload_package_file()
        return upload(
            file_path,
            package_name=package_name,
            category=category,
            info=info,
            notes=notes,
            priority=priority,
            progress=progress,
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
        """Download JCDS file ``file_name`` to ``download_path``.

        A directory gets the file name appended. An existing file is replaced only with
        ``overwrite=True``; on any failure the destination is not created. A failed or
        interrupted download keeps ``<destination>.part`` and ``.part.json`` so that the
        next call fetches only what is missing (``resume=False``: start afresh, and
        remove them on failure). The whole file is verified before it is renamed.
        """
        download = self._container.download_file()
        return download(
            file_name, download_path, overwrite=overwrite, resume=resume, progress=progress
        )

    def list_files(self) -> list[RemoteFile]:
        """Every file in the JCDS, with size and the hashes the server reports."""
        return self._container.file_store().list_files()

    def delete_file(self, file_name: str) -> None:
        """Delete a JCDS file (its package object, if any, stays)."""
        self._container.file_store().delete(file_name)


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
    """

    def __init__(
        self,
        server: str,
        credentials: CredentialsProvider,
        *,
        transfer_config: TransferConfig | None = None,
        verify: bool | str = True,
        s3_endpoint_url: str | None = None,
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
            {"server": server, "verify": verify, "s3_endpoint_url": s3_endpoint_url}
        )
        if transfer_config is not None:
            self.container.transfer_config.override(providers.Object(transfer_config))
        self.container.init_resources()
        self.jcds2 = Jcds2(self.container)

    def __repr__(self) -> str:
        return f"JamfProClient({self.server.base_url!r})"

    def close(self) -> None:
        """Invalidate the session's token and close its connections."""
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
