"""Pro API packages: create, read, replace, delete, and search with filter/sort/paging."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from jcds2.emulator import JamfEmulator

from .conftest import JamfClient, SchemaChecker


def package_body(name: str, file_name: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "packageName": name,
        "fileName": file_name or f"{name}.pkg",
        "categoryId": "-1",
        "priority": 3,
        "fillUserTemplate": False,
        "rebootRequired": False,
        "osInstall": False,
        "suppressUpdates": False,
        "suppressFromDock": False,
        "suppressEula": False,
        "suppressRegistration": False,
    }
    body.update(overrides)
    return body


def create(client: JamfClient, name: str, **overrides: Any) -> str:
    response = client.post("/api/v1/packages", json=package_body(name, **overrides))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["href"] == f"{client.emulator.url}/api/v1/packages/{body['id']}"
    package_id: str = body["id"]
    return package_id


def test_create_and_get(client: JamfClient) -> None:
    package_id = create(client, "Chrome", info="browser", hashType="SHA_512", hashValue="ab")
    package = client.get(f"/api/v1/packages/{package_id}").json()
    assert package["id"] == package_id
    assert (package["packageName"], package["fileName"]) == ("Chrome", "Chrome.pkg")
    assert (package["info"], package["priority"]) == ("browser", 3)
    assert (package["hashType"], package["hashValue"]) == ("SHA_512", "ab")
    for managed in ("md5", "sha256", "sha3512", "size"):
        assert package[managed] is None
    assert package["cloudTransferStatus"] == "READY"


def test_server_managed_fields_are_ignored_on_create(client: JamfClient) -> None:
    package_id = create(client, "Sneaky", md5="00", size="12", sha3512="ff")
    package = client.get(f"/api/v1/packages/{package_id}").json()
    assert (package["md5"], package["size"], package["sha3512"]) == (None, None, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"packageName": None}, "packageName"),
        ({"fileName": None}, "fileName"),
        ({"categoryId": None}, "categoryId"),
        ({"priority": None}, "priority"),
        ({"suppressEula": None}, "suppressEula"),
        ({"priority": "high"}, "priority"),
        ({"rebootRequired": "no"}, "rebootRequired"),
        ({"packageName": "  "}, "packageName"),
    ],
)
def test_invalid_bodies(client: JamfClient, change: dict[str, Any], field: str) -> None:
    body = package_body("Bad")
    for key, value in change.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    response = client.post("/api/v1/packages", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_non_json_body(client: JamfClient) -> None:
    response = client.post("/api/v1/packages", data="nope", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400


def test_duplicate_package_name(client: JamfClient) -> None:
    create(client, "Same")
    response = client.post("/api/v1/packages", json=package_body("Same", "other.pkg"))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["code"], error["field"]) == ("DUPLICATE_FIELD", "packageName")


def test_put_replaces_the_record(client: JamfClient) -> None:
    package_id = create(client, "Before", info="old info", notes="old notes")
    response = client.put(
        f"/api/v1/packages/{package_id}",
        json=package_body("After", "after.pkg", id="999", priority=5),
    )
    assert response.status_code == 200
    package = response.json()
    assert package["id"] == package_id
    assert (package["packageName"], package["fileName"]) == ("After", "after.pkg")
    assert (package["info"], package["notes"], package["priority"]) == (None, None, 5)
    assert client.get(f"/api/v1/packages/{package_id}").json() == package


def test_put_errors(client: JamfClient) -> None:
    first = create(client, "First")
    create(client, "Second")
    taken = client.put(f"/api/v1/packages/{first}", json=package_body("Second"))
    assert taken.status_code == 400
    assert client.put(f"/api/v1/packages/{first}", json={"packageName": "x"}).status_code == 400
    assert client.put("/api/v1/packages/424242", json=package_body("Z")).status_code == 404


def test_missing_package(client: JamfClient) -> None:
    for path in ("/api/v1/packages/424242", "/api/v1/packages/not-a-number"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "INVALID_ID"
    assert client.delete("/api/v1/packages/424242").status_code == 404


def test_delete_removes_package_and_jcds_file(client: JamfClient, emulator: JamfEmulator) -> None:
    package_id = create(client, "Doomed", fileName="doomed.pkg")
    s3 = boto3.client(
        "s3",
        endpoint_url=emulator.s3_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    s3.put_object(Bucket=emulator.bucket, Key="tmp/u/doomed.pkg", Body=b"bytes")
    assert client.delete(f"/api/v1/packages/{package_id}").status_code == 204
    assert client.get(f"/api/v1/packages/{package_id}").status_code == 404
    assert emulator.jcds_files() == []
    assert emulator.packages() == []


def test_search_filter_sort_and_paging(client: JamfClient) -> None:
    for name in ("Charlie", "alpha", "Bravo", "Delta"):
        create(client, name, fileName=f"{name.lower()}.pkg", info="x" if name != "Delta" else None)
    everything = client.get("/api/v1/packages").json()
    assert everything["totalCount"] == 4
    assert [p["packageName"] for p in everything["results"]] == [
        "Charlie",
        "alpha",
        "Bravo",
        "Delta",
    ]
    by_name = client.get("/api/v1/packages", params={"sort": "packageName:desc"}).json()
    assert [p["packageName"] for p in by_name["results"]] == ["Delta", "Charlie", "Bravo", "alpha"]
    page = client.get(
        "/api/v1/packages", params={"sort": "id:desc", "page": 1, "page-size": 3}
    ).json()
    assert page["totalCount"] == 4
    assert [p["packageName"] for p in page["results"]] == ["Charlie"]
    filtered = client.get(
        "/api/v1/packages",
        params={"filter": '(fileName=="bravo.pkg" or packageName==Del*) and info!=nothing'},
    ).json()
    assert [p["packageName"] for p in filtered["results"]] == ["Bravo", "Delta"]
    multi = client.get("/api/v1/packages", params={"sort": ["info:asc", "packageName:asc"]}).json()
    assert [p["packageName"] for p in multi["results"]] == ["Delta", "alpha", "Bravo", "Charlie"]
    comma = client.get("/api/v1/packages", params={"sort": "info:asc,packageName:asc"}).json()
    assert comma == multi


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "size==3"},
        {"filter": "fileName=="},
        {"filter": "fileName=gt=1"},
        {"sort": "nonsense:asc"},
        {"sort": "id:sideways"},
        {"page-size": "2001"},
        {"page-size": "0"},
        {"page": "-1"},
        {"page": "one"},
    ],
)
def test_bad_search_parameters(client: JamfClient, params: dict[str, str]) -> None:
    response = client.get("/api/v1/packages", params=params)
    assert response.status_code == 400
    assert response.json()["httpStatus"] == 400


def test_unknown_pro_path_and_method(client: JamfClient) -> None:
    assert client.get("/api/v1/nothing").status_code == 404
    response = client.request("PATCH", "/api/v1/packages")
    assert response.status_code == 405
    assert response.json()["httpStatus"] == 405


@pytest.fixture(scope="module")
def big() -> Iterator[JamfClient]:
    with JamfEmulator(packages=2000) as emulator:
        yield JamfClient(emulator, SchemaChecker(emulator.url)).login()


def test_preloaded_packages(big: JamfClient) -> None:
    packages = big.emulator.packages()
    assert len(packages) == 2000
    assert packages[0]["id"] == "1"
    assert packages[0]["packageName"] == packages[0]["fileName"] == "Preloaded-00001.pkg"
    first = big.get("/api/v1/packages").json()
    assert first["totalCount"] == 2000
    assert len(first["results"]) == 100
    everything = big.get("/api/v1/packages", params={"page-size": 2000}).json()
    assert [p["id"] for p in everything["results"]] == [str(n) for n in range(1, 2001)]
    assert big.emulator.jcds_files() == []


def test_file_name_lookup_in_one_request(big: JamfClient) -> None:
    big.emulator.clear_request_log()
    response = big.get("/api/v1/packages", params={"filter": 'fileName=="Preloaded-01234.pkg"'})
    assert response.json()["totalCount"] == 1
    assert response.json()["results"][0]["id"] == "1234"
    assert [r.path for r in big.emulator.request_log] == ["/api/v1/packages"]
    assert big.emulator.request_log[0].query_string.startswith("filter=fileName")


def test_concurrent_creates_get_distinct_ids(client: JamfClient) -> None:
    def one(number: int) -> str:
        return create(client, f"Concurrent {number}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(one, range(40)))
    assert sorted(int(i) for i in ids) == list(range(1, 41))
    assert client.get("/api/v1/packages", params={"page-size": 100}).json()["totalCount"] == 40
