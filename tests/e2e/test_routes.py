"""The same end-to-end tests for every route: the seed's JCDS route, Jamf's packages route
and a file-share distribution point, each through the public client against the emulator.

Upload (verified by what the server reports), download, skip, replace, verification
failure and interruption cleanup, and batches. Where a route needs a fault the emulator
cannot make (corrupting bytes already stored in S3 or on a share), a thin wrapper around
the route's real uploader changes the stored bytes after the real upload.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import boto3
import pytest
from dependency_injector import providers

from jcds2 import BasicAuthProvider, JamfProClient, MiB, TransferConfig
from jcds2.adapters.file_share import FileShareTarget
from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.application.ports import ObjectUploader, ProgressCallback
from jcds2.container.client import Jcds2
from jcds2.domain.errors import CorruptUploadError, PackageExistsError, SourceChangedError
from jcds2.domain.models import LocalFile, UploadTarget, UploadTicket
from jcds2.emulator import CorruptUploadFault, JamfEmulator, ZeroSizeUploadFault
from tests.helpers import make_file, on_route

ROUTES = ["jcds", "packages", "file_share"]


@attrs.define
class Tampering:
    """The route's real uploader, then ``spoil(target)`` on what it stored (once)."""

    inner: ObjectUploader
    spoil: Callable[[UploadTarget], None]
    armed: bool = False

    def discard(self, target: UploadTarget) -> bool:
        return self.inner.discard(target)

    def upload(
        self,
        target: UploadTarget,
        source: LocalFile,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> bool:
        multipart = self.inner.upload(target, source, progress=progress, cancel=cancel)
        if self.armed:
            self.armed = False
            self.spoil(target)
        return multipart


@attrs.define
class Route:
    """One route, seen through the public client, plus what the test needs to look behind."""

    name: str
    client: JamfProClient
    emulator: JamfEmulator
    share: Path | None
    tampering: Tampering | None = None

    @property
    def api(self) -> Jcds2:
        return self.client.jcds2

    def stored_names(self) -> list[str]:
        if self.share is not None:
            return sorted(p.name for p in self.share.iterdir() if not p.name.startswith("."))
        return sorted(f["fileName"] for f in self.emulator.jcds_files())

    def packages(self) -> list[dict[str, Any]]:
        return self.emulator.packages()

    def corrupt_next_upload(self) -> None:
        if self.name == "packages":
            self.emulator.add_fault(
                CorruptUploadFault(path=r"/api/v1/packages/\d+/upload", times=1)
            )
        else:
            assert self.tampering is not None
            self.tampering.armed = True

    def upload_requests(self) -> int:
        """How many times file bytes were sent (S3 PUTs, form POSTs or share writes)."""
        if self.name == "packages":
            return sum(
                1
                for r in self.emulator.request_log
                if r.method == "POST" and r.path.endswith("/upload")
            )
        if self.name == "jcds":
            return sum(1 for r in self.emulator.s3_request_log if r.method == "PUT")
        raise AssertionError("count share writes through the file's inode and mtime instead")


def _spoil_s3(emulator: JamfEmulator) -> Callable[[UploadTarget], None]:
    def spoil(target: UploadTarget) -> None:
        assert isinstance(target, UploadTicket)
        s3 = boto3.client(
            "s3",
            endpoint_url=emulator.s3_endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="tamper",
            aws_secret_access_key="tamper",  # the S3 server accepts any
        )
        body = s3.get_object(Bucket=target.bucket, Key=target.key)["Body"].read()
        s3.put_object(Bucket=target.bucket, Key=target.key, Body=bytes([body[0] ^ 1]) + body[1:])

    return spoil


def _spoil_share(target: UploadTarget) -> None:
    assert isinstance(target, FileShareTarget)
    with target.path.open("r+b") as handle:
        first = handle.read(1)
        handle.seek(0)
        handle.write(bytes([first[0] ^ 1]))


@pytest.fixture(params=ROUTES)
def route(
    request: pytest.FixtureRequest, emulator: JamfEmulator, tmp_path: Path
) -> Iterator[Route]:
    name = request.param
    config = TransferConfig(
        multipart_threshold=5 * MiB,
        part_size=5 * MiB,
        range_size=1 * MiB,
        concurrency=4,
        max_attempts=3,
        read_timeout=15.0,
        verify_poll_initial=0.05,
        verify_poll_max=0.2,
        verify_timeout=30.0,
    )
    share = None
    if name == "file_share":
        share = tmp_path / "CasperShare" / "Packages"
        share.mkdir(parents=True)
    if name == "packages":
        emulator.set_transfer_delay(0.3)  # PENDING for a while after the refresh
    with JamfProClient(
        emulator.url,
        BasicAuthProvider(emulator.username, emulator.password),
        transfer_config=config,
        s3_endpoint_url=emulator.s3_endpoint_url,
        file_share=None if share is None else share.parent,
        route="packages" if name == "packages" else "jcds",
    ) as client:
        found = Route(name, client, emulator, share)
        if name != "packages":
            spoil = _spoil_share if share is not None else _spoil_s3(emulator)
            found.tampering = Tampering(client.container.object_uploader(), spoil)
            client.container.object_uploader.override(providers.Object(found.tampering))
        yield found


def _file(path: Path, size: int, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return make_file(path, size, seed=seed)


def _version(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


# --- upload and download ------------------------------------------------------------------


@pytest.mark.parametrize("size", [300_000, 6 * MiB + 5], ids=["small", "multipart-sized"])
def test_an_upload_is_verified_registered_and_downloads_whole(
    route: Route, tmp_path: Path, size: int
) -> None:
    source = make_file(tmp_path / "Tool 1.0.pkg", size, seed=size)
    data = source.read_bytes()

    result = route.api.upload_file(file_path=source, info="from CI", priority=5)

    assert result.verified is True
    assert result.sha3_512 == hashlib.sha3_512(data).hexdigest()
    (package,) = route.packages()
    assert package["id"] == str(result.package_id)
    assert (package["fileName"], package["info"], package["priority"]) == (
        "Tool 1.0.pkg",
        "from CI",
        5,
    )
    if route.name == "packages":  # the server's own verification
        assert package["hashType"] == "SHA3_512"
        assert package["hashValue"] == result.sha3_512
        assert (package["size"], package["cloudTransferStatus"]) == (str(size), "READY")
    else:  # the package records the SHA-512 the client computed
        assert (package["hashType"], package["hashValue"]) == (
            "SHA_512",
            hashlib.sha512(data).hexdigest(),
        )
    assert route.stored_names() == ["Tool 1.0.pkg"]

    out = tmp_path / "out"
    out.mkdir()
    downloaded = route.api.download_file(file_name="Tool 1.0.pkg", download_path=out)
    assert downloaded.path == out / "Tool 1.0.pkg"
    assert downloaded.path.read_bytes() == data


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("N" * 251 + ".pkg", id="255-ascii"),
        pytest.param("Ü" * 125 + "x.pkg", id="255-utf8"),
    ],
)
def test_a_name_of_255_bytes_makes_the_round_trip(route: Route, tmp_path: Path, name: str) -> None:
    assert len(name.encode("utf-8")) == 255
    source = make_file(tmp_path / name, 3 * MiB + 17, seed=255)

    uploaded = route.api.upload_file(file_path=source)

    assert uploaded.file_name == name
    assert route.stored_names() == [name]
    out = tmp_path / "out"
    out.mkdir()
    downloaded = route.api.download_file(file_name=name, download_path=out)
    assert downloaded.path == out / name
    assert downloaded.path.read_bytes() == source.read_bytes()
    assert os.listdir(out) == [name]


# --- re-runs --------------------------------------------------------------------------------


def test_the_default_refuses_a_file_name_in_use(route: Route, tmp_path: Path) -> None:
    source = make_file(tmp_path / "Taken.pkg", 5000, seed=1)
    route.api.upload_file(file_path=source)

    with pytest.raises(PackageExistsError, match="on_exists='skip'"):
        route.api.upload_file(file_path=source)

    assert len(route.packages()) == 1


def test_skip_returns_the_existing_package_without_sending_a_byte(
    route: Route, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Same.pkg", 200_000, seed=2)
    first = route.api.upload_file(file_path=source)
    if route.share is not None:
        before = _version(route.share / "Same.pkg")
    else:
        sent_before = route.upload_requests()

    again = route.api.upload_file(file_path=source, on_exists="skip")

    assert again.skipped is True
    assert again.package_id == first.package_id
    assert len(route.packages()) == 1
    if route.share is not None:
        assert _version(route.share / "Same.pkg") == before
    else:
        assert route.upload_requests() == sent_before


def test_skip_refuses_a_different_file_of_the_same_name(route: Route, tmp_path: Path) -> None:
    route.api.upload_file(file_path=_file(tmp_path / "a" / "Diff.pkg", 5000, 3))

    with pytest.raises(PackageExistsError, match="differs"):
        route.api.upload_file(
            file_path=_file(tmp_path / "b" / "Diff.pkg", 5000, 4), on_exists="skip"
        )


def test_replace_swaps_the_file_and_keeps_the_package_id(route: Route, tmp_path: Path) -> None:
    old = _file(tmp_path / "v1" / "App.pkg", 150_000, 5)
    new = _file(tmp_path / "v2" / "App.pkg", 170_000, 6)
    first = route.api.upload_file(file_path=old, notes="v1")

    result = route.api.upload_file(file_path=new, on_exists="replace")

    assert result.replaced is True
    assert result.verified is True
    assert result.package_id == first.package_id
    (package,) = route.packages()
    assert package["id"] == str(first.package_id)
    assert package["notes"] == "v1"  # the package itself is untouched
    out = route.api.download_file(
        file_name="App.pkg", download_path=tmp_path / "App-downloaded.pkg"
    )
    assert out.path.read_bytes() == new.read_bytes()
    # And a re-run of the replacement has nothing left to do.
    assert route.api.upload_file(file_path=new, on_exists="replace").skipped is True


# --- failures leave nothing behind ----------------------------------------------------------


def test_a_corrupted_upload_fails_verification_and_leaves_nothing(
    route: Route, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Broken.pkg", 100_000, seed=7)
    route.corrupt_next_upload()

    with pytest.raises(CorruptUploadError, match="other bytes") as caught:
        route.api.upload_file(file_path=source)

    assert "deleted again" in str(caught.value)
    assert route.packages() == []
    assert route.stored_names() == []


def test_a_failed_replacement_keeps_the_package(route: Route, tmp_path: Path) -> None:
    first = route.api.upload_file(file_path=_file(tmp_path / "v1" / "Keep.pkg", 9000, 8))
    route.corrupt_next_upload()

    with pytest.raises(CorruptUploadError, match=f"package {first.package_id} is kept"):
        route.api.upload_file(
            file_path=_file(tmp_path / "v2" / "Keep.pkg", 9000, 9),
            on_exists="replace",
        )

    assert [p["id"] for p in route.packages()] == [str(first.package_id)]


def test_an_interrupted_upload_leaves_nothing(route: Route, tmp_path: Path) -> None:
    source = make_file(tmp_path / "Stopped.pkg", 7 * MiB, seed=10)
    cancel = CancelToken()

    def progress(_count: int) -> None:
        cancel.cancel()  # as the command line does on Ctrl-C

    with pytest.raises(TransferCancelledError):
        route.api.upload_file(file_path=source, progress=progress, cancel=cancel)

    assert route.packages() == []
    assert route.stored_names() == []
    if route.share is not None:
        assert os.listdir(route.share) == []  # no temporary file either
    if route.name == "jcds":
        assert route.emulator.multipart_uploads_in_progress() == []


@pytest.mark.parametrize("size", [300_000, 11 * MiB + 3], ids=["single", "multipart-sized"])
def test_a_source_rewritten_during_the_upload_fails_and_leaves_nothing(
    route: Route, tmp_path: Path, size: int
) -> None:
    source = make_file(tmp_path / "Moving.pkg", size, seed=11)
    old = source.stat().st_mtime_ns - 3_600 * 10**9
    os.utime(source, ns=(old, old))  # a rewrite's new time differs, however coarse the clock
    rewritten: list[int] = []

    def progress(_count: int) -> None:
        if not rewritten:  # in place: same inode, same size, other bytes
            rewritten.append(1)
            with source.open("r+b") as handle:
                handle.write(os.urandom(4096))

    with pytest.raises(SourceChangedError, match="changed while it was being"):
        route.api.upload_file(file_path=source, progress=progress)

    assert rewritten
    assert route.packages() == []
    assert route.stored_names() == []
    if route.share is not None:
        assert os.listdir(route.share) == []
    if route.name == "jcds":
        assert route.emulator.multipart_uploads_in_progress() == []


# --- batches --------------------------------------------------------------------------------


def test_a_batch_uploads_what_it_can_and_reports_the_rest(route: Route, tmp_path: Path) -> None:
    taken = make_file(tmp_path / "Taken.pkg", 3000, seed=11)
    route.api.upload_file(file_path=taken)
    paths = [
        make_file(tmp_path / "One.pkg", 40_000, seed=12),
        taken,
        make_file(tmp_path / "Two.pkg", 6 * MiB, seed=13),
    ]

    items = route.api.upload_files(paths, workers=2)

    assert [item.path for item in items] == paths
    assert [item.ok for item in items] == [True, False, True]
    assert isinstance(items[1].error, PackageExistsError)
    assert all(item.result.verified for item in items if item.result is not None)
    assert route.stored_names() == ["One.pkg", "Taken.pkg", "Two.pkg"]
    assert sorted(p["fileName"] for p in route.packages()) == route.stored_names()


# --- the packages route's own server-side failure ---------------------------------------------


def test_a_packages_upload_the_server_reports_as_failed_is_sent_again(
    emulator: JamfEmulator, client: JamfProClient, tmp_path: Path
) -> None:
    emulator.add_fault(ZeroSizeUploadFault(path=r"/api/v1/packages/\d+/upload", times=1))
    source = make_file(tmp_path / "Flaky.pkg", 80_000, seed=14)

    with on_route(client, "packages") as packages:
        result = packages.jcds2.upload_file(file_path=source)

    assert result.verified is True
    sends = [r for r in emulator.request_log if r.path.endswith("/upload")]
    assert len(sends) == 2  # size 0 after the first, so it was sent again
    (package,) = emulator.packages()
    assert (package["size"], package["hashValue"]) == ("80000", result.sha3_512)
