"""The supported upload route: POST /api/v1/packages/{id}/upload, inventory refresh, delay.

Every Pro API answer goes through ``JamfClient`` and so is checked against the schema;
digests are computed here with hashlib, independently of the emulator.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
from openapi_schema_validator import OAS30Validator, validate

from jcds2.emulator import (
    CorruptUploadFault,
    FaultPlan,
    FaultRecord,
    JamfEmulator,
    ZeroSizeUploadFault,
)
from jcds2.emulator.upload import HashingSpool

from .conftest import JamfClient, SchemaChecker
from .test_pro_packages import package_body

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MiB = 1024 * 1024
DELAY = 0.3
TIMEOUT = 10.0


# Helpers ------------------------------------------------------------------------------


def create(client: JamfClient, name: str, file_name: str | None = None) -> str:
    response = client.post("/api/v1/packages", json=package_body(name, file_name))
    assert response.status_code == 201, response.text
    package_id: str = response.json()["id"]
    return package_id


def upload(client: JamfClient, package_id: str, file_name: str, data: bytes) -> requests.Response:
    return client.post(
        f"/api/v1/packages/{package_id}/upload",
        files={"file": (file_name, data, "application/octet-stream")},
    )


def uploaded(client: JamfClient, package_id: str, file_name: str, data: bytes) -> None:
    response = upload(client, package_id, file_name, data)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "id": package_id,
        "href": f"{client.emulator.url}/api/v1/packages/{package_id}",
    }


def refresh(client: JamfClient, file_name: str | None = None) -> None:
    params = {} if file_name is None else {"file-name": file_name}
    response = client.post("/api/v1/cloud-distribution-point/refresh-inventory", params=params)
    assert response.status_code == 204, response.text


def get(client: JamfClient, package_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/packages/{package_id}")
    assert response.status_code == 200, response.text
    package: dict[str, Any] = response.json()
    return package


def wait_until_ready(client: JamfClient, package_id: str) -> dict[str, Any]:
    """Poll the package until it is READY (fails after TIMEOUT seconds)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        package = get(client, package_id)
        if package.get("cloudTransferStatus") == "READY":
            return package
        assert time.monotonic() < deadline, f"still not READY: {package}"
        time.sleep(0.02)


def shown(data: bytes, size: str | None = None) -> dict[str, Any]:
    """The server-managed fields of a package that shows ``data`` (computed here)."""
    sha3 = hashlib.sha3_512(data).hexdigest()
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha3512": sha3,
        "size": str(len(data)) if size is None else size,
        "hashType": "SHA3_512",
        "hashValue": sha3,
        "cloudTransferStatus": "READY",
    }


# A package whose file never came through the upload route: READY, as the schema allows
# no null there (docs/emulator.md, "Packages: one store, two views").
NOTHING_YET = {
    "md5": None,
    "sha256": None,
    "sha3512": None,
    "size": None,
    "hashType": None,
    "hashValue": None,
    "cloudTransferStatus": "READY",
}


def managed(package: dict[str, Any]) -> dict[str, Any]:
    keys = ("md5", "sha256", "sha3512", "size", "hashType", "hashValue", "cloudTransferStatus")
    return {key: package[key] for key in keys if key in package}


def download(client: JamfClient, file_name: str) -> bytes:
    answer = client.get(f"/api/v1/jcds/files/{file_name}")
    assert answer.status_code == 200, answer.text
    return requests.get(answer.json()["uri"], timeout=30).content


