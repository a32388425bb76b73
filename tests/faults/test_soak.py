"""Soak: randomized, seeded fault schedules over uploads and downloads.

Each schedule draws a few faults (Jamf or S3 answers, resets, truncations, wrong ranges,
stalls, expiring URLs and tokens, failing package creation) and runs one upload or one
download under them. Afterwards, with the faults gone: a download is byte-identical or
raised a typed error and left no destination (and the next call completes it); an upload
left no multipart upload in progress, no file without its package and no package without
its file. ``JCDS2_SOAK_SCHEDULES`` and ``JCDS2_SOAK_SEED`` change the run (``make soak``).
"""

from __future__ import annotations

import collections
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jcds2 import JamfProClient, Jcds2Error, TransferConfig
from jcds2.domain.transfer import KiB, MiB
from jcds2.emulator import (
    ExpireTokensFault,
    FailPackageCreationFault,
    FaultPlan,
    FaultRule,
    JamfEmulator,
    StatusFault,
)
from tests.helpers import make_file, sha

from .conftest import STALL_SECONDS, assert_consistent, make_client, object_path

SCHEDULES = int(os.environ.get("JCDS2_SOAK_SCHEDULES", "300"))
SEED = int(os.environ.get("JCDS2_SOAK_SEED", "20261123"))
#: Run only schedules FIRST..LAST (inclusive; the others are drawn, not run), to replay one.
FIRST = int(os.environ.get("JCDS2_SOAK_FIRST", "0"))
LAST = int(os.environ.get("JCDS2_SOAK_LAST", str(SCHEDULES - 1)))
SIZES = (1, 90 * KiB, 700 * KiB, 1 * MiB + 17, 11 * MiB + 3)
CREATE = "/JSSResource/packages/id/0"


def _jamf_fault(rng: random.Random) -> FaultRule:
    route = rng.choice(
        [
            ("GET", "/api/v1/packages"),
            ("POST", "/api/v1/jcds/files"),
            ("GET", "/api/v1/jcds/files"),
            ("GET", "/api/v1/jcds/files/.+"),
            ("DELETE", "/api/v1/jcds/files/.+"),
            ("POST", "/api/v1/jcds/renew-credentials"),
            ("POST", "/api/v1/auth/token"),
        ]
    )
    status = rng.choice([429, 500, 502, 503])
    return StatusFault(
        server="jamf",
        method=route[0],
        path=route[1],
        status=status,
        retry_after=0 if status in (429, 503) else None,
        skip=rng.randrange(3),
        times=rng.randint(1, 2),
    )


def _s3_fault(rng: random.Random, emulator: JamfEmulator) -> FaultRule:
    kind = rng.choice(
        [
            "status",
            "s3_error",
            "reset",
            "reset_upload",
            "truncate",
            "full_body",
            "wrong_range",
            "stall",
            "expire_url",
        ]
    )
    method = {"reset_upload": "PUT", "s3_error": "PUT"}.get(kind, rng.choice(["GET", "PUT"]))
    if kind in ("truncate", "full_body", "wrong_range", "expire_url"):
        method = "GET"
    fields: dict[str, Any] = {}
    if kind == "status":
        fields["status"] = rng.choice([500, 502, 503])
    elif kind == "s3_error":
        fields["code"] = rng.choice(["ExpiredToken", "SlowDown", "InternalError"])
    elif kind in ("reset", "reset_upload", "truncate"):
        fields["after_bytes"] = rng.choice([0, 1, 1000, 60_000])
    elif kind == "wrong_range":
        fields["shift"] = rng.randint(1, 3)
    elif kind == "stall":
        fields["seconds"] = STALL_SECONDS
    elif kind == "expire_url":
        fields["after_ranges"] = rng.randint(1, 4)
    probability = rng.choice([1.0, 1.0, 0.5, 0.2])
    return FaultRule.from_dict(
        {
            "kind": kind,
            "server": "s3",
            "method": method,
            "path": object_path(emulator),
            "skip": rng.randrange(4),
            "times": None
            if kind == "expire_url"
            else (1 if kind == "stall" else rng.randint(1, 3)),
            "probability": probability,
            **fields,
        }
    )


def _plan(rng: random.Random, emulator: JamfEmulator, number: int) -> FaultPlan:
    rules: list[FaultRule] = []
    for _ in range(rng.randint(1, 3)):
        draw = rng.random()
        if draw < 0.55:
            rules.append(_s3_fault(rng, emulator))
        elif draw < 0.8:
            rules.append(_jamf_fault(rng))
        elif draw < 0.92:
            mode = rng.choice(["refuse", "lost_answer"])
            rules.append(FailPackageCreationFault(mode=mode, status=500, path=CREATE))
        else:
            rules.append(ExpireTokensFault(server="jamf", every_seconds=0.1))
    return FaultPlan(seed=SEED * 1000 + number, rules=rules)


class Tally:
    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.violations: list[str] = []

    def report(self) -> str:
        lines = [f"soak: {SCHEDULES} schedules, seed {SEED}"]
        lines += [f"  {key}: {value}" for key, value in sorted(self.counts.items())]
        lines.append(f"  violations: {len(self.violations)}")
        return "\n".join(lines)


@pytest.fixture
def library(tmp_path: Path) -> dict[int, Path]:
    folder = tmp_path / "sources"
    folder.mkdir()
    # A 1-byte file cannot be a flat package, which the upload's guardrails require of a
    # .pkg: it goes as a disk image, whose contents they do not open.
    return {
        size: make_file(
            folder / f"Soak Source {size}{'.pkg' if size > 100 else '.dmg'}", size, seed=size
        )
        for size in SIZES
    }


