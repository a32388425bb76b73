"""Categories: the Pro and Classic routes, and how packages on both APIs name them.

Every Pro API answer goes through ``JamfClient`` and so is checked against the vendored
schema (which has the categories paths).
"""

from __future__ import annotations

from typing import Any

import pytest
from defusedxml.ElementTree import fromstring

from jcds2.emulator import JamfEmulator

from .conftest import JamfClient
from .test_pro_packages import package_body

JSON = {"Accept": "application/json"}
XML = {"Accept": "application/xml"}
XML_BODY = {"Content-Type": "text/xml"}


def create(client: JamfClient, name: str, priority: int = 9) -> str:
    response = client.post("/api/v1/categories", json={"name": name, "priority": priority})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["href"] == f"{client.emulator.url}/api/v1/categories/{body['id']}"
    category_id: str = body["id"]
    return category_id


def search(client: JamfClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/categories", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def error_code(response: Any) -> tuple[int, str, str | None]:
    cause = response.json()["errors"][0]
    return response.status_code, cause["code"], cause["field"]


# Pro API ------------------------------------------------------------------------------


def test_create_read_replace_delete(client: JamfClient, emulator: JamfEmulator) -> None:
    category_id = create(client, "Browsers", 5)
    assert client.get(f"/api/v1/categories/{category_id}").json() == {
        "id": category_id,
        "name": "Browsers",
        "priority": 5,
    }
    # The id in a body is ignored, as the schema says.
    replaced = client.put(
        f"/api/v1/categories/{category_id}", json={"id": "99", "name": "Web", "priority": 2}
    )
    assert replaced.status_code == 200
    assert replaced.json() == {"id": category_id, "name": "Web", "priority": 2}
    assert emulator.categories() == [{"id": category_id, "name": "Web", "priority": 2}]
    assert client.delete(f"/api/v1/categories/{category_id}").status_code == 204
    gone = client.get(f"/api/v1/categories/{category_id}")
    assert error_code(gone) == (404, "INVALID_ID", "id")
    assert emulator.categories() == []


def test_ids_count_up_and_are_not_reused(client: JamfClient) -> None:
    first, second = create(client, "One"), create(client, "Two")
    assert (first, second) == ("1", "2")
    client.delete(f"/api/v1/categories/{second}")
    assert create(client, "Three") == "3"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("raw_id", ["42", "abc", "-1"])
def test_an_unknown_id_is_404(client: JamfClient, method: str, raw_id: str) -> None:
    response = client.request(
        method, f"/api/v1/categories/{raw_id}", json={"name": "X", "priority": 1}
    )
    assert error_code(response) == (404, "INVALID_ID", "id")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priority": 9}, "name"),
        ({"name": "  ", "priority": 9}, "name"),
        ({"name": {"text": "Apps"}, "priority": 9}, "name"),
        ({"name": "Apps"}, "priority"),
        ({"name": "Apps", "priority": "high"}, "priority"),
        ({"name": "Apps", "priority": True}, "priority"),
        ({"name": "Apps", "priority": 0}, "priority"),
        ({"name": "Apps", "priority": 21}, "priority"),
        (["Apps", 9], None),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    client: JamfClient, emulator: JamfEmulator, body: Any, field: str
) -> None:
    response = client.post("/api/v1/categories", json=body)
    assert error_code(response) == (400, "INVALID_FIELD", field)
    existing = create(client, "Existing")
    replaced = client.put(f"/api/v1/categories/{existing}", json=body)
    assert error_code(replaced) == (400, "INVALID_FIELD", field)
    assert emulator.categories() == [{"id": existing, "name": "Existing", "priority": 9}]


def test_names_are_unique(client: JamfClient) -> None:
    create(client, "Apps")
    other = create(client, "Tools")
    duplicate = client.post("/api/v1/categories", json={"name": "Apps", "priority": 1})
    assert error_code(duplicate) == (400, "DUPLICATE_FIELD", "name")
    renamed = client.put(f"/api/v1/categories/{other}", json={"name": "Apps", "priority": 1})
    assert error_code(renamed) == (400, "DUPLICATE_FIELD", "name")
    # Keeping its own name is no conflict.
    kept = client.put(f"/api/v1/categories/{other}", json={"name": "Tools", "priority": 1})
    assert kept.status_code == 200


