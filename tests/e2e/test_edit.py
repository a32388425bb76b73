"""Editing packages without uploading again: ``client.packages.update`` and ``jcds2 edit``,
and ``--on-exists skip|replace`` writing the package options given to the existing package.

The emulator blanks a package's ``size`` on every metadata PUT, as Jamf Pro does, until the
next inventory refresh: each test that writes checks the size is there at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jcds2 import JamfProClient
from jcds2.emulator import JamfEmulator
from jcds2.errors import (
    InvalidPackageFieldError,
    PackageNotFoundError,
    UnknownCategoryError,
    UnknownPackageFieldError,
)
from tests.e2e.conftest import Cli, seed
from tests.helpers import make_file, on_route

_SIGN_IN = ("/api/oauth/", "/api/v1/oauth/", "/api/v1/auth/")


def writes(emulator: JamfEmulator) -> list[tuple[str, str]]:
    """Every request that could change something (not a look-up, not signing in)."""
    return [
        (r.method, r.path)
        for r in emulator.request_log
        if r.method != "GET" and not r.path.startswith(_SIGN_IN)
    ]


def the_package(emulator: JamfEmulator) -> dict[str, Any]:
    [package] = emulator.packages()
    return package


@pytest.fixture
def uploaded(client: JamfProClient, emulator: JamfEmulator, tmp_path: Path) -> dict[str, Any]:
    """A package with its file taken in (READY, with its size), on the packages route."""
    seed(client, tmp_path, "Tool.pkg", 30_000, seed=7)
    package = the_package(emulator)
    assert package["size"] == "30000"
    assert package["cloudTransferStatus"] == "READY"
    emulator.clear_request_log()
    return package


# --- the library ----------------------------------------------------------------------------


def test_update_changes_only_what_was_asked_and_keeps_the_size(
    client: JamfProClient, emulator: JamfEmulator, uploaded: dict[str, Any]
) -> None:
    apps = emulator.add_category("Applications")

    result = client.packages.update(
        "Tool.pkg",
        category="Applications",
        info="An app",
        priority=3,
        reboot_required=True,
        os_requirements="14.x",
        fill_user_template=True,
        suppress_eula=True,
    )

    assert result.written is True
    assert result.refreshed is True  # the PUT blanked the size; a refresh brought it back
    assert {change.field for change in result.changes} == {
        "category",
        "info",
        "priority",
        "reboot_required",
        "os_requirements",
        "fill_user_template",
        "suppress_eula",
    }
    after = the_package(emulator)
    assert (after["categoryId"], after["info"], after["priority"]) == (apps["id"], "An app", 3)
    assert (after["rebootRequired"], after["osRequirements"]) == (True, "14.x")
    assert (after["fillUserTemplate"], after["suppressEula"]) == (True, True)
    # Everything else, the server-managed fields included, is as it was.
    changed = {
        "categoryId",
        "info",
        "priority",
        "rebootRequired",
        "osRequirements",
        "fillUserTemplate",
        "suppressEula",
    }
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in uploaded.items() if k not in changed
    }
    assert after["size"] == "30000"
    assert result.package.size == 30_000
    assert writes(emulator) == [
        ("PUT", f"/api/v1/packages/{uploaded['id']}"),
        ("POST", "/api/v1/cloud-distribution-point/refresh-inventory"),
    ]


def test_an_unchanged_edit_writes_nothing(
    client: JamfProClient, emulator: JamfEmulator, uploaded: dict[str, Any]
) -> None:
    result = client.packages.update(int(uploaded["id"]), priority=10, reboot_required=False)

    assert (result.written, result.changes) == (False, ())
    assert writes(emulator) == []
    assert the_package(emulator) == uploaded


def test_a_dry_run_says_what_would_change_and_changes_nothing(
    client: JamfProClient, emulator: JamfEmulator, uploaded: dict[str, Any]
) -> None:
    result = client.packages.update(
        "Tool.pkg", category="New One", create_category=True, notes="n", dry_run=True
    )

    assert (result.written, result.dry_run) == (False, True)
    assert [(c.field, c.old, c.new) for c in result.changes] == [
        ("notes", "", "n"),
        ("category", None, "New One"),
    ]
    assert writes(emulator) == []
    assert the_package(emulator) == uploaded
    assert emulator.categories() == []


def test_a_missing_category_is_created_only_when_asked(
    client: JamfProClient, emulator: JamfEmulator, uploaded: dict[str, Any]
) -> None:
    with pytest.raises(UnknownCategoryError):
        client.packages.update("Tool.pkg", category="Tools")
    assert writes(emulator) == []

    client.packages.update("Tool.pkg", category="Tools", create_category=True)

    [made] = emulator.categories()
    assert (made["name"], the_package(emulator)["categoryId"]) == ("Tools", made["id"])
    assert the_package(emulator)["size"] == "30000"


def test_unknown_packages_fields_and_values_are_typed_errors(
    client: JamfProClient, emulator: JamfEmulator, uploaded: dict[str, Any]
) -> None:
    with pytest.raises(PackageNotFoundError, match="No Such"):
        client.packages.update("No Such.pkg", priority=3)
    with pytest.raises(UnknownPackageFieldError, match="colour"):
        client.packages.update("Tool.pkg", colour="red")
    with pytest.raises(InvalidPackageFieldError, match="priority"):
        client.packages.update("Tool.pkg", priority=21)
    with pytest.raises(InvalidPackageFieldError, match="reboot_required"):
        client.packages.update("Tool.pkg", reboot_required="yes")
    assert writes(emulator) == []


@pytest.mark.parametrize("route", ["jcds", "packages"])
def test_on_exists_replace_writes_the_options_given_to_the_package(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path, route: str
) -> None:
    for folder in ("old", "new"):
        (tmp_path / folder).mkdir()
    old = make_file(tmp_path / "old" / "Kept.pkg", 20_000, seed=1)
    new = make_file(tmp_path / "new" / "Kept.pkg", 25_000, seed=2)
    apps = emulator.add_category("Applications")
    with on_route(client, route) as routed:
        first = routed.jcds2.upload_file(old, info="first", notes="kept")
        result = routed.jcds2.upload_file(
            new, on_exists="replace", category="Applications", info="second", priority=4
        )

    assert (result.replaced, result.package_id) == (True, first.package_id)
    assert set(result.changed_fields) == {"category", "info", "priority"}
    package = the_package(emulator)
    assert (package["categoryId"], package["info"], package["priority"]) == (
        apps["id"],
        "second",
        4,
    )
    assert package["notes"] == "kept"  # not given: left alone
    if route == "packages":
        assert package["size"] == "25000"


def test_on_exists_skip_writes_the_options_given_and_sends_no_byte(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    path = seed(client, tmp_path, "Same.pkg", 20_000, seed=3)
    emulator.clear_request_log()
    emulator.clear_s3_request_log()

    with on_route(client, "packages") as routed:
        result = routed.jcds2.upload_file(path, on_exists="skip", notes="new", priority=3)

    assert result.skipped is True
    assert result.changed_fields == ("notes", "priority")
    package = the_package(emulator)
    assert (package["notes"], package["priority"], package["size"]) == ("new", 3, "20000")
    assert not any("/upload" in path for _, path in writes(emulator))
    assert emulator.s3_request_log == []


# --- the command line -----------------------------------------------------------------------


def test_jcds2_edit_changes_the_settings(
    cli: Cli, emulator: JamfEmulator, uploaded: dict[str, Any]
) -> None:
    emulator.add_category("Applications")
    run = cli(
        "edit",
        "Tool.pkg",
        "--category",
        "Applications",
        "--priority",
        "5",
        "--reboot-required",
        "--no-fill-user-template",
        "--notes",
        "from the CLI",
    )

    assert run.code == 0, run
    assert run.stdout == (
        f"changed package {uploaded['id']} 'Tool.pkg':\n"
        "  notes: '' → 'from the CLI'\n"
        "  priority: 10 → 5\n"
        "  reboot_required: no → yes\n"
        "  category: (none) → 'Applications'\n"
    )
    package = the_package(emulator)
    assert (package["notes"], package["priority"], package["rebootRequired"]) == (
        "from the CLI",
        5,
        True,
    )
    assert package["size"] == "30000"


def test_jcds2_edit_dry_run_prints_old_and_new_and_sends_nothing(
    cli: Cli, emulator: JamfEmulator, uploaded: dict[str, Any]
) -> None:
    run = cli("edit", "Tool.pkg", "--priority", "5", "--info", "i", "--dry-run", "--json")

    assert run.code == 0, run
    [data] = run.objects()
    assert data["status"] == "would change"
    assert data["dry_run"] is True
    assert data["changes"] == [
        {"field": "info", "old": "", "new": "i"},
        {"field": "priority", "old": 10, "new": 5},
    ]
    assert writes(emulator) == []
    assert the_package(emulator) == uploaded


def test_jcds2_edit_of_an_unchanged_package_says_so(
    cli: Cli, emulator: JamfEmulator, uploaded: dict[str, Any]
) -> None:
    run = cli("edit", uploaded["id"], "--id", "--priority", "10")

    assert run.code == 0, run
    assert run.stdout == (
        f"package {uploaded['id']} 'Tool.pkg' already has these settings: nothing to change\n"
    )
    assert writes(emulator) == []


def test_jcds2_edit_of_a_missing_package_or_without_settings_fails(
    cli: Cli, emulator: JamfEmulator, uploaded: dict[str, Any]
) -> None:
    missing = cli("edit", "Nope.pkg", "--priority", "3")
    bare = cli("edit", "Tool.pkg")

    assert missing.code == 1, missing
    assert missing.errors == [
        "jcds2: Jamf Pro has no package with the name 'Nope.pkg'. Give a package's display "
        "name, its file name or its id (jcds2 ls lists the files)."
    ]
    assert bare.code == 2, bare
    assert "give at least one setting to change" in bare.stderr
    assert writes(emulator) == []
