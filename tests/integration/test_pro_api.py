"""The Pro API adapters against the emulator: JCDS files and package lookup by file name."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
import requests

from jcds2.adapters.http_session import build_session
from jcds2.adapters.jamf_auth import BasicAuthProvider
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_api import JcdsApiFileStore, ProApiPackageLookup
from jcds2.adapters.pro_models import rsql_quote
from jcds2.domain.errors import RemoteFileNotFoundError
from jcds2.domain.models import UploadTicket
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import TransferConfig
from jcds2.emulator import JamfEmulator


def put(emulator: JamfEmulator, ticket: UploadTicket, data: bytes) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=emulator.s3_endpoint_url,
        region_name=ticket.region,
        aws_access_key_id=ticket.credentials.access_key_id,
        aws_secret_access_key=ticket.credentials.secret_access_key,
        aws_session_token=ticket.credentials.session_token,
    )
    s3.put_object(Bucket=ticket.bucket, Key=ticket.key, Body=data)


def test_open_upload_gives_a_ticket_for_the_file(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    ticket = JcdsApiFileStore(jamf_http).open_upload("Tool 1.0.pkg")
    assert ticket.bucket == emulator.bucket
    assert ticket.key.startswith("tmp/")
    assert ticket.key.endswith("/Tool 1.0.pkg")
    assert ticket.credentials.seconds_left(dt.datetime.now(dt.timezone.utc)) > 600
    assert ticket.credentials.secret_access_key not in repr(ticket)


def test_renewed_credentials_keep_the_upload(jamf_http: JamfHttpClient) -> None:
    store = JcdsApiFileStore(jamf_http)
    ticket = store.open_upload("a.pkg")
    renewed = store.renew_credentials(ticket)
    assert (renewed.bucket, renewed.key, renewed.upload_id) == (
        ticket.bucket,
        ticket.key,
        ticket.upload_id,
    )
    assert renewed.credentials.session_token != ticket.credentials.session_token


def test_listed_download_and_deleted(emulator: JamfEmulator, jamf_http: JamfHttpClient) -> None:
    store = JcdsApiFileStore(jamf_http)
    data = b"0123456789" * 1000
    put(emulator, store.open_upload("Ünïcode name.pkg"), data)

    [listed] = store.list_files()
    assert (listed.file_name, listed.size) == ("Ünïcode name.pkg", len(data))
    assert listed.md5 is not None
    assert len(listed.md5) == 32

    url = store.download_url("Ünïcode name.pkg")
    assert requests.get(url, headers={"Range": "bytes=10-19"}, timeout=10).content == data[10:20]

    store.delete("Ünïcode name.pkg")
    assert store.list_files() == []


def test_unknown_files_raise_remote_file_not_found(jamf_http: JamfHttpClient) -> None:
    store = JcdsApiFileStore(jamf_http)
    with pytest.raises(RemoteFileNotFoundError, match=r"nope\.pkg"):
        store.download_url("nope.pkg")
    with pytest.raises(RemoteFileNotFoundError):
        store.delete("nope.pkg")


def test_rsql_quote_escapes_quotes_and_backslashes() -> None:
    assert rsql_quote('a"b\\c') == '"a\\"b\\\\c"'


def test_lookup_finds_among_many_packages_in_one_request() -> None:
    with JamfEmulator(packages=2000) as crowded:
        http = JamfHttpClient(
            build_session(TransferConfig()),
            JamfServer.parse(crowded.url),
            BasicAuthProvider(crowded.username, crowded.password),
            TransferConfig(),
        )
        lookup = ProApiPackageLookup(http)
        wanted = crowded.packages()[1733]
        http.token()
        crowded.clear_request_log()

        found = lookup.find_by_file_name(wanted["fileName"])
        assert found is not None
        assert (found.id, found.name) == (int(wanted["id"]), wanted["packageName"])
        assert len(crowded.request_log) == 1

        crowded.clear_request_log()
        assert lookup.find_by_file_name("not-there.pkg") is None
        assert len(crowded.request_log) == 1


@pytest.mark.parametrize("name", ['quote " in it.pkg', "back\\slash.pkg", "star*.pkg"])
def test_lookup_matches_awkward_names_exactly(
    emulator: JamfEmulator, jamf_http: JamfHttpClient, name: str
) -> None:
    session = requests.Session()
    token = jamf_http.token().value
    for package_name, file_name in [("exact", name), ("other", "starfish.pkg")]:
        created = session.post(
            f"{emulator.url}/api/v1/packages",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "packageName": package_name,
                "fileName": file_name,
                "categoryId": "-1",
                "priority": 10,
                "fillUserTemplate": False,
                "rebootRequired": False,
                "osInstall": False,
                "suppressUpdates": False,
                "suppressFromDock": False,
                "suppressEula": False,
                "suppressRegistration": False,
            },
            timeout=10,
        )
        assert created.status_code == 201, created.text
    found = ProApiPackageLookup(jamf_http).find_by_file_name(name)
    assert found is not None
    assert (found.name, found.file_name) == ("exact", name)
