"""The ports: what the use-cases need from the outside world, in domain terms only.

Adapters implement these for a real system (Jamf's Classic and Pro APIs, S3, HTTP range
requests); ``jcds2.testing`` implements them in memory. Each method states what it
raises; every error is a :class:`~jcds2.domain.errors.Jcds2Error`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Protocol, runtime_checkable

from jcds2.application.cancel import CancelToken
from jcds2.domain.models import (
    Category,
    HashType,
    LocalFile,
    Package,
    PackageSpec,
    RemoteFile,
    StoredFileState,
    UploadCapability,
    UploadTarget,
)
from jcds2.domain.package_settings import PackageSettings
from jcds2.domain.progress import UploadEvent
from jcds2.domain.status import FileInventory
from jcds2.domain.sync import PointFile
from jcds2.domain.transfer import ByteRange
from jcds2.domain.usage import PackageUsage

#: Called with a number of bytes just moved. May be called from worker threads.
ProgressCallback = Callable[[int], None]

#: Called when an upload enters a phase, and at each look at the server while verifying.
#: May be called from worker threads (a batch's uploads); must not raise.
PhaseCallback = Callable[[UploadEvent], None]

#: Receives downloaded bytes and the file offset they belong at. May raise to stop a fetch.
RangeSink = Callable[[int, memoryview], None]


@runtime_checkable
class PackageRepository(Protocol):
    """Package objects: the records policies use to install a file."""

    def find_by_file_name(self, file_name: str) -> Package | None:
        """The package whose file name is exactly ``file_name``, or ``None``.

        Takes a constant number of requests, however many packages the server has.
        Raises ``JamfApiError`` (or a subclass) when the server cannot answer.
        """
        ...

    def find_by_name(self, name: str) -> Package | None:
        """The package whose display name is exactly ``name``, or ``None``."""
        ...

    def get(self, package_id: int) -> Package | None:
        """The package with ``package_id`` as the server reports it now, or ``None``."""
        ...

    def create(self, spec: PackageSpec) -> Package:
        """Create a package object and return it with its new id.

        Raises ``PackageNameTakenError`` if the display name is in use, ``JamfApiError``
        otherwise. Nothing is created when it raises (as far as the server tells).
        """
        ...

    def record_hash(self, package_id: int, hash_type: HashType, hash_value: str) -> None:
        """Record a new hash for a package whose file was replaced (file-first stores)."""
        ...

    def delete(self, package_id: int) -> None:
        """Delete a package object. Deleting a missing package is not an error.

        On Jamf Pro this deletes the package's file in the JCDS as well.
        """
        ...


@runtime_checkable
class PackageSettingsStore(Protocol):
    """The settings admins set on package objects (category, info, priority, ...): read
    them and change some of them. The package repositories of the Classic and Pro APIs
    implement it beside ``PackageRepository``."""

    def read_settings(self, package_id: int) -> PackageSettings | None:
        """The package's settings as the server reports them now (``None`` for a field the
        API does not report), or ``None`` if there is no such package. Raises
        ``JamfApiError`` when the server cannot answer."""
        ...

    def write_settings(self, package_id: int, changes: PackageSettings) -> None:
        """Set the fields ``changes`` gives (not ``None``) and leave every other field,
        the server-managed ones included, as the server has it.

        Raises ``UnsupportedPackageFieldError`` for a field this API cannot set (before
        anything is sent), ``PackageNameTakenError`` for a display name in use,
        ``UnknownCategoryError`` for a category the server does not have,
        ``PackageNotFoundError`` when the package is gone, ``JamfApiError`` otherwise.
        """
        ...


@runtime_checkable
class PackageCatalog(Protocol):
    """Many package records at once, with what the server reports about their files."""

    def list_packages(self, names: Collection[str] | None = None) -> list[Package]:
        """Every package whose display name or file name is one of ``names`` (``None``:
        every package), by ascending id, with size, hashes and transfer status where the
        server reports them.

        Takes a constant number of requests per page of results, however many names are
        asked for. Raises ``JamfApiError`` (``TooManyPagesError`` when the pages do not
        end) when the server cannot answer.
        """
        ...


@runtime_checkable
class DistributionInventory(Protocol):
    """What a distribution point reports about the transfers of its files."""

    def file_inventory(self, file_names: Collection[str] | None = None) -> FileInventory:
        """The files the distribution point holds among ``file_names`` (``None``: all of
        them), each with its transfer status; a file missing from the answer is not held.

        Takes a constant number of requests per page of results. A distribution point
        without transfer statuses (a file share) answers ``tracks_transfers=False``.
        Raises ``Jcds2Error`` when it cannot answer.
        """
        ...


@runtime_checkable
class PackageUsers(Protocol):
    """What uses the server's packages: policies and computer PreStage enrollments."""

    def package_usage(self) -> PackageUsage:
        """Every package that a policy or a PreStage uses, by package id, with those
        objects (sorted by kind, then id). Raises ``JamfApiError`` when the server cannot
        answer (``PermissionDeniedError`` when the account may not read policies or
        PreStages): a caller that protects packages from deletion must then refuse, not
        assume nothing uses them."""
        ...


