"""Guardrails and ``--dry-run`` end to end: the library and the ``jcds2`` command against the
emulator. A refused file and a dry run leave the emulator as it was: no write in its request
log, nothing sent to S3, no package, file or category made or deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from jcds2 import JamfProClient
from jcds2.domain.plans import PlannedAction
from jcds2.emulator import JamfEmulator
from jcds2.errors import MalformedPackageError, UnsignedPackageError, UnsupportedFileTypeError
from jcds2.testing import flat_package
from tests.e2e.conftest import Cli, seed
from tests.helpers import make_file, on_route, server_state
from tests.xar import LEAF_NAME, certificate

#: Signing in and out: the only requests other than look-ups a refusal or a plan may make.
_SIGN_IN = ("/api/oauth/", "/api/v1/oauth/", "/api/v1/auth/")


def writes(emulator: JamfEmulator) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in emulator.request_log
        if r.method != "GET" and not r.path.startswith(_SIGN_IN)
    ]


def assert_unchanged(emulator: JamfEmulator, before: tuple[object, ...]) -> None:
    assert writes(emulator) == []
    assert emulator.s3_request_log == []
    assert server_state(emulator) == before


@pytest.fixture
def signed(tmp_path: Path) -> Path:
    path = tmp_path / "Signed.pkg"
    path.write_bytes(flat_package(30_000, seed=7, certificates=[certificate(LEAF_NAME)]))
    return path


# --- the library -----------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["jcds", "packages"])
def test_the_library_refuses_before_any_request(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path, route: str
) -> None:
    odd = make_file(tmp_path / "Tool.app", 1000)
    broken = tmp_path / "Broken.pkg"
    broken.write_bytes(b"xar!" + bytes(5000))
    unsigned = make_file(tmp_path / "Unsigned.pkg", 5000)
    emulator.add_category("Applications")
    before = server_state(emulator)
    with on_route(client, route) as routed:
        emulator.clear_request_log()
        emulator.clear_s3_request_log()
        with pytest.raises(UnsupportedFileTypeError):
            routed.jcds2.upload_file(odd, category="Applications")
        with pytest.raises(MalformedPackageError):
            routed.jcds2.upload_file(broken, category="New", create_category=True)
        with pytest.raises(UnsignedPackageError):
            routed.jcds2.upload_file(unsigned, require_signed=True)
        assert emulator.request_log == []  # not even a look-up
    assert_unchanged(emulator, before)
    assert [c["name"] for c in emulator.categories()] == ["Applications"]


def test_the_library_reports_the_signer(
    client: JamfProClient, emulator: JamfEmulator, signed: Path
) -> None:
    result = client.jcds2.upload_file(signed, require_signed=True)

    assert result.signed_by == LEAF_NAME
    assert client.jcds2.check_file(signed).signed_by == LEAF_NAME


def test_a_library_plan_changes_nothing(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    path = seed(client, tmp_path, "Planned.pkg", 20_000, seed=1)
    before = server_state(emulator)
    emulator.clear_request_log()
    emulator.clear_s3_request_log()

    plan = client.jcds2.plan_upload(path, on_exists="skip")
    removal = client.jcds2.plan_remove("Planned.pkg")

    assert_unchanged(emulator, before)
    assert (plan.action, plan.route) == (PlannedAction.SKIP, "jcds")
    assert removal.package_id == plan.package_id
    assert removal.file_exists is True


# --- the command line ------------------------------------------------------------------------


def test_a_file_type_jamf_refuses_exits_1_before_anything_is_sent(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    odd = make_file(tmp_path / "notes.txt", 100)
    before = server_state(emulator)
    emulator.clear_request_log()

    run = cli("upload", str(odd))

    assert run.code == 1, run
    assert run.errors == [
        f"jcds2: {odd}: 'notes.txt' is not a file type Jamf Pro takes for a package; nothing "
        "was sent. Upload a .pkg, .mpkg, .dmg or .zip (zip a bundle package or an app first)."
    ]
    assert_unchanged(emulator, before)


def test_require_signed_refuses_an_unsigned_package_and_takes_a_signed_one(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path, signed: Path
) -> None:
    unsigned = make_file(tmp_path / "Unsigned.pkg", 10_000)
    before = server_state(emulator)
    emulator.clear_request_log()

    refused = cli("upload", str(unsigned), "--require-signed")

    assert refused.code == 1, refused
    assert "is not signed, and a signed package was required" in refused.stderr
    assert "without --require-signed" in refused.stderr
    assert_unchanged(emulator, before)

    taken = cli("upload", str(signed), "--require-signed", "--route", "packages")
    assert taken.code == 0, taken
    assert taken.stdout.rstrip().endswith(f"; signed by {LEAF_NAME}")
    [package] = emulator.packages()
    assert package["fileName"] == "Signed.pkg"

    again = cli("--json", "upload", str(signed), "--on-exists", "skip")
    assert again.code == 0, again
    assert again.objects()[0]["signed_by"] == LEAF_NAME


def test_upload_dry_run_says_what_each_file_would_do_and_changes_nothing(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path, signed: Path
) -> None:
    made = emulator.add_category("Applications")
    same = seed(client, tmp_path / "seeded", "Same.pkg", 20_000, seed=1)
    seed(client, tmp_path / "seeded", "Changed.pkg", 20_000, seed=2)
    local = tmp_path / "local"
    local.mkdir()
    changed = make_file(local / "Changed.pkg", 30_000, seed=3)
    fresh = make_file(local / "Fresh.dmg", 4_000, seed=4)
    broken = local / "Broken.pkg"
    broken.write_bytes(b"xar!" + bytes(100))
    before = server_state(emulator)
    emulator.clear_request_log()
    emulator.clear_s3_request_log()

    run = cli(
        "upload",
        str(same),
        str(changed),
        str(fresh),
        str(signed),
        str(broken),
        "--dry-run",
        "--on-exists",
        "skip",
        "--category",
        "Applications",
        "--route",
        "packages",
    )

    assert_unchanged(emulator, before)
    assert run.code == 1, run  # Broken.pkg's failure outranks Changed.pkg's "exists" (3)
    lines = run.stdout.splitlines()
    assert lines[0].startswith(f"{same}: would skip: package ")
    assert lines[0].endswith(
        "'Same.pkg' already has this file; route packages; the package "
        "keeps its category; flat package, unsigned"
    )
    assert lines[1].startswith(f"{changed}: would fail: package ")
    assert "differs from the local one" in lines[1]
    assert "--on-exists replace" in lines[1]
    assert lines[2] == (
        f"{fresh}: would upload 4000 bytes and create package 'Fresh.dmg'; route packages; "
        f"category 'Applications' (id {made['id']}); disk image (signature not checked)"
    )
    assert lines[3] == (
        f"{signed}: would upload 30000 bytes and create package 'Signed.pkg'; route packages; "
        f"category 'Applications' (id {made['id']}); flat package, signed by {LEAF_NAME}"
    )
    assert len(lines) == 4
    assert run.errors[0].startswith(f"jcds2: {broken}: {broken} is not a well-formed flat")


def test_upload_dry_run_in_json(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    same = seed(client, tmp_path, "Same.pkg", 20_000, seed=1)
    fresh = make_file(tmp_path / "Fresh.pkg", 5_000, seed=2)
    before = server_state(emulator)
    emulator.clear_request_log()

    run = cli(
        "--json",
        "upload",
        str(same),
        str(fresh),
        "--dry-run",
        "--category",
        "Tools",
        "--create-category",
        "--route",
        "jcds",
    )

    assert_unchanged(emulator, before)
    assert emulator.categories() == []
    assert run.code == 3, run
    exists, create = run.objects()
    assert exists | {"reason": None} == exists | {
        "command": "upload",
        "dry_run": True,
        "status": "planned",
        "path": str(same),
        "route": "jcds",
        "action": "fail",
        "conflict": "file_name",
        "file_name": "Same.pkg",
        "reason": None,
    }
    assert create["action"] == "create"
    assert (create["category"], create["category_id"], create["create_category"]) == (
        "Tools",
        None,
        True,
    )
    assert create["check"] == {
        "file_type": ".pkg",
        "kind": "flat package",
        "flat_package": True,
        "signed": False,
        "signed_by": None,
    }
    assert create["package_id"] is None
    assert create["size"] == 5_000


def test_rm_dry_run_says_what_would_be_deleted_and_deletes_nothing(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Kept.pkg", 1_000, seed=1)
    [package] = emulator.packages()
    before = server_state(emulator)
    emulator.clear_request_log()

    run = cli("rm", "Kept.pkg", "Missing.pkg", "--dry-run")  # no --yes, no terminal: no prompt

    assert_unchanged(emulator, before)
    assert run.code == 1, run
    assert run.stdout == f"would delete Kept.pkg and package {package['id']} 'Kept.pkg'\n"
    assert run.errors == [
        "jcds2: Missing.pkg: the distribution point has no file named 'Missing.pkg'. File "
        "names are case-sensitive; list the files to see what is there."
    ]
    listed = cli("--json", "rm", "Kept.pkg", "--dry-run")
    assert listed.objects() == [
        {
            "command": "rm",
            "dry_run": True,
            "status": "planned",
            "file_name": "Kept.pkg",
            "file_exists": True,
            "package_id": int(package["id"]),
            "package_name": "Kept.pkg",
        }
    ]
