"""``DownloadFile`` over the in-memory fakes of its ports."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import threading
from pathlib import Path
from typing import NoReturn

import attrs
import pytest

from jcds2.application import local_directory
from jcds2.application.cancel import CancelToken
from jcds2.application.download import DownloadFile
from jcds2.application.ports import RangeFetcher, RangeSink
from jcds2.domain.errors import (
    DestinationDirectoryMissingError,
    DestinationError,
    DestinationExistsError,
    DownloadError,
    IntegrityError,
    InvalidFileNameError,
    RemoteFileNotFoundError,
)
from jcds2.domain.transfer import ByteRange, TransferConfig, split_ranges
from jcds2.testing import InMemoryFileStore, InMemoryRangeFetcher
from tests.fakes import FailsOnFetch

NAME = "Firefox 128.pkg"
CONTENT = random.Random(20240607).randbytes(10_500)
RANGE_SIZE = 1000


# --- test doubles wrapping the in-memory fetcher -------------------------------------------


@attrs.define
class ConcurrencyProbe:
    """Serves through ``inner`` and records how many fetches were in flight at once.

    The first fetch waits (up to ``patience`` seconds) for a second one to start, so a
    download that fetches one range at a time shows ``max_in_flight == 1``.
    """

    inner: InMemoryRangeFetcher
    patience: float = 3.0
    waited: bool = False
    in_flight: int = 0
    max_in_flight: int = 0
    threads: set[str] = attrs.field(factory=set)
    _overlap: threading.Condition = attrs.field(factory=threading.Condition)

    def size(self, url: str) -> int:
        return self.inner.size(url)

    def fetch(
        self,
        url: str,
        byte_range: ByteRange,
        sink: RangeSink,
        *,
        cancel: CancelToken | None = None,
    ) -> None:
        with self._overlap:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.threads.add(threading.current_thread().name)
            self._overlap.notify_all()
            if not self.waited:
                self.waited = True
                self._overlap.wait_for(lambda: self.max_in_flight >= 2, timeout=self.patience)
        try:
            self.inner.fetch(url, byte_range, sink, cancel=cancel)
        finally:
            with self._overlap:
                self.in_flight -= 1


def expires_after_size(
    inner: InMemoryRangeFetcher, expire: set[int], together: int = 1
) -> FailsOnFetch:
    """A fetcher whose URL generations in ``expire`` answer as expired from the first
    fetch on (the size is known by then). The first ``together`` fetches wait for each
    other before going on, so that they all meet the same expired URL at once."""
    barrier = threading.Barrier(together)

    def meet(call: int) -> None:
        if call == 1:
            inner.expired_generations |= expire
        if call <= together:
            barrier.wait(timeout=3)

    return FailsOnFetch(inner, hook=meet)


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def files() -> InMemoryFileStore:
    return InMemoryFileStore(contents={NAME: CONTENT, "other.dmg": b"other"})


@pytest.fixture
def fetcher(files: InMemoryFileStore) -> InMemoryRangeFetcher:
    return InMemoryRangeFetcher(files)


@pytest.fixture
def download(files: InMemoryFileStore, fetcher: InMemoryRangeFetcher) -> DownloadFile:
    return DownloadFile(files, fetcher, TransferConfig(range_size=RANGE_SIZE, concurrency=4))


@pytest.fixture
def dest_dir(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


def _download_with(files: InMemoryFileStore, fetcher: RangeFetcher, **config: int) -> DownloadFile:
    settings = {"range_size": RANGE_SIZE, "concurrency": 4} | config
    return DownloadFile(files, fetcher, TransferConfig(**settings))


def _listing(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# --- the happy path -----------------------------------------------------------------------


def test_download_into_a_directory_appends_the_file_name(
    download: DownloadFile, dest_dir: Path
) -> None:
    result = download(NAME, dest_dir)

    assert result.path == dest_dir / NAME
    assert (dest_dir / NAME).read_bytes() == CONTENT
    assert _listing(dest_dir) == [NAME]
    assert result.file_name == NAME
    assert result.size == len(CONTENT)
    assert result.md5 == hashlib.md5(CONTENT).hexdigest()
    assert result.verified_md5 is True


def test_download_to_a_file_path(download: DownloadFile, dest_dir: Path) -> None:
    result = download(NAME, dest_dir / "renamed.pkg")

    assert result.path == dest_dir / "renamed.pkg"
    assert (dest_dir / "renamed.pkg").read_bytes() == CONTENT
    assert _listing(dest_dir) == ["renamed.pkg"]


def test_download_to_an_existing_directory_written_with_a_slash(
    download: DownloadFile, dest_dir: Path
) -> None:
    result = download(NAME, f"{dest_dir}/")

    assert result.path == dest_dir / NAME
    assert result.path.read_bytes() == CONTENT


def test_download_to_a_relative_path_gives_an_absolute_result(
    download: DownloadFile, dest_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(dest_dir)

    result = download(NAME, ".")

    assert result.path == dest_dir / NAME
    assert result.path.is_absolute()


def test_elapsed_seconds_come_from_the_clock(download: DownloadFile, dest_dir: Path) -> None:
    download.clock = iter([10.0, 13.25]).__next__

    assert download(NAME, dest_dir).elapsed_seconds == 3.25


def test_ranges_are_fetched_concurrently_and_cover_the_file_once(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    probe = ConcurrencyProbe(fetcher)

    _download_with(files, probe)(NAME, dest_dir)

    assert sorted(fetcher.fetched, key=lambda r: r.start) == split_ranges(len(CONTENT), RANGE_SIZE)
    assert len(fetcher.fetched) == 11
    assert probe.max_in_flight >= 2
    assert len(probe.threads) >= 2
    assert (dest_dir / NAME).read_bytes() == CONTENT


def test_one_worker_fetches_one_range_at_a_time(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    # the probe's first fetch waits a moment for a second one that never comes
    probe = ConcurrencyProbe(fetcher, patience=0.2)

    _download_with(files, probe, concurrency=1)(NAME, dest_dir)

    assert probe.max_in_flight == 1
    assert len(probe.threads) == 1
    assert (dest_dir / NAME).read_bytes() == CONTENT


def test_a_range_size_of_one_byte_works(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    files.contents["tiny.bin"] = b"0123456789"

    _download_with(files, fetcher, range_size=1)("tiny.bin", dest_dir)

    assert (dest_dir / "tiny.bin").read_bytes() == b"0123456789"
    assert len(fetcher.fetched) == 10


def test_progress_adds_up_to_the_file_size(download: DownloadFile, dest_dir: Path) -> None:
    moved: list[int] = []

    download(NAME, dest_dir, progress=moved.append)

    assert sum(moved) == len(CONTENT)
    assert all(count > 0 for count in moved)


def test_without_an_md5_from_the_store_nothing_is_verified(
    files: InMemoryFileStore, download: DownloadFile, dest_dir: Path
) -> None:
    files.report_md5 = False

    result = download(NAME, dest_dir)

    assert result.verified_md5 is False
    assert result.md5 is None
    assert (dest_dir / NAME).read_bytes() == CONTENT


def test_an_empty_remote_file_downloads_as_an_empty_file(
    files: InMemoryFileStore, download: DownloadFile, dest_dir: Path
) -> None:
    files.contents["empty.txt"] = b""

    result = download("empty.txt", dest_dir)

    assert (dest_dir / "empty.txt").read_bytes() == b""
    assert result.size == 0
    assert result.verified_md5 is True
    assert _listing(dest_dir) == ["empty.txt"]


def test_a_stale_part_file_is_replaced(download: DownloadFile, dest_dir: Path) -> None:
    (dest_dir / f"{NAME}.part").write_bytes(b"left over from a crash" * 1000)

    download(NAME, dest_dir)

    assert (dest_dir / NAME).read_bytes() == CONTENT
    assert _listing(dest_dir) == [NAME]


# --- the destination ----------------------------------------------------------------------


def test_an_existing_destination_is_refused_and_left_alone(
    files: InMemoryFileStore, download: DownloadFile, dest_dir: Path
) -> None:
    (dest_dir / NAME).write_bytes(b"precious")

    with pytest.raises(DestinationExistsError) as caught:
        download(NAME, dest_dir)

    assert caught.value.path == dest_dir / NAME
    assert (dest_dir / NAME).read_bytes() == b"precious"
    assert _listing(dest_dir) == [NAME]
    assert files.url_requests == 0


def test_overwrite_replaces_an_existing_destination(download: DownloadFile, dest_dir: Path) -> None:
    (dest_dir / NAME).write_bytes(b"old version")

    result = download(NAME, dest_dir, overwrite=True)

    assert result.path.read_bytes() == CONTENT
    assert _listing(dest_dir) == [NAME]


def test_a_failed_overwrite_keeps_the_old_file(
    fetcher: InMemoryRangeFetcher, download: DownloadFile, dest_dir: Path
) -> None:
    (dest_dir / NAME).write_bytes(b"old version")
    fetcher.corrupt = True

    with pytest.raises(IntegrityError):
        download(NAME, dest_dir, overwrite=True)

    assert (dest_dir / NAME).read_bytes() == b"old version"
    assert _listing(dest_dir) == [NAME]


def test_a_missing_destination_directory(
    files: InMemoryFileStore, download: DownloadFile, tmp_path: Path
) -> None:
    with pytest.raises(DestinationDirectoryMissingError) as caught:
        download(NAME, tmp_path / "nope" / "Firefox.pkg")

    assert caught.value.path == tmp_path / "nope"
    assert str(tmp_path / "nope") in str(caught.value)
    assert not (tmp_path / "nope").exists()
    assert files.url_requests == 0


def test_a_missing_directory_written_with_a_slash(
    files: InMemoryFileStore, download: DownloadFile, tmp_path: Path
) -> None:
    with pytest.raises(DestinationDirectoryMissingError) as caught:
        download(NAME, f"{tmp_path / 'nope'}/")

    assert caught.value.path == tmp_path / "nope"
    assert not (tmp_path / "nope").exists()
    assert files.url_requests == 0


def test_a_directory_in_the_way_of_the_destination(download: DownloadFile, dest_dir: Path) -> None:
    (dest_dir / NAME).mkdir()

    with pytest.raises(DestinationError) as caught:
        download(NAME, dest_dir)

    assert caught.value.path == dest_dir / NAME
    assert (dest_dir / NAME).is_dir()
    assert list((dest_dir / NAME).iterdir()) == []


# --- the remote file ----------------------------------------------------------------------


def test_an_unknown_remote_file(
    fetcher: InMemoryRangeFetcher, download: DownloadFile, dest_dir: Path
) -> None:
    with pytest.raises(RemoteFileNotFoundError) as caught:
        download("Missing.pkg", dest_dir)

    assert caught.value.file_name == "Missing.pkg"
    assert _listing(dest_dir) == []
    assert fetcher.fetched == []


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "", "x\\y", "nul\x00.pkg", " lead.pkg"])
def test_invalid_names_are_refused_before_asking_the_store(
    files: InMemoryFileStore,
    fetcher: InMemoryRangeFetcher,
    download: DownloadFile,
    dest_dir: Path,
    name: str,
) -> None:
    with pytest.raises(InvalidFileNameError):
        download(name, dest_dir)

    assert files.url_requests == 0
    assert fetcher.fetched == []
    assert _listing(dest_dir) == []
    assert _listing(dest_dir.parent) == ["downloads"]


# --- failures during the transfer ----------------------------------------------------------


def test_corrupt_bytes_fail_the_md5_check_and_leave_nothing(
    fetcher: InMemoryRangeFetcher, download: DownloadFile, dest_dir: Path
) -> None:
    fetcher.corrupt = True

    with pytest.raises(IntegrityError) as caught:
        download(NAME, dest_dir)

    assert repr(NAME) in str(caught.value)
    assert _listing(dest_dir) == []


def test_a_fetch_failure_fails_the_download_and_leaves_nothing(
    fetcher: InMemoryRangeFetcher, download: DownloadFile, dest_dir: Path
) -> None:
    failure = DownloadError("connection reset")
    fetcher.fail_fetch.append(failure)

    with pytest.raises(DownloadError) as caught:
        download(NAME, dest_dir)

    assert caught.value is failure
    assert _listing(dest_dir) == []


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_fetch_failure_midway_keeps_the_part_and_the_next_call_fetches_only_the_rest(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path, concurrency: int
) -> None:
    failing = FailsOnFetch(fetcher, nth=4, error=DownloadError("the body ended early"))

    with pytest.raises(DownloadError, match="the body ended early"):
        _download_with(files, failing, concurrency=concurrency)(NAME, dest_dir)

    assert _listing(dest_dir) == [f"{NAME}.part", f"{NAME}.part.json"]
    done_before = list(fetcher.fetched)
    assert len(done_before) >= 3
    fetcher.fetched.clear()

    result = _download_with(files, fetcher, concurrency=concurrency)(NAME, dest_dir)

    assert result.path.read_bytes() == CONTENT
    assert result.verified_md5
    assert _listing(dest_dir) == [NAME]
    everything = split_ranges(len(CONTENT), RANGE_SIZE)
    assert sorted(fetcher.fetched + done_before, key=lambda r: r.start) == everything
    assert result.resumed_bytes == sum(r.length for r in done_before)


def _fail_midway(files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path) -> None:
    """A download whose fourth range fails for good, one range at a time."""
    failing = FailsOnFetch(fetcher, nth=4, error=DownloadError("the body ended early"))
    with pytest.raises(DownloadError):
        _download_with(files, failing, concurrency=1)(NAME, dest_dir)


def test_without_resume_a_failure_midway_leaves_nothing(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    failing = FailsOnFetch(fetcher, nth=4, error=DownloadError("the body ended early"))

    with pytest.raises(DownloadError):
        _download_with(files, failing)(NAME, dest_dir, resume=False)

    assert _listing(dest_dir) == []


def test_a_corrupt_resumed_part_fails_verification_and_is_removed(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    _fail_midway(files, fetcher, dest_dir)
    part = dest_dir / f"{NAME}.part"
    with part.open("r+b") as handle:  # the disk changed a recorded range behind our back
        handle.write(b"\xff")
    # ... and its record too: the range's checksum matches, only the MD5 can tell
    record_path = dest_dir / f"{NAME}.part.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["ranges"]["0"] = hashlib.sha256(part.read_bytes()[:RANGE_SIZE]).hexdigest()
    record_path.write_text(json.dumps(record), encoding="utf-8")

    with pytest.raises(IntegrityError):
        _download_with(files, fetcher, concurrency=1)(NAME, dest_dir)

    assert _listing(dest_dir) == []


def test_a_part_of_another_version_of_the_file_is_not_resumed(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    _fail_midway(files, fetcher, dest_dir)
    files.contents[NAME] = CONTENT[::-1]  # replaced on the server meanwhile
    fetcher.fetched.clear()

    result = _download_with(files, fetcher, concurrency=1)(NAME, dest_dir)

    assert result.path.read_bytes() == CONTENT[::-1]
    assert result.resumed_bytes == 0
    assert len(fetcher.fetched) == len(split_ranges(len(CONTENT), RANGE_SIZE))


def test_a_file_known_by_neither_md5_nor_version_is_not_resumed(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    files.report_md5 = False  # the store cannot tell one version of the file from another
    _fail_midway(files, fetcher, dest_dir)
    fetcher.fetched.clear()

    result = _download_with(files, fetcher, concurrency=1)(NAME, dest_dir)

    assert result.path.read_bytes() == CONTENT
    assert result.resumed_bytes == 0
    assert len(fetcher.fetched) == len(split_ranges(len(CONTENT), RANGE_SIZE))


def test_an_expired_url_is_renewed_and_the_download_completes(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    expiring = expires_after_size(fetcher, expire={1}, together=4)

    result = _download_with(files, expiring, concurrency=4)(NAME, dest_dir)

    # one URL to start with, exactly one fresh one however many ranges saw it expire
    assert files.url_requests == 2
    assert result.path.read_bytes() == CONTENT
    assert sorted(fetcher.fetched, key=lambda r: r.start) == split_ranges(len(CONTENT), RANGE_SIZE)


def test_a_url_expired_from_the_start_is_renewed(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, download: DownloadFile, dest_dir: Path
) -> None:
    fetcher.expired_generations = {1}

    result = download(NAME, dest_dir)

    assert files.url_requests == 2
    assert result.path.read_bytes() == CONTENT


def test_a_url_refused_at_every_size_probe_gives_up(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    fetcher.expired_generations = set(range(1, 100))

    with pytest.raises(DownloadError, match="kept being refused"):
        _download_with(files, fetcher, max_attempts=3)(NAME, dest_dir)

    assert files.url_requests == 4  # the first URL and three renewals
    assert fetcher.fetched == []
    assert _listing(dest_dir) == []


def test_a_url_that_keeps_expiring_gives_up(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    expiring = expires_after_size(fetcher, expire=set(range(1, 100)))

    with pytest.raises(DownloadError, match="kept being refused"):
        _download_with(files, expiring, max_attempts=2)(NAME, dest_dir)

    assert files.url_requests == 3  # the first URL and two renewals
    assert _listing(dest_dir) == []


@pytest.mark.parametrize("offset", [1, -1])
def test_a_size_that_differs_from_the_listing_is_an_integrity_error(
    fetcher: InMemoryRangeFetcher, download: DownloadFile, dest_dir: Path, offset: int
) -> None:
    fetcher.size_offset = offset

    with pytest.raises(IntegrityError) as caught:
        download(NAME, dest_dir)

    assert str(len(CONTENT)) in str(caught.value)
    assert str(len(CONTENT) + offset) in str(caught.value)
    assert fetcher.fetched == []
    assert _listing(dest_dir) == []


def test_a_full_disk_is_a_download_error_and_leaves_nothing(
    download: DownloadFile, dest_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(_fd: int, _data: object, _offset: int) -> NoReturn:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "pwrite", no_space)

    with pytest.raises(DownloadError) as caught:
        download(NAME, dest_dir)

    assert isinstance(caught.value.__cause__, OSError)
    assert caught.value.__cause__.errno == errno.ENOSPC
    assert os.strerror(errno.ENOSPC) in str(caught.value)
    assert _listing(dest_dir) == []


def test_a_failing_rename_is_a_download_error_and_the_next_call_only_renames(
    download: DownloadFile,
    fetcher: InMemoryRangeFetcher,
    dest_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    destination = dest_dir / NAME
    # The rename without replacing, as on macOS (a hard link, then an unlink), refused.
    monkeypatch.setattr(local_directory, "_renameat2", lambda: None)
    real_link = os.link

    def refuse(*_args: object, **_kwargs: object) -> NoReturn:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(os, "link", refuse)

    with pytest.raises(DownloadError) as caught:
        download(NAME, dest_dir)

    assert isinstance(caught.value.__cause__, PermissionError)
    assert str(destination) in str(caught.value)
    assert not destination.exists()
    monkeypatch.setattr(os, "link", real_link)
    fetcher.fetched.clear()

    result = download(NAME, dest_dir)

    assert fetcher.fetched == []
    assert result.resumed_bytes == len(CONTENT)
    assert destination.read_bytes() == CONTENT
    assert _listing(dest_dir) == [NAME]


def test_a_failing_progress_callback_leaves_nothing(download: DownloadFile, dest_dir: Path) -> None:
    class Cancelled(Exception):
        pass

    def cancel(_count: int) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        download(NAME, dest_dir, progress=cancel)

    assert _listing(dest_dir) == []
