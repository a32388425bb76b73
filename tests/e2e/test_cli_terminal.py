"""``jcds2`` on a terminal: per-file progress bars, ``--quiet``, and ``rm`` asking first.

Each run gets the slave end of a pseudo-terminal as stdin, stdout and stderr, as in an
interactive shell, and the test reads everything it draws from the master end until the
process exits. The runs are otherwise as hermetic as those of ``test_cli.py``.
"""

from __future__ import annotations

import os
import re
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import attrs
import pytest

from jcds2 import JamfProClient
from jcds2.emulator import JamfEmulator
from tests.helpers import make_file, sha

from .conftest import COMMAND, Cli, seed

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")

SIZE = 8_000_000  # shown as 8.00MB: the bars count in decimal units
#: One drawing of a bar: name, percentage, bytes done and total, elapsed<remaining, rate.
BAR = re.compile(
    r"(?P<name>.+?): +(?P<percent>\d+)%\|[^|]*\| (?P<done>[\d.]+[kMG]?B)/(?P<total>[\d.]+[kMG]?B)"
    r" \[(?P<elapsed>[\d:]+)<(?P<remaining>[\d:?]+), (?P<rate>[\d.?]+[kMG]?B/s)(?P<postfix>.*)\]"
)


@attrs.frozen
class TerminalRun:
    code: int
    output: str

    def bars(self, name: str) -> list[re.Match[str]]:
        """Every drawing of ``name``'s bar, oldest first (tqdm redraws after a ``\\r``),
        without the cursor moves between the bars of a batch."""
        frames = re.split(r"[\r\n]+", self.output.replace("\x1b[A", ""))
        return [bar for frame in frames if (bar := BAR.fullmatch(frame)) and bar["name"] == name]


