"""Run the benchmark suite and write ``docs/benchmarks.md``.

``python -m benchmarks`` runs the full suite (about 10 minutes on a 2-core machine);
``--quick`` (or ``BENCH_QUICK=1``) runs small sizes, two timed runs each, to smoke-test the
harness in a minute or two and writes its report to ``benchmarks/.work/benchmarks-quick.md``.
Every side of a comparison is a separate process measured with ``/usr/bin/time -v``; the
sides alternate (A B A B ...) after one warm-up each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.measure import BenchmarkError, Run, measure
from benchmarks.report import Comparison, Report, render, size_label
from benchmarks.services import Emulator, Nginx, ensure_tools, runtime_python

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
WORK = BENCH / ".work"
DRIVERS = BENCH / "drivers"
DOC = ROOT / "docs" / "benchmarks.md"
QUICK_DOC = WORK / "benchmarks-quick.md"
KEEP = {"benchmarks-quick.md", "results.json", "results-quick.json"}

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class Plan:
    """Sizes and run counts of one suite run."""

    quick: bool
    download_sizes: tuple[int, ...]
    upload_sizes: tuple[int, ...]
    runs: int
    # None: jcds2's default TransferConfig. Quick mode lowers it so that its small
    # "multipart" file really is uploaded in parts.
    multipart_threshold: int | None
    dup_packages: int = 2000
    dup_latency_ms: int = 20
    sync_files: int = 1000
    startup_runs: int = 20

    @classmethod
    def full(cls, runs: int) -> Plan:
        return cls(False, (1 * GiB, 4 * GiB), (256 * MiB, int(1.2 * GiB)), runs, None)

    @classmethod
    def small(cls, runs: int) -> Plan:
        return cls(
            True,
            (32 * MiB, 96 * MiB),
            (16 * MiB, 48 * MiB),
            runs,
            32 * MiB,
            sync_files=100,
            startup_runs=5,
        )


def slug(size: int) -> str:
    return size_label(size).replace(" ", "")


def write_file(path: Path, size: int) -> None:
    """``size`` bytes of incompressible data: a random block, each copy numbered. A
    ``.pkg`` starts as a flat package does, so that it passes jcds2's guardrails."""
    from jcds2.testing import flat_package_head  # noqa: PLC0415 (only where uploaded)

    head = flat_package_head() if path.suffix == ".pkg" else b""
    block = bytearray(os.urandom(16 * MiB))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb", buffering=0) as out:
        out.write(head)
        written = len(head)
        number = 0
        while written < size:
            block[:8] = number.to_bytes(8, "little")
            chunk = memoryview(block)[: min(len(block), size - written)]
            out.write(chunk)
            written += len(chunk)
            number += 1


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def alternate(
    comparison: Comparison,
    runs: int,
    run_side: Callable[[str, int], Run],
) -> None:
    """One warm-up per side, then ``runs`` rounds, sides alternating within each round."""
    for side in comparison.sides:
        comparison.runs[side] = []
    for round_number in range(runs + 1):
        for side in comparison.sides:
            run = run_side(side, round_number)
            label = "warm-up" if round_number == 0 else f"run {round_number}/{runs}"
            log(
                f"  {comparison.key} {side:6} {label}: {run.wall:6.2f} s wall, "
                f"{run.cpu:6.2f} s CPU, {run.max_rss_mib:7.1f} MiB RSS"
            )
            if round_number == 0:
                comparison.warmups[side] = run
            else:
                comparison.runs[side].append(run)


# Downloads -----------------------------------------------------------------------------