def test_search_pages_sorts_and_filters(client: JamfClient) -> None:
    for name, priority in [("Zeta", 1), ("alpha", 20), ("Beta", 9), ("Apps", 9)]:
        create(client, name, priority)
    everything = search(client)
    assert everything["totalCount"] == 4
    assert [c["name"] for c in everything["results"]] == ["Zeta", "alpha", "Beta", "Apps"]
    by_name = search(client, sort="name:asc")
    assert [c["name"] for c in by_name["results"]] == ["alpha", "Apps", "Beta", "Zeta"]
    by_priority = search(client, sort="priority:desc,name:asc")
    assert [c["name"] for c in by_priority["results"]] == ["alpha", "Apps", "Beta", "Zeta"]
    page = search(client, **{"page": 1, "page-size": 3})
    assert (page["totalCount"], [c["name"] for c in page["results"]]) == (4, ["Apps"])
    # Case-insensitive, with wildcards, like Jamf's database collation.
    starts_with_a = search(client, filter='name=="a*"', sort="id:asc")
    assert [c["name"] for c in starts_with_a["results"]] == ["alpha", "Apps"]
    assert search(client, filter="priority==9")["totalCount"] == 2
    assert search(client, filter="id==1 or name==beta")["totalCount"] == 2


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"filter": "notes==x"}, "INVALID_RSQL_FILTER_FIELD", "filter"),
        ({"filter": "name=="}, "INVALID_RSQL_FILTER_FIELD", "filter"),
        ({"sort": "size:asc"}, "INVALID_SORT_FIELD", "sort"),
        ({"sort": "name:up"}, "INVALID_SORT_FIELD", "sort"),
        ({"page": "-1"}, "INVALID_QUERY_PARAMETER", "page"),
        ({"page-size": "0"}, "INVALID_QUERY_PARAMETER", "page-size"),
        ({"page-size": "2001"}, "INVALID_QUERY_PARAMETER", "page-size"),
    ],
)
def test_bad_search_parameters_are_400(
    client: JamfClient, params: dict[str, str], code: str, field: str
) -> None:
    assert error_code(client.get("/api/v1/categories", params=params)) == (400, code, field)


# Classic API --------------------------------------------------------------------------


def classic_create(client: JamfClient, body: str, path: str = "/id/0") -> int:
    response = client.post(f"/JSSResource/categories{path}", data=body, headers=XML_BODY)
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><category><id>')
    return int(fromstring(response.content).findtext("id") or "0")


def test_classic_list_and_read_in_json_and_xml(client: JamfClient) -> None:
    apps = classic_create(client, "<category><name>Apps</name><priority>3</priority></category>")
    tools = classic_create(client, "<category><name>Tools</name></category>")
    listed = client.get("/JSSResource/categories", headers=JSON)
    assert listed.json() == {
        "categories": [{"id": apps, "name": "Apps"}, {"id": tools, "name": "Tools"}]
    }
    root = fromstring(client.get("/JSSResource/categories", headers=XML).content)
    assert root.tag == "categories"
    assert root.findtext("size") == "2"
    assert [c.findtext("name") for c in root.findall("category")] == ["Apps", "Tools"]
    by_id = client.get(f"/JSSResource/categories/id/{tools}", headers=JSON)
    # No priority given: Jamf's default, 9.
    assert by_id.json() == {"category": {"id": tools, "name": "Tools", "priority": 9}}
    by_name = client.get("/JSSResource/categories/name/Apps", headers=XML)
    assert by_name.headers["Content-Type"].startswith("text/xml")
    one = fromstring(by_name.content)
    assert (one.tag, one.findtext("id"), one.findtext("name"), one.findtext("priority")) == (
        "category",
        str(apps),
        "Apps",
        "3",
    )
    # Both APIs show the same store.
    assert client.get(f"/api/v1/categories/{apps}").json()["priority"] == 3


