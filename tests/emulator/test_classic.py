"""Classic API packages: XML and JSON views, create, partial update, delete, HTML errors."""

from __future__ import annotations

from typing import Any

import boto3
from defusedxml.ElementTree import fromstring

from jcds2.emulator import JamfEmulator

from .conftest import JamfClient

JSON = {"Accept": "application/json"}
XML_BODY = {"Content-Type": "text/xml"}

CLASSIC_FIELDS = {
    "id",
    "name",
    "category",
    "filename",
    "info",
    "notes",
    "priority",
    "reboot_required",
    "fill_user_template",
    "fill_existing_users",
    "allow_uninstalled",
    "os_requirements",
    "required_processor",
    "hash_type",
    "hash_value",
    "switch_with_package",
    "install_if_reported_available",
    "reinstall_option",
    "triggering_files",
    "send_notification",
}


def create(client: JamfClient, name: str, filename: str, extra: str = "") -> int:
    body = f"<package><name>{name}</name><filename>{filename}</filename>{extra}</package>"
    response = client.post("/JSSResource/packages/id/0", data=body, headers=XML_BODY)
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><package><id>')
    root = fromstring(response.content)
    return int(root.findtext("id") or "0")


def test_create_and_read_as_json(client: JamfClient) -> None:
    client.emulator.add_category("Utilities")
    package_id = create(
        client,
        "Foo",
        "Foo-1.0.pkg",
        "<category>Utilities</category><info>i</info><notes>n</notes>"
        "<priority>7</priority><hash_type>SHA_512</hash_type><hash_value>abc</hash_value>"
        "<reboot_required>true</reboot_required><unknown_element>x</unknown_element>",
    )
    response = client.get(f"/JSSResource/packages/id/{package_id}", headers=JSON)
    assert response.status_code == 200
    package: dict[str, Any] = response.json()["package"]
    assert set(package) == CLASSIC_FIELDS
    assert package["id"] == package_id
    assert package["name"] == "Foo"
    assert package["filename"] == "Foo-1.0.pkg"
    assert package["category"] == "Utilities"
    assert (package["info"], package["notes"], package["priority"]) == ("i", "n", 7)
    assert (package["hash_type"], package["hash_value"]) == ("SHA_512", "abc")
    assert package["reboot_required"] is True
    by_name = client.get("/JSSResource/packages/name/Foo", headers=JSON)
    assert by_name.json() == response.json()


def test_one_store_two_views(client: JamfClient) -> None:
    package_id = create(
        client, "Bar", "Bar.pkg", "<hash_type>SHA_512</hash_type><hash_value>f00</hash_value>"
    )
    pro = client.get(f"/api/v1/packages/{package_id}").json()
    assert pro["packageName"] == "Bar"
    assert pro["fileName"] == "Bar.pkg"
    assert pro["categoryId"] == "-1"
    assert (pro["hashType"], pro["hashValue"]) == ("SHA_512", "f00")
    classic = client.get(f"/JSSResource/packages/id/{package_id}", headers=JSON).json()
    assert classic["package"]["category"] == "No category assigned"


