"""What uses a package: the policies that install it and the PreStage enrollments that
carry it as a custom package. A package something uses is not deleted without ``force``."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs


class UserKind(str, enum.Enum):
    """The kinds of Jamf Pro objects that install packages."""

    POLICY = "policy"  # Classic /JSSResource/policies: package_configuration.packages
    PRESTAGE = "prestage"  # Pro /api/v3/computer-prestages: customPackageIds


@attrs.frozen
class PackageUser:
    """One object that uses a package: its kind, id and display name."""

    kind: UserKind
    id: int
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value} {self.id} {self.name!r}"


#: Package id → the objects that use it (a package nothing uses is absent).
PackageUsage = Mapping[int, tuple[PackageUser, ...]]