@runtime_checkable
class CategoryDirectory(Protocol):
    """The server's categories (for Jamf Pro, the Pro API's ``/api/v1/categories``), which
    both the Classic and the Pro API file packages under."""

    def find_by_name(self, name: str) -> Category | None:
        """The category named ``name``, or ``None``: one request. An exact match wins;
        otherwise the one category whose name differs only in case (Jamf compares names
        case-insensitively). Raises ``JamfApiError`` when the server cannot answer."""
        ...

    def get(self, category_id: int) -> Category | None:
        """The category with ``category_id``, or ``None``: one request."""
        ...

    def create(self, name: str) -> Category:
        """Create a category named ``name`` and return it; if one of that name appeared
        meanwhile, return that one. Raises ``JamfApiError`` (``PermissionDeniedError``
        when the account may not create categories)."""
        ...


@runtime_checkable
class FileStore(Protocol):
    """The files of a distribution point (for the JCDS, the Pro API's ``jcds/files``)."""

    def open_upload(self, file_name: str, package: Package | None = None) -> UploadTarget:
        """Start a new file upload: where to put ``file_name`` (and credentials, if any).

        ``package`` is the package the file is for; a store that takes files into
        packages (Jamf's packages route) requires it and refuses another file name with
        ``ConfigurationError``.
        """
        ...

    def refresh(self, target: UploadTarget) -> None:
        """Ask the distribution point to take in the file just uploaded to ``target``
        (Jamf's inventory refresh). Stores that need nothing of the kind do nothing."""
        ...

    def describe(self, target: UploadTarget) -> StoredFileState | None:
        """What the distribution point reports now about the file of ``target``, or
        ``None`` if it does not list it (yet). Raises ``Jcds2Error`` on failure."""
        ...

    def download_url(self, file_name: str) -> str:
        """A URL the file can be fetched from with range requests (needs no Jamf token).

        Raises ``RemoteFileNotFoundError`` if there is no such file.
        """
        ...

    def list_files(self) -> list[RemoteFile]:
        """Every file in the store, with size and, where the server reports them, hashes."""
        ...

    def delete(self, file_name: str) -> None:
        """Delete a file. Raises ``RemoteFileNotFoundError`` if there is no such file."""
        ...


@runtime_checkable
class FailedUploads(Protocol):
    """Where a package's upload can be marked failed on the server (Jamf Pro 11.24 and
    later: ``POST /api/v1/cloud-distribution-point/fail-upload/{id}``)."""

    def mark_failed(self, file_name: str) -> bool:
        """Mark the upload of the package file ``file_name`` failed; whether the server did.

        ``False`` when the server has no such route (an older Jamf Pro), no package uses
        the file, or its inventory does not list it. Raises ``Jcds2Error`` when the server
        cannot answer.
        """
        ...


