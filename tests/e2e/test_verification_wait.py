"""The verification wait against the emulator, through the public client: tokens stay
fresh through a wait longer than their lifetime, the wait is told as phase events, and an
upload the server does not confirm is marked failed (``fail-upload``) before the clean-up."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from jcds2 import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    CredentialsProvider,
    JamfProClient,
    TransferConfig,
    UploadEvent,
    UploadPhase,
)
from jcds2.emulator import JamfEmulator
from jcds2.emulator.faultrules import CorruptUploadFault
from jcds2.errors import CorruptUploadError
from tests.helpers import make_file, on_route

TOKEN_LIFETIME = 1.0  # seconds
FAIL_UPLOAD = re.compile(r"/api/v1/cloud-distribution-point/fail-upload/(\d+)")


def _credentials(emulator: JamfEmulator, kind: str) -> CredentialsProvider:
    if kind == "api-client":
        return ApiClientCredentialsProvider(emulator.client_id, emulator.client_secret)
    return BasicAuthProvider(emulator.username, emulator.password)


@pytest.fixture(params=["api-client", "user"])
def patient(emulator: JamfEmulator, request: pytest.FixtureRequest) -> Iterator[JamfProClient]:
    """A packages-route client whose looks at the server come every 0.1-0.3 s, signed in
    with tokens that live ``TOKEN_LIFETIME`` seconds (API client: new tokens; user:
    kept alive)."""
    emulator.set_token_ttl(TOKEN_LIFETIME)
    config = TransferConfig(verify_poll_initial=0.1, verify_poll_max=0.3, verify_timeout=60)
    with JamfProClient(
        emulator.url,
        _credentials(emulator, request.param),
        transfer_config=config,
        s3_endpoint_url=emulator.s3_endpoint_url,
        route="packages",
    ) as client:
        yield client


def test_tokens_stay_fresh_through_a_wait_longer_than_their_lifetime(
    emulator: JamfEmulator, patient: JamfProClient, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Patient.pkg", 200_000, seed=1)
    emulator.set_transfer_delay(3600)  # pending until the wait has outlived several tokens
    events: list[UploadEvent] = []
    tokens_before = len(emulator.issued_tokens())

    def on_phase(event: UploadEvent) -> None:
        events.append(event)
        outlived = len(emulator.issued_tokens()) - tokens_before >= 4
        if event.phase is UploadPhase.VERIFYING and event.answer and outlived:
            emulator.set_transfer_delay(0)  # now let the server confirm the file

    result = patient.jcds2.upload_file(source, on_phase=on_phase)

    assert result.verified is True
    looks = [e for e in events if e.phase is UploadPhase.VERIFYING and e.answer is not None]
    assert looks[-1].elapsed > 2 * TOKEN_LIFETIME  # the wait outlived several tokens
    assert len(emulator.issued_tokens()) - tokens_before >= 4
    assert {e.answer for e in looks[:-1]} == {"no hash reported yet"}  # a new package
    # Every look at the package was answered at the first try: no request went out with a
    # token that had expired (a 401 would have sent it a second time).
    reads = [
        r
        for r in emulator.request_log
        if r.method == "GET" and r.path == f"/api/v1/packages/{result.package_id}"
    ]
    assert len(reads) == len(looks)


def test_an_upload_with_other_bytes_is_marked_failed_before_its_package_is_deleted(
    emulator: JamfEmulator, client: JamfProClient, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Spoilt.pkg", 100_000, seed=2)
    emulator.add_fault(CorruptUploadFault(path=r"/api/v1/packages/\d+/upload", times=1))

    with on_route(client, "packages") as packages, pytest.raises(CorruptUploadError):
        packages.jcds2.upload_file(source)

    log = [(r.method, r.path, r.query_string) for r in emulator.request_log]
    [failed] = [i for i, (method, path, _) in enumerate(log) if FAIL_UPLOAD.fullmatch(path)]
    [deleted] = [
        i for i, (method, path, _) in enumerate(log) if method == "DELETE" and "packages" in path
    ]
    assert failed < deleted
    query = log[failed][2]
    assert "file-name=Spoilt.pkg" in query
    assert "type=PACKAGE" in query
    assert emulator.packages() == []


def test_a_failed_replace_leaves_the_package_marked_failed(
    emulator: JamfEmulator, client: JamfProClient, tmp_path: Path
) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old = make_file(tmp_path / "old" / "Kept.pkg", 100_000, seed=3)
    new = make_file(tmp_path / "new" / "Kept.pkg", 120_000, seed=4)

    with on_route(client, "packages") as packages:
        first = packages.jcds2.upload_file(old)
        emulator.add_fault(CorruptUploadFault(path=r"/api/v1/packages/\d+/upload", times=1))
        with pytest.raises(CorruptUploadError, match=f"package {first.package_id} is kept"):
            packages.jcds2.upload_file(new, on_exists="replace")

    package = emulator.package(first.package_id)
    assert package is not None
    assert package["cloudTransferStatus"] == "ERROR"  # what Jamf Pro shows for it now


def test_a_server_without_fail_upload_is_cleaned_up_all_the_same(
    emulator: JamfEmulator, client: JamfProClient, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Older.pkg", 100_000, seed=5)
    emulator.inject_fault("POST", FAIL_UPLOAD.pattern, 404, times=5)  # Jamf Pro before 11.24
    emulator.add_fault(CorruptUploadFault(path=r"/api/v1/packages/\d+/upload", times=1))

    with on_route(client, "packages") as packages, pytest.raises(CorruptUploadError):
        packages.jcds2.upload_file(source)

    assert any(FAIL_UPLOAD.fullmatch(r.path) for r in emulator.request_log)
    assert [f for f in emulator.fault_log if f.kind == "status"] != []
    assert emulator.packages() == []
