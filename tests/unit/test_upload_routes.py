"""The upload use-case's routes, re-runs and verification, against in-memory fakes.

Both kinds of store: file-first (the seed's JCDS route, a file share) and package-first
(Jamf's packages route: ``InMemoryFileStore(into_packages=True)`` with ``PackageFirst``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import attrs
import pytest

from jcds2.application.batch import UploadPackageFiles
from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.application.upload import UploadPackageFile
from jcds2.application.upload_orders import FileFirst, PackageFirst
from jcds2.domain.errors import (
    ConfigurationError,
    CorruptUploadError,
    PackageExistsError,
    PackageNameTakenError,
    ServerRejectedUploadError,
    ServerUnreachableError,
    UploadError,
    VerificationTimeoutError,
)
from jcds2.domain.models import HashType, OnExists, Package, PackageSpec
from jcds2.domain.transfer import TransferConfig
from jcds2.testing import (
    InMemoryFileStore,
    InMemoryObjectUploader,
    InMemoryPackageRepository,
    InMemoryPackageTarget,
    flat_package,
)

OLD = flat_package(4 + 9 * 500, seed=1)
NEW = flat_package(4 + 9 * 700, seed=2)


class FakeTime:
    """A clock that only moves when the use-case sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@attrs.define
class Route:
    packages: InMemoryPackageRepository
    files: InMemoryFileStore
    uploader: InMemoryObjectUploader
    upload: UploadPackageFile
    time: FakeTime

    @property
    def package_first(self) -> bool:
        return self.files.into_packages

    def server_hash(self, data: bytes) -> tuple[str, str]:
        """The hash type and value the package records for ``data`` on this route."""
        if self.package_first:
            return HashType.SHA3_512.value, hashlib.sha3_512(data).hexdigest()
        return HashType.SHA_512.value, hashlib.sha512(data).hexdigest()


def make_route(package_first: bool, **config: object) -> Route:
    settings: dict[str, object] = {"backoff_base": 0, **config}
    transfer = TransferConfig(**settings)  # type: ignore[arg-type]
    files = InMemoryFileStore(into_packages=package_first)
    packages = InMemoryPackageRepository(store=files)
    uploader = InMemoryObjectUploader(files, config=transfer)
    time = FakeTime()
    order = PackageFirst() if package_first else FileFirst()
    upload = UploadPackageFile(
        packages, files, uploader, transfer, clock=time.clock, sleep=time.sleep, order=order
    )
    return Route(packages, files, uploader, upload, time)


@pytest.fixture(params=[False, True], ids=["file-first", "package-first"])
def route(request: pytest.FixtureRequest) -> Route:
    return make_route(request.param)


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "old" / "Tool.pkg"
    path.parent.mkdir()
    path.write_bytes(OLD)
    return path


@pytest.fixture
def new_file(tmp_path: Path) -> Path:
    path = tmp_path / "new" / "Tool.pkg"
    path.parent.mkdir()
    path.write_bytes(NEW)
    return path


def reported(route: Route, package_id: int, data: bytes) -> None:
    """Make the fake repository report ``data``'s hash for a package, as a server would."""
    hash_type, value = route.server_hash(data)
    package = route.packages.packages[package_id]
    route.packages.packages[package_id] = attrs.evolve(
        package, hash_type=hash_type, hash_value=value, size=len(data)
    )


# --- both kinds of store ------------------------------------------------------------------


def test_an_upload_is_verified_and_registered(route: Route, old_file: Path) -> None:
    route.files.pending_looks = 2

    result = route.upload(old_file, category="Tools", priority=7)

    assert result.verified is True
    assert result.sha3_512 == hashlib.sha3_512(OLD).hexdigest()
    assert (result.hash_type.value, result.hash_value) == route.server_hash(OLD)
    assert route.files.contents == {"Tool.pkg": OLD}
    assert route.files.refreshes == ["Tool.pkg"]
    # Pending twice after the refresh, then ready: three looks, two waits.
    assert route.files.looks == 3
    assert len(route.time.sleeps) == 2
    (spec,) = route.packages.specs.values()
    assert (spec.category, spec.priority) == ("Tools", 7)
    assert list(route.packages.packages) == [result.package_id]