def test_read_as_xml(client: JamfClient) -> None:
    package_id = create(client, "Xml &amp; Co", "xml.pkg")
    response = client.get(f"/JSSResource/packages/id/{package_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    root = fromstring(response.content)
    assert root.tag == "package"
    assert {child.tag for child in root} == CLASSIC_FIELDS
    assert root.findtext("name") == "Xml & Co"
    assert root.findtext("filename") == "xml.pkg"


def test_list_json_and_xml(client: JamfClient) -> None:
    first = create(client, "A", "a.pkg")
    second = create(client, "B", "b.pkg")
    listing = client.get("/JSSResource/packages", headers=JSON)
    assert listing.json() == {"packages": [{"id": first, "name": "A"}, {"id": second, "name": "B"}]}
    root = fromstring(client.get("/JSSResource/packages").content)
    assert root.tag == "packages"
    assert root.findtext("size") == "2"
    assert [(p.findtext("id"), p.findtext("name")) for p in root.findall("package")] == [
        (str(first), "A"),
        (str(second), "B"),
    ]


def test_duplicate_name_is_a_conflict(client: JamfClient) -> None:
    create(client, "Dup", "dup.pkg")
    body = "<package><name>Dup</name><filename>other.pkg</filename></package>"
    response = client.post("/JSSResource/packages/id/0", data=body, headers=XML_BODY)
    assert response.status_code == 409
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Error: Duplicate name" in response.text


def test_bad_bodies(client: JamfClient) -> None:
    for body in (
        "<package><name>NoFile</name></package>",
        "<package><filename>noname.pkg</filename></package>",
        "<package><name>x</name><filename>x.pkg</filename>",
        "not xml at all",
        "<package><name>x</name><filename>x.pkg</filename><priority>high</priority></package>",
        '<!DOCTYPE p [<!ENTITY e "boom">]><package><name>&e;</name></package>',
    ):
        response = client.post("/JSSResource/packages/id/0", data=body, headers=XML_BODY)
        assert response.status_code == 400, body
        assert response.text.startswith("<html>")
        assert "<p>Error: " in response.text


def test_partial_update(client: JamfClient) -> None:
    package_id = create(client, "Old", "old.pkg", "<info>keep me</info>")
    apps = client.emulator.add_category("Apps")
    response = client.put(
        f"/JSSResource/packages/id/{package_id}",
        data="<package><name>New</name><category>Apps</category></package>",
        headers=XML_BODY,
    )
    assert response.status_code == 201
    assert fromstring(response.content).findtext("id") == str(package_id)
    package = client.get(f"/JSSResource/packages/id/{package_id}", headers=JSON).json()["package"]
    assert (package["name"], package["filename"], package["info"]) == ("New", "old.pkg", "keep me")
    assert package["category"] == "Apps"
    assert client.get(f"/api/v1/packages/{package_id}").json()["categoryId"] == apps["id"]


def test_update_to_a_taken_name(client: JamfClient) -> None:
    create(client, "One", "one.pkg")
    two = create(client, "Two", "two.pkg")
    response = client.put(
        f"/JSSResource/packages/id/{two}",
        data="<package><name>One</name></package>",
        headers=XML_BODY,
    )
    assert response.status_code == 409


def test_missing_packages_are_404_pages(client: JamfClient) -> None:
    for path in ("/JSSResource/packages/id/999", "/JSSResource/packages/name/none"):
        response = client.get(path, headers=JSON)
        assert response.status_code == 404
        assert response.headers["Content-Type"].startswith("text/html")
    assert client.delete("/JSSResource/packages/id/999").status_code == 404


def test_delete_removes_the_jcds_file(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Gone", "gone.pkg")
    create(client, "Stays", "stays.pkg")
    s3 = boto3.client(
        "s3",
        endpoint_url=emulator.s3_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    for key in ("tmp/1/gone.pkg", "tmp/2/gone.pkg", "tmp/3/stays.pkg"):
        s3.put_object(Bucket=emulator.bucket, Key=key, Body=b"data")
    response = client.delete(f"/JSSResource/packages/id/{package_id}")
    assert response.status_code == 200
    assert response.text == (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<package><id>{package_id}</id><successful>True</successful></package>"
    )
    assert [f["fileName"] for f in emulator.jcds_files()] == ["stays.pkg"]
    assert client.get(f"/JSSResource/packages/id/{package_id}").status_code == 404


def test_unknown_classic_path_and_method(client: JamfClient) -> None:
    response = client.get("/JSSResource/nothing")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    response = client.post("/JSSResource/packages")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_create_by_name(client: JamfClient, emulator: JamfEmulator) -> None:
    # The Classic schema allows POST on /packages/name/{name}; the URL names the package
    # when the body does not.
    response = client.post(
        "/JSSResource/packages/name/ByName",
        data="<package><filename>byname.pkg</filename></package>",
        headers=XML_BODY,
    )
    assert response.status_code == 201
    package_id = int(fromstring(response.content).findtext("id") or "0")
    pro = client.get(f"/api/v1/packages/{package_id}").json()
    assert (pro["packageName"], pro["fileName"]) == ("ByName", "byname.pkg")
    duplicate = client.post(
        "/JSSResource/packages/name/ByName",
        data="<package><filename>other.pkg</filename></package>",
        headers=XML_BODY,
    )
    assert duplicate.status_code == 409
    no_file = client.post("/JSSResource/packages/name/NoFile", data="<package/>", headers=XML_BODY)
    assert no_file.status_code == 400
    assert [p["packageName"] for p in emulator.packages()] == ["ByName"]
