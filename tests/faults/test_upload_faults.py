"""Uploads under faults: succeed, or fail typed with nothing half-done on the server."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from jcds2 import JamfProClient, UploadError
from jcds2.domain.transfer import MiB
from jcds2.emulator import (
    ExpireTokensFault,
    FailPackageCreationFault,
    FaultPlan,
    FaultRule,
    JamfEmulator,
    ResetFault,
    S3ErrorFault,
    StallFault,
    StatusFault,
)
from jcds2.errors import PackageCreationError
from tests.helpers import make_file, sha

from .conftest import STALL_SECONDS, assert_consistent, object_path

MULTIPART = 11 * MiB + 4321  # three parts of 5 MiB
SINGLE = 700_000
CREATE = "/JSSResource/packages/id/0"


@pytest.fixture
def big(tmp_path: Path) -> Path:
    return make_file(tmp_path / "Multipart Tool 2.0.pkg", MULTIPART, seed=11)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return make_file(tmp_path / "Small Tool 1.0.pkg", SINGLE, seed=12)


def _parts(emulator: JamfEmulator, **fields: Any) -> FaultRule:
    where = {"server": "s3", "method": "PUT", "path": object_path(emulator)}
    return FaultRule.from_dict({**where, "query": "partNumber=", **fields})


def _assert_uploaded(emulator: JamfEmulator, client: JamfProClient, path: Path) -> None:
    assert emulator.fault_log, "the fault never fired: the test proves nothing"
    [listed] = [f for f in client.jcds2.list_files() if f.file_name == path.name]
    assert listed.size == path.stat().st_size
    assert listed.md5 == sha(path, "md5")
    [package] = emulator.packages()
    assert package["fileName"] == path.name
    assert_consistent(emulator)


PART_FAULTS = {
    "ExpiredToken": {"kind": "s3_error", "code": "ExpiredToken", "times": 2},
    "SlowDown": {"kind": "s3_error", "code": "SlowDown", "times": 2},
    "InternalError": {"kind": "s3_error", "code": "InternalError", "times": 2},
    "503": {"kind": "status", "status": 503, "times": 2},
    "connection lost mid-part": {"kind": "reset_upload", "after_bytes": 100_000, "times": 2},
    "answer lost": {"kind": "reset", "after_bytes": 0, "times": 1},
    "stall past the timeout": {"kind": "stall", "seconds": STALL_SECONDS, "times": 1},
}


@pytest.mark.parametrize("fault", PART_FAULTS.values(), ids=PART_FAULTS.keys())
def test_a_part_fault_is_retried_and_the_upload_completes(
    emulator: JamfEmulator, fast_client: JamfProClient, big: Path, fault: dict[str, Any]
) -> None:
    emulator.set_fault_plan(FaultPlan(rules=[_parts(emulator, skip=1, **fault)]))

    result = fast_client.jcds2.upload_file(file_path=big)

    assert result.multipart
    _assert_uploaded(emulator, fast_client, big)


def test_a_completion_whose_answer_was_lost_is_recognised(
    emulator: JamfEmulator, fast_client: JamfProClient, big: Path
) -> None:
    # S3 completes the upload, then the connection drops before the answer arrives. moto
    # answers the repeated completion with success (as S3 does for a while); S3 may also
    # answer NoSuchUpload, which the uploader checks against the stored object (that
    # branch is not reachable with moto and is covered by reading only).
    lost = ResetFault(
        server="s3",
        method="POST",
        path=object_path(emulator),
        query="uploadId=",
        after_bytes=0,
        times=1,
    )
    emulator.set_fault_plan(FaultPlan(rules=[lost]))

    result = fast_client.jcds2.upload_file(file_path=big)

    assert result.multipart
    _assert_uploaded(emulator, fast_client, big)


def test_an_expired_token_renews_the_credentials_and_keeps_the_upload_id(
    emulator: JamfEmulator, fast_client: JamfProClient, big: Path
) -> None:
    emulator.set_fault_plan(
        FaultPlan(rules=[_parts(emulator, kind="s3_error", code="ExpiredToken", skip=1, times=2)])
    )

    fast_client.jcds2.upload_file(file_path=big)

    renewals = [r for r in emulator.request_log if r.path == "/api/v1/jcds/renew-credentials"]
    assert 1 <= len(renewals) <= 2
    upload_ids = {
        match.group(1)
        for r in emulator.s3_request_log
        if (match := re.search(r"uploadId=([^&]+)", r.query_string))
    }
    assert len(upload_ids) == 1
    _assert_uploaded(emulator, fast_client, big)


SINGLE_FAULTS = {
    "500": {"kind": "status", "status": 500, "times": 2},
    "SlowDown": {"kind": "s3_error", "code": "SlowDown", "times": 1},
    "ExpiredToken": {"kind": "s3_error", "code": "ExpiredToken", "times": 1},
    "connection lost mid-body": {"kind": "reset_upload", "after_bytes": 50_000, "times": 2},
}


@pytest.mark.parametrize("fault", SINGLE_FAULTS.values(), ids=SINGLE_FAULTS.keys())
def test_a_single_request_upload_is_retried(
    emulator: JamfEmulator, fast_client: JamfProClient, small: Path, fault: dict[str, Any]
) -> None:
    where = {"server": "s3", "method": "PUT", "path": object_path(emulator)}
    rule = FaultRule.from_dict({**where, **fault})
    emulator.set_fault_plan(FaultPlan(rules=[rule]))

    result = fast_client.jcds2.upload_file(file_path=small)

    assert not result.multipart
    _assert_uploaded(emulator, fast_client, small)


LASTING = {
    "InternalError on every part": {"kind": "s3_error", "code": "InternalError"},
    "connection lost on every part": {"kind": "reset_upload", "after_bytes": 10_000},
    "403 on every part": {"kind": "status", "status": 403},
}


@pytest.mark.parametrize("fault", LASTING.values(), ids=LASTING.keys())
def test_a_lasting_part_fault_aborts_the_upload_and_leaves_nothing(
    emulator: JamfEmulator, fast_client: JamfProClient, big: Path, fault: dict[str, Any]
) -> None:
    emulator.set_fault_plan(FaultPlan(rules=[_parts(emulator, skip=1, times=None, **fault)]))

    with pytest.raises(UploadError):
        fast_client.jcds2.upload_file(file_path=big)

    assert emulator.multipart_uploads_in_progress() == []
    assert emulator.jcds_files() == []
    assert emulator.packages() == []


def test_a_send_given_up_on_that_reaches_s3_later_stores_nothing(
    emulator: JamfEmulator, fast_client: JamfProClient, small: Path
) -> None:
    # Soak schedule 2876: the first send stalls past the read timeout and is given up on,
    # the next ones are refused until the upload fails; the stalled one reaches S3 later.
    put: dict[str, Any] = {"server": "s3", "method": "PUT", "path": object_path(emulator)}
    emulator.set_fault_plan(
        FaultPlan(
            rules=[
                StallFault(seconds=STALL_SECONDS, times=1, **put),
                S3ErrorFault(code="SlowDown", times=3, **put),
            ]
        )
    )

    with pytest.raises(UploadError):
        fast_client.jcds2.upload_file(file_path=small)

    # The stalled request is logged once the S3 server has answered it (after the stall).
    stalled = threading.Event()
    deadline = time.monotonic() + 30
    while len([r for r in emulator.s3_request_log if r.method == "PUT"]) < 4:
        assert time.monotonic() < deadline, "the stalled request was never answered"
        stalled.wait(0.05)
    assert emulator.jcds_files() == []
    assert emulator.packages() == []
    assert emulator.multipart_uploads_in_progress() == []


def test_a_refused_package_creation_deletes_the_uploaded_file(
    emulator: JamfEmulator, fast_client: JamfProClient, small: Path
) -> None:
    rule = FailPackageCreationFault(mode="refuse", status=500, path=CREATE)
    emulator.set_fault_plan(FaultPlan(rules=[rule]))

    with pytest.raises(PackageCreationError) as caught:
        fast_client.jcds2.upload_file(file_path=small)

    assert caught.value.file_removed
    assert emulator.jcds_files() == []
    assert emulator.packages() == []


def test_a_package_created_although_its_answer_was_lost_is_kept_with_its_file(
    emulator: JamfEmulator, fast_client: JamfProClient, small: Path
) -> None:
    rule = FailPackageCreationFault(mode="lost_answer", status=500, path=CREATE)
    emulator.set_fault_plan(FaultPlan(rules=[rule]))

    result = fast_client.jcds2.upload_file(file_path=small)

    [package] = emulator.packages()
    assert package["id"] == str(result.package_id)
    _assert_uploaded(emulator, fast_client, small)


def test_cleanup_outlasts_a_failing_look_up_and_deletion(
    emulator: JamfEmulator, fast_client: JamfProClient, small: Path
) -> None:
    emulator.set_fault_plan(
        FaultPlan(
            rules=[
                FailPackageCreationFault(mode="refuse", status=500, path=CREATE),
                # the look-up that follows, and the deletion, fail twice each
                StatusFault(
                    server="jamf",
                    method="GET",
                    path="/api/v1/packages",
                    status=500,
                    skip=1,
                    times=2,
                ),
                # the deletion of this upload's own object (by its key)
                StatusFault(
                    server="s3",
                    method="DELETE",
                    path=object_path(emulator),
                    status=500,
                    times=2,
                ),
            ]
        )
    )

    with pytest.raises(PackageCreationError) as caught:
        fast_client.jcds2.upload_file(file_path=small)

    assert caught.value.file_removed
    assert len(emulator.fault_log) == 5
    assert_consistent(emulator)
    assert emulator.jcds_files() == []


def test_tokens_expiring_during_an_upload_are_renewed(
    emulator: JamfEmulator, fast_client: JamfProClient, big: Path
) -> None:
    # Every 0.2 s: often enough to expire tokens several times during the upload, and long
    # enough that a renewed token is still good for the request it is fetched for, even on
    # a loaded machine (at 0.05 s a busy CI runner saw a request 401 twice in a row).
    emulator.set_fault_plan(FaultPlan(rules=[ExpireTokensFault(server="jamf", every_seconds=0.2)]))

    fast_client.jcds2.upload_file(file_path=big)

    tokens = [r for r in emulator.request_log if r.path.endswith("/token")]
    assert len(tokens) >= 2, "no token expired during the upload: the test proves nothing"
    [package] = emulator.packages()
    assert package["fileName"] == big.name
    assert_consistent(emulator)
