"""``JamfApiPackageUsers`` against the emulator over HTTP: policies and PreStages by the
packages they use, and what it costs in requests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from defusedxml.ElementTree import fromstring

from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.package_users import PRESTAGE_PAGE_SIZE, JamfApiPackageUsers
from jcds2.application.ports import PackageUsers
from jcds2.domain.errors import PermissionDeniedError
from jcds2.domain.usage import PackageUser, UserKind
from jcds2.emulator import JamfEmulator


@pytest.fixture
def users(jamf_http: JamfHttpClient) -> JamfApiPackageUsers:
    return JamfApiPackageUsers(jamf_http)


@pytest.fixture
def package(jamf_http: JamfHttpClient) -> Callable[[str], int]:
    """Make a package record (no file needed) through the Classic API; its id."""

    def make(name: str) -> int:
        body = f"<package><name>{name}</name><filename>{name}</filename></package>"
        response = jamf_http.request(
            "POST",
            "/JSSResource/packages/id/0",
            operation="test",
            data=body,
            headers={"Content-Type": "text/xml"},
        )
        return int(fromstring(response.content).findtext("id") or "0")

    return make


def test_it_is_the_package_users_port(users: JamfApiPackageUsers) -> None:
    assert isinstance(users, PackageUsers)
    assert "JamfApiPackageUsers(" in repr(users)


def test_policies_and_prestages_are_found_by_package(
    users: JamfApiPackageUsers, emulator: JamfEmulator, package: Callable[[str], int]
) -> None:
    zoom, chrome, unused = (package(n) for n in ("Zoom.pkg", "Chrome.pkg", "Idle.pkg"))
    both = emulator.add_policy("Apps", [zoom, chrome])
    only = emulator.add_policy("Zoom only", [zoom], action="Cache")
    emulator.add_policy("Nothing", [])
    lab = emulator.add_prestage("Lab", [chrome, "-1"])
    emulator.clear_request_log()

    usage = users.package_usage()

    assert usage == {
        zoom: (
            PackageUser(UserKind.POLICY, both, "Apps"),
            PackageUser(UserKind.POLICY, only, "Zoom only"),
        ),
        chrome: (
            PackageUser(UserKind.POLICY, both, "Apps"),
            PackageUser(UserKind.PRESTAGE, lab, "Lab"),
        ),
    }
    assert unused not in usage
    requests = [(r.method, r.path) for r in emulator.request_log]
    # One list, one smallest subset per policy, one page of PreStages.
    assert requests == [
        ("GET", "/JSSResource/policies"),
        *[("GET", f"/JSSResource/policies/id/{n}/subset/Packages") for n in (1, 2, 3)],
        ("GET", "/api/v3/computer-prestages"),
    ]


def test_prestages_are_read_a_page_at_a_time(
    users: JamfApiPackageUsers, emulator: JamfEmulator, package: Callable[[str], int]
) -> None:
    used = package("Base.pkg")
    for number in range(PRESTAGE_PAGE_SIZE + 1):
        emulator.add_prestage(f"Lab {number}", [used] if number == PRESTAGE_PAGE_SIZE else [])
    emulator.clear_request_log()

    [user] = users.package_usage()[used]

    assert (user.kind, user.id) == (UserKind.PRESTAGE, PRESTAGE_PAGE_SIZE + 1)
    pages = [r.query_string for r in emulator.request_log if "prestages" in r.path]
    assert len(pages) == 2


@pytest.mark.parametrize("path", ["/JSSResource/policies", "/api/v3/computer-prestages"])
def test_an_account_that_may_not_read_them_gets_a_typed_error(
    users: JamfApiPackageUsers, emulator: JamfEmulator, path: str
) -> None:
    emulator.inject_fault("GET", path, 403)
    with pytest.raises(PermissionDeniedError):
        users.package_usage()


def test_a_policy_deleted_meanwhile_uses_nothing(
    users: JamfApiPackageUsers, emulator: JamfEmulator, package: Callable[[str], int]
) -> None:
    used = package("Zoom.pkg")
    emulator.add_policy("Apps", [used])
    emulator.inject_fault("GET", "/JSSResource/policies/id/1/subset/Packages", 404)
    assert users.package_usage() == {}
