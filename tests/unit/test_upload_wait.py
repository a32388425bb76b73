"""The verification wait of an upload: its length (by the file's size), the phase events
that make it visible, and ``fail-upload`` before the clean-up (in-memory fakes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jcds2.application.upload import UploadPackageFile
from jcds2.application.upload_orders import FileFirst, PackageFirst
from jcds2.domain.errors import (
    ConfigurationError,
    CorruptUploadError,
    PackageExistsError,
    ServerUnreachableError,
    UploadError,
    VerificationTimeoutError,
)
from jcds2.domain.progress import UploadEvent, UploadPhase
from jcds2.domain.transfer import GiB, TransferConfig
from jcds2.testing import (
    InMemoryFailedUploads,
    InMemoryFileStore,
    InMemoryObjectUploader,
    InMemoryPackageRepository,
)
from tests.unit.test_upload_routes import NEW, OLD, FakeTime

# --- the rule ----------------------------------------------------------------------------


def test_the_wait_grows_with_the_file_s_size() -> None:
    config = TransferConfig()

    assert config.verify_deadline(10_000) == 1200  # a small file: verify_timeout exactly
    assert config.verify_deadline(GiB) == 1200 + 180
    ten_gb = config.verify_deadline(10 * 10**9)
    assert ten_gb == pytest.approx(1200 + 180 * 10**10 / GiB, abs=1)
    assert ten_gb > 45 * 60  # far longer than the 20 minutes that used to be the limit


def test_the_rule_is_configurable_and_can_be_fixed() -> None:
    custom = TransferConfig(verify_timeout=60, verify_timeout_per_gib=600)
    fixed = TransferConfig(verify_timeout=900, verify_timeout_per_gib=0)

    assert custom.verify_deadline(2 * GiB) == 60 + 1200
    assert fixed.verify_deadline(50 * GiB) == 900
    assert "verify_timeout_per_gib 600 s per GiB" in custom.verify_rule()
    assert fixed.verify_rule() == "verify_timeout 900 s"


def test_a_negative_per_gib_wait_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="verify_timeout_per_gib must not be negative"):
        TransferConfig(verify_timeout_per_gib=-1)


# --- the use-case on fakes ---------------------------------------------------------------


class Recorder:
    """An ``on_phase`` callback that keeps every event and what was sent by then."""

    def __init__(self) -> None:
        self.events: list[UploadEvent] = []
        self.sent = 0
        self.sent_at: list[int] = []

    def progress(self, count: int) -> None:
        self.sent += count

    def __call__(self, event: UploadEvent) -> None:
        self.events.append(event)
        self.sent_at.append(self.sent)

    def phases(self) -> list[UploadPhase]:
        """The phases in order, repeats (looks while verifying) folded into one."""
        folded: list[UploadPhase] = []
        for event in self.events:
            if not folded or folded[-1] is not event.phase:
                folded.append(event.phase)
        return folded


class World:
    def __init__(self, package_first: bool, **config: object) -> None:
        settings: dict[str, object] = {"backoff_base": 0, **config}
        self.config = TransferConfig(**settings)  # type: ignore[arg-type]
        self.files = InMemoryFileStore(into_packages=package_first)
        self.packages = InMemoryPackageRepository(store=self.files)
        self.failures = InMemoryFailedUploads(self.packages)
        self.uploader = InMemoryObjectUploader(self.files, config=self.config)
        self.time = FakeTime()
        self.upload = UploadPackageFile(
            self.packages,
            self.files,
            self.uploader,
            self.config,
            clock=self.time.clock,
            sleep=self.time.sleep,
            order=PackageFirst() if package_first else FileFirst(),
            failures=self.failures,
        )


@pytest.fixture(params=[False, True], ids=["file-first", "package-first"])
def world(request: pytest.FixtureRequest) -> World:
    return World(request.param)


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


def test_the_timeout_follows_the_rule_and_says_it(old_file: Path) -> None:
    world = World(package_first=True, verify_timeout=100, verify_timeout_per_gib=0)
    world.files.pending_looks = 10**6

    with pytest.raises(VerificationTimeoutError) as caught:
        world.upload(old_file)

    message = str(caught.value)
    assert "within 100 s" in message
    assert "the wait is verify_timeout 100 s of the file" in message
    assert "raise verify_timeout or verify_timeout_per_gib" in message
    assert sum(world.time.sleeps) == pytest.approx(100)


def test_an_upload_tells_sending_then_verifying_with_elapsed_time_and_answers(
    world: World, old_file: Path
) -> None:
    world.files.pending_looks = 3
    seen = Recorder()

    world.upload(old_file, on_phase=seen, progress=seen.progress)

    assert seen.phases() == [UploadPhase.SENDING, UploadPhase.VERIFYING, UploadPhase.DONE]
    assert {event.file_name for event in seen.events} == {"Tool.pkg"}
    _sending, first_wait, *looks, done = seen.events
    assert done.phase is UploadPhase.DONE
    assert seen.sent_at[0] == 0  # sending is told before the first byte
    assert (first_wait.elapsed, first_wait.answer) == (0.0, None)  # before the first look
    assert first_wait.deadline == world.config.verify_deadline(len(OLD))
    assert all(at == len(OLD) for at in seen.sent_at[1:])  # every byte sent by then
    # One event per look, with the server's answer and the time waited so far.
    assert len(looks) == world.files.looks
    assert [event.elapsed for event in looks] == sorted(event.elapsed for event in looks)
    assert looks[-1].elapsed == pytest.approx(sum(world.time.sleeps))
    assert looks[-1].answer == "hash, size and status match"
    assert all(event.answer for event in looks)


def test_a_skip_tells_hashing_and_nothing_else(world: World, old_file: Path) -> None:
    world.upload(old_file)
    seen = Recorder()

    result = world.upload(old_file, on_exists="skip", on_phase=seen, progress=seen.progress)

    assert result.skipped is True
    assert seen.phases() == [UploadPhase.HASHING, UploadPhase.DONE]
    assert seen.sent == 0


def test_a_file_sent_again_is_told_sending_again(world: World, old_file: Path) -> None:
    world.files.server_outcomes.append("zero_size")
    seen = Recorder()

    world.upload(old_file, on_phase=seen)

    assert seen.phases() == [UploadPhase.SENDING, UploadPhase.VERIFYING] * 2 + [UploadPhase.DONE]


def test_a_phase_callback_that_raises_does_not_stop_the_upload(
    world: World, old_file: Path
) -> None:
    def broken(event: UploadEvent) -> None:
        raise RuntimeError("the display broke")

    assert world.upload(old_file, on_phase=broken).verified is True


def test_without_verify_there_is_no_wait_to_tell(world: World, old_file: Path) -> None:
    seen = Recorder()

    world.upload(old_file, verify=False, on_phase=seen)

    assert seen.phases() == [UploadPhase.SENDING, UploadPhase.DONE]


# --- fail-upload before the clean-up ------------------------------------------------------


def test_a_corrupt_package_upload_is_marked_failed_before_its_package_is_deleted(
    old_file: Path,
) -> None:
    world = World(package_first=True)
    world.files.server_outcomes.append("corrupt")

    with pytest.raises(CorruptUploadError, match="deleted again"):
        world.upload(old_file)

    # Marked while the package still used the file, then the package was deleted.
    [(name, package_id)] = world.failures.marked
    assert name == "Tool.pkg"
    assert world.packages.deleted == [package_id]
    assert world.packages.packages == {}


def test_a_timed_out_package_upload_is_marked_failed_before_the_clean_up(old_file: Path) -> None:
    world = World(package_first=True, verify_timeout=10, verify_timeout_per_gib=0)
    world.files.pending_looks = 10**6

    with pytest.raises(VerificationTimeoutError):
        world.upload(old_file)

    assert [name for name, _ in world.failures.marked] == ["Tool.pkg"]
    assert world.packages.packages == {}


def test_a_failed_replace_is_marked_failed_and_the_package_kept(
    world: World, old_file: Path, new_file: Path
) -> None:
    first = world.upload(old_file)
    world.files.server_outcomes.append("corrupt")

    with pytest.raises(CorruptUploadError, match=f"package {first.package_id} is kept"):
        world.upload(new_file, on_exists="replace")

    assert world.failures.marked == [("Tool.pkg", first.package_id)]
    assert list(world.packages.packages) == [first.package_id]


def test_a_new_file_first_upload_has_no_package_to_mark(old_file: Path) -> None:
    world = World(package_first=False)
    world.files.server_outcomes.append("corrupt")

    with pytest.raises(CorruptUploadError, match="deleted again"):
        world.upload(old_file)

    assert world.failures.marked == []
    assert world.files.contents == {}


def test_a_server_without_fail_upload_is_cleaned_up_all_the_same(old_file: Path) -> None:
    world = World(package_first=True)
    world.failures.supported = False
    world.files.server_outcomes.append("corrupt")

    with pytest.raises(CorruptUploadError, match="deleted again"):
        world.upload(old_file)

    assert world.failures.marked == []
    assert world.packages.packages == {}


def test_a_fail_upload_that_keeps_failing_does_not_stop_the_clean_up(old_file: Path) -> None:
    world = World(package_first=True)
    world.failures.fail_mark.extend(
        [ServerUnreachableError("timed out")] * world.config.max_attempts
    )
    world.files.server_outcomes.append("corrupt")

    with pytest.raises(CorruptUploadError, match="deleted again"):
        world.upload(old_file)

    assert world.packages.packages == {}


def test_a_send_that_failed_is_not_marked_failed(old_file: Path) -> None:
    world = World(package_first=True)
    world.uploader.fail_upload.append(UploadError("connection reset"))

    with pytest.raises(UploadError, match="deleted again"):
        world.upload(old_file)

    assert world.failures.marked == []


def test_a_refused_upload_tells_no_phase(world: World, old_file: Path) -> None:
    world.upload(old_file)
    seen = Recorder()

    with pytest.raises(PackageExistsError):
        world.upload(old_file, on_phase=seen)

    assert seen.events == []


def test_an_interrupted_upload_logs_why_it_failed(
    old_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = World(package_first=True)
    world.files.pending_looks = 10**6

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt  # Ctrl-C while waiting for the server

    world.upload.sleep = interrupt

    with pytest.raises(KeyboardInterrupt), caplog.at_level("WARNING", logger="jcds2.upload"):
        world.upload(old_file)

    [record] = [r for r in caplog.records if "failed" in r.getMessage()]
    assert "uploading Tool.pkg failed (interrupted); package" in record.getMessage()
    assert "()" not in record.getMessage()
    assert world.failures.marked == []  # not a verification failure: nothing to mark
    assert world.packages.packages == {}
