"""The report: machine and versions, tables, targets, and the template of docs/benchmarks.md."""

# ruff: noqa: S603, RUF001

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.measure import Run
from benchmarks.services import Nginx

MiB = 1024 * 1024
GiB = 1024 * MiB
ANALYSIS_START = "<!-- analysis:start -->"
ANALYSIS_END = "<!-- analysis:end -->"
DEFAULT_ANALYSIS = (
    "_Not written yet. Whoever reads these figures: explain here what they mean, why a target "
    "is missed and what would reach it. The suite keeps whatever stands between the analysis "
    "markers when it rewrites this file._"
)
DOWNLOAD_RSS_LIMIT_MIB = 100
UPLOAD_RSS_BASE_MIB = 64
CORE_SATURATED = 0.85  # a process busy this share of one core or more is "saturating" it


# Facts about the machine and the software -----------------------------------------------


def _first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else None


def machine_facts(work: Path) -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    meminfo = Path("/proc/meminfo").read_text()
    mem_kib = int(_first(r"^MemTotal:\s+(\d+)", meminfo) or 0)
    os_release = Path("/etc/os-release")
    distro = (
        _first(r'^PRETTY_NAME="?([^"\n]*)', os_release.read_text()) if os_release.exists() else ""
    )
    usage = shutil.disk_usage(work)
    filesystem = "?"
    best = ""
    for line in Path("/proc/mounts").read_text().splitlines():
        parts = line.split()
        if (
            len(parts) > 2
            and str(work.resolve()).startswith(parts[1])
            and len(parts[1]) > len(best)
        ):
            best, filesystem = parts[1], parts[2]
    return {
        "CPU": _first(r"^model name\s*:\s*(.*)$", cpuinfo) or platform.processor() or "?",
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "OS": distro or platform.platform(),
        "load average at start (1, 5, 15 min)": ", ".join(f"{v:.2f}" for v in os.getloadavg()),
        "disk free at start": (
            f"{usage.free / GiB:.0f} GiB of {usage.total / GiB:.0f} GiB ({filesystem} on {best})"
        ),
    }


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _command_output(command: Sequence[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:
        return "not found"
    return (result.stdout or result.stderr).strip()


def software_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("jcds2", "boto3", "botocore", "s3transfer", "requests", "urllib3", "moto"):
        versions[package] = _version(package)
    versions["werkzeug"] = _version("werkzeug")
    curl = _command_output(["curl", "--version"]).splitlines()
    versions["curl"] = " ".join(curl[0].split()[:2]) if curl else "?"
    versions["nginx"] = Nginx(Path("."), Path(".")).version()
    return versions


CLIENT_PATHS = ("src/jcds2", ":(exclude)src/jcds2/emulator")


def git_facts(root: Path) -> dict[str, str]:
    """The checkout measured: HEAD, the last commit that changed the client, local changes."""

    def git(*args: str) -> str:
        return _command_output(["git", "-C", str(root), *args])

    return {
        "head": git("rev-parse", "HEAD"),
        "client_commit": git("log", "-1", "--format=%H", "--", *CLIENT_PATHS),
        "client_subject": git("log", "-1", "--format=%s", "--", *CLIENT_PATHS),
        "uncommitted": git("status", "--porcelain", "--", *CLIENT_PATHS),
    }


@dataclass
class Comparison:
    """Two sides of one comparison, warm-ups and timed runs."""

    key: str
    kind: str  # "download" or "upload"
    size: int
    sides: tuple[str, str]
    runs: dict[str, list[Run]] = field(default_factory=dict)
    warmups: dict[str, Run] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    """Everything the report shows."""

    plan_quick: bool
    runs: int
    started: float
    finished: float = 0.0
    comparisons: list[Comparison] = field(default_factory=list)
    duplicate_check: dict[str, Any] | None = None
    sync_check: dict[str, Any] | None = None
    startup: dict[str, Any] | None = None
    machine: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    git: dict[str, str] = field(default_factory=dict)

    def collect_facts(self, root: Path, work: Path) -> None:
        self.machine = machine_facts(work)
        self.versions = software_versions()
        self.git = git_facts(root)


# Statistics ------------------------------------------------------------------------------


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(med(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def mib_s(size: int, seconds: float) -> float:
    return size / MiB / seconds if seconds > 0 else float("inf")


def size_label(size: int) -> str:
    """1 GiB, 1.2 GiB, 256 MiB: at most two decimals, no trailing zeros."""
    value, unit = (size / GiB, "GiB") if size >= GiB else (size / MiB, "MiB")
    return f"{value:.2f}".rstrip("0").rstrip(".") + f" {unit}"


# Targets ---------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    goal: str
    measured: str
    met: bool
    reason: str = ""


def _why_slower(
    size: int, mine: list[Run], theirs: list[Run], server: str, *, writes_file: bool = False
) -> str:
    """The measured facts behind a slower side: start-up, transfer, CPU, server CPU."""
    wall = med([r.wall for r in mine])
    inner = [float(r.output["seconds"]) for r in mine if "seconds" in r.output]
    cpu = med([r.cpu for r in mine])
    other_wall = med([r.wall for r in theirs])
    parts = [f"median process {wall:.2f} s vs {other_wall:.2f} s"]
    if inner:
        transfer = med(inner)
        parts.append(
            f"of which {transfer:.2f} s inside the library call ({mib_s(size, transfer):.0f} "
            f"MiB/s) and {wall - transfer:.2f} s start-up, log-in and exit"
        )
    parts.append(f"{cpu:.2f} CPU-s = {cpu / wall:.2f} of the machine's cores busy on average")
    server_cpu = [r.server_cpu for r in mine if r.server_cpu is not None]
    if server_cpu:
        busy = med(server_cpu) / wall
        parts.append(f"{server} {med(server_cpu):.2f} CPU-s ({busy:.0%} of one core)")
    my_sync, their_sync = med([r.sync_after for r in mine]), med([r.sync_after for r in theirs])
    if writes_file and their_sync - my_sync > 0.1:
        durable = (other_wall + their_sync) / (wall + my_sync)
        parts.append(
            f"the other side left {their_sync:.2f} s of writeback to the `sync` after it, which "
            f"jcds2 does inside its run (fsync); counting it, the ratio is {durable:.2f}"
        )
    return "; ".join(parts)


def evaluate(report: Report) -> list[Target]:
    targets: list[Target] = []
    for comparison in report.comparisons:
        a, b = comparison.sides
        mine, theirs = comparison.runs[a], comparison.runs[b]
        label = size_label(comparison.size)
        wall_a, wall_b = med([r.wall for r in mine]), med([r.wall for r in theirs])
        peak_rss = max(r.max_rss_mib for r in mine)
        if comparison.kind == "download":
            ratio = wall_b / wall_a
            targets.append(
                Target(
                    f"Download {label}: throughput",
                    "≥ 0.9 × curl's",
                    f"{ratio:.2f} × curl's ({mib_s(comparison.size, wall_a):.0f} vs "
                    f"{mib_s(comparison.size, wall_b):.0f} MiB/s, medians of whole processes)",
                    ratio >= 0.9,
                    ""
                    if ratio >= 0.9
                    else _why_slower(comparison.size, mine, theirs, "nginx", writes_file=True),
                )
            )
            targets.append(
                Target(
                    f"Download {label}: peak RSS",
                    f"≤ {DOWNLOAD_RSS_LIMIT_MIB} MiB",
                    f"{peak_rss:.1f} MiB (max of {len(mine)} runs)",
                    peak_rss <= DOWNLOAD_RSS_LIMIT_MIB,
                )
            )
            over = [(r.peak_disk or 0) - (r.final_disk or 0) for r in mine]
            worst = max(over)
            peak = max(r.peak_disk or 0 for r in mine)
            targets.append(
                Target(
                    f"Download {label}: disk use",
                    "never above the file's size",
                    f"peak {peak / MiB:.1f} MiB allocated (destination + .part) for a "
                    f"{comparison.size / MiB:.0f} MiB file; at most {max(worst, 0) / MiB:.2f} MiB "
                    "above the finished file's own allocation",
                    worst <= 0,
                    ""
                    if worst <= 0
                    else f"the destination and .part together held up to {worst} bytes more "
                    "than the finished file",
                )
            )
        else:
            ratio = wall_a / wall_b
            part_size = int(mine[0].output.get("part_size", 0))
            concurrency = int(mine[0].output.get("concurrency", 0))
            limit = UPLOAD_RSS_BASE_MIB + concurrency * part_size / MiB
            targets.append(
                Target(
                    f"Upload {label}: time",
                    "≤ 1.0 × boto3's",
                    f"{ratio:.2f} × boto3's ({wall_a:.2f} s vs {wall_b:.2f} s, medians)",
                    ratio <= 1.0,
                    ""
                    if ratio <= 1.0
                    else _why_slower(comparison.size, mine, theirs, "the S3 server (emulator)"),
                )
            )
            targets.append(
                Target(
                    f"Upload {label}: peak RSS",
                    f"≤ 64 MiB + {concurrency} × {part_size / MiB:g} MiB = {limit:.0f} MiB",
                    f"{peak_rss:.1f} MiB (max of {len(mine)} runs)",
                    peak_rss <= limit,
                )
            )
    dup = report.duplicate_check
    if dup:
        requests = max(r["requests"] for r in dup["runs"])
        call = med([r["call_seconds"] for r in dup["runs"]])
        worst_call = max(r["call_seconds"] for r in dup["runs"])
        process = med([r["process_wall"] for r in dup["runs"]])
        targets.append(
            Target(
                "Duplicate check: Jamf API requests",
                "≤ 6 in total",
                f"{requests} per process (max of {len(dup['runs'])} runs), "
                f"{max(r['requests_in_call'] for r in dup['runs'])} during upload_file",
                requests <= 6,
                "" if requests <= 6 else "requests: " + ", ".join(dup["runs"][0]["paths"]),
            )
        )
        targets.append(
            Target(
                "Duplicate check: end to end",
                "≤ 1 s",
                f"upload_file {call:.3f} s median ({worst_call:.3f} s max); whole process "
                f"{process:.2f} s median",
                worst_call <= 1.0,
            )
        )
    targets += _sync_targets(report.sync_check)
    targets += _startup_targets(report.startup)
    return targets


#: Jamf API requests an unchanged sync may take: the JCDS file listing, the package pages
#: (200 packages a page, one more to see the end), the token; none per file.
def _sync_request_limit(files: int) -> int:
    return 1 + (files // 200 + 1) + 2


def _sync_targets(sync: dict[str, Any] | None) -> list[Target]:
    if not sync:
        return []
    files = sync["files"]
    limit = _sync_request_limit(files)
    requests = max(r["requests_in_call"] for r in sync["runs"])
    call = med([r["call_seconds"] for r in sync["runs"]])
    process = med([r["process_wall"] for r in sync["runs"]])
    return [
        Target(
            f"Unchanged sync of {files} files: Jamf API requests",
            f"≤ {limit} (a constant per page, none per file)",
            f"{requests} during client.sync (max of {len(sync['runs'])} runs)",
            requests <= limit,
            "" if requests <= limit else "requests: " + ", ".join(sync["runs"][0]["paths"]),
        ),
        Target(
            f"Unchanged sync of {files} files: time",
            "reported (no file read again, nothing sent)",
            f"client.sync {call:.2f} s median; whole process {process:.2f} s median "
            f"(the first sync, uploading them all: {sync['first']['call_seconds']:.1f} s)",
            True,
        ),
    ]


#: The start-up target of issue 17, in seconds of wall time (median of the runs).
STARTUP_LIMIT = 0.15


def _startup_targets(startup: dict[str, Any] | None) -> list[Target]:
    if not startup:
        return []
    targets = []
    for name, walls in startup["walls"].items():
        median = med(walls)
        targets.append(
            Target(
                f"Start-up: `jcds2 {name}`",
                f"< {STARTUP_LIMIT} s",
                f"{median:.3f} s median of {len(walls)} runs ({min(walls):.3f} to "
                f"{max(walls):.3f} s)",
                median < STARTUP_LIMIT,
                "" if median < STARTUP_LIMIT else "see the analysis: what start-up imports",
            )
        )
    return targets


# Rendering -------------------------------------------------------------------------------


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]


def _metric_rows(comparison: Comparison) -> list[list[str]]:
    a, b = comparison.sides
    ra, rb = comparison.runs[a], comparison.runs[b]
    size = comparison.size
    server = "nginx CPU-s" if comparison.kind == "download" else "emulator (S3 server) CPU-s"

    def both(pick: Callable[[Run], float], fmt: str = "{:.2f}") -> list[str]:
        va, vb = [pick(r) for r in ra], [pick(r) for r in rb]
        ratio = f"{med(va) / med(vb):.2f}" if med(vb) > 0 else "–"
        return [spread(va, fmt), spread(vb, fmt), ratio]

    rows = [
        ["wall, whole process (s)", *both(lambda r: r.wall)],
        ["throughput (MiB/s)", *both(lambda r: mib_s(size, r.wall), "{:.0f}")],
        ["CPU user+sys (s)", *both(lambda r: r.cpu)],
        ["  of which user (s)", *both(lambda r: r.user)],
        ["  of which sys (s)", *both(lambda r: r.system)],
        ["peak RSS (MiB)", *both(lambda r: r.max_rss_mib, "{:.1f}")],
        [server, *both(lambda r: r.server_cpu or 0.0)],
        [
            "server busy (share of one core)",
            *both(lambda r: (r.server_cpu or 0.0) / r.wall, "{:.0%}"),
        ],
        ["`sync` right after the run (s)", *both(lambda r: r.sync_after)],
        ["CPU-s of everything else on the machine", *both(lambda r: r.other_cpu)],
    ]
    if comparison.kind == "download":
        rows.append(
            ["peak disk, destination + .part (MiB)", *both(lambda r: (r.peak_disk or 0) / MiB)]
        )
    inner = [r.output.get("seconds") for r in ra]
    inner_b = [r.output.get("seconds") for r in rb]
    if all(v is not None for v in inner):
        other = spread([float(v) for v in inner_b if v is not None]) if all(inner_b) else "–"
        rows.append(
            ["time inside the library call (s)", spread([float(v) for v in inner if v]), other, ""]
        )
    return rows


def _bar(value: float, top: float, width: int = 40) -> str:
    filled = round(width * value / top) if top else 0
    return "█" * filled + "·" * (width - filled)


def _throughput_chart(report: Report) -> list[str]:
    lines = []
    values = []
    for c in report.comparisons:
        for side in c.sides:
            values.append((c, side, mib_s(c.size, med([r.wall for r in c.runs[side]]))))
    if not values:
        return []
    top = max(v for _, _, v in values)
    for c, side, value in values:
        name = f"{c.kind} {size_label(c.size)}"
        lines.append(f"{name:<18} {side:<6} {_bar(value, top)} {value:7.0f} MiB/s")
    return ["```text", *lines, "```"]


def _efficiency_rows(report: Report) -> list[list[str]]:
    rows = []
    for c in report.comparisons:
        a, b = c.sides
        per = {
            side: c.size / MiB / med([r.cpu for r in c.runs[side]]) if c.runs[side] else 0.0
            for side in c.sides
        }
        rows.append(
            [
                f"{c.kind} {size_label(c.size)}",
                f"{per[a]:.0f}",
                f"{per[b]:.0f} ({b})",
                f"{per[a] / per[b]:.2f}" if per[b] else "–",
            ]
        )
    return rows


def _per_run_details(comparison: Comparison) -> list[str]:
    rows = []
    for side in comparison.sides:
        for run_number, run in enumerate(comparison.runs[side], start=1):
            rows.append(
                [
                    side,
                    str(run_number),
                    f"{run.wall:.3f}",
                    f"{run.user:.2f}",
                    f"{run.system:.2f}",
                    f"{run.max_rss_mib:.1f}",
                    f"{run.server_cpu or 0:.2f}",
                    f"{run.sync_after:.2f}",
                    "–" if run.peak_disk is None else f"{run.peak_disk / MiB:.1f}",
                    f"{run.output['seconds']:.3f}" if "seconds" in run.output else "–",
                ]
            )
    header = [
        "side",
        "run",
        "wall s",
        "user s",
        "sys s",
        "RSS MiB",
        "server CPU-s",
        "sync after s",
        "peak disk MiB",
        "call s",
    ]
    return [
        "<details><summary>Every timed run</summary>",
        "",
        *_table(header, rows),
        "",
        "</details>",
    ]


def keep_analysis(previous: str) -> str:
    start, end = previous.find(ANALYSIS_START), previous.find(ANALYSIS_END)
    if start == -1 or end == -1 or end < start:
        return DEFAULT_ANALYSIS
    kept = previous[start + len(ANALYSIS_START) : end].strip()
    return kept or DEFAULT_ANALYSIS


def render(report: Report, previous: str) -> str:
    """The whole of docs/benchmarks.md; ``previous`` supplies the analysis to keep."""
    targets = evaluate(report)
    when = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(report.started))
    minutes = (report.finished - report.started) / 60
    mode = "quick mode: small files, a smoke test of the harness" if report.plan_quick else "full"
    git = report.git
    # The commit by its id only: its subject is a developer's note, not a reader's.
    client = (
        f"`{git.get('client_commit', '?')[:12]}`, the last commit that changed the client "
        f"(`src/jcds2` but the emulator); HEAD was `{git.get('head', '?')[:12]}`"
    )
    uncommitted = git.get("uncommitted", "")
    if uncommitted:
        files = ", ".join(f"`{line[3:]}`" for line in uncommitted.splitlines())
        client += f", with uncommitted changes in {files} (the working tree was measured)"

    # The page opens with its results; when, what and how it was measured follow them.
    out = [
        "# Benchmarks",
        "",
        "<!-- Written by `make bench` (benchmarks/run.py). Edit only between the analysis "
        "markers: the rest is rewritten on every run. -->",
        "",
        "jcds2 against `curl` (downloads) and boto3's `upload_file` (uploads), whole processes "
        f"on one machine, medians of {report.runs} alternating runs per side "
        "([how it was measured](#how-it-was-measured)).",
        "",
        "## Targets",
        "",
        *_table(
            ["target", "goal", "measured", "met"],
            [[t.name, t.goal, t.measured, "met" if t.met else "**not met**"] for t in targets],
        ),
        "",
    ]
    missed = [t for t in targets if not t.met and t.reason]
    if missed:
        out += ["Measured reasons where a target is not met:", ""]
        out += [f"- **{t.name}**: {t.reason}." for t in missed]
        out.append("")
    out += [
        "## Analysis",
        "",
        ANALYSIS_START,
        keep_analysis(previous),
        ANALYSIS_END,
        "",
        "## Running it",
        "",
        "`make bench` runs the full suite (about 10 minutes here) and rewrites this file; "
        "`make bench BENCH_ARGS=--quick` is a one-minute smoke test with small files that writes "
        "`benchmarks/.work/benchmarks-quick.md` instead. Other options of `python -m benchmarks`: "
        "`--runs N`, `--only download,upload,dupcheck,sync,startup`, `--keep-work`, and "
        "`--from-results benchmarks/.work/results.json` to re-render this file from the last "
        "run's raw figures. "
        "The suite needs nginx, GNU time and curl; as root on Debian it installs them itself "
        "(`apt-get install -y nginx-light time curl`), otherwise it says what is missing. It "
        "needs about 15 GiB of free disk under `benchmarks/.work/` and removes its files at the "
        "end.",
        "",
        "## How it was measured",
        "",
        "- Every side is a separate process run under `/usr/bin/time -v`: user and system CPU "
        "and peak RSS come from there; wall time is the harness's monotonic clock around the "
        "process, so every figure includes interpreter start-up, imports, log-in and exit.",
        "- jcds2 runs through small drivers (`benchmarks/drivers/`) that use only its public "
        "API with the default `TransferConfig`"
        + (
            " (quick mode lowers the multipart threshold so that its small file goes up in parts)"
            if report.plan_quick
            else ""
        )
        + ". Downloads are compared with `curl -s -o FILE URL`, uploads with boto3's own "
        "`S3Client.upload_file` (s3transfer's default `TransferConfig`), same file, same server.",
        "- Downloads: nginx (own config, `sendfile on`, `access_log off`, `worker_processes "
        "auto`) on a loopback port serves the files; the emulator runs with `--external-files` "
        "and `--download-base-url` pointing at it, so jcds2 gets its URL, size and MD5 from the "
        "emulator and its byte ranges from nginx, and curl fetches the same URL. The emulator "
        "computed the files' digests once before the first run.",
        "- Start-up: `jcds2 --version` and `jcds2 --help` through the runtime venv's console "
        "script, 20 runs each (5 in quick mode), alternating, after one warm-up each; wall time "
        "of the whole process (`time.perf_counter` around it), medians against 0.15 s.",
        "- Uploads go to the emulator's S3 server (moto, in the emulator's process); its CPU "
        "time is read from `/proc/<pid>/stat` before and after each run. Each run uploads the "
        "same bytes under a file name of its own (a hard link), and every object and package is "
        "deleted after each run; each size gets a fresh emulator.",
        "- The page cache is not dropped (that cannot be done reliably here), so sources are "
        "read from memory. Instead, the destination is deleted after every run and `sync` runs "
        "before every run, so that dirty pages of one run are not written back during the next. "
        "The `sync` right after each run is timed and shown: a side that does not `fsync` its "
        "file leaves that work to the kernel, and the durable time is about wall + that `sync`.",
        "- Disk use is the allocated size (`st_blocks × 512`) of the destination plus its "
        "`.part` file, sampled at about 20 Hz from the harness during the run; the target "
        "compares its peak with the allocation of the finished file (its size, rounded up to "
        "whole blocks, plus the file system's extent blocks).",
        "- Duplicate check: the emulator runs with `--packages N --latency-ms L --request-log "
        "FILE`; the requests are the lines the process added to that log, and the call's time "
        "is measured inside the driver around `upload_file`.",
        '- "Everything else on the machine" is the machine\'s busy CPU time during the run '
        "(`/proc/stat`) minus the measured process and the server: kernel writeback threads, "
        "the harness's sampling, and any other load (other work on a shared machine shows up "
        "here and makes a run noisier).",
        "- Ratios are ratios of medians, first side over second.",
        "",
        "## Machine and versions",
        "",
        f"Measured {when} in {minutes:.1f} min ({mode}), {report.runs} timed runs per side "
        "after one warm-up each, sides alternating. Client measured: " + client + ".",
        "",
        *_table(["machine", ""], [[k, v] for k, v in report.machine.items()]),
        "",
        *_table(["software", "version"], [[k, v] for k, v in report.versions.items()]),
        "",
    ]

    for kind, title in (
        ("download", "Downloads: jcds2 `download_file` vs `curl -o`"),
        ("upload", "Uploads: jcds2 `upload_file` vs boto3 `upload_file`"),
    ):
        chosen = [c for c in report.comparisons if c.kind == kind]
        if not chosen:
            continue
        out += [f"## {title}", ""]
        priming = chosen[0].facts.get("digest_priming_seconds")
        if priming is not None:
            out += [
                "Before the first run the emulator read the served files once to compute the "
                f"MD5 and SHA3-512 it lists ({priming:.1f} s, not measured).",
                "",
            ]
        for c in chosen:
            a, b = c.sides
            extra = ""
            if kind == "upload":
                multipart = {r.output.get("multipart") for r in c.runs[a]}
                extra = " (jcds2: " + ("multipart" if multipart == {True} else "one request") + ")"
            out += [f"### {size_label(c.size)} ({c.size} bytes){extra}", ""]
            out += _table(
                ["median (min–max)", a, b, f"{a} / {b}"],
                _metric_rows(c),
            )
            out.append("")
            if kind == "upload":
                for side in c.sides:
                    busy = med([(r.server_cpu or 0.0) / r.wall for r in c.runs[side]])
                    if busy >= CORE_SATURATED:
                        out.append(
                            f"- With {side}, the S3 server (moto, one Python process) was busy "
                            f"{busy:.0%} of one core: it saturates a core, so this comparison "
                            "partly measures the server."
                        )
                out.append("")
            out += [*_per_run_details(c), ""]

    dup = report.duplicate_check
    if dup:
        out += [
            "## Duplicate check at scale",
            "",
            f"Emulator with {dup['packages']} packages and {dup['latency_ms']} ms latency per "
            "Jamf API request; jcds2 uploads a 1 KiB file under a new name per run.",
            "",
            *_table(
                [
                    "run",
                    "upload_file (s)",
                    "whole process (s)",
                    "Jamf API requests",
                    "during upload_file",
                    "peak RSS (MiB)",
                ],
                [
                    [
                        str(r["round"]),
                        f"{r['call_seconds']:.3f}",
                        f"{r['process_wall']:.2f}",
                        str(r["requests"]),
                        str(r["requests_in_call"]),
                        f"{r['max_rss_mib']:.1f}",
                    ]
                    for r in dup["runs"]
                ],
            ),
            "",
            "Requests of one run, in order: "
            + ", ".join(f"`{p}`" for p in dup["runs"][0]["paths"]),
            "",
        ]

    out += _sync_section(report.sync_check)

    if report.comparisons:
        out += [
            "## CPU efficiency",
            "",
            "MiB moved per CPU-second (user + sys of the client process, median runs).",
            "",
            *_table(["transfer", "jcds2", "other side", "jcds2 / other"], _efficiency_rows(report)),
            "",
            "## Throughput at a glance",
            "",
            "Median whole-process throughput (file size / wall time).",
            "",
            *_throughput_chart(report),
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def _sync_section(sync: dict[str, Any] | None) -> list[str]:
    """The table of the unchanged-sync runs (the first run, which uploads, included)."""
    if not sync:
        return []
    return [
        "## Unchanged sync",
        "",
        f'`client.sync(folder, "jcds")` of {sync["files"]} files of 1 KiB: run 0 uploads '
        "them all (the migration, not timed against a target); every later run finds the "
        "folder and the JCDS the same, with the folder's hashes taken from its cache.",
        "",
        *_table(
            [
                "run",
                "client.sync (s)",
                "whole process (s)",
                "kept",
                "copied",
                "Jamf API requests",
                "during client.sync",
                "peak RSS (MiB)",
            ],
            [
                [
                    str(r["round"]),
                    f"{r['call_seconds']:.3f}",
                    f"{r['process_wall']:.2f}",
                    str(r["counts"]["keep"]),
                    str(r["counts"]["copy"]),
                    str(r["requests"]),
                    str(r["requests_in_call"]),
                    f"{r['max_rss_mib']:.1f}",
                ]
                for r in [sync["first"], *sync["runs"]]
            ],
        ),
        "",
        "Requests of an unchanged run's client.sync: "
        + ", ".join(f"`{p}`" for p in sync["runs"][0]["paths"]),
        "",
    ]
