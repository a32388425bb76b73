"""The status of packages on the distribution point, from their records and its inventory."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from jcds2.application.ports import DistributionInventory, PackageCatalog
from jcds2.domain.models import Package
from jcds2.domain.status import FileInventory, PackageStatus, package_status


@attrs.frozen
class ReadPackageStatus:
    """Each package's record and its file's transfer status on the distribution point.

    ``names`` are package names or file names (``None``: every package, by id); the answer
    has one :class:`~jcds2.domain.status.PackageStatus` per distinct name, in the order
    given, ``NO_PACKAGE`` for a name no package has. A name is a package's display name
    first, else its file name; an exact match wins over one that differs only in case (as
    Jamf compares names). Two listings answer it, whatever the number of names: the
    packages', then the distribution point's inventory, each a request per page.
    """

    packages: PackageCatalog
    inventory: DistributionInventory

    def __call__(self, names: Sequence[str] | None = None) -> list[PackageStatus]:
        if names is None:
            found = self.packages.list_packages()
            files = self.inventory.file_inventory()
            return [package_status(package.name, package, files) for package in found]
        asked = list(dict.fromkeys(names))
        found = self.packages.list_packages(asked) if asked else []
        chosen = {name: _match(name, found) for name in asked}
        wanted = sorted({package.file_name for package in chosen.values() if package})
        files = self.inventory.file_inventory(wanted) if wanted else FileInventory()
        return [package_status(name, package, files) for name, package in chosen.items()]


def _match(name: str, packages: list[Package]) -> Package | None:
    """The package ``name`` names: by display name, then file name; exact, then in any case."""
    folded = name.casefold()
    for rule in range(4):
        matches = [package for package in packages if _matches(rule, name, folded, package)]
        if matches:
            return min(matches, key=lambda package: package.id)
    return None


def _matches(rule: int, name: str, folded: str, package: Package) -> bool:
    field = package.name if rule % 2 == 0 else package.file_name
    return field == name if rule < 2 else field.casefold() == folded
