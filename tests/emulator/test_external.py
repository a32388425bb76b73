"""External files (a local folder served elsewhere) and the request log file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from jcds2.emulator import JamfEmulator
from jcds2.emulator import external as external_module
from jcds2.emulator.external import ExternalFiles

from .conftest import JamfClient, SchemaChecker
from .test_cli import start
from .test_jcds import upload

BASE_URL = "http://127.0.0.1:9/files/"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("external")


@pytest.fixture(scope="module")
def external_emulator(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    log = tmp_path_factory.mktemp("log") / "requests.jsonl"
    with JamfEmulator(
        external_files=folder, download_base_url=BASE_URL, request_log_path=log
    ) as emulator:
        yield emulator, log


@pytest.fixture
def ext(external_emulator: Any, folder: Path) -> JamfClient:
    """A logged-in client of the external-files emulator, with bucket and folder emptied."""
    emulator, _ = external_emulator
    emulator.reset()
    for item in folder.iterdir():
        if item.is_dir():
            shutil.rmtree(item)
        else:
            item.unlink()
    return JamfClient(emulator, SchemaChecker(emulator.url)).login()


def test_external_files_are_listed_with_digests(ext: JamfClient, folder: Path) -> None:
    data = bytes(range(256)) * 40000 + b"end"  # ~10 MB: two 8 MiB hash chunks
    (folder / "Big App.pkg").write_bytes(data)
    (folder / "small.pkg").write_bytes(b"small")
    (folder / "sub").mkdir()  # folders are not JCDS files
    listing = ext.get("/api/v1/jcds/files").json()
    assert listing == [
        {
            "fileName": "Big App.pkg",
            "length": len(data),
            "md5": hashlib.md5(data).hexdigest(),
            "sha3": hashlib.sha3_512(data).hexdigest(),
            "region": "us-east-1",
        },
        {
            "fileName": "small.pkg",
            "length": 5,
            "md5": hashlib.md5(b"small").hexdigest(),
            "sha3": hashlib.sha3_512(b"small").hexdigest(),
            "region": "us-east-1",
        },
    ]
    assert ext.emulator.jcds_files() == listing


def test_external_files_get_the_base_url(ext: JamfClient, folder: Path) -> None:
    (folder / "Big App+1.pkg").write_bytes(b"x")
    response = ext.get("/api/v1/jcds/files/Big App+1.pkg")
    assert response.status_code == 200
    assert response.json() == {"uri": BASE_URL + "Big%20App%2B1.pkg"}
    assert ext.get("/api/v1/jcds/files/missing.pkg").status_code == 404


def test_bucket_files_keep_presigned_urls_and_win_on_a_shared_name(
    ext: JamfClient, folder: Path
) -> None:
    (folder / "both.pkg").write_bytes(b"external")
    (folder / "outside.pkg").write_bytes(b"outside")
    upload(ext, "both.pkg", b"uploaded")
    upload(ext, "inside.pkg", b"inside")
    listing = {f["fileName"]: f for f in ext.get("/api/v1/jcds/files").json()}
    assert sorted(listing) == ["both.pkg", "inside.pkg", "outside.pkg"]
    assert listing["both.pkg"]["md5"] == hashlib.md5(b"uploaded").hexdigest()
    for name in ("both.pkg", "inside.pkg"):
        uri = ext.get(f"/api/v1/jcds/files/{name}").json()["uri"]
        assert uri.startswith(ext.emulator.s3_endpoint_url)
        assert requests.get(uri, timeout=30).content in (b"uploaded", b"inside")

    # Deleting removes the bucket's object; the external file of that name shows through.
    assert ext.delete("/api/v1/jcds/files/both.pkg").status_code == 204
    assert ext.get("/api/v1/jcds/files/both.pkg").json() == {"uri": BASE_URL + "both.pkg"}


def test_external_files_are_read_only(ext: JamfClient, folder: Path) -> None:
    (folder / "keep.pkg").write_bytes(b"keep")
    response = ext.delete("/api/v1/jcds/files/keep.pkg")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "READ_ONLY_FILE"
    assert (folder / "keep.pkg").read_bytes() == b"keep"
    ext.emulator.reset()
    assert (folder / "keep.pkg").exists()


def test_digests_are_cached_by_size_and_mtime(
    ext: JamfClient, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[Path] = []
    real = external_module._hash_file

    def counting(path: Path) -> tuple[str, str]:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(external_module, "_hash_file", counting)
    target = folder / "cached.pkg"
    target.write_bytes(b"one")
    for _ in range(3):
        ext.get("/api/v1/jcds/files")
    assert hashed == [target]
    target.write_bytes(b"three")
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 10**9))
    [listed] = ext.get("/api/v1/jcds/files").json()
    assert listed["md5"] == hashlib.md5(b"three").hexdigest()
    assert hashed == [target, target]


def test_request_log_file(external_emulator: Any, ext: JamfClient) -> None:
    _, log = external_emulator
    before = len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0
    started = time.time()
    ext.get("/api/v1/packages", params={"page": 0})
    ext.get("/JSSResource/packages")
    lines = log.read_text(encoding="utf-8").splitlines()[before:]
    entries = [json.loads(line) for line in lines]
    assert [(e["method"], e["path"], e["query"]) for e in entries] == [
        ("GET", "/api/v1/packages", "page=0"),
        ("GET", "/JSSResource/packages", ""),
    ]
    assert all(started - 1 <= e["time"] <= time.time() + 1 for e in entries)
    ext.emulator.clear_request_log()
    assert len(log.read_text(encoding="utf-8").splitlines()) == before + 2  # never truncated


@pytest.mark.parametrize(
    "kwargs",
    [
        {"download_base_url": BASE_URL},
        {"external_files": "."},
    ],
)
def test_external_options_go_together(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="together"):
        JamfEmulator(**kwargs)


def test_external_files_checks_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a directory"):
        ExternalFiles(tmp_path / "missing", BASE_URL)
    with pytest.raises(ValueError, match="http"):
        ExternalFiles(tmp_path, "ftp://example.com/")
    assert ExternalFiles(tmp_path, "http://h/x").download_url("a b") == "http://h/x/a%20b"
    assert ExternalFiles(tmp_path, "http://h/x").find("../etc") is None


def test_cli_external_files_and_request_log(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.pkg").write_bytes(b"abc")
    log = tmp_path / "requests.jsonl"
    process, info = start(
        "--external-files",
        str(tmp_path / "files"),
        "--download-base-url",
        "http://127.0.0.1:9",
        "--request-log",
        str(log),
    )
    try:
        token = requests.post(
            info["url"] + "/api/v1/auth/token",
            auth=(info["username"], info["password"]),
            timeout=10,
        ).json()["token"]
        answer = requests.get(
            info["url"] + "/api/v1/jcds/files/a.pkg",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        assert answer == {"uri": "http://127.0.0.1:9/a.pkg"}
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    assert process.returncode == 0
    paths = [json.loads(line)["path"] for line in log.read_text(encoding="utf-8").splitlines()]
    assert paths == ["/api/v1/auth/token", "/api/v1/jcds/files/a.pkg"]


def test_cli_external_files_needs_a_base_url(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "jcds2.emulator", "--external-files", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "--download-base-url" in result.stderr