@runtime_checkable
class ObjectUploader(Protocol):
    """Puts a local file where an upload ticket says."""

    def upload(
        self,
        target: UploadTarget,
        source: LocalFile,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> bool:
        """Upload ``source`` as ``target`` says; return whether it went in parts (multipart).

        Raises ``UploadError``; when it raises, no partial or in-progress upload is left behind.
        Raises ``ConfigurationError`` for a target of another distribution point. Once
        ``cancel`` is cancelled it stops as soon as it can with ``TransferCancelledError``.
        """
        ...

    def discard(self, target: UploadTarget) -> bool:
        """Delete what uploads to ``target`` stored, and nothing another upload stored.

        ``True`` once nothing stored through ``target`` is left; ``False`` when this
        uploader cannot tell its own file from another upload's of the same name (the
        caller then decides by what the store serves). Never raises for a failed deletion.
        """
        ...


@runtime_checkable
class RangeFetcher(Protocol):
    """Reads byte ranges of a remote object over HTTP, without any Jamf credentials."""

    def size(self, url: str) -> int:
        """The object's size in bytes. Raises ``DownloadError``."""
        ...

    def fetch(
        self,
        url: str,
        byte_range: ByteRange,
        sink: RangeSink,
        *,
        cancel: CancelToken | None = None,
    ) -> None:
        """Fetch ``byte_range`` of the object and hand every byte of it to ``sink``.

        Checks that the server answered exactly that range (status 206, matching
        ``Content-Range`` and length), retrying transient failures. Raises
        ``DownloadUrlExpiredError`` when the URL is refused (403) and ``DownloadError``
        otherwise; an exception raised by ``sink`` propagates unchanged. Once ``cancel``
        is cancelled it stops as soon as it can (also mid-wait and, where possible,
        mid-read) with ``TransferCancelledError``.
        """
        ...


@runtime_checkable
class ServerInfo(Protocol):
    """Facts about the Jamf Pro server."""

    def server_version(self) -> str:
        """The version Jamf Pro reports, e.g. ``"11.30.1-t1700000000000"``."""
        ...

    def upload_capability(self) -> UploadCapability:
        """What the cloud distribution point says about uploads through Jamf Pro.

        Raises ``PermissionDeniedError`` when the account may not read it.
        """
        ...


@runtime_checkable
class SyncFolder(Protocol):
    """A folder of package files that a sync reads and writes: a plain local folder, or
    the ``Packages`` folder of a mounted file share."""

    def check(self, *, create: bool = False) -> None:
        """Raise ``DistributionPointUnavailableError`` unless the folder is there;
        ``create``: make a missing plain folder (never a share's, which would mean writing
        to an unmounted mount point)."""
        ...

    def list_hashed(self) -> list[PointFile]:
        """Every file with its size, MD5 and SHA3-512, computed locally: a file unchanged
        since it was last hashed (same device, inode, size, modification and change time) is not
        read again. Raises ``DistributionPointUnavailableError`` when the folder is gone."""
        ...

    def path_of(self, file_name: str) -> Path:
        """The path of the folder's file ``file_name`` (to read it)."""
        ...

    def staging(self) -> Path:
        """A hidden folder on the same file system, created if need be, where downloads
        are assembled (and resumed) before :meth:`install` moves them into place."""
        ...

    def copy_in(
        self,
        file_name: str,
        source: Path,
        expected: PointFile,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Copy ``source`` in as ``file_name``: written under a temporary name, read back
        and renamed into place only if its size and hashes are ``expected``'s; raises
        ``IntegrityError`` (and leaves the old file) otherwise, ``TransferError`` when the
        copy fails."""
        ...

    def install(self, file_name: str, staged: Path, expected: PointFile) -> None:
        """Move the verified file ``staged`` (in :meth:`staging`) into place as
        ``file_name``, replacing any file of that name; ``IntegrityError`` if its content
        is not ``expected``'s."""
        ...

    def delete(self, file_name: str) -> None:
        """Delete the folder's file ``file_name``; a missing file is no error."""
        ...
