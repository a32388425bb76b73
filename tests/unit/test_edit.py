"""``EditPackage`` over the in-memory fakes, and an upload that meets an existing package
writing the package options given to it through the same use-case."""

from __future__ import annotations

import hashlib
from pathlib import Path

import attrs
import pytest

from jcds2.application.edit import EditPackage
from jcds2.application.upload import UploadPackageFile
from jcds2.application.upload_orders import PackageFirst
from jcds2.domain.errors import (
    ConfigurationError,
    InvalidPackageFieldError,
    PackageEditError,
    PackageNameTakenError,
    PackageNotFoundError,
    UnknownCategoryError,
    UnknownPackageFieldError,
)
from jcds2.domain.models import Package, TransferStatus
from jcds2.domain.package_settings import PackageSettings
from jcds2.domain.transfer import TransferConfig
from jcds2.testing import (
    InMemoryCategoryDirectory,
    InMemoryFileStore,
    InMemoryObjectUploader,
    InMemoryPackageRepository,
    flat_package,
)

DATA = flat_package(4 + 256 * 8)


@attrs.define
class Clock:
    """A clock that moves only when the use-case sleeps."""

    now: float = 0.0
    sleeps: list[float] = attrs.field(factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@attrs.define
class World:
    packages: InMemoryPackageRepository
    files: InMemoryFileStore
    categories: InMemoryCategoryDirectory
    clock: Clock
    edit: EditPackage
    package: Package


def make_world(config: TransferConfig | None = None) -> World:
    files = InMemoryFileStore(contents={"Tool.pkg": DATA})
    packages = InMemoryPackageRepository(store=files)
    package = packages.add(
        "Tool",
        "Tool.pkg",
        size=len(DATA),
        md5=hashlib.md5(DATA).hexdigest(),
        sha3_512=hashlib.sha3_512(DATA).hexdigest(),
        status=TransferStatus.READY,
    )
    categories = InMemoryCategoryDirectory()
    clock = Clock()
    edit = EditPackage(
        packages,
        packages,
        categories,
        files,
        config=config or TransferConfig(verify_timeout=60),
        clock=clock,
        sleep=clock.sleep,
    )
    return World(packages, files, categories, clock, edit, package)


@pytest.fixture
def world() -> World:
    return make_world()


def test_only_the_fields_asked_for_are_written(world: World) -> None:
    result = world.edit("Tool", info="About", priority=4, reboot_required=True)

    assert result.written is True
    assert [(c.field, c.old, c.new) for c in result.changes] == [
        ("info", "", "About"),
        ("priority", 10, 4),
        ("reboot_required", False, True),
    ]
    assert world.packages.settings_writes == [
        (world.package.id, PackageSettings(info="About", priority=4, reboot_required=True))
    ]
    settings = world.packages.read_settings(world.package.id)
    assert settings is not None
    assert (settings.notes, settings.fill_user_template) == ("", False)


def test_a_blanked_size_is_brought_back_by_a_refresh(world: World) -> None:
    result = world.edit("Tool", notes="n")

    assert result.refreshed is True
    assert world.files.refreshes == ["Tool.pkg"]
    assert result.package.size == len(DATA)
    assert world.packages.get(world.package.id) == world.package


def test_a_size_that_does_not_come_back_is_an_error_after_the_timeout(world: World) -> None:
    world.edit.files = attrs.evolve(world.files)  # a refresh that reaches nothing here
    world.edit.files.refreshes = []

    with pytest.raises(PackageEditError, match="still reports its size as None"):
        world.edit("Tool", notes="n")

    assert world.clock.now >= 60
    assert world.packages.settings_writes  # written: the error says what is left to do


def test_a_repository_that_keeps_the_size_needs_no_refresh(world: World) -> None:
    world.packages.write_blanks_size = False

    result = world.edit("Tool", notes="n")

    assert (result.written, result.refreshed) == (True, False)
    assert world.files.refreshes == []


def test_a_package_still_taking_its_file_in_is_not_waited_for(world: World) -> None:
    pending = attrs.evolve(world.package, status=TransferStatus.PENDING)
    world.packages.packages[world.package.id] = pending

    result = world.edit("Tool", notes="n")

    assert result.written is True
    assert world.files.refreshes == []


def test_changed_digests_are_an_error(world: World) -> None:
    class Rehashes(InMemoryPackageRepository):
        def write_settings(self, package_id: int, changes: PackageSettings) -> None:
            super().write_settings(package_id, changes)
            self.packages[package_id] = attrs.evolve(self.packages[package_id], md5="0" * 32)

    packages = Rehashes(packages=world.packages.packages, store=world.files)
    edit = attrs.evolve(world.edit, packages=packages, settings=packages)

    with pytest.raises(PackageEditError, match="changed the md5"):
        edit("Tool", notes="n")


def test_a_field_the_server_did_not_keep_is_an_error(world: World) -> None:
    class Drops(InMemoryPackageRepository):
        def write_settings(self, package_id: int, changes: PackageSettings) -> None:
            super().write_settings(package_id, attrs.evolve(changes, priority=None))

    packages = Drops(packages=world.packages.packages, store=world.files)
    edit = attrs.evolve(world.edit, packages=packages, settings=packages)

    with pytest.raises(PackageEditError, match="did not keep priority"):
        edit("Tool", priority=3, notes="n")


def test_an_unchanged_edit_writes_nothing(world: World) -> None:
    result = world.edit(world.package.id, priority=10, info="", reboot_required=False)

    assert (result.written, result.changed) == (False, False)
    assert world.packages.settings_writes == []


def test_a_dry_run_writes_nothing_and_creates_no_category(world: World) -> None:
    result = world.edit("Tool.pkg", category="New", create_category=True, dry_run=True)

    assert (result.dry_run, result.written) == (True, False)
    assert [(c.field, c.old, c.new) for c in result.changes] == [("category", None, "New")]
    assert world.packages.settings_writes == []
    assert world.categories.created == []


@pytest.mark.parametrize("by", ["name", "id", "id text"])
def test_a_category_by_name_or_id(world: World, by: str) -> None:
    made = world.categories.add("Applications")
    given = {"name": "Applications", "id": made.id, "id text": str(made.id)}[by]

    result = world.edit("Tool", category=given)

    assert [(c.field, c.old, c.new) for c in result.changes] == [("category", None, "Applications")]
    settings = world.packages.read_settings(world.package.id)
    assert settings is not None
    assert (settings.category_id, settings.category_name) == (made.id, "Applications")
    # Filed there now: the same again changes nothing, and "none" takes it out.
    assert world.edit("Tool", category=given).written is False
    cleared = world.edit("Tool", category="No category assigned")
    assert [(c.field, c.old, c.new) for c in cleared.changes] == [
        ("category", "Applications", None)
    ]


def test_an_unknown_category_is_an_error_unless_created(world: World) -> None:
    with pytest.raises(UnknownCategoryError):
        world.edit("Tool", category="Tools")
    assert world.packages.settings_writes == []

    world.edit("Tool", category="Tools", create_category=True)

    assert [c.name for c in world.categories.created] == ["Tools"]


def test_a_category_known_only_by_id_shows_by_name(world: World) -> None:
    old = world.categories.add("Old")
    new = world.categories.add("New")
    world.packages.settings[world.package.id] = attrs.evolve(
        world.packages.read_settings(world.package.id) or PackageSettings(),
        category_id=old.id,
        category_name=None,  # like the Pro API: the id only
    )

    result = world.edit("Tool", category=new.id)

    assert [(c.field, c.old, c.new) for c in result.changes] == [("category", "Old", "New")]


def test_a_package_that_is_not_there(world: World) -> None:
    with pytest.raises(PackageNotFoundError, match="'Nope'"):
        world.edit("Nope", priority=3)
    with pytest.raises(PackageNotFoundError, match="id 99"):
        world.edit(99, priority=3)
    with pytest.raises(ConfigurationError):
        world.edit(True, priority=3)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"colour": "red"}, UnknownPackageFieldError),
        ({"size": 3}, UnknownPackageFieldError),
        ({"priority": 0}, InvalidPackageFieldError),
        ({"priority": "3"}, InvalidPackageFieldError),
        ({"reboot_required": "yes"}, InvalidPackageFieldError),
        ({"info": 5}, InvalidPackageFieldError),
        ({"package_name": "  "}, InvalidPackageFieldError),
        ({"category": 1.5}, InvalidPackageFieldError),
    ],
)
def test_unknown_fields_and_bad_values_are_refused_before_any_request(
    world: World, fields: dict[str, object], error: type[Exception]
) -> None:
    lookups = world.packages.lookups
    with pytest.raises(error):
        world.edit("Tool", fields)
    assert world.packages.lookups == lookups
    assert world.packages.settings_writes == []


