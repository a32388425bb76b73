"""The fault plan over real HTTP: every kind, matching, reproducibility, plan files, control."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from werkzeug.test import Client

from jcds2.emulator import (
    FAULT_KINDS,
    ExpireTokensFault,
    ExpireUrlFault,
    FailPackageCreationFault,
    FaultPlan,
    FaultRecord,
    FaultRule,
    FullBodyFault,
    JamfEmulator,
    RecordedS3Request,
    ResetFault,
    ResetUploadFault,
    S3ErrorFault,
    StallFault,
    StatusFault,
    TruncateFault,
    WrongRangeFault,
)
from jcds2.emulator.__main__ import main
from jcds2.emulator.app import JamfApp
from jcds2.emulator.auth import TokenStore
from jcds2.emulator.faults import FaultEngine
from jcds2.emulator.requestlog import RequestLog

from .conftest import JamfClient

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DATA = bytes(range(256)) * 40  # 10 KiB
CLASSIC_PACKAGE = "<package><name>Faulty</name><filename>Faulty.pkg</filename></package>"


def s3_client(emulator: JamfEmulator, credentials: dict[str, Any]) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=emulator.s3_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=credentials["accessKeyID"],
        aws_secret_access_key=credentials["secretAccessKey"],
        aws_session_token=credentials["sessionToken"],
        # botocore's "max_attempts" counts retries; "total_max_attempts" counts the first try.
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def upload(client: JamfClient, name: str = "f.pkg", data: bytes = DATA) -> dict[str, Any]:
    credentials: dict[str, Any] = client.post("/api/v1/jcds/files").json()
    s3_client(client.emulator, credentials).put_object(
        Bucket=credentials["bucketName"], Key=credentials["path"] + name, Body=data
    )
    return credentials


def download_url(client: JamfClient, name: str = "f.pkg") -> str:
    uri: str = client.get(f"/api/v1/jcds/files/{name}").json()["uri"]
    return uri


def raw_get(url: str, headers: dict[str, str] | None = None) -> tuple[bytes, BaseException | None]:
    """Everything the server sent for a GET, and the error that ended the read (if any)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    received = b""
    assert parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as error:
            return received, error
    return received, None


def split_answer(received: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = received.partition(b"\r\n\r\n")
    status, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


# Kinds ---------------------------------------------------------------------------------


def test_status_on_jamf_with_retry_after(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.add_fault(
        StatusFault(method="GET", path="/api/v1/packages", status=429, retry_after=3)
    )
    answer = client.get("/api/v1/packages")
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "3"
    assert answer.json()["httpStatus"] == 429
    assert client.get("/api/v1/packages").status_code == 200
    assert emulator.fault_log == [FaultRecord(0, "status", "jamf", "GET", "/api/v1/packages")]


@pytest.mark.parametrize(
    ("status", "code"), [(503, "SlowDown"), (500, "InternalError"), (502, "ServiceUnavailable")]
)
def test_status_on_s3_with_retry_after(
    client: JamfClient, emulator: JamfEmulator, status: int, code: str
) -> None:
    upload(client)
    url = download_url(client)
    emulator.add_fault(StatusFault(server="s3", status=status, retry_after=2))
    answer = requests.get(url, timeout=10)
    assert answer.status_code == status
    assert answer.headers["Retry-After"] == "2"
    assert f"<Code>{code}</Code>" in answer.text
    assert requests.get(url, timeout=10).content == DATA
    assert [entry.status for entry in emulator.s3_request_log[-2:]] == [status, 200]


def test_s3_error_codes_on_upload_part(client: JamfClient, emulator: JamfEmulator) -> None:
    credentials = client.post("/api/v1/jcds/files").json()
    s3 = s3_client(emulator, credentials)
    bucket, key = credentials["bucketName"], credentials["path"] + "parts.pkg"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    expected = {
        "ExpiredToken": 400,
        "SlowDown": 503,
        "InternalError": 500,
        "RequestTimeout": 400,
        "AccessDenied": 403,
    }
    for code, status in expected.items():
        emulator.set_fault_plan(FaultPlan(rules=[S3ErrorFault(query="partNumber=", code=code)]))
        with pytest.raises(ClientError) as caught:
            s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=DATA)
        assert caught.value.response["Error"]["Code"] == code
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=DATA)
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"ETag": etag["ETag"], "PartNumber": 1}]},
    )
    assert [f["fileName"] for f in emulator.jcds_files()] == ["parts.pkg"]
    assert [record.kind for record in emulator.fault_log] == ["s3_error"] * 5


