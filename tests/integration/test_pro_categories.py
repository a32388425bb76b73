"""``ProApiCategoryDirectory`` against the emulator over HTTP: categories by name and id."""

from __future__ import annotations

import pytest

from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_categories import ProApiCategoryDirectory
from jcds2.application.ports import CategoryDirectory
from jcds2.domain.errors import JamfApiError
from jcds2.domain.models import Category
from jcds2.emulator import JamfEmulator


@pytest.fixture
def directory(jamf_http: JamfHttpClient) -> ProApiCategoryDirectory:
    return ProApiCategoryDirectory(jamf_http)


def category_requests(emulator: JamfEmulator) -> list[tuple[str, str, str]]:
    return [
        (r.method, r.path, r.query_string)
        for r in emulator.request_log
        if r.path.startswith("/api/v1/categories")
    ]


def test_it_is_a_category_directory(directory: ProApiCategoryDirectory) -> None:
    assert isinstance(directory, CategoryDirectory)
    assert "ProApiCategoryDirectory(" in repr(directory)


def test_a_name_is_found_with_one_filtered_request(
    directory: ProApiCategoryDirectory, emulator: JamfEmulator
) -> None:
    emulator.add_category("Tools")
    made = emulator.add_category('Apps "Web" \\ More')
    emulator.clear_request_log()

    found = directory.find_by_name('Apps "Web" \\ More')

    assert found == Category(int(made["id"]), 'Apps "Web" \\ More')
    [(method, path, query)] = category_requests(emulator)
    assert (method, path) == ("GET", "/api/v1/categories")
    assert "filter=name%3D%3D" in query


def test_a_wildcard_in_a_name_matches_only_that_name(
    directory: ProApiCategoryDirectory, emulator: JamfEmulator
) -> None:
    emulator.add_category("Apps")
    emulator.add_category("Apps Beta")
    assert directory.find_by_name("Apps*") is None
    starred = emulator.add_category("Apps*")
    assert directory.find_by_name("Apps*") == Category(int(starred["id"]), "Apps*")


def test_a_name_differing_in_case_finds_the_category_as_named_on_the_server(
    directory: ProApiCategoryDirectory, emulator: JamfEmulator
) -> None:
    made = emulator.add_category("Web Browsers")
    assert directory.find_by_name("web browsers") == Category(int(made["id"]), "Web Browsers")


def test_an_unknown_name_or_id_is_none(
    directory: ProApiCategoryDirectory, emulator: JamfEmulator
) -> None:
    emulator.add_category("Tools")
    assert directory.find_by_name("Nope") is None
    assert directory.get(999) is None


def test_an_id_is_read(directory: ProApiCategoryDirectory, emulator: JamfEmulator) -> None:
    emulator.add_category("Filler")
    made = emulator.add_category("Tools")
    assert directory.get(int(made["id"])) == Category(int(made["id"]), "Tools")


def test_a_category_is_created(directory: ProApiCategoryDirectory, emulator: JamfEmulator) -> None:
    made = directory.create("Fresh Apps")

    assert made.name == "Fresh Apps"
    assert [(c["id"], c["name"]) for c in emulator.categories()] == [(str(made.id), "Fresh Apps")]


def test_creating_a_category_that_appeared_meanwhile_returns_it(
    directory: ProApiCategoryDirectory, emulator: JamfEmulator
) -> None:
    there = emulator.add_category("Raced")

    assert directory.create("Raced") == Category(int(there["id"]), "Raced")
    assert len(emulator.categories()) == 1


def test_a_refused_creation_is_a_jamf_api_error(
    directory: ProApiCategoryDirectory, emulator: JamfEmulator
) -> None:
    emulator.inject_fault("POST", "/api/v1/categories", 400)

    with pytest.raises(JamfApiError, match="refused the category"):
        directory.create("Refused")
    assert emulator.categories() == []
