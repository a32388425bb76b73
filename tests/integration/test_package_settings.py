"""Reading and writing a package's settings over HTTP against the emulator, through the Pro
API (``ProApiPackageRepository``: a whole-record PUT) and the Classic API
(``ClassicApiPackageRepository``: a partial PUT), and ``EditPackage`` over the Pro API with
a file taken in, whose size the PUT blanks and an inventory refresh brings back."""

from __future__ import annotations

from pathlib import Path

import pytest

from jcds2.adapters.classic_api import ClassicApiPackageRepository
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_api import JcdsApiFileStore, ProApiPackageLookup
from jcds2.adapters.pro_categories import ProApiCategoryDirectory
from jcds2.adapters.pro_packages import (
    PackageFormUploader,
    PackagesApiFileStore,
    ProApiPackageRepository,
)
from jcds2.application.edit import EditPackage
from jcds2.domain.errors import (
    PackageNameTakenError,
    PackageNotFoundError,
    UnknownCategoryError,
    UnsupportedPackageFieldError,
)
from jcds2.domain.models import LocalFile, PackageSpec, TransferStatus
from jcds2.domain.package_settings import NO_CATEGORY_ID, PackageSettings
from jcds2.domain.transfer import TransferConfig
from jcds2.emulator import JamfEmulator
from tests.helpers import make_file

Repository = ProApiPackageRepository | ClassicApiPackageRepository


@pytest.fixture(params=["pro", "classic"])
def repository(jamf_http: JamfHttpClient, request: pytest.FixtureRequest) -> Repository:
    if request.param == "pro":
        return ProApiPackageRepository(jamf_http)
    return ClassicApiPackageRepository(jamf_http, ProApiPackageLookup(jamf_http).find_by_file_name)


def make(repository: Repository, **fields: object) -> int:
    spec = PackageSpec(name="Tool", file_name="Tool.pkg", **fields)  # type: ignore[arg-type]
    return repository.create(spec).id


def test_settings_read_as_created(emulator: JamfEmulator, repository: Repository) -> None:
    made = emulator.add_category("Apps")
    package_id = make(
        repository, info="i", priority=4, category="Apps", category_id=int(made["id"])
    )

    settings = repository.read_settings(package_id)

    assert settings is not None
    assert (settings.package_name, settings.info, settings.notes, settings.priority) == (
        "Tool",
        "i",
        "",
        4,
    )
    assert (settings.reboot_required, settings.fill_user_template) == (False, False)
    if isinstance(repository, ProApiPackageRepository):
        assert (settings.category_id, settings.category_name) == (int(made["id"]), None)
        assert (settings.os_install, settings.suppress_eula) == (False, False)
    else:
        assert (settings.category_id, settings.category_name) == (None, "Apps")
        assert (settings.os_install, settings.suppress_eula) == (None, None)
    assert repository.read_settings(package_id + 100) is None


def test_a_write_changes_only_the_fields_given(
    emulator: JamfEmulator, repository: Repository
) -> None:
    made = emulator.add_category("Apps")
    package_id = make(repository, info="keep", notes="old", priority=7)
    before = emulator.package(package_id)
    assert before is not None

    repository.write_settings(
        package_id,
        PackageSettings(
            notes="new",
            reboot_required=True,
            os_requirements="14.x",
            category_id=int(made["id"]),
            category_name="Apps",
        ),
    )

    after = emulator.package(package_id)
    assert after is not None
    changed = {"notes": "new", "rebootRequired": True, "osRequirements": "14.x"}
    assert after == before | changed | {"categoryId": made["id"]}


def test_no_category_and_a_rename(emulator: JamfEmulator, repository: Repository) -> None:
    made = emulator.add_category("Apps")
    package_id = make(repository, category="Apps", category_id=int(made["id"]))

    repository.write_settings(
        package_id,
        PackageSettings(package_name="Tool 2", category_id=NO_CATEGORY_ID, category_name=""),
    )

    after = emulator.package(package_id)
    assert after is not None
    assert (after["packageName"], after["categoryId"]) == ("Tool 2", "-1")


def test_refusals_are_typed(emulator: JamfEmulator, repository: Repository) -> None:
    package_id = make(repository)
    repository.create(PackageSpec(name="Other", file_name="Other.pkg"))

    with pytest.raises(PackageNameTakenError):
        repository.write_settings(package_id, PackageSettings(package_name="Other"))
    with pytest.raises(UnknownCategoryError):
        repository.write_settings(package_id, PackageSettings(category_id=99, category_name="No"))
    with pytest.raises(PackageNotFoundError):
        repository.write_settings(package_id + 100, PackageSettings(notes="n"))


def test_the_classic_api_cannot_set_the_pro_apis_own_fields(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    classic = ClassicApiPackageRepository(
        jamf_http, ProApiPackageLookup(jamf_http).find_by_file_name
    )
    package_id = make(classic)
    emulator.clear_request_log()

    with pytest.raises(UnsupportedPackageFieldError, match="suppress_eula"):
        classic.write_settings(package_id, PackageSettings(suppress_eula=True))

    assert [r.method for r in emulator.request_log] == []


# --- the use-case over the Pro API, with a file taken in ---------------------------------------


def test_an_edit_keeps_the_size_the_put_blanks(
    emulator: JamfEmulator, jamf_http: JamfHttpClient, tmp_path: Path
) -> None:
    config = TransferConfig(verify_timeout=30, verify_poll_initial=0.05)
    repository = ProApiPackageRepository(jamf_http)
    store = PackagesApiFileStore(jamf_http, JcdsApiFileStore(jamf_http))
    package = repository.create(PackageSpec(name="Tool", file_name="Tool.pkg"))
    path = make_file(tmp_path / "Tool.pkg", 40_000, seed=3)
    target = store.open_upload("Tool.pkg", package)
    PackageFormUploader(jamf_http, config).upload(target, LocalFile(path, 40_000))
    store.refresh(target)
    before = repository.get(package.id)
    assert before is not None
    assert (before.size, before.status) == (40_000, TransferStatus.READY)
    edit = EditPackage(
        repository, repository, ProApiCategoryDirectory(jamf_http), store, config=config
    )
    emulator.clear_request_log()

    result = edit(package.id, priority=3, suppress_updates=True, os_install=True)

    assert (result.written, result.refreshed) == (True, True)
    assert result.package == before
    assert repository.get(package.id) == before
    raw = emulator.package(package.id)
    assert raw is not None
    assert (raw["priority"], raw["suppressUpdates"], raw["osInstall"], raw["size"]) == (
        3,
        True,
        True,
        "40000",
    )
    assert [(r.method, r.path) for r in emulator.request_log if r.method != "GET"] == [
        ("PUT", f"/api/v1/packages/{package.id}"),
        ("POST", "/api/v1/cloud-distribution-point/refresh-inventory"),
    ]
