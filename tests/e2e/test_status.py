"""``jcds2 status`` against the emulator: the table, ``--json``, ``--watch`` and exit codes;
and ``jcds2 ls`` naming the package that uses each file."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from jcds2 import JamfProClient
from jcds2.domain.models import LocalFile
from jcds2.emulator import JamfEmulator, TransferErrorFault
from tests.helpers import make_file, on_route

from .conftest import COMMAND, Cli, parallel, seed
from .test_cli_terminal import on_terminal

EXIT_NOT_READY = 5


def uploaded_pending(client: JamfProClient, folder: Path, name: str, size: int) -> Path:
    """A file uploaded on the packages route without waiting: PENDING until the emulator's
    transfer delay (set by the caller) has passed."""
    path = make_file(folder / name, size, seed=size)
    with on_route(client, "packages") as packages:
        packages.jcds2.upload_file(path, verify=False)
    return path


def fail_upload(emulator: JamfEmulator, file_name: str) -> None:
    """Mark ``file_name``'s upload failed, as Jamf Pro's own route does."""
    token = requests.post(
        f"{emulator.url}/api/v1/auth/token",
        auth=(emulator.username, emulator.password),
        timeout=10,
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{emulator.url}/api/v1/cloud-distribution-point"
    listed = requests.get(
        f"{base}/files", params={"filter": f'fileName=="{file_name}"'}, headers=headers, timeout=10
    ).json()["results"]
    [entry] = listed
    answer = requests.post(
        f"{base}/fail-upload/{entry['id']}",
        params={"file-name": file_name, "type": "PACKAGE"},
        headers=headers,
        timeout=10,
    )
    assert answer.status_code == 204, answer.text


def columns(line: str) -> list[str]:
    return re.split(r" {2,}", line.strip())


def test_status_shows_every_package_as_a_table_or_as_json(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    empty = cli("status")
    assert (empty.code, empty.stdout, empty.errors) == (0, "", ["jcds2: Jamf Pro has no packages"])

    seed(client, tmp_path, "Ready Tool.pkg", 3_000, seed=1)
    [package] = emulator.packages()
    human, machine = parallel(lambda: cli("status"), lambda: cli("status", "--json"))

    assert human.code == 0, human
    [header, row] = human.stdout.splitlines()
    assert header.split() == ["STATUS", "ID", "SIZE", "HASH", "FILE", "PACKAGE"]
    assert (
        columns(row)
        == [
            "READY",
            package["id"],
            "3000",  # not a terminal: exact bytes
            f"SHA3_512 {package['sha3512'][:16]}…",
            "Ready Tool.pkg",
            "Ready Tool.pkg",
        ]
    )
    assert machine.code == 0, machine
    assert machine.objects() == [
        {
            "command": "status",
            "name": "Ready Tool.pkg",
            "status": "READY",
            "package_id": int(package["id"]),
            "package_name": "Ready Tool.pkg",
            "file_name": "Ready Tool.pkg",
            "size": 3000,
            "hash_type": "SHA3_512",
            "hash_value": package["sha3512"],
            "settled": True,
        }
    ]


def test_status_exits_5_when_a_package_is_not_ready(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Fine.pkg", 1_000, seed=2)
    seed(client, tmp_path, "Broken.pkg", 1_000, seed=3)
    seed(client, tmp_path, "Fileless.pkg", 1_000, seed=4)
    fail_upload(emulator, "Broken.pkg")
    client.jcds2.delete_file("Fileless.pkg")  # the package stays, its file is gone
    emulator.set_transfer_delay(3600)
    uploaded_pending(client, tmp_path, "Slow.pkg", 2_000)

    fine, every, named = parallel(
        lambda: cli("status", "Fine.pkg"),
        lambda: cli("status", "--json"),
        lambda: cli("status", "fine.pkg", "No Such Package", "Broken.pkg", "--json"),
    )

    assert fine.code == 0, fine
    assert every.code == EXIT_NOT_READY, every
    assert {item["name"]: item["status"] for item in every.objects()} == {
        "Fine.pkg": "READY",
        "Broken.pkg": "ERROR",
        "Fileless.pkg": "NO_FILE",
        "Slow.pkg": "PENDING",
    }
    assert named.code == EXIT_NOT_READY, named
    found = [(item["name"], item["status"], item["file_name"]) for item in named.objects()]
    assert found == [
        ("fine.pkg", "READY", "Fine.pkg"),  # names are compared as Jamf compares them
        ("No Such Package", "NO_PACKAGE", None),
        ("Broken.pkg", "ERROR", "Broken.pkg"),
    ]


def _watch(cli: Cli, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(COMMAND), "status", "--watch", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli.environment(),
        cwd=cli.home,
    )


def test_watch_prints_each_change_until_every_package_is_ready(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Done.pkg", 1_000, seed=5)
    emulator.set_transfer_delay(3600)
    uploaded_pending(client, tmp_path, "Coming.pkg", 4_000)

    process = _watch(cli, "--json", "--interval", "0.05", "Coming.pkg", "Done.pkg")
    assert process.stdout is not None
    first = [json.loads(process.stdout.readline()) for _ in range(2)]
    assert [(item["name"], item["status"]) for item in first] == [
        ("Coming.pkg", "PENDING"),
        ("Done.pkg", "READY"),
    ]
    emulator.set_transfer_delay(0)  # the emulator takes the file in: READY at the next look
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    # Only the change is printed again.
    [last] = [json.loads(line) for line in out.splitlines()]
    assert (last["name"], last["status"], last["size"]) == ("Coming.pkg", "READY", 4_000)


def test_watch_gives_up_after_its_timeout(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    emulator.set_transfer_delay(3600)
    uploaded_pending(client, tmp_path, "Never.pkg", 1_000)

    run = cli("status", "--watch", "--interval", "0.05", "--timeout", "0.3")

    assert run.code == EXIT_NOT_READY, run
    [header, row] = run.stdout.splitlines()
    assert header.split()[0] == "STATUS"
    assert columns(row)[0] == "PENDING"
    assert run.errors == ["jcds2: 1 package still PENDING after 0.3 s: Never.pkg"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX here")
def test_ctrl_c_stops_a_watch_like_any_command(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    emulator.set_transfer_delay(3600)
    uploaded_pending(client, tmp_path, "Waiting.pkg", 1_000)
    process = _watch(cli, "--interval", "30")
    assert process.stdout is not None
    assert process.stdout.readline().split()[0] == "STATUS"
    assert process.stdout.readline().split()[0] == "PENDING"

    process.send_signal(signal.SIGINT)  # mid-wait: the wait is interrupted at once
    out, err = process.communicate(timeout=30)

    assert process.returncode == 130, err
    assert out == ""  # nothing more after the interrupt
    assert err.splitlines() == ["jcds2: interrupted"]


def test_status_on_a_file_share_has_no_transfers(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    share = tmp_path / "CasperShare"
    (share / "Packages").mkdir(parents=True)
    source = make_file(tmp_path / "Shared.pkg", 2_000, seed=6)
    in_share = {"JCDS2_FILE_SHARE": str(share)}
    assert cli("upload", str(source), env=in_share).code == 0
    seed(client, tmp_path / "jcds", "Elsewhere.pkg", 1_000, seed=7)  # on the JCDS only

    shared, every = parallel(
        lambda: cli("status", "Shared.pkg", "--json", env=in_share),
        lambda: cli("status", "--json", env=in_share),
    )

    assert shared.code == 0, shared
    assert [item["status"] for item in shared.objects()] == ["NOT_APPLICABLE"]
    assert every.code == EXIT_NOT_READY, every
    assert {item["name"]: item["status"] for item in every.objects()} == {
        "Shared.pkg": "NOT_APPLICABLE",
        "Elsewhere.pkg": "NO_FILE",
    }


# -- ls ---------------------------------------------------------------------------------------


def test_ls_names_the_package_of_each_file_or_none(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Used.pkg", 3_000, seed=8)
    stray = make_file(tmp_path / "Stray.pkg", 2_048, seed=9)
    # The file alone, without a package: the JCDS route's first step.
    ticket = client.container.jcds_file_store().open_upload("Stray.pkg")
    client.container.s3_uploader().upload(ticket, LocalFile(stray, stray.stat().st_size))
    [used] = emulator.packages()

    human, machine = parallel(lambda: cli("ls"), lambda: cli("ls", "--json"))

    assert human.code == 0, human
    rows = [columns(line) for line in human.stdout.splitlines()[1:]]
    assert [(row[0], row[3], row[4]) for row in rows] == [
        ("2048", "Stray.pkg", "none"),
        ("3000", "Used.pkg", f"{used['id']} Used.pkg"),
    ]
    assert [(o["file_name"], o["package_id"], o["package_name"]) for o in machine.objects()] == [
        ("Stray.pkg", None, None),
        ("Used.pkg", int(used["id"]), "Used.pkg"),
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")
def test_on_a_terminal_sizes_are_in_units(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Sized.pkg", 1_572_864, seed=10)  # 1.5 MiB
    [package] = emulator.packages()

    listed = on_terminal(cli, "ls")
    status = on_terminal(cli, "status")

    assert listed.code == 0, listed.output
    [row] = [line for line in listed.output.splitlines() if "Sized.pkg" in line]
    assert columns(row)[0] == "1.5 MiB"
    assert columns(row)[-1] == f"{package['id']} Sized.pkg"
    assert status.code == 0, status.output
    [row] = [line for line in status.output.splitlines() if "Sized.pkg" in line]
    assert columns(row)[:3] == ["READY", package["id"], "1.5 MiB"]


def test_watch_ends_when_the_server_fails_the_transfer(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    emulator.set_transfer_delay(3600)
    emulator.add_fault(TransferErrorFault())
    uploaded_pending(client, tmp_path, "Failing.pkg", 1_000)

    process = _watch(cli, "--json", "--interval", "0.05", "Failing.pkg")
    assert process.stdout is not None
    assert json.loads(process.stdout.readline())["status"] == "PENDING"
    emulator.set_transfer_delay(0)
    out, err = process.communicate(timeout=60)

    assert process.returncode == EXIT_NOT_READY, err
    assert [json.loads(line)["status"] for line in out.splitlines()] == ["ERROR"]


def test_ls_lists_the_files_even_when_the_packages_cannot_be_read(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Listed.pkg", 1_000, seed=11)
    emulator.inject_fault("GET", "/api/v1/packages", 403, times=2)

    human, machine = cli("ls"), cli("ls", "--json")

    assert human.code == 0, human
    [row] = human.stdout.splitlines()[1:]
    assert columns(row)[3:] == ["Listed.pkg", "?"]
    [note] = human.errors
    assert note.startswith("jcds2: note: not showing the packages that use the files: ")
    assert machine.code == 0, machine
    [listed] = machine.objects()
    assert "package_id" not in listed
    assert listed["file_name"] == "Listed.pkg"
