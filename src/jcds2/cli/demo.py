"""``make demo``: the main job end to end against the local Jamf Pro emulator.

Starts ``python -m jcds2.emulator`` (a Jamf Pro API subset plus moto's S3 server, both
on loopback), uploads a small file and one above the multipart threshold through the
public API, downloads both back, checks they are byte-identical and prints a summary.
The multipart threshold is lowered to 8 MiB so the demo's files stay small.
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

READY_TIMEOUT = 60.0


@contextmanager
def running_emulator() -> Iterator[dict[str, Any]]:
    """Start the emulator in its own process and yield the JSON line it prints when ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", "jcds2.emulator", "--host", "127.0.0.1", "--port", "0"],
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
    """Write ``size`` random bytes to ``path``."""
    with path.open("wb") as handle:
        remaining = size
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
    """Upload, download and compare; print a line per file. True when all are identical."""
    # Standard boto3 configuration points uploads at the emulator's S3 server.
    os.environ["AWS_ENDPOINT_URL_S3"] = info["s3_endpoint_url"]
    config = TransferConfig(multipart_threshold=8 * MiB, part_size=5 * MiB)
    sources = [
        make_file(work / "jcds2-demo-small.pkg", 3 * MiB + 123),
        make_file(work / "jcds2-demo-multipart.pkg", 26 * MiB + 4567),
    ]
    downloads = work / "downloads"
    downloads.mkdir()
    credentials = ApiClientCredentialsProvider(info["client_id"], info["client_secret"])
    print(f"jcds2 demo against the local Jamf Pro emulator at {info['url']}")
    print(
        f"{'file':<26} {'bytes':>10} {'upload':>10} {'package':>8} {'up s':>6} {'down s':>7}  same"
    )
    all_same = True
    with JamfProClient(info["url"], credentials, transfer_config=config) as client:
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


def main() -> int:
    started = time.monotonic()
    try:
        with running_emulator() as info, tempfile.TemporaryDirectory(prefix="jcds2-demo-") as tmp:
            ok = run(Path(tmp), info)
    except (Jcds2Error, RuntimeError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    verdict = "all files came back byte-identical" if ok else "FILES DIFFER"
    print(f"{verdict} ({time.monotonic() - started:.1f} s in all)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
