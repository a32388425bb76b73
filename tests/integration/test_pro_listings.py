"""Package records by the page and the cloud distribution point's inventory, over HTTP against
the emulator: what they report on both routes, and what they cost in requests."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import attrs
import pytest

from jcds2 import JamfProClient
from jcds2.adapters import pro_listings
from jcds2.adapters.file_share import FileShareStore
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_listings import ProApiDistributionInventory, ProApiPackageCatalog
from jcds2.adapters.pro_packages import ProApiPackageRepository
from jcds2.domain.errors import TooManyPagesError
from jcds2.domain.models import PackageSpec, TransferStatus
from jcds2.domain.status import FileInventory
from jcds2.emulator import JamfEmulator, TransferErrorFault
from tests.helpers import make_file, on_route


def listings(emulator: JamfEmulator, path: str) -> list[dict[str, list[str]]]:
    """The query of each GET of ``path`` the emulator received."""
    return [
        parse_qs(request.query_string)
        for request in emulator.request_log
        if request.method == "GET" and request.path == path
    ]


def add_packages(jamf_http: JamfHttpClient, count: int) -> None:
    repository = ProApiPackageRepository(jamf_http)
    for number in range(count):
        repository.create(PackageSpec(name=f"Tool {number}", file_name=f"Tool{number}.pkg"))


def upload(client: JamfProClient, route: str, path: Path, *, verify: bool = True) -> None:
    with on_route(client, route) as routed:
        routed.jcds2.upload_file(path, verify=verify)


def test_every_package_page_by_page(
    jamf_http: JamfHttpClient, emulator: JamfEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pro_listings, "LISTING_PAGE_SIZE", 3)
    add_packages(jamf_http, 7)
    emulator.clear_request_log()

    found = ProApiPackageCatalog(jamf_http).list_packages()

    assert [package.name for package in found] == [f"Tool {number}" for number in range(7)]
    pages = listings(emulator, "/api/v1/packages")
    assert [page["page"] for page in pages] == [["0"], ["1"], ["2"]]  # the third is short
    assert all("filter" not in page for page in pages)


def test_a_few_names_are_one_filtered_request_and_wildcards_match_only_themselves(
    jamf_http: JamfHttpClient, emulator: JamfEmulator
) -> None:
    add_packages(jamf_http, 5)
    emulator.clear_request_log()
    catalog = ProApiPackageCatalog(jamf_http)

    found = catalog.list_packages(["Tool 1", "tool3.PKG", "*", "Tool*"])

    assert [package.name for package in found] == ["Tool 1", "Tool 3"]
    [query] = listings(emulator, "/api/v1/packages")
    assert query["filter"] == [
        'packageName=="Tool 1",fileName=="Tool 1",packageName=="tool3.PKG",'
        'fileName=="tool3.PKG",packageName=="*",fileName=="*",packageName=="Tool*",'
        'fileName=="Tool*"'
    ]


def test_many_names_are_picked_from_the_whole_listing(
    jamf_http: JamfHttpClient, emulator: JamfEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pro_listings, "MAX_FILTER_LENGTH", 40)
    add_packages(jamf_http, 4)
    emulator.clear_request_log()

    found = ProApiPackageCatalog(jamf_http).list_packages(["Tool0.pkg", "Tool 2", "Nope"])

    assert [package.file_name for package in found] == ["Tool0.pkg", "Tool2.pkg"]
    [query] = listings(emulator, "/api/v1/packages")
    assert "filter" not in query


def test_a_listing_that_never_ends_is_an_error(
    jamf_http: JamfHttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pro_listings, "LISTING_PAGE_SIZE", 1)
    add_packages(jamf_http, 3)
    limited = attrs.evolve(jamf_http.config, max_search_pages=2)
    monkeypatch.setattr(jamf_http, "config", limited)
    with pytest.raises(TooManyPagesError, match="did not end after 2 pages"):
        ProApiPackageCatalog(jamf_http).list_packages()


def test_the_inventory_reports_both_routes_files_and_their_statuses(
    client: JamfProClient,
    jamf_http: JamfHttpClient,
    emulator: JamfEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upload(client, "jcds", make_file(tmp_path / "Jcds.pkg", 2_000, seed=1))
    upload(client, "packages", make_file(tmp_path / "Ready.pkg", 2_000, seed=2))
    emulator.add_fault(TransferErrorFault())  # the server fails this transfer
    upload(client, "packages", make_file(tmp_path / "Failed.pkg", 2_000, seed=4), verify=False)
    failed = client.packages.find("Failed.pkg")  # read once refreshed: its transfer fails
    assert failed is not None
    assert failed.status is TransferStatus.ERROR
    emulator.set_transfer_delay(3600)
    upload(client, "packages", make_file(tmp_path / "Pending.pkg", 2_000, seed=3), verify=False)
    inventory = ProApiDistributionInventory(jamf_http)
    monkeypatch.setattr(pro_listings, "LISTING_PAGE_SIZE", 2)
    emulator.clear_request_log()

    every = inventory.file_inventory()

    assert every == FileInventory(
        {
            "Jcds.pkg": TransferStatus.READY,
            "Ready.pkg": TransferStatus.READY,
            "Pending.pkg": TransferStatus.PENDING,
            "Failed.pkg": TransferStatus.ERROR,
        }
    )
    assert len(listings(emulator, pro_listings.INVENTORY_PATH)) == 3  # 2 + 2 + an empty page
    emulator.clear_request_log()
    assert inventory.file_inventory(["Failed.pkg", "Missing.pkg"]) == FileInventory(
        {"Failed.pkg": TransferStatus.ERROR}
    )
    [query] = listings(emulator, pro_listings.INVENTORY_PATH)
    assert query["filter"] == ['fileName=="Failed.pkg",fileName=="Missing.pkg"']


def test_the_client_reads_status_in_two_listings(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    for number in range(3):
        upload(client, "packages", make_file(tmp_path / f"P{number}.pkg", 500, seed=number))
    emulator.clear_request_log()

    found = client.packages.status()

    assert [(item.name, item.status.value, item.size) for item in found] == [
        (f"P{number}.pkg", "READY", 500) for number in range(3)
    ]
    requests = [(request.method, request.path) for request in emulator.request_log]
    assert requests.count(("GET", "/api/v1/packages")) == 1
    assert requests.count(("GET", pro_listings.INVENTORY_PATH)) == 1
    assert all(not path.startswith("/api/v1/packages/") for _, path in requests)


def test_a_file_share_holds_files_without_transfer_statuses(tmp_path: Path) -> None:
    (tmp_path / "Packages").mkdir()
    make_file(tmp_path / "Packages" / "Shared.pkg", 100)
    make_file(tmp_path / "Packages" / "Other.pkg", 100)
    store = FileShareStore(str(tmp_path))

    assert store.file_inventory(["Shared.pkg", "Gone.pkg"]) == FileInventory(
        {"Shared.pkg": None}, tracks_transfers=False
    )
    assert set(store.file_inventory().statuses) == {"Shared.pkg", "Other.pkg"}
