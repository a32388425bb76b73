"""The S3 uploader against the emulator's moto server: single PUT, multipart, renewal, abort."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import boto3
import pytest

from jcds2.adapters.bodies import FileSlice
from jcds2.adapters.http_session import build_session
from jcds2.adapters.jamf_auth import BasicAuthProvider
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_api import JcdsApiFileStore
from jcds2.adapters.s3 import S3ObjectUploader
from jcds2.domain.errors import UploadError
from jcds2.domain.models import LocalFile, UploadTicket
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import MiB, TransferConfig
from jcds2.emulator import JamfEmulator
from tests.helpers import make_file


def stored_bytes(emulator: JamfEmulator, ticket: UploadTicket) -> bytes:
    s3 = boto3.client(
        "s3",
        endpoint_url=emulator.s3_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return s3.get_object(Bucket=ticket.bucket, Key=ticket.key)["Body"].read()


def ticket_for(emulator: JamfEmulator, file_name: str) -> UploadTicket:
    http = JamfHttpClient(
        build_session(TransferConfig()),
        JamfServer.parse(emulator.url),
        BasicAuthProvider(emulator.username, emulator.password),
        TransferConfig(),
    )
    return JcdsApiFileStore(http).open_upload(file_name)


def test_file_slice_reads_only_its_window(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(bytes(range(100)))
    with FileSlice(path, 10, 20) as part:
        assert len(part) == 20
        assert part.read(5) == bytes(range(10, 15))
        assert part.read() == bytes(range(15, 30))
        assert part.read() == b""
        part.seek(0)
        buffer = bytearray(50)
        assert part.readinto(buffer) == 20
        assert bytes(buffer[:20]) == bytes(range(10, 30))


def test_small_file_goes_in_one_part(
    emulator: JamfEmulator, transfer_config: TransferConfig, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "small.pkg", 3 * MiB + 17, seed=1)
    ticket = ticket_for(emulator, "small.pkg")
    seen: list[int] = []
    uploader = S3ObjectUploader(transfer_config, endpoint_url=emulator.s3_endpoint_url)
    multipart = uploader.upload(
        ticket, LocalFile(source, source.stat().st_size), progress=seen.append
    )
    assert multipart is False
    assert stored_bytes(emulator, ticket) == source.read_bytes()
    assert sum(seen) == source.stat().st_size


def test_large_file_goes_in_parts(
    emulator: JamfEmulator, transfer_config: TransferConfig, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "large.pkg", 17 * MiB + 5, seed=2)
    ticket = ticket_for(emulator, "large.pkg")
    seen: list[int] = []
    uploader = S3ObjectUploader(transfer_config, endpoint_url=emulator.s3_endpoint_url)
    multipart = uploader.upload(
        ticket, LocalFile(source, source.stat().st_size), progress=seen.append
    )
    assert multipart is True
    assert stored_bytes(emulator, ticket) == source.read_bytes()
    assert sum(seen) == source.stat().st_size  # each byte once, as it is read
    assert emulator.multipart_uploads_in_progress() == []


def test_standard_boto3_endpoint_variable_is_honoured(
    emulator: JamfEmulator,
    transfer_config: TransferConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", emulator.s3_endpoint_url)
    source = make_file(tmp_path / "env.pkg", 1000, seed=3)
    ticket = ticket_for(emulator, "env.pkg")
    S3ObjectUploader(transfer_config).upload(ticket, LocalFile(source, 1000))
    assert stored_bytes(emulator, ticket) == source.read_bytes()


def test_credentials_close_to_expiry_are_renewed_first(
    emulator: JamfEmulator, transfer_config: TransferConfig, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "renew.pkg", 11 * MiB, seed=4)
    ticket = ticket_for(emulator, "renew.pkg")
    renewed: list[UploadTicket] = []

    def renew(old: UploadTicket) -> UploadTicket:
        fresh = ticket_for(emulator, "renew.pkg")
        renewed.append(fresh)
        later = fresh.credentials.expiration + dt.timedelta(hours=2)
        return attrs.evolve(old, credentials=attrs.evolve(fresh.credentials, expiration=later))

    # The clock says the ticket's credentials have two minutes left: under the margin.
    almost_expired = ticket.credentials.expiration - dt.timedelta(minutes=2)
    uploader = S3ObjectUploader(
        transfer_config,
        endpoint_url=emulator.s3_endpoint_url,
        clock=lambda: almost_expired,
        renew=renew,
    )
    uploader.upload(ticket, LocalFile(source, source.stat().st_size))
    assert len(renewed) == 1
    assert stored_bytes(emulator, ticket) == source.read_bytes()


class Boom(Exception):
    pass


def test_failed_multipart_upload_is_aborted(
    emulator: JamfEmulator, transfer_config: TransferConfig, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "abort.pkg", 16 * MiB, seed=5)
    ticket = ticket_for(emulator, "abort.pkg")

    def explode(_count: int) -> None:
        raise Boom

    uploader = S3ObjectUploader(transfer_config, endpoint_url=emulator.s3_endpoint_url)
    with pytest.raises(Boom):
        uploader.upload(ticket, LocalFile(source, source.stat().st_size), progress=explode)
    assert emulator.multipart_uploads_in_progress() == []
    assert emulator.jcds_files() == []


def test_s3_errors_become_upload_errors(
    emulator: JamfEmulator, transfer_config: TransferConfig, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "nobucket.pkg", 1000, seed=6)
    ticket = ticket_for(emulator, "nobucket.pkg")
    wrong = attrs.evolve(ticket, bucket="no-such-bucket")
    uploader = S3ObjectUploader(transfer_config, endpoint_url=emulator.s3_endpoint_url)
    with pytest.raises(UploadError, match="NoSuchBucket") as caught:
        uploader.upload(wrong, LocalFile(source, 1000))
    assert ticket.credentials.secret_access_key not in str(caught.value)
    assert ticket.credentials.session_token not in str(caught.value)
