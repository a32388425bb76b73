"""The seed's calls, through the public API, against the emulator over real HTTP."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from jcds2 import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    JamfProClient,
    MiB,
    TransferConfig,
)
from jcds2.domain.models import HashType, UploadTicket
from jcds2.emulator import JamfEmulator
from jcds2.testing import (
    InMemoryFileStore,
    InMemoryObjectUploader,
    InMemoryPackageRepository,
    InMemoryRangeFetcher,
)
from tests.helpers import make_file, sha


def test_seed_calls_round_trip_small_and_multipart(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    small = make_file(tmp_path / "Small Tool 1.0.pkg", 2 * MiB + 3, seed=10)
    large = make_file(tmp_path / "Big Installer ü.pkg", 12 * MiB + 11, seed=11)
    downloads = tmp_path / "downloads"
    downloads.mkdir()

    results = [client.jcds2.upload_file(file_path=path) for path in (small, large)]
    assert [result.multipart for result in results] == [False, True]

    for source, result in zip((small, large), results, strict=True):
        assert result.file_name == source.name
        assert result.size == source.stat().st_size
        assert result.hash_type is HashType.SHA_512
        assert result.hash_value == hashlib.sha512(source.read_bytes()).hexdigest()
        downloaded = client.jcds2.download_file(
            file_name=source.name, download_path=str(downloads) + "/"
        )
        assert downloaded.path == downloads / source.name
        assert downloaded.verified_md5 is True
        assert sha(downloaded.path) == sha(source)

    packages = {p["fileName"]: p for p in emulator.packages()}
    assert set(packages) == {small.name, large.name}
    for source in (small, large):
        package = packages[source.name]
        assert package["packageName"] == source.name
        assert package["hashType"] == "SHA_512"
        assert package["hashValue"] == hashlib.sha512(source.read_bytes()).hexdigest()
    listed = {remote.file_name: remote for remote in client.jcds2.list_files()}
    assert listed[large.name].size == large.stat().st_size
    assert listed[large.name].md5 == hashlib.md5(large.read_bytes()).hexdigest()
    assert emulator.multipart_uploads_in_progress() == []


def test_api_client_credentials_and_package_metadata(
    emulator: JamfEmulator, transfer_config: TransferConfig, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Meta.pkg", 4096, seed=12)
    with JamfProClient(
        emulator.url,
        ApiClientCredentialsProvider(emulator.client_id, emulator.client_secret),
        transfer_config=transfer_config,
        s3_endpoint_url=emulator.s3_endpoint_url,
    ) as client:
        result = client.jcds2.upload_file(
            file_path=source, package_name="Meta Tool", info="what it is", notes="n", priority=5
        )
        target = tmp_path / "renamed.pkg"
        client.jcds2.download_file(file_name="Meta.pkg", download_path=target)
    assert target.read_bytes() == source.read_bytes()
    [package] = emulator.packages()
    assert (package["id"], package["packageName"]) == (str(result.package_id), "Meta Tool")
    assert (package["info"], package["notes"], package["priority"]) == ("what it is", "n", 5)


def test_overwrite_replaces_an_existing_destination(client: JamfProClient, tmp_path: Path) -> None:
    source = make_file(tmp_path / "Over.pkg", 3000, seed=13)
    client.jcds2.upload_file(file_path=source)
    target = tmp_path / "existing.pkg"
    target.write_bytes(b"old content")
    client.jcds2.download_file(file_name="Over.pkg", download_path=target, overwrite=True)
    assert target.read_bytes() == source.read_bytes()


def test_duplicate_check_takes_one_request_among_2000_packages(tmp_path: Path) -> None:
    source = make_file(tmp_path / "fresh.pkg", 1024, seed=14)
    with (
        JamfEmulator(packages=2000, latency_ms=20) as crowded,
        JamfProClient(
            crowded.url,
            BasicAuthProvider(crowded.username, crowded.password),
            s3_endpoint_url=crowded.s3_endpoint_url,
        ) as client,
    ):
        client.jcds2.upload_file(file_path=source)
        paths = [request.path for request in crowded.request_log]
    # A fixed sequence, whatever the number of packages: no request per package.
    assert paths == [
        "/api/v1/auth/token",
        "/api/v1/packages",  # is the file name taken? (one filtered request)
        "/JSSResource/packages/name/fresh.pkg",  # is the package name taken?
        "/api/v1/jcds/files",  # the upload ticket
        "/api/v1/jcds/refresh-inventory",
        "/api/v1/jcds/files",  # the verification: size and SHA3-512 as listed
        "/JSSResource/packages/id/0",
    ], paths


def test_closing_the_client_invalidates_its_token(
    emulator: JamfEmulator, transfer_config: TransferConfig
) -> None:
    with JamfProClient(
        emulator.url,
        BasicAuthProvider(emulator.username, emulator.password),
        transfer_config=transfer_config,
    ) as client:
        client.jcds2.list_files()
    assert emulator.request_log[-1].path == "/api/v1/auth/invalidate-token"


def test_no_secret_reaches_reprs_or_jcds2_debug_logs(
    emulator: JamfEmulator,
    transfer_config: TransferConfig,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    source = make_file(tmp_path / "Secretive.pkg", 6 * MiB, seed=15)
    credentials = BasicAuthProvider(emulator.username, emulator.password)
    with JamfProClient(
        emulator.url,
        credentials,
        transfer_config=transfer_config,
        s3_endpoint_url=emulator.s3_endpoint_url,
    ) as client:
        store = client.container.file_store()
        tickets: list[UploadTicket] = []
        open_upload = store.open_upload

        def recording_open_upload(file_name: str) -> UploadTicket:
            tickets.append(open_upload(file_name))
            return tickets[-1]

        monkeypatch.setattr(store, "open_upload", recording_open_upload)
        client.jcds2.upload_file(file_path=source)
        client.jcds2.download_file(file_name="Secretive.pkg", download_path=tmp_path / "out.pkg")
        token = client.container.jamf_http().token().value
        url = store.download_url("Secretive.pkg")
        [ticket] = tickets
        reprs = " ".join(
            repr(thing)
            for thing in (
                client,
                client.jcds2,
                credentials,
                ticket,
                ticket.credentials,
                client.container.jamf_http(),
                store,
                client.container.range_fetcher(),
                client.container.object_uploader(),
            )
        )
    ours = [record for record in caplog.records if record.name.startswith("jcds2")]
    assert any(record.levelno == logging.DEBUG for record in ours), "no DEBUG record captured"
    captured = "\n".join(record.getMessage() for record in ours) + reprs
    secrets = [
        emulator.password,
        token,
        ticket.credentials.access_key_id,
        ticket.credentials.secret_access_key,
        ticket.credentials.session_token,
        url.partition("?")[2],  # the signature of the download URL
    ]
    for secret in secrets:
        assert secret
        assert secret not in captured


def test_container_parts_can_be_swapped_for_fakes(tmp_path: Path) -> None:
    """The composition root takes in-memory fakes: no server is needed at all."""
    files = InMemoryFileStore()
    packages = InMemoryPackageRepository()
    source = make_file(tmp_path / "Faked.pkg", 5000, seed=16)
    with JamfProClient("jamf.invalid", BasicAuthProvider("user", "pass")) as client:
        container = client.container
        with (
            container.package_repository.override(packages),
            container.file_store.override(files),
            container.object_uploader.override(InMemoryObjectUploader(files)),
            container.range_fetcher.override(InMemoryRangeFetcher(files)),
        ):
            result = client.jcds2.upload_file(file_path=source)
            downloaded = client.jcds2.download_file("Faked.pkg", tmp_path / "back.pkg")
    assert files.contents["Faked.pkg"] == source.read_bytes()
    assert packages.packages[result.package_id].file_name == "Faked.pkg"
    assert downloaded.path.read_bytes() == source.read_bytes()
