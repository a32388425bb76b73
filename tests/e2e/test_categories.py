"""Categories by name or id on every route, through the public client and the command line.

An unknown category fails before a byte is sent or anything is created, which the
emulator's request logs show; ``create_category`` / ``--create-category`` creates it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jcds2 import JamfProClient
from jcds2.emulator import JamfEmulator
from jcds2.errors import UnknownCategoryError
from tests.e2e.conftest import Cli
from tests.helpers import make_file, on_route

ROUTES = ["jcds", "packages"]
#: Signing in and out: the only requests other than look-ups an early failure may make.
_SIGN_IN = ("/api/oauth/", "/api/v1/oauth/", "/api/v1/auth/")


@pytest.fixture(params=ROUTES)
def routed(client: JamfProClient, request: pytest.FixtureRequest) -> Iterator[JamfProClient]:
    with on_route(client, request.param) as other:
        assert other.jcds2.route == request.param
        yield other


def assert_nothing_sent(emulator: JamfEmulator) -> None:
    """No upload started, no package made, no byte to S3: only look-ups were made."""
    writes = [
        (r.method, r.path)
        for r in emulator.request_log
        if r.method != "GET" and not r.path.startswith(_SIGN_IN)
    ]
    assert writes == []
    assert emulator.s3_request_log == []
    assert emulator.packages() == []
    assert emulator.jcds_files() == []


def category_of(emulator: JamfEmulator) -> str:
    [package] = emulator.packages()
    category_id: str = package["categoryId"]
    return category_id


@pytest.mark.parametrize("by", ["name", "id", "id number"])
def test_a_category_by_name_or_id_files_the_package_on_every_route(
    routed: JamfProClient, emulator: JamfEmulator, tmp_path: Path, by: str
) -> None:
    emulator.add_category("Filler")
    made = emulator.add_category("Applications")
    given = {"name": "Applications", "id": made["id"], "id number": int(made["id"])}[by]
    source = make_file(tmp_path / "App.pkg", 100_000, seed=1)

    result = routed.jcds2.upload_file(source, category=given)

    assert result.verified is True
    assert category_of(emulator) == made["id"]


def test_a_name_is_resolved_with_one_request(
    routed: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    made = emulator.add_category("Applications")
    source = make_file(tmp_path / "App.pkg", 10_000, seed=2)
    emulator.clear_request_log()

    routed.jcds2.upload_file(source, category="Applications")

    looks = [r for r in emulator.request_log if r.path.startswith("/api/v1/categories")]
    assert [(r.method, r.path) for r in looks] == [("GET", "/api/v1/categories")]
    assert category_of(emulator) == made["id"]


@pytest.mark.parametrize("given", ["No Such Category", "42"])
def test_an_unknown_category_fails_before_anything_is_sent_and_leaves_nothing(
    routed: JamfProClient, emulator: JamfEmulator, tmp_path: Path, given: str
) -> None:
    emulator.add_category("Applications")
    source = make_file(tmp_path / "App.pkg", 6 * 1024 * 1024, seed=3)
    emulator.clear_request_log()
    emulator.clear_s3_request_log()

    with pytest.raises(UnknownCategoryError, match=given):
        routed.jcds2.upload_file(source, category=given)

    assert_nothing_sent(emulator)
    assert [c["name"] for c in emulator.categories()] == ["Applications"]


def test_create_category_creates_it_and_the_package_carries_it(
    routed: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "App.pkg", 10_000, seed=4)

    routed.jcds2.upload_file(source, category="Fresh Apps", create_category=True)

    [category] = emulator.categories()
    assert category["name"] == "Fresh Apps"
    assert category_of(emulator) == category["id"]


def test_no_category_assigned_means_none(
    routed: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "App.pkg", 10_000, seed=5)

    routed.jcds2.upload_file(source, category="No category assigned")

    assert category_of(emulator) == "-1"
    assert emulator.categories() == []


def test_a_batch_creates_its_category_once(
    routed: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    paths = [make_file(tmp_path / f"{n}.pkg", 10_000, seed=n) for n in range(3)]

    items = routed.jcds2.upload_files(paths, category="Batch", create_category=True)

    assert [item.error for item in items] == [None, None, None]
    [category] = emulator.categories()
    assert {p["categoryId"] for p in emulator.packages()} == {category["id"]}


# -- the command line -----------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_cli_category_by_name_on_every_route(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path, route: str
) -> None:
    made = emulator.add_category("Applications")
    source = make_file(tmp_path / "App.pkg", 10_000, seed=6)

    run = cli("upload", str(source), "--route", route, "--category", "Applications")

    assert run.code == 0, run
    assert category_of(emulator) == made["id"]


@pytest.mark.parametrize("count", [1, 2], ids=["one file", "a batch"])
@pytest.mark.parametrize("route", ROUTES)
def test_cli_unknown_category_fails_before_anything_is_sent(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path, route: str, count: int
) -> None:
    sources = [make_file(tmp_path / f"App{n}.pkg", 10_000, seed=n) for n in range(count)]
    emulator.clear_request_log()
    emulator.clear_s3_request_log()

    run = cli("upload", *map(str, sources), "--route", route, "--category", "Nope")

    assert run.code == 1, run
    [line] = run.errors
    assert "no category named 'Nope'" in line
    assert "--create-category" in line
    assert "create_category" not in line
    assert_nothing_sent(emulator)


@pytest.mark.parametrize("route", ROUTES)
def test_cli_create_category_creates_it(
    cli: Cli, emulator: JamfEmulator, tmp_path: Path, route: str
) -> None:
    sources = [make_file(tmp_path / f"{n}.pkg", 10_000, seed=n) for n in range(2)]

    run = cli(
        "upload",
        *map(str, sources),
        "--route",
        route,
        "--category",
        "Fresh Apps",
        "--create-category",
    )

    assert run.code == 0, run
    [category] = emulator.categories()
    assert category["name"] == "Fresh Apps"
    assert {p["categoryId"] for p in emulator.packages()} == {category["id"]}


def test_cli_create_category_needs_a_category(cli: Cli, tmp_path: Path) -> None:
    source = make_file(tmp_path / "App.pkg", 10, seed=8)

    run = cli("upload", str(source), "--create-category")

    assert run.code == 2, run
    assert "--create-category" in run.stderr