def on_terminal(
    cli: Cli,
    *args: str,
    columns: int = 100,
    sized: bool = True,
    answer: str | None = None,
    timeout: float = 60,
    env: Mapping[str, str | None] | None = None,
    interrupt_when: str | None = None,
) -> TerminalRun:
    """Run ``jcds2 ARGS`` on a new pseudo-terminal and return all it drew.

    ``sized``: the terminal reports ``columns`` x 30 like a terminal window; otherwise it
    reports no size, as a fresh pty does, and only ``$COLUMNS``/``$LINES`` say it. ``answer``
    is typed once a ``[y/N]`` question shows; ``env`` overrides the environment (``None``
    removes a variable); ``interrupt_when``: Ctrl-C (SIGINT) once that text shows.
    """
    import fcntl  # noqa: PLC0415  # POSIX only, like the tests
    import termios  # noqa: PLC0415

    master, slave = os.openpty()
    if sized:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
    terminal: Mapping[str, str | None] = {"TERM": "xterm", "COLUMNS": str(columns), "LINES": "30"}
    process = subprocess.Popen(
        [str(COMMAND), *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=cli.environment({**terminal, **(env or {})}),
        cwd=cli.home,
        start_new_session=True,
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the process and every copy of the slave end are gone
                break
            if not data:
                break
            output += data
            if answer is not None and b"[y/N]" in output:
                os.write(master, answer.encode())
                answer = None
            if interrupt_when is not None and interrupt_when.encode() in output:
                process.send_signal(signal.SIGINT)
                interrupt_when = None
        else:
            raise AssertionError(f"jcds2 {' '.join(args)} still runs after {timeout} s: {output!r}")
        code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return TerminalRun(code, output.decode("utf-8", errors="replace"))


def assert_bar_drawn(run: TerminalRun, name: str, columns: int) -> list[re.Match[str]]:
    bars = run.bars(name)
    assert bars, f"no progress bar for {name}: {run.output!r}"
    last = bars[-1]
    assert (last["percent"], last["done"], last["total"]) == ("100", "8.00MB", "8.00MB"), last[0]
    assert re.fullmatch(r"[\d.]+[kMG]?B/s", last["rate"]), last[0]
    assert re.fullmatch(r"\d\d:\d\d", last["elapsed"]), last[0]
    assert re.fullmatch(r"\d\d:\d\d", last["remaining"]), last[0]
    assert max(len(bar[0]) for bar in bars) <= columns
    return bars


def test_upload_draws_a_bar_on_a_terminal_that_reports_no_size_and_none_when_quiet(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path
) -> None:
    drawn = make_file(tmp_path / "Drawn.pkg", SIZE, seed=1)
    quiet = make_file(tmp_path / "Quiet.pkg", SIZE, seed=2)
    shown = on_terminal(cli, "upload", str(drawn), sized=False, columns=90)
    hidden = on_terminal(cli, "upload", str(quiet), "--quiet", sized=False, columns=90)

    assert shown.code == 0, shown.output
    assert_bar_drawn(shown, "Drawn.pkg", columns=90)
    # Sent, then waiting for the server to confirm the file: said in words, with the time
    # waited and the rate of the sending alone (not a frozen 100 %).
    assert re.search(
        r"\rDrawn\.pkg: verified after \d\d:\d\d \[8\.00MB sent in \d\d:\d\d, "
        r"[\d.]+[kMG]?B/s\] *\r?\n",
        shown.output,
    ), shown.output
    assert "uploaded Drawn.pkg (8000000 bytes, in one request, verified) as package" in shown.output

    assert hidden.code == 0, hidden.output
    assert hidden.output == ""
    assert sorted(package["fileName"] for package in emulator.packages()) == [
        "Drawn.pkg",
        "Quiet.pkg",
    ]


def test_download_draws_a_bar_and_none_when_quiet(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    source = seed(client, tmp_path / "server", "Fetched.pkg", SIZE, seed=3)
    shown = on_terminal(cli, "download", source.name, "-o", str(tmp_path / "shown.pkg"))
    hidden = on_terminal(cli, "-q", "download", source.name, "-o", str(tmp_path / "hidden.pkg"))

    assert shown.code == 0, shown.output
    assert_bar_drawn(shown, "Fetched.pkg", columns=100)
    assert f"downloaded Fetched.pkg to {tmp_path / 'shown.pkg'}" in shown.output
    assert hidden.code == 0, hidden.output
    assert hidden.output == ""
    assert sha(tmp_path / "shown.pkg") == sha(tmp_path / "hidden.pkg") == sha(source)


def test_a_batch_draws_one_bar_per_file(cli: Cli, tmp_path: Path) -> None:
    sources = [make_file(tmp_path / f"Part {n}.pkg", SIZE, seed=n) for n in (4, 5)]
    run = on_terminal(cli, "upload", *map(str, sources), "--workers", "2")

    assert run.code == 0, run.output
    for source in sources:
        assert_bar_drawn(run, source.name, columns=100)


@pytest.mark.parametrize(("answer", "deleted"), [("n", False), ("y", True)])
def test_rm_on_a_terminal_asks_first(
    cli: Cli,
    client: JamfProClient,
    emulator: JamfEmulator,
    tmp_path: Path,
    answer: str,
    deleted: bool,
) -> None:
    seed(client, tmp_path, "Asked.pkg", 1_000, seed=6)
    [package] = emulator.packages()
    run = on_terminal(cli, "rm", "Asked.pkg", answer=answer + "\n")

    assert "Delete Asked.pkg and the package that uses it? [y/N] " in run.output
    if deleted:
        assert run.code == 0, run.output
        assert f"deleted Asked.pkg and package {package['id']}" in run.output
        assert (emulator.packages(), emulator.jcds_files()) == ([], [])
    else:
        assert run.code == 1, run.output
        assert "jcds2: nothing deleted" in run.output
        assert emulator.packages() == [package]
        assert [item["fileName"] for item in emulator.jcds_files()] == ["Asked.pkg"]


def test_rm_on_a_terminal_asks_about_several_files_in_one_sentence(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    for n, name in enumerate(("One.pkg", "Two.pkg", "Three.pkg")):
        seed(client, tmp_path, name, 1_000, seed=10 + n)
    run = on_terminal(cli, "rm", "One.pkg", "Two.pkg", "Three.pkg", answer="n\n")

    assert run.code == 1, run.output
    assert "Delete One.pkg, Two.pkg, Three.pkg and the packages that use them? [y/N] " in run.output


def test_login_on_a_terminal_without_a_keyring_fails_before_the_prompt(
    cli: Cli, emulator: JamfEmulator
) -> None:
    no_keyring = {
        "JCDS2_KEYRING": None,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "JAMF_CLIENT_SECRET": None,
    }
    run = on_terminal(cli, "login", env=no_keyring, timeout=30)

    assert run.code == 2, run.output
    assert "Client secret for" not in run.output
    assert "jcds2: no system keyring is available here to keep the client secret" in run.output
