"""``SyncDistributionPoints`` over the in-memory JCDS and real temporary folders."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import attrs
import pytest

from jcds2.adapters.file_share import FolderOpener
from jcds2.application.cancel import CancelToken
from jcds2.application.download import DownloadFile
from jcds2.application.remote_files import RemoveFile
from jcds2.application.sync import CloudPoint, SyncDistributionPoints
from jcds2.application.upload import UploadPackageFile
from jcds2.domain.errors import (
    DistributionPointUnavailableError,
    TransferCancelledError,
    UploadError,
    UsageError,
)
from jcds2.domain.models import RemoteFile
from jcds2.domain.sync import Endpoint, PointKind, SyncAction
from jcds2.domain.transfer import TransferConfig
from jcds2.domain.usage import PackageUser, UserKind
from jcds2.testing import (
    InMemoryFileStore,
    InMemoryObjectUploader,
    InMemoryPackageRepository,
    InMemoryPackageUsers,
    InMemoryRangeFetcher,
    flat_package,
)

OLD = time.time() - 3600
JCDS = Endpoint(PointKind.JCDS)


@attrs.define
class CountingFiles:
    """The in-memory store, counting its listings."""

    inner: InMemoryFileStore
    listings: int = 0

    def list_files(self) -> list[RemoteFile]:
        self.listings += 1
        return self.inner.list_files()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@attrs.define
class World:
    files: InMemoryFileStore
    counting: CountingFiles
    packages: InMemoryPackageRepository
    uploader: InMemoryObjectUploader
    users: InMemoryPackageUsers
    cache: Path

    def sync(self, *, users: bool = True, **keywords: Any) -> SyncDistributionPoints:
        config = TransferConfig(backoff_base=0)
        files: Any = self.counting
        cloud = CloudPoint(
            files=files,
            catalog=self.packages,
            upload=UploadPackageFile(self.packages, files, self.uploader, config),
            download=DownloadFile(files, InMemoryRangeFetcher(self.files), config),
            remove=RemoveFile(self.packages, files, self.users),
            users=self.users if users else None,
        )
        return SyncDistributionPoints(
            folders=FolderOpener(config, cache_dir=self.cache), cloud=cloud, **keywords
        )


@pytest.fixture
def world(tmp_path: Path) -> World:
    files = InMemoryFileStore()
    packages = InMemoryPackageRepository(store=files)
    return World(
        files,
        CountingFiles(files),
        packages,
        InMemoryObjectUploader(files),
        InMemoryPackageUsers(),
        tmp_path / "cache",
    )


def build(folder: Path, count: int, *, seed: int = 0) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for index in range(count):
        data = flat_package(600 + index, seed=seed * 100 + index)
        path = folder / f"Tool{index}.pkg"
        path.write_bytes(data)
        os.utime(path, (OLD, OLD))
        made[path.name] = data
    return made


def folder(path: Path) -> Endpoint:
    return Endpoint(PointKind.FOLDER, os.fspath(path))


def test_a_folder_into_the_jcds_makes_a_package_of_every_file(world: World, tmp_path: Path) -> None:
    made = build(tmp_path / "build", 3)

    report = world.sync()(folder(tmp_path / "build"), JCDS)

    assert report.in_sync
    assert world.files.contents == made
    assert sorted(p.file_name for p in world.packages.packages.values()) == sorted(made)
    assert [r.step.action for r in report.results] == [SyncAction.COPY] * 3


def test_an_unchanged_sync_makes_no_per_file_request(world: World, tmp_path: Path) -> None:
    build(tmp_path / "build", 20)
    world.sync()(folder(tmp_path / "build"), JCDS)
    uploads, lookups = len(world.uploader.uploads), world.packages.lookups
    world.counting.listings = world.packages.listings = 0

    report = world.sync()(folder(tmp_path / "build"), JCDS)

    assert report.in_sync
    assert {r.step.action for r in report.results} == {SyncAction.KEEP}
    assert (world.counting.listings, world.packages.listings) == (1, 1)  # one of each
    assert world.packages.lookups == lookups  # not one look-up per file
    assert len(world.uploader.uploads) == uploads
    assert world.files.url_requests == 0


def test_a_changed_file_replaces_its_packages_file_and_keeps_the_id(
    world: World, tmp_path: Path
) -> None:
    build(tmp_path / "build", 2)
    world.sync()(folder(tmp_path / "build"), JCDS)
    ids = {p.file_name: p.id for p in world.packages.packages.values()}
    changed = build(tmp_path / "build", 1, seed=9)  # Tool0.pkg, new bytes

    report = world.sync()(folder(tmp_path / "build"), JCDS)

    assert {r.step.file_name: r.step.action for r in report.results} == {
        "Tool0.pkg": SyncAction.REPLACE,
        "Tool1.pkg": SyncAction.KEEP,
    }
    assert report.in_sync
    assert world.files.contents["Tool0.pkg"] == changed["Tool0.pkg"]
    assert {p.file_name: p.id for p in world.packages.packages.values()} == ids


def test_the_jcds_into_a_folder_and_a_share(world: World, tmp_path: Path) -> None:
    made = build(tmp_path / "build", 2)
    world.sync()(folder(tmp_path / "build"), JCDS)
    (tmp_path / "share" / "Packages").mkdir(parents=True)
    share = Endpoint(PointKind.SHARE, os.fspath(tmp_path / "share"))

    report = world.sync()(JCDS, folder(tmp_path / "mirror"), share)

    assert report.in_sync
    for place in (tmp_path / "mirror", tmp_path / "share" / "Packages"):
        assert {name: (place / name).read_bytes() for name in made} == made
    assert world.sync()(JCDS, folder(tmp_path / "mirror"), share, dry_run=True).in_sync


def test_deleting_from_the_jcds_spares_a_package_in_use(world: World, tmp_path: Path) -> None:
    build(tmp_path / "build", 3)
    world.sync()(folder(tmp_path / "build"), JCDS)
    used = next(p for p in world.packages.packages.values() if p.file_name == "Tool1.pkg")
    world.users.use(used.id, PackageUser(UserKind.POLICY, 4, "Install"))
    for name in ("Tool1.pkg", "Tool2.pkg"):
        (tmp_path / "build" / name).unlink()

    report = world.sync()(folder(tmp_path / "build"), JCDS, delete=True)

    assert {r.step.file_name: r.step.action for r in report.results} == {
        "Tool0.pkg": SyncAction.KEEP,
        "Tool1.pkg": SyncAction.REFUSE,
        "Tool2.pkg": SyncAction.DELETE,
    }
    assert not report.in_sync
    assert sorted(world.files.contents) == ["Tool0.pkg", "Tool1.pkg"]
    # Read once for the plan, once more by the deletion itself (a policy may be new).
    assert world.users.looks == 2

    forced = world.sync()(folder(tmp_path / "build"), JCDS, delete=True, force=True)

    assert forced.in_sync
    assert sorted(world.files.contents) == ["Tool0.pkg"]
    assert sorted(p.file_name for p in world.packages.packages.values()) == ["Tool0.pkg"]


def test_without_a_way_to_check_usage_every_jcds_deletion_is_refused(
    world: World, tmp_path: Path
) -> None:
    build(tmp_path / "build", 1)
    world.sync()(folder(tmp_path / "build"), JCDS)
    (tmp_path / "build" / "Tool0.pkg").unlink()

    report = world.sync(users=False)(folder(tmp_path / "build"), JCDS, delete=True)

    (result,) = report.results
    assert result.step.action is SyncAction.REFUSE
    assert "could not check" in (result.step.reason or "")
    assert "Tool0.pkg" in world.files.contents


def test_a_deletion_from_a_share_is_checked_against_the_package_of_its_file(
    world: World, tmp_path: Path
) -> None:
    build(tmp_path / "share" / "Packages", 2)
    world.sync()(Endpoint(PointKind.SHARE, os.fspath(tmp_path / "share")), JCDS)
    used = next(p for p in world.packages.packages.values() if p.file_name == "Tool0.pkg")
    world.users.use(used.id, PackageUser(UserKind.PRESTAGE, 2, "Lab"))
    (tmp_path / "empty").mkdir()

    report = world.sync()(
        folder(tmp_path / "empty"),
        Endpoint(PointKind.SHARE, os.fspath(tmp_path / "share")),
        delete=True,
    )

    assert {r.step.file_name: r.step.action for r in report.results} == {
        "Tool0.pkg": SyncAction.REFUSE,
        "Tool1.pkg": SyncAction.DELETE,
    }
    assert sorted(p.name for p in (tmp_path / "share" / "Packages").glob("*.pkg")) == ["Tool0.pkg"]


def test_an_unreachable_destination_is_skipped_and_the_others_proceed(
    world: World, tmp_path: Path
) -> None:
    made = build(tmp_path / "build", 2)
    unmounted = Endpoint(PointKind.SHARE, os.fspath(tmp_path / "Volumes" / "Gone"))

    report = world.sync()(folder(tmp_path / "build"), unmounted, folder(tmp_path / "mirror"))

    gone, mirror = report.plan.destinations
    assert gone.error is not None
    assert "mounted" in gone.error
    assert mirror.error is None
    assert not report.in_sync
    assert sorted(p.name for p in (tmp_path / "mirror").glob("*.pkg")) == sorted(made)


def test_an_unreachable_source_fails_the_sync(world: World, tmp_path: Path) -> None:
    with pytest.raises(DistributionPointUnavailableError):
        world.sync()(Endpoint(PointKind.SHARE, os.fspath(tmp_path / "nowhere")), JCDS)


def test_an_interrupted_sync_resumes_with_what_is_left(world: World, tmp_path: Path) -> None:
    build(tmp_path / "build", 4)
    world.uploader.fail_upload.extend([UploadError("connection lost")])

    first = world.sync(workers=1)(folder(tmp_path / "build"), JCDS)

    failed = [r for r in first.results if r.error is not None]
    assert len(failed) == 1
    assert not first.in_sync
    assert len(world.files.contents) == 3
    uploads = len(world.uploader.uploads)

    second = world.sync()(folder(tmp_path / "build"), JCDS)

    assert second.in_sync
    assert [r.step.file_name for r in second.results if r.step.action is SyncAction.COPY] == [
        failed[0].step.file_name
    ]
    assert len(world.uploader.uploads) == uploads + 1
    assert len(world.files.contents) == 4


def test_a_dry_run_changes_nothing(world: World, tmp_path: Path) -> None:
    build(tmp_path / "build", 2)

    report = world.sync()(folder(tmp_path / "build"), JCDS, folder(tmp_path / "m"), dry_run=True)

    assert not report.in_sync
    assert [r.step.action for r in report.results] == [SyncAction.COPY] * 4
    assert world.files.contents == {}
    assert world.packages.packages == {}
    assert list((tmp_path / "m").iterdir()) == []


def test_a_tampered_file_on_a_share_is_replaced(world: World, tmp_path: Path) -> None:
    made = build(tmp_path / "build", 2)
    share = Endpoint(PointKind.SHARE, os.fspath(tmp_path / "share"))
    (tmp_path / "share" / "Packages").mkdir(parents=True)
    world.sync()(folder(tmp_path / "build"), share)
    tampered = tmp_path / "share" / "Packages" / "Tool1.pkg"
    data = bytearray(tampered.read_bytes())
    data[-1] ^= 0xFF
    tampered.write_bytes(bytes(data))  # same size, new time

    report = world.sync()(folder(tmp_path / "build"), share)

    assert [r.step.action for r in report.results] == [SyncAction.KEEP, SyncAction.REPLACE]
    assert tampered.read_bytes() == made["Tool1.pkg"]


def test_points_are_checked_before_anything_is_read(world: World, tmp_path: Path) -> None:
    sync = world.sync()
    with pytest.raises(UsageError, match="itself"):
        sync(JCDS, JCDS)
    with pytest.raises(UsageError, match="twice"):
        sync(JCDS, folder(tmp_path), folder(tmp_path))
    with pytest.raises(UsageError, match="server"):
        SyncDistributionPoints(folders=FolderOpener())(folder(tmp_path), JCDS)


def test_a_sync_cancelled_midway_is_finished_by_running_it_again(
    world: World, tmp_path: Path
) -> None:
    made = build(tmp_path / "build", 6)
    token = CancelToken()
    moved: list[int] = []

    def progress(count: int) -> None:
        moved.append(count)
        if len(moved) == 2:
            token.cancel()  # as Ctrl-C does, while files are moving

    with pytest.raises(TransferCancelledError):
        world.sync(workers=1)(
            folder(tmp_path / "build"), folder(tmp_path / "mirror"), progress=progress, cancel=token
        )
    partly = sorted(p.name for p in (tmp_path / "mirror").glob("*.pkg"))
    assert 0 < len(partly) < len(made)

    report = world.sync()(folder(tmp_path / "build"), folder(tmp_path / "mirror"))

    assert report.in_sync
    assert (
        sorted(r.step.file_name for r in report.results if r.step.action is SyncAction.KEEP)
        == partly
    )
    assert {p.name: p.read_bytes() for p in (tmp_path / "mirror").glob("*.pkg")} == made
