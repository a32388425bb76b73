"""Downloads from a file share (real files) against other processes on the same disk: a
rival download into the same destination, a killed one, and resume records that do not
match the bytes on disk."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jcds2.adapters.file_share import FileRangeFetcher, FileShareStore
from jcds2.application.download import DownloadFile
from jcds2.domain.errors import DownloadError
from jcds2.domain.transfer import ByteRange, TransferConfig, split_ranges
from tests.fakes import FailsOnFetch

ROOT = Path(__file__).resolve().parents[2]
NAME = "Xcode 16.pkg"
RANGE_SIZE = 4096
DATA = random.Random(14).randbytes(10 * RANGE_SIZE + 123)


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "CasperShare"
    (root / "Packages").mkdir(parents=True)
    (root / "Packages" / NAME).write_bytes(DATA)
    return root


@pytest.fixture
def dest_dir(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


def _listing(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# --- two processes, one destination -------------------------------------------------------


def _worker(share: Path, dest_dir: Path, *options: str) -> subprocess.Popen[str]:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *sys.path]))
    module = "tests.integration.download_worker"
    return subprocess.Popen(
        [sys.executable, "-m", module, str(share), str(dest_dir), NAME, *options],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = process.communicate(timeout=60)
    return process.returncode, out.strip()


def test_a_second_download_into_the_same_destination_fails_at_once_and_the_first_completes(
    share: Path, dest_dir: Path
) -> None:
    first = _worker(share, dest_dir, "--hold")
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "fetching"  # it holds its files now

    second = _finish(_worker(share, dest_dir))

    assert second == (1, "DownloadInProgressError")
    assert first.stdin is not None
    first.stdin.write("go on\n")
    first.stdin.flush()
    assert _finish(first) == (0, "ok")
    assert (dest_dir / NAME).read_bytes() == DATA
    assert _listing(dest_dir) == [NAME]


def test_the_lock_of_a_killed_download_does_not_stop_the_next_one(
    share: Path, dest_dir: Path
) -> None:
    first = _worker(share, dest_dir, "--hold")
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "fetching"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)

    assert _finish(_worker(share, dest_dir)) == (0, "ok")
    assert (dest_dir / NAME).read_bytes() == DATA
    assert _listing(dest_dir) == [NAME]


# --- records that cannot be trusted -------------------------------------------------------


def _fails_at(nth: int) -> FailsOnFetch:
    """A ``FileRangeFetcher`` whose ``nth`` fetch (1-based) fails."""
    return FailsOnFetch(FileRangeFetcher(), nth, DownloadError("the share went away for a moment"))


def _download(share: Path, fetcher: FailsOnFetch) -> DownloadFile:
    config = TransferConfig(range_size=RANGE_SIZE, concurrency=1)
    return DownloadFile(FileShareStore(share), fetcher, config)


def test_a_range_changed_on_disk_since_it_was_recorded_is_fetched_again(
    share: Path, dest_dir: Path
) -> None:
    with pytest.raises(DownloadError):
        _download(share, _fails_at(5))(NAME, dest_dir)
    part = dest_dir / f"{NAME}.part"
    with part.open("r+b") as handle:  # a crash, a bad disk or another process
        handle.seek(RANGE_SIZE + 7)
        handle.write(b"\x00\xff")
    fetcher = _fails_at(0)

    result = _download(share, fetcher)(NAME, dest_dir)

    assert result.path.read_bytes() == DATA
    assert result.resumed_bytes == 3 * RANGE_SIZE  # ranges 0, 2 and 3; not 1
    assert fetcher.fetched[0] == ByteRange(RANGE_SIZE, 2 * RANGE_SIZE - 1, total=len(DATA))
    assert _listing(dest_dir) == [NAME]


def test_a_record_without_checksums_of_its_ranges_is_not_trusted(
    share: Path, dest_dir: Path
) -> None:
    info = (share / "Packages" / NAME).stat()
    ranges = split_ranges(len(DATA), RANGE_SIZE)
    (dest_dir / f"{NAME}.part").write_bytes(bytes(len(DATA)))
    record = {  # what a record of jcds2 0.x said: the ranges, but nothing to check them by
        "file_name": NAME,
        "size": len(DATA),
        "md5": "",
        "version": f"v={info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}",
        "range_size": RANGE_SIZE,
        "format": 1,
        "completed": list(range(len(ranges))),
    }
    (dest_dir / f"{NAME}.part.json").write_text(json.dumps(record), encoding="utf-8")
    fetcher = _fails_at(0)

    result = _download(share, fetcher)(NAME, dest_dir)

    assert hashlib.sha256(result.path.read_bytes()).digest() == hashlib.sha256(DATA).digest()
    assert result.resumed_bytes == 0
    assert len(fetcher.fetched) == len(ranges)
