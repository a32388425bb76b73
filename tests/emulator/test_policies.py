"""Policies (Classic) and computer PreStages (Pro): the objects that use packages.

PreStage answers go through ``JamfClient`` and so are checked against the PreStage paths of
``schemas/jcds2-policies-prestages-subset.json``; Classic policy answers are checked here
against its ``ClassicPolicy`` and ``ClassicPolicyList`` schemas, the XML after reading it
into the JSON flavour.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring
from openapi_schema_validator import OAS30Validator, validate

from jcds2.emulator import JamfEmulator
from jcds2.emulator.schemas import usage_schema

from .conftest import JamfClient
from .test_classic import create as classic_package

JSON = {"Accept": "application/json"}
XML = {"Accept": "application/xml"}
XML_BODY = {"Content-Type": "text/xml"}


def check(value: Any, name: str) -> None:
    schema = usage_schema()
    validate(value, {**schema["components"]["schemas"][name], **schema}, cls=OAS30Validator)


def as_json(element: Element) -> Any:
    """Classic XML read into the JSON flavour: a ``<size>`` makes a list, numbers and
    booleans become themselves."""
    children = list(element)
    if not children:
        text = element.text or ""
        if text in ("true", "false"):
            return text == "true"
        return int(text) if text.lstrip("-").isdigit() else text
    if children[0].tag == "size":
        return [as_json(child) for child in children[1:]]
    return {child.tag: as_json(child) for child in children}


def policy_body(name: str, *packages: tuple[int, str]) -> str:
    items = "".join(f"<package><id>{i}</id><action>{a}</action></package>" for i, a in packages)
    return (
        f"<policy><general><name>{name}</name></general>"
        f"<package_configuration><packages>{items}</packages></package_configuration></policy>"
    )


def create_policy(client: JamfClient, body: str) -> int:
    response = client.post("/JSSResource/policies/id/0", data=body, headers=XML_BODY)
    assert response.status_code == 201, response.text
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><policy><id>')
    return int(fromstring(response.content).findtext("id") or "0")


def test_create_list_read_and_delete_a_policy(client: JamfClient) -> None:
    first = classic_package(client, "Zoom", "Zoom.pkg")
    second = classic_package(client, "Chrome", "Chrome.dmg")
    policy = create_policy(client, policy_body("Apps", (first, "Install"), (second, "Cache")))
    listed = client.get("/JSSResource/policies", headers=JSON).json()
    check(listed, "ClassicPolicyList")
    assert listed == {"policies": [{"id": policy, "name": "Apps"}]}
    xml_list = fromstring(client.get("/JSSResource/policies", headers=XML).content)
    assert as_json(xml_list) == [{"id": policy, "name": "Apps"}]

    as_dict = client.get(f"/JSSResource/policies/id/{policy}", headers=JSON).json()
    check(as_dict, "ClassicPolicy")
    packages = as_dict["policy"]["package_configuration"]["packages"]
    assert [(p["id"], p["name"], p["action"]) for p in packages] == [
        (first, "Zoom", "Install"),
        (second, "Chrome", "Cache"),
    ]
    xml = client.get(f"/JSSResource/policies/id/{policy}", headers=XML)
    assert xml.headers["Content-Type"].startswith("text/xml")
    root = fromstring(xml.content)
    assert root.tag == "policy"
    assert root.findtext("package_configuration/packages/size") == "2"
    read = {"policy": as_json(root)}
    check(read, "ClassicPolicy")
    assert read == as_dict

    gone = client.delete(f"/JSSResource/policies/id/{policy}")
    assert gone.status_code == 200
    assert fromstring(gone.content).findtext("successful") == "True"
    assert client.get(f"/JSSResource/policies/id/{policy}").status_code == 404
    assert client.get("/JSSResource/policies", headers=JSON).json() == {"policies": []}


def test_the_packages_subset_answers_the_package_configuration_only(
    client: JamfClient,
) -> None:
    package = classic_package(client, "Zoom", "Zoom.pkg")
    policy = create_policy(client, policy_body("Apps", (package, "Install")))
    subset = client.get(f"/JSSResource/policies/id/{policy}/subset/Packages", headers=XML)
    root = fromstring(subset.content)
    assert [child.tag for child in root] == ["package_configuration"]
    assert root.findtext("package_configuration/packages/package/name") == "Zoom"
    both = client.get(f"/JSSResource/policies/id/{policy}/subset/General&Packages", headers=JSON)
    check(both.json(), "ClassicPolicy")
    assert set(both.json()["policy"]) == {"general", "package_configuration"}
    # A subset name not known answers an empty policy, as Jamf's does for PackageConfiguration.
    other = client.get(f"/JSSResource/policies/id/{policy}/subset/PackageConfiguration")
    assert (other.status_code, list(fromstring(other.content))) == (200, [])
    assert client.get("/JSSResource/policies/id/99/subset/Packages").status_code == 404


def test_a_policy_shows_a_renamed_package_by_its_new_name_and_keeps_a_deleted_one(
    client: JamfClient,
) -> None:
    package = classic_package(client, "Zoom", "Zoom.pkg")
    policy = create_policy(client, policy_body("Apps", (package, "Install")))
    renamed = client.put(
        f"/JSSResource/packages/id/{package}",
        data="<package><name>Zoom 6</name></package>",
        headers=XML_BODY,
    )
    assert renamed.status_code == 201
    path = f"/JSSResource/policies/id/{policy}"
    names = client.get(path, headers=JSON).json()["policy"]["package_configuration"]["packages"]
    assert [p["name"] for p in names] == ["Zoom 6"]
    assert client.delete(f"/JSSResource/packages/id/{package}").status_code == 200
    # What Jamf does to the policy is not known; the emulator leaves it as it was (with
    # the name the package had when the policy took it).
    kept = client.get(path, headers=JSON).json()["policy"]["package_configuration"]["packages"]
    assert [(p["id"], p["name"]) for p in kept] == [(package, "Zoom")]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("<policy><general><name></name></general></policy>", 400),
        ("<package><name>x</name></package>", 400),
        ("not xml", 400),
        (policy_body("Bad", (424242, "Install")), 409),
        (policy_body("Bad", (1, "Explode")), 400),
    ],
)
def test_a_bad_policy_document_is_refused(client: JamfClient, body: str, status: int) -> None:
    classic_package(client, "Zoom", "Zoom.pkg")
    response = client.post("/JSSResource/policies/id/0", data=body, headers=XML_BODY)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")


def test_a_duplicate_policy_name_is_409(client: JamfClient) -> None:
    create_policy(client, policy_body("Apps"))
    response = client.post("/JSSResource/policies/id/0", data=policy_body("Apps"), headers=XML_BODY)
    assert response.status_code == 409


def test_preloaded_policies_install_the_preloaded_packages_in_turn() -> None:
    with JamfEmulator(packages=2, policies=3) as emulator:
        policies = emulator.policies()
    packages = [p["package_configuration"]["packages"] for p in policies]
    assert [p["general"]["name"] for p in policies] == [
        "Preloaded Policy 00001",
        "Preloaded Policy 00002",
        "Preloaded Policy 00003",
    ]
    assert [[item["id"] for item in listed] for listed in packages] == [[1], [2], [1]]
    for policy in policies:
        check({"policy": policy}, "ClassicPolicy")


def test_the_control_methods_add_policies_and_prestages(emulator: JamfEmulator) -> None:
    with pytest.raises(ValueError, match="no package"):
        emulator.add_policy("Apps", [7])
    assert emulator.add_prestage("Lab", [7]) == 1
    assert emulator.prestages()[0]["customPackageIds"] == ["7"]


# PreStages ----------------------------------------------------------------------------


def create_prestage(client: JamfClient, name: str, *package_ids: Any) -> str:
    body = {
        "displayName": name,
        "installProfilesDuringSetup": True,
        "prestageInstalledProfileIds": [],
        "customPackageIds": list(package_ids),
        "customPackageDistributionPointId": "-1",
    }
    response = client.post("/api/v3/computer-prestages", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["href"] == f"{client.emulator.url}/api/v3/computer-prestages/{created['id']}"
    prestage_id: str = created["id"]
    return prestage_id


def test_prestages_list_in_pages_with_their_custom_packages(client: JamfClient) -> None:
    ids = [create_prestage(client, f"Lab {n}", str(n), n + 10) for n in range(1, 4)]
    first = client.get("/api/v3/computer-prestages", params={"page-size": 2}).json()
    assert first["totalCount"] == 3
    # Newest first, as Jamf sorts by default.
    assert [row["id"] for row in first["results"]] == [ids[2], ids[1]]
    assert first["results"][0]["customPackageIds"] == ["3", "13"]
    second = client.get("/api/v3/computer-prestages", params={"page-size": 2, "page": 1}).json()
    assert [row["id"] for row in second["results"]] == [ids[0]]
    ascending = client.get("/api/v3/computer-prestages", params={"sort": "id:asc"}).json()
    assert [row["id"] for row in ascending["results"]] == ids
    one = client.get(f"/api/v3/computer-prestages/{ids[0]}").json()
    assert (one["displayName"], one["customPackageIds"]) == ("Lab 1", ["1", "11"])


def test_an_unknown_prestage_is_404_and_a_bad_one_400(client: JamfClient) -> None:
    missing = client.get("/api/v3/computer-prestages/42")
    assert (missing.status_code, missing.json()["errors"][0]["code"]) == (404, "INVALID_ID")
    bad = client.post("/api/v3/computer-prestages", json={"customPackageIds": []})
    assert bad.status_code == 400
