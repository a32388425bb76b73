"""JSON bodies over HTTP: Jackson's leniency on every JSON route, and strict mode."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from jcds2.emulator import JamfEmulator

from .conftest import JamfClient, SchemaChecker
from .test_cli import start
from .test_pro_packages import package_body


def post_package(client: JamfClient, body: Any, **kwargs: Any) -> requests.Response:
    if isinstance(body, (bytes, str)):
        headers = {"Content-Type": "application/json"}
        return client.post("/api/v1/packages", data=body, headers=headers, **kwargs)
    return client.post("/api/v1/packages", json=body, **kwargs)


def refused(response: requests.Response, field: str | None) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["httpStatus"] == 400
    (cause,) = body["errors"]
    assert cause["field"] == field
    assert cause["id"] == "0"
    found: dict[str, Any] = cause
    return found


# What real uploaders send (jamf-api.md: the most used AutoPkg uploader since 2024).
AUTOPKG_STYLE: dict[str, Any] = {
    "priority": "10",
    "fillUserTemplate": 0,
    "rebootRequired": 1,
    "osInstall": "false",
}


def test_coerced_values_are_stored_in_their_declared_types(client: JamfClient) -> None:
    body = package_body("Coerced", **AUTOPKG_STYLE, info=12, notes=True, colour="ignored")
    created = post_package(client, body)
    assert created.status_code == 201, created.text
    package = client.get(f"/api/v1/packages/{created.json()['id']}").json()
    assert package["priority"] == 10
    assert (package["fillUserTemplate"], package["rebootRequired"]) == (False, True)
    assert package["osInstall"] is False
    assert (package["info"], package["notes"]) == ("12", "true")
    assert "colour" not in package


def test_a_replace_is_coerced_too(client: JamfClient) -> None:
    package_id = post_package(client, package_body("Before")).json()["id"]
    body = package_body("After", priority="7", suppressEula="TRUE", categoryId=-1)
    replaced = client.put(f"/api/v1/packages/{package_id}", json=body)
    assert replaced.status_code == 200, replaced.text
    package = replaced.json()
    assert (package["priority"], package["suppressEula"], package["categoryId"]) == (7, True, "-1")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority": "ten"}, "priority"),
        ({"priority": "1.5"}, "priority"),
        ({"priority": True}, "priority"),
        ({"priority": {"value": 1}}, "priority"),
        ({"packageName": ["x"]}, "packageName"),
        ({"info": {"text": "x"}}, "info"),
        ({"rebootRequired": "yes"}, "rebootRequired"),
        ({"rebootRequired": "1"}, "rebootRequired"),
        ({"fillUserTemplate": 0.5}, "fillUserTemplate"),
        ({"osInstall": None}, "osInstall"),
        ({"priority": ""}, "priority"),
    ],
)
def test_what_jackson_refuses_is_a_400_naming_the_field(
    client: JamfClient, change: dict[str, Any], field: str
) -> None:
    for method, path in (("POST", "/api/v1/packages"), ("PUT", "/api/v1/packages/{id}")):
        package_id = post_package(client, package_body(f"Base {method}")).json()["id"]
        body = package_body(f"Bad {method}", **change)
        answer = client.request(method, path.format(id=package_id), json=body)
        assert refused(answer, field)["code"] == "INVALID_FIELD"


def test_a_missing_required_field_is_a_400(client: JamfClient) -> None:
    body = package_body("Partial")
    del body["suppressRegistration"]
    refused(post_package(client, body), "suppressRegistration")


@pytest.mark.parametrize("raw", [b"{", b'{"packageName": NaN}', b"", b"[1]"])
def test_malformed_json_is_a_400(client: JamfClient, raw: bytes) -> None:
    answer = post_package(client, raw)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["code"] in ("INVALID_JSON", "INVALID_FIELD")


def test_other_json_routes_read_bodies_the_same_way(client: JamfClient) -> None:
    package_id = post_package(client, package_body("Noted")).json()["id"]
    noted = client.post(f"/api/v1/packages/{package_id}/history", json={"note": 42})
    assert noted.status_code == 201, noted.text
    assert noted.json()["note"] == "42"
    refused(client.post(f"/api/v1/packages/{package_id}/history", json={}), "note")
    refused(client.post("/api/v1/packages/delete-multiple", json={"ids": "1"}), "ids")
    exported = client.post("/api/v1/packages/export", json={"pageSize": "1", "page": "0"})
    assert exported.status_code == 200, exported.text
    refused(client.post("/api/v1/packages/export", json={"page": "first"}), "page")
    deleted = client.post("/api/v1/packages/delete-multiple", json={"ids": [int(package_id)]})
    assert deleted.status_code == 204, deleted.text
    assert client.emulator.packages() == []


# Strict mode ------------------------------------------------------------------------------


@pytest.fixture
def strict(emulator: JamfEmulator) -> Iterator[JamfEmulator]:
    emulator.set_strict_json(True)
    yield emulator
    emulator.set_strict_json(False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority": "10"}, "priority"),
        ({"fillUserTemplate": 0}, "fillUserTemplate"),
        ({"osInstall": "false"}, "osInstall"),
        ({"info": 12}, "info"),
        ({"colour": "red"}, "colour"),
        ({"id": "5"}, "id"),
        ({"size": "100"}, "size"),
        ({"swu": None}, "swu"),
    ],
)
def test_strict_mode_refuses_what_the_schema_does_not_allow(
    strict: JamfEmulator, client: JamfClient, change: dict[str, Any], field: str
) -> None:
    assert strict.strict_json
    cause = refused(post_package(client, package_body("Strict", **change)), field)
    assert cause["code"] == "INVALID_FIELD"
    assert field in cause["description"]
    assert strict.packages() == []


def test_strict_mode_refuses_a_missing_required_field_and_trailing_content(
    strict: JamfEmulator, client: JamfClient
) -> None:
    del strict
    body = package_body("Strict")
    del body["priority"]
    refused(post_package(client, body), "priority")
    raw = json.dumps(package_body("Trailing")).encode() + b" x"
    assert post_package(client, raw).json()["errors"][0]["code"] == "INVALID_JSON"


def test_category_bodies_are_read_the_same_way(client: JamfClient) -> None:
    created = client.post("/api/v1/categories", json={"name": 7, "priority": "10", "x": [1]})
    assert created.status_code == 201, created.text
    category_id = created.json()["id"]
    category = client.get(f"/api/v1/categories/{category_id}").json()
    assert category == {"id": category_id, "name": "7", "priority": 10}
    replaced = client.put(
        f"/api/v1/categories/{category_id}", json={"name": "Apps", "priority": 3.0}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["priority"] == 3
    refused(client.post("/api/v1/categories", json={"name": ["Apps"], "priority": 9}), "name")
    refused(
        client.post("/api/v1/categories", json={"name": "Apps", "priority": "high"}), "priority"
    )
    refused(client.put(f"/api/v1/categories/{category_id}", json={"name": "Apps"}), "priority")


def test_strict_mode_refuses_category_bodies_jackson_would_coerce(
    strict: JamfEmulator, client: JamfClient
) -> None:
    refused(client.post("/api/v1/categories", json={"name": "Apps", "priority": "10"}), "priority")
    refused(client.post("/api/v1/categories", json={"name": "Apps", "priority": 1, "x": 1}), "x")
    created = client.post("/api/v1/categories", json={"name": "Apps", "priority": 1})
    assert created.status_code == 201, created.text
    assert [category["name"] for category in strict.categories()] == ["Apps"]


def test_strict_mode_takes_a_body_exactly_as_declared(
    strict: JamfEmulator, client: JamfClient
) -> None:
    body = package_body("Exact", info=None, notes="n", swu=True, hashType="MD5")
    created = post_package(client, body)
    assert created.status_code == 201, created.text
    package_id = created.json()["id"]
    assert client.put(f"/api/v1/packages/{package_id}", json=body).status_code == 200
    assert client.post(f"/api/v1/packages/{package_id}/history", json={"note": "x"}).ok
    refused(client.post(f"/api/v1/packages/{package_id}/history", json={"note": 1}), "note")
    refused(client.post("/api/v1/packages/delete-multiple", json={"ids": [1]}), "ids[0]")
    assert strict.package(package_id) is not None


def control(emulator: JamfEmulator, method: str, body: Any = None) -> requests.Response:
    return requests.request(method, emulator.url + "/_emulator/strict-json", json=body, timeout=10)


def test_the_control_route_switches_strict_mode(emulator: JamfEmulator, client: JamfClient) -> None:
    assert control(emulator, "GET").json() == {"strict": False}
    assert control(emulator, "PUT", {"strict": True}).status_code == 204
    assert emulator.strict_json
    assert control(emulator, "GET").json() == {"strict": True}
    refused(post_package(client, package_body("Via control", priority="3")), "priority")
    for bad in ({"strict": "yes"}, {}, {"strict": True, "x": 1}, [True]):
        answer = control(emulator, "PUT", bad)
        assert answer.status_code == 400
        assert "strict" in answer.json()["error"]
    emulator.reset()  # back to the constructor's mode
    assert control(emulator, "GET").json() == {"strict": False}
    assert post_package(client, package_body("Lenient again", priority="3")).status_code == 201


def test_an_emulator_started_strict_stays_strict_across_resets() -> None:
    with JamfEmulator(strict_json=True) as emulator:
        client = JamfClient(emulator, SchemaChecker(emulator.url)).login()
        refused(post_package(client, package_body("A", priority="3")), "priority")
        emulator.set_strict_json(False)
        assert post_package(client, package_body("B", priority="3")).status_code == 201
        emulator.reset()
        assert emulator.strict_json
        refused(post_package(client, package_body("C", priority="3")), "priority")


def test_the_command_line_starts_strict() -> None:
    process, info = start("--strict-json")
    try:
        answer = requests.get(info["url"] + "/_emulator/strict-json", timeout=10)
        assert answer.json() == {"strict": True}
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
