"""``ProApiFailedUploads``: Jamf's ``fail-upload`` over real HTTP to the emulator, with
requests the published schema declares."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from jcds2 import BasicAuthProvider, JamfProClient
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_packages import ProApiFailedUploads
from jcds2.domain.transfer import TransferConfig
from jcds2.emulator import JamfEmulator
from tests.helpers import make_file
from tests.integration.test_request_schema import check

FAIL_UPLOAD = r"/api/v1/cloud-distribution-point/fail-upload/\d+"


@pytest.fixture
def sent(session: requests.Session) -> list[requests.PreparedRequest]:
    kept: list[requests.PreparedRequest] = []

    def keep(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        kept.append(response.request)

    session.hooks["response"].append(keep)
    return kept


def _packaged(emulator: JamfEmulator, config: TransferConfig, path: Path) -> int:
    """Upload ``path`` into a new package on the packages route; its id."""
    with JamfProClient(
        emulator.url,
        BasicAuthProvider(emulator.username, emulator.password),
        transfer_config=config,
        route="packages",
    ) as client:
        return client.jcds2.upload_file(path).package_id


def test_a_package_upload_is_marked_failed(
    emulator: JamfEmulator,
    jamf_http: JamfHttpClient,
    transfer_config: TransferConfig,
    sent: list[requests.PreparedRequest],
    tmp_path: Path,
) -> None:
    package_id = _packaged(emulator, transfer_config, make_file(tmp_path / "Marked.pkg", 5_000))

    assert ProApiFailedUploads(jamf_http).mark_failed("Marked.pkg") is True

    package = emulator.package(package_id)
    assert package is not None
    assert package["cloudTransferStatus"] == "ERROR"
    for request in sent:
        check(request)  # the inventory's query and fail-upload's, as the schema declares
    calls = [
        f"{r.method} {urlsplit(r.url or '').path}" for r in sent if "/auth/" not in (r.url or "")
    ]
    assert calls[0] == "GET /api/v1/cloud-distribution-point/files"
    assert len(calls) == 2
    assert re.fullmatch("POST " + FAIL_UPLOAD, calls[1]), calls
    assert calls == [
        "GET /api/v1/cloud-distribution-point/files",
        f"POST /api/v1/cloud-distribution-point/fail-upload/{calls[-1].rsplit('/', 1)[-1]}",
    ]


def test_a_file_no_package_uses_or_no_file_is_not_marked(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    assert ProApiFailedUploads(jamf_http).mark_failed("Nowhere.pkg") is False
    assert not any(
        r.path.startswith("/api/v1/cloud-distribution-point/fail") for r in emulator.request_log
    )


def test_a_server_without_the_route_answers_false(
    emulator: JamfEmulator,
    jamf_http: JamfHttpClient,
    transfer_config: TransferConfig,
    tmp_path: Path,
) -> None:
    _packaged(emulator, transfer_config, make_file(tmp_path / "Older.pkg", 5_000))
    emulator.inject_fault("POST", FAIL_UPLOAD, 404)  # before Jamf Pro 11.24

    assert ProApiFailedUploads(jamf_http).mark_failed("Older.pkg") is False