def test_a_taken_display_name_is_refused(world: World) -> None:
    world.packages.add("Other", "Other.pkg")

    with pytest.raises(PackageNameTakenError):
        world.edit("Tool", package_name="Other")


def test_a_rename_changes_the_display_name(world: World) -> None:
    result = world.edit("Tool", package_name="Tool 2")

    assert result.package.name == "Tool 2"


# --- uploads that meet an existing package ----------------------------------------------------


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "Tool.pkg"
    path.write_bytes(DATA)
    return path


def packages_route(world: World) -> UploadPackageFile:
    world.files.into_packages = True
    return UploadPackageFile(
        world.packages,
        world.files,
        InMemoryObjectUploader(world.files),
        TransferConfig(backoff_base=0, verify_timeout=60),
        clock=world.clock,
        sleep=world.clock.sleep,
        order=PackageFirst(),
        categories=world.categories,
    )


def test_a_skip_writes_the_options_given(world: World, source: Path) -> None:
    apps = world.categories.add("Apps")
    upload = packages_route(world)

    result = upload(source, on_exists="skip", notes="n", category="Apps")

    assert result.skipped is True
    assert result.changed_fields == ("notes", "category")
    settings = world.packages.read_settings(world.package.id)
    assert settings is not None
    assert (settings.notes, settings.category_id, settings.priority) == ("n", apps.id, 10)
    assert world.files.tickets == []  # nothing sent


