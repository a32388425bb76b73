"""Ctrl-C and SIGTERM during a transfer: workers stop within 2 s and nothing is left half-done.

The servers stall (they stop answering for half a minute) and the client's read timeout
is as long, so only the cancellation can wake the workers: a pass proves it does.
"""

from __future__ import annotations

import _thread
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from jcds2 import JamfProClient
from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.domain.transfer import MiB
from jcds2.emulator import FaultPlan, JamfEmulator, StallFault
from tests.helpers import make_file, sha

from .conftest import FAST, make_client, object_path, worker_threads

#: Long timeouts: a worker blocked on a stalled server is only woken by the cancellation.
PATIENT = attrs.evolve(FAST, read_timeout=30.0)
STALL = 30.0
LIMIT = 2.0


def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


def _threads_gone_within(seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while worker_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    return worker_threads()


@pytest.fixture
def patient_client(emulator: JamfEmulator) -> Iterator[JamfProClient]:
    with make_client(emulator, PATIENT) as client:
        yield client


def test_ctrl_c_during_a_stalled_download_stops_the_workers_and_keeps_a_resumable_part(
    emulator: JamfEmulator, patient_client: JamfProClient, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Stalled Download.pkg", 3 * MiB, seed=3)
    patient_client.jcds2.upload_file(file_path=source)
    out = tmp_path / "out"
    out.mkdir()
    stall = StallFault(
        server="s3",
        method="GET",
        path=object_path(emulator),
        seconds=STALL,
        skip=4,
        times=None,
    )
    emulator.set_fault_plan(FaultPlan(rules=[stall]))

    timer = _interrupt_after(1.0)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            patient_client.jcds2.download_file(file_name=source.name, download_path=out)
    finally:
        timer.cancel()  # never let a late interrupt hit another test
    stopped = time.monotonic() - started

    assert stopped < 1.0 + LIMIT
    assert _threads_gone_within(LIMIT) == []
    assert not (out / source.name).exists()
    assert (out / f"{source.name}.part").exists()

    emulator.clear_faults()
    result = patient_client.jcds2.download_file(file_name=source.name, download_path=out)
    assert sha(result.path) == sha(source)
    assert result.resumed_bytes > 0


def test_ctrl_c_during_stalled_parts_aborts_the_upload_and_leaves_nothing(
    emulator: JamfEmulator, patient_client: JamfProClient, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Stalled Upload.pkg", 21 * MiB, seed=4)
    stall = StallFault(
        server="s3",
        method="PUT",
        path=object_path(emulator),
        query="partNumber=",
        seconds=STALL,
        skip=1,
        times=None,
    )
    emulator.set_fault_plan(FaultPlan(rules=[stall]))

    timer = _interrupt_after(1.0)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            patient_client.jcds2.upload_file(file_path=source)
    finally:
        timer.cancel()
    stopped = time.monotonic() - started

    assert stopped < 1.0 + LIMIT
    assert _threads_gone_within(LIMIT) == []
    assert emulator.multipart_uploads_in_progress() == []
    assert emulator.jcds_files() == []
    assert emulator.packages() == []


def _start_cli(emulator: JamfEmulator, home: Path, *args: str) -> subprocess.Popen[str]:
    # Hermetic: nothing of the developer's shell, config file or keyring is used.
    env = {key: os.environ[key] for key in ("PATH", "LANG", "TMPDIR") if key in os.environ}
    env |= {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "JCDS2_KEYRING": "0",
        "JAMF_URL": emulator.url,
        "JAMF_USERNAME": emulator.username,
        "JAMF_PASSWORD": emulator.password,
        "AWS_ENDPOINT_URL_S3": emulator.s3_endpoint_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "jcds2.cli", *args],
        env=env,
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_to_the_command_line_stops_a_stalled_upload_cleanly(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    source = make_file(tmp_path / "Signalled Upload.pkg", 2 * MiB, seed=5)
    # Its own emulator: the stalled PUT is still processed when the stall ends, which
    # must not land in the shared emulator during another test.
    with JamfEmulator() as emulator:
        stall = StallFault(
            server="s3",
            method="PUT",
            path=object_path(emulator),
            seconds=STALL,
            times=None,
        )
        emulator.set_fault_plan(FaultPlan(rules=[stall]))
        # The jcds route: its bytes go to the S3 server, where the stall is.
        process = _start_cli(emulator, tmp_path, "upload", str(source), "--route", "jcds")
        deadline = time.monotonic() + 20
        while not emulator.fault_log and time.monotonic() < deadline:
            time.sleep(0.05)  # wait until the upload is stuck
        assert emulator.fault_log, process.communicate(timeout=30)

        process.send_signal(sig)
        signalled = time.monotonic()
        _, stderr = process.communicate(timeout=30)
        elapsed = time.monotonic() - signalled

        assert process.returncode == code, stderr
        assert elapsed < LIMIT + 1.0  # the interpreter's own exit included
        assert emulator.multipart_uploads_in_progress() == []
        assert emulator.packages() == []


def test_cancelling_a_stalled_one_part_upload_severs_it_and_leaves_nothing(
    emulator: JamfEmulator, patient_client: JamfProClient, tmp_path: Path
) -> None:
    # One part is sent on the caller's thread: the token must sever its stalled request.
    source = make_file(tmp_path / "Stalled Part.pkg", 2 * MiB, seed=6)
    stall = StallFault(
        server="s3",
        method="PUT",
        path=object_path(emulator),
        query="partNumber=",
        seconds=STALL,
        times=None,
    )
    emulator.set_fault_plan(FaultPlan(rules=[stall]))
    cancel = CancelToken()
    timer = threading.Timer(1.0, cancel.cancel)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(TransferCancelledError):
            patient_client.jcds2.upload_file(file_path=source, cancel=cancel)
    finally:
        timer.cancel()
    stopped = time.monotonic() - started

    assert stopped < 1.0 + LIMIT
    assert emulator.multipart_uploads_in_progress() == []
    assert emulator.jcds_files() == []
    assert emulator.packages() == []