def bucket_keys(emulator: JamfEmulator) -> list[str]:
    s3: S3Client = boto3.client(
        "s3",
        endpoint_url=emulator.s3_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    listing = s3.list_objects_v2(Bucket=emulator.bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def jcds_upload(client: JamfClient, file_name: str, data: bytes) -> None:
    """A file through the deprecated route: ticket, then a PUT to tmp/<uuid>/<name>."""
    credentials = client.post("/api/v1/jcds/files").json()
    s3 = boto3.client(
        "s3",
        endpoint_url=client.emulator.s3_endpoint_url,
        region_name=credentials["region"],
        aws_access_key_id=credentials["accessKeyID"],
        aws_secret_access_key=credentials["secretAccessKey"],
        aws_session_token=credentials["sessionToken"],
    )
    s3.put_object(Bucket=credentials["bucketName"], Key=credentials["path"] + file_name, Body=data)


# The happy path and the refresh/delay model -------------------------------------------


def test_upload_is_pending_until_refreshed_then_ready(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    package_id = create(client, "App", "app.pkg")
    fresh = get(client, package_id)
    assert managed(fresh) == NOTHING_YET
    data = b"the first version of the app\n" * 1000
    uploaded(client, package_id, "app.pkg", data)
    pending = get(client, package_id)
    # A brand-new package: nothing known yet, but the transfer is under way.
    assert managed(pending) == {**NOTHING_YET, "cloudTransferStatus": "PENDING"}
    listed = client.get("/api/v1/packages", params={"filter": 'cloudTransferStatus=="PENDING"'})
    assert [row["id"] for row in listed.json()["results"]] == [package_id]
    refresh(client, "app.pkg")
    assert emulator.refresh_requests == ["app.pkg"]
    ready = get(client, package_id)
    assert managed(ready) == shown(data)
    assert emulator.package(package_id) == ready
    # The file is a JCDS file too, with the same digests.
    assert client.get("/api/v1/jcds/files").json() == [
        {
            "fileName": "app.pkg",
            "length": len(data),
            "md5": hashlib.md5(data).hexdigest(),
            "sha3": hashlib.sha3_512(data).hexdigest(),
            "region": "us-east-1",
        }
    ]


def test_without_a_refresh_it_stays_pending(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Lazy", "lazy.pkg")
    uploaded(client, package_id, "lazy.pkg", b"lazy")
    time.sleep(0.1)  # the delay (0) has long passed
    assert get(client, package_id)["cloudTransferStatus"] == "PENDING"
    refresh(client, "other.pkg")  # another file's refresh does not count
    assert managed(get(client, package_id)) == {**NOTHING_YET, "cloudTransferStatus": "PENDING"}
    assert emulator.refresh_requests == ["other.pkg"]


@pytest.mark.parametrize("route", ["cloud-distribution-point", "jcds"])
def test_a_refresh_of_every_file_counts_on_either_route(
    client: JamfClient, emulator: JamfEmulator, route: str
) -> None:
    first = create(client, "One", "one.pkg")
    second = create(client, "Two", "two.pkg")
    uploaded(client, first, "one.pkg", b"1")
    uploaded(client, second, "two.pkg", b"22")
    answer = client.post(f"/api/v1/{route}/refresh-inventory")
    assert answer.status_code == 204
    assert managed(get(client, first)) == shown(b"1")
    assert managed(get(client, second)) == shown(b"22")
    assert emulator.refresh_requests == [None]


def test_the_jcds_refresh_route_takes_a_file_name(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    package_id = create(client, "Named", "named.pkg")
    uploaded(client, package_id, "named.pkg", b"named")
    answer = client.post("/api/v1/jcds/refresh-inventory", params={"file-name": "named.pkg"})
    assert answer.status_code == 204
    assert managed(get(client, package_id)) == shown(b"named")
    assert emulator.refresh_requests == ["named.pkg"]


def test_the_delay_is_respected(client: JamfClient, emulator: JamfEmulator) -> None:
    emulator.set_transfer_delay(DELAY)
    assert emulator.transfer_delay_seconds == DELAY
    package_id = create(client, "Slow", "slow.pkg")
    started = time.monotonic()
    uploaded(client, package_id, "slow.pkg", b"slow bytes")
    refresh(client, "slow.pkg")  # asked for before the delay is over: it still counts
    early = get(client, package_id)
    if time.monotonic() - started < DELAY:
        # Less than the delay since the upload for sure: it must still be pending.
        assert early["cloudTransferStatus"] == "PENDING"
        assert early["sha3512"] is None
    ready = wait_until_ready(client, package_id)
    # READY can only be seen once the delay has passed since the upload (after `started`).
    assert time.monotonic() - started >= DELAY
    assert managed(ready) == shown(b"slow bytes")


def test_a_long_delay_holds_and_applies_to_pending_uploads(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    emulator.set_transfer_delay(30)
    package_id = create(client, "Held", "held.pkg")
    uploaded(client, package_id, "held.pkg", b"held")
    refresh(client, "held.pkg")
    refresh(client)
    assert managed(get(client, package_id)) == {**NOTHING_YET, "cloudTransferStatus": "PENDING"}
    emulator.set_transfer_delay(0)
    assert managed(get(client, package_id)) == shown(b"held")


def test_reset_restores_the_constructors_delay(emulator: JamfEmulator) -> None:
    emulator.set_transfer_delay(12)
    emulator.reset()
    assert emulator.transfer_delay_seconds == 0
    assert emulator.refresh_requests == []
    with pytest.raises(ValueError, match="0 or more"):
        emulator.set_transfer_delay(-1)
    with pytest.raises(ValueError, match="0 or more"):
        JamfEmulator(transfer_delay_seconds=float("nan"))


def test_re_upload_shows_the_previous_file_until_refresh_and_delay(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    package_id = create(client, "Twice", "twice.pkg")
    uploaded(client, package_id, "twice.pkg", b"version one")
    refresh(client, "twice.pkg")
    assert managed(get(client, package_id)) == shown(b"version one")
    emulator.set_transfer_delay(30)
    uploaded(client, package_id, "twice.pkg", b"version two, longer")
    refresh(client, "twice.pkg")
    held = get(client, package_id)
    assert managed(held) == {**shown(b"version one"), "cloudTransferStatus": "PENDING"}
    emulator.set_transfer_delay(0)
    assert managed(get(client, package_id)) == shown(b"version two, longer")
    # The package's earlier object is replaced: one object, the new bytes.
    keys = bucket_keys(emulator)
    assert len(keys) == 1
    assert download(client, "twice.pkg") == b"version two, longer"


def test_an_upload_replaces_one_still_pending(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Quick", "quick.pkg")
    uploaded(client, package_id, "quick.pkg", b"first")
    refresh(client, "quick.pkg")
    emulator.set_transfer_delay(30)
    uploaded(client, package_id, "quick.pkg", b"second")
    refresh(client, "quick.pkg")
    uploaded(client, package_id, "quick.pkg", b"third")  # its own refresh must come again
    emulator.set_transfer_delay(0)
    assert managed(get(client, package_id)) == {**shown(b"first"), "cloudTransferStatus": "PENDING"}
    refresh(client, "quick.pkg")
    assert managed(get(client, package_id)) == shown(b"third")


def test_concurrent_uploads_to_one_package_agree(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    package_id = create(client, "Busy", "busy.pkg")
    versions = [bytes([number]) * (100_000 + number) for number in range(6)]
    with ThreadPoolExecutor(len(versions)) as pool:
        answers = list(
            pool.map(lambda data: upload(client, package_id, "busy.pkg", data), versions)
        )
    assert [answer.status_code for answer in answers] == [201] * len(versions)
    refresh(client, "busy.pkg")
    # Whichever came last, the package, the bucket and the listing tell of the same file.
    assert len(bucket_keys(emulator)) == 1
    stored = download(client, "busy.pkg")
    assert stored in versions
    assert managed(get(client, package_id)) == shown(stored)


def test_a_metadata_put_blanks_the_size_until_the_next_refresh(client: JamfClient) -> None:
    package_id = create(client, "Meta", "meta.pkg")
    uploaded(client, package_id, "meta.pkg", b"meta data")
    refresh(client)
    body = package_body("Meta", "meta.pkg", info="new info", hashType="SHA3_512")
    body["hashValue"] = hashlib.sha3_512(b"meta data").hexdigest()
    assert client.put(f"/api/v1/packages/{package_id}", json=body).status_code == 200
    blanked = get(client, package_id)
    assert blanked["size"] is None
    assert blanked["sha3512"] == hashlib.sha3_512(b"meta data").hexdigest()
    refresh(client, "meta.pkg")
    assert managed(get(client, package_id)) == shown(b"meta data")


def test_a_metadata_put_that_sends_the_size_back_blanks_it_too(client: JamfClient) -> None:
    # jamf/terraform-provider-jamfplatform#260 probed it: echoed or left out, the size is
    # blanked by any metadata write, and only an inventory refresh brings it back.
    package_id = create(client, "Echo", "echo.pkg")
    uploaded(client, package_id, "echo.pkg", b"echo data")
    refresh(client)
    body = get(client, package_id)
    assert body["size"] == str(len(b"echo data"))
    assert client.put(f"/api/v1/packages/{package_id}", json=body).status_code == 200
    assert get(client, package_id)["size"] is None
    refresh(client, "echo.pkg")
    assert get(client, package_id)["size"] == str(len(b"echo data"))


def test_files_of_the_deprecated_route_keep_their_behaviour(client: JamfClient) -> None:
    body = "<package><name>Old</name><filename>old.pkg</filename></package>"
    created = client.post(
        "/JSSResource/packages/id/0", data=body, headers={"Content-Type": "text/xml"}
    )
    assert created.status_code == 201
    jcds_upload(client, "old.pkg", b"old way")
    refresh(client, "old.pkg")
    refresh(client)
    (package,) = client.get("/api/v1/packages").json()["results"]
    assert managed(package) == NOTHING_YET


# Refusals -------------------------------------------------------------------------------


def test_a_wrong_file_name_is_refused(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Named", "right.pkg")
    answer = upload(client, package_id, "wrong.pkg", b"data")
    assert answer.status_code == 400
    (cause,) = answer.json()["errors"]
    assert cause["code"] == "INVALID_FILE_NAME"
    assert "wrong.pkg" in cause["description"]
    package = get(client, package_id)
    assert package["cloudTransferStatus"] == "READY"
    assert emulator.jcds_files() == []
    assert bucket_keys(emulator) == []


@pytest.mark.parametrize("package_id", ["999", "abc"])
def test_a_missing_package_is_404(client: JamfClient, package_id: str) -> None:
    answer = upload(client, package_id, "x.pkg", b"x" * 100_000)
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["code"] == "INVALID_ID"


def test_a_request_without_a_file_part_is_refused(client: JamfClient) -> None:
    package_id = create(client, "Partless", "partless.pkg")
    path = f"/api/v1/packages/{package_id}/upload"
    wrong_field = client.post(path, files={"other": ("partless.pkg", b"data")})
    no_file_name = client.post(path, files={"file": (None, b"data")})
    not_multipart = client.post(path, json={"file": "partless.pkg"})
    empty = client.post(path)
    for answer in (wrong_field, no_file_name, not_multipart, empty):
        assert answer.status_code == 400, answer.text
        assert answer.json()["errors"][0]["code"] == "INVALID_FIELD"
    assert get(client, package_id)["cloudTransferStatus"] == "READY"


def test_the_upload_needs_a_token(anonymous: JamfClient, client: JamfClient) -> None:
    package_id = create(client, "Guarded", "guarded.pkg")
    answer = upload(anonymous, package_id, "guarded.pkg", b"data")
    assert answer.status_code == 401
    assert get(client, package_id)["cloudTransferStatus"] == "READY"


# Files in the bucket ----------------------------------------------------------------------


def test_download_through_the_jcds_route_and_key_layout(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    package_id = create(client, "Fetch", "fetch me.pkg")
    data = os.urandom(300_000)
    uploaded(client, package_id, "fetch me.pkg", data)
    # The file is in the bucket at once; the package only shows it after the refresh.
    assert download(client, "fetch me.pkg") == data
    (key,) = bucket_keys(emulator)
    prefix, number, unique, name = key.split("/")
    assert (prefix, number, name) == ("packages", package_id, "fetch me.pkg")
    assert len(unique) == 36


def test_delete_package_deletes_its_file(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Doomed", "doomed.pkg")
    uploaded(client, package_id, "doomed.pkg", b"doomed")
    refresh(client)
    assert client.delete(f"/api/v1/packages/{package_id}").status_code == 204
    assert client.get("/api/v1/jcds/files").json() == []
    assert bucket_keys(emulator) == []


def test_newest_upload_of_a_name_wins_whichever_route(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    package_id = create(client, "Shared", "shared.pkg")
    # Quick succession: the S3 server's whole-second timestamps tie, the write order decides.
    jcds_upload(client, "shared.pkg", b"by the jcds route")
    uploaded(client, package_id, "shared.pkg", b"by the packages route")
    assert download(client, "shared.pkg") == b"by the packages route"
    (listed,) = client.get("/api/v1/jcds/files").json()
    assert listed["md5"] == hashlib.md5(b"by the packages route").hexdigest()
    jcds_upload(client, "shared.pkg", b"by the jcds route again")
    assert download(client, "shared.pkg") == b"by the jcds route again"
    uploaded(client, package_id, "shared.pkg", b"and the packages route again")
    assert download(client, "shared.pkg") == b"and the packages route again"
    # Deletion by file name removes every object of the name, from both routes.
    assert client.delete("/api/v1/jcds/files/shared.pkg").status_code == 204
    assert bucket_keys(emulator) == []


def test_a_multi_mib_upload(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Big", "big.pkg")
    data = os.urandom(12 * MiB + 12345)
    uploaded(client, package_id, "big.pkg", data)
    refresh(client, "big.pkg")
    assert managed(get(client, package_id)) == shown(data)
    assert download(client, "big.pkg") == data
    assert emulator.multipart_uploads_in_progress() == []


def test_the_spool_is_on_disk_and_hashes_as_it_goes() -> None:
    data = os.urandom(3 * MiB)
    spool = HashingSpool()
    try:
        for start in range(0, len(data), 65536):
            spool.write(data[start : start + 65536])
        # Everything went to a file, not to memory.
        assert os.fstat(spool.fileno()).st_size == len(data)
        spool.finish()
        assert spool.size == len(data)
        assert spool.digests() == (
            hashlib.md5(data).hexdigest(),
            hashlib.sha256(data).hexdigest(),
            hashlib.sha3_512(data).hexdigest(),
        )
        assert spool.read() == data
    finally:
        spool.close()


@pytest.mark.parametrize(
    ("data", "corrupt_at", "stored"),
    [
        (b"abcdef", 0, b"\x9ebcdef"),
        (b"abcdef", 4, b"abcd\x9af"),
        (b"abc", 3, b"abc\xff"),
        (b"", 0, b"\xff"),
    ],
)
def test_the_spool_corrupts_one_byte(data: bytes, corrupt_at: int, stored: bytes) -> None:
    spool = HashingSpool(corrupt_at)
    try:
        spool.write(data[:2])
        spool.write(data[2:])
        spool.finish()
        assert spool.read() == stored
        assert spool.digests()[2] == hashlib.sha3_512(stored).hexdigest()
    finally:
        spool.close()


# Faults -------------------------------------------------------------------------------------


def test_corrupt_upload(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Corrupt", "corrupt.pkg")
    uploaded(client, package_id, "corrupt.pkg", b"good old file")
    refresh(client, "corrupt.pkg")
    emulator.add_fault(CorruptUploadFault(after_bytes=5))
    sent = b"the new file, sent intact"
    uploaded(client, package_id, "corrupt.pkg", sent)
    refresh(client, "corrupt.pkg")
    package = get(client, package_id)
    assert package["cloudTransferStatus"] == "READY"
    assert package["hashValue"] not in (
        hashlib.sha3_512(b"good old file").hexdigest(),
        hashlib.sha3_512(sent).hexdigest(),
    )
    stored = download(client, "corrupt.pkg")
    assert stored == sent[:5] + bytes([sent[5] ^ 0xFF]) + sent[6:]
    assert managed(package) == shown(stored)
    assert emulator.fault_log == [
        FaultRecord(0, "corrupt_upload", "jamf", "POST", f"/api/v1/packages/{package_id}/upload")
    ]
    # Used up (times=1): the next upload is stored as sent.
    uploaded(client, package_id, "corrupt.pkg", sent)
    refresh(client, "corrupt.pkg")
    assert managed(get(client, package_id)) == shown(sent)


def test_zero_size_upload(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Zero", "zero.pkg")
    uploaded(client, package_id, "zero.pkg", b"previous")
    refresh(client, "zero.pkg")
    emulator.add_fault(ZeroSizeUploadFault())
    sent = b"a file whose upload fails"
    uploaded(client, package_id, "zero.pkg", sent)
    assert managed(get(client, package_id)) == {
        **shown(b"previous"),
        "cloudTransferStatus": "PENDING",
    }
    refresh(client, "zero.pkg")
    assert managed(get(client, package_id)) == shown(sent, size="0")
    # It stays so until a new upload.
    refresh(client, "zero.pkg")
    refresh(client)
    assert managed(get(client, package_id)) == shown(sent, size="0")
    assert emulator.fault_log[0].kind == "zero_size_upload"
    uploaded(client, package_id, "zero.pkg", sent)
    refresh(client, "zero.pkg")
    assert managed(get(client, package_id)) == shown(sent)


def test_upload_faults_respect_skip_times_and_the_route(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    emulator.set_fault_plan(FaultPlan(rules=[ZeroSizeUploadFault(skip=1, times=2)]))
    package_id = create(client, "Counted", "counted.pkg")  # a POST, not an upload
    jcds_upload(client, "other.pkg", b"not an upload to a package")
    sizes = []
    for number in range(4):
        data = b"x" * (number + 1)
        uploaded(client, package_id, "counted.pkg", data)
        refresh(client, "counted.pkg")
        sizes.append(get(client, package_id)["size"])
    assert sizes == ["1", "0", "0", "4"]
    assert [record.kind for record in emulator.fault_log] == ["zero_size_upload"] * 2


def test_upload_faults_from_json() -> None:
    plan = FaultPlan.from_dict(
        {
            "seed": 3,
            "rules": [
                {"kind": "corrupt_upload", "after_bytes": 7, "probability": 0.5},
                {"kind": "zero_size_upload", "times": None},
            ],
        }
    )
    assert plan.rules[0] == CorruptUploadFault(after_bytes=7, probability=0.5)
    assert plan.rules[1].server == "jamf"
    assert FaultPlan.from_dict(plan.to_dict()) == plan
    with pytest.raises(ValueError, match="unknown field 'after_bytes'"):
        FaultPlan.from_dict({"rules": [{"kind": "zero_size_upload", "after_bytes": 1}]})
    with pytest.raises(TypeError, match="after_bytes"):
        ZeroSizeUploadFault(after_bytes=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="jamf server only"):
        CorruptUploadFault(server="s3")


# Capability and version ---------------------------------------------------------------------


# Not in the schema subset: Jamf's JamfProVersion object, one string property.
JAMF_PRO_VERSION_SCHEMA = {
    "type": "object",
    "properties": {"version": {"type": "string"}},
    "required": ["version"],
    "additionalProperties": False,
}


def jamf_pro_version(client: JamfClient) -> str:
    # Sent around JamfClient: its checker refuses successes the schema subset does not
    # document; the answer is validated against the local schema above instead.
    answer = requests.get(
        client.emulator.url + "/api/v1/jamf-pro-version",
        headers={"Authorization": f"Bearer {client.token}"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    validate(answer.json(), JAMF_PRO_VERSION_SCHEMA, cls=OAS30Validator)
    version: str = answer.json()["version"]
    return version


def test_upload_capability_and_version(client: JamfClient, anonymous: JamfClient) -> None:
    answer = client.get("/api/v1/cloud-distribution-point/upload-capability")
    assert answer.status_code == 200
    assert answer.json() == {"principalDistributionTechnology": True, "directUploadCapable": True}
    assert jamf_pro_version(client) == "11.30.1-t1700000000000"
    assert anonymous.get("/api/v1/cloud-distribution-point/upload-capability").status_code == 401


@pytest.fixture
def incapable() -> Iterator[JamfClient]:
    with JamfEmulator(direct_upload_capable=False, version="11.29.0-t1690000000000") as other:
        yield JamfClient(other, SchemaChecker(other.url)).login()


def test_without_direct_upload_the_route_refuses(incapable: JamfClient) -> None:
    answer = incapable.get("/api/v1/cloud-distribution-point/upload-capability")
    assert answer.json() == {"principalDistributionTechnology": True, "directUploadCapable": False}
    assert jamf_pro_version(incapable) == "11.29.0-t1690000000000"
    package_id = create(incapable, "Nope", "nope.pkg")
    refused = upload(incapable, package_id, "nope.pkg", b"data")
    assert refused.status_code == 400
    (cause,) = refused.json()["errors"]
    assert cause["code"] == "DIRECT_UPLOAD_NOT_AVAILABLE"
    assert "direct upload" in cause["description"].lower()
    assert incapable.emulator.jcds_files() == []


# The command line ---------------------------------------------------------------------------


def test_cli_transfer_delay() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "jcds2.emulator", "--transfer-delay", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        base = info["url"]
        token = requests.post(
            base + "/api/v1/auth/token", auth=(info["username"], info["password"]), timeout=10
        ).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        created = requests.post(
            base + "/api/v1/packages",
            json=package_body("Cli", "cli.pkg"),
            headers=bearer,
            timeout=10,
        ).json()
        path = f"/api/v1/packages/{created['id']}"
        sent = requests.post(
            base + path + "/upload", files={"file": ("cli.pkg", b"cli")}, headers=bearer, timeout=10
        )
        assert sent.status_code == 201
        requests.post(
            base + "/api/v1/cloud-distribution-point/refresh-inventory", headers=bearer, timeout=10
        )
        # With the default delay (0) it would be READY now.
        package = requests.get(base + path, headers=bearer, timeout=10).json()
        assert package["cloudTransferStatus"] == "PENDING"
    finally:
        process.terminate()
        process.communicate(timeout=30)
    bad = subprocess.run(
        [sys.executable, "-m", "jcds2.emulator", "--transfer-delay", "-2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "--transfer-delay" in bad.stderr
