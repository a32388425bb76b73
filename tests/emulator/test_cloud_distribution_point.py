"""The cloud distribution point: its settings, creating, changing and deleting it, its history,
its inventory of files, failing an upload, switching it off, the rate limit of refreshes of
every file, JCDS properties, /v1/auth.

Every Pro API answer goes through ``JamfClient`` and so is checked against the vendored
schema (an undocumented error must be an ApiError with a matching ``httpStatus``).
"""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from typing import Any

import pytest
import requests
from openapi_schema_validator import OAS30Validator, validate

from jcds2.emulator import JamfEmulator, TransferErrorFault
from jcds2.emulator.state import PackageStore
from jcds2.emulator.system import InventoryRefreshes

from .conftest import JamfClient, SchemaChecker
from .test_package_upload import create, get, jcds_upload, managed, shown, upload, uploaded
from .test_pro_packages import package_body

FILES = "/api/v1/cloud-distribution-point/files"
REFRESH = "/api/v1/cloud-distribution-point/refresh-inventory"
NO_CDP = {
    "httpStatus": 404,
    "errors": [
        {
            "code": "NOT_FOUND",
            "field": None,
            "description": "Cloud distribution point not found or is null",
            "id": "0",
        }
    ],
}
# Not in the published schema; the shape public clients read (docs/emulator.md).
JCDS_PROPERTIES_SCHEMA = {
    "type": "object",
    "required": ["jcds2Enabled", "fileStreamEndpointEnabled", "maxChunkSize"],
    "additionalProperties": False,
    "properties": {
        "jcds2Enabled": {"type": "boolean"},
        "fileStreamEndpointEnabled": {"type": "boolean"},
        "maxChunkSize": {"type": "integer", "minimum": 1},
    },
}


