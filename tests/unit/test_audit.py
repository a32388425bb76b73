"""``AuditDistributionPoint`` over the in-memory fakes: every finding, the pending wait,
usage, and what ``fix`` removes (orphan files, unused packages on request, nothing else)."""

from __future__ import annotations

import hashlib

import pytest

from jcds2.application.audit import AuditDistributionPoint, hash_mismatch
from jcds2.domain.audit import Finding
from jcds2.domain.errors import PermissionDeniedError
from jcds2.domain.models import Package, RemoteFile, TransferStatus
from jcds2.domain.usage import PackageUsage, PackageUser, UserKind
from jcds2.testing import InMemoryFileStore, InMemoryPackageRepository, InMemoryPackageUsers

POLICY = PackageUser(UserKind.POLICY, 7, "Install")


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class Clock:
    """A clock that moves only when the audit sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class World:
    def __init__(self) -> None:
        self.files = InMemoryFileStore()
        self.packages = InMemoryPackageRepository()
        self.users = InMemoryPackageUsers()
        self.clock = Clock()

    def audit(self) -> AuditDistributionPoint:
        return AuditDistributionPoint(
            catalog=self.packages,
            files=self.files,
            inventory=self.files,
            users=self.users,
            packages=self.packages,
            sleep=self.clock.sleep,
            clock=self.clock,
        )

    def package(self, name: str, data: bytes | None, **reported: object) -> Package:
        if data is not None:
            self.files.contents[name] = data
        reported.setdefault("hash_type", "MD5")
        reported.setdefault("hash_value", md5(data or b""))
        return self.packages.add(name, name, **reported)


@pytest.fixture
def world() -> World:
    return World()


def test_a_clean_distribution_point_has_no_problems(world: World) -> None:
    package = world.package("Good.pkg", b"good")
    world.users.use(package.id, POLICY)

    report = world.audit()()

    assert report.problems == 0
    assert report.orphan_files == ()
    assert report.packages[0].users == (POLICY,)
    assert report.unused == ()


def test_every_finding_in_one_pass(world: World) -> None:
    world.files.contents["Orphan.pkg"] = b"nobody's"
    missing = world.package("Missing.pkg", None)
    tampered = world.package("Tampered.pkg", b"original")
    world.files.contents["Tampered.pkg"] = b"tampered"
    failed = world.package("Failed.pkg", b"f")
    world.files.transfer_statuses["Failed.pkg"] = TransferStatus.ERROR

    report = world.audit()(pending_wait=0)

    assert report.orphan_files == ("Orphan.pkg",)
    assert [p.package_id for p in report.with_finding(Finding.MISSING_FILE)] == [missing.id]
    [mismatch] = report.with_finding(Finding.HASH_MISMATCH)
    assert mismatch.package_id == tampered.id
    assert (mismatch.hash_type, mismatch.recorded_hash, mismatch.file_hash) == (
        "MD5",
        md5(b"original"),
        md5(b"tampered"),
    )
    assert [p.package_id for p in report.with_finding(Finding.TRANSFER_ERROR)] == [failed.id]
    assert report.problems == 4
    assert {p.package_id for p in report.unused} == {missing.id, tampered.id, failed.id}


def test_pending_counts_only_after_the_wait(world: World) -> None:
    stuck = world.package("Stuck.pkg", b"s")
    settles = world.package("Settles.pkg", b"t")
    world.files.transfer_statuses["Stuck.pkg"] = TransferStatus.PENDING
    world.files.transfer_statuses["Settles.pkg"] = TransferStatus.PENDING

    def settle(seconds: float) -> None:
        world.clock.sleep(seconds)
        world.files.transfer_statuses.pop("Settles.pkg", None)

    audit = AuditDistributionPoint(
        catalog=world.packages,
        files=world.files,
        inventory=world.files,
        users=world.users,
        packages=world.packages,
        sleep=settle,
        clock=world.clock,
    )
    report = audit(pending_wait=12, pending_poll=5)

    assert [p.package_id for p in report.with_finding(Finding.STUCK_PENDING)] == [stuck.id]
    assert settles.id not in {p.package_id for p in report.with_finding(Finding.STUCK_PENDING)}
    assert world.clock.sleeps == [5, 5, 2]
    assert report.pending_wait == 12


def test_usage_that_cannot_be_read_makes_nothing_unused(world: World) -> None:
    world.package("Tool.pkg", b"t")
    world.users.fail.append(PermissionDeniedError("reading policies: HTTP 403"))

    report = world.audit()(fix=True, remove_unused=True)

    assert report.usage_error is not None
    assert "403" in report.usage_error
    assert report.unused == ()
    assert report.removed_packages == ()
    assert world.packages.deleted == []


def test_fix_removes_orphans_only_and_unused_packages_when_asked(world: World) -> None:
    world.files.contents["Orphan.pkg"] = b"o"
    used = world.package("Used.pkg", b"u")
    world.users.use(used.id, POLICY)
    unused = world.package("Unused.pkg", b"x")
    tampered = world.package("Tampered.pkg", b"a")
    world.users.use(tampered.id, POLICY)
    world.files.contents["Tampered.pkg"] = b"b"

    report = world.audit()(fix=True)

    assert report.removed_files == ("Orphan.pkg",)
    assert report.removed_packages == ()
    assert sorted(world.files.contents) == ["Tampered.pkg", "Unused.pkg", "Used.pkg"]
    assert world.packages.deleted == []
    assert report.problems == 1  # the tampered file stays: the audit does not repair it

    again = world.audit()(fix=True, remove_unused=True)

    assert again.removed_packages == (unused.id,)
    assert world.packages.deleted == [unused.id]
    assert sorted(world.packages.packages) == [used.id, tampered.id]


class ChangingUsers(InMemoryPackageUsers):
    """Usage that changes after the first read: a policy made while the audit runs."""

    def __init__(self, later: dict[int, tuple[PackageUser, ...]]) -> None:
        super().__init__()
        self.later = later

    def package_usage(self) -> PackageUsage:
        found = super().package_usage()
        self.usage = dict(self.later)
        return found


def test_fix_spares_what_was_taken_or_used_after_the_report(world: World) -> None:
    world.files.contents["Orphan.pkg"] = b"o"
    world.files.contents["Claimed.pkg"] = b"c"
    unused = world.package("Unused.pkg", b"x")
    newly_used = world.package("NewlyUsed.pkg", b"n")
    world.users = ChangingUsers({newly_used.id: (POLICY,)})
    audit = world.audit()
    report = audit()
    # Between the report and the removal: an upload creates the package of Claimed.pkg.
    world.package("Claimed.pkg", b"c")

    fixed = audit._fix(report, remove_unused=True)

    assert fixed.removed_files == ("Orphan.pkg",)
    assert fixed.removed_packages == (unused.id,)
    assert world.packages.deleted == [unused.id]
    assert "Claimed.pkg" in world.files.contents


def test_fix_removes_nothing_when_usage_cannot_be_read_again(world: World) -> None:
    world.files.contents["Orphan.pkg"] = b"o"
    world.package("Unused.pkg", b"x")
    audit = world.audit()
    report = audit()
    world.users.fail.append(PermissionDeniedError("reading policies: HTTP 403"))

    with pytest.raises(PermissionDeniedError):
        audit._fix(report, remove_unused=True)

    assert world.packages.deleted == []
    assert "Orphan.pkg" in world.files.contents


def test_without_fix_nothing_changes(world: World) -> None:
    world.files.contents["Orphan.pkg"] = b"o"
    world.package("Unused.pkg", b"x")
    report = world.audit()(remove_unused=True)
    assert report.removed_files == ()
    assert report.removed_packages == ()
    assert "Orphan.pkg" in world.files.contents
    assert world.packages.deleted == []


@pytest.mark.parametrize(
    ("hash_type", "remote", "expected"),
    [
        ("SHA3_512", RemoteFile("a", 1, md5="m", sha3_512="S2"), ("SHA3_512", "s1", "s2")),
        ("SHA3_512", RemoteFile("a", 1, md5="m", sha3_512="s1"), None),
        ("SHA3_512", RemoteFile("a", 1, md5="m"), None),
        ("MD5", RemoteFile("a", 1, md5="M2"), ("MD5", "s1", "m2")),
        ("SHA_512", RemoteFile("a", 1, md5="m"), None),
    ],
)
def test_hashes_compare_as_the_package_records_them(
    hash_type: str, remote: RemoteFile, expected: tuple[str, str, str] | None
) -> None:
    package = Package(1, "a", "a", hash_type=hash_type, hash_value="S1")
    assert hash_mismatch(package, remote) == expected
