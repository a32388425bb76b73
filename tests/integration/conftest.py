"""Adapters wired by hand to the emulator, so each can be tested on its own."""

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
