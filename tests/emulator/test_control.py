"""Test controls: request log, injected faults, latency, schema-file location."""

from __future__ import annotations

import time

import pytest

from jcds2.emulator import JamfEmulator, RecordedRequest
from jcds2.emulator.schemas import CLASSIC_API_SCHEMA, schema_text

from .conftest import JamfClient, SchemaChecker, raw_spec


def test_vendored_schema_files_are_read_from_the_package() -> None:
    # The schemas live in the repository (and the installed package), never beside it.
    assert raw_spec()["openapi"].startswith("3.")
    assert "/v1/packages/{id}/upload" in raw_spec()["paths"]
    assert schema_text(CLASSIC_API_SCHEMA).startswith("swagger: '2.0'")


def test_every_pro_response_was_schema_checked(client: JamfClient, checker: SchemaChecker) -> None:
    before = checker.checked
    client.get("/api/v1/packages")
    client.get("/api/v1/packages/1")
    assert checker.checked == before + 2


def test_request_log(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.clear_request_log()
    client.get("/api/v1/packages", params={"page": 0})
    client.get("/JSSResource/packages")
    assert emulator.request_log == [
        RecordedRequest("GET", "/api/v1/packages", "page=0"),
        RecordedRequest("GET", "/JSSResource/packages", ""),
    ]
    emulator.clear_request_log()
    assert emulator.request_log == []


def test_pro_fault_with_retry_after(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.inject_fault("GET", r"/api/v1/packages", 503, times=2, retry_after=7)
    for _ in range(2):
        response = client.get("/api/v1/packages")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "7"
        assert response.json()["httpStatus"] == 503
    assert client.get("/api/v1/packages").status_code == 200


def test_classic_fault_happens_before_processing(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    emulator.inject_fault(method="POST", path=r"/JSSResource/packages/id/0", status=500)
    body = "<package><name>F</name><filename>f.pkg</filename></package>"
    headers = {"Content-Type": "text/xml"}
    failed = client.post("/JSSResource/packages/id/0", data=body, headers=headers)
    assert failed.status_code == 500
    assert failed.headers["Content-Type"].startswith("text/html")
    assert "Retry-After" not in failed.headers
    assert emulator.packages() == []
    assert client.post("/JSSResource/packages/id/0", data=body, headers=headers).status_code == 201


def test_faults_match_method_and_whole_path(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.inject_fault("POST", r"/api/v1/jcds/files", 502)
    assert client.get("/api/v1/jcds/files").status_code == 200  # other method
    emulator.inject_fault("GET", r"/api/v1/jcds", 502)
    assert client.get("/api/v1/jcds/files").status_code == 200  # not a full match
    emulator.clear_faults()
    assert client.post("/api/v1/jcds/files").status_code == 201
    emulator.inject_fault("get", r"/api/v1/jcds/files/.*\.pkg", 429, times=1)
    assert client.get("/api/v1/jcds/files/a.pkg").status_code == 429
    assert client.get("/api/v1/jcds/files/a.pkg").status_code == 404


def test_fault_precedes_authentication(anonymous: JamfClient, emulator: JamfEmulator) -> None:
    emulator.inject_fault("POST", r"/api/v1/auth/token", 504)
    response = anonymous.post("/api/v1/auth/token", auth=(emulator.username, emulator.password))
    assert response.status_code == 504
    assert emulator.request_log[-1].path == "/api/v1/auth/token"


def test_reset_clears_log_and_faults(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.inject_fault("GET", r".*", 500, times=5)
    emulator.reset()
    assert emulator.request_log == []
    assert client.get("/api/v1/packages").status_code == 200


def test_invalid_fault_count(emulator: JamfEmulator) -> None:
    with pytest.raises(ValueError, match="times"):
        emulator.inject_fault("GET", r".*", 500, times=0)


def test_latency() -> None:
    with JamfEmulator(latency_ms=150) as slow:
        client = JamfClient(slow, SchemaChecker(slow.url))
        started = time.monotonic()
        client.login()
        client.get("/api/v1/packages")
        assert time.monotonic() - started >= 0.3
        # The S3 server is not slowed down.
        started = time.monotonic()
        assert slow.jcds_files() == []
        assert time.monotonic() - started < 0.15


def test_not_started() -> None:
    emulator = JamfEmulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.url
    emulator.stop()  # harmless
