"""``make demo``: the main job end to end against the local Jamf Pro emulator.

Starts ``python -m jcds2.emulator`` (a Jamf Pro API subset plus moto's S3 server, both
on loopback; the server takes a second to confirm a file, as real ones take a while).

1. The JCDS files route (the default): uploads a small file and one above the multipart
   threshold, downloads both back and checks they are byte-identical. The multipart
   threshold is lowered to 8 MiB so the demo's files stay small.
2. Jamf's packages route (``JamfProClient(..., route="packages")``): creates a package,
   uploads a file into it, waits until the server reports its SHA3-512, size and READY,
   runs the upload again (skipped: same hash), replaces the file with a new build (same
   package id), and downloads the new build back.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jcds2 import ApiClientCredentialsProvider, JamfProClient, Jcds2Error, MiB, TransferConfig
from jcds2.testing import flat_package_head

READY_TIMEOUT = 60.0
#: Seconds the emulated server takes to confirm a file uploaded through the packages route.
TRANSFER_DELAY = 1.0


@contextmanager
def running_emulator() -> Iterator[dict[str, Any]]:
    """Start the emulator in its own process and yield the JSON line it prints when ready."""
    process = subprocess.Popen(  # noqa: S603 - this interpreter, our own module, fixed flags
        [
            sys.executable,
            "-m",
            "jcds2.emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--transfer-delay",
            str(TRANSFER_DELAY),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.append(process.stdout.readline() if process.stdout else ""),
        daemon=True,
    )
    reader.start()
    reader.join(READY_TIMEOUT)
    try:
        if not lines or not lines[0].strip():
            raise RuntimeError(f"the emulator did not start (exit code {process.poll()})")
        yield json.loads(lines[0])
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def make_file(path: Path, size: int) -> Path:
    """Write a stand-in flat package of ``size`` bytes, random after its head, to ``path``
    (jcds2 uploads only a ``.pkg`` that is a flat package)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = flat_package_head()
    with path.open("wb") as handle:
        handle.write(head)
        remaining = size - len(head)
        while remaining:
            chunk = os.urandom(min(remaining, 4 * MiB))
            handle.write(chunk)
            remaining -= len(chunk)
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(4 * MiB):
            digest.update(chunk)
    return digest.hexdigest()


def run(work: Path, info: dict[str, Any]) -> bool:
    """Upload, download and compare on both routes; print a line per step. True when all
    files came back identical and every step did what it should."""
    # Standard boto3 configuration points uploads at the emulator's S3 server.
    os.environ["AWS_ENDPOINT_URL_S3"] = info["s3_endpoint_url"]
    config = TransferConfig(
        multipart_threshold=8 * MiB, part_size=5 * MiB, verify_poll_initial=0.25
    )
    credentials = ApiClientCredentialsProvider(info["client_id"], info["client_secret"])
    print(f"jcds2 demo against the local Jamf Pro emulator at {info['url']}")
    with JamfProClient(info["url"], credentials, transfer_config=config) as client:
        jcds_ok = jcds_route(client, work)
    with JamfProClient(
        info["url"], credentials, transfer_config=config, route="packages"
    ) as client:
        packages_ok = packages_route(client, work)
    return jcds_ok and packages_ok


def jcds_route(client: JamfProClient, work: Path) -> bool:
    """The JCDS files route: JCDS file, S3 upload (single or multipart), Classic package."""
    sources = [
        make_file(work / "jcds2-demo-small.pkg", 3 * MiB + 123),
        make_file(work / "jcds2-demo-multipart.pkg", 26 * MiB + 4567),
    ]
    downloads = work / "downloads"
    downloads.mkdir()
    print("\nthe JCDS files route (route='jcds': /api/v1/jcds + S3 + Classic API)")
    print(
        f"{'file':<26} {'bytes':>10} {'upload':>10} {'package':>8} {'up s':>6} {'down s':>7}  same"
    )
    all_same = True
    for source in sources:
        uploaded = client.jcds2.upload_file(file_path=source)
        downloaded = client.jcds2.download_file(
            file_name=uploaded.file_name, download_path=downloads
        )
        same = sha256(source) == sha256(downloaded.path)
        all_same = all_same and same
        route = "multipart" if uploaded.multipart else "single"
        print(
            f"{uploaded.file_name:<26} {uploaded.size:>10} {route:>10} "
            f"{uploaded.package_id:>8} {uploaded.elapsed_seconds:>6.2f} "
            f"{downloaded.elapsed_seconds:>7.2f}  {'yes' if same else 'NO'}"
        )
    listed = {remote.file_name: remote for remote in client.jcds2.list_files()}
    print(f"the JCDS now lists {len(listed)} files: {', '.join(sorted(listed))}")
    return all_same


def packages_route(client: JamfProClient, work: Path) -> bool:
    """Jamf's packages route: package first, file into it, the server's verification."""
    name = "jcds2-demo-packages.pkg"
    first = make_file(work / "build-1" / name, 12 * MiB + 89)
    second = make_file(work / "build-2" / name, 14 * MiB + 21)
    print("\nJamf's packages route (route='packages': /api/v1/packages/{id}/upload)")
    print(f"server: Jamf Pro {client.server_version()}")
    capability = client.packages.upload_capability()
    print(f"direct upload capable: {'yes' if capability.direct_upload_capable else 'no'}")
    print(f"{'step':<26} {'package':>8} {'verified':>9} {'s':>6}  what happened")
    steps = [
        ("upload build 1", first, "fail"),
        ("the same again", first, "skip"),
        ("replace with build 2", second, "replace"),
    ]
    ids: set[int] = set()
    ok = True
    for label, source, on_exists in steps:
        result = client.jcds2.upload_file(
            file_path=source, on_exists=on_exists, category=None, notes="jcds2 demo"
        )
        ids.add(result.package_id)
        if result.skipped:
            what = "skipped: the package already has this file (same hash), nothing sent"
        elif result.replaced:
            what = "file replaced, package kept; server reports the new SHA3-512"
        else:
            what = "package created, file uploaded, server reports its SHA3-512"
        expected = {"fail": not result.skipped, "skip": result.skipped, "replace": result.replaced}
        ok = ok and expected[on_exists] and (result.verified or result.skipped)
        print(
            f"{label:<26} {result.package_id:>8} {'yes' if result.verified else '-':>9} "
            f"{result.elapsed_seconds:>6.2f}  {what}"
        )
    package = client.packages.find(name)
    reported = package.sha3_512 if package is not None else None
    ok = ok and len(ids) == 1 and reported == hashlib.sha3_512(second.read_bytes()).hexdigest()
    print(f"one package id throughout: {'yes' if len(ids) == 1 else 'NO'}")
    downloaded = client.jcds2.download_file(file_name=name, download_path=work / "downloads")
    same = sha256(second) == sha256(downloaded.path)
    print(f"{name} downloaded back: {'same as build 2' if same else 'DIFFERENT'}")
    return ok and same


def main() -> int:
    started = time.monotonic()
    try:
        with running_emulator() as info, tempfile.TemporaryDirectory(prefix="jcds2-demo-") as tmp:
            ok = run(Path(tmp), info)
    except (Jcds2Error, RuntimeError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    verdict = "all files came back byte-identical" if ok else "FILES DIFFER OR A STEP FAILED"
    print(f"{verdict} ({time.monotonic() - started:.1f} s in all)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