def run_downloads(plan: Plan, python: str, jcds2_python: str) -> list[Comparison]:
    files = WORK / "files"
    destination = WORK / "downloads"
    destination.mkdir(parents=True, exist_ok=True)
    names = {size: f"download-{slug(size)}.bin" for size in plan.download_sizes}
    for size, name in names.items():
        log(f"writing {size_label(size)} source file {name}")
        write_file(files / name, size)
    nginx = Nginx(files, WORK / "nginx").start()
    emulator = Emulator(
        WORK / "emulator-download",
        "--external-files",
        str(files),
        "--download-base-url",
        nginx.base_url,
    )
    comparisons = []
    try:
        emulator.start()
        log(f"nginx on {nginx.base_url}, emulator on {emulator.url}; priming the digests")
        started = time.perf_counter()
        listing = {item["fileName"]: item for item in emulator.list_files()}
        priming = time.perf_counter() - started
        for size, name in names.items():
            if listing[name]["length"] != size:
                raise BenchmarkError(f"the emulator lists {name} with the wrong size")
            comparison = Comparison(f"download-{slug(size)}", "download", size, ("jcds2", "curl"))
            comparison.facts = {"digest_priming_seconds": priming, "nginx": nginx.base_url}
            target = destination / name
            partial = destination / (name + ".part")
            url = nginx.base_url + name

            def run_side(
                side: str,
                _round: int,
                *,
                size: int = size,
                target: Path = target,
                partial: Path = partial,
                url: str = url,
            ) -> Run:
                if side == "jcds2":
                    driver = str(DRIVERS / "jcds2_download.py")
                    command = [jcds2_python, driver, emulator.url, target.name, str(target.parent)]
                else:
                    command = ["curl", "-s", "-o", str(target), url]
                try:
                    run = measure(
                        side,
                        command,
                        env=emulator.driver_env(),
                        watch=[target, partial],
                        server_pids=nginx.pids(),
                    )
                    got = target.stat().st_size
                    if got != size:
                        raise BenchmarkError(f"{side} wrote {got} of {size} bytes")
                finally:
                    target.unlink(missing_ok=True)
                    partial.unlink(missing_ok=True)
                return run

            log(f"download {size_label(size)}: jcds2 vs curl from nginx")
            alternate(comparison, plan.runs, run_side)
            comparisons.append(comparison)
    finally:
        emulator.stop()
        nginx.stop()
        shutil.rmtree(files, ignore_errors=True)
        shutil.rmtree(destination, ignore_errors=True)
    return comparisons


# Uploads -------------------------------------------------------------------------------


def run_uploads(plan: Plan, python: str, jcds2_python: str) -> list[Comparison]:
    folder = WORK / "uploads"
    comparisons = []
    for size in plan.upload_sizes:
        source = folder / f"source-{slug(size)}.pkg"
        log(f"writing {size_label(size)} upload source")
        write_file(source, size)
        # A fresh emulator per size: moto keeps its objects in one process.
        emulator = Emulator(WORK / "emulator-upload").start()
        comparison = Comparison(f"upload-{slug(size)}", "upload", size, ("jcds2", "boto3"))
        bucket = emulator.info["bucket"]
        s3_url = emulator.info["s3_endpoint_url"]

        def run_side(
            side: str,
            round_number: int,
            *,
            size: int = size,
            source: Path = source,
            emulator: Emulator = emulator,
            bucket: str = bucket,
            s3_url: str = s3_url,
        ) -> Run:
            # A file name of its own per run (the name is part of the S3 key and of the
            # package), the same bytes: a hard link to the source.
            link = folder / f"bench-{slug(size)}-r{round_number:02d}-{side}.pkg"
            os.link(source, link)
            try:
                if side == "jcds2":
                    command = [jcds2_python, str(DRIVERS / "jcds2_upload.py"), emulator.url, s3_url]
                    command.append(str(link))
                    if plan.multipart_threshold is not None:
                        command.append(str(plan.multipart_threshold))
                else:
                    command = [python, str(DRIVERS / "boto3_upload.py"), s3_url, bucket]
                    command += [f"bench/{link.name}", str(link)]
                run = measure(side, command, env=emulator.driver_env(), server_pids=[emulator.pid])
                stored = _stored_size(emulator, link.name)
                if stored != size:
                    raise BenchmarkError(f"{side} stored {stored} of {size} bytes")
            finally:
                link.unlink(missing_ok=True)
                emulator.empty()
            return run

        try:
            log(f"upload {size_label(size)}: jcds2 vs boto3 to the emulator's S3 server")
            alternate(comparison, plan.runs, run_side)
        finally:
            emulator.stop()
            source.unlink(missing_ok=True)
        comparisons.append(comparison)
    shutil.rmtree(folder, ignore_errors=True)
    return comparisons


