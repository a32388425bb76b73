"""JCDS files: upload tickets, uploads with boto3, listing with digests, downloads, deletion."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import boto3
import pytest
import requests

from jcds2.emulator import JamfEmulator

from .conftest import JamfClient

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def ticket(client: JamfClient) -> dict[str, Any]:
    response = client.post("/api/v1/jcds/files")
    assert response.status_code == 201
    credentials: dict[str, Any] = response.json()
    return credentials


def s3_with(emulator: JamfEmulator, credentials: dict[str, Any]) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=emulator.s3_endpoint_url,
        region_name=credentials["region"],
        aws_access_key_id=credentials["accessKeyID"],
        aws_secret_access_key=credentials["secretAccessKey"],
        aws_session_token=credentials["sessionToken"],
    )


def upload(client: JamfClient, name: str, data: bytes) -> dict[str, Any]:
    credentials = ticket(client)
    s3_with(client.emulator, credentials).put_object(
        Bucket=credentials["bucketName"], Key=credentials["path"] + name, Body=data
    )
    return credentials


def test_ticket_shape(client: JamfClient, emulator: JamfEmulator) -> None:
    before = time.time()
    credentials = ticket(client)
    assert credentials["region"] == "us-east-1"
    assert credentials["bucketName"] == emulator.bucket
    assert credentials["path"] == f"tmp/{credentials['uuid']}/"
    assert before + 3600 - 2 <= credentials["expiration"] <= time.time() + 3600 + 1
    other = ticket(client)
    assert other["uuid"] != credentials["uuid"]
    assert other["accessKeyID"] != credentials["accessKeyID"]


def test_upload_list_download_delete(client: JamfClient, emulator: JamfEmulator) -> None:
    data = bytes(range(256)) * 8192 + b"tail"  # a little over 2 MiB: several hash chunks
    upload(client, "My App.pkg", data)
    listing = client.get("/api/v1/jcds/files").json()
    assert listing == [
        {
            "fileName": "My App.pkg",
            "length": len(data),
            "md5": hashlib.md5(data).hexdigest(),
            "sha3": hashlib.sha3_512(data).hexdigest(),
            "region": "us-east-1",
        }
    ]
    assert emulator.jcds_files() == listing

    uri = client.get("/api/v1/jcds/files/My App.pkg").json()["uri"]
    assert uri.startswith(emulator.s3_endpoint_url)
    whole = requests.get(uri, timeout=30)
    assert whole.status_code == 200
    assert whole.content == data
    ranged = requests.get(uri, headers={"Range": "bytes=0-9"}, timeout=30)
    assert ranged.status_code == 206
    assert ranged.headers["Content-Range"] == f"bytes 0-9/{len(data)}"
    assert ranged.content == data[:10]
    tail = requests.get(uri, headers={"Range": f"bytes={len(data) - 4}-"}, timeout=30)
    assert tail.status_code == 206
    assert tail.content == b"tail"

    assert client.delete("/api/v1/jcds/files/My App.pkg").status_code == 204
    assert client.get("/api/v1/jcds/files").json() == []
    assert client.get("/api/v1/jcds/files/My App.pkg").status_code == 404
    assert client.delete("/api/v1/jcds/files/My App.pkg").status_code == 404


def test_deleting_a_file_keeps_the_package(client: JamfClient, emulator: JamfEmulator) -> None:
    body = "<package><name>Keep</name><filename>keep.pkg</filename></package>"
    created = client.post(
        "/JSSResource/packages/id/0", data=body, headers={"Content-Type": "text/xml"}
    )
    assert created.status_code == 201
    upload(client, "keep.pkg", b"x")
    assert client.delete("/api/v1/jcds/files/keep.pkg").status_code == 204
    assert [p["fileName"] for p in emulator.packages()] == ["keep.pkg"]


def test_newest_object_wins_and_delete_removes_all(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    upload(client, "same.pkg", b"first version")
    newer = upload(client, "same.pkg", b"second")
    files = client.get("/api/v1/jcds/files").json()
    assert [(f["fileName"], f["length"]) for f in files] == [("same.pkg", 6)]
    uri = client.get("/api/v1/jcds/files/same.pkg").json()["uri"]
    assert newer["path"] + "same.pkg" in unquote(uri)
    assert requests.get(uri, timeout=30).content == b"second"
    assert client.delete("/api/v1/jcds/files/same.pkg").status_code == 204
    assert emulator.jcds_files() == []


def test_digests_follow_overwrites(client: JamfClient) -> None:
    credentials = upload(client, "over.pkg", b"one")
    first = client.get("/api/v1/jcds/files").json()[0]["md5"]
    s3_with(client.emulator, credentials).put_object(
        Bucket=credentials["bucketName"], Key=credentials["path"] + "over.pkg", Body=b"two"
    )
    second = client.get("/api/v1/jcds/files").json()[0]["md5"]
    assert (first, second) == (hashlib.md5(b"one").hexdigest(), hashlib.md5(b"two").hexdigest())


def test_renew_credentials(client: JamfClient, anonymous: JamfClient) -> None:
    assert client.post("/api/v1/jcds/renew-credentials").status_code == 404
    original = ticket(client)
    renewed = client.post("/api/v1/jcds/renew-credentials")
    assert renewed.status_code == 200
    fresh = renewed.json()
    for same in ("bucketName", "path", "uuid", "region"):
        assert fresh[same] == original[same]
    for changed in ("accessKeyID", "secretAccessKey", "sessionToken"):
        assert fresh[changed] != original[changed]
    assert fresh["expiration"] >= original["expiration"]
    # The ticket belongs to the principal, not to one token.
    anonymous.login()
    assert anonymous.post("/api/v1/jcds/renew-credentials").json()["uuid"] == original["uuid"]


def test_renew_credentials_is_per_principal(client: JamfClient, anonymous: JamfClient) -> None:
    ticket(client)
    emulator = client.emulator
    token = anonymous.post(
        "/api/v1/oauth/token",
        data={
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "grant_type": "client_credentials",
        },
    ).json()["access_token"]
    anonymous.token = token
    assert anonymous.post("/api/v1/jcds/renew-credentials").status_code == 404


def test_multipart_upload_in_progress(client: JamfClient, emulator: JamfEmulator) -> None:
    credentials = ticket(client)
    s3 = s3_with(emulator, credentials)
    key = credentials["path"] + "big.pkg"
    bucket = credentials["bucketName"]
    part = b"p" * (5 * 1024 * 1024)
    created = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32")
    upload_id = created["UploadId"]
    etags = []
    for number, body in enumerate((part, b"last"), start=1):
        etags.append(
            s3.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
                ChecksumAlgorithm="CRC32",
            )
        )
    assert emulator.multipart_uploads_in_progress() == [(key, upload_id)]
    assert client.get("/api/v1/jcds/files").json() == []
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": n, "ETag": e["ETag"], "ChecksumCRC32": e["ChecksumCRC32"]}
                for n, e in enumerate(etags, start=1)
            ]
        },
    )
    assert emulator.multipart_uploads_in_progress() == []
    [listed] = client.get("/api/v1/jcds/files").json()
    assert listed["length"] == len(part) + 4
    assert listed["sha3"] == hashlib.sha3_512(part + b"last").hexdigest()

    aborted = s3.create_multipart_upload(Bucket=bucket, Key=key + ".2")["UploadId"]
    assert emulator.multipart_uploads_in_progress() == [(key + ".2", aborted)]
    s3.abort_multipart_upload(Bucket=bucket, Key=key + ".2", UploadId=aborted)
    assert emulator.multipart_uploads_in_progress() == []


def test_reset_aborts_uploads_and_deletes_files(client: JamfClient, emulator: JamfEmulator) -> None:
    credentials = upload(client, "a.pkg", b"a")
    s3_with(emulator, credentials).create_multipart_upload(
        Bucket=credentials["bucketName"], Key=credentials["path"] + "b.pkg"
    )
    emulator.reset()
    assert emulator.jcds_files() == []
    assert emulator.multipart_uploads_in_progress() == []
    assert client.get("/api/v1/jcds/files").status_code == 200  # tokens survive a reset


def test_refresh_inventory(client: JamfClient) -> None:
    assert client.post("/api/v1/jcds/refresh-inventory").status_code == 204
    response = client.post("/api/v1/jcds/refresh-inventory", params={"file-name": "x.pkg"})
    assert response.status_code == 204


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/jcds/files"),
        ("POST", "/api/v1/jcds/files"),
        ("GET", "/api/v1/jcds/files/x.pkg"),
        ("DELETE", "/api/v1/jcds/files/x.pkg"),
        ("POST", "/api/v1/jcds/renew-credentials"),
        ("POST", "/api/v1/jcds/refresh-inventory"),
    ],
)
def test_jcds_routes_need_a_token(anonymous: JamfClient, method: str, path: str) -> None:
    assert anonymous.request(method, path).status_code == 401


def test_two_emulators_keep_separate_buckets(client: JamfClient) -> None:
    upload(client, "mine.pkg", b"1")
    with JamfEmulator() as other:
        assert other.bucket != client.emulator.bucket
        assert other.jcds_files() == []
        assert other.packages() == []
    assert [f["fileName"] for f in client.emulator.jcds_files()] == ["mine.pkg"]
