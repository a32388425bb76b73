"""Fixtures for the fault-injection tests: quick retries, short timeouts, a fresh client."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from jcds2 import BasicAuthProvider, JamfProClient, MiB, TransferConfig
from jcds2.domain.transfer import KiB
from jcds2.emulator import JamfEmulator

#: Small parts and ranges, timeouts a stall can exceed in a second, near-instant backoff.
FAST = TransferConfig(
    multipart_threshold=5 * MiB,
    part_size=5 * MiB,
    range_size=256 * KiB,
    concurrency=4,
    max_attempts=4,
    connect_timeout=2.0,
    read_timeout=1.0,
    backoff_base=0.01,
    backoff_max=0.05,
)
#: Long enough to outlast FAST.read_timeout.
STALL_SECONDS = 1.6


def object_path(emulator: JamfEmulator) -> str:
    """A path regex matching every object of the emulator's bucket on the S3 server."""
    return f"/{emulator.bucket}/.+"


def worker_threads() -> list[str]:
    return [
        thread.name
        for thread in threading.enumerate()
        if thread.name.startswith(("jcds2-upload", "jcds2-download")) and thread.is_alive()
    ]


def make_client(emulator: JamfEmulator, config: TransferConfig = FAST) -> JamfProClient:
    return JamfProClient(
        emulator.url,
        BasicAuthProvider(emulator.username, emulator.password),
        transfer_config=config,
        s3_endpoint_url=emulator.s3_endpoint_url,
    )


@pytest.fixture
def fast_client(emulator: JamfEmulator) -> Iterator[JamfProClient]:
    with make_client(emulator) as client:
        yield client


def assert_consistent(emulator: JamfEmulator) -> None:
    """Nothing half-done on the server: no upload in progress, files and packages paired."""
    assert emulator.multipart_uploads_in_progress() == []
    files = {item["fileName"] for item in emulator.jcds_files()}
    packaged = {item["fileName"] for item in emulator.packages()}
    assert files - packaged == set(), "JCDS files without a package"
    assert packaged - files == set(), "packages without their file"