def _stored_size(emulator: Emulator, name: str) -> int | None:
    s3 = emulator.s3()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=emulator.info["bucket"]):
        for item in page.get("Contents", []):
            if item["Key"].rsplit("/", 1)[-1] == name:
                return int(item["Size"])
    return None


# Duplicate check -----------------------------------------------------------------------


def run_duplicate_check(plan: Plan, jcds2_python: str) -> dict[str, Any]:
    work = WORK / "emulator-dupcheck"
    work.mkdir(parents=True, exist_ok=True)
    request_log = work / "requests.jsonl"
    request_log.unlink(missing_ok=True)
    source = work / "source-1KiB.pkg"
    write_file(source, KiB)
    emulator = Emulator(
        work,
        "--packages",
        str(plan.dup_packages),
        "--latency-ms",
        str(plan.dup_latency_ms),
        "--request-log",
        str(request_log),
    ).start()
    log(
        f"duplicate check: 1 KiB upload, {plan.dup_packages} packages, "
        f"{plan.dup_latency_ms} ms latency per Jamf API request"
    )
    results: list[dict[str, Any]] = []
    try:
        for round_number in range(plan.runs + 1):
            link = work / f"bench-dupcheck-r{round_number:02d}.pkg"
            os.link(source, link)
            before = _lines(request_log)
            try:
                run = measure(
                    "jcds2",
                    [
                        jcds2_python,
                        str(DRIVERS / "jcds2_upload.py"),
                        emulator.url,
                        emulator.info["s3_endpoint_url"],
                        str(link),
                    ],
                    env=emulator.driver_env(),
                    server_pids=[emulator.pid],
                )
            finally:
                link.unlink()
            entries = [json.loads(line) for line in _read_lines(request_log)[before:]]
            begin, end = run.output["begin"], run.output["end"]
            in_call = [e for e in entries if begin <= e["time"] <= end]
            result = {
                "round": round_number,
                "process_wall": run.wall,
                "call_seconds": run.output["seconds"],
                "requests": len(entries),
                "requests_in_call": len(in_call),
                "paths": [f"{e['method']} {e['path']}" for e in entries],
                "max_rss_mib": run.max_rss_mib,
                "cpu": run.cpu,
            }
            label = "warm-up" if round_number == 0 else f"run {round_number}/{plan.runs}"
            log(
                f"  dupcheck {label}: upload_file {run.output['seconds']:.3f} s, process "
                f"{run.wall:.2f} s, {len(entries)} Jamf API requests ({len(in_call)} in the call)"
            )
            results.append(result)
    finally:
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "packages": plan.dup_packages,
        "latency_ms": plan.dup_latency_ms,
        "warmup": results[0],
        "runs": results[1:],
    }


# Unchanged sync ------------------------------------------------------------------------