def test_the_package_first_store_gets_the_package_before_the_file(old_file: Path) -> None:
    route = make_route(package_first=True)

    result = route.upload(old_file)

    (target,) = route.files.tickets
    assert target == InMemoryPackageTarget(file_name="Tool.pkg", package_id=result.package_id)
    (spec,) = route.packages.specs.values()
    assert spec.hash_type is None  # the server records the hash on this route


def test_without_verify_the_file_is_still_refreshed_but_not_awaited(
    route: Route, old_file: Path
) -> None:
    route.files.pending_looks = 5

    result = route.upload(old_file, verify=False)

    assert result.verified is False
    assert route.files.refreshes == ["Tool.pkg"]
    assert route.files.looks == 0


def test_a_corrupt_upload_is_an_error_and_leaves_nothing(route: Route, old_file: Path) -> None:
    route.files.server_outcomes.append("corrupt")

    with pytest.raises(CorruptUploadError, match="other bytes") as caught:
        route.upload(old_file)

    assert "deleted again" in str(caught.value)
    assert route.files.contents == {}
    assert route.packages.packages == {}


def test_a_failed_upload_on_the_server_is_sent_again(route: Route, old_file: Path) -> None:
    route.files.server_outcomes.extend(["zero_size", "zero_size"])

    result = route.upload(old_file)

    assert result.verified is True
    assert len(route.uploader.uploads) == 3
    assert route.files.contents == {"Tool.pkg": OLD}


def test_the_server_failing_every_time_is_reported_after_the_retries(old_file: Path) -> None:
    route = make_route(package_first=True, upload_retries=1)
    route.files.server_outcomes.extend(["zero_size"] * 5)

    with pytest.raises(ServerRejectedUploadError, match="2 times") as caught:
        route.upload(old_file)

    assert "size of 0" in str(caught.value)
    assert len(route.uploader.uploads) == 2
    assert route.packages.packages == {}


def test_a_server_that_never_confirms_times_out_and_cleans_up(route: Route, old_file: Path) -> None:
    route.files.pending_looks = 10**6

    with pytest.raises(VerificationTimeoutError, match="within 1200 s") as caught:
        route.upload(old_file)

    # The last look's reason: a new package has no hash yet; a new file is not listed yet.
    last = "no hash reported yet" if route.package_first else "the file is not listed yet"
    assert f"(last: {last})" in str(caught.value)
    assert sum(route.time.sleeps) == pytest.approx(1200)
    assert max(route.time.sleeps) <= route.upload.config.verify_poll_max
    assert route.packages.packages == {}
    assert route.files.contents == {}


def test_a_passing_failure_while_looking_is_retried(route: Route, old_file: Path) -> None:
    route.files.fail_describe.append(ServerUnreachableError("timed out"))

    assert route.upload(old_file).verified is True


def test_an_interrupted_wait_cleans_up(route: Route, old_file: Path) -> None:
    cancel = CancelToken()
    route.files.pending_looks = 10**6

    def sleep(seconds: float) -> None:
        cancel.cancel()  # as if Ctrl-C came while waiting for the server

    route.upload.sleep = sleep

    with pytest.raises(TransferCancelledError):
        route.upload(old_file, cancel=cancel)

    assert route.packages.packages == {}
    assert route.files.contents == {}


def test_a_taken_package_name_is_refused_before_any_byte_is_sent(
    route: Route, old_file: Path
) -> None:
    route.packages.add("Tool", "Other.pkg")

    with pytest.raises(PackageNameTakenError, match="'Tool' already exists"):
        route.upload(old_file, package_name="Tool")

    assert route.uploader.uploads == []


# --- on_exists ------------------------------------------------------------------------------


def test_fail_is_the_default(route: Route, old_file: Path) -> None:
    route.upload(old_file)

    with pytest.raises(PackageExistsError, match="on_exists='skip'"):
        route.upload(old_file)

    assert len(route.uploader.uploads) == 1


