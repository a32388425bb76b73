"""The deletion safety rule: a package that a policy or a PreStage uses is not deleted
unless forced, and neither is one whose users could not be read (ADR 0028)."""

from __future__ import annotations

import attrs

from jcds2.application.ports import PackageRepository, PackageUsers
from jcds2.domain.errors import JamfApiError, PackageInUseError, PackageUsageUnknownError
from jcds2.domain.usage import PackageUser


def users_of(users: PackageUsers, package_id: int, package_name: str) -> tuple[PackageUser, ...]:
    """What uses package ``package_id`` (one reading of every policy and PreStage);
    ``PackageUsageUnknownError`` when the server cannot say."""
    try:
        usage = users.package_usage()
    except JamfApiError as exc:
        raise PackageUsageUnknownError(package_id, package_name, exc) from exc
    return tuple(usage.get(package_id, ()))


def refuse_if_used(users: PackageUsers, package_id: int, package_name: str) -> None:
    """Raise ``PackageInUseError`` when something uses the package, and
    ``PackageUsageUnknownError`` when what uses it cannot be read."""
    found = users_of(users, package_id, package_name)
    if found:
        raise PackageInUseError(package_id, package_name, found)


@attrs.frozen
class DeletePackage:
    """Delete a package (and, as Jamf Pro does, its file) unless something uses it.

    ``force=True`` deletes without asking what uses it. A missing package is no error.
    """

    packages: PackageRepository
    users: PackageUsers

    def __call__(self, package_id: int, *, force: bool = False) -> None:
        if not force:
            package = self.packages.get(package_id)
            if package is None:
                return
            refuse_if_used(self.users, package.id, package.name)
        self.packages.delete(package_id)
