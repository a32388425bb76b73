"""The installed ``jcds2`` command, run as a subprocess against the emulator over real HTTP.

Each test starts ``jcds2`` with a clean environment (see ``tests/e2e/conftest.py``) and
checks its exit code, its stdout and stderr, and what the emulator holds afterwards. Files
a test needs on the server beforehand are uploaded through the library, which is quicker.
Standard input and error are pipes here, so no progress bar may appear; the bars on a
terminal are tested in ``test_cli_terminal.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import jcds2
from jcds2 import JamfProClient
from jcds2.emulator import JamfEmulator, StallFault
from tests.helpers import make_certificates, make_file, sha, tls_proxy

from .conftest import Cli, Run, closed_port_url, make_cli, parallel, seed

COMMANDS = (
    "upload",
    "download",
    "ls",
    "status",
    "audit",
    "rm",
    "verify",
    "ping",
    "login",
    "logout",
    "completion",
)
NO_SUCH_FILE = (
    "the distribution point has no file named {name!r}. File names are case-sensitive; "
    "list the files to see what is there."
)


def upload_routes(emulator: JamfEmulator) -> list[str]:
    """The route of each upload the emulator received, in order."""
    routes = []
    for request in emulator.request_log:
        if request.method != "POST":
            continue
        if re.fullmatch(r"/api/v1/packages/\d+/upload", request.path):
            routes.append("packages")
        elif request.path == "/api/v1/jcds/files":
            routes.append("jcds")
    return routes


def stored_files(emulator: JamfEmulator) -> list[tuple[str, int, str]]:
    return sorted((item["fileName"], item["length"], item["md5"]) for item in emulator.jcds_files())


def local_files(*paths: Path) -> list[tuple[str, int, str]]:
    return sorted((path.name, path.stat().st_size, sha(path, "md5")) for path in paths)


def package_files(emulator: JamfEmulator) -> list[str]:
    return sorted(package["fileName"] for package in emulator.packages())


def assert_nothing_on_stderr(run: Run) -> None:
    """No error, and no progress bar: stderr is a pipe here, not a terminal."""
    assert "%|" not in run.stderr, run
    assert "B/s" not in run.stderr, run
    assert run.stderr == "", run


# -- upload ---------------------------------------------------------------------------------

# --category takes a name or an id on every route (tests/e2e/test_categories.py); here the
# packages route gets the id and the jcds route the name. Either way the category must
# exist, as on a real server (the emulator refuses unknown ones): the test creates it first.
CATEGORY = {"packages": "id", "jcds": "name"}


@pytest.mark.parametrize(("route", "taken"), [("auto", "packages"), *((r, r) for r in CATEGORY)])
def test_upload_one_file_with_its_package_metadata(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path, route: str, taken: str
) -> None:
    source = make_file(tmp_path / "Tool 1.2.pkg", 300_000, seed=1)
    made = emulator.add_category("Tools")
    category_id = made["id"]
    category = category_id if CATEGORY[taken] == "id" else made["name"]
    run = cli(
        "upload",
        str(source),
        "--route",
        route,
        "--package-name",
        "Tool",
        "--category",
        category,
        "--info",
        "About the tool",
        "--notes",
        "Noted",
        "--priority",
        "4",
    )

    assert run.code == 0, run
    assert_nothing_on_stderr(run)
    [line] = run.stdout.splitlines()
    shown = re.fullmatch(
        r"uploaded Tool 1\.2\.pkg \(300000 bytes, in one request, verified\) "
        r"as package (\d+) 'Tool'",
        line,
    )
    assert shown is not None, line
    [package] = emulator.packages()
    assert {key: package[key] for key in ("id", "packageName", "fileName")} == {
        "id": shown[1],
        "packageName": "Tool",
        "fileName": "Tool 1.2.pkg",
    }
    assert (package["categoryId"], package["info"], package["notes"], package["priority"]) == (
        category_id,
        "About the tool",
        "Noted",
        4,
    )
    assert stored_files(emulator) == local_files(source)
    assert upload_routes(emulator) == [taken]


def test_route_auto_takes_the_jcds_route_when_the_server_refuses_direct_uploads(
    tmp_path: Path,
) -> None:
    source = make_file(tmp_path / "Auto.pkg", 10_000, seed=2)
    with JamfEmulator(direct_upload_capable=False) as emulator:
        run = make_cli(emulator, tmp_path)("--json", "upload", str(source))

        assert run.code == 0, run
        [result] = run.objects()
        assert (result["route"], result["status"], result["verified"]) == ("jcds", "uploaded", True)
        assert upload_routes(emulator) == ["jcds"]
        assert stored_files(emulator) == local_files(source)


@pytest.mark.parametrize(("route", "taken"), [("auto", "packages"), *((r, r) for r in CATEGORY)])
def test_upload_several_files_at_once(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path, route: str, taken: str
) -> None:
    sources = [make_file(tmp_path / f"Batch {n}.pkg", 40_000 * n, seed=n) for n in (1, 2, 3)]
    run = cli("--json", "upload", *map(str, sources), "--route", route, "--workers", "3")

    assert run.code == 0, run
    assert_nothing_on_stderr(run)
    results = sorted(run.objects(), key=lambda result: result["file_name"])
    assert [
        (r["file_name"], r["size"], r["status"], r["route"], r["verified"]) for r in results
    ] == [(source.name, source.stat().st_size, "uploaded", taken, True) for source in sources]
    assert [(r["path"], r["package_name"]) for r in results] == [
        (str(source), source.name) for source in sources
    ]
    assert stored_files(emulator) == local_files(*sources)
    assert package_files(emulator) == [source.name for source in sources]
    assert upload_routes(emulator) == [taken] * 3


def test_workers_upload_the_files_of_a_batch_at_once(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    # The first file's bytes stall on the S3 server for a while. The jcds route makes a
    # package once its file is stored, so the second file's package comes first only if
    # it was uploaded meanwhile, by a second worker.
    slow, quick = (
        make_file(tmp_path / f"{name}.pkg", 10_000, seed=n)
        for n, name in enumerate(("Slow", "Quick"))
    )
    emulator.add_fault(
        StallFault(
            server="s3",
            method="PUT",
            path=rf"/{emulator.bucket}/.+/Slow\.pkg",
            seconds=1.5,
            times=1,
        )
    )
    run = cli("upload", str(slow), str(quick), "--route", "jcds", "--workers", "2")

    assert run.code == 0, run
    assert len(emulator.fault_log) == 1
    by_id = sorted(emulator.packages(), key=lambda package: int(package["id"]))
    assert [package["fileName"] for package in by_id] == ["Quick.pkg", "Slow.pkg"]


def test_a_file_name_a_package_uses_fails_with_exit_3_and_advice_for_the_command_line(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    taken = seed(client, tmp_path, "Taken.pkg", 20_000, seed=3)
    before = emulator.packages()
    [package] = before
    run = cli("upload", str(taken))

    assert run.code == 3, run
    assert run.stdout == ""
    assert run.errors == [
        f"jcds2: {taken}: package {package['id']} ('Taken.pkg') already uses the file name "
        "'Taken.pkg'. Rename the file, delete that package (jcds2 rm Taken.pkg), or upload "
        "again with --on-exists skip (keeps it if it is the same file) or --on-exists replace."
    ]
    assert emulator.packages() == before


def test_on_exists_skip_sends_nothing_when_the_package_has_the_same_file(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    taken = seed(client, tmp_path, "Same.pkg", 20_000, seed=4)
    [package] = emulator.packages()
    emulator.clear_request_log()
    emulator.clear_s3_request_log()
    run = cli("upload", str(taken), "--on-exists", "skip", "--route", "jcds")

    assert run.code == 0, run
    assert (
        run.stdout
        == f"skipped Same.pkg: package {package['id']} 'Same.pkg' already has this file\n"
    )
    assert upload_routes(emulator) == []
    assert emulator.s3_request_log == []
    assert emulator.packages() == [package]
    assert run.stderr == ""


def test_package_options_on_an_existing_package_are_applied_to_it(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    # Issue 15: --on-exists skip|replace writes the package options given to the package
    # (only those), where it once only named them in a note.
    taken = seed(client, tmp_path, "Kept.pkg", 20_000, seed=5)
    [package] = emulator.packages()
    run = cli("upload", str(taken), "--on-exists", "skip", "--priority", "3", "--notes", "new")

    assert run.code == 0, run
    assert run.stdout == (
        f"skipped Kept.pkg: package {package['id']} 'Kept.pkg' already has this file; "
        "changed its notes, priority\n"
    )
    assert run.stderr == ""
    assert emulator.packages() == [package | {"notes": "new", "priority": 3}]


def test_on_exists_skip_with_a_different_file_exits_3_with_advice_for_the_command_line(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path / "server", "Differs.pkg", 20_000, seed=5)
    before = (emulator.packages(), stored_files(emulator))
    local = make_file(tmp_path / "Differs.pkg", 20_000, seed=6)
    run = cli("upload", str(local), "--on-exists", "skip")

    assert run.code == 3, run
    [error] = run.errors
    assert error.startswith(f"jcds2: {local}: package ")
    assert "Its file differs from the local one" in error
    assert (emulator.packages(), stored_files(emulator)) == before
    # The library's words (on_exists='replace') mean nothing on the command line.
    assert "--on-exists replace" in error
    assert "on_exists=" not in error


def test_on_exists_replace_puts_the_new_file_into_the_same_package(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path / "server", "Replaced.pkg", 20_000, seed=7)
    [package] = emulator.packages()
    newer = make_file(tmp_path / "Replaced.pkg", 25_000, seed=8)
    run = cli("upload", str(newer), "--on-exists", "replace")

    assert run.code == 0, run
    assert run.stdout == (
        f"replaced the file of package {package['id']} 'Replaced.pkg' with Replaced.pkg "
        "(25000 bytes, verified)\n"
    )
    assert [item["id"] for item in emulator.packages()] == [package["id"]]
    assert stored_files(emulator) == local_files(newer)


def test_a_batch_exits_with_its_worst_code_and_uploads_the_other_files(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    taken = seed(client, tmp_path / "server", "Taken.pkg", 5_000, seed=9)
    fresh = make_file(tmp_path / "Fresh.pkg", 5_000, seed=10)
    missing = tmp_path / "Missing.pkg"

    failed = cli("--json", "upload", str(fresh), str(taken), str(missing))
    assert failed.code == 1, failed  # a failure beats "already exists"
    outcome = {
        result["path"]: result.get("error", {}).get("type", result["status"])
        for result in failed.objects()
    }
    assert outcome == {
        str(fresh): "uploaded",
        str(taken): "PackageExistsError",
        str(missing): "LocalFileNotFoundError",
    }
    codes = {r["path"]: r["error"]["exit_code"] for r in failed.objects() if "error" in r}
    assert codes == {str(taken): 3, str(missing): 1}
    for path in (taken, missing):
        assert any(line.startswith(f"jcds2: {path}: ") for line in failed.errors), failed
    assert package_files(emulator) == ["Fresh.pkg", "Taken.pkg"]

    other = make_file(tmp_path / "Other.pkg", 5_000, seed=11)
    exists = cli("upload", str(other), str(taken))
    assert exists.code == 3, exists  # "already exists" beats success
    assert exists.stdout.startswith("uploaded Other.pkg ")
    assert package_files(emulator) == ["Fresh.pkg", "Other.pkg", "Taken.pkg"]


def test_each_failed_file_of_a_batch_is_one_line_on_stderr(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    taken = seed(client, tmp_path / "server", "Taken.pkg", 5_000, seed=12)
    missing = tmp_path / "Missing.pkg"
    run = cli("upload", str(taken), str(missing))

    assert run.code == 1, run
    assert [line.split(": ")[:2] for line in run.errors] == [
        ["jcds2", str(taken)],
        ["jcds2", str(missing)],
    ], run.stderr


def test_package_name_with_several_files_is_a_usage_error(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    one, two = (make_file(tmp_path / f"{n}.pkg", 1_000, seed=n) for n in (1, 2))
    run = cli("upload", str(one), str(two), "--package-name", "Both")

    assert run.code == 2, run
    assert run.errors == ["jcds2: --package-name names one package: give one FILE, or leave it out"]
    assert run.stdout == ""  # no --json: the error is not repeated on stdout
    assert emulator.request_log == []


def test_no_verify_returns_before_the_server_has_the_file(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    # The server takes a minute to show the file: only an upload that does not wait for
    # that can finish within the subprocess's time limit.
    emulator.set_transfer_delay(60)
    source = make_file(tmp_path / "Unverified.pkg", 10_000, seed=13)
    started = time.monotonic()
    run = cli("upload", str(source), "--no-verify", timeout=30)

    assert run.code == 0, run
    assert time.monotonic() - started < 30
    assert re.fullmatch(
        r"uploaded Unverified\.pkg \(10000 bytes, in one request\) as package \d+ "
        r"'Unverified\.pkg'\n",
        run.stdout,
    ), run.stdout
    assert package_files(emulator) == ["Unverified.pkg"]


def test_quiet_prints_no_result_lines_but_still_the_errors(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    taken = seed(client, tmp_path / "server", "Taken.pkg", 5_000, seed=15)
    fresh = make_file(tmp_path / "Fresh.pkg", 5_000, seed=16)
    run = cli("upload", str(fresh), str(taken), "--quiet")
    listed = cli("-q", "ls")

    assert run.code == 3, run
    assert run.stdout == ""
    assert any(line.startswith(f"jcds2: {taken}: package ") for line in run.errors), run
    assert "%|" not in run.stderr
    assert package_files(emulator) == ["Fresh.pkg", "Taken.pkg"]
    assert (listed.code, listed.stdout, listed.stderr) == (0, "", "")


# -- download -------------------------------------------------------------------------------


def test_download_several_names_into_the_current_directory(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    sources = [
        seed(client, tmp_path / "server", f"Get {n}.pkg", 70_000 * n, seed=n) for n in (1, 2)
    ]
    here = tmp_path / "here"
    here.mkdir()
    run = cli("download", *(source.name for source in sources), cwd=here)

    assert run.code == 0, run
    assert_nothing_on_stderr(run)
    assert run.stdout.splitlines() == [
        f"downloaded {source.name} to {here / source.name} ({source.stat().st_size} bytes, "
        "MD5 verified)"
        for source in sources
    ]
    for source in sources:
        assert sha(here / source.name) == sha(source)
    assert sorted(path.name for path in here.iterdir()) == [source.name for source in sources]


def test_download_one_name_to_a_file_path(cli: Cli, client: JamfProClient, tmp_path: Path) -> None:
    source = seed(client, tmp_path / "server", "Renamed.pkg", 50_000, seed=17)
    target = tmp_path / "out" / "another name.pkg"
    target.parent.mkdir()
    run = cli("--json", "download", source.name, "-o", str(target))

    assert run.code == 0, run
    assert_nothing_on_stderr(run)
    [result] = run.objects()
    assert (result["status"], result["file_name"], result["path"]) == (
        "downloaded",
        "Renamed.pkg",
        str(target),
    )
    assert sha(target) == sha(source)
    assert [path.name for path in target.parent.iterdir()] == [target.name]


def test_several_names_need_an_existing_directory(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    for n in (1, 2):
        seed(client, tmp_path / "server", f"{n}.pkg", 1_000, seed=n)
    emulator.clear_request_log()
    target = tmp_path / "out.pkg"
    run = cli("download", "1.pkg", "2.pkg", "-o", str(target))

    assert run.code == 2, run
    assert run.errors == [
        f"jcds2: {target} is not a directory: with several names, -o must name an existing "
        "directory"
    ]
    assert not target.exists()
    assert emulator.request_log == []


@pytest.mark.parametrize(
    ("names", "slash"),
    [(("1.pkg",), True), (("1.pkg",), False), (("1.pkg", "2.pkg"), True)],
    ids=["one-folder/", "one-folder/file", "two-folder/"],
)
def test_a_missing_output_folder_is_a_usage_error_for_one_name_or_several(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path, names: tuple[str, ...], slash: bool
) -> None:
    missing = tmp_path / "missing"
    output = f"{missing}{os.sep}" if slash else str(missing / "out.pkg")
    emulator.clear_request_log()
    run = cli("download", *names, "-o", output)

    assert run.code == 2, run
    if len(names) == 1:
        assert run.errors == [
            f"jcds2: the directory {missing} does not exist. Create it first or choose another "
            "path."
        ]
    assert not missing.exists()
    assert emulator.request_log == []


def test_an_existing_file_is_replaced_only_with_overwrite_which_the_error_names(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    source = seed(client, tmp_path / "server", "Again.pkg", 30_000, seed=18)
    out = tmp_path / "out"
    out.mkdir()
    local = out / "Again.pkg"
    local.write_bytes(b"mine")

    kept = cli("download", source.name, "-o", str(out))
    assert kept.code == 1, kept
    [error] = kept.errors
    assert error.startswith(f"jcds2: Again.pkg: {local} already exists.")
    assert local.read_bytes() == b"mine"

    replaced = cli("download", source.name, "-o", str(out), "--overwrite")
    assert replaced.code == 0, replaced
    assert sha(local) == sha(source)
    # The library's words (overwrite=True) mean nothing on the command line.
    assert "--overwrite" in error
    assert "overwrite=True" not in error


def test_a_missing_name_does_not_stop_the_other_downloads(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    first = seed(client, tmp_path / "server", "First.pkg", 20_000, seed=20)
    last = seed(client, tmp_path / "server", "Last.pkg", 20_000, seed=21)
    out = tmp_path / "out"
    out.mkdir()
    run = cli("download", "First.pkg", "Missing.pkg", "Last.pkg", "-o", str(out), "--json")

    assert run.code == 1, run
    assert run.errors == ["jcds2: Missing.pkg: " + NO_SUCH_FILE.format(name="Missing.pkg")]
    [ok_first, missing, ok_last] = run.objects()
    assert (ok_first["file_name"], ok_first["status"]) == ("First.pkg", "downloaded")
    assert (ok_last["file_name"], ok_last["status"]) == ("Last.pkg", "downloaded")
    assert missing == {
        "command": "download",
        "file_name": "Missing.pkg",
        "status": "failed",
        "error": {
            "type": "RemoteFileNotFoundError",
            "message": NO_SUCH_FILE.format(name="Missing.pkg"),
            "exit_code": 1,
        },
    }
    assert sha(out / "First.pkg") == sha(first)
    assert sha(out / "Last.pkg") == sha(last)
    assert sorted(path.name for path in out.iterdir()) == ["First.pkg", "Last.pkg"]


# -- ls -------------------------------------------------------------------------------------


def test_ls_shows_name_size_md5_and_sha3_in_columns_or_as_json(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    empty, empty_json, empty_quiet = cli("ls"), cli("--json", "ls"), cli("-q", "ls")
    assert (empty.code, empty.stdout) == (0, "")
    assert empty.errors == ["jcds2: the distribution point holds no files"]
    for quiet in (empty_json, empty_quiet):  # nothing for a script to parse around
        assert (quiet.code, quiet.stdout, quiet.stderr) == (0, "", "")

    for n, name in enumerate(("b second.pkg", "a first.pkg")):
        seed(client, tmp_path, name, 10_000 * (n + 1), seed=n)
    stored = sorted(emulator.jcds_files(), key=lambda item: item["fileName"])
    human, before, after = parallel(
        lambda: cli("ls"), lambda: cli("--json", "ls"), lambda: cli("ls", "--json")
    )

    users = {package["fileName"]: int(package["id"]) for package in emulator.packages()}
    assert human.code == 0, human
    [header, *rows] = human.stdout.splitlines()
    # Columns two spaces apart or more: names hold single spaces. Not on a terminal, sizes
    # are exact bytes; each line ends with the package that uses the file (id and name).
    assert header.split() == ["SIZE", "MD5", "SHA3-512", "NAME", "PACKAGE"]
    assert [re.split(r" {2,}", row.strip()) for row in rows] == [
        [
            str(item["length"]),
            item["md5"],
            item["sha3"][:16] + "…",
            item["fileName"],
            f"{users[item['fileName']]} {item['fileName']}",
        ]
        for item in stored
    ]
    for run in (before, after):
        assert run.code == 0, run
        assert run.objects() == [
            {
                "command": "ls",
                "file_name": item["fileName"],
                "size": item["length"],
                "md5": item["md5"],
                "sha3_512": item["sha3"],
                "package_id": users[item["fileName"]],
                "package_name": item["fileName"],
            }
            for item in stored
        ]


# -- rm -------------------------------------------------------------------------------------


def test_rm_yes_deletes_the_file_and_its_package(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Gone.pkg", 1_000, seed=1)
    kept = seed(client, tmp_path, "Kept.pkg", 1_000, seed=2)
    gone_id = next(p["id"] for p in emulator.packages() if p["fileName"] == "Gone.pkg")
    run = cli("rm", "Gone.pkg", "--yes")

    assert run.code == 0, run
    assert run.stdout == f"deleted Gone.pkg and package {gone_id}\n"
    assert package_files(emulator) == ["Kept.pkg"]
    assert stored_files(emulator) == local_files(kept)


def test_rm_without_yes_and_without_a_terminal_deletes_nothing(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    kept = seed(client, tmp_path, "Kept.pkg", 1_000, seed=3)
    run = cli("rm", "Kept.pkg")

    assert run.code == 2, run
    assert run.errors == [
        "jcds2: not deleting without confirmation: pass --yes (standard input is not a terminal)"
    ]
    assert package_files(emulator) == ["Kept.pkg"]
    assert stored_files(emulator) == local_files(kept)


def test_rm_of_a_missing_name_exits_1_and_deletes_the_others(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    seed(client, tmp_path, "Present.pkg", 1_000, seed=4)
    run = cli("rm", "Missing.pkg", "Present.pkg", "--yes")

    assert run.code == 1, run
    assert run.errors == ["jcds2: Missing.pkg: " + NO_SUCH_FILE.format(name="Missing.pkg")]
    assert run.stdout.startswith("deleted Present.pkg and package ")
    assert (emulator.packages(), emulator.jcds_files()) == ([], [])


# -- verify ---------------------------------------------------------------------------------


def test_verify_a_matching_file_in_the_current_directory_and_as_json(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    source = seed(client, tmp_path / "here", "Same.pkg", 40_000, seed=5)
    [stored] = emulator.jcds_files()
    human, elsewhere = parallel(
        lambda: cli("verify", "Same.pkg", cwd=source.parent),
        lambda: cli("verify", "Same.pkg", "--file", str(source), "--json"),
    )

    assert human.code == 0, human
    assert human.stdout == (
        f"Same.pkg: the server's file matches Same.pkg (40000 bytes, SHA3-512 "
        f"{stored['sha3'][:16]}…)\n"
    )
    assert elsewhere.code == 0, elsewhere
    assert elsewhere.objects() == [
        {
            "command": "verify",
            "file_name": "Same.pkg",
            "path": str(source),
            "match": True,
            "algorithm": "SHA3-512",
            "remote_size": 40_000,
            "local_size": 40_000,
            "remote_hash": stored["sha3"],
            "local_hash": sha(source, "sha3_512"),
        }
    ]


@pytest.mark.parametrize("difference", ["size", "content"])
def test_verify_a_different_file_exits_4(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path, difference: str
) -> None:
    seed(client, tmp_path / "server", "Other.pkg", 40_000, seed=6)
    [stored] = emulator.jcds_files()
    size = 40_000 if difference == "content" else 39_999
    local = make_file(tmp_path / "Other.pkg", size, seed=7)
    run = cli("verify", "Other.pkg", "--file", str(local), "--json")

    # 4, not 1: a difference found is not a failure to compare (issue 15).
    assert run.code == 4, run
    [result] = run.objects()
    assert (result["match"], result["remote_size"], result["local_size"]) == (False, 40_000, size)
    [error] = run.errors
    if difference == "size":
        assert result["local_hash"] is None
        assert error == (
            f"jcds2: Other.pkg differs from {local}: the server has 40000 bytes, {local} has {size}"
        )
    else:
        assert result["local_hash"] == sha(local, "sha3_512") != stored["sha3"]
        assert error == (
            f"jcds2: Other.pkg differs from {local}: SHA3-512 {stored['sha3'][:16]}… on the "
            f"server, {result['local_hash'][:16]}… in {local}"
        )


# -- ping and credentials -------------------------------------------------------------------


def test_ping_reports_the_server_version_and_the_identity(cli: Cli, emulator: JamfEmulator) -> None:
    human, machine = parallel(lambda: cli("ping"), lambda: cli("ping", "--json"))

    assert human.code == 0, human
    assert human.stdout == (
        f"{emulator.url}: Jamf Pro {emulator.version}; credentials of API client "
        f"'{emulator.client_id}' accepted; direct uploads: yes\n"
    )
    assert machine.code == 0, machine
    assert machine.objects() == [
        {
            "command": "ping",
            "server": emulator.url,
            "reachable": True,
            "authenticated": True,
            "identity": f"API client '{emulator.client_id}'",
            "version": emulator.version,
            "direct_upload_capable": True,
        }
    ]


def test_ping_with_a_wrong_secret_exits_1(cli: Cli, emulator: JamfEmulator) -> None:
    run = cli("ping", "--json", env={"JAMF_CLIENT_SECRET": "not-the-secret"})

    assert run.code == 1, run
    [result] = run.objects()
    assert (result["reachable"], result["authenticated"]) == (True, False)
    assert result["error"]["type"] == "AuthenticationError"
    [error] = run.errors
    assert error.startswith("jcds2: signing in to Jamf Pro as API client ")
    assert "rejected the credentials (HTTP 401)" in error


def test_ping_an_unreachable_server_exits_1_with_one_error_line(cli: Cli) -> None:
    server = closed_port_url()
    run = cli("--json", "ping", "--server", server)

    assert run.code == 1, run
    [result] = run.objects()
    assert (result["server"], result["reachable"], result["authenticated"]) == (
        server,
        False,
        False,
    )
    assert result["error"]["type"] == "ServerUnreachableError"
    assert run.errors[-1].startswith("jcds2: signing in to Jamf Pro as API client ")
    assert f"cannot reach {server}/" in run.errors[-1]
    # Nothing else: no retry warnings of the HTTP library before the error.
    assert len(run.errors) == 1, run.stderr


def test_password_stdin_reads_the_secret_from_the_first_line(
    cli: Cli, emulator: JamfEmulator
) -> None:
    no_secret = {"JAMF_CLIENT_SECRET": None}
    piped, empty = parallel(
        lambda: cli("--password-stdin", "ping", env=no_secret, stdin=emulator.client_secret + "\n"),
        lambda: cli("ping", "--password-stdin", env=no_secret, stdin="\n"),
    )

    assert piped.code == 0, piped
    assert "accepted" in piped.stdout
    assert empty.code == 2, empty
    assert empty.errors == [
        "jcds2: --password-stdin read an empty line: pipe the client secret for API client "
        f"'{emulator.client_id}' at {emulator.url} as the first line of standard input"
    ]


def test_a_user_name_and_password_from_the_environment(cli: Cli, emulator: JamfEmulator) -> None:
    run = cli(
        "ping",
        "--json",
        env={
            "JAMF_CLIENT_ID": None,
            "JAMF_CLIENT_SECRET": None,
            "JAMF_USERNAME": emulator.username,
            "JAMF_PASSWORD": emulator.password,
        },
    )

    assert run.code == 0, run
    [result] = run.objects()
    assert (result["identity"], result["authenticated"]) == (f"user '{emulator.username}'", True)


def test_no_secret_anywhere_is_a_usage_error_naming_the_ways_to_give_one(cli: Cli) -> None:
    run = cli("ls", env={"JAMF_CLIENT_SECRET": None})

    assert run.code == 2, run
    [error] = run.errors
    assert error.startswith("jcds2: no client secret for API client ")
    for way in ("--password-stdin", "JAMF_CLIENT_SECRET", "jcds2 login", "terminal"):
        assert way in error

    machine = cli("ls", "--json", env={"JAMF_CLIENT_SECRET": None})
    assert machine.code == 2, machine
    assert machine.objects() == [
        {
            "command": "ls",
            "error": {"type": "UsageError", "message": error[len("jcds2: ") :], "exit_code": 2},
        }
    ]


def test_login_keeps_the_secret_for_later_commands_and_logout_removes_it(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    store = tmp_path / "keyring.json"
    root = str(Path(__file__).parents[2])  # where tests.e2e.file_keyring is importable
    keyring_env = {
        "JCDS2_KEYRING": None,
        "PYTHON_KEYRING_BACKEND": "tests.e2e.file_keyring.FileKeyring",
        "JCDS2_TEST_KEYRING_FILE": str(store),
        "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), root])),
        "JAMF_CLIENT_SECRET": None,
    }
    account = f"{emulator.client_id}@{emulator.url}"

    refused = cli("login", "--password-stdin", env=keyring_env, stdin="not-the-secret\n")
    assert refused.code == 1, refused
    assert not store.exists()  # a secret that does not work is not kept

    login = cli("login", "--password-stdin", env=keyring_env, stdin=emulator.client_secret + "\n")
    assert login.code == 0, login
    assert login.stdout == (
        f"stored the secret for {account} in the system keyring (Jamf Pro {emulator.version} "
        "accepted it)\n"
    )
    assert json.loads(store.read_text()) == {"jcds2": {account: emulator.client_secret}}
    assert emulator.client_secret not in login.stdout + login.stderr

    later = cli("ping", env=keyring_env)
    assert later.code == 0, later

    logout = cli("logout", env=keyring_env)
    assert (logout.code, logout.stdout) == (0, f"removed the secret for {account}\n")
    assert json.loads(store.read_text()) == {"jcds2": {}}


def test_login_without_a_keyring_fails_before_it_reads_the_secret(
    cli: Cli, emulator: JamfEmulator
) -> None:
    no_keyring = {
        "JCDS2_KEYRING": None,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "JAMF_CLIENT_SECRET": None,
    }
    emulator.clear_request_log()
    run = cli("login", "--password-stdin", env=no_keyring, stdin=emulator.client_secret + "\n")

    assert run.code == 2, run
    assert run.errors == [
        f"jcds2: no system keyring is available here to keep the client secret for API client "
        f"{emulator.client_id!r} at {emulator.url}: use JAMF_CLIENT_SECRET or --password-stdin "
        "instead"
    ]
    # Found first: the secret was not sent to the server to be checked.
    assert emulator.request_log == []


def test_emulator_help_names_jcds2_emulator_and_documents_every_option(cli: Cli) -> None:
    run = cli("emulator", "--help")

    assert run.code == 0, run
    assert run.stdout.startswith("usage: jcds2 emulator ["), run.stdout
    assert "python -m" not in run.stdout
    lines = run.stdout.split("options:\n", 1)[1].splitlines()
    undocumented = []
    for n, line in enumerate(lines):
        if not line.startswith("  -"):
            continue
        # An option and its help share the line (two spaces apart), or the help is the next,
        # indented line.
        same_line = re.search(r"\S  +\S", line.strip())
        next_line = n + 1 < len(lines) and lines[n + 1].startswith(" " * 8)
        if not (same_line or next_line):
            undocumented.append(line.strip())
    assert undocumented == []
    options = re.findall(r"^  (-[-\w]+|-h, --help)", "\n".join(lines), flags=re.MULTILINE)
    assert len(options) >= 20, options


# -- config file ----------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_file_in_xdg_config_home(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    xdg = tmp_path / "xdg"
    write(
        xdg / "jcds2" / "config.toml",
        f'server = "{emulator.url}"\nclient_id = "{emulator.client_id}"\n',
    )
    run = cli(
        "ping",
        "--json",
        env={"XDG_CONFIG_HOME": str(xdg), "JAMF_URL": None, "JAMF_CLIENT_ID": None},
    )

    assert run.code == 0, run
    [result] = run.objects()
    assert (result["server"], result["identity"]) == (
        emulator.url,
        f"API client '{emulator.client_id}'",
    )


def test_a_profile_of_a_named_config_file(cli: Cli, emulator: JamfEmulator, tmp_path: Path) -> None:
    # The top level names a server that cannot work: only the profile's can answer.
    config = write(
        tmp_path / "elsewhere.toml",
        'server = "ftp://top-level.example"\n'
        f'username = "{emulator.username}"\n'
        "[profiles.emulated]\n"
        f'server = "{emulator.url}"\n'
        f'client_id = "{emulator.client_id}"\n',
    )
    unset = {"JAMF_URL": None, "JAMF_CLIENT_ID": None}
    run, top_level = parallel(
        lambda: cli("--config", str(config), "ping", "--profile", "emulated", "--json", env=unset),
        lambda: cli("ping", "--config", str(config), env=unset),
    )

    assert run.code == 0, run
    [result] = run.objects()
    assert (result["server"], result["identity"]) == (
        emulator.url,
        f"API client '{emulator.client_id}'",
    )
    assert top_level.code == 2, top_level
    assert top_level.errors == [
        f"jcds2: server 'ftp://top-level.example' (from {config}): unsupported URL scheme "
        "'ftp'; use https"
    ]


def test_a_flag_beats_the_environment_which_beats_the_config_file(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    write(tmp_path / "xdg" / "jcds2" / "config.toml", 'server = "ftp://from-file.example"\n')
    xdg = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    env_over_file, flag_over_env, file_alone = parallel(
        lambda: cli("ping", env=xdg),
        lambda: cli("--server", emulator.url, "ping", env=xdg | {"JAMF_URL": "ftp://env.example"}),
        lambda: cli("ping", env=xdg | {"JAMF_URL": None}),
    )

    assert env_over_file.code == 0, env_over_file
    assert flag_over_env.code == 0, flag_over_env
    assert file_alone.code == 2, file_alone  # the file is read: its server is refused
    assert "'ftp://from-file.example'" in file_alone.stderr


def test_a_secret_in_the_config_file_is_refused_without_showing_it(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    config = write(
        tmp_path / "home" / ".config" / "jcds2" / "config.toml",
        f'server = "{emulator.url}"\nclient_secret = "{emulator.client_secret}"\n',
    )
    run = cli("ls", env={"JAMF_CLIENT_SECRET": None})

    assert run.code == 2, run
    assert run.stdout == ""
    assert run.errors == [
        f"jcds2: config files must not hold secrets: remove `client_secret` from {config}; "
        "use the system keyring (jcds2 login), JAMF_CLIENT_SECRET/JAMF_PASSWORD, "
        "--password-stdin or the prompt"
    ]
    assert emulator.client_secret not in run.stderr
    assert emulator.request_log == []


# -- errors, exit codes, --json, --debug ----------------------------------------------------


def test_a_failed_command_is_one_error_line_a_json_object_and_a_traceback_only_with_debug(
    cli: Cli, tmp_path: Path
) -> None:
    local = make_file(tmp_path / "Local.pkg", 100, seed=1)
    message = NO_SUCH_FILE.format(name="Nowhere.pkg")
    verify = ("verify", "Nowhere.pkg", "--file", str(local))
    plain, machine, debug = parallel(
        lambda: cli(*verify), lambda: cli(*verify, "--json"), lambda: cli(*verify, "--debug")
    )

    assert plain.code == 1, plain
    assert (plain.stdout, plain.errors) == ("", [f"jcds2: {message}"])
    assert machine.code == 1, machine
    assert machine.errors == [f"jcds2: {message}"]
    assert machine.objects() == [
        {
            "command": "verify",
            "error": {"type": "RemoteFileNotFoundError", "message": message, "exit_code": 1},
        }
    ]
    assert debug.code == 1, debug
    assert "Traceback (most recent call last)" in debug.stderr
    # The traceback first, then the same one line as without --debug, last.
    assert debug.errors[-1] == f"jcds2: {message}"
    assert f"jcds2.domain.errors.RemoteFileNotFoundError: {message}" in debug.errors
    assert "DEBUG jcds2.http: GET /api/v1/jcds/files -> 200" in debug.stderr


def test_debug_prints_the_traceback_of_an_error_ping_reports(cli: Cli) -> None:
    server = closed_port_url()
    plain, debug = parallel(
        lambda: cli("ping", "--server", server), lambda: cli("ping", "--server", server, "--debug")
    )

    assert (plain.code, debug.code) == (1, 1), (plain, debug)
    assert "Traceback" not in plain.stderr
    assert "Traceback (most recent call last)" in debug.stderr
    assert "jcds2.domain.errors.ServerUnreachableError: " in debug.stderr
    # The traceback first, then the same one line as without --debug, last.
    assert debug.errors[-1] == plain.errors[-1]


def test_debug_adds_the_traceback_but_keeps_the_json_error_object(cli: Cli, tmp_path: Path) -> None:
    local = make_file(tmp_path / "Local.pkg", 100, seed=1)
    run = cli("verify", "Nowhere.pkg", "--file", str(local), "--json", "--debug")

    assert run.code == 1, run
    assert "Traceback (most recent call last)" in run.stderr
    # A CI job that turns on --debug to see why still gets the object its parser expects.
    assert run.objects() == [
        {
            "command": "verify",
            "error": {
                "type": "RemoteFileNotFoundError",
                "message": NO_SUCH_FILE.format(name="Nowhere.pkg"),
                "exit_code": 1,
            },
        }
    ]


USAGE_ERRORS = {
    (): "the following arguments are required: COMMAND",
    ("launch",): "argument COMMAND: invalid choice: 'launch'",
    ("upload", "x.pkg", "--priority", "21"): "argument --priority: 21 is not between 1 and 20",
}


def test_a_command_line_argparse_refuses_exits_2_with_the_usage(
    cli: Cli, emulator: JamfEmulator
) -> None:
    runs = parallel(*(lambda args=args: cli(*args) for args in USAGE_ERRORS))

    for run, message in zip(runs, USAGE_ERRORS.values(), strict=True):
        assert run.code == 2, run
        assert run.stdout == ""
        assert run.errors[0].startswith("usage: jcds2"), run
        assert re.match(r"jcds2( upload)?: error: " + re.escape(message), run.errors[-1]), run
    assert emulator.request_log == []


def test_no_secret_in_the_output_even_with_debug(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Secretive.pkg", 200_000, seed=2)
    user = {
        "JAMF_CLIENT_ID": None,
        "JAMF_CLIENT_SECRET": None,
        "JAMF_USERNAME": emulator.username,
        "JAMF_PASSWORD": emulator.password,
    }
    wrong = "Wrong-Secret-" + emulator.client_secret[::-1]
    runs = [cli("--debug", "upload", str(source), "--route", "jcds")]
    runs += parallel(
        lambda: cli("--debug", "download", source.name, "-o", str(tmp_path / "copy.pkg")),
        lambda: cli("--debug", "--json", "ls", env=user),
        lambda: cli("--debug", "ping", "--json"),
        lambda: cli("--debug", "ping", env={"JAMF_CLIENT_SECRET": wrong}),
        lambda: cli(
            "--debug", "ping", "--password-stdin", env=user, stdin=emulator.password + "\n"
        ),
    )

    assert [run.code for run in runs] == [0, 0, 0, 0, 1, 0], runs
    output = "\n".join(run.stdout + run.stderr for run in runs)
    assert "DEBUG jcds2.http: POST /api/v1/jcds/files -> 201" in output  # debug is on
    secrets = {emulator.client_secret, emulator.password, wrong, *emulator.issued_tokens()}
    for credentials in emulator.issued_upload_credentials():
        secrets |= {credentials["secretAccessKey"], credentials["sessionToken"]}
    assert len(emulator.issued_download_urls()) >= 1
    for url in emulator.issued_download_urls():
        secrets |= set(re.findall(r"X-Amz-Signature=([0-9a-f]+)", url))
    leaked = sorted(secret for secret in secrets if secret in output)
    assert leaked == []
    for marker in ("X-Amz-Security-Token", "Signature=", "Bearer ", "Basic "):
        assert marker not in output


# -- version, completion, emulator ----------------------------------------------------------


def test_version(cli: Cli) -> None:
    run = cli("--version")

    assert (run.code, run.stdout, run.stderr) == (0, f"jcds2 {jcds2.__version__}\n", "")


#: Parse without running. tcsh -n catches little beyond unmatched quotes, the likeliest
#: fault of a generated script.
SYNTAX_CHECK = {
    "bash": ("bash", "-n"),
    "zsh": ("zsh", "-n"),
    "tcsh": ("tcsh", "-n"),
    "fish": ("fish", "--no-execute"),
}


@pytest.mark.parametrize("shell", sorted(SYNTAX_CHECK))
def test_completion_scripts_name_the_commands_and_parse(
    cli: Cli, shell: str, tmp_path: Path
) -> None:
    run = cli("completion", shell)

    assert run.code == 0, run
    assert run.stderr == ""
    for command in COMMANDS:
        assert re.search(rf"\b{command}\b", run.stdout), f"{command} missing from {shell}"
    assert "--on-exists" in run.stdout
    checker, *flags = SYNTAX_CHECK[shell]
    if shutil.which(checker) is None:
        pytest.skip(f"{checker} is not installed: the {shell} script's syntax is not checked")
    script = tmp_path / f"jcds2.{shell}"
    script.write_text(run.stdout, encoding="utf-8")
    checked = subprocess.run(
        [checker, *flags, str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_the_emulator_command_passes_its_arguments_through(cli: Cli) -> None:
    run = cli("emulator", "--help")

    assert run.code == 0, run
    assert "--latency-ms" in run.stdout
    assert "--transfer-delay" in run.stdout


def test_a_file_share_through_the_command_line(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    share = tmp_path / "CasperShare"
    (share / "Packages").mkdir(parents=True)
    source = make_file(tmp_path / "Shared Tool.pkg", 20_000, seed=31)
    stray = make_file(share / "Packages" / "Stray.pkg", 500, seed=32)  # a file, no package

    uploaded = cli("--file-share", str(share), "upload", str(source), "--json")
    assert uploaded.code == 0, uploaded
    [result] = uploaded.objects()
    assert (result["route"], result["status"], result["verified"]) == ("jcds", "uploaded", True)
    assert (share / "Packages" / "Shared Tool.pkg").read_bytes() == source.read_bytes()
    assert package_files(emulator) == ["Shared Tool.pkg"]
    assert emulator.jcds_files() == []  # the share took the file, not the JCDS

    in_share = {"JCDS2_FILE_SHARE": str(share)}
    refused = cli("upload", str(source), "--route", "packages", env=in_share)
    assert refused.code == 2, refused
    assert "--file-share works with the jcds route only" in refused.stderr

    listed = cli("ls", "--json", env=in_share)
    assert sorted(entry["file_name"] for entry in listed.objects()) == [
        "Shared Tool.pkg",
        "Stray.pkg",
    ]

    out = tmp_path / "out"
    out.mkdir()
    downloaded = cli("--file-share", str(share), "download", "Shared Tool.pkg", "-o", str(out))
    assert downloaded.code == 0, downloaded
    assert (out / "Shared Tool.pkg").read_bytes() == source.read_bytes()

    # A file no package uses is deleted alone; a file with a package goes with its package.
    removed = cli("--file-share", str(share), "rm", "Stray.pkg", "Shared Tool.pkg", "--yes")
    assert removed.code == 0, removed
    assert removed.stdout.splitlines()[0] == "deleted Stray.pkg"
    assert removed.stdout.splitlines()[1].startswith("deleted Shared Tool.pkg and package ")
    assert not stray.exists()
    assert sorted(p.name for p in (share / "Packages").iterdir()) == []
    assert emulator.packages() == []


def test_a_ca_bundle_from_the_flag_or_the_config_file_verifies_the_server(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    certificates = make_certificates(tmp_path / "tls")
    config = tmp_path / "jcds2.toml"
    config.write_text(f'ca_bundle = "{certificates.ca}"\n', encoding="utf-8")
    with tls_proxy(emulator.url, certificates) as https_url:
        over_https = {"JAMF_URL": https_url}
        untrusted, flagged, configured = parallel(
            lambda: cli("ping", env=over_https),
            lambda: cli("ping", "--ca-bundle", str(certificates.ca), env=over_https),
            lambda: cli("ping", "--config", str(config), env=over_https),
        )

    assert untrusted.code == 1, untrusted
    [error] = untrusted.errors
    assert "certificate" in error, error
    for trusted in (flagged, configured):
        assert trusted.code == 0, trusted
        assert trusted.stdout.startswith(f"{https_url}: Jamf Pro ")
