"""The Classic API package repository against the emulator."""

from __future__ import annotations

import pytest

from jcds2.adapters.classic_api import ClassicApiPackageRepository, package_xml
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_api import ProApiPackageLookup
from jcds2.domain.errors import PackageNameTakenError, UnknownCategoryError
from jcds2.domain.models import HashType, PackageSpec
from jcds2.emulator import JamfEmulator


@pytest.fixture
def repository(jamf_http: JamfHttpClient) -> ClassicApiPackageRepository:
    return ClassicApiPackageRepository(jamf_http, ProApiPackageLookup(jamf_http).find_by_file_name)


SPEC = PackageSpec(
    name="Firefox 128 <ESR> & more",
    file_name="Firefox-128.pkg",
    hash_type=HashType.SHA_512,
    hash_value="ab" * 64,
    info="info text",
    notes="notes",
    priority=7,
)


def test_package_xml_escapes_markup() -> None:
    document = package_xml(SPEC).decode()
    assert "<name>Firefox 128 &lt;ESR&gt; &amp; more</name>" in document
    assert "<hash_type>SHA_512</hash_type>" in document
    assert "<category>" not in document


def test_create_read_find_delete(
    emulator: JamfEmulator, repository: ClassicApiPackageRepository
) -> None:
    created = repository.create(SPEC)
    assert created.id > 0

    read = repository.get(created.id)
    assert read == created
    [pro] = emulator.packages()
    assert (pro["packageName"], pro["fileName"], pro["priority"]) == (SPEC.name, SPEC.file_name, 7)
    assert (pro["hashType"], pro["hashValue"]) == ("SHA_512", "ab" * 64)

    found = repository.find_by_file_name("Firefox-128.pkg")
    assert found is not None
    assert found.id == created.id

    repository.delete(created.id)
    assert repository.get(created.id) is None
    assert emulator.packages() == []
    repository.delete(created.id)  # deleting again is not an error


def test_duplicate_display_name_is_refused(
    emulator: JamfEmulator, repository: ClassicApiPackageRepository
) -> None:
    repository.create(SPEC)
    with pytest.raises(PackageNameTakenError, match="already exists"):
        repository.create(PackageSpec(name=SPEC.name, file_name="other.pkg"))
    assert len(emulator.packages()) == 1


def test_an_unknown_category_is_not_taken_for_a_taken_name(
    emulator: JamfEmulator, repository: ClassicApiPackageRepository
) -> None:
    with pytest.raises(UnknownCategoryError, match="no category named 'Nope'") as caught:
        repository.create(PackageSpec(name="Fresh", file_name="fresh.pkg", category="Nope"))
    assert caught.value.status == 409
    assert emulator.packages() == []
    emulator.add_category("Tools")
    created = repository.create(PackageSpec(name="Fresh", file_name="fresh.pkg", category="Tools"))
    assert created.id > 0