def test_classic_create_by_name_update_and_delete(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    created = classic_create(client, "<category><priority>4</priority></category>", "/name/Fonts")
    assert emulator.categories() == [{"id": str(created), "name": "Fonts", "priority": 4}]
    updated = client.put(
        f"/JSSResource/categories/id/{created}",
        data="<category><name>Typefaces</name></category>",
        headers=XML_BODY,
    )
    assert updated.status_code == 201
    assert fromstring(updated.content).findtext("id") == str(created)
    # A partial update: the priority is kept.
    assert emulator.categories() == [{"id": str(created), "name": "Typefaces", "priority": 4}]
    deleted = client.delete("/JSSResource/categories/name/Typefaces")
    assert deleted.status_code == 200
    answer = fromstring(deleted.content)
    assert (answer.findtext("id"), answer.findtext("successful")) == (str(created), "True")
    assert emulator.categories() == []


def test_classic_errors(client: JamfClient) -> None:
    classic_create(client, "<category><name>Apps</name></category>")
    cases = [
        ("POST", "/id/0", "<category><name>Apps</name></category>", 409, "Duplicate name"),
        ("POST", "/id/0", "<category><priority>2</priority></category>", 400, "name"),
        (
            "POST",
            "/id/0",
            "<category><name>X</name><priority>99</priority></category>",
            400,
            "priority",
        ),
        ("POST", "/id/0", "<package><name>X</name></package>", 400, "Root element"),
        ("POST", "/id/0", "<category><name>", 400, "XML"),
        ("GET", "/id/77", "", 404, "Not Found"),
        ("GET", "/name/Nope", "", 404, "Not Found"),
        ("PUT", "/id/77", "<category><name>Y</name></category>", 404, "Not Found"),
        ("DELETE", "/name/Nope", "", 404, "Not Found"),
    ]
    for method, path, body, status, words in cases:
        response = client.request(
            method, f"/JSSResource/categories{path}", data=body, headers=XML_BODY
        )
        assert response.status_code == status, (method, path, response.text)
        assert response.headers["Content-Type"].startswith("text/html")
        assert "<p>Error: " in response.text
        assert words in response.text


# Packages and their categories --------------------------------------------------------


def test_a_package_without_a_category_reads_minus_one_and_no_category_assigned(
    client: JamfClient,
) -> None:
    package_id = client.post("/api/v1/packages", json=package_body("Plain")).json()["id"]
    assert client.get(f"/api/v1/packages/{package_id}").json()["categoryId"] == "-1"
    classic = client.get(f"/JSSResource/packages/id/{package_id}", headers=JSON).json()
    assert classic["package"]["category"] == "No category assigned"
    xml = fromstring(client.get(f"/JSSResource/packages/id/{package_id}", headers=XML).content)
    assert xml.findtext("category") == "No category assigned"


def test_pro_packages_name_categories_by_id(client: JamfClient, emulator: JamfEmulator) -> None:
    tools = create(client, "Tools")
    package_id = client.post(
        "/api/v1/packages", json=package_body("Filed", categoryId=tools)
    ).json()["id"]
    assert client.get(f"/api/v1/packages/{package_id}").json()["categoryId"] == tools
    classic = client.get(f"/JSSResource/packages/id/{package_id}", headers=JSON).json()
    assert classic["package"]["category"] == "Tools"
    found = client.get("/api/v1/packages", params={"filter": f"categoryId=={tools}"}).json()
    assert [p["id"] for p in found["results"]] == [package_id]
    # A category id that does not exist is refused, on creation and on replacement.
    unknown = client.post("/api/v1/packages", json=package_body("Lost", categoryId="77"))
    assert error_code(unknown) == (400, "INVALID_FIELD", "categoryId")
    replaced = client.put(
        f"/api/v1/packages/{package_id}", json=package_body("Filed", categoryId="77")
    )
    assert error_code(replaced) == (400, "INVALID_FIELD", "categoryId")
    assert [p["packageName"] for p in emulator.packages()] == ["Filed"]
    assert emulator.package(package_id)["categoryId"] == tools  # type: ignore[index]


def test_classic_packages_name_categories_by_name(
    client: JamfClient, emulator: JamfEmulator
) -> None:
    apps = emulator.add_category("Apps")
    body = (
        "<package><name>Named</name><filename>named.pkg</filename>"
        "<category>Apps</category></package>"
    )
    created = client.post("/JSSResource/packages/id/0", data=body, headers=XML_BODY)
    assert created.status_code == 201
    package_id = fromstring(created.content).findtext("id")
    assert client.get(f"/api/v1/packages/{package_id}").json()["categoryId"] == apps["id"]
    # An empty <category> means none.
    cleared = client.put(
        f"/JSSResource/packages/id/{package_id}",
        data="<package><category></category></package>",
        headers=XML_BODY,
    )
    assert cleared.status_code == 201
    assert client.get(f"/api/v1/packages/{package_id}").json()["categoryId"] == "-1"


@pytest.mark.parametrize("category", ["Unknown", "No category assigned", "apps"])
def test_classic_packages_naming_no_category_are_refused(
    client: JamfClient, emulator: JamfEmulator, category: str
) -> None:
    emulator.add_category("Apps")
    body = (
        "<package><name>P</name><filename>p.pkg</filename>"
        f"<category>{category}</category></package>"
    )
    created = client.post("/JSSResource/packages/id/0", data=body, headers=XML_BODY)
    assert created.status_code == 409
    assert "Error: Problem with category name" in created.text
    assert emulator.packages() == []
    existing = client.post(
        "/JSSResource/packages/id/0",
        data="<package><name>Q</name><filename>q.pkg</filename></package>",
        headers=XML_BODY,
    )
    package_id = fromstring(existing.content).findtext("id")
    updated = client.put(
        f"/JSSResource/packages/id/{package_id}",
        data=f"<package><category>{category}</category></package>",
        headers=XML_BODY,
    )
    assert updated.status_code == 409
    assert emulator.packages()[0]["categoryId"] == "-1"


@pytest.mark.parametrize("route", ["/api/v1/categories/{id}", "/JSSResource/categories/id/{id}"])
def test_deleting_a_category_leaves_its_packages_without_one(
    client: JamfClient, emulator: JamfEmulator, route: str
) -> None:
    doomed = create(client, "Doomed")
    kept = create(client, "Kept")
    first = client.post("/api/v1/packages", json=package_body("A", categoryId=doomed)).json()["id"]
    second = client.post("/api/v1/packages", json=package_body("B", categoryId=kept)).json()["id"]
    assert client.delete(route.format(id=doomed)).status_code in (200, 204)
    assert client.get(f"/api/v1/packages/{first}").json()["categoryId"] == "-1"
    assert client.get(f"/api/v1/packages/{second}").json()["categoryId"] == kept


def test_reset_forgets_categories(client: JamfClient, emulator: JamfEmulator) -> None:
    create(client, "Temporary")
    emulator.reset()
    assert emulator.categories() == []
    assert create(client, "Fresh") == "1"


def test_add_category_refuses_a_taken_name(emulator: JamfEmulator) -> None:
    emulator.add_category("Once")
    with pytest.raises(ValueError, match="already named"):
        emulator.add_category("Once")
