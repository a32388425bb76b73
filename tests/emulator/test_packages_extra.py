"""Packages routes beyond CRUD and upload: delete-multiple, export, history, manifest; file
types; the new hash showing before the new size."""

from __future__ import annotations

import csv
import io
import plistlib
from typing import Any

import pytest
import requests

from jcds2.emulator import FaultRule, JamfEmulator, LateSizeFault, ZeroSizeUploadFault

from .conftest import JamfClient, SchemaChecker
from .test_package_upload import create, get, managed, refresh, shown, upload, uploaded
from .test_pro_packages import package_body

UNSUPPORTED = "Unsupported file extension. Acceptable formats are pkg, mpkg, dmg or zip."


def rows(answer: requests.Response) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.text)))


# delete-multiple ----------------------------------------------------------------------


def test_delete_multiple(client: JamfClient, emulator: JamfEmulator) -> None:
    ids = [create(client, f"Many {n}", f"many-{n}.pkg") for n in range(4)]
    uploaded(client, ids[0], "many-0.pkg", b"bytes")
    answer = client.post("/api/v1/packages/delete-multiple", json={"ids": ids[:3]})
    assert answer.status_code == 204, answer.text
    assert [package["id"] for package in emulator.packages()] == [ids[3]]
    assert emulator.jcds_files() == []  # the files go with their packages
    assert emulator.package_history(ids[0]) == []


