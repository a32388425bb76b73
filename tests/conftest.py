"""Fixtures shared by every test folder: the emulator, clients and small transfer settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jcds2 import BasicAuthProvider, JamfProClient, MiB, TransferConfig
from jcds2.emulator import JamfEmulator


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[JamfEmulator]:
    """One emulator (Jamf API + moto S3 on loopback) for the whole session."""
    with JamfEmulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(shared_emulator: JamfEmulator) -> JamfEmulator:
    """The shared emulator, emptied: no packages, files, uploads, faults or log."""
    shared_emulator.reset()
    return shared_emulator


@pytest.fixture
def transfer_config() -> TransferConfig:
    """Small thresholds so multipart uploads and many ranges happen with small files."""
    return TransferConfig(
        multipart_threshold=5 * MiB,
        part_size=5 * MiB,
        range_size=1 * MiB,
        concurrency=4,
        max_attempts=3,
        connect_timeout=5.0,
        read_timeout=15.0,
    )


@pytest.fixture
def client(emulator: JamfEmulator, transfer_config: TransferConfig) -> Iterator[JamfProClient]:
    """A public-API client signed in to the emulator with a user name and password."""
    with JamfProClient(
        emulator.url,
        BasicAuthProvider(emulator.username, emulator.password),
        transfer_config=transfer_config,
        s3_endpoint_url=emulator.s3_endpoint_url,
    ) as jamf:
        yield jamf