def test_a_skip_without_options_writes_nothing(world: World, source: Path) -> None:
    result = packages_route(world)(source, on_exists="skip")

    assert (result.skipped, result.changed_fields) == (True, ())
    assert world.packages.settings_writes == []


def test_a_replace_writes_the_options_given_after_the_file(world: World, tmp_path: Path) -> None:
    new = tmp_path / "new" / "Tool.pkg"
    new.parent.mkdir()
    new.write_bytes(flat_package(len(DATA) + 4, seed=1))
    upload = packages_route(world)

    result = upload(new, on_exists="replace", priority=2, create_category=True, category="Fresh")

    assert result.replaced is True
    assert set(result.changed_fields) == {"priority", "category"}
    assert [c.name for c in world.categories.created] == ["Fresh"]
    package = world.packages.get(world.package.id)
    assert package is not None
    assert package.size == len(DATA) + 4  # the new file's, not blanked by the write


def test_options_for_an_existing_package_need_a_settings_store(world: World, source: Path) -> None:
    @attrs.define
    class Bare:
        inner: InMemoryPackageRepository

        def find_by_file_name(self, file_name: str) -> Package | None:
            return self.inner.find_by_file_name(file_name)

        def find_by_name(self, name: str) -> Package | None:
            return self.inner.find_by_name(name)

        def get(self, package_id: int) -> Package | None:
            return self.inner.get(package_id)

        def create(self, spec: object) -> Package:
            raise NotImplementedError

        def record_hash(self, package_id: int, hash_type: object, hash_value: str) -> None:
            raise NotImplementedError

        def delete(self, package_id: int) -> None:
            raise NotImplementedError

    upload = packages_route(world)
    upload.packages = Bare(world.packages)

    with pytest.raises(ConfigurationError, match="cannot change the settings"):
        upload(source, on_exists="skip", notes="n")