@pytest.mark.parametrize("mode", ["skip", "replace"])
def test_the_same_file_is_not_sent_again(route: Route, old_file: Path, mode: str) -> None:
    first = route.upload(old_file)
    reported(route, first.package_id, OLD)

    again = route.upload(old_file, on_exists=mode)

    assert again.skipped is True
    assert again.replaced is False
    assert again.package_id == first.package_id
    assert len(route.uploader.uploads) == 1


@pytest.mark.parametrize(
    ("hash_field", "hasher"),
    [("md5", hashlib.md5), ("sha3_512", hashlib.sha3_512)],
)
def test_skip_uses_whichever_hash_the_server_reports(
    route: Route, old_file: Path, hash_field: str, hasher: object
) -> None:
    digest = hasher(OLD).hexdigest()  # type: ignore[operator]
    package = route.packages.add("Tool.pkg", "Tool.pkg", **{hash_field: digest.upper()})

    result = route.upload(old_file, on_exists=OnExists.SKIP)

    assert result.skipped is True
    assert result.package_id == package.id
    assert result.hash_value == digest
    # The SHA3-512 is reported when the skip computed it, never beside another hash type.
    assert result.sha3_512 == (digest if hash_field == "sha3_512" else None)
    assert route.uploader.uploads == []


def test_skip_refuses_a_different_file(route: Route, old_file: Path, new_file: Path) -> None:
    first = route.upload(old_file)
    reported(route, first.package_id, OLD)

    with pytest.raises(PackageExistsError, match="differs from the local one"):
        route.upload(new_file, on_exists="skip")

    assert route.files.contents == {"Tool.pkg": OLD}


def test_a_rerun_with_skip_sends_nothing_on_either_route(route: Route, old_file: Path) -> None:
    # No hand-made report: each fake repository learns the hash the way its server does
    # (the package created with it, or the packages route's store taking the file in).
    first = route.upload(old_file)

    again = route.upload(old_file, on_exists="skip")

    assert (again.skipped, again.package_id) == (True, first.package_id)
    assert len(route.uploader.uploads) == 1


def test_skip_refuses_when_the_server_reports_no_hash(route: Route, old_file: Path) -> None:
    route.packages.add("Tool.pkg", "Tool.pkg")

    with pytest.raises(PackageExistsError, match="cannot be told"):
        route.upload(old_file, on_exists="skip")


def test_replace_keeps_the_package_and_swaps_the_file(
    route: Route, old_file: Path, new_file: Path
) -> None:
    first = route.upload(old_file)
    reported(route, first.package_id, OLD)
    route.files.pending_looks = 1

    result = route.upload(new_file, on_exists="replace")

    assert result.replaced is True
    assert result.verified is True
    assert result.package_id == first.package_id
    assert len(route.files.tickets) == 2  # one upload opened per send, none just to look
    assert list(route.packages.packages) == [first.package_id]
    assert route.files.contents == {"Tool.pkg": NEW}
    package = route.packages.packages[first.package_id]
    if route.package_first:
        assert (result.hash_type.value, result.hash_value) == route.server_hash(NEW)
    else:  # the seed's route records the new hash in the package itself
        assert (package.hash_type, package.hash_value) == route.server_hash(NEW)


def test_a_failed_replace_keeps_the_package(route: Route, old_file: Path, new_file: Path) -> None:
    first = route.upload(old_file)
    reported(route, first.package_id, OLD)
    route.files.server_outcomes.append("corrupt")

    with pytest.raises(CorruptUploadError, match=f"package {first.package_id} is kept"):
        route.upload(new_file, on_exists="replace")

    assert list(route.packages.packages) == [first.package_id]


def test_an_unknown_on_exists_is_a_configuration_error(route: Route, old_file: Path) -> None:
    with pytest.raises(ConfigurationError, match="'fail', 'skip', 'replace'"):
        route.upload(old_file, on_exists="overwrite")


# --- the packages route's own failures ---------------------------------------------------


def test_a_failed_upload_deletes_the_package_it_made(old_file: Path) -> None:
    route = make_route(package_first=True)
    route.uploader.fail_upload.append(UploadError("connection reset"))

    with pytest.raises(UploadError, match="deleted again"):
        route.upload(old_file)

    assert route.packages.packages == {}
    assert len(route.packages.deleted) == 1


