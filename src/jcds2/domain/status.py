"""Where a package's file stands on the distribution point: the values of a status look-up.

A package is *settled* once looking again would not change its status by itself: its file is
``READY`` or in ``ERROR``, or there is nothing to wait for (no package, no file, or a
distribution point without transfers, such as a file share). Only ``PENDING`` is unsettled.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from jcds2.domain.models import Package, TransferStatus


class DistributionStatus(str, enum.Enum):
    """A package's status on the distribution point (the first three are Jamf's own)."""

    READY = "READY"  # the distribution point serves the file
    PENDING = "PENDING"  # the distribution point is still taking the file in
    ERROR = "ERROR"  # the transfer failed: upload the file again
    NO_FILE = "NO_FILE"  # the package exists, its file is not on the distribution point
    NO_PACKAGE = "NO_PACKAGE"  # no package has the name or file name asked for
    NOT_APPLICABLE = "NOT_APPLICABLE"  # the file is there; this distribution point (a file
    # share) has no transfer status

    @property
    def settled(self) -> bool:
        """Whether looking again would not change it by itself (everything but ``PENDING``)."""
        return self is not DistributionStatus.PENDING

    @property
    def ok(self) -> bool:
        """Whether the file can be installed from here: ``READY``, or on a distribution
        point without transfer statuses, present."""
        return self in (DistributionStatus.READY, DistributionStatus.NOT_APPLICABLE)


@attrs.frozen
class FileInventory:
    """What a distribution point reports about its files: each file it holds, with its
    transfer status, or ``None`` for every file where it has none (``tracks_transfers``
    false: a file share)."""

    statuses: Mapping[str, TransferStatus | None] = attrs.field(factory=dict)
    tracks_transfers: bool = True


@attrs.frozen
class PackageStatus:
    """One package's status: its record (``None`` fields where the server reports nothing)
    and where its file stands on the distribution point.

    ``name`` is what was asked for (a package name or a file name), or the package's name
    when every package was asked for; a ``NO_PACKAGE`` status carries nothing else.
    """

    name: str
    status: DistributionStatus
    package_id: int | None = None
    package_name: str | None = None
    file_name: str | None = None
    size: int | None = None
    hash_type: str | None = None
    hash_value: str | None = None

    @property
    def settled(self) -> bool:
        return self.status.settled

    @property
    def ok(self) -> bool:
        return self.status.ok


def distribution_status(package: Package, inventory: FileInventory) -> DistributionStatus:
    """The status of ``package``'s file from its record and the distribution point's report.

    The worse of the two reports wins: ``ERROR`` from either, then ``PENDING`` from either
    (a file being taken in may not be listed yet), then a file the distribution point does
    not hold. A size of 0 on a record that claims ``READY`` is a failed upload (as
    verification judges it), so ``ERROR``.
    """
    held = package.file_name in inventory.statuses
    if not inventory.tracks_transfers:
        # The record's transfer status is the cloud distribution point's, not the share's.
        return DistributionStatus.NOT_APPLICABLE if held else DistributionStatus.NO_FILE
    reported = {package.status, inventory.statuses.get(package.file_name)}
    if TransferStatus.ERROR in reported:
        return DistributionStatus.ERROR
    if TransferStatus.PENDING in reported:
        return DistributionStatus.PENDING
    if not held:
        return DistributionStatus.NO_FILE
    if package.size == 0:
        return DistributionStatus.ERROR
    return DistributionStatus.READY


def package_status(name: str, package: Package | None, inventory: FileInventory) -> PackageStatus:
    """``package``'s :class:`PackageStatus`, asked for as ``name`` (``None``: none found)."""
    if package is None:
        return PackageStatus(name=name, status=DistributionStatus.NO_PACKAGE)
    return PackageStatus(
        name=name,
        status=distribution_status(package, inventory),
        package_id=package.id,
        package_name=package.name,
        file_name=package.file_name,
        size=package.size,
        hash_type=package.hash_type,
        hash_value=package.hash_value,
    )