def inventory(client: JamfClient, **params: Any) -> dict[str, Any]:
    response = client.get(FILES, params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def by_name(client: JamfClient) -> dict[str, dict[str, Any]]:
    return {entry["fileName"]: entry for entry in inventory(client)["results"]}


def jcds_properties(client: JamfClient) -> dict[str, Any]:
    # Outside the schema, so not through the checking client.
    answer = requests.get(
        client.emulator.url + "/api/v1/jcds/properties",
        headers={"Authorization": f"Bearer {client.token}"},
        timeout=30,
    )
    assert answer.status_code == 200
    validate(answer.json(), JCDS_PROPERTIES_SCHEMA, cls=OAS30Validator)
    properties: dict[str, Any] = answer.json()
    return properties


# Settings and connection --------------------------------------------------------------


def test_settings_of_jamfs_own_cdn(client: JamfClient) -> None:
    settings = client.get("/api/v1/cloud-distribution-point")
    assert settings.status_code == 200
    body = settings.json()
    assert (body["cdnType"], body["master"], body["hasConnectionSucceeded"]) == (
        "JAMF_CLOUD",
        True,
        True,
    )
    assert "password" not in body  # write-only
    connection = client.get("/api/v1/cloud-distribution-point/test-connection")
    assert connection.status_code == 200
    assert connection.json()["hasConnectionSucceeded"] is True
    assert jcds_properties(client)["jcds2Enabled"] is True


def test_switched_off_nothing_needing_it_works(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Before", "before.pkg")
    emulator.set_cdn_type("NONE")
    assert emulator.cdn_type == "NONE"
    settings = client.get("/api/v1/cloud-distribution-point").json()
    assert (settings["cdnType"], settings["master"], settings["inventoryId"]) == (
        "NONE",
        False,
        "0",
    )
    refused = [
        client.post("/api/v1/packages", json=package_body("After")),
        upload(client, package_id, "before.pkg", b"data"),
        client.get("/api/v1/cloud-distribution-point/upload-capability"),
        client.get("/api/v1/cloud-distribution-point/test-connection"),
        client.get(FILES),
        client.post(
            "/api/v1/cloud-distribution-point/fail-upload/1",
            params={"file-name": "before.pkg", "type": "PACKAGE"},
        ),
    ]
    for response in refused:
        assert (response.status_code, response.json()) == (404, NO_CDP), response.request.url
    assert [p["packageName"] for p in emulator.packages()] == ["Before"]
    assert emulator.jcds_files() == []
    assert jcds_properties(client)["jcds2Enabled"] is False
    # The Classic API only records metadata: an on-premise server without a CDP does too.
    classic = client.post(
        "/JSSResource/packages/id/0",
        data="<package><name>Classic</name><filename>classic.pkg</filename></package>",
        headers={"Content-Type": "text/xml"},
    )
    assert classic.status_code == 201
    # Switched back on, everything works again; reset() restores the constructor's type.
    emulator.set_cdn_type("JAMF_CLOUD")
    assert client.post("/api/v1/packages", json=package_body("Again")).status_code == 201
    emulator.set_cdn_type("NONE")
    emulator.reset()
    assert emulator.cdn_type == "JAMF_CLOUD"


def test_an_unknown_cdn_type_is_refused(emulator: JamfEmulator) -> None:
    with pytest.raises(ValueError, match="cdn_type"):
        emulator.set_cdn_type("FTP")
    with pytest.raises(ValueError, match="cdn_type"):
        JamfEmulator(cdn_type="jamf_cloud")


# The inventory of files ---------------------------------------------------------------


def test_inventory_lists_every_file_with_its_package_and_status(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    tools = emulator.add_category("Tools")
    ready = client.post(
        "/api/v1/packages", json=package_body("Ready", "ready.pkg", categoryId=tools["id"])
    ).json()["id"]
    pending = create(client, "Pending", "pending.pkg")
    create(client, "Empty", "empty.pkg")  # a package without a file is no file
    uploaded(client, ready, "ready.pkg", b"ready")
    client.post(REFRESH, params={"file-name": "ready.pkg"})
    uploaded(client, pending, "pending.pkg", b"pending")
    jcds_upload(client, "loose.pkg", b"no package")
    files = by_name(client)
    assert set(files) == {"loose.pkg", "pending.pkg", "ready.pkg"}
    assert files["ready.pkg"] == {
        "id": files["ready.pkg"]["id"],
        "inventoryId": "1",
        "type": "PACKAGE",
        "fileName": "ready.pkg",
        "fileObjectId": ready,
        "category": "Tools",
        "status": "READY",
    }
    assert (files["pending.pkg"]["fileObjectId"], files["pending.pkg"]["status"]) == (
        pending,
        "PENDING",
    )
    assert files["pending.pkg"]["category"] == "No category assigned"
    assert files["loose.pkg"]["category"] == "No category assigned"
    assert (files["loose.pkg"]["type"], files["loose.pkg"]["status"]) == ("NONE", "READY")
    # Ids stay with their files.
    jcds_upload(client, "another.pkg", b"later")
    again = by_name(client)
    for name, entry in files.items():
        assert again[name]["id"] == entry["id"]
    assert again["another.pkg"]["id"] not in {entry["id"] for entry in files.values()}


def test_inventory_pages_sorts_and_filters(client: JamfClient) -> None:
    package_id = create(client, "Mine", "mine.pkg")
    uploaded(client, package_id, "mine.pkg", b"mine")
    for name in ("b.dmg", "A.pkg", "c.zip"):
        jcds_upload(client, name, name.encode())
    names = [e["fileName"] for e in inventory(client, sort="fileName:desc")["results"]]
    assert names == ["mine.pkg", "c.zip", "b.dmg", "A.pkg"]
    page = inventory(client, **{"page": 1, "page-size": 3, "sort": "fileName:asc"})
    assert (page["totalCount"], [e["fileName"] for e in page["results"]]) == (4, ["mine.pkg"])
    assert [e["fileName"] for e in inventory(client, filter="type==PACKAGE")["results"]] == [
        "mine.pkg"
    ]
    found = inventory(client, filter='fileName=="a.PKG" or fileName==*.zip', sort="fileName")
    assert [e["fileName"] for e in found["results"]] == ["A.pkg", "c.zip"]
    assert inventory(client, filter="inventoryId==1")["totalCount"] == 4
    bad = client.get(FILES, params={"filter": "status==READY"})
    assert bad.status_code == 400
    assert client.get(FILES, params={"sort": "size:asc"}).status_code == 400


def test_inventory_status_is_the_package_records_at_every_stage(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    package_id = create(client, "Staged", "staged.pkg")

    def both() -> tuple[str, str]:
        return get(client, package_id)["cloudTransferStatus"], by_name(client)["staged.pkg"][
            "status"
        ]

    uploaded(client, package_id, "staged.pkg", b"first")
    assert both() == ("PENDING", "PENDING")  # until the refresh and the processing
    client.post(REFRESH, params={"file-name": "staged.pkg"})
    assert both() == ("READY", "READY")
    # The server fails the transfer of the next upload (a fault): ERROR on both, the first
    # file's values still shown.
    emulator.add_fault(TransferErrorFault())
    uploaded(client, package_id, "staged.pkg", b"second, failed")
    assert both() == ("PENDING", "PENDING")
    client.post(REFRESH, params={"file-name": "staged.pkg"})
    assert both() == ("ERROR", "ERROR")
    assert managed(get(client, package_id)) == {**shown(b"first"), "cloudTransferStatus": "ERROR"}
    assert [record.kind for record in emulator.fault_log] == ["transfer_error"]
    # A new upload starts over.
    uploaded(client, package_id, "staged.pkg", b"third")
    assert both() == ("PENDING", "PENDING")
    client.post(REFRESH, params={"file-name": "staged.pkg"})
    assert both() == ("READY", "READY")
    assert managed(get(client, package_id)) == shown(b"third")


# Failing an upload --------------------------------------------------------------------


def test_fail_upload_marks_the_package_error_until_a_new_upload(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    package_id = create(client, "Doomed", "doomed.pkg")
    uploaded(client, package_id, "doomed.pkg", b"first")
    client.post(REFRESH, params={"file-name": "doomed.pkg"})
    uploaded(client, package_id, "doomed.pkg", b"second, never shown")
    file_id = by_name(client)["doomed.pkg"]["id"]
    failed = client.post(
        f"/api/v1/cloud-distribution-point/fail-upload/{file_id}",
        params={"file-name": "doomed.pkg", "type": "PACKAGE"},
    )
    assert failed.status_code == 204
    assert managed(get(client, package_id)) == {**shown(b"first"), "cloudTransferStatus": "ERROR"}
    assert by_name(client)["doomed.pkg"]["status"] == "ERROR"
    # The failed upload never shows, refresh or not.
    client.post(REFRESH, params={"file-name": "doomed.pkg"})
    assert get(client, package_id)["cloudTransferStatus"] == "ERROR"
    assert emulator.package(package_id)["cloudTransferStatus"] == "ERROR"  # type: ignore[index]
    # A new upload starts over.
    uploaded(client, package_id, "doomed.pkg", b"third")
    assert get(client, package_id)["cloudTransferStatus"] == "PENDING"
    client.post(REFRESH, params={"file-name": "doomed.pkg"})
    assert managed(get(client, package_id)) == shown(b"third")


@pytest.mark.parametrize(
    ("file_id", "params", "status"),
    [
        ("{id}", {"type": "PACKAGE"}, 400),
        ("{id}", {"file-name": "ok.pkg"}, 400),
        ("{id}", {"file-name": "other.pkg", "type": "PACKAGE"}, 404),
        ("{id}", {"file-name": "ok.pkg", "type": "EBOOK"}, 404),
        ("999", {"file-name": "ok.pkg", "type": "PACKAGE"}, 404),
        ("abc", {"file-name": "ok.pkg", "type": "PACKAGE"}, 404),
    ],
)
def test_fail_upload_needs_the_right_file(
    client: JamfClient, file_id: str, params: dict[str, str], status: int
) -> None:
    package_id = create(client, "Ok", "ok.pkg")
    uploaded(client, package_id, "ok.pkg", b"ok")
    real_id = by_name(client)["ok.pkg"]["id"]
    response = client.post(
        "/api/v1/cloud-distribution-point/fail-upload/" + file_id.format(id=real_id),
        params=params,
    )
    assert response.status_code == status
    assert get(client, package_id)["cloudTransferStatus"] == "PENDING"


# Refreshes of every file: once per interval -------------------------------------------


@pytest.mark.parametrize("route", ["cloud-distribution-point", "jcds"])
def test_a_second_refresh_of_every_file_too_soon_is_429(
    client: JamfClient, emulator: JamfEmulator, route: str
) -> None:
    assert emulator.refresh_all_interval_seconds == 15
    path = f"/api/v1/{route}/refresh-inventory"
    assert client.post(path).status_code == 204
    package_id = create(client, "Late", "late.pkg")
    uploaded(client, package_id, "late.pkg", b"late")
    too_soon = client.post(path)
    assert too_soon.status_code == 429
    assert too_soon.json()["errors"][0]["code"] == "TOO_MANY_REQUESTS"
    assert 1 <= int(too_soon.headers["Retry-After"]) <= 15
    # Refused: nothing was refreshed, and it is not recorded.
    assert get(client, package_id)["cloudTransferStatus"] == "PENDING"
    assert emulator.refresh_requests == [None]
    # Either route counts: they are one inventory.
    other = "jcds" if route == "cloud-distribution-point" else "cloud-distribution-point"
    assert client.post(f"/api/v1/{other}/refresh-inventory").status_code == 429
    # Refreshes of one file are not limited.
    assert client.post(path, params={"file-name": "late.pkg"}).status_code == 204
    assert client.post(path, params={"file-name": "late.pkg"}).status_code == 204
    assert emulator.refresh_requests == [None, "late.pkg", "late.pkg"]


def test_the_interval_can_be_changed_and_reset_restores_it(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    emulator.set_refresh_all_interval(0)
    assert client.post(REFRESH).status_code == 204
    assert client.post(REFRESH).status_code == 204
    emulator.reset()
    assert emulator.refresh_all_interval_seconds == 15
    with pytest.raises(ValueError, match="refresh interval"):
        emulator.set_refresh_all_interval(-1)


def test_a_refresh_of_every_file_is_allowed_again_once_the_interval_passed() -> None:
    now = [100.0]
    refreshes = InventoryRefreshes(PackageStore(), interval=15, clock=lambda: now[0])
    assert refreshes.refresh(None) is None
    now[0] += 14.5
    assert refreshes.refresh(None) == pytest.approx(0.5)
    assert refreshes.refresh("one.pkg") is None
    now[0] += 0.5
    assert refreshes.refresh(None) is None
    # Measured from the last refresh that was allowed.
    now[0] += 10
    assert refreshes.refresh(None) == pytest.approx(5)
    assert refreshes.snapshot() == [None, "one.pkg", None]


# The token's account ------------------------------------------------------------------


def test_auth_describes_the_tokens_account(client: JamfClient, emulator: JamfEmulator) -> None:
    user = client.get("/api/v1/auth")
    assert user.status_code == 200
    assert user.json()["account"]["username"] == emulator.username
    assert user.json()["authenticationType"] == "JSS"
    token = requests.post(
        emulator.url + "/api/v1/oauth/token",
        data={
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "grant_type": "client_credentials",
        },
        timeout=30,
    ).json()["access_token"]
    api_client = client.get("/api/v1/auth", headers={"Authorization": f"Bearer {token}"})
    assert api_client.status_code == 200
    assert api_client.json()["account"]["username"] == emulator.client_id
    assert api_client.json()["authenticationType"] == "CLIENT_CREDENTIALS"


def test_auth_needs_a_token(anonymous: JamfClient) -> None:
    assert anonymous.get("/api/v1/auth").status_code == 401


# Creating, changing and deleting the CDP, and its history -------------------------------

CDP = "/api/v1/cloud-distribution-point"
HISTORY = CDP + "/history"
SECRET = "s3cret-Value-never-echoed"
PRIVATE_KEY = base64.b64encode(b"-----BEGIN PRIVATE KEY-----").decode()
S3 = {"cdnType": "AMAZON_S3", "username": "AKIAEXAMPLE", "password": SECRET}


def patch(client: JamfClient, body: Any, **kwargs: Any) -> requests.Response:
    return client.request("PATCH", CDP, json=body, **kwargs)


def notes(client: JamfClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get(HISTORY, params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["results"]
    return found


def test_delete_then_create_is_what_get_answers(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Kept", "kept.pkg")
    uploaded(client, package_id, "kept.pkg", b"data")
    old_id = by_name(client)["kept.pkg"]["id"]
    assert client.delete(CDP).status_code == 204
    assert emulator.cdn_type == "NONE"
    assert client.get(CDP).json()["cdnType"] == "NONE"
    assert (client.get(FILES).status_code, client.delete(CDP).json()) == (404, NO_CDP)
    assert client.post("/api/v1/packages", json=package_body("Refused")).status_code == 404
    created = client.post(CDP, json={**S3, "master": True, "inventoryId": "9"})
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer == client.get(CDP).json()
    assert answer["inventoryId"] == "1"  # read-only: the server's, not the body's
    assert (answer["cdnType"], answer["master"], answer["username"]) == (
        "AMAZON_S3",
        True,
        "AKIAEXAMPLE",
    )
    assert answer["hasConnectionSucceeded"] is True
    assert "password" not in answer
    assert "privateKey" not in answer
    assert emulator.cdn_type == "AMAZON_S3"
    # The inventory details were deleted with the CDP: file ids start afresh.
    assert by_name(client)["kept.pkg"]["id"] == "1" == old_id
    assert client.post("/api/v1/packages", json=package_body("Again")).status_code == 201
    assert [(n["note"], n["details"]) for n in notes(client)] == [
        ("Cloud distribution point deleted", None),
        ("Cloud distribution point created", "cdnType, master, username, password"),
    ]


def test_create_needs_no_cdp_and_a_valid_body(client: JamfClient) -> None:
    before = client.get(CDP).json()
    conflict = client.post(CDP, json={"cdnType": "JAMF_CLOUD", "username": "", "password": ""})
    assert conflict.status_code == 409
    assert conflict.json()["errors"][0]["code"] == "CONFLICT"
    assert client.delete(CDP).status_code == 204
    refusals = {
        "cdnType": {"cdnType": "NONE", "username": "", "password": ""},
        "password": {"cdnType": "RACKSPACE_CLOUD_FILES", "username": "u"},
        "directory": {"cdnType": "AKAMAI", "username": "u", "password": "p"},
        "keyPairId": {**S3, "requireSignedUrls": True, "privateKey": PRIVATE_KEY},
        "privateKey": {**S3, "requireSignedUrls": True, "keyPairId": "K", "privateKey": "!"},
        "expirationSeconds": {**S3, "expirationSeconds": 0},
        "username": {"cdnType": "JAMF_CLOUD", "username": "admin", "password": ""},
    }
    for field, bad in refusals.items():
        response = client.post(CDP, json=bad)
        assert response.status_code == 400, field
        assert response.json()["errors"][0]["field"] == field
    assert client.get(CDP).json()["cdnType"] == "NONE"
    # Jamf's own CDN takes the same body as before it was deleted (username and password
    # are required by the schema, and empty).
    again = client.post(
        CDP, json={"cdnType": "JAMF_CLOUD", "master": 1, "username": "", "password": ""}
    )
    assert again.status_code == 201
    assert again.json() == before


def test_patch_merges_fields_into_the_configuration(client: JamfClient) -> None:
    assert client.delete(CDP).status_code == 204
    assert client.post(CDP, json=S3).status_code == 201
    signed = {"requireSignedUrls": "true", "keyPairId": "K1", "privateKey": PRIVATE_KEY}
    assert patch(client, {"requireSignedUrls": True}).status_code == 400  # no key pair
    response = patch(client, {**signed, "expirationSeconds": None, "username": None})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer == client.get(CDP).json()
    # Given fields changed; null and absent ones (the password too) were kept.
    assert (answer["requireSignedUrls"], answer["keyPairId"], answer["expirationSeconds"]) == (
        True,
        "K1",
        3600,
    )
    assert answer["username"] == "AKIAEXAMPLE"
    # Another CDN type: the fields of the old one must be cleared in the same patch.
    assert patch(client, {"cdnType": "JAMF_CLOUD"}).json()["errors"][0]["field"] == "username"
    assert patch(client, {"cdnType": "NONE"}).status_code == 400  # DELETE does that
    assert patch(client, {"master": False}).status_code == 200  # no change, no note
    assert patch(client, {"master": True}).status_code == 200
    assert [n["details"] for n in notes(client)][-2:] == [
        "requireSignedUrls, keyPairId, privateKey",
        "master",
    ]
    assert client.delete(CDP).status_code == 204
    assert (patch(client, {"master": True}).status_code, client.get(CDP).json()["master"]) == (
        404,
        False,
    )


def test_secrets_are_never_answered_nor_logged(
    client: JamfClient, emulator: JamfEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert client.delete(CDP).status_code == 204
    signed = {"requireSignedUrls": True, "keyPairId": "K1", "privateKey": PRIVATE_KEY}
    answers = [
        client.post(CDP, json={**S3, **signed}),
        patch(client, {"password": SECRET + "2"}),
        client.get(CDP),
        client.get(HISTORY),
    ]
    assert [answer.status_code for answer in answers] == [201, 200, 200, 200]
    for text in [*(answer.text for answer in answers), caplog.text, repr(emulator.request_log)]:
        assert SECRET not in text
        assert PRIVATE_KEY not in text
    assert notes(client)[-1]["details"] == "password"  # the field's name only


@pytest.mark.parametrize("strict", [False, True], ids=["as-jamf", "strict-json"])
def test_cdp_bodies_are_read_as_jamf_reads_them(
    client: JamfClient, emulator: JamfEmulator, strict: bool
) -> None:
    emulator.set_strict_json(strict)
    read_only = patch(client, {"hasConnectionSucceeded": False, "master": False})
    coerced = patch(client, {"master": "true"})
    undeclared = client.post(HISTORY, json={"note": "n", "colour": "red"})
    if strict:
        assert [r.status_code for r in (read_only, coerced, undeclared)] == [400, 400, 400]
        assert read_only.json()["errors"][0]["field"] == "hasConnectionSucceeded"
    else:
        assert [r.status_code for r in (read_only, coerced, undeclared)] == [200, 200, 201]
        assert coerced.json()["master"] is True


def test_history_notes_page_sort_and_filter(client: JamfClient, emulator: JamfEmulator) -> None:
    for note in ("first", "second", "third"):
        added = client.post(HISTORY, json={"note": note})
        assert added.status_code == 201
        assert (added.json()["note"], added.json()["username"]) == (note, emulator.username)
    assert [n["note"] for n in notes(client)] == ["first", "second", "third"]  # id:asc
    assert [n["note"] for n in notes(client, sort="id:desc", **{"page-size": 2})] == [
        "third",
        "second",
    ]
    assert [n["note"] for n in notes(client, filter='note=="second"')] == ["second"]
    response = client.get(HISTORY, params={"page": 1, "page-size": 2})
    assert response.json()["totalCount"] == 3
    assert [n["note"] for n in response.json()["results"]] == ["third"]
    assert client.get(HISTORY, params={"filter": "colour==red"}).status_code == 400
    # Package histories are apart from it.
    package_id = create(client, "Noted", "noted.pkg")
    history = client.get(f"/api/v1/packages/{package_id}/history").json()["results"]
    assert [n["note"] for n in history] == ["Package created"]


def test_reset_restores_the_constructors_cdp_and_forgets_its_history() -> None:
    with JamfEmulator(cdn_type="AKAMAI") as emulator:
        client = JamfClient(emulator, SchemaChecker(emulator.url)).login()
        initial = client.get(CDP).json()
        assert (initial["cdnType"], initial["master"], initial["username"]) == ("AKAMAI", True, "")
        # The constructor's Akamai CDP has none of its settings yet: a patch completes them.
        assert patch(client, {"username": "u"}).json()["errors"][0]["field"] == "password"
        akamai = {"username": "u", "password": "p", "directory": "1", "uploadUrl": "ftp://u"}
        changed = patch(client, {**akamai, "downloadUrl": "https://d"})
        assert changed.status_code == 200, changed.text
        assert client.post(HISTORY, json={"note": "n"}).status_code == 201
        emulator.reset()
        client.login()
        assert client.get(CDP).json() == initial
        assert notes(client) == []
        assert client.delete(CDP).status_code == 204
        emulator.reset()
        client.login()
        assert client.get(CDP).json() == initial


# The command line ---------------------------------------------------------------------


def test_command_line_options() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "jcds2.emulator", "--cdn-type", "NONE", "--refresh-interval", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        token = requests.post(
            info["url"] + "/api/v1/auth/token",
            auth=(info["username"], info["password"]),
            timeout=10,
        ).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        settings = requests.get(
            info["url"] + "/api/v1/cloud-distribution-point", headers=bearer, timeout=10
        )
        assert settings.json()["cdnType"] == "NONE"
        for _ in range(2):
            assert requests.post(info["url"] + REFRESH, headers=bearer, timeout=10).ok
    finally:
        process.terminate()
        process.communicate(timeout=30)
    for bad in (["--refresh-interval", "-1"], ["--cdn-type", "FTP"]):
        result = subprocess.run(
            [sys.executable, "-m", "jcds2.emulator", *bad],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, result.stderr
