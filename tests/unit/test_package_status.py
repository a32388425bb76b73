"""Package status on fakes: where the status comes from, what "settled" means, and the cost."""

from __future__ import annotations

import pytest

from jcds2.application.package_status import ReadPackageStatus
from jcds2.domain.models import Package, TransferStatus
from jcds2.domain.status import (
    DistributionStatus,
    FileInventory,
    PackageStatus,
    distribution_status,
)
from jcds2.testing import InMemoryFileStore, InMemoryPackageRepository

READY, PENDING, ERROR = TransferStatus.READY, TransferStatus.PENDING, TransferStatus.ERROR


def make() -> tuple[InMemoryPackageRepository, InMemoryFileStore, ReadPackageStatus]:
    packages, files = InMemoryPackageRepository(), InMemoryFileStore()
    return packages, files, ReadPackageStatus(packages=packages, inventory=files)


@pytest.mark.parametrize(
    ("record", "held", "expected"),
    [
        (READY, READY, DistributionStatus.READY),
        (None, READY, DistributionStatus.READY),  # a record without a status
        (READY, PENDING, DistributionStatus.PENDING),
        (PENDING, READY, DistributionStatus.PENDING),
        (PENDING, None, DistributionStatus.PENDING),  # being taken in, not listed yet
        (READY, ERROR, DistributionStatus.ERROR),
        (ERROR, READY, DistributionStatus.ERROR),
        (ERROR, None, DistributionStatus.ERROR),
        (PENDING, ERROR, DistributionStatus.ERROR),
        (READY, None, DistributionStatus.NO_FILE),
        (None, None, DistributionStatus.NO_FILE),
    ],
)
def test_the_worse_of_the_record_and_the_inventory_wins(
    record: TransferStatus | None, held: TransferStatus | None, expected: DistributionStatus
) -> None:
    package = Package(id=1, name="Tool", file_name="Tool.pkg", size=10, status=record)
    inventory = FileInventory({} if held is None else {"Tool.pkg": held})
    assert distribution_status(package, inventory) is expected


def test_a_size_of_0_on_a_ready_record_is_a_failed_upload() -> None:
    package = Package(id=1, name="Tool", file_name="Tool.pkg", size=0, status=READY)
    failed = distribution_status(package, FileInventory({"Tool.pkg": READY}))
    assert failed is DistributionStatus.ERROR


def test_a_file_share_has_no_transfers_only_files() -> None:
    # The record's status is the cloud distribution point's: it says nothing of the share.
    package = Package(id=1, name="Tool", file_name="Tool.pkg", status=PENDING)
    held = FileInventory({"Tool.pkg": None}, tracks_transfers=False)
    assert distribution_status(package, held) is DistributionStatus.NOT_APPLICABLE
    gone = FileInventory({}, tracks_transfers=False)
    assert distribution_status(package, gone) is DistributionStatus.NO_FILE


def test_settled_is_everything_but_pending_and_ok_is_ready_or_not_applicable() -> None:
    assert {s for s in DistributionStatus if not s.settled} == {DistributionStatus.PENDING}
    assert {s for s in DistributionStatus if s.ok} == {
        DistributionStatus.READY,
        DistributionStatus.NOT_APPLICABLE,
    }


def test_every_package_by_id_in_one_listing_and_one_inventory_look() -> None:
    packages, files, read = make()
    for number in range(50):
        packages.add(f"Tool {number}", f"Tool{number}.pkg", size=100, status=READY)
        files.contents[f"Tool{number}.pkg"] = b"x" * 100
    files.transfer_statuses["Tool7.pkg"] = ERROR
    del files.contents["Tool9.pkg"]

    found = read()

    assert [s.package_id for s in found] == list(range(1, 51))
    assert (packages.listings, files.inventory_looks) == (1, 1)
    assert found[0] == PackageStatus(
        name="Tool 0",
        status=DistributionStatus.READY,
        package_id=1,
        package_name="Tool 0",
        file_name="Tool0.pkg",
        size=100,
    )
    assert {s.name: s.status for s in found if not s.ok} == {
        "Tool 7": DistributionStatus.ERROR,
        "Tool 9": DistributionStatus.NO_FILE,
    }


def test_names_are_package_names_or_file_names_in_the_order_given() -> None:
    packages, files, read = make()
    tool = packages.add("Tool", "Tool-1.0.pkg", size=3, hash_type="SHA3_512", hash_value="ab")
    other = packages.add("Other", "Other.pkg")
    packages.add("tool", "Lower.pkg")  # an exact name wins over a case-insensitive one
    files.contents |= {"Tool-1.0.pkg": b"abc", "Other.pkg": b"o", "Lower.pkg": b"l"}

    found = read(["Other.pkg", "Tool", "Missing.pkg", "TOOL-1.0.PKG", "Tool"])

    assert [(s.name, s.package_id) for s in found] == [
        ("Other.pkg", other.id),
        ("Tool", tool.id),
        ("Missing.pkg", None),
        ("TOOL-1.0.PKG", tool.id),  # compared as Jamf compares names
    ]
    assert found[2] == PackageStatus(name="Missing.pkg", status=DistributionStatus.NO_PACKAGE)
    assert (found[1].hash_type, found[1].hash_value, found[1].size) == ("SHA3_512", "ab", 3)
    assert (packages.listings, files.inventory_looks) == (1, 1)


def test_no_inventory_look_when_no_package_is_found() -> None:
    packages, files, read = make()
    assert read(["Nothing.pkg"]) == [
        PackageStatus(name="Nothing.pkg", status=DistributionStatus.NO_PACKAGE)
    ]
    assert read([]) == []
    assert (packages.listings, files.inventory_looks) == (1, 0)


def test_pending_until_the_packages_route_takes_the_file_in() -> None:
    files = InMemoryFileStore(into_packages=True, pending_looks=1)
    packages = InMemoryPackageRepository(store=files)
    read = ReadPackageStatus(packages=packages, inventory=files)
    package = packages.add("Tool", "Tool.pkg")
    target = files.open_upload("Tool.pkg", package)
    files.receive("Tool.pkg", b"tool")
    files.refresh(target)

    assert [s.status for s in read(["Tool"])] == [DistributionStatus.PENDING]
    files.describe(target)
    files.describe(target)  # taken in
    [ready] = read(["Tool"])
    assert (ready.status, ready.size) == (DistributionStatus.READY, 4)
