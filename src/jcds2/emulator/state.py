"""The package store: one set of package records behind both the Classic and Pro views."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Literal

import attrs

NO_CATEGORY_ID = "-1"
TRANSFER_PENDING = "PENDING"
TRANSFER_READY = "READY"
TRANSFER_ERROR = "ERROR"
HASH_TYPE_SHA3_512 = "SHA3_512"


@attrs.frozen
class Principal:
    """Who a bearer token was issued to: a user account or an API client."""

    name: str
    kind: Literal["user", "client"]


@attrs.frozen
class UploadedFile:
    """What an inventory refresh will make known of a file uploaded to a package."""

    file_name: str
    md5: str
    sha256: str
    sha3512: str
    # As the package will report it: the byte count, or "0" after a failed upload.
    size: str
    # Reads of the package that show the new digests with the previous size before the
    # new size shows too (real servers were seen to report the hash first).
    size_lag_reads: int = 0
    # The server fails the transfer: ERROR where it would have gone READY, the previous
    # file's values still shown (the transfer_error fault).
    transfer_fails: bool = False


@attrs.frozen
class LateSize:
    """A size not shown yet although the digests of its file are.

    ``reads_left`` more reads of the package show the previous size; the one after shows
    this one.
    """

    size: str
    reads_left: int


@attrs.frozen
class PendingTransfer:
    """An upload whose file the package does not show yet (``cloudTransferStatus`` PENDING).

    It shows once an inventory refresh asked for after the upload (``refreshed``) and the
    transfer delay since ``uploaded_at`` (the store's clock) have both come.
    """

    file: UploadedFile
    uploaded_at: float
    refreshed: bool = False


@attrs.frozen
class Package:
    """One package record, in Pro API terms plus the few fields only the Classic API shows."""

    id: int
    package_name: str
    file_name: str
    category_id: str = NO_CATEGORY_ID
    info: str | None = None
    notes: str | None = None
    priority: int = 10
    os_requirements: str | None = None
    fill_user_template: bool = False
    fill_existing_users: bool = False
    swu: bool = False
    reboot_required: bool = False
    self_heal_notify: bool = False
    self_healing_action: str | None = None
    os_install: bool = False
    serial_number: str | None = None
    parent_package_id: str | None = None
    base_path: str | None = None
    suppress_updates: bool = False
    ignore_conflicts: bool = False
    suppress_from_dock: bool = False
    suppress_eula: bool = False
    suppress_registration: bool = False
    install_language: str | None = None
    hash_type: str | None = None
    hash_value: str | None = None
    os_installer_version: str | None = None
    manifest: str | None = None
    manifest_file_name: str | None = None
    format: str | None = None
    # Server-managed: set by the upload route and inventory refreshes, never by clients.
    md5: str | None = None
    sha256: str | None = None
    sha3512: str | None = None
    size: str | None = None
    cloud_transfer_status: str | None = None
    indexed: bool = False
    # Upload route bookkeeping, never shown: the upload not shown yet, and the size an
    # inventory refresh shows again after a metadata PUT blanked it.
    pending_transfer: PendingTransfer | None = None
    inventory_size: str | None = None
    late_size: LateSize | None = None
    # Classic-only fields.
    allow_uninstalled: bool = False
    required_processor: str = "None"
    switch_with_package: str = "Do Not Install"
    install_if_reported_available: bool = False
    reinstall_option: str = "Do Not Reinstall"
    send_notification: bool = False


class DuplicateNameError(Exception):
    """Raised when a package would get a name another package already has."""


class PackageNotFoundError(Exception):
    """Raised when no package has the requested id."""


def check_transfer_delay(seconds: float) -> float:
    """``seconds`` if it is a usable transfer delay, else ``ValueError``."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError("the transfer delay must be a number of seconds")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("the transfer delay must be a number of seconds, 0 or more")
    return float(seconds)


class PackageStore:
    """Thread-safe package records (the categories they name live in ``CategoryStore``).

    Also the transfer state of files uploaded through the packages route: every read
    first lets due pending transfers show (see ``PendingTransfer``), so each reader sees
    the same state at the same moment.
    """

    def __init__(
        self,
        transfer_delay_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._packages: dict[int, Package] = {}
        self._next_id = 1
        self._transfer_delay = check_transfer_delay(transfer_delay_seconds)
        self._clock = clock

    def create(self, build: Callable[[int], Package]) -> Package:
        """Store the package ``build(new_id)`` returns; names must be unique."""
        with self._lock:
            package = build(self._next_id)
            self._check_unique(package)
            self._packages[package.id] = package
            self._next_id += 1
            return package

    def update(self, package_id: int, change: Callable[[Package], Package]) -> Package:
        """Replace a package with ``change(old)``; names must stay unique."""
        with self._lock:
            old = self._settled(package_id)
            if old is None:
                raise PackageNotFoundError(package_id)
            new = attrs.evolve(change(old), id=package_id)
            self._check_unique(new)
            self._packages[package_id] = new
            return new

    def delete(self, package_id: int) -> Package:
        with self._lock:
            package = self._settled(package_id)
            if package is None:
                raise PackageNotFoundError(package_id)
            del self._packages[package_id]
            return package

    def get(self, package_id: int) -> Package | None:
        with self._lock:
            return self._settled(package_id)

    def by_name(self, name: str) -> Package | None:
        with self._lock:
            for key, package in self._packages.items():
                if package.package_name == name:
                    return self._settled(key)
            return None

    def all(self) -> list[Package]:
        """A snapshot of every package, by ascending id."""
        with self._lock:
            found = (self._settled(key) for key in sorted(self._packages))
            return [package for package in found if package is not None]

    # Transfers of uploaded files -------------------------------------------------------

    @property
    def transfer_delay_seconds(self) -> float:
        with self._lock:
            return self._transfer_delay

    def set_transfer_delay(self, seconds: float) -> None:
        """The delay from an upload to its file showing; applies to pending uploads too."""
        delay = check_transfer_delay(seconds)
        with self._lock:
            self._transfer_delay = delay

    def begin_transfer(self, package_id: int, file: UploadedFile) -> Package:
        """Record an upload to a package: PENDING, the previous file's values still shown.

        A newer upload replaces one still pending (its refresh must come again).
        """
        with self._lock:
            package = self._settled(package_id)
            if package is None:
                raise PackageNotFoundError(package_id)
            pending = PendingTransfer(file, self._clock())
            updated = attrs.evolve(
                package,
                pending_transfer=pending,
                cloud_transfer_status=TRANSFER_PENDING,
                late_size=None,
            )
            self._packages[package_id] = updated
            return updated

    def refresh_inventory(self, file_name: str | None) -> None:
        """An inventory refresh for one file name (None or "": every file).

        Pending uploads of that name count as refreshed (they show once their delay has
        passed too), and sizes blanked by a metadata PUT show again.
        """
        with self._lock:
            for key, package in list(self._packages.items()):
                self._packages[key] = _refreshed(package, file_name)
                self._settled(key, read=False)

    def _settled(self, package_id: int, *, read: bool = True) -> Package | None:
        """The package as this read sees it (call with the lock held).

        A due pending transfer shows; a size lagging behind its digests comes one read
        closer to showing. ``read`` False: the emulator's own look, not a client's read.
        """
        package = self._packages.get(package_id)
        if package is None:
            return None
        pending = package.pending_transfer
        if pending is None:
            if package.late_size is not None and read:
                package = _size_read(package, package.late_size)
                self._packages[package_id] = package
            return package
        if not pending.refreshed or self._clock() - pending.uploaded_at < self._transfer_delay:
            return package
        file = pending.file
        if file.transfer_fails:
            failed = attrs.evolve(
                package, pending_transfer=None, cloud_transfer_status=TRANSFER_ERROR
            )
            self._packages[package_id] = failed
            return failed
        lagging = file.size_lag_reads > 0
        # A client's read that first shows the digests is the first with the old size.
        lag_left = file.size_lag_reads - (1 if read else 0)
        shown = attrs.evolve(
            package,
            md5=file.md5,
            sha256=file.sha256,
            sha3512=file.sha3512,
            size=package.size if lagging else file.size,
            hash_type=HASH_TYPE_SHA3_512,
            hash_value=file.sha3512,
            cloud_transfer_status=TRANSFER_READY,
            pending_transfer=None,
            inventory_size=package.inventory_size if lagging else file.size,
            late_size=LateSize(file.size, lag_left) if lagging else None,
        )
        self._packages[package_id] = shown
        return shown

    def clear(self) -> None:
        with self._lock:
            self._packages.clear()
            self._next_id = 1

    def uncategorize(self, category_id: str) -> None:
        """Packages filed under a category that was deleted have no category any more."""
        with self._lock:
            for key, package in list(self._packages.items()):
                if package.category_id == category_id:
                    self._packages[key] = attrs.evolve(package, category_id=NO_CATEGORY_ID)

    def fail_transfer(self, package_id: int) -> Package:
        """Mark the package's upload failed: ``cloudTransferStatus`` ERROR.

        An upload still pending never shows; the file's previous values stay. A new upload
        to the package starts over (PENDING).
        """
        with self._lock:
            package = self._settled(package_id)
            if package is None:
                raise PackageNotFoundError(package_id)
            failed = attrs.evolve(
                package, pending_transfer=None, cloud_transfer_status=TRANSFER_ERROR
            )
            self._packages[package_id] = failed
            return failed

    def _check_unique(self, package: Package) -> None:
        for other in self._packages.values():
            if other.id != package.id and other.package_name == package.package_name:
                raise DuplicateNameError(package.package_name)


def _size_read(package: Package, late: LateSize) -> Package:
    """``package`` after one more read while its new size lags behind its digests."""
    if late.reads_left > 0:
        return attrs.evolve(package, late_size=attrs.evolve(late, reads_left=late.reads_left - 1))
    return attrs.evolve(package, size=late.size, inventory_size=late.size, late_size=None)


def _refreshed(package: Package, file_name: str | None) -> Package:
    """``package`` after an inventory refresh for ``file_name`` (None: every file)."""
    pending = package.pending_transfer
    if pending is not None and _names(pending.file.file_name, file_name):
        package = attrs.evolve(package, pending_transfer=attrs.evolve(pending, refreshed=True))
    blanked = package.size is None and package.inventory_size is not None
    if blanked and _names(package.file_name, file_name):
        package = attrs.evolve(package, size=package.inventory_size)
    return package


def _names(file_name: str, asked: str | None) -> bool:
    """Whether a refresh for ``asked`` (None or "": every file) covers ``file_name``."""
    return not asked or asked == file_name
