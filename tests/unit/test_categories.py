"""Categories by name or id: what a value names, and the upload use-cases resolving it
through the in-memory ``CategoryDirectory`` before anything is sent."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from jcds2.application.batch import UploadPackageFiles
from jcds2.application.categories import category_reference, resolve_category
from jcds2.application.upload import UploadPackageFile
from jcds2.application.upload_orders import FileFirst, PackageFirst
from jcds2.domain.errors import PackageExistsError, UnknownCategoryError
from jcds2.domain.models import Category, OnExists
from jcds2.domain.transfer import TransferConfig
from jcds2.ports import CategoryDirectory
from jcds2.testing import (
    InMemoryCategoryDirectory,
    InMemoryFileStore,
    InMemoryObjectUploader,
    InMemoryPackageRepository,
    flat_package,
)

CONTENT = flat_package(4 + 11 * 300)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("-1", None),
        (-1, None),
        ("No category assigned", None),
        ("no category ASSIGNED", None),
        ("5", 5),
        (" 12 ", 12),
        (7, 7),
        ("Applications", "Applications"),
        (" Web Browsers ", "Web Browsers"),
        ("5a", "5a"),
        ("-2", "-2"),  # not an id: a name, which then is unknown
        (Category(3, "Tools"), Category(3, "Tools")),
    ],
)
def test_what_a_category_value_names(value: object, named: object) -> None:
    assert category_reference(value) == named  # type: ignore[arg-type]


def test_a_boolean_is_no_category_value() -> None:
    with pytest.raises(TypeError):
        category_reference(True)


def test_the_fake_is_a_category_directory() -> None:
    assert isinstance(InMemoryCategoryDirectory(), CategoryDirectory)


def test_an_id_that_no_category_has_is_unknown_even_when_asked_to_create() -> None:
    directory = InMemoryCategoryDirectory()
    with pytest.raises(UnknownCategoryError, match="no category with id 4"):
        resolve_category(directory, "4", create=True)
    assert directory.created == []


def test_a_name_differing_only_in_case_finds_the_category() -> None:
    directory = InMemoryCategoryDirectory()
    made = directory.add("Web Browsers")
    assert resolve_category(directory, "web browsers") == made


@attrs.define
class World:
    categories: InMemoryCategoryDirectory
    packages: InMemoryPackageRepository
    files: InMemoryFileStore
    uploader: InMemoryObjectUploader
    upload: UploadPackageFile

    def assert_nothing_sent(self) -> None:
        assert self.files.tickets == []
        assert self.files.contents == {}
        assert self.uploader.uploads == []
        assert self.packages.packages == {}


@pytest.fixture(params=[False, True], ids=["file-first", "package-first"])
def world(request: pytest.FixtureRequest) -> World:
    package_first: bool = request.param
    config = TransferConfig(backoff_base=0)
    categories = InMemoryCategoryDirectory()
    files = InMemoryFileStore(into_packages=package_first)
    packages = InMemoryPackageRepository(store=files)
    uploader = InMemoryObjectUploader(files, config=config)
    order = PackageFirst() if package_first else FileFirst()
    upload = UploadPackageFile(
        packages, files, uploader, config, sleep=lambda _s: None, order=order, categories=categories
    )
    return World(categories, packages, files, uploader, upload)


@pytest.fixture
def package_file(tmp_path: Path) -> Path:
    path = tmp_path / "Tool.pkg"
    path.write_bytes(CONTENT)
    return path


@pytest.mark.parametrize("given", ["Applications", "applications", "2", 2])
def test_a_category_by_name_or_id_reaches_the_spec_as_name_and_id(
    world: World, package_file: Path, given: str | int
) -> None:
    world.categories.add("Tools")
    applications = world.categories.add("Applications")

    result = world.upload(package_file, category=given)

    spec = world.packages.specs[result.package_id]
    assert (spec.category, spec.category_id) == ("Applications", applications.id)
    assert world.categories.lookups == 1
    assert world.categories.created == []


@pytest.mark.parametrize("given", [None, "", "-1", "No category assigned"])
def test_no_category_asks_the_directory_nothing(
    world: World, package_file: Path, given: str | None
) -> None:
    result = world.upload(package_file, category=given, create_category=True)

    spec = world.packages.specs[result.package_id]
    assert (spec.category, spec.category_id) == (None, None)
    assert world.categories.lookups == 0
    assert world.categories.created == []


@pytest.mark.parametrize("given", ["Nope", "42"])
def test_an_unknown_category_fails_before_anything_is_sent(
    world: World, package_file: Path, given: str
) -> None:
    world.categories.add("Tools")

    with pytest.raises(UnknownCategoryError, match=repr(given) if given == "Nope" else "42"):
        world.upload(package_file, category=given)

    world.assert_nothing_sent()
    assert list(world.categories.categories.values()) == [Category(1, "Tools")]


def test_create_category_creates_a_missing_one_for_the_package(
    world: World, package_file: Path
) -> None:
    result = world.upload(package_file, category="Fresh Apps", create_category=True)

    [made] = world.categories.created
    assert made.name == "Fresh Apps"
    spec = world.packages.specs[result.package_id]
    assert (spec.category, spec.category_id) == ("Fresh Apps", made.id)
    assert world.files.contents == {"Tool.pkg": CONTENT}


def test_create_category_makes_nothing_when_the_upload_stops_at_an_existing_package(
    world: World, package_file: Path
) -> None:
    world.packages.add("Tool", "Tool.pkg")

    with pytest.raises(PackageExistsError):
        world.upload(package_file, category="Fresh Apps", create_category=True)

    assert world.categories.created == []


def test_an_unknown_category_fails_even_a_skip(world: World, package_file: Path) -> None:
    world.packages.add("Tool", "Tool.pkg")

    with pytest.raises(UnknownCategoryError):
        world.upload(package_file, category="Nope", on_exists=OnExists.SKIP)

    assert world.uploader.uploads == []


def test_a_batch_resolves_its_category_once(world: World, tmp_path: Path) -> None:
    paths = []
    for name in ("A.pkg", "B.pkg", "C.pkg"):
        path = tmp_path / name
        path.write_bytes(CONTENT + name.encode())
        paths.append(path)
    batch = UploadPackageFiles(world.upload)

    items = batch(paths, category="Batch", create_category=True, workers=2)

    assert [item.error for item in items] == [None, None, None]
    [made] = world.categories.created
    assert {(s.category, s.category_id) for s in world.packages.specs.values()} == {
        ("Batch", made.id)
    }
    assert world.categories.lookups == 1


def test_a_batch_with_an_unknown_category_sends_nothing(world: World, package_file: Path) -> None:
    with pytest.raises(UnknownCategoryError):
        UploadPackageFiles(world.upload)([package_file], category="Nope")

    world.assert_nothing_sent()


def test_without_a_directory_the_category_goes_on_as_given(package_file: Path) -> None:
    files = InMemoryFileStore()
    packages = InMemoryPackageRepository(store=files)
    upload = UploadPackageFile(packages, files, InMemoryObjectUploader(files))

    result = upload(package_file, category="Anything")

    spec = packages.specs[result.package_id]
    assert (spec.category, spec.category_id) == ("Anything", None)
