"""``DownloadFile`` on a local disk that is not its alone: planted links, a destination that
appears meanwhile, names near the limit, and the order in which a crash could cut the writes.

The use-case runs over the in-memory fakes of its ports; the files are real.
"""

from __future__ import annotations

import errno
import json
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import attrs
import pytest

from jcds2.application.download import DownloadFile
from jcds2.application.ports import RangeFetcher
from jcds2.domain.errors import (
    DestinationExistsError,
    DownloadError,
    UnsafeDestinationFileError,
)
from jcds2.domain.transfer import TransferConfig, split_ranges
from jcds2.testing import InMemoryFileStore, InMemoryRangeFetcher
from tests.fakes import FailsOnFetch

NAME = "Firefox 128.pkg"
CONTENT = random.Random(20261203).randbytes(10_500)
RANGE_SIZE = 1000
VICTIM = b"a file of the user's that no download may touch\n"


@pytest.fixture
def files() -> InMemoryFileStore:
    return InMemoryFileStore(contents={NAME: CONTENT})


@pytest.fixture
def fetcher(files: InMemoryFileStore) -> InMemoryRangeFetcher:
    return InMemoryRangeFetcher(files)


@pytest.fixture
def dest_dir(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_bytes(VICTIM)
    return path


def _download(
    files: InMemoryFileStore, fetcher: RangeFetcher, concurrency: int = 1
) -> DownloadFile:
    return DownloadFile(
        files, fetcher, TransferConfig(range_size=RANGE_SIZE, concurrency=concurrency)
    )


def _listing(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# --- symbolic links ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".part", ".part.json", ".part.lock"])
@pytest.mark.parametrize("resume", [True, False])
def test_a_working_file_planted_as_a_link_is_refused_and_its_target_untouched(
    files: InMemoryFileStore,
    fetcher: InMemoryRangeFetcher,
    dest_dir: Path,
    victim: Path,
    suffix: str,
    resume: bool,
) -> None:
    planted = dest_dir / f"{NAME}{suffix}"
    planted.symlink_to(victim)

    with pytest.raises(UnsafeDestinationFileError) as caught:
        _download(files, fetcher)(NAME, dest_dir, resume=resume)

    assert caught.value.path == planted
    assert str(planted) in str(caught.value)
    assert victim.read_bytes() == VICTIM
    assert _listing(dest_dir) == [planted.name]  # the link is left alone, nothing else made
    assert planted.is_symlink()


@pytest.mark.parametrize("suffix", [".part", ".part.json", ".part.lock"])
@pytest.mark.parametrize("kind", ["folder", "named pipe"])
def test_a_folder_or_a_pipe_at_a_working_name_is_refused_without_blocking(
    files: InMemoryFileStore,
    fetcher: InMemoryRangeFetcher,
    dest_dir: Path,
    suffix: str,
    kind: str,
) -> None:
    planted = dest_dir / f"{NAME}{suffix}"
    if kind == "folder":
        planted.mkdir()
    else:
        os.mkfifo(planted)

    with pytest.raises(UnsafeDestinationFileError) as caught:
        _download(files, fetcher)(NAME, dest_dir)

    assert caught.value.path == planted
    assert _listing(dest_dir) == [planted.name]


def test_a_planted_temporary_record_is_never_written_through(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path, victim: Path
) -> None:
    planted = dest_dir / f"{NAME}.part.json.tmp"
    planted.symlink_to(victim)

    result = _download(files, fetcher)(NAME, dest_dir)

    assert result.path.read_bytes() == CONTENT
    assert victim.read_bytes() == VICTIM
    assert _listing(dest_dir) == [NAME, planted.name]


def test_a_part_with_a_second_hard_link_is_not_resumed_into(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(DownloadError):
        _download(files, FailsOnFetch(fetcher, nth=4))(NAME, dest_dir)
    other = tmp_path / "other-name-of-the-part"
    os.link(dest_dir / f"{NAME}.part", other)
    before = other.read_bytes()

    result = _download(files, fetcher)(NAME, dest_dir)

    assert result.path.read_bytes() == CONTENT
    assert result.resumed_bytes == 0
    assert other.read_bytes() == before  # the other name's file was not written to


# --- a destination that appears meanwhile -----------------------------------------------


@pytest.fixture(params=["renameat2", "link", "placeholder"])
def rename_without_replacing(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Each way of renaming without replacing: Linux's ``renameat2``; a hard link and an
    unlink (macOS and older kernels); and, on file systems without hard links, a placeholder
    made with ``O_EXCL`` and then replaced."""
    if request.param != "renameat2":
        from jcds2.application import local_directory  # noqa: PLC0415 - only for these tests

        monkeypatch.setattr(local_directory, "_renameat2", lambda: None)
    if request.param == "placeholder":

        def no_hard_links(*_args: object, **_kwargs: object) -> NoReturn:
            raise OSError(errno.EPERM, os.strerror(errno.EPERM))

        monkeypatch.setattr(os, "link", no_hard_links)
    return str(request.param)


@pytest.mark.usefixtures("rename_without_replacing")
def test_a_destination_that_appears_during_the_download_is_not_replaced(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    destination = dest_dir / NAME

    def someone_writes_the_destination(call: int) -> None:
        if call == 3:
            destination.write_bytes(b"theirs")

    with pytest.raises(DestinationExistsError) as caught:
        _download(files, FailsOnFetch(fetcher, hook=someone_writes_the_destination))(NAME, dest_dir)

    assert caught.value.path == destination
    assert destination.read_bytes() == b"theirs"
    assert _listing(dest_dir) == [NAME, f"{NAME}.part", f"{NAME}.part.json"]
    fetcher.fetched.clear()

    result = _download(files, fetcher)(NAME, dest_dir, overwrite=True)

    assert fetcher.fetched == []  # the finished part was kept: only the rename is left
    assert result.resumed_bytes == len(CONTENT)
    assert destination.read_bytes() == CONTENT
    assert _listing(dest_dir) == [NAME]


@pytest.mark.usefixtures("rename_without_replacing")
def test_without_a_rival_the_rename_without_replacing_leaves_only_the_destination(
    files: InMemoryFileStore, fetcher: InMemoryRangeFetcher, dest_dir: Path
) -> None:
    result = _download(files, fetcher, concurrency=4)(NAME, dest_dir)

    assert result.path.read_bytes() == CONTENT
    assert (result.path.stat().st_mode & 0o777) == (0o644 & ~_umask())
    assert _listing(dest_dir) == [NAME]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- names near the limit ---------------------------------------------------------------

LONG_NAMES = [
    pytest.param("A" * 251 + ".pkg", id="255-ascii"),
    pytest.param("Ü" * 125 + "x.pkg", id="255-bytes-of-two-byte-letters"),
    pytest.param("界" * 83 + "x.pkg", id="254-bytes-of-three-byte-letters"),
    pytest.param("B" * 228 + ".pkg", id="232-ascii"),
    pytest.param("C" * 229 + ".pkg", id="233-ascii"),
]


@pytest.mark.parametrize("name", LONG_NAMES)
def test_a_name_near_the_limit_downloads_and_resumes(dest_dir: Path, name: str) -> None:
    assert len(name.encode("utf-8")) <= 255
    files = InMemoryFileStore(contents={name: CONTENT})
    fetcher = InMemoryRangeFetcher(files)
    with pytest.raises(DownloadError, match="connection dropped"):
        _download(files, FailsOnFetch(fetcher, nth=4))(name, dest_dir)
    kept = _listing(dest_dir)
    assert len(kept) == 2
    assert all(len(entry.encode("utf-8")) <= 255 for entry in kept)
    assert [entry.endswith(".part") for entry in kept].count(True) == 1  # recognisable
    assert all(entry.startswith(name[:8]) for entry in kept)
    fetcher.fetched.clear()

    result = _download(files, fetcher)(name, dest_dir)

    assert result.path == dest_dir / name
    assert result.path.read_bytes() == CONTENT
    assert result.resumed_bytes == 3 * RANGE_SIZE
    assert len(fetcher.fetched) == len(split_ranges(len(CONTENT), RANGE_SIZE)) - 3
    assert _listing(dest_dir) == [name]


# --- crash order ------------------------------------------------------------------------


@attrs.define
class DurableView:
    """What of ``part`` a power cut would keep: its bytes as of the last flush of it."""

    part: Path
    durable: bytes = b""

    def flushed(self, fd: int) -> None:
        try:
            same = os.path.samestat(os.fstat(fd), os.lstat(self.part))
        except FileNotFoundError:
            return
        if same:
            self.durable = os.pread(fd, 1 << 20, 0)


@pytest.fixture
def durable_view(dest_dir: Path, monkeypatch: pytest.MonkeyPatch) -> DurableView:
    view = DurableView(dest_dir / f"{NAME}.part")
    for name in ("fsync", "fdatasync"):
        real = getattr(os, name, None)
        if real is None:
            continue

        def flush(fd: int, real: Callable[[int], None] = real) -> None:
            real(fd)
            view.flushed(fd)

        monkeypatch.setattr(os, name, flush)
    return view


def test_the_record_claims_a_range_only_once_its_bytes_are_flushed(
    files: InMemoryFileStore,
    fetcher: InMemoryRangeFetcher,
    dest_dir: Path,
    durable_view: DurableView,
) -> None:
    record = dest_dir / f"{NAME}.part.json"
    claims_seen: list[int] = []

    def check_the_record(_call: int) -> None:
        if not record.exists():
            return
        claimed = json.loads(record.read_text(encoding="utf-8"))
        indices = claimed.get("ranges", claimed.get("completed", []))
        for index in map(int, indices):
            byte_range = split_ranges(len(CONTENT), RANGE_SIZE)[index]
            durable = durable_view.durable[byte_range.start : byte_range.end + 1]
            assert durable == CONTENT[byte_range.start : byte_range.end + 1], index
        claims_seen.append(len(indices))

    with pytest.raises(DownloadError):
        _download(files, FailsOnFetch(fetcher, nth=8, hook=check_the_record))(NAME, dest_dir)
    check_the_record(0)  # the record the failure left

    assert claims_seen[-1] == 7
    assert max(claims_seen) == 7