def test_reset_before_the_answer(client: JamfClient, emulator: JamfEmulator) -> None:
    upload(client)
    url = download_url(client)
    emulator.add_fault(ResetFault(server="s3", method="GET"))
    received, error = raw_get(url)
    assert received == b""
    assert isinstance(error, ConnectionResetError)
    assert emulator.s3_request_log[-1].status is None
    assert requests.get(url, timeout=10).content == DATA


def test_reset_after_some_bytes(client: JamfClient, emulator: JamfEmulator) -> None:
    upload(client)
    url = download_url(client)
    emulator.add_fault(ResetFault(server="s3", after_bytes=100, times=2))
    received, error = raw_get(url)
    status, headers, body = split_answer(received)
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-length"] == str(len(DATA))
    assert body == DATA[:100]
    assert isinstance(error, ConnectionResetError)
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="reset"):
        requests.get(url, timeout=10)


def test_reset_on_the_jamf_server(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.add_fault(ResetFault(path="/api/v1/packages"))
    with pytest.raises(requests.exceptions.ConnectionError):
        client.get("/api/v1/packages")
    assert client.get("/api/v1/packages").status_code == 200


def test_reset_upload_loses_the_upload(client: JamfClient, emulator: JamfEmulator) -> None:
    credentials = client.post("/api/v1/jcds/files").json()
    emulator.add_fault(ResetUploadFault(server="s3", method="PUT", after_bytes=1024))
    with pytest.raises(Exception, match=r"(?i)connection"):
        s3_client(emulator, credentials).put_object(
            Bucket=credentials["bucketName"],
            Key=credentials["path"] + "lost.pkg",
            Body=DATA * 100,
        )
    assert emulator.jcds_files() == []
    assert emulator.s3_request_log[-1].method == "PUT"
    assert emulator.s3_request_log[-1].status is None


def test_reset_upload_on_classic_creation(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.add_fault(ResetUploadFault(method="POST", path="/JSSResource/.*"))
    with pytest.raises(requests.exceptions.ConnectionError):
        client.post("/JSSResource/packages/id/0", data=CLASSIC_PACKAGE)
    assert emulator.packages() == []


def test_truncate_sends_the_full_length_and_less_body(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    upload(client)
    url = download_url(client)
    emulator.add_fault(TruncateFault(server="s3", after_bytes=10, times=2))
    received, error = raw_get(url)
    status, headers, body = split_answer(received)
    assert error is None  # a clean close
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-length"] == str(len(DATA))
    assert body == DATA[:10]
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, timeout=10)


def test_full_body_ignores_the_range(client: JamfClient, emulator: JamfEmulator) -> None:
    upload(client)
    url = download_url(client)
    emulator.add_fault(FullBodyFault())
    assert requests.get(url, timeout=10).status_code == 200  # no Range: not matched
    answer = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
    assert answer.status_code == 200
    assert answer.content == DATA
    ranged = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
    assert ranged.status_code == 206
    assert emulator.s3_request_log[-2] == RecordedS3Request(
        "GET", urlsplit(url).path, urlsplit(url).query, "bytes=0-99", 200
    )


def test_wrong_range(client: JamfClient, emulator: JamfEmulator) -> None:
    upload(client)
    url = download_url(client)
    size = len(DATA)
    emulator.add_fault(WrongRangeFault(shift=3, times=None))
    answer = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=10)
    assert answer.status_code == 206
    assert answer.headers["Content-Range"] == f"bytes 103-202/{size}"
    assert answer.content == DATA[103:203]
    # At the end of the object the range is clipped.
    tail = requests.get(url, headers={"Range": f"bytes={size - 10}-{size - 1}"}, timeout=10)
    assert tail.headers["Content-Range"] == f"bytes {size - 7}-{size - 1}/{size}"
    assert tail.content == DATA[size - 7 :]
    # Past the end, it shifts the other way.
    last = requests.get(url, headers={"Range": f"bytes={size - 2}-{size - 1}"}, timeout=10)
    assert last.headers["Content-Range"] == f"bytes {size - 5}-{size - 4}/{size}"
    assert last.content == DATA[size - 5 : size - 3]


def test_stall_makes_a_client_time_out(client: JamfClient, emulator: JamfEmulator) -> None:
    upload(client)
    url = download_url(client)
    emulator.add_fault(StallFault(server="s3", seconds=3))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(url, timeout=(5, 0.3))
    assert time.monotonic() - started < 2.0
    assert requests.get(url, timeout=10).content == DATA


def test_stop_ends_stalls_at_once_and_closes_both_servers() -> None:
    plan = FaultPlan(rules=[StallFault(path="/api/v1/auth/token", seconds=60)])
    emulator = JamfEmulator(faults=plan).start()
    s3_port = urlsplit(emulator.s3_endpoint_url).port
    assert s3_port is not None
    outcome: list[object] = []

    def stalled() -> None:
        try:
            outcome.append(
                requests.post(emulator.url + "/api/v1/auth/token", timeout=30).status_code
            )
        except requests.RequestException as error:
            outcome.append(error)

    thread = threading.Thread(target=stalled)
    thread.start()
    deadline = time.monotonic() + 5
    while not emulator.fault_log and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emulator.fault_log
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 2.0  # not the stall's 60 s
    thread.join(5)
    assert outcome  # the stalled request ended too
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", s3_port), timeout=5).close()


def test_expire_url_after_ranges(client: JamfClient, emulator: JamfEmulator) -> None:
    upload(client)
    emulator.add_fault(ExpireUrlFault(after_ranges=2))
    first = download_url(client)
    for start in (0, 100):
        ranged = requests.get(first, headers={"Range": f"bytes={start}-{start + 99}"}, timeout=10)
        assert ranged.status_code == 206
    for headers in ({"Range": "bytes=200-299"}, {}):
        expired = requests.get(first, headers=headers, timeout=10)
        assert expired.status_code == 403
        assert "<Code>AccessDenied</Code><Message>Request has expired</Message>" in expired.text
    second = download_url(client)
    assert second != first
    assert emulator.issued_download_urls()[-2:] == [first, second]
    for start in (0, 100, 200, 300):
        ranged = requests.get(second, headers={"Range": f"bytes={start}-{start + 99}"}, timeout=10)
        assert ranged.content == DATA[start : start + 100]
    assert [record.kind for record in emulator.fault_log] == ["expire_url"] * 2


def test_numbered_download_urls_still_work(client: JamfClient) -> None:
    upload(client)
    url = download_url(client)
    assert "x-emulator-url=" in urlsplit(url).query
    assert requests.get(url, timeout=10).content == DATA


@pytest.mark.parametrize(("mode", "created"), [("refuse", False), ("lost_answer", True)])
def test_fail_package_creation(
    client: JamfClient, emulator: JamfEmulator, mode: str, created: bool
) -> None:
    emulator.add_fault(FailPackageCreationFault(mode=mode))
    client.get("/JSSResource/packages")  # not a creation: not matched
    failed = client.post(
        "/JSSResource/packages/id/0", data=CLASSIC_PACKAGE, headers={"Content-Type": "text/xml"}
    )
    assert failed.status_code == 500
    assert "<id>" not in failed.text
    assert [p["packageName"] for p in emulator.packages()] == (["Faulty"] if created else [])
    assert emulator.fault_log == [
        FaultRecord(0, "fail_package_creation", "jamf", "POST", "/JSSResource/packages/id/0")
    ]


def test_fail_package_creation_on_the_pro_route(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.add_fault(FailPackageCreationFault(mode="lost_answer", status=502))
    body = {"packageName": "P", "fileName": "p.pkg", "categoryId": "-1", "priority": 3}
    body |= {"fillUserTemplate": False, "rebootRequired": False, "osInstall": False}
    body |= {"suppressUpdates": False, "suppressFromDock": False, "suppressEula": False}
    body |= {"suppressRegistration": False}
    answer = client.post("/api/v1/packages", json=body)
    assert answer.status_code == 502
    assert [p["packageName"] for p in emulator.packages()] == ["P"]


def test_expire_tokens_every_period(anonymous: JamfClient, emulator: JamfEmulator) -> None:
    emulator.add_fault(ExpireTokensFault(every_seconds=0.25))
    logins = 0
    token = ""
    started = time.monotonic()
    while time.monotonic() - started < 0.9:
        answer = requests.get(
            emulator.url + "/api/v1/packages",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        if answer.status_code == 401:
            logins += 1
            token = anonymous.post(
                "/api/v1/auth/token", auth=(emulator.username, emulator.password)
            ).json()["token"]
        time.sleep(0.01)
    expiries = [record for record in emulator.fault_log if record.kind == "expire_tokens"]
    # Expiries at 0.25, 0.5 and 0.75 s (a fourth only if the machine is very slow).
    assert len(expiries) in (3, 4)
    # The first login needed no expiry; every expiry cost exactly one more.
    assert logins == 1 + len(expiries)


def test_expire_tokens_once(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.add_fault(ExpireTokensFault(after_seconds=0.4))
    assert client.get("/api/v1/packages").status_code == 200
    time.sleep(0.45)
    assert client.get("/api/v1/packages").status_code == 401
    client.login()
    time.sleep(0.45)
    assert client.get("/api/v1/packages").status_code == 200
    assert len(emulator.fault_log) == 1


# Matching ------------------------------------------------------------------------------


def test_skip_and_times(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.add_fault(StatusFault(path="/api/v1/packages", status=503, skip=2, times=2))
    statuses = [client.get("/api/v1/packages").status_code for _ in range(5)]
    assert statuses == [200, 200, 503, 503, 200]


def test_times_none_fires_every_time(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.add_fault(StatusFault(path="/api/v1/packages", status=500, times=None))
    assert {client.get("/api/v1/packages").status_code for _ in range(5)} == {500}


def test_method_and_query_matching(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.add_fault(StatusFault(method="get", query="page=3", status=418))
    assert client.get("/api/v1/packages", params={"page": 2}).status_code == 200
    assert client.get("/api/v1/packages", params={"page": 3}).status_code == 418


def statuses_under(emulator: JamfEmulator, client: JamfClient, seed: int) -> list[int]:
    emulator.reset()
    rule = StatusFault(path="/api/v1/packages", status=503, probability=0.5, times=None)
    emulator.set_fault_plan(FaultPlan(seed=seed, rules=[rule]))
    return [client.get("/api/v1/packages").status_code for _ in range(50)]


def test_probability_is_reproducible(client: JamfClient, emulator: JamfEmulator) -> None:
    first = statuses_under(emulator, client, seed=7)
    first_log = emulator.fault_log
    assert 5 < first.count(503) < 45
    assert statuses_under(emulator, client, seed=7) == first
    assert emulator.fault_log == first_log
    assert statuses_under(emulator, client, seed=8) != first


def test_rules_in_order_first_fires(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.set_fault_plan(
        FaultPlan(
            rules=[
                StatusFault(path="/api/v1/packages", status=500, probability=0.0),
                StatusFault(path="/api/v1/packages", status=502),
            ]
        )
    )
    assert client.get("/api/v1/packages").status_code == 502
    assert [record.rule_index for record in emulator.fault_log] == [1]


def test_reset_clears_faults_and_logs(client: JamfClient, emulator: JamfEmulator) -> None:
    upload(client)
    emulator.add_fault(StatusFault(status=500, times=None))
    client.get("/api/v1/packages")
    assert emulator.fault_log
    assert emulator.s3_request_log
    emulator.reset()
    assert emulator.fault_log == []
    assert emulator.s3_request_log == []
    assert emulator.fault_plan == FaultPlan()


# Logs and issued secrets ---------------------------------------------------------------


def test_s3_request_log_skips_the_emulators_own_requests(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    credentials = upload(client)
    emulator.jcds_files()  # the emulator lists and reads the bucket itself
    url = download_url(client)
    requests.get(url, headers={"Range": "bytes=5-9"}, timeout=10)
    log = emulator.s3_request_log
    key_path = f"/{credentials['bucketName']}/{credentials['path']}f.pkg"
    assert [(entry.method, entry.path, entry.status) for entry in log] == [
        ("PUT", key_path, 200),
        ("GET", key_path, 206),
    ]
    assert log[1].range == "bytes=5-9"
    assert log[1].query_string == urlsplit(url).query
    emulator.clear_s3_request_log()
    assert emulator.s3_request_log == []


def test_issued_secrets_are_listed(client: JamfClient, emulator: JamfEmulator) -> None:
    assert client.token in emulator.issued_tokens()
    credentials = upload(client)
    assert emulator.issued_upload_credentials()[-1] == {
        key: credentials[key] for key in ("accessKeyID", "secretAccessKey", "sessionToken")
    }
    url = download_url(client)
    assert emulator.issued_download_urls()[-1] == url


def test_token_ttl_for_new_tokens(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.set_token_ttl(0.5)
    client.login()
    assert client.get("/api/v1/packages").status_code == 200
    time.sleep(0.55)
    assert client.get("/api/v1/packages").status_code == 401
    emulator.reset()  # back to the constructor's lifetime
    client.login()
    time.sleep(0.55)
    assert client.get("/api/v1/packages").status_code == 200


# Plans as data ---------------------------------------------------------------------------


def test_plan_round_trips_through_json(tmp_path: Path) -> None:
    plan = FaultPlan(
        seed=42,
        rules=[
            StatusFault(path="/api/.*", status=503, retry_after=1, probability=0.3),
            S3ErrorFault(query="partNumber=", code="ExpiredToken", skip=1),
            ResetFault(server="s3", after_bytes=1000, times=None),
            ResetUploadFault(method="PUT", after_bytes=5),
            TruncateFault(server="s3", after_bytes=3),
            FullBodyFault(),
            WrongRangeFault(shift=2),
            StallFault(seconds=0.5),
            ExpireUrlFault(after_ranges=4),
            FailPackageCreationFault(mode="lost_answer"),
            ExpireTokensFault(every_seconds=60),
        ],
    )
    data = plan.to_dict()
    assert data["rules"][10]["times"] is None
    assert data["rules"][1]["server"] == "s3"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert FaultPlan.from_json_file(path) == plan
    assert FaultPlan.from_dict(json.loads(json.dumps(data))) == plan


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON object"),
        ({"seed": 1, "rule": []}, "unknown field 'rule' in the plan"),
        ({"seed": "x", "rules": []}, "seed must be a whole number"),
        ({"rules": {}}, "'rules' must be a list"),
        ({"rules": [{"kind": "explode"}]}, r"rules\[0\]: unknown kind 'explode'"),
        ({"rules": [{"path": ".*"}]}, r"rules\[0\]: a rule needs a 'kind'"),
        ({"rules": [{"kind": "status"}]}, "kind 'status' needs the field 'status'"),
        (
            {"rules": [{"kind": "full_body"}, {"kind": "wrong_range", "shfit": 2}]},
            r"rules\[1\]: unknown field 'shfit' for kind 'wrong_range'",
        ),
        ({"rules": [{"kind": "s3_error", "server": "jamf", "code": "SlowDown"}]}, "s3 server only"),
        ({"rules": [{"kind": "s3_error", "code": "Nope"}]}, "code must be one of"),
        ({"rules": [{"kind": "fail_package_creation", "server": "s3"}]}, "jamf server only"),
        ({"rules": [{"kind": "fail_package_creation", "mode": "x"}]}, "mode must be"),
        ({"rules": [{"kind": "status", "status": 99}]}, "HTTP status code"),
        ({"rules": [{"kind": "status", "status": 500, "server": "ftp"}]}, "'jamf' or 's3'"),
        ({"rules": [{"kind": "status", "status": 500, "path": "("}]}, "path is not a valid"),
        ({"rules": [{"kind": "status", "status": 500, "times": 0}]}, "times must be"),
        ({"rules": [{"kind": "status", "status": 500, "skip": -1}]}, "skip must be"),
        ({"rules": [{"kind": "status", "status": 500, "probability": 2}]}, "probability"),
        ({"rules": [{"kind": "status", "status": 500, "method": "G T"}]}, "method must be"),
        ({"rules": [{"kind": "reset", "after_bytes": True}]}, "after_bytes must be"),
        ({"rules": [{"kind": "stall"}]}, "needs the field 'seconds'"),
        ({"rules": [{"kind": "expire_tokens"}]}, "exactly one of"),
        (
            {"rules": [{"kind": "expire_tokens", "after_seconds": 1, "probability": 0.5}]},
            "driven by time",
        ),
    ],
)
def test_plan_validation_errors(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultPlan.from_dict(data)


def test_rule_parameters_of_other_kinds_are_refused() -> None:
    # A kind's class has only its own parameters; JSON data says which field is unknown.
    with pytest.raises(TypeError, match="shift"):
        ResetFault(shift=2)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="unknown field 'shift' for kind 'reset'"):
        FaultRule.from_dict({"kind": "reset", "shift": 2})


def test_every_kind_has_its_own_class() -> None:
    assert sorted(FAULT_KINDS) == sorted(
        ["status", "s3_error", "reset", "reset_upload", "truncate", "full_body", "wrong_range",
         "stall", "expire_url", "fail_package_creation", "expire_tokens", "corrupt_upload",
         "zero_size_upload", "late_size", "transfer_error"]
    )  # fmt: skip
    for kind, rule_class in FAULT_KINDS.items():
        assert rule_class.kind == kind
        assert issubclass(rule_class, FaultRule)
    with pytest.raises(TypeError, match="base class"):
        FaultRule()


def test_a_rule_is_validated_as_it_is_built() -> None:
    with pytest.raises(ValueError, match="HTTP status code"):
        StatusFault(status=99)
    with pytest.raises(ValueError, match="s3 server only"):
        S3ErrorFault(server="jamf", code="SlowDown")
    with pytest.raises(ValueError, match="exactly one of"):
        ExpireTokensFault(every_seconds=1, after_seconds=1)
    with pytest.raises(ValueError, match="times must be"):
        ResetFault(times=0)
    assert StatusFault(status=503, method="get").method == "GET"
    assert StatusFault(status=503).server == "jamf"
    assert FullBodyFault().server == "s3"


def test_each_kind_round_trips_with_its_defaults() -> None:
    required: dict[str, dict[str, Any]] = {
        "status": {"status": 503},
        "s3_error": {"code": "SlowDown"},
        "stall": {"seconds": 1},
        "fail_package_creation": {"mode": "refuse"},
        "expire_tokens": {"after_seconds": 5},
    }
    for kind in FAULT_KINDS:
        rule = FaultRule.from_dict({"kind": kind, **required.get(kind, {})})
        data = rule.to_dict()
        assert list(data)[:8] == ["kind", "server", "method", "path", "query", "skip", "times",
                                  "probability"]  # fmt: skip
        assert FaultRule.from_dict(data) == rule


def test_plan_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        FaultPlan.from_json_file(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json: not valid JSON"):
        FaultPlan.from_json_file(broken)


# Control routes and the command line -------------------------------------------------------


def test_control_routes(client: JamfClient, emulator: JamfEmulator) -> None:
    control = emulator.url + "/_emulator/faults"
    bad = requests.put(control, json={"rules": [{"kind": "nope"}]}, timeout=10)
    assert bad.status_code == 400
    assert "unknown kind 'nope'" in bad.json()["error"]
    plan = {"seed": 3, "rules": [{"kind": "status", "path": "/api/v1/packages", "status": 503}]}
    assert requests.put(control, json=plan, timeout=10).status_code == 204
    assert emulator.fault_plan == FaultPlan.from_dict(plan)
    assert requests.get(control, timeout=10).json() == emulator.fault_plan.to_dict()
    assert client.get("/api/v1/packages").status_code == 503
    log = requests.get(control + "/log", timeout=10).json()
    assert log == [
        {"rule_index": 0, "kind": "status", "server": "jamf", "method": "GET",
         "path": "/api/v1/packages"}
    ]  # fmt: skip
    assert requests.delete(control, timeout=10).status_code == 204
    assert client.get("/api/v1/packages").status_code == 200
    assert requests.post(control, timeout=10).status_code == 405
    # Control requests are not Jamf API requests.
    assert all(not entry.path.startswith("/_emulator") for entry in emulator.request_log)


def test_control_routes_answer_loopback_only() -> None:
    app = JamfApp([], TokenStore(60), FaultEngine(), RequestLog())
    remote = Client(app).put(
        "/_emulator/faults", json={"rules": []}, environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert remote.status_code == 403
    local = Client(app).put(
        "/_emulator/faults", json={"rules": []}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert local.status_code == 204


def test_cli_rejects_a_bad_plan_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"rules": [{"kind": "stall"}]}), encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["--faults", str(plan)])
    assert exited.value.code == 2
    assert "needs the field 'seconds'" in capsys.readouterr().err


def test_cli_runs_a_plan_file(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    rule = {"kind": "status", "method": "POST", "path": "/api/v1/auth/token", "status": 503}
    plan.write_text(json.dumps({"seed": 1, "rules": [rule]}), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "jcds2.emulator", "--faults", str(plan)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        credentials = (info["username"], info["password"])
        token_url = info["url"] + "/api/v1/auth/token"
        assert requests.post(token_url, auth=credentials, timeout=10).status_code == 503
        assert requests.post(token_url, auth=credentials, timeout=10).status_code == 200
        log = requests.get(info["url"] + "/_emulator/faults/log", timeout=10).json()
        assert [entry["kind"] for entry in log] == ["status"]
        replaced = {"rules": [{**rule, "status": 429}]}
        put = requests.put(info["url"] + "/_emulator/faults", json=replaced, timeout=10)
        assert put.status_code == 204
        assert requests.post(token_url, auth=credentials, timeout=10).status_code == 429
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
