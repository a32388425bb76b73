"""Adapters wired by hand to the emulator, so each can be tested on its own.

Every test here runs twice: against the emulator reading JSON bodies as Jamf Pro does
(Jackson's coercions, unknown properties ignored) and against it in strict mode (only what
the published schema allows), so the client is shown to send what Jamf documents and
nothing else, and to work against a lenient server and a strict one alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from jcds2.adapters.http_session import build_session
from jcds2.adapters.jamf_auth import BasicAuthProvider
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import TransferConfig
from jcds2.emulator import JamfEmulator


@pytest.fixture(params=[False, True], ids=["as-jamf", "strict-json"])
def emulator(shared_emulator: JamfEmulator, request: pytest.FixtureRequest) -> JamfEmulator:
    """The shared emulator, emptied, in the JSON mode of this run of the test."""
    shared_emulator.reset()  # back to the constructor's (lenient) mode
    shared_emulator.set_strict_json(request.param)
    return shared_emulator


@pytest.fixture
def session(transfer_config: TransferConfig) -> Iterator[requests.Session]:
    with build_session(transfer_config) as http_session:
        yield http_session


@pytest.fixture
def jamf_http(
    emulator: JamfEmulator, session: requests.Session, transfer_config: TransferConfig
) -> JamfHttpClient:
    return JamfHttpClient(
        session,
        JamfServer.parse(emulator.url),
        BasicAuthProvider(emulator.username, emulator.password),
        transfer_config,
    )
