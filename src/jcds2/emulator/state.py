"""The package store: one set of package records behind both the Classic and Pro views."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

import attrs

NO_CATEGORY_ID = "-1"
NO_CATEGORY_NAME = "No category available"


@attrs.frozen
class Principal:
    """Who a bearer token was issued to: a user account or an API client."""

    name: str
    kind: Literal["user", "client"]


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
    # Server-managed: set by the (later) upload route and inventory refresh, never by clients.
    md5: str | None = None
    sha256: str | None = None
    sha3512: str | None = None
    size: str | None = None
    cloud_transfer_status: str | None = None
    indexed: bool = False
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


class PackageStore:
    """Thread-safe package records and the category names they refer to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._packages: dict[int, Package] = {}
        self._next_id = 1
        self._categories: dict[str, str] = {}

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
            old = self._packages.get(package_id)
            if old is None:
                raise PackageNotFoundError(package_id)
            new = attrs.evolve(change(old), id=package_id)
            self._check_unique(new)
            self._packages[package_id] = new
            return new

    def delete(self, package_id: int) -> Package:
        with self._lock:
            package = self._packages.pop(package_id, None)
            if package is None:
                raise PackageNotFoundError(package_id)
            return package

    def get(self, package_id: int) -> Package | None:
        with self._lock:
            return self._packages.get(package_id)

    def by_name(self, name: str) -> Package | None:
        with self._lock:
            for package in self._packages.values():
                if package.package_name == name:
                    return package
            return None

    def all(self) -> list[Package]:
        """A snapshot of every package, by ascending id."""
        with self._lock:
            return [self._packages[key] for key in sorted(self._packages)]

    def clear(self) -> None:
        with self._lock:
            self._packages.clear()
            self._next_id = 1
            self._categories.clear()

    def category_name(self, category_id: str) -> str:
        with self._lock:
            if category_id == NO_CATEGORY_ID:
                return NO_CATEGORY_NAME
            return self._categories.get(category_id, f"Category {category_id}")

    def category_id(self, name: str) -> str:
        """The id for a category name, registering names not seen before."""
        if name in ("", NO_CATEGORY_NAME, "Unknown"):
            return NO_CATEGORY_ID
        with self._lock:
            for known_id, known_name in self._categories.items():
                if known_name == name:
                    return known_id
            new_id = str(len(self._categories) + 1)
            self._categories[new_id] = name
            return new_id

    def _check_unique(self, package: Package) -> None:
        for other in self._packages.values():
            if other.id != package.id and other.package_name == package.package_name:
                raise DuplicateNameError(package.package_name)
