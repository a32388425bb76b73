"""``UploadPackageFile`` over the in-memory fakes of its ports."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path
from typing import Any, NoReturn

import attrs
import pytest

from jcds2.application.cancel import CancelToken
from jcds2.application.ports import ProgressCallback
from jcds2.application.upload import UploadPackageFile
from jcds2.domain.errors import (
    ConfigurationError,
    EmptyFileError,
    InvalidFileNameError,
    JamfApiError,
    Jcds2Error,
    LocalFileError,
    LocalFileNotFoundError,
    NotARegularFileError,
    PackageCreationError,
    PackageExistsError,
    PackageNameTakenError,
    ServerUnreachableError,
    SourceChangedError,
    UnreadableFileError,
    UploadError,
)
from jcds2.domain.models import (
    HashType,
    LocalFile,
    Package,
    PackageSpec,
    UploadTarget,
)
from jcds2.domain.transfer import MiB, TransferConfig
from jcds2.testing import (
    InMemoryFileStore,
    InMemoryObjectUploader,
    InMemoryPackageRepository,
    flat_package,
)

CONTENT = flat_package(4 + 256 * 40)


@attrs.define
class World:
    """The use-case and the fakes behind it."""

    packages: InMemoryPackageRepository
    files: InMemoryFileStore
    uploader: InMemoryObjectUploader
    upload: UploadPackageFile

    def assert_untouched(self) -> None:
        assert self.files.tickets == []
        assert self.files.contents == {}
        assert self.uploader.uploads == []
        assert self.packages.packages == {}


def _world(config: TransferConfig | None = None) -> World:
    config = config or TransferConfig(backoff_base=0)
    packages, files = InMemoryPackageRepository(), InMemoryFileStore()
    uploader = InMemoryObjectUploader(files, config=config)
    return World(packages, files, uploader, UploadPackageFile(packages, files, uploader, config))


@attrs.define
class StoresThenFails:
    """An uploader whose object lands in the store but whose answer is lost."""

    inner: InMemoryObjectUploader
    error: Exception

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
        self.inner.upload(target, source, progress=progress, cancel=cancel)
        raise self.error


@attrs.define
class LookupFailsAfterCreate:
    """A repository whose failed ``create`` is followed by a failing lookup."""

    inner: InMemoryPackageRepository
    lookup_errors: list[Exception]

    def find_by_file_name(self, file_name: str) -> Package | None:
        return self.inner.find_by_file_name(file_name)

    def find_by_name(self, name: str) -> Package | None:
        return self.inner.find_by_name(name)

    def get(self, package_id: int) -> Package | None:
        return self.inner.get(package_id)

    def record_hash(self, package_id: int, hash_type: HashType, hash_value: str) -> None:
        self.inner.record_hash(package_id, hash_type, hash_value)

    def create(self, spec: PackageSpec) -> Package:
        try:
            return self.inner.create(spec)
        except Exception:
            self.inner.fail_lookup.extend(self.lookup_errors)
            raise

    def delete(self, package_id: int) -> None:
        self.inner.delete(package_id)


@pytest.fixture
def world() -> World:
    return _world()


@pytest.fixture
def package_file(tmp_path: Path) -> Path:
    path = tmp_path / "Firefox 128.pkg"
    path.write_bytes(CONTENT)
    return path


def _refuse_open(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise PermissionError(errno.EACCES, "Permission denied")


# --- the happy path -----------------------------------------------------------------------


def test_upload_stores_the_file_and_creates_its_package(world: World, package_file: Path) -> None:
    result = world.upload(package_file)

    sha512 = hashlib.sha512(CONTENT).hexdigest()
    assert world.files.contents == {"Firefox 128.pkg": CONTENT}
    package = world.packages.packages[result.package_id]
    assert package.name == "Firefox 128.pkg"
    assert package.file_name == "Firefox 128.pkg"
    assert package.hash_type == "SHA_512"
    assert package.hash_value == sha512
    assert world.packages.lookups == 1
    assert [ticket.file_name for ticket in world.files.tickets] == ["Firefox 128.pkg"]
    assert result.package_name == "Firefox 128.pkg"
    assert result.file_name == "Firefox 128.pkg"
    assert result.size == len(CONTENT)
    assert result.hash_type is HashType.SHA_512
    assert result.hash_value == sha512
    assert result.multipart is False


def test_a_source_changed_during_the_send_is_an_error_and_leaves_nothing(
    world: World, package_file: Path
) -> None:
    old = package_file.stat().st_mtime_ns - 3_600 * 10**9
    os.utime(package_file, ns=(old, old))

    def rewrite(_count: int) -> None:
        package_file.write_bytes(CONTENT[::-1])  # same size, other bytes

    with pytest.raises(SourceChangedError, match="changed while it was being uploaded"):
        world.upload(package_file, progress=rewrite)

    assert world.files.contents == {}
    assert world.packages.packages == {}


def test_upload_accepts_a_string_path(world: World, package_file: Path) -> None:
    result = world.upload(str(package_file))

    assert world.files.contents[result.file_name] == CONTENT


def test_elapsed_seconds_come_from_the_clock(world: World, package_file: Path) -> None:
    ticks = iter([100.0])
    world.upload.clock = lambda: next(ticks, 102.5)  # the start, then every later look

    result = world.upload(package_file)

    assert result.elapsed_seconds == 2.5


def test_details_reach_the_package_spec(world: World, package_file: Path) -> None:
    result = world.upload(
        package_file,
        package_name="Firefox (ESR)",
        category="Browsers",
        info="Mozilla Firefox",
        notes="uploaded by CI",
        priority=3,
    )

    spec = world.packages.specs[result.package_id]
    assert spec.name == "Firefox (ESR)"
    assert spec.file_name == "Firefox 128.pkg"
    assert (spec.category, spec.info, spec.notes, spec.priority) == (
        "Browsers",
        "Mozilla Firefox",
        "uploaded by CI",
        3,
    )
    assert spec.hash_type is HashType.SHA_512
    assert spec.hash_value == hashlib.sha512(CONTENT).hexdigest()
    assert result.package_name == "Firefox (ESR)"
    assert world.packages.packages[result.package_id].name == "Firefox (ESR)"


def test_progress_reports_every_byte(world: World, package_file: Path) -> None:
    moved: list[int] = []

    world.upload(package_file, progress=moved.append)

    assert sum(moved) == len(CONTENT)


def test_the_uploader_can_renew_credentials_through_the_store(package_file: Path) -> None:
    world = _world()
    world.uploader.renew_before_upload = True

    world.upload(package_file)

    assert world.files.renewals == 1
    assert world.files.contents == {"Firefox 128.pkg": CONTENT}


@pytest.mark.parametrize(("size", "multipart"), [(5 * MiB - 1, False), (5 * MiB, True)])
def test_multipart_at_and_above_the_threshold(tmp_path: Path, size: int, multipart: bool) -> None:
    world = _world(TransferConfig(multipart_threshold=5 * MiB, part_size=5 * MiB, backoff_base=0))
    path = tmp_path / "big.dmg"
    data = os.urandom(size)
    path.write_bytes(data)

    result = world.upload(path)

    assert result.multipart is multipart
    assert result.size == size
    assert world.files.contents["big.dmg"] == data
    assert world.packages.packages[result.package_id].hash_value == (
        hashlib.sha512(data).hexdigest()
    )


# --- refused before anything is sent -------------------------------------------------------


def test_missing_file(world: World, tmp_path: Path) -> None:
    with pytest.raises(LocalFileNotFoundError) as caught:
        world.upload(tmp_path / "nope.pkg")

    assert "nope.pkg" in str(caught.value)
    world.assert_untouched()
    assert world.packages.lookups == 0


def test_directory(world: World, tmp_path: Path) -> None:
    (tmp_path / "Bundle.pkg").mkdir()

    with pytest.raises(NotARegularFileError):
        world.upload(tmp_path / "Bundle.pkg")

    world.assert_untouched()
    assert world.packages.lookups == 0


def test_zero_byte_file(world: World, tmp_path: Path) -> None:
    (tmp_path / "empty.pkg").touch()

    with pytest.raises(EmptyFileError):
        world.upload(tmp_path / "empty.pkg")

    world.assert_untouched()
    assert world.packages.lookups == 0


def test_file_that_cannot_be_opened(
    world: World, package_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Path, "open", _refuse_open)

    with pytest.raises(UnreadableFileError) as caught:
        world.upload(package_file)

    assert caught.value.path == package_file
    world.assert_untouched()
    assert world.packages.lookups == 0


def test_file_without_read_permission(world: World, package_file: Path) -> None:
    package_file.chmod(0)
    try:
        if os.access(package_file, os.R_OK):
            pytest.skip("running as root: a mode 000 file is still readable")
        with pytest.raises(UnreadableFileError):
            world.upload(package_file)
    finally:
        package_file.chmod(0o600)

    world.assert_untouched()


def test_local_file_errors_are_jcds2_errors(world: World, tmp_path: Path) -> None:
    with pytest.raises(Jcds2Error) as caught:
        world.upload(tmp_path / "nope.pkg")

    assert isinstance(caught.value, LocalFileError)


def test_a_local_name_that_is_no_valid_jcds_name(world: World, tmp_path: Path) -> None:
    path = tmp_path / "tool..v2.pkg"
    path.write_bytes(CONTENT)

    with pytest.raises(InvalidFileNameError) as caught:
        world.upload(path)

    assert caught.value.file_name == "tool..v2.pkg"
    world.assert_untouched()
    assert world.packages.lookups == 0


def test_a_file_name_already_used_by_a_package(world: World, package_file: Path) -> None:
    existing = world.packages.add("Firefox 127", "Firefox 128.pkg")

    with pytest.raises(PackageExistsError) as caught:
        world.upload(package_file)

    assert caught.value.package_id == existing.id
    assert caught.value.package_name == "Firefox 127"
    assert str(existing.id) in str(caught.value)
    assert "'Firefox 127'" in str(caught.value)
    assert world.files.tickets == []
    assert world.files.contents == {}
    assert list(world.packages.packages.values()) == [existing]


def test_a_failing_lookup_stops_the_upload(world: World, package_file: Path) -> None:
    world.packages.fail_lookup.append(ServerUnreachableError("no answer"))

    with pytest.raises(ServerUnreachableError):
        world.upload(package_file)

    world.assert_untouched()


def test_an_out_of_range_priority_is_a_configuration_error(
    world: World, package_file: Path
) -> None:
    with pytest.raises(ConfigurationError, match="priority"):
        world.upload(package_file, priority=0)

    world.assert_untouched()


# --- failures after the upload started -----------------------------------------------------


def test_opening_the_upload_fails(world: World, package_file: Path) -> None:
    world.files.fail_open.append(JamfApiError("no upload for you", status=500))

    with pytest.raises(JamfApiError):
        world.upload(package_file)

    world.assert_untouched()


def test_upload_failure_propagates_and_creates_no_package(world: World, package_file: Path) -> None:
    failure = UploadError("S3 said no")
    world.uploader.fail_upload.append(failure)

    with pytest.raises(UploadError) as caught:
        world.upload(package_file)

    assert caught.value is failure
    assert world.files.contents == {}
    assert world.packages.packages == {}


def test_an_upload_whose_answer_was_lost_leaves_no_file(world: World, package_file: Path) -> None:
    failure = UploadError("connection reset after the last byte")
    upload = UploadPackageFile(
        world.packages, world.files, StoresThenFails(world.uploader, failure), world.upload.config
    )

    with pytest.raises(UploadError) as caught:
        upload(package_file)

    assert caught.value is failure
    assert world.files.contents == {}
    assert world.packages.packages == {}


def test_a_failing_cleanup_does_not_hide_the_upload_error(world: World, package_file: Path) -> None:
    failure = UploadError("S3 said no")
    world.uploader.fail_upload.append(failure)
    world.files.fail_delete.append(ServerUnreachableError("timed out"))

    with pytest.raises(UploadError) as caught:
        world.upload(package_file)

    assert caught.value is failure
    assert world.packages.packages == {}


def test_a_failed_upload_leaves_an_older_file_of_the_same_name_alone(
    world: World, package_file: Path
) -> None:
    world.files.contents["Firefox 128.pkg"] = b"an older build no package uses"
    world.uploader.fail_upload.append(UploadError("S3 refused the credentials"))

    with pytest.raises(UploadError):
        world.upload(package_file)

    assert world.files.contents == {"Firefox 128.pkg": b"an older build no package uses"}


def test_package_creation_failure_deletes_the_uploaded_file(
    world: World, package_file: Path
) -> None:
    cause = JamfApiError("internal server error", status=500, operation="create package")
    world.packages.fail_create.append(cause)

    with pytest.raises(PackageCreationError) as caught:
        world.upload(package_file)

    assert caught.value.file_removed is True
    assert caught.value.file_name == "Firefox 128.pkg"
    assert caught.value.__cause__ is cause
    assert "'Firefox 128.pkg'" in str(caught.value)
    assert "deleted again" in str(caught.value)
    assert world.files.contents == {}
    assert world.packages.packages == {}


def test_creation_and_cleanup_both_failing_tell_the_user_to_delete_by_hand(
    world: World, package_file: Path
) -> None:
    world.uploader.discards = False  # the file goes by name, and that deletion fails
    world.packages.fail_create.append(JamfApiError("internal server error", status=500))
    attempts = world.upload.config.max_attempts
    world.files.fail_delete.extend([ServerUnreachableError("timed out")] * attempts)

    with pytest.raises(PackageCreationError) as caught:
        world.upload(package_file)

    assert caught.value.file_removed is False
    message = str(caught.value)
    assert "by hand" in message
    assert "'Firefox 128.pkg'" in message
    assert world.files.contents == {"Firefox 128.pkg": CONTENT}
    assert world.packages.packages == {}


def test_cleanup_outlasts_a_passing_failure_of_the_server(world: World, package_file: Path) -> None:
    packages = LookupFailsAfterCreate(world.packages, [ServerUnreachableError("no answer")])
    world.packages.fail_create.append(JamfApiError("internal server error", status=500))
    world.files.fail_delete.append(ServerUnreachableError("timed out"))
    upload = UploadPackageFile(packages, world.files, world.uploader, world.upload.config)

    with pytest.raises(PackageCreationError) as caught:
        upload(package_file)

    assert caught.value.file_removed is True
    assert world.files.contents == {}
    assert world.packages.packages == {}


def test_when_it_is_unknown_whether_the_package_exists_the_file_is_kept(
    world: World, package_file: Path
) -> None:
    attempts = world.upload.config.max_attempts
    packages = LookupFailsAfterCreate(
        world.packages, [ServerUnreachableError("no answer")] * attempts
    )
    world.packages.fail_create.append(ServerUnreachableError("read timed out"))
    upload = UploadPackageFile(packages, world.files, world.uploader, world.upload.config)

    with pytest.raises(PackageCreationError) as caught:
        upload(package_file)

    assert caught.value.file_removed is False
    assert "'Firefox 128.pkg'" in str(caught.value)
    assert "unknown" in str(caught.value)
    assert world.files.contents == {"Firefox 128.pkg": CONTENT}
    assert world.packages.packages == {}


def test_a_package_created_although_the_answer_was_lost_is_returned(
    world: World, package_file: Path
) -> None:
    world.packages.create_then_fail.append(ServerUnreachableError("read timed out"))

    result = world.upload(package_file)

    package = world.packages.packages[result.package_id]
    assert package.file_name == "Firefox 128.pkg"
    assert result.package_name == package.name
    assert result.hash_value == hashlib.sha512(CONTENT).hexdigest()
    assert world.files.contents == {"Firefox 128.pkg": CONTENT}
    assert len(world.packages.packages) == 1


def test_a_taken_package_name_removes_the_file(world: World, package_file: Path) -> None:
    world.uploader.discards = False  # the file goes by name, after a look-up just before
    cause = PackageNameTakenError("the name is in use", status=409)
    world.packages.fail_create.append(cause)

    with pytest.raises(PackageCreationError) as caught:
        world.upload(package_file, package_name="Firefox")

    assert caught.value.__cause__ is cause
    assert caught.value.file_removed is True
    assert "the name is in use" in str(caught.value)
    assert world.files.contents == {}
    assert world.packages.packages == {}
    # it looked again, in case the package had been created after all, and once more just
    # before deleting the file by name (no package may use it)
    assert world.packages.lookups == 3


def test_an_unexpected_exception_from_create_still_removes_the_file(
    world: World, package_file: Path
) -> None:
    cause = RuntimeError("adapter bug")
    world.packages.fail_create.append(cause)

    with pytest.raises(PackageCreationError) as caught:
        world.upload(package_file)

    assert caught.value.__cause__ is cause
    assert caught.value.file_removed is True
    assert world.files.contents == {}


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_after_the_server_made_the_package_keeps_both(
    world: World, package_file: Path, interrupt: type[BaseException]
) -> None:
    # The server made the package, then the user pressed Ctrl-C before the answer came.
    world.packages.create_then_fail.append(interrupt())  # type: ignore[arg-type]
    lookups_before = world.packages.lookups

    with pytest.raises(interrupt):
        world.upload(package_file)

    assert world.packages.lookups == lookups_before + 2  # duplicate check, then the look
    assert set(world.files.contents) == {package_file.name}
    [package] = world.packages.packages.values()
    assert package.file_name == package_file.name


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_before_the_package_was_made_deletes_the_file(
    world: World, package_file: Path, interrupt: type[BaseException]
) -> None:
    world.packages.fail_create.append(interrupt())  # type: ignore[arg-type]

    with pytest.raises(interrupt):
        world.upload(package_file)

    assert world.files.contents == {}
    assert world.packages.packages == {}