@pytest.fixture
def soak_client(emulator: JamfEmulator) -> Iterator[JamfProClient]:
    with make_client(emulator) as client:
        yield client


@pytest.fixture
def tidy_client(emulator: JamfEmulator) -> Iterator[JamfProClient]:
    """For the test's own tidying between schedules: the default timeouts, not FAST's 1 s
    read timeout, which a busy machine can exceed with no fault in play."""
    with make_client(emulator, TransferConfig()) as client:
        yield client


def _download_case(
    emulator: JamfEmulator,
    client: JamfProClient,
    source: Path,
    out: Path,
    tally: Tally,
    number: int,
) -> None:
    destination = out / source.name
    try:
        result = client.jcds2.download_file(file_name=source.name, download_path=out)
    except Jcds2Error as exc:
        tally.counts[f"download failed: {type(exc).__name__}"] += 1
        emulator.clear_faults()
        if destination.exists():
            tally.violations.append(f"#{number}: download failed but {destination} exists")
            return
        try:  # the next call (resuming where sensible) must complete the file
            result = client.jcds2.download_file(file_name=source.name, download_path=out)
        except Jcds2Error as again:
            tally.violations.append(f"#{number}: a fault-free retry failed: {again!r}")
            return
        tally.counts["download completed by the next call"] += 1
    else:
        tally.counts["download ok"] += 1
    if sha(result.path) != sha(source):
        tally.violations.append(f"#{number}: corrupt download of {source.name}")
    leftovers = sorted(path.name for path in out.iterdir() if path != destination)
    if leftovers:
        tally.violations.append(f"#{number}: left behind {leftovers}")
    destination.unlink()


def _upload_case(
    emulator: JamfEmulator,
    client: JamfProClient,
    source: Path,
    scratch: Path,
    tally: Tally,
    number: int,
) -> None:
    path = scratch / f"Soak Upload {number:04d}{source.suffix}"
    os.link(source, path)
    try:
        result = client.jcds2.upload_file(file_path=path)
    except Jcds2Error as exc:
        tally.counts[f"upload failed: {type(exc).__name__}"] += 1
    else:
        tally.counts["upload ok"] += 1
        emulator.clear_faults()
        listed = {f.file_name: f for f in client.jcds2.list_files()}
        remote = listed.get(path.name)
        if remote is None or remote.size != source.stat().st_size:
            tally.violations.append(f"#{number}: uploaded file missing or wrong size")
        elif remote.md5 != sha(source, "md5"):
            tally.violations.append(f"#{number}: uploaded file corrupt")
        del result
    finally:
        path.unlink()


def _check_server(emulator: JamfEmulator, tally: Tally, number: int) -> None:
    try:
        assert_consistent(emulator)
    except AssertionError as exc:
        tally.violations.append(f"#{number}: {exc}")


def _tidy(emulator: JamfEmulator, client: JamfProClient, keep: set[str]) -> None:
    """Remove this schedule's upload (package and file), keeping the download sources."""
    packages = client.container.package_repository()
    for item in emulator.packages():
        if item["fileName"] not in keep:
            packages.delete(int(item["id"]))
    for item in emulator.jcds_files():
        if item["fileName"] not in keep:
            client.jcds2.delete_file(item["fileName"])


@pytest.mark.timeout(max(600, SCHEDULES * 2))
def test_soak(
    emulator: JamfEmulator,
    soak_client: JamfProClient,
    tidy_client: JamfProClient,
    library: dict[int, Path],
    tmp_path: Path,
) -> None:
    for source in library.values():
        soak_client.jcds2.upload_file(file_path=source)
    keep = {source.name for source in library.values()}
    out = tmp_path / "out"
    out.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    rng = random.Random(SEED)
    tally = Tally()
    started = time.monotonic()
    for number in range(SCHEDULES):
        plan = _plan(rng, emulator, number)
        source = library[rng.choice(SIZES)]
        operation = rng.choice(["upload", "download"])
        if not FIRST <= number <= LAST:
            continue
        tally.counts["schedules run"] += 1
        emulator.set_fault_plan(plan)
        try:
            if operation == "download":
                _download_case(emulator, soak_client, source, out, tally, number)
            else:
                _upload_case(emulator, soak_client, source, scratch, tally, number)
        except Exception as exc:  # anything but a Jcds2Error is a defect
            tally.violations.append(f"#{number}: untyped {type(exc).__name__}: {exc}")
        finally:
            emulator.clear_faults()
        fired = emulator.fault_log
        tally.counts["faults fired"] += len(fired)
        if operation == "upload" and any(record.kind == "stall" for record in fired):
            # A stalled request the client gave up on is still processed by the server
            # when the stall ends (an S3 PUT then stores the same bytes again): let it
            # land before looking at, and tidying, the server's state.
            time.sleep(STALL_SECONDS)
        emulator.clear_fault_log()
        before = len(tally.violations)
        _check_server(emulator, tally, number)
        if len(tally.violations) > before:
            tally.violations.append(f"#{number}: {operation} of {source.name} {plan.to_dict()}")
        _tidy(emulator, tidy_client, keep)
    tally.counts["seconds"] = round(time.monotonic() - started)
    print("\n" + tally.report())
    assert tally.violations == [], "\n".join(tally.violations[:20])
    assert tally.counts["faults fired"] > tally.counts["schedules run"] // 2
