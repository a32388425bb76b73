"""The installed ``jcds2`` command, run as a subprocess against the emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jcds2.emulator import JamfEmulator
from tests.helpers import make_file

COMMAND = shutil.which("jcds2", path=str(Path(sys.executable).parent))


def run(
    emulator: JamfEmulator, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    assert COMMAND is not None, "the jcds2 console script is not installed"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("JAMF_", "AWS_"))}
    environment |= {
        "JAMF_URL": emulator.url,
        "JAMF_CLIENT_ID": emulator.client_id,
        "JAMF_CLIENT_SECRET": emulator.client_secret,
        "AWS_ENDPOINT_URL_S3": emulator.s3_endpoint_url,
    }
    environment |= env or {}
    return subprocess.run(
        [COMMAND, *args],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_upload_list_download_remove(emulator: JamfEmulator, tmp_path: Path) -> None:
    source = make_file(tmp_path / "Cli Tool.pkg", 300_000, seed=21)
    uploaded = run(emulator, "upload", str(source), "--package-name", "CLI Tool", "--priority", "4")
    assert uploaded.returncode == 0, uploaded.stderr
    assert "uploaded Cli Tool.pkg (300000 bytes, in one request) as package" in uploaded.stdout
    [package] = emulator.packages()
    assert (package["packageName"], package["priority"]) == ("CLI Tool", 4)

    listed = run(emulator, "--json", "ls")
    assert listed.returncode == 0, listed.stderr
    [entry] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (entry["file_name"], entry["size"]) == ("Cli Tool.pkg", 300_000)

    out = tmp_path / "out"
    out.mkdir()
    downloaded = run(emulator, "download", "Cli Tool.pkg", "-o", str(out))
    assert downloaded.returncode == 0, downloaded.stderr
    assert (out / "Cli Tool.pkg").read_bytes() == source.read_bytes()

    removed = run(emulator, "rm", "Cli Tool.pkg")
    assert removed.returncode == 0, removed.stderr
    assert emulator.jcds_files() == []


def test_a_taken_file_name_exits_3(emulator: JamfEmulator, tmp_path: Path) -> None:
    source = make_file(tmp_path / "Twice.pkg", 1000, seed=22)
    assert run(emulator, "upload", str(source)).returncode == 0
    again = run(emulator, "upload", str(source))
    assert again.returncode == 3
    assert "already uses the file name 'Twice.pkg'" in again.stderr


def test_errors_are_one_line_without_traceback(emulator: JamfEmulator, tmp_path: Path) -> None:
    failed = run(emulator, "download", "Missing.pkg", "-o", str(tmp_path))
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "jcds2: the distribution point has no file named 'Missing.pkg'. File names are "
        "case-sensitive; "
        "list the files to see what is there."
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JAMF_URL": ""}, "no server"),
        ({"JAMF_CLIENT_ID": "", "JAMF_USERNAME": ""}, "no credentials"),
        ({"JAMF_CLIENT_SECRET": ""}, "set JAMF_CLIENT_SECRET"),
    ],
)
def test_missing_configuration_is_a_usage_error(
    emulator: JamfEmulator, env: dict[str, str], message: str
) -> None:
    failed = run(emulator, "ls", env=env)
    assert failed.returncode == 2
    assert message in failed.stderr


def test_user_name_and_password_from_the_environment(emulator: JamfEmulator) -> None:
    listed = run(
        emulator,
        "ls",
        env={
            "JAMF_CLIENT_ID": "",
            "JAMF_USERNAME": emulator.username,
            "JAMF_PASSWORD": emulator.password,
        },
    )
    assert listed.returncode == 0, listed.stderr


def test_debug_output_shows_no_secret(emulator: JamfEmulator, tmp_path: Path) -> None:
    source = make_file(tmp_path / "Debug.pkg", 6 * 1024 * 1024, seed=23)
    uploaded = run(emulator, "--debug", "upload", str(source))
    downloaded = run(emulator, "--debug", "download", "Debug.pkg", "-o", str(tmp_path / "x.pkg"))
    assert uploaded.returncode == downloaded.returncode == 0, uploaded.stderr + downloaded.stderr
    output = uploaded.stderr + uploaded.stdout + downloaded.stderr + downloaded.stdout
    assert "DEBUG jcds2.http: POST /api/v1/jcds/files -> 201" in output
    for secret in (emulator.client_secret, "X-Amz-Security-Token", "Signature=", "Bearer "):
        assert secret not in output
