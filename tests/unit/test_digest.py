"""InOrderDigest: hashing ranges in file order while they complete out of order."""

from __future__ import annotations

import hashlib
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jcds2.application.digest import InOrderDigest
from jcds2.application.local_files import hash_file
from jcds2.domain.transfer import split_ranges

DATA = random.Random(7).randbytes(1_000_003)


@pytest.fixture
def fd(tmp_path: Path) -> Iterator[int]:
    path = tmp_path / "data"
    path.write_bytes(DATA)
    descriptor = os.open(path, os.O_RDONLY)
    yield descriptor
    os.close(descriptor)


@pytest.mark.parametrize("seed", range(5))
def test_out_of_order_completion_gives_the_whole_file_digest(fd: int, seed: int) -> None:
    ranges = split_ranges(len(DATA), 65_536)
    digest = InOrderDigest(fd, ranges, "md5")
    order = list(range(len(ranges)))
    random.Random(seed).shuffle(order)
    for index in order:
        digest.completed(index)
    assert digest.hexdigest() == hashlib.md5(DATA).hexdigest()


def test_completions_from_many_threads(fd: int) -> None:
    ranges = split_ranges(len(DATA), 10_000)
    digest = InOrderDigest(fd, ranges, "sha512")

    def complete_every_fourth(start: int) -> None:
        for index in range(start, len(ranges), 4):
            digest.completed(index)

    threads = [threading.Thread(target=complete_every_fourth, args=(start,)) for start in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert digest.hexdigest() == hashlib.sha512(DATA).hexdigest()


def test_an_incomplete_range_keeps_the_digest_waiting_until_cancelled(fd: int) -> None:
    ranges = split_ranges(len(DATA), 100_000)
    digest = InOrderDigest(fd, ranges, "md5")
    for index in range(1, len(ranges)):
        digest.completed(index)  # range 0 never completes
    digest.cancel()
    with pytest.raises(RuntimeError, match="cancelled"):
        digest.hexdigest()


def test_a_file_shorter_than_its_ranges_is_an_error(fd: int) -> None:
    ranges = split_ranges(len(DATA) + 10, 100_000)
    digest = InOrderDigest(fd, ranges, "md5")
    for index in range(len(ranges)):
        digest.completed(index)
    with pytest.raises(OSError, match="ended 10 bytes early"):
        digest.hexdigest()


def test_hash_file_stops_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(bytes(20 * 1024 * 1024))
    stop = threading.Event()
    stop.set()
    assert hash_file(path, "md5", stop) != hashlib.md5(path.read_bytes()).hexdigest()
    assert hash_file(path, "md5") == hashlib.md5(path.read_bytes()).hexdigest()
