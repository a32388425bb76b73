"""``jcds2 audit`` and ``client.audit()``, and ``rm``'s deletion safety, against the emulator:
an orphan file, a missing file, a tampered file, a package in use refused for deletion, and
``--fix`` removing only orphans."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jcds2 import JamfProClient
from jcds2.domain.audit import Finding
from jcds2.domain.models import LocalFile
from jcds2.domain.usage import UserKind
from jcds2.emulator import JamfEmulator
from jcds2.errors import PackageInUseError
from tests.helpers import make_file

from .conftest import Cli, seed


def file_only(client: JamfProClient, path: Path) -> None:
    """Put ``path`` on the JCDS without a package (the JCDS route's first step)."""
    ticket = client.container.jcds_file_store().open_upload(path.name)
    client.container.s3_uploader().upload(ticket, LocalFile(path, path.stat().st_size))


def package_id(emulator: JamfEmulator, file_name: str) -> int:
    return next(int(p["id"]) for p in emulator.packages() if p["fileName"] == file_name)


def columns(line: str) -> list[str]:
    return re.split(r" {2,}", line.strip())


def landscape(client: JamfProClient, emulator: JamfEmulator, tmp_path: Path) -> dict[str, int]:
    """A used package, an unused one, an orphan file, a missing file, a tampered file."""
    for number, name in enumerate(("Used.pkg", "Unused.pkg", "Missing.pkg", "Tampered.pkg")):
        seed(client, tmp_path / "seeded", name, 2_000 + number, seed=40 + number)
    file_only(client, make_file(tmp_path / "Orphan.pkg", 1_500, seed=50))
    client.jcds2.delete_file("Missing.pkg")  # the package stays
    (tmp_path / "tampered").mkdir()
    file_only(client, make_file(tmp_path / "tampered" / "Tampered.pkg", 2_003, seed=51))
    ids = {name: package_id(emulator, name) for name in ("Used.pkg", "Unused.pkg")}
    ids |= {name: package_id(emulator, name) for name in ("Missing.pkg", "Tampered.pkg")}
    ids["policy"] = emulator.add_policy("Install Used", [ids["Used.pkg"], ids["Tampered.pkg"]])
    ids["prestage"] = emulator.add_prestage("Lab", [ids["Used.pkg"]])
    return ids


def test_the_library_audit_finds_everything_in_one_pass(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    ids = landscape(client, emulator, tmp_path)

    report = client.audit(pending_wait=0)

    assert report.orphan_files == ("Orphan.pkg",)
    found = {p.file_name: p for p in report.packages}
    assert found["Missing.pkg"].findings == (Finding.MISSING_FILE,)
    assert found["Tampered.pkg"].findings == (Finding.HASH_MISMATCH,)
    assert found["Used.pkg"].findings == ()
    assert [(u.kind, u.id) for u in found["Used.pkg"].users] == [
        (UserKind.POLICY, ids["policy"]),
        (UserKind.PRESTAGE, ids["prestage"]),
    ]
    assert {p.file_name for p in report.unused} == {"Unused.pkg", "Missing.pkg"}
    assert report.usage_error is None
    assert report.problems == 3


def test_audit_prints_a_table_and_json_and_exits_7(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    ids = landscape(client, emulator, tmp_path)

    human = cli("audit", "--unused", "--pending-wait", "0")
    machine = cli("audit", "--json", "--pending-wait", "0")

    assert human.code == 7, human
    rows = [columns(line) for line in human.stdout.splitlines()]
    assert rows[0] == ["FINDING", "ID", "FILE", "PACKAGE", "USED BY"]
    assert ["orphan_file", "-", "Orphan.pkg", "-", "-"] in rows
    assert ["missing_file", str(ids["Missing.pkg"]), "Missing.pkg", "Missing.pkg", "-"] in rows
    tampered = next(row for row in rows if row[0] == "hash_mismatch")
    assert tampered[2:4] == ["Tampered.pkg", "Tampered.pkg"]
    assert tampered[4] == f"policy {ids['policy']} 'Install Used'"
    assert ["unused", str(ids["Unused.pkg"]), "Unused.pkg", "Unused.pkg", "-"] in rows
    assert "4 packages (2 in use)" in human.stderr
    assert machine.code == 7, machine
    [report] = machine.objects()
    assert report["orphan_files"] == ["Orphan.pkg"]
    assert report["problems"] == 3


def test_fix_removes_only_the_orphans_and_unused_packages_need_yes(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    landscape(client, emulator, tmp_path)
    before = sorted(p["fileName"] for p in emulator.packages())

    refused = cli("audit", "--fix", "--unused", "--pending-wait", "0")
    assert refused.code == 2, refused
    fixed = cli("audit", "--fix", "--pending-wait", "0")

    assert fixed.code == 7, fixed  # the missing and the tampered file are still reported
    assert "removed orphan file Orphan.pkg" in fixed.stdout
    files = sorted(f["fileName"] for f in emulator.jcds_files())
    assert files == ["Tampered.pkg", "Unused.pkg", "Used.pkg"]
    assert sorted(p["fileName"] for p in emulator.packages()) == before

    unused = cli("audit", "--fix", "--unused", "--yes", "--pending-wait", "0")

    assert unused.code == 7, unused
    remaining = sorted(p["fileName"] for p in emulator.packages())
    assert remaining == ["Tampered.pkg", "Used.pkg"]


def test_rm_refuses_a_package_in_use_and_names_its_users(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Used.pkg", 1_000, seed=60)
    used = package_id(emulator, "Used.pkg")
    policy = emulator.add_policy("Install Used", [used])
    prestage = emulator.add_prestage("Lab", [used])

    planned = cli("rm", "Used.pkg", "--dry-run")
    refused = cli("rm", "Used.pkg", "--yes")

    expected = (
        f"package {used} 'Used.pkg' is used by policy {policy} 'Install Used', prestage "
        f"{prestage} 'Lab': not deleted. Remove it from them in Jamf Pro first, or pass "
        "--force to delete it anyway."
    )
    assert planned.code == 6, planned
    assert planned.stdout == f"would refuse: {expected}\n"
    assert refused.code == 6, refused
    assert refused.errors == [f"jcds2: Used.pkg: {expected}"]
    assert [p["fileName"] for p in emulator.packages()] == ["Used.pkg"]

    forced = cli("rm", "Used.pkg", "--yes", "--force")

    assert forced.code == 0, forced
    assert emulator.packages() == []


def test_rm_refuses_when_what_uses_the_package_cannot_be_read(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Tool.pkg", 1_000, seed=61)
    emulator.inject_fault("GET", "/JSSResource/policies", 403, times=5)

    refused = cli("rm", "Tool.pkg", "--yes")

    assert refused.code == 6, refused
    assert "could not read which policies and PreStages use it" in refused.stderr
    assert "or pass --force" in refused.stderr
    assert len(emulator.packages()) == 1


def test_the_library_delete_refuses_a_used_package_unless_forced(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Used.pkg", 1_000, seed=62)
    used = package_id(emulator, "Used.pkg")
    emulator.add_prestage("Lab", [used])

    with pytest.raises(PackageInUseError) as caught:
        client.packages.delete(used)
    assert [user.name for user in caught.value.users] == ["Lab"]
    assert len(emulator.packages()) == 1
    client.packages.delete(used, force=True)
    assert emulator.packages() == []
