"""What a server claims is not trusted: sizes, names and URLs, on the in-memory fakes and
the pure helpers."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import attrs
import pytest

from jcds2.application.download import DownloadFile
from jcds2.domain.models import RemoteFile
from jcds2.domain.server import check_transport_url
from jcds2.domain.text import shown, shown_json
from jcds2.domain.transfer import ByteRange, RangePlan, TransferConfig, split_ranges
from jcds2.errors import ConfigurationError, DestinationTooSmallError, InsecureUrlError
from jcds2.testing import InMemoryFileStore

CLAIMED = 10**15  # about 909 TiB


@attrs.define
class Claiming:
    """Wraps the fakes so that the server lists and serves ``size`` bytes for every file."""

    files: InMemoryFileStore
    size: int

    def list_files(self) -> list[RemoteFile]:
        return [attrs.evolve(remote, size=self.size) for remote in self.files.list_files()]

    def download_url(self, file_name: str) -> str:
        return self.files.download_url(file_name)


def test_a_claimed_size_beyond_the_disk_fails_at_once_writes_nothing_and_takes_no_memory(
    tmp_path: Path,
) -> None:
    files = InMemoryFileStore()
    files.receive("Huge.pkg", b"tiny really")
    claiming = Claiming(files, CLAIMED)

    class Fetcher:
        def size(self, url: str) -> int:
            return CLAIMED

        def fetch(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("no range may be asked for")

    download = DownloadFile(claiming, Fetcher(), TransferConfig())  # type: ignore[arg-type]
    tracemalloc.start()
    try:
        with pytest.raises(DestinationTooSmallError) as raised:
            download("Huge.pkg", tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024
    assert raised.value.size == CLAIMED
    assert str(CLAIMED) in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_file_larger_than_the_file_system_takes_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jcds2.application import disk_space  # noqa: PLC0415

    monkeypatch.setattr(os, "pathconf", lambda _path, _name: 32)  # FAT32-like
    with pytest.raises(DestinationTooSmallError, match="takes no file that large"):
        disk_space.check_room(tmp_path / "big.pkg", 2**31)
    disk_space.check_room(tmp_path / "ok.pkg", 2**31 - 1)


def test_a_partial_download_being_resumed_counts_as_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jcds2.application import disk_space  # noqa: PLC0415

    @attrs.frozen
    class Stats:  # a file system with exactly 4 MiB free, whoever else writes to /tmp
        f_bavail: int = 1024
        f_frsize: int = 4096

    monkeypatch.setattr(os, "statvfs", lambda _path: Stats())
    free = 4 * 1024 * 1024
    part = tmp_path / "f.pkg.part"
    part.write_bytes(os.urandom(65536))
    held = part.stat().st_blocks * 512
    assert held >= 65536
    disk_space.check_room(tmp_path / "f.pkg", free)
    with pytest.raises(DestinationTooSmallError, match=f"less space free \\({free} bytes\\)"):
        disk_space.check_room(tmp_path / "f.pkg", free + 1)
    disk_space.check_room(tmp_path / "f.pkg", free + held, held=part)


def test_a_range_plan_is_lazy_whatever_the_size() -> None:
    tracemalloc.start()
    try:
        plan = RangePlan(10**18, 1)
        count, last = len(plan), plan[-1]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 10**18
    assert last == ByteRange(10**18 - 1, 10**18 - 1, total=10**18)
    assert peak < 64 * 1024
    assert list(RangePlan(25, 10)) == [
        ByteRange(0, 9, total=25),
        ByteRange(10, 19, total=25),
        ByteRange(20, 24, total=25),
    ]
    assert split_ranges(25, 10) == list(RangePlan(25, 10))
    with pytest.raises(IndexError):
        RangePlan(25, 10)[3]


# -- one rule for every host ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["https://s3.example.com", "http://127.0.0.1:9000/x", "http://localhost/", "http://[::1]:80"],
)
def test_https_anywhere_and_plain_http_to_loopback_are_used(url: str) -> None:
    assert check_transport_url(url, "S3") == url


def test_plain_http_off_loopback_is_refused_for_any_host() -> None:
    with pytest.raises(InsecureUrlError, match=r"s3\.example\.com for S3"):
        check_transport_url("http://s3.example.com/?X-Amz-Signature=abc", "S3")


@pytest.mark.parametrize("url", ["ftp://host/x", "file:///etc/passwd", "host/x", "https://"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        check_transport_url(url, "the download")


# -- what a server says, shown ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "shown_as"),
    [
        ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
        ("\x1b[2J", "\\x1b[2J"),
        ("a\u202egkp.exe", "a\\u202egkp.exe"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("line\nbreak\rover", "line\\x0abreak\\x0dover"),
        ("\x9b31m", "\\x9b31m"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("Firefox 128.pkg", "Firefox 128.pkg"),
        ("Café e\u0301 中文.pkg", "Café e\u0301 中文.pkg"),
    ],
)
def test_control_and_bidirectional_characters_are_escaped(said: str, shown_as: str) -> None:
    assert shown(said) == shown_as


def test_json_keeps_the_data_and_escapes_what_a_terminal_acts_on() -> None:
    import json  # noqa: PLC0415

    name = "a\x1b[2J\u202e\x7f\x85b\U000e0041.pkg"
    line = shown_json(json.dumps({"file_name": name}, ensure_ascii=False))
    assert json.loads(line) == {"file_name": name}
    assert all(char.isprintable() for char in line)
