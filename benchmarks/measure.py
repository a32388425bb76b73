"""Measuring one process: wall time, CPU, peak RSS (``/usr/bin/time -v``), disk, server CPU."""

# ruff: noqa: S603 - the suite runs its own, fixed commands

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIME = "/usr/bin/time"
_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.05  # ~20 Hz


class BenchmarkError(RuntimeError):
    """Raised when a measured process fails or the suite cannot set something up."""


@dataclass
class Run:
    """One measured process run."""

    side: str
    wall: float  # seconds, from the harness's monotonic clock around the process
    user: float
    system: float
    max_rss_kib: int
    sync_after: float = 0.0  # seconds the ``sync`` right after the run took
    peak_disk: int | None = None  # bytes allocated by destination + .part, at the peak
    final_disk: int | None = None  # bytes allocated by the finished destination
    server_cpu: float | None = None  # CPU seconds the server(s) used during the run
    machine_cpu: float = 0.0  # CPU seconds all processes of the machine used during the run
    output: dict[str, Any] = field(default_factory=dict)  # the driver's JSON line

    @property
    def cpu(self) -> float:
        return self.user + self.system

    @property
    def max_rss_mib(self) -> float:
        return self.max_rss_kib / 1024

    @property
    def other_cpu(self) -> float:
        """CPU seconds used by neither the measured process nor the server: other load."""
        return max(self.machine_cpu - self.cpu - (self.server_cpu or 0.0), 0.0)


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from ``/proc/<pid>/stat``."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    # Fields 14 and 15 of stat(5); the list starts at field 3.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine so far (all cores), from ``/proc/stat``."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def children_of(pid: int) -> list[int]:
    """The direct children of ``pid`` (e.g. nginx's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def allocated_bytes(paths: Sequence[Path]) -> int:
    total = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            total += os.stat(path).st_blocks * 512
    return total


class DiskSampler:
    """Samples the allocated size of some paths at ~20 Hz in a thread; keeps the peak."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="disk-sampler", daemon=True)

    def _loop(self) -> None:
        while True:
            self.peak = max(self.peak, allocated_bytes(self.paths))
            self.samples += 1
            if self._stop.wait(SAMPLE_SECONDS):
                return

    def __enter__(self) -> DiskSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, allocated_bytes(self.paths))


def _parse_time_v(text: str) -> tuple[float, float, int]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key:
            values[key] = value
    try:
        return (
            float(values["User time (seconds)"]),
            float(values["System time (seconds)"]),
            int(values["Maximum resident set size (kbytes)"]),
        )
    except KeyError as exc:
        raise BenchmarkError(f"unexpected /usr/bin/time -v output:\n{text}") from exc


def timed_sync() -> float:
    started = time.perf_counter()
    os.sync()
    return time.perf_counter() - started


def measure(
    side: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    watch: Sequence[Path] = (),
    server_pids: Sequence[int] = (),
    timeout: float = 900,
) -> Run:
    """Run ``command`` under ``/usr/bin/time -v`` and measure it.

    ``sync`` runs first, so that dirty pages of an earlier run are written back before this
    one starts, and again right after (timed: ``sync_after``). ``watch`` paths are sampled
    for allocated disk space; ``server_pids`` have their CPU time read before and after.
    The process must exit 0; if it prints a JSON line last, that becomes ``Run.output``.
    """
    os.sync()
    with tempfile.NamedTemporaryFile("r", suffix=".time", encoding="utf-8") as report:
        cpu_before = sum(process_cpu_seconds(pid) for pid in server_pids)
        machine_before = machine_cpu_seconds()
        sampler = DiskSampler(watch) if watch else None
        if sampler is not None:
            sampler.__enter__()
        started = time.perf_counter()
        try:
            completed = subprocess.run(
                [TIME, "-v", "-o", report.name, *command],
                env=None if env is None else {**os.environ, **env},
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        finally:
            wall = time.perf_counter() - started
            if sampler is not None:
                sampler.__exit__()
        cpu_after = sum(process_cpu_seconds(pid) for pid in server_pids)
        machine_after = machine_cpu_seconds()
        final_disk = allocated_bytes(watch[:1]) if watch else None
        sync_after = timed_sync()
        if completed.returncode != 0:
            raise BenchmarkError(
                f"{side} failed (exit {completed.returncode}): {' '.join(command)}\n"
                f"{completed.stderr[-3000:]}"
            )
        user, system, rss = _parse_time_v(report.read())
    output: dict[str, Any] = {}
    lines = completed.stdout.strip().splitlines()
    if lines and lines[-1].startswith("{"):
        output = json.loads(lines[-1])
    return Run(
        side=side,
        wall=wall,
        user=user,
        system=system,
        max_rss_kib=rss,
        sync_after=sync_after,
        peak_disk=sampler.peak if sampler is not None else None,
        final_disk=final_disk,
        server_cpu=(cpu_after - cpu_before) if server_pids else None,
        machine_cpu=machine_after - machine_before,
        output=output,
    )
