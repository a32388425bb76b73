"""What ``jcds2`` shows of a transfer's progress: the verification wait in words, a skip
that sent nothing, no empty bar above an early error, an interrupt reported on a line of
its own, and ``--progress lines`` for logs that are not a terminal."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from jcds2 import JamfProClient
from jcds2.emulator import JamfEmulator
from tests.helpers import make_file

from .conftest import Cli, seed
from .test_cli_terminal import SIZE, on_terminal

terminal_only = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


@terminal_only
def test_the_wait_shows_the_time_waited_and_the_server_s_answer(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Waited.pkg", SIZE, seed=1)
    emulator.set_transfer_delay(2.5)  # the server takes a while to confirm the file

    run = on_terminal(cli, "upload", str(source), "--route", "packages")

    assert run.code == 0, run.output
    frames = re.split(r"[\r\n]+", run.output)
    waiting = [f for f in frames if f.startswith("Waited.pkg: verifying ")]
    # The clock runs between the looks, each frame says what the server last answered,
    # and the rate is the sending's alone, the same in every frame.
    clocks = {m[1] for f in waiting if (m := re.match(r"Waited\.pkg: verifying (\d\d:\d\d)", f))}
    assert {"00:01", "00:02"} <= clocks, waiting
    assert any("server: no hash reported yet [8.00MB sent in " in f for f in waiting), waiting
    rates = {re.search(r"sent in \d\d:\d\d, ([\d.]+[kMG]?B/s)\]", f)[1] for f in waiting[1:]}  # type: ignore[index]
    assert len(rates) == 1, waiting
    assert re.search(r"Waited\.pkg: verified after 00:0[2-9] \[8\.00MB sent in", run.output)
    assert not any("100%" in f and "verif" in f for f in frames)  # no frozen full bar


@terminal_only
def test_a_skipped_upload_says_it_hashed_and_sent_nothing(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    source = seed(client, tmp_path, "Same.pkg", SIZE, seed=2)

    run = on_terminal(cli, "upload", str(source), "--on-exists", "skip")

    assert run.code == 0, run.output
    assert re.search(r"\rSame\.pkg: hashed 8\.00MB, nothing sent \[\d\d:\d\d\] *\r?\n", run.output)
    assert "%" not in run.output  # no percentage, and so no 100 %
    assert "B/s" not in run.output  # no transfer rate for what was not sent
    assert "skipped Same.pkg: package" in run.output


@terminal_only
@pytest.mark.parametrize(
    "problem",
    [("--category", "No Such Category"), ("--on-exists", "fail")],
    ids=["unknown-category", "package-exists"],
)
def test_an_error_before_any_transfer_leaves_no_bar(
    cli: Cli, client: JamfProClient, tmp_path: Path, problem: tuple[str, str]
) -> None:
    source = seed(client, tmp_path / "seeded", "Early.pkg", 1_000, seed=3)

    run = on_terminal(cli, "upload", str(source), *problem)

    assert run.code != 0, run.output
    assert "Early.pkg: " not in run.output.replace(f"{source}: ", "")  # no bar of it at all
    assert "0%" not in run.output
    assert run.output.lstrip("\r\n").startswith("jcds2: "), run.output  # the error comes first


@terminal_only
def test_an_interrupted_upload_says_why_on_a_line_of_its_own(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Interrupted.pkg", SIZE, seed=4)
    emulator.set_transfer_delay(3600)  # verifying until interrupted

    run = on_terminal(
        cli,
        "upload",
        str(source),
        "--route",
        "packages",
        interrupt_when="server: no hash reported yet",
    )

    assert run.code == 130, run.output
    assert "failed ()" not in run.output
    # Written above the bar, not into it: what comes before it ends a line or clears one.
    warning = re.search(
        r"(.)WARNING jcds2\.upload: uploading Interrupted\.pkg failed \(interrupted\)",
        run.output,
        re.S,
    )
    assert warning is not None, run.output
    assert warning[1] in "\r\n", run.output
    assert "jcds2: interrupted" in run.output
    assert emulator.packages() == []


def test_progress_lines_print_plain_lines_when_stderr_is_not_a_terminal(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Logged.pkg", SIZE, seed=5)
    quiet_source = make_file(tmp_path / "Unlogged.pkg", SIZE, seed=6)

    logged = cli("upload", str(source), "--route", "packages", "--progress", "lines")
    default = cli("upload", str(quiet_source), "--route", "packages")

    assert logged.code == 0, logged.stderr
    lines = logged.errors
    assert lines[0] == "Logged.pkg: sending 8.00MB", lines
    assert re.fullmatch(
        r"Logged\.pkg: 8\.00MB sent in \d\d:\d\d, [\d.]+[kMG]?B/s; verifying 00:00", lines[1]
    ), lines
    assert re.fullmatch(
        r"Logged\.pkg: 8\.00MB sent in \d\d:\d\d, [\d.]+[kMG]?B/s; verified after \d\d:\d\d; "
        r"server: hash, size and status match",
        lines[-1],
    ), lines
    assert "\r" not in logged.stderr  # plain lines only: no redrawing
    assert "\x1b" not in logged.stderr  # and no cursor moves
    assert logged.stdout.startswith("uploaded Logged.pkg")
    assert default.code == 0, default.stderr
    assert default.stderr == ""  # not a terminal, not asked for: nothing


def test_progress_lines_for_a_download(cli: Cli, client: JamfProClient, tmp_path: Path) -> None:
    source = seed(client, tmp_path / "server", "Fetched.pkg", SIZE, seed=7)

    run = cli("download", source.name, "-o", str(tmp_path / "got.pkg"), "--progress", "lines")

    assert run.code == 0, run.stderr
    assert re.fullmatch(
        r"Fetched\.pkg: 100% 8\.00MB/8\.00MB \(\d\d:\d\d(, [\d.]+[kMG]?B/s)?\), done",
        run.errors[-1],
    ), run.errors


def test_quiet_stays_quiet_and_progress_none_shows_nothing(cli: Cli, tmp_path: Path) -> None:
    source = make_file(tmp_path / "Hushed.pkg", 1_000, seed=8)
    other = make_file(tmp_path / "Muted.pkg", 1_000, seed=9)

    quiet = cli("upload", str(source), "--quiet")
    none = cli("upload", str(other), "--progress", "none")

    assert (quiet.code, quiet.stdout, quiet.stderr) == (0, "", "")
    assert none.code == 0
    assert none.stderr == ""
