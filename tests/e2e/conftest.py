"""The installed ``jcds2`` command, run as a subprocess against the emulator over real HTTP.

Every run is hermetic: a clean environment (no variable of the developer's shell reaches
it but ``PATH`` and the locale), ``HOME`` and ``XDG_CONFIG_HOME`` in a temporary folder, so
neither the real config file nor the real keyring is read, and ``JCDS2_KEYRING=0``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import pytest

from jcds2 import JamfProClient
from jcds2.emulator import JamfEmulator
from tests.helpers import make_file, on_route

COMMAND = Path(sys.executable).parent / "jcds2"
#: What a subprocess keeps of this process's environment: enough to start this Python
#: with the code under test (PYTHONPATH, for a copy of the source tree, as a mutation run has).
_KEPT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


@attrs.frozen
class Run:
    """One finished ``jcds2`` run."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def objects(self) -> list[dict[str, Any]]:
        """The ``--json`` objects on stdout, one per line (every line must be one)."""
        return [json.loads(line) for line in self.stdout.splitlines()]

    @property
    def errors(self) -> list[str]:
        return self.stderr.splitlines()


@attrs.define
class Cli:
    """Runs ``jcds2`` against ``emulator`` as its API client, with a home of its own."""

    emulator: JamfEmulator
    home: Path

    def environment(self, overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The subprocess's environment; an override of ``None`` removes the variable."""
        environment = {key: os.environ[key] for key in _KEPT if key in os.environ}
        environment |= {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "JCDS2_KEYRING": "0",
            "JAMF_URL": self.emulator.url,
            "JAMF_CLIENT_ID": self.emulator.client_id,
            "JAMF_CLIENT_SECRET": self.emulator.client_secret,
            # The JCDS route's S3 uploads go to the emulator's S3 server, not AWS.
            "AWS_ENDPOINT_URL_S3": self.emulator.s3_endpoint_url,
        }
        for key, value in (overrides or {}).items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        return environment

    def __call__(
        self,
        *args: str,
        env: Mapping[str, str | None] | None = None,
        stdin: str | None = None,
        cwd: Path | None = None,
        timeout: float = 60,
    ) -> Run:
        assert COMMAND.exists(), f"the jcds2 console script is not installed at {COMMAND}"
        done = subprocess.run(
            [str(COMMAND), *args],
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            text=True,
            env=self.environment(env),
            cwd=cwd or self.home,
            timeout=timeout,
            check=False,
        )
        return Run(tuple(args), done.returncode, done.stdout, done.stderr)


def parallel(*calls: Callable[[], Run]) -> list[Run]:
    """Independent runs at once: most of a run is Python starting up, which overlaps."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def make_cli(emulator: JamfEmulator, tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return Cli(emulator, home)


@pytest.fixture
def cli(emulator: JamfEmulator, tmp_path: Path) -> Cli:
    """``jcds2`` against the shared (emptied) emulator."""
    return make_cli(emulator, tmp_path)


def seed(client: JamfProClient, folder: Path, name: str, size: int, seed: int = 0) -> Path:
    """A file uploaded through the library (quicker than the CLI), with its package."""
    folder.mkdir(parents=True, exist_ok=True)
    path = make_file(folder / name, size, seed=seed)
    with on_route(client, "packages") as packages:
        packages.jcds2.upload_file(path)
    return path


def closed_port_url() -> str:
    """The URL of a loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
