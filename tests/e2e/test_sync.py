"""``jcds2 sync`` and ``client.sync`` end to end: every pair of point kinds against the
emulator, an unreachable destination, a tampered share file, --dry-run, deletions."""

from __future__ import annotations

import os
import time
from pathlib import Path

from jcds2 import JamfProClient
from jcds2.domain.sync import SyncAction
from jcds2.emulator import JamfEmulator
from tests.e2e.conftest import Cli, closed_port_url
from tests.helpers import make_file

EXIT_NOT_IN_SYNC = 7
OLD = time.time() - 3600


def build(folder: Path, count: int, *, seed: int = 0, size: int = 3000) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for index in range(count):
        path = make_file(folder / f"Sync{index}.pkg", size + index, seed=seed * 100 + index)
        os.utime(path, (OLD, OLD))  # outside the hash cache's racy window
        made[path.name] = path.read_bytes()
    return made


def held(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def summaries(objects: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(o["destination"]): o for o in objects if o.get("summary")}


def share(tmp_path: Path, name: str = "share") -> Path:
    (tmp_path / name / "Packages").mkdir(parents=True, exist_ok=True)
    return tmp_path / name


def test_a_folder_migrates_into_the_jcds_then_nothing_is_left_to_do(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    made = build(tmp_path / "build", 3)

    first = cli("sync", str(tmp_path / "build"), "jcds", "--json")

    assert first.code == 0, first.stderr
    assert summaries(first.objects())["jcds"]["counts"] == {
        "copy": 3,
        "replace": 0,
        "delete": 0,
        "keep": 0,
        "refuse": 0,
    }
    packages = {p.file_name: p for p in client.packages.all()}
    assert sorted(packages) == sorted(made)

    again = cli("sync", str(tmp_path / "build"), "jcds", "--json")

    assert again.code == 0, again.stderr
    assert {o["action"] for o in again.objects() if not o.get("summary")} == {"keep"}


def test_a_changed_file_replaces_the_packages_file_and_keeps_its_id(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    build(tmp_path / "build", 2)
    assert cli("sync", str(tmp_path / "build"), "jcds").code == 0
    ids = {p.file_name: p.id for p in client.packages.all()}
    changed = build(tmp_path / "build", 1, seed=5)

    run = cli("sync", str(tmp_path / "build"), "jcds", "--json")

    assert run.code == 0, run.stderr
    actions = {o["file"]: o["action"] for o in run.objects() if not o.get("summary")}
    assert actions == {"Sync0.pkg": "replace", "Sync1.pkg": "keep"}
    assert {p.file_name: p.id for p in client.packages.all()} == ids
    assert client.jcds2.verify_file("Sync0.pkg", tmp_path / "build" / "Sync0.pkg").match
    assert changed


def test_the_jcds_into_a_folder_and_a_share_in_one_run(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    made = build(tmp_path / "build", 2)
    client.jcds2.upload_files(sorted((tmp_path / "build").iterdir()))
    mounted = share(tmp_path)

    run = cli("sync", "jcds", str(tmp_path / "mirror"), f"share:{mounted}")

    assert run.code == 0, run.stderr
    assert held(tmp_path / "mirror") == made
    assert held(mounted / "Packages") == made
    assert "folder:" in run.stdout


def test_folder_to_folder_needs_no_server(cli: Cli, tmp_path: Path) -> None:
    made = build(tmp_path / "a", 3)

    run = cli("sync", str(tmp_path / "a"), str(tmp_path / "b"), env={"JAMF_URL": None})

    assert run.code == 0, run.stderr
    assert held(tmp_path / "b") == made


def test_a_share_into_the_jcds(cli: Cli, client: JamfProClient, tmp_path: Path) -> None:
    mounted = share(tmp_path)
    made = build(mounted / "Packages", 2)

    run = cli("sync", f"share:{mounted}", "jcds")

    assert run.code == 0, run.stderr
    assert sorted(p.file_name for p in client.packages.all()) == sorted(made)


def test_an_unreachable_share_is_skipped_and_the_others_are_synced(
    cli: Cli, tmp_path: Path
) -> None:
    made = build(tmp_path / "build", 2)
    unmounted = tmp_path / "Volumes" / "CasperShare"

    run = cli(
        "sync", str(tmp_path / "build"), f"share:{unmounted}", str(tmp_path / "mirror"), "--json"
    )

    assert run.code == EXIT_NOT_IN_SYNC
    assert "skipping share:" in run.stderr
    result = summaries(run.objects())
    assert result[f"share:{unmounted}"]["error"]
    assert result[f"folder:{tmp_path / 'mirror'}"]["in_sync"] is True
    assert held(tmp_path / "mirror") == made
    assert not unmounted.exists()


def test_a_server_that_does_not_answer_is_skipped(cli: Cli, tmp_path: Path) -> None:
    made = build(tmp_path / "build", 1)

    run = cli(
        "sync",
        str(tmp_path / "build"),
        "jcds",
        str(tmp_path / "mirror"),
        env={"JAMF_URL": closed_port_url()},
        timeout=120,
    )

    assert run.code == EXIT_NOT_IN_SYNC
    assert "skipping jcds" in run.stderr
    assert held(tmp_path / "mirror") == made


def test_a_tampered_file_on_a_share_is_found_and_replaced(cli: Cli, tmp_path: Path) -> None:
    made = build(tmp_path / "build", 2)
    mounted = share(tmp_path)
    assert cli("sync", str(tmp_path / "build"), f"share:{mounted}").code == 0
    tampered = mounted / "Packages" / "Sync1.pkg"
    data = bytearray(tampered.read_bytes())
    data[-1] ^= 0x01
    tampered.write_bytes(bytes(data))
    os.utime(tampered, (OLD, OLD))  # even with its old time back

    run = cli("sync", str(tmp_path / "build"), f"share:{mounted}", "--json")

    assert run.code == 0, run.stderr
    actions = {o["file"]: o["action"] for o in run.objects() if not o.get("summary")}
    assert actions == {"Sync0.pkg": "keep", "Sync1.pkg": "replace"}
    assert held(mounted / "Packages") == made


def test_a_dry_run_prints_the_plan_and_changes_nothing(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    build(tmp_path / "build", 2)

    run = cli("sync", str(tmp_path / "build"), "jcds", str(tmp_path / "mirror"), "--dry-run")

    assert run.code == EXIT_NOT_IN_SYNC
    assert run.stdout.count("would copy") == 4
    assert client.packages.all() == []
    assert held(tmp_path / "mirror") == {}


def test_a_package_a_policy_uses_is_not_deleted_from_the_jcds_unless_forced(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    build(tmp_path / "build", 3)
    assert cli("sync", str(tmp_path / "build"), "jcds").code == 0
    used = next(p for p in client.packages.all() if p.file_name == "Sync1.pkg")
    emulator.add_policy("Install Sync1", [used.id])
    (tmp_path / "build" / "Sync1.pkg").unlink()
    (tmp_path / "build" / "Sync2.pkg").unlink()

    refused = cli("sync", str(tmp_path / "build"), "jcds", "--delete", "--json")

    assert refused.code == EXIT_NOT_IN_SYNC
    actions = {o["file"]: o["action"] for o in refused.objects() if not o.get("summary")}
    assert actions == {"Sync0.pkg": "keep", "Sync1.pkg": "refuse", "Sync2.pkg": "delete"}
    assert "Install Sync1" in refused.stdout
    assert sorted(p.file_name for p in client.packages.all()) == ["Sync0.pkg", "Sync1.pkg"]

    forced = cli("sync", str(tmp_path / "build"), "jcds", "--delete", "--force")

    assert forced.code == 0, forced.stderr
    assert [p.file_name for p in client.packages.all()] == ["Sync0.pkg"]
    assert [f.file_name for f in client.jcds2.list_files()] == ["Sync0.pkg"]


def test_the_library_syncs_one_source_to_two_destinations(
    client: JamfProClient, tmp_path: Path
) -> None:
    made = build(tmp_path / "build", 2)

    report = client.sync(str(tmp_path / "build"), "jcds", str(tmp_path / "mirror"))

    assert report.in_sync
    assert {r.step.action for r in report.results} == {SyncAction.COPY}
    assert len(report.results) == 4
    assert held(tmp_path / "mirror") == made
    plan = client.sync(str(tmp_path / "build"), "jcds", str(tmp_path / "mirror"), dry_run=True)
    assert plan.in_sync
    assert '"in_sync": true' in plan.plan.to_json()


def test_share_to_share_without_a_server_refuses_deletions_unless_forced(
    cli: Cli, tmp_path: Path
) -> None:
    office, mirror = share(tmp_path, "office"), share(tmp_path, "mirror")
    made = build(office / "Packages", 2)
    build(mirror / "Packages", 1, seed=7)  # Sync0.pkg, other bytes
    (mirror / "Packages" / "Old.pkg").write_bytes(b"gone from the source")
    no_server = {"JAMF_URL": None}

    refused = cli("sync", f"share:{office}", f"share:{mirror}", "--delete", "--json", env=no_server)

    assert refused.code == EXIT_NOT_IN_SYNC, refused.stderr
    actions = {o["file"]: o["action"] for o in refused.objects() if not o.get("summary")}
    assert actions == {"Old.pkg": "refuse", "Sync0.pkg": "replace", "Sync1.pkg": "copy"}
    assert (mirror / "Packages" / "Old.pkg").exists()

    forced = cli("sync", f"share:{office}", f"share:{mirror}", "--delete", "--force", env=no_server)

    assert forced.code == 0, forced.stderr
    assert held(mirror / "Packages") == made