def test_delete_multiple_reports_the_ids_it_could_not_delete(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    kept = create(client, "Kept", "kept.pkg")
    gone = create(client, "Gone", "gone.pkg")
    answer = client.post("/api/v1/packages/delete-multiple", json={"ids": ["999", gone, "x"]})
    assert answer.status_code == 400
    causes = answer.json()["errors"]
    assert [(cause["code"], cause["id"]) for cause in causes] == [
        ("INVALID_ID", "999"),
        ("INVALID_ID", "x"),
    ]
    assert [package["id"] for package in emulator.packages()] == [kept]


def test_delete_multiple_with_nothing_to_delete(client: JamfClient) -> None:
    assert client.post("/api/v1/packages/delete-multiple", json={"ids": []}).status_code == 204
    assert client.post("/api/v1/packages/delete-multiple", json={}).status_code == 204


def test_the_item_route_no_longer_captures_the_action_routes(client: JamfClient) -> None:
    # These used to be 405: /packages/{id} took "delete-multiple" and "export" for ids.
    assert client.get("/api/v1/packages/delete-multiple").status_code == 404
    assert client.post("/api/v1/packages/export").status_code == 200


# export -------------------------------------------------------------------------------


@pytest.fixture
def three(client: JamfClient) -> list[str]:
    return [
        create(client, "Chrome", "chrome.pkg"),
        create(client, "Firefox", "firefox.dmg"),
        create(client, "Zoom", "zoom.zip"),
    ]


def test_export_everything(client: JamfClient, three: list[str]) -> None:
    table = rows(client.post("/api/v1/packages/export"))
    header = table[0]
    assert header[:3] == ["id", "packageName", "fileName"]
    assert "cloudTransferStatus" in header
    assert [row[0] for row in table[1:]] == three
    package = get(client, three[0])
    assert dict(zip(header, table[1], strict=True)) == {
        key: "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in package.items()
    }


def test_export_fields_labels_filter_sort_and_page_from_the_query(
    client: JamfClient, three: list[str]
) -> None:
    del three
    params: dict[str, Any] = {
        "export-fields": "packageName,fileName",
        "export-labels": "Name,File",
        "sort": "packageName:desc",
        "filter": 'fileName!="chrome.pkg"',
        "page-size": 1,
        "page": 1,
    }
    assert rows(client.post("/api/v1/packages/export", params=params)) == [
        ["Name", "File"],
        ["Firefox", "firefox.dmg"],
    ]
    repeated = client.post(
        "/api/v1/packages/export", params=[("export-fields", "id"), ("export-fields", "fileName")]
    )
    assert rows(repeated)[0] == ["id", "fileName"]


def test_the_export_body_overrides_the_query(client: JamfClient, three: list[str]) -> None:
    body = {
        "sort": ["id:desc"],
        "filter": 'packageName!="Firefox"',
        "fields": [{"fieldName": "id"}, {"fieldName": "packageName", "fieldLabelOverride": "N"}],
        "pageSize": 5,
    }
    answer = client.post("/api/v1/packages/export", params={"sort": "id:asc"}, json=body)
    assert rows(answer) == [["id", "N"], [three[2], "Zoom"], [three[0], "Chrome"]]


@pytest.mark.parametrize(
    ("params", "body", "code"),
    [
        ({"export-fields": "nope"}, None, "INVALID_FIELD"),
        ({"export-fields": "id,id"}, None, "INVALID_FIELD"),
        ({"export-fields": "id,fileName", "export-labels": "only one"}, None, "INVALID_FIELD"),
        ({}, {"fields": [{"fieldName": "size"}, {"fieldName": "size"}]}, "INVALID_FIELD"),
        ({"sort": "nope:asc"}, None, "INVALID_SORT_FIELD"),
        ({"filter": "md5==x"}, None, "INVALID_RSQL_FILTER_FIELD"),
        ({"page-size": "0"}, None, "INVALID_QUERY_PARAMETER"),
        ({"page": "1_0"}, None, "INVALID_QUERY_PARAMETER"),
        ({"page": " 1"}, None, "INVALID_QUERY_PARAMETER"),
        ({}, {"pageSize": 5000}, "INVALID_QUERY_PARAMETER"),
        ({}, {"fields": "id"}, "INVALID_FIELD"),
    ],
)
def test_export_refusals(client: JamfClient, params: dict[str, str], body: Any, code: str) -> None:
    answer = client.post("/api/v1/packages/export", params=params, json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["code"] == code


# history ------------------------------------------------------------------------------


def notes(client: JamfClient, package_id: str, **params: Any) -> dict[str, Any]:
    answer = client.get(f"/api/v1/packages/{package_id}/history", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_history_records_changes_newest_first(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Tracked", "tracked.pkg")
    client.put(f"/api/v1/packages/{package_id}", json=package_body("Tracked", "tracked.pkg"))
    uploaded(client, package_id, "tracked.pkg", b"data")
    history = notes(client, package_id)
    assert history["totalCount"] == 3
    assert [record["note"] for record in history["results"]] == [
        "Package file uploaded",
        "Package updated",
        "Package created",
    ]
    assert {record["username"] for record in history["results"]} == {emulator.username}
    assert history["results"][0]["details"] == "tracked.pkg"
    oldest_first = notes(client, package_id, sort="date:asc", **{"page-size": 2})
    assert [record["note"] for record in oldest_first["results"]] == [
        "Package created",
        "Package updated",
    ]
    assert oldest_first["totalCount"] == 3


def test_adding_a_note(client: JamfClient) -> None:
    package_id = create(client, "Annotated", "annotated.pkg")
    answer = client.post(f"/api/v1/packages/{package_id}/history", json={"note": "checked"})
    assert answer.status_code == 201, answer.text
    record = answer.json()
    assert (record["note"], record["details"]) == ("checked", None)
    assert record["date"].endswith("Z")
    found = notes(client, package_id, filter='note=="checked"')
    assert found["results"] == [record]


def test_history_refusals(client: JamfClient) -> None:
    package_id = create(client, "Refusing", "refusing.pkg")
    for path in ("/api/v1/packages/999/history", "/api/v1/packages/abc/history"):
        assert client.get(path).status_code == 404
        assert client.post(path, json={"note": "x"}).status_code == 404
        assert client.post(path + "/export").status_code == 404
    history = f"/api/v1/packages/{package_id}/history"
    assert client.post(history, json={"note": {"x": 1}}).status_code == 400
    assert (
        client.post(history, data=b"{", headers={"Content-Type": "application/json"}).json()[
            "errors"
        ][0]["code"]
        == "INVALID_JSON"
    )
    assert client.get(history, params={"sort": "colour:asc"}).status_code == 400
    assert client.get(history, params={"filter": "size==1"}).status_code == 400


def test_history_export(client: JamfClient) -> None:
    package_id = create(client, "Exported", "exported.pkg")
    client.post(f"/api/v1/packages/{package_id}/history", json={"note": 'a, "quoted" note'})
    path = f"/api/v1/packages/{package_id}/history/export"
    table = rows(client.post(path))
    assert table[0] == ["id", "username", "date", "note", "details"]
    assert [row[3] for row in table[1:]] == ['a, "quoted" note', "Package created"]
    body = {"fields": [{"fieldName": "note", "fieldLabelOverride": "Notiz"}], "sort": ["id:asc"]}
    assert rows(client.post(path, json=body)) == [
        ["Notiz"],
        ["Package created"],
        ['a, "quoted" note'],
    ]


# manifest -----------------------------------------------------------------------------

MANIFEST = {"items": [{"assets": [{"kind": "software-package", "url": "https://x/a.pkg"}]}]}


def post_manifest(
    client: JamfClient, package_id: str, data: bytes, name: str | None = "a.plist"
) -> requests.Response:
    return client.post(f"/api/v1/packages/{package_id}/manifest", files={"file": (name, data)})


def test_a_manifest_is_set_and_deleted(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Manifested", "manifested.pkg")
    xml = plistlib.dumps(MANIFEST)
    answer = post_manifest(client, package_id, xml, "Manifested.plist")
    assert answer.status_code == 201, answer.text
    package = answer.json()
    assert (package["manifest"], package["manifestFileName"]) == (xml.decode(), "Manifested.plist")
    assert get(client, package_id)["manifest"] == xml.decode()
    listed = client.get("/api/v1/packages", params={"filter": 'manifestFileName=="*.plist"'})
    assert listed.json()["totalCount"] == 1
    deleted = client.delete(f"/api/v1/packages/{package_id}/manifest")
    assert deleted.status_code == 204
    assert (get(client, package_id)["manifest"], get(client, package_id)["manifestFileName"]) == (
        None,
        None,
    )
    assert [r["note"] for r in emulator.package_history(package_id)][-2:] == [
        "Manifest added",
        "Manifest removed",
    ]


def test_a_binary_manifest_is_kept_as_xml(client: JamfClient) -> None:
    package_id = create(client, "Binary", "binary.pkg")
    answer = post_manifest(client, package_id, plistlib.dumps(MANIFEST, fmt=plistlib.FMT_BINARY))
    assert answer.status_code == 201, answer.text
    assert plistlib.loads(answer.json()["manifest"].encode()) == MANIFEST


def test_manifest_refusals(client: JamfClient) -> None:
    package_id = create(client, "Unmanifested", "unmanifested.pkg")
    path = f"/api/v1/packages/{package_id}/manifest"
    assert post_manifest(client, package_id, b"not a plist").status_code == 400
    assert post_manifest(client, package_id, plistlib.dumps({}), name=None).status_code == 400
    assert client.post(path, files={"other": ("a.plist", b"x")}).status_code == 400
    assert client.post(path, json={"file": "a.plist"}).status_code == 400
    too_big = post_manifest(client, package_id, b"x" * (1024 * 1024 + 1))
    assert too_big.status_code == 413
    for missing in ("999", "abc"):
        assert post_manifest(client, missing, plistlib.dumps({})).status_code == 404
        assert client.delete(f"/api/v1/packages/{missing}/manifest").status_code == 404
    assert get(client, package_id)["manifest"] is None


# file types ---------------------------------------------------------------------------


@pytest.mark.parametrize("file_name", ["a.pkg", "a.mpkg", "a.dmg", "a.zip", "A.PKG", "b.Dmg"])
def test_accepted_file_types(client: JamfClient, file_name: str) -> None:
    answer = client.post("/api/v1/packages", json=package_body(file_name, file_name))
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("file_name", ["a.pdf", "a.app", "a.pkg.txt", "pkg", "a.tar.gz"])
def test_unsupported_file_types(client: JamfClient, file_name: str) -> None:
    created = client.post("/api/v1/packages", json=package_body("Bad type", file_name))
    package_id = create(client, "Good type", "good.pkg")
    replaced = client.put(f"/api/v1/packages/{package_id}", json=package_body("X", file_name))
    for answer in (created, replaced):
        assert answer.status_code == 400, answer.text
        assert answer.json()["errors"] == [
            {
                "code": "UNSUPPORTED_FILE_TYPE",
                "field": "fileName",
                "description": UNSUPPORTED,
                "id": "0",
            }
        ]


def test_an_upload_to_a_package_of_an_unsupported_type_is_refused(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    xml = "<package><name>Doc</name><filename>doc.pdf</filename></package>"
    made = client.post("/JSSResource/packages/id/0", data=xml, headers={"Content-Type": "text/xml"})
    assert made.status_code == 201, made.text
    (package,) = emulator.packages()
    answer = upload(client, package["id"], "doc.pdf", b"%PDF")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "UNSUPPORTED_FILE_TYPE"
    assert emulator.jcds_files() == []


# the hash before the size -------------------------------------------------------------


@pytest.mark.parametrize("reads", [1, 3])
def test_the_new_hash_can_show_before_the_new_size(
    client: JamfClient, emulator: JamfEmulator, reads: int
) -> None:
    package_id = create(client, "Lagging", "lagging.pkg")
    uploaded(client, package_id, "lagging.pkg", b"first file")
    refresh(client)
    emulator.add_fault(LateSizeFault(reads=reads))
    sent = b"the second, longer file"
    uploaded(client, package_id, "lagging.pkg", sent)
    refresh(client, "lagging.pkg")
    for _ in range(reads):
        # READY with the new digests, but still the previous file's size.
        assert managed(get(client, package_id)) == shown(sent, size=str(len(b"first file")))
    assert managed(get(client, package_id)) == shown(sent)
    assert emulator.fault_log[-1].kind == "late_size"


def test_a_listing_read_counts_and_a_new_upload_starts_over(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    package_id = create(client, "Listed", "listed.pkg")
    emulator.add_fault(LateSizeFault(reads=1))
    uploaded(client, package_id, "listed.pkg", b"one")
    refresh(client)
    (listed,) = client.get("/api/v1/packages").json()["results"]
    assert managed(listed) == {**shown(b"one"), "size": None}  # never had a size before
    assert managed(get(client, package_id)) == shown(b"one")
    uploaded(client, package_id, "listed.pkg", b"two")
    refresh(client, "listed.pkg")  # a second refresh of every file would be too soon (429)
    assert managed(get(client, package_id)) == shown(b"two")


def test_late_size_rules_are_checked() -> None:
    with pytest.raises(ValueError, match="reads"):
        LateSizeFault(reads=0)
    with pytest.raises(ValueError, match="reads"):
        FaultRule.from_dict({"kind": "zero_size_upload", "reads": 1})
    with pytest.raises(TypeError, match="reads"):
        ZeroSizeUploadFault(reads=1)  # type: ignore[call-arg]
    assert FaultRule.from_dict({"kind": "late_size"}) == LateSizeFault(reads=1)


# every non-nullable property is present --------------------------------------------------


def test_the_checker_refuses_a_package_without_a_non_nullable_property(
    checker: SchemaChecker, client: JamfClient
) -> None:
    package = get(client, create(client, "Complete", "complete.pkg"))
    checker.check_complete(package, {"$ref": "#/components/schemas/Package"})
    del package["cloudTransferStatus"]
    with pytest.raises(AssertionError, match="cloudTransferStatus"):
        checker.check_complete(package, {"$ref": "#/components/schemas/Package"})
