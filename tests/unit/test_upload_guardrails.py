"""The guardrails and the plans of ``UploadPackageFile`` and ``RemoveFile`` over fakes: a file
that fails the guardrails is refused before any port is called, and a plan changes nothing."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any, NoReturn

import attrs
import pytest

from jcds2.application.batch import UploadPackageFiles
from jcds2.application.remote_files import RemoveFile
from jcds2.application.upload import UploadPackageFile
from jcds2.domain.errors import (
    ConfigurationError,
    InvalidFileNameError,
    LocalFileNotFoundError,
    MalformedPackageError,
    RemoteFileNotFoundError,
    UnknownCategoryError,
    UnsignedPackageError,
    UnsupportedFileTypeError,
)
from jcds2.domain.models import HashType
from jcds2.domain.plans import PlannedAction, RemovePlan
from jcds2.domain.transfer import TransferConfig
from jcds2.testing import (
    InMemoryCategoryDirectory,
    InMemoryFileStore,
    InMemoryObjectUploader,
    InMemoryPackageRepository,
    InMemoryPackageUsers,
    flat_package,
)
from tests.xar import LEAF_NAME, certificate


class NoCalls:
    """A port that fails the test if anything is asked of it."""

    def __getattr__(self, name: str) -> NoReturn:
        raise AssertionError(f"the guardrails let {name}() be called")


def untouchable() -> UploadPackageFile:
    no = NoCalls()
    return UploadPackageFile(no, no, no, categories=no)


@pytest.mark.parametrize(
    ("name", "data", "error", "keywords"),
    [
        pytest.param("Tool.app", flat_package(), UnsupportedFileTypeError, {}, id="type"),
        pytest.param("Tool.pkg", b"xar!" + bytes(1000), MalformedPackageError, {}, id="xar"),
        pytest.param(
            "Tool.pkg", flat_package(), UnsignedPackageError, {"require_signed": True}, id="sign"
        ),
    ],
)
def test_a_file_that_fails_the_guardrails_reaches_no_port(
    tmp_path: Path, name: str, data: bytes, error: type[Exception], keywords: dict[str, Any]
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    upload = untouchable()

    with pytest.raises(error):
        upload(path, category="Applications", create_category=True, **keywords)
    with pytest.raises(error):
        upload.plan(path, **keywords)
    [item] = UploadPackageFiles(upload)([path], category="Applications", **keywords)
    assert isinstance(item.error, error)


def test_a_batch_reports_the_guardrails_per_file_and_makes_no_category(tmp_path: Path) -> None:
    bad = tmp_path / "Bad.pkg"
    bad.write_bytes(b"not a flat package")
    odd = tmp_path / "Notes.txt"
    odd.write_bytes(b"text")
    upload = untouchable()

    items = UploadPackageFiles(upload)([bad, odd], category="New Category", create_category=True)

    assert [type(item.error) for item in items] == [
        MalformedPackageError,
        UnsupportedFileTypeError,
    ]


@attrs.define
class World:
    packages: InMemoryPackageRepository
    files: InMemoryFileStore
    categories: InMemoryCategoryDirectory
    upload: UploadPackageFile

    def state(self) -> tuple[object, ...]:
        return copy.deepcopy(
            (
                self.packages.packages,
                self.files.contents,
                self.files.tickets,
                self.categories.categories,
            )
        )


@pytest.fixture
def world() -> World:
    config = TransferConfig(backoff_base=0)
    packages, files = InMemoryPackageRepository(), InMemoryFileStore()
    packages.store = files
    categories = InMemoryCategoryDirectory()
    categories.add("Applications")
    uploader = InMemoryObjectUploader(files, config=config)
    upload = UploadPackageFile(packages, files, uploader, config, categories=categories)
    return World(packages, files, categories, upload)


def package_file(tmp_path: Path, size: int = 4096, seed: int = 0, **keywords: Any) -> Path:
    path = tmp_path / "Tool.pkg"
    path.write_bytes(flat_package(size, seed=seed, **keywords))
    return path


def test_a_plan_to_create_changes_nothing(world: World, tmp_path: Path) -> None:
    path = package_file(tmp_path, certificates=[certificate(LEAF_NAME)])
    before = world.state()

    plan = world.upload.plan(path, category="Applications", require_signed=True)

    assert world.state() == before
    assert plan.action is PlannedAction.CREATE
    assert (plan.file_name, plan.package_name, plan.package_id) == ("Tool.pkg", "Tool.pkg", None)
    assert (plan.category, plan.category_id, plan.create_category) == ("Applications", 1, False)
    assert plan.check.signed_by == LEAF_NAME
    assert plan.size == 4096
    assert plan.route == ""  # the client's facade fills it in


def test_a_plan_names_a_category_it_would_create_without_creating_it(
    world: World, tmp_path: Path
) -> None:
    plan = world.upload.plan(package_file(tmp_path), category="Fresh", create_category=True)

    assert (plan.category, plan.category_id, plan.create_category) == ("Fresh", None, True)
    assert world.categories.created == []


def test_a_plan_raises_what_the_upload_would_before_looking_at_packages(
    world: World, tmp_path: Path
) -> None:
    with pytest.raises(UnknownCategoryError):
        world.upload.plan(package_file(tmp_path), category="Nope")
    with pytest.raises(LocalFileNotFoundError):
        world.upload.plan(tmp_path / "Missing.pkg")
    bad_name = tmp_path / "bad\nname.pkg"
    bad_name.write_bytes(flat_package())
    with pytest.raises(InvalidFileNameError):
        world.upload.plan(bad_name)
    assert world.packages.lookups == 0


def test_plans_for_a_file_already_uploaded(world: World, tmp_path: Path) -> None:
    path = package_file(tmp_path, seed=1)
    uploaded = world.upload(path)
    before = world.state()

    same_skip = world.upload.plan(path, on_exists="skip")
    same_fail = world.upload.plan(path)
    path.write_bytes(flat_package(5000, seed=2))
    other_replace = world.upload.plan(path, on_exists="replace")
    other_skip = world.upload.plan(path, on_exists="skip")

    assert world.state() == before
    assert same_skip.action is PlannedAction.SKIP
    assert same_skip.package_id == uploaded.package_id
    assert (same_fail.action, same_fail.conflict) == (PlannedAction.FAIL, "file_name")
    assert same_fail.reason is not None
    assert "already uses the file name" in same_fail.reason
    assert other_replace.action is PlannedAction.REPLACE
    assert other_replace.size == 5000
    assert (other_skip.action, other_skip.conflict) == (PlannedAction.FAIL, "file_name")
    assert other_skip.reason is not None
    assert "differs" in other_skip.reason


def test_a_plan_fails_on_a_taken_package_name(world: World, tmp_path: Path) -> None:
    taken = world.packages.add("Tool", "Other.pkg")

    plan = world.upload.plan(package_file(tmp_path), package_name="Tool")

    assert (plan.action, plan.conflict, plan.package_id) == (
        PlannedAction.FAIL,
        "package_name",
        taken.id,
    )


def test_an_upload_reports_its_signer(world: World, tmp_path: Path) -> None:
    path = package_file(tmp_path, certificates=[certificate(LEAF_NAME)])

    result = world.upload(path, require_signed=True)

    assert result.signed_by == LEAF_NAME
    digest = hashlib.sha512(path.read_bytes()).hexdigest()
    assert (result.hash_type, result.hash_value) == (HashType.SHA_512, digest)


def test_a_batch_refuses_a_duplicate_name_before_reading_it(world: World, tmp_path: Path) -> None:
    first = package_file(tmp_path)
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "Tool.pkg").write_bytes(b"not even a package")

    items = UploadPackageFiles(world.upload)([first, twin / "Tool.pkg"])

    assert items[0].ok
    assert isinstance(items[1].error, ConfigurationError)


def test_a_remove_plan_changes_nothing(world: World, tmp_path: Path) -> None:
    uploaded = world.upload(package_file(tmp_path))
    world.files.contents["Orphan.pkg"] = b"x"
    remove = RemoveFile(world.packages, world.files, InMemoryPackageUsers())
    before = world.state()

    assert remove.plan("Tool.pkg") == RemovePlan("Tool.pkg", True, uploaded.package_id, "Tool.pkg")
    assert remove.plan("Orphan.pkg") == RemovePlan("Orphan.pkg", True)
    with pytest.raises(RemoteFileNotFoundError):
        remove.plan("Nothing.pkg")
    assert world.state() == before
