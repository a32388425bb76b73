"""The demo path: `python -m jcds2.cli.demo` starts the emulator process and round-trips files."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_round_trips_both_files() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    finished = subprocess.run(
        [sys.executable, "-m", "jcds2.cli.demo"],
        capture_output=True,
        text=True,
        timeout=180,
        env=environment,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert any("jcds2-demo-small.pkg" in line and " single " in line for line in lines)
    assert any("jcds2-demo-multipart.pkg" in line and "multipart" in line for line in lines)
    # The packages route: created and verified, skipped, replaced in the same package.
    steps = [line for line in lines if line.startswith(("upload build 1", "the same", "replace"))]
    assert [line.split()[-1] for line in steps] == ["SHA3-512", "sent", "SHA3-512"]
    assert "one package id throughout: yes" in lines
    assert "jcds2-demo-packages.pkg downloaded back: same as build 2" in lines
    assert lines[-1].startswith("all files came back byte-identical")


def test_emulator_command_prints_its_address_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "jcds2.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert '"url": "http://127.0.0.1:' in line
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
