"""``RemoveFile`` and ``VerifyFile`` over the in-memory fakes; ``same_file``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import attrs
import pytest

from jcds2.application.local_files import inspect_upload_source
from jcds2.application.package_usage import DeletePackage
from jcds2.application.remote_files import RemoveFile, VerifyFile, same_file
from jcds2.domain.errors import (
    InvalidFileNameError,
    LocalFileNotFoundError,
    NoRemoteHashError,
    NotARegularFileError,
    PackageInUseError,
    PackageUsageUnknownError,
    PermissionDeniedError,
    RemoteFileNotFoundError,
)
from jcds2.domain.models import Package
from jcds2.domain.usage import PackageUser, UserKind
from jcds2.testing import InMemoryFileStore, InMemoryPackageRepository, InMemoryPackageUsers

DATA = b"xar!" + bytes(range(200)) * 10


@pytest.fixture
def files() -> InMemoryFileStore:
    return InMemoryFileStore(contents={"Tool.pkg": DATA})


@pytest.fixture
def local(tmp_path: Path) -> Path:
    path = tmp_path / "Tool.pkg"
    path.write_bytes(DATA)
    return path


# --- RemoveFile ---------------------------------------------------------------------------


def test_the_package_goes_and_its_file_with_it(files: InMemoryFileStore) -> None:
    packages = InMemoryPackageRepository(store=files)
    package = packages.add("Tool", "Tool.pkg")

    assert RemoveFile(packages, files, InMemoryPackageUsers())("Tool.pkg") == package.id
    assert packages.packages == {}
    assert files.contents == {}


def test_a_file_without_a_package_is_deleted(files: InMemoryFileStore) -> None:
    packages = InMemoryPackageRepository()

    assert RemoveFile(packages, files, InMemoryPackageUsers())("Tool.pkg") is None
    assert files.contents == {}


def test_a_package_whose_file_is_already_gone_is_deleted() -> None:
    files = InMemoryFileStore()
    packages = InMemoryPackageRepository()
    package = packages.add("Tool", "Tool.pkg")

    assert RemoveFile(packages, files, InMemoryPackageUsers())("Tool.pkg") == package.id
    assert packages.deleted == [package.id]


def test_neither_package_nor_file_is_an_error() -> None:
    with pytest.raises(RemoteFileNotFoundError):
        RemoveFile(InMemoryPackageRepository(), InMemoryFileStore(), InMemoryPackageUsers())(
            "Tool.pkg"
        )


# --- VerifyFile ---------------------------------------------------------------------------


def test_the_same_file_matches_by_md5(files: InMemoryFileStore, local: Path) -> None:
    compared = VerifyFile(files)("Tool.pkg", local)

    assert compared.match is True
    assert compared.algorithm == "MD5"
    assert compared.remote_hash == hashlib.md5(DATA).hexdigest()
    assert (compared.remote_size, compared.local_size) == (len(DATA), len(DATA))


def test_another_file_of_the_same_size_differs(files: InMemoryFileStore, tmp_path: Path) -> None:
    other = tmp_path / "Other.pkg"
    other.write_bytes(bytes(len(DATA)))

    compared = VerifyFile(files)("Tool.pkg", other)

    assert compared.match is False
    assert compared.local_hash is not None


def test_another_size_differs_without_hashing(files: InMemoryFileStore, tmp_path: Path) -> None:
    short = tmp_path / "Short.pkg"
    short.write_bytes(DATA[:10])

    compared = VerifyFile(files)("Tool.pkg", short)

    assert (compared.match, compared.local_hash, compared.local_size) == (False, None, 10)


def test_a_missing_local_file_is_reported_before_the_server_is_asked(tmp_path: Path) -> None:
    with pytest.raises(LocalFileNotFoundError):
        VerifyFile(InMemoryFileStore())("Tool.pkg", tmp_path / "missing.pkg")
    with pytest.raises(NotARegularFileError):
        VerifyFile(InMemoryFileStore())("Tool.pkg", tmp_path)


@pytest.mark.parametrize("name", ["build/Tool.pkg", "/tmp/Tool.pkg", "build\\Tool.pkg"])
def test_a_path_as_the_server_name_is_refused_before_anything_is_read(
    files: InMemoryFileStore, name: str, tmp_path: Path
) -> None:
    # A server's file name has no folders: a path there means the local file's name was
    # meant. Refused before the local file is looked at (it need not even exist).
    with pytest.raises(InvalidFileNameError, match="path separator"):
        VerifyFile(files)(name, tmp_path / "missing.pkg")


def test_a_file_the_server_does_not_have(local: Path) -> None:
    with pytest.raises(RemoteFileNotFoundError):
        VerifyFile(InMemoryFileStore())("Tool.pkg", local)


def test_a_file_the_server_reports_no_hash_for(local: Path) -> None:
    files = InMemoryFileStore(contents={"Tool.pkg": DATA}, report_md5=False)

    with pytest.raises(NoRemoteHashError):
        VerifyFile(files)("Tool.pkg", local)


def test_same_file_uses_the_strongest_hash_a_package_reports(local: Path) -> None:
    data = local.read_bytes()
    package = Package(
        id=1,
        name="Tool",
        file_name=local.name,
        size=len(data),
        md5="0" * 32,  # weaker, and wrong: not the one compared
        hash_type="SHA_512",
        hash_value=hashlib.sha512(data).hexdigest(),
    )
    assert same_file(package, inspect_upload_source(local)) == (True, "sha512")
    assert same_file(attrs.evolve(package, size=len(data) + 1), inspect_upload_source(local)) == (
        False,
        "sha512",
    )
    unhashed = attrs.evolve(package, md5=None, hash_type=None, hash_value=None)
    assert same_file(unhashed, inspect_upload_source(local)) == (None, None)


# --- the deletion safety rule -------------------------------------------------------------


POLICY = PackageUser(UserKind.POLICY, 3, "Install Tool")
PRESTAGE = PackageUser(UserKind.PRESTAGE, 1, "Lab")


def test_a_package_something_uses_is_not_deleted(files: InMemoryFileStore) -> None:
    packages = InMemoryPackageRepository(store=files)
    package = packages.add("Tool", "Tool.pkg")
    users = InMemoryPackageUsers()
    users.use(package.id, PRESTAGE, POLICY)

    with pytest.raises(PackageInUseError) as caught:
        RemoveFile(packages, files, users)("Tool.pkg")
    assert caught.value.users == (POLICY, PRESTAGE)
    assert "policy 3 'Install Tool'" in str(caught.value)
    assert "prestage 1 'Lab'" in str(caught.value)
    assert packages.deleted == []
    assert files.contents == {"Tool.pkg": DATA}
    plan = RemoveFile(packages, files, users).plan("Tool.pkg")
    assert plan.users == (POLICY, PRESTAGE)
    assert plan.refusal == str(caught.value)


def test_force_deletes_a_used_package_without_asking(files: InMemoryFileStore) -> None:
    packages = InMemoryPackageRepository(store=files)
    package = packages.add("Tool", "Tool.pkg")
    users = InMemoryPackageUsers(fail=[PermissionDeniedError("no")])
    users.use(package.id, POLICY)

    assert RemoveFile(packages, files, users).plan("Tool.pkg", force=True).refusal is None
    assert RemoveFile(packages, files, users)("Tool.pkg", force=True) == package.id
    assert users.looks == 0
    assert packages.deleted == [package.id]


def test_usage_that_cannot_be_read_refuses(files: InMemoryFileStore) -> None:
    packages = InMemoryPackageRepository(store=files)
    packages.add("Tool", "Tool.pkg")
    denied = PermissionDeniedError("reading policies: HTTP 403")
    users = InMemoryPackageUsers(fail=[denied, denied])

    with pytest.raises(PackageUsageUnknownError) as caught:
        RemoveFile(packages, files, users)("Tool.pkg")
    assert caught.value.cause is denied
    assert "Read Policies" in str(caught.value)
    assert packages.deleted == []
    plan = RemoveFile(packages, files, users).plan("Tool.pkg")
    assert plan.refusal is not None
    assert "could not read" in plan.refusal


def test_a_file_without_a_package_needs_no_usage(files: InMemoryFileStore) -> None:
    users = InMemoryPackageUsers(fail=[PermissionDeniedError("no")])
    assert RemoveFile(InMemoryPackageRepository(), files, users)("Tool.pkg") is None
    assert users.looks == 0


def test_delete_package_refuses_a_used_one_unless_forced() -> None:
    packages = InMemoryPackageRepository()
    package = packages.add("Tool", "Tool.pkg")
    users = InMemoryPackageUsers()
    users.use(package.id, POLICY)
    delete = DeletePackage(packages, users)

    with pytest.raises(PackageInUseError):
        delete(package.id)
    assert packages.deleted == []
    delete(package.id, force=True)
    assert packages.deleted == [package.id]
    delete(424242)  # a missing package is no error