def run_sync_check(plan: Plan, jcds2_python: str) -> dict[str, Any]:
    """``client.sync(folder, "jcds")`` of ``plan.sync_files`` 1 KiB packages: round 0 uploads
    them all (the migration), every later round finds nothing to do."""
    work = WORK / "emulator-sync"
    work.mkdir(parents=True, exist_ok=True)
    request_log = work / "requests.jsonl"
    request_log.unlink(missing_ok=True)
    folder = work / "build"
    folder.mkdir(parents=True, exist_ok=True)
    from jcds2.testing import flat_package  # noqa: PLC0415 (only where uploaded)

    for index in range(plan.sync_files):
        (folder / f"sync-{index:05d}.pkg").write_bytes(flat_package(KiB, seed=index))
    old = time.time() - 3600  # outside the hash cache's window for files written just now
    for path in folder.iterdir():
        os.utime(path, (old, old))
    emulator = Emulator(work, "--request-log", str(request_log)).start()
    env = {**emulator.driver_env(), "XDG_CACHE_HOME": str(work / "cache")}
    log(f"sync: {plan.sync_files} files of 1 KiB, a folder into the JCDS, then unchanged")
    results: list[dict[str, Any]] = []
    try:
        for round_number in range(plan.runs + 1):
            before = _lines(request_log)
            run = measure(
                "jcds2",
                [
                    jcds2_python,
                    str(DRIVERS / "jcds2_sync.py"),
                    emulator.url,
                    emulator.info["s3_endpoint_url"],
                    str(folder),
                ],
                env=env,
                server_pids=[emulator.pid],
                timeout=3600,
            )
            entries = [json.loads(line) for line in _read_lines(request_log)[before:]]
            begin, end = run.output["begin"], run.output["end"]
            in_call = [e for e in entries if begin <= e["time"] <= end]
            if not run.output["in_sync"]:
                raise BenchmarkError(f"sync round {round_number} left the JCDS not in sync")
            result = {
                "round": round_number,
                "process_wall": run.wall,
                "call_seconds": run.output["seconds"],
                "counts": run.output["counts"],
                "requests": len(entries),
                "requests_in_call": len(in_call),
                "paths": sorted({f"{e['method']} {e['path']}" for e in in_call}),
                "max_rss_mib": run.max_rss_mib,
                "cpu": run.cpu,
            }
            label = "first sync" if round_number == 0 else f"unchanged {round_number}/{plan.runs}"
            log(
                f"  sync {label}: client.sync {run.output['seconds']:.2f} s, process "
                f"{run.wall:.2f} s, {len(entries)} Jamf API requests ({len(in_call)} in the call)"
            )
            results.append(result)
    finally:
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)
    return {"files": plan.sync_files, "first": results[0], "runs": results[1:]}


#: The start-up commands timed (issue 17; the target is in benchmarks/report.py).
STARTUP_COMMANDS = (("--version",), ("--help",))


def run_startup(plan: Plan, jcds2_python: str) -> dict[str, Any]:
    """``jcds2 --version`` and ``jcds2 --help``, ``plan.startup_runs`` times each, alternating,
    through the console script users run (wall time of the whole process)."""
    script = Path(jcds2_python).parent / "jcds2"
    command = [str(script)] if script.exists() else [jcds2_python, "-m", "jcds2.cli"]
    log(f"start-up: {' '.join(command)} --version / --help, {plan.startup_runs} runs each")
    for arguments in STARTUP_COMMANDS:  # warm-up: the page cache and .pyc files
        subprocess.run([*command, *arguments], check=True, capture_output=True)  # noqa: S603
    walls: dict[str, list[float]] = {" ".join(a): [] for a in STARTUP_COMMANDS}
    for _ in range(plan.startup_runs):
        for arguments in STARTUP_COMMANDS:
            begin = time.perf_counter()
            subprocess.run([*command, *arguments], check=True, capture_output=True)  # noqa: S603
            walls[" ".join(arguments)].append(time.perf_counter() - begin)
    for name, values in walls.items():
        log(f"  jcds2 {name}: {statistics.median(values):.3f} s median")
    return {"command": " ".join([Path(command[0]).name, *command[1:]]), "walls": walls}


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _lines(path: Path) -> int:
    return len(_read_lines(path))