def test_a_package_whose_deletion_fails_is_named_in_the_error(old_file: Path) -> None:
    route = make_route(package_first=True)
    route.files.server_outcomes.append("corrupt")
    attempts = route.upload.config.max_attempts
    route.packages.fail_delete.extend([ServerUnreachableError("timed out")] * attempts)

    with pytest.raises(CorruptUploadError, match="could not be deleted; delete it in Jamf Pro"):
        route.upload(old_file)


def test_a_package_created_although_its_answer_was_lost_is_used(old_file: Path) -> None:
    route = make_route(package_first=True)
    route.packages.create_then_fail.append(ServerUnreachableError("read timed out"))

    result = route.upload(old_file)

    assert list(route.packages.packages) == [result.package_id]
    assert route.files.contents == {"Tool.pkg": OLD}


# --- batches ----------------------------------------------------------------------------------


def test_a_batch_gives_a_result_or_an_error_per_file(route: Route, tmp_path: Path) -> None:
    paths = []
    for index, name in enumerate(["A.pkg", "B.pkg", "C.pkg"]):
        path = tmp_path / name
        path.write_bytes(flat_package(1004, seed=index))
        paths.append(path)
    route.packages.add("B.pkg", "B.pkg")  # taken: fails
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "A.pkg").write_bytes(b"another A")
    seen: dict[str, int] = {}

    def progress(name: str, count: int) -> None:
        seen[name] = seen.get(name, 0) + count

    items = UploadPackageFiles(route.upload)([*paths, twin / "A.pkg"], workers=2, progress=progress)

    assert [item.path for item in items] == [*paths, twin / "A.pkg"]
    assert [item.ok for item in items] == [True, False, True, False]
    assert isinstance(items[1].error, PackageExistsError)
    assert isinstance(items[3].error, ConfigurationError)
    assert "same file name" in str(items[3].error)
    assert items[0].result is not None
    assert items[0].result.file_name == "A.pkg"
    assert seen == {"A.pkg": 1004, "C.pkg": 1004}
    assert sorted(route.files.contents) == ["A.pkg", "C.pkg"]


def test_a_batch_refuses_a_silly_worker_count(route: Route, old_file: Path) -> None:
    with pytest.raises(ConfigurationError, match="workers"):
        UploadPackageFiles(route.upload)([old_file], workers=0)


def test_a_cancelled_batch_stops_and_cleans_up(route: Route, tmp_path: Path) -> None:
    paths = []
    for index, name in enumerate(["A.pkg", "B.pkg"]):
        path = tmp_path / name
        path.write_bytes(flat_package(4 + len(name) * 100, seed=index))
        paths.append(path)
    cancel = CancelToken()
    cancel.cancel()

    with pytest.raises(TransferCancelledError):
        UploadPackageFiles(route.upload)(paths, cancel=cancel)

    assert route.files.contents == {}
    assert route.packages.packages == {}


# --- another upload of the same file name at the same moment --------------------------------


@attrs.define
class OutrunRepository(InMemoryPackageRepository):
    """Another upload of the same file name makes its package just before this one's."""

    def create(self, spec: PackageSpec) -> Package:
        if not any(p.file_name == spec.file_name for p in self.packages.values()):
            self.add(spec.name, spec.file_name, hash_type="SHA_512", hash_value="ab" * 64)
            raise PackageNameTakenError("Duplicate name", status=409)
        return super().create(spec)


@pytest.mark.parametrize("package_first", [False, True], ids=["file-first", "package-first"])
def test_an_upload_outrun_by_another_of_the_same_name_is_told_so(
    package_first: bool, old_file: Path
) -> None:
    route = make_route(package_first)
    route.packages = OutrunRepository(store=route.files)
    route.upload.packages = route.packages

    with pytest.raises(PackageExistsError, match="at the same moment"):
        route.upload(old_file)

    (other,) = route.packages.packages.values()
    assert other.hash_value == "ab" * 64  # the other upload's package is kept as it was
    assert route.packages.deleted == []
    if package_first:
        assert route.uploader.uploads == []  # no byte was sent into the other's package
