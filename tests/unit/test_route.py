"""``ChooseRoute``: the route a client's uploads take, over a fixed server."""

from __future__ import annotations

import pytest

from jcds2.application.ports import ServerInfo
from jcds2.application.route import ChooseRoute
from jcds2.domain.errors import ConfigurationError, PermissionDeniedError
from jcds2.testing import FixedServerInfo


def test_the_fake_is_a_server_info() -> None:
    assert isinstance(FixedServerInfo(), ServerInfo)


@pytest.mark.parametrize("route", ["jcds", "packages"])
def test_a_named_route_is_taken_without_asking_the_server(route: str) -> None:
    server = FixedServerInfo()

    assert ChooseRoute(server)(route) == route
    assert server.capability_questions == 0


@pytest.mark.parametrize(("capable", "route"), [(True, "packages"), (False, "jcds")])
def test_auto_follows_the_upload_capability(capable: bool, route: str) -> None:
    server = FixedServerInfo(direct_upload_capable=capable)

    assert ChooseRoute(server)("auto") == route
    assert server.capability_questions == 1


def test_auto_without_the_privilege_to_ask_takes_the_packages_route() -> None:
    server = FixedServerInfo(fail_capability=[PermissionDeniedError("no privilege", status=403)])

    assert ChooseRoute(server)("auto") == "packages"


@pytest.mark.parametrize("route", ["auto", "jcds"])
def test_a_file_share_is_its_own_route(route: str) -> None:
    server = FixedServerInfo()

    assert ChooseRoute(server)(route, file_share=True) == "file_share"
    assert server.capability_questions == 0


def test_a_file_share_refuses_the_packages_route() -> None:
    with pytest.raises(ConfigurationError, match="jcds route only"):
        ChooseRoute(FixedServerInfo())("packages", file_share=True)


def test_an_unknown_route_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="'auto', 'jcds', 'packages'"):
        ChooseRoute(FixedServerInfo())("s3")