# Main ----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="jcds2 against curl and boto3."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
        help="small files, 2 timed runs: a smoke test of the harness (or BENCH_QUICK=1)",
    )
    parser.add_argument("--runs", type=int, help="timed runs per side (default 5; quick 2)")
    parser.add_argument(
        "--only",
        default="download,upload,dupcheck,sync,startup",
        help="comma-separated subset of download, upload, dupcheck, sync, startup",
    )
    parser.add_argument("--output", type=Path, help="report path (default docs/benchmarks.md)")
    parser.add_argument(
        "--keep-work", action="store_true", help="leave benchmarks/.work as it is at the end"
    )
    parser.add_argument(
        "--dev-venv",
        action="store_true",
        help="run jcds2 from the development venv (test tools installed) instead of a "
        "runtime-only venv (.venv-bench) like users have",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        help="jcds2's TransferConfig.concurrency for the jcds2 drivers (default: jcds2's)",
    )
    parser.add_argument(
        "--from-results",
        type=Path,
        metavar="JSON",
        help="only re-render the report from an earlier run's benchmarks/.work/results.json",
    )
    return parser


def clean_work(keep: Collection[str]) -> None:
    if not WORK.exists():
        return
    for item in WORK.iterdir():
        if item.name in keep:
            continue
        if item.is_dir():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)


def write_report(report: Report, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    previous = output.read_text(encoding="utf-8") if output.exists() else ""
    output.write_text(render(report, previous), encoding="utf-8")
    log(f"wrote {output}")


def load_report(path: Path) -> Report:
    """A report saved as JSON by an earlier run (``benchmarks/.work/results.json``)."""
    data = json.loads(path.read_text())
    comparisons = []
    for item in data.pop("comparisons"):
        item["sides"] = tuple(item["sides"])
        item["runs"] = {k: [Run(**r) for r in v] for k, v in item["runs"].items()}
        item["warmups"] = {k: Run(**r) for k, r in item["warmups"].items()}
        comparisons.append(Comparison(**item))
    return Report(**data, comparisons=comparisons)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.from_results is not None:
        report = load_report(args.from_results)
        write_report(report, args.output or (QUICK_DOC if report.plan_quick else DOC))
        return 0
    runs = args.runs if args.runs is not None else (2 if args.quick else 5)
    plan = Plan.small(runs) if args.quick else Plan.full(runs)
    only = {item.strip() for item in args.only.split(",") if item.strip()}
    output: Path = args.output or (QUICK_DOC if args.quick else DOC)
    python = sys.executable
    if args.concurrency is not None:
        os.environ["JCDS2_BENCH_CONCURRENCY"] = str(args.concurrency)
    started = time.time()
    try:
        ensure_tools(nginx="download" in only)
        clean_work(KEEP)  # leftovers of an interrupted run
        WORK.mkdir(parents=True, exist_ok=True)
        needed = (max(plan.download_sizes) * 2 + sum(plan.download_sizes)) * 1.1
        free = shutil.disk_usage(WORK).free
        if free < needed:
            raise BenchmarkError(
                f"{free / GiB:.1f} GiB free under {WORK}; the suite needs {needed / GiB:.1f} GiB"
            )
        report = Report(plan_quick=plan.quick, runs=plan.runs, started=started)
        report.collect_facts(ROOT, WORK)
        jcds2_python = python if args.dev_venv else runtime_python()
        if "download" in only:
            report.comparisons += run_downloads(plan, python, jcds2_python)
        if "upload" in only:
            report.comparisons += run_uploads(plan, python, jcds2_python)
        if "dupcheck" in only:
            report.duplicate_check = run_duplicate_check(plan, jcds2_python)
        if "sync" in only:
            report.sync_check = run_sync_check(plan, jcds2_python)
        if "startup" in only:
            report.startup = run_startup(plan, jcds2_python)
        report.finished = time.time()
        raw = WORK / ("results-quick.json" if plan.quick else "results.json")
        raw.write_text(json.dumps(asdict(report), indent=1))
        write_report(report, output)
        log(f"raw results in {raw.relative_to(ROOT)}")
    except BenchmarkError as exc:
        print(f"benchmarks failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep_work:
            clean_work(KEEP)
    return 0
