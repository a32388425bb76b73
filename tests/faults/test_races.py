"""Two processes upload the same file name at the same moment, round after round.

Each round, the test writes one line to both worker processes (``race_worker``) back to
back, so both uploads start together, each with its own bytes under the same file name.
Whatever the interleaving: at most one package uses the name; its recorded hash is that of
the file the server serves; no file is left without a package; and each process is told
the truth (success only for the upload whose bytes are served, a typed error otherwise).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jcds2.emulator import JamfEmulator
from tests.helpers import make_file

ROUNDS = int(os.environ.get("JCDS2_RACE_ROUNDS", "15"))
ROOT = Path(__file__).resolve().parents[2]
#: What the upload whose bytes are not served may be told.
LOSING = {"PackageExistsError", "CorruptUploadError"}


@pytest.fixture(scope="module")
def race_emulator() -> Iterator[JamfEmulator]:
    with JamfEmulator() as emulator:
        yield emulator


class Worker:
    def __init__(self, emulator: JamfEmulator, route: str) -> None:
        environment = {
            **os.environ,
            "RACE_URL": emulator.url,
            "RACE_S3": emulator.s3_endpoint_url,
            "RACE_ROUTE": route,
            "RACE_USER": emulator.username,
            "RACE_PASSWORD": emulator.password,
            "PYTHONPATH": str(ROOT),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.race_worker"],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.answer() == {"ready": True}

    def send(self, path: Path) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{path}\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the worker ended (status {self.process.poll()})"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _digest(data: bytes, hash_type: str) -> str:
    name = {"SHA_512": "sha512", "SHA3_512": "sha3_512", "MD5": "md5"}[hash_type]
    return hashlib.new(name, data).hexdigest()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("route", ["jcds", "packages"])
def test_two_processes_uploading_one_name_leave_one_truthful_outcome(
    race_emulator: JamfEmulator, tmp_path: Path, route: str
) -> None:
    emulator = race_emulator
    emulator.reset()
    workers = [Worker(emulator, route), Worker(emulator, route)]
    outcomes: Counter[str] = Counter()
    try:
        for number in range(ROUNDS):
            name = f"Race {route} {number:03d}.pkg"
            contents: list[bytes] = []
            for index in range(len(workers)):
                folder = tmp_path / f"w{index}"
                folder.mkdir(exist_ok=True)
                path = make_file(folder / name, 150_000 + index, seed=number * 2 + index)
                contents.append(path.read_bytes())
            for index, worker in enumerate(workers):
                worker.send(tmp_path / f"w{index}" / name)
            answers = [worker.answer() for worker in workers]

            where = f"round {number}: {answers}"
            packages = [p for p in emulator.packages() if p["fileName"] == name]
            files = [f for f in emulator.jcds_files() if f["fileName"] == name]
            assert len(packages) <= 1, f"two packages for one file name; {where}"
            assert emulator.multipart_uploads_in_progress() == [], where
            if not packages:
                assert files == [], f"a file without a package; {where}"
            else:
                assert len(files) == 1, f"a package without its file; {where}"
                (package,) = packages
                served = next(
                    (data for data in contents if _digest(data, "SHA3_512") == files[0]["sha3"]),
                    None,
                )
                assert served is not None, f"the served file is neither upload's; {where}"
                recorded = package["hashValue"].lower()
                assert recorded == _digest(served, package["hashType"]), (
                    f"the package's hash is not that of the served file; {where}"
                )
            for data, answer in zip(contents, answers, strict=True):
                if "error" in answer:
                    assert answer["error"] in LOSING, where
                    outcomes[answer["error"]] += 1
                    continue
                outcomes["success"] += 1
                assert packages, f"success without a package; {where}"
                assert answer["package_id"] == int(packages[0]["id"]), where
                assert answer["sha3_512"] == _digest(data, "SHA3_512") == files[0]["sha3"], (
                    f"success for bytes that are not served; {where}"
                )
    finally:
        for worker in workers:
            worker.close()
    print(f"\n{route}: {ROUNDS} rounds: {dict(outcomes)}")
    assert outcomes["success"] >= 1
