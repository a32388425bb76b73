"""Downloads under faults: byte-identical or a typed error with no destination; resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from jcds2 import DownloadError, JamfProClient
from jcds2.emulator import FaultPlan, FaultRule, JamfEmulator
from tests.helpers import make_file, sha

from .conftest import FAST, STALL_SECONDS, make_client, object_path

SIZE = 2 * 1024 * 1024 + 12_345  # 9 ranges of 256 KiB, the last one short
RANGES = -(-SIZE // FAST.range_size)


@pytest.fixture
def source(tmp_path: Path, fast_client: JamfProClient) -> Path:
    path = make_file(tmp_path / "Faulty Download 1.0.pkg", SIZE, seed=7)
    fast_client.jcds2.upload_file(file_path=path)
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _ranged_gets(emulator: JamfEmulator, **fields: Any) -> FaultRule:
    where = {"server": "s3", "method": "GET", "path": object_path(emulator)}
    return FaultRule.from_dict({**where, **fields})


TRANSIENT = {
    "500 twice": {"kind": "status", "status": 500, "times": 2},
    "502": {"kind": "status", "status": 502, "times": 1},
    "503 with Retry-After": {"kind": "status", "status": 503, "retry_after": 0, "times": 2},
    "429 with Retry-After": {"kind": "status", "status": 429, "retry_after": 1, "times": 1},
    "reset mid-body": {"kind": "reset", "after_bytes": 70_000, "times": 3},
    "reset before any byte": {"kind": "reset", "after_bytes": 0, "times": 2},
    "truncated body": {"kind": "truncate", "after_bytes": 1_000, "times": 3},
    "200 with the whole body": {"kind": "full_body", "times": 2},
    "wrong Content-Range": {"kind": "wrong_range", "shift": 1, "times": 2},
    "stall past the timeout": {"kind": "stall", "seconds": STALL_SECONDS, "times": 1},
    "SlowDown": {"kind": "s3_error", "code": "SlowDown", "times": 2},
    "InternalError": {"kind": "s3_error", "code": "InternalError", "times": 2},
}


@pytest.mark.parametrize("fault", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_a_transient_fault_is_retried_and_the_file_is_byte_identical(
    emulator: JamfEmulator,
    fast_client: JamfProClient,
    source: Path,
    out: Path,
    fault: dict[str, Any],
) -> None:
    emulator.set_fault_plan(FaultPlan(seed=1, rules=[_ranged_gets(emulator, skip=2, **fault)]))

    result = fast_client.jcds2.download_file(file_name=source.name, download_path=out)

    assert emulator.fault_log, "the fault never fired: the test proves nothing"
    assert sha(result.path) == sha(source)
    assert result.verified_md5
    assert sorted(p.name for p in out.iterdir()) == [source.name]


def test_an_expired_url_is_fetched_again(
    emulator: JamfEmulator, fast_client: JamfProClient, source: Path, out: Path
) -> None:
    emulator.set_fault_plan(
        FaultPlan(rules=[_ranged_gets(emulator, kind="expire_url", after_ranges=3, times=None)])
    )

    result = fast_client.jcds2.download_file(file_name=source.name, download_path=out)

    assert sha(result.path) == sha(source)
    assert len(emulator.issued_download_urls()) >= 3  # every URL expired after 3 ranges
    assert any(record.kind == "expire_url" for record in emulator.fault_log)


PERMANENT = {
    "500 forever": {"kind": "status", "status": 500, "skip": 3},
    "reset forever": {"kind": "reset", "after_bytes": 10_000, "skip": 3},
    "wrong Content-Range forever": {"kind": "wrong_range", "shift": 3, "skip": 3},
}


@pytest.mark.parametrize("fault", PERMANENT.values(), ids=PERMANENT.keys())
def test_a_lasting_fault_is_a_typed_error_and_no_destination(
    emulator: JamfEmulator,
    fast_client: JamfProClient,
    source: Path,
    out: Path,
    fault: dict[str, Any],
) -> None:
    emulator.set_fault_plan(FaultPlan(rules=[_ranged_gets(emulator, times=None, **fault)]))

    with pytest.raises(DownloadError):
        fast_client.jcds2.download_file(file_name=source.name, download_path=out)

    assert not (out / source.name).exists()


def test_fresh_urls_that_are_all_refused_are_a_typed_error_and_no_destination(
    emulator: JamfEmulator, fast_client: JamfProClient, source: Path, out: Path
) -> None:
    """The first URL serves the size probe and two ranges; every URL after it is refused
    from its first request. Only fresh URLs that never work count against the download,
    and here none ever works again, whatever the order in which the threads meet them.

    (This case once used ``after_ranges=1`` on every URL. Each fresh URL then served one
    range, so the download made progress with every URL and whether it gave up depended
    on which thread's answer came first: on a busy machine it finished the file.)
    """
    first_url = _ranged_gets(emulator, kind="expire_url", after_ranges=3, times=1)
    later_urls = _ranged_gets(emulator, kind="expire_url", after_ranges=0, skip=1, times=None)
    emulator.set_fault_plan(FaultPlan(rules=[first_url, later_urls]))
    issued_before = len(emulator.issued_download_urls())  # kept across tests

    with pytest.raises(DownloadError, match="kept being refused"):
        fast_client.jcds2.download_file(file_name=source.name, download_path=out)

    assert not (out / source.name).exists()
    # The first URL and max_attempts fresh ones, each refused, then no more.
    assert len(emulator.issued_download_urls()) - issued_before == 1 + FAST.max_attempts


def test_a_download_that_progresses_with_every_fresh_url_is_finished(
    emulator: JamfEmulator, source: Path, out: Path
) -> None:
    """Every URL serves one range, then is refused: each fresh URL brings the download a
    range further, so it is never given up. One range at a time, so that which request
    each URL serves does not depend on the threads' order."""
    emulator.set_fault_plan(
        FaultPlan(rules=[_ranged_gets(emulator, kind="expire_url", after_ranges=1, times=None)])
    )
    issued_before = len(emulator.issued_download_urls())  # kept across tests

    with make_client(emulator, attrs.evolve(FAST, concurrency=1)) as client:
        result = client.jcds2.download_file(file_name=source.name, download_path=out)

    assert sha(result.path) == sha(source)
    # One URL for the size probe, then one per range.
    assert len(emulator.issued_download_urls()) - issued_before == 1 + RANGES


def test_an_interrupted_download_is_resumed_fetching_only_the_missing_ranges(
    emulator: JamfEmulator, fast_client: JamfProClient, source: Path, out: Path
) -> None:
    # One range at a time: the size probe and 4 ranges pass, then every range fails.
    with make_client(emulator, attrs.evolve(FAST, concurrency=1)) as client:
        emulator.set_fault_plan(
            FaultPlan(rules=[_ranged_gets(emulator, kind="status", status=500, skip=5, times=None)])
        )
        with pytest.raises(DownloadError):
            client.jcds2.download_file(file_name=source.name, download_path=out)
        assert not (out / source.name).exists()
        assert sorted(p.name for p in out.iterdir()) == [
            f"{source.name}.part",
            f"{source.name}.part.json",
        ]

        emulator.clear_faults()
        emulator.clear_s3_request_log()
        result = client.jcds2.download_file(file_name=source.name, download_path=out)

    assert sha(result.path) == sha(source)
    assert result.verified_md5
    fetched = [r.range for r in emulator.s3_request_log if r.method == "GET" and r.range]
    probe = "bytes=0-0"
    ranges = [r for r in fetched if r != probe]
    assert len(ranges) == RANGES - 4, fetched
    assert f"bytes=0-{FAST.range_size - 1}" not in ranges  # the first ranges were not refetched
    assert result.resumed_bytes == 4 * FAST.range_size
    assert sorted(p.name for p in out.iterdir()) == [source.name]
