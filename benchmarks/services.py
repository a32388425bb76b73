"""What the suite runs beside the measured processes: tools, nginx, emulators, clean-up."""

# ruff: noqa: S603, S607 - the suite runs its own, fixed commands

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import boto3
import requests

from benchmarks.measure import TIME, BenchmarkError, children_of

APT_PACKAGES = ("nginx-light", "time", "curl")
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def missing_tools(*, nginx: bool = True) -> list[str]:
    missing = []
    if nginx and nginx_binary() is None:
        missing.append("nginx-light")
    if not os.access(TIME, os.X_OK):
        missing.append("time")
    if shutil.which("curl") is None:
        missing.append("curl")
    return missing


def ensure_tools(*, nginx: bool = True) -> None:
    """Install nginx (unless ``nginx`` is false: no download is measured), GNU time and curl
    with apt-get when missing (as root), or fail clearly."""
    missing = missing_tools(nginx=nginx)
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise BenchmarkError(
            f"the benchmarks need {', '.join(missing)} (nginx, /usr/bin/time, curl); install "
            f"them with `sudo apt-get install -y {' '.join(APT_PACKAGES)}` or run as root on "
            "Debian/Ubuntu so that the suite installs them itself"
        )
    print(f"installing {' '.join(missing)} with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Keep the package's own nginx service from starting on port 80 during installation
    # (policy-rc.d exit 101: "action forbidden"); only if no policy is in place already.
    own_policy = not POLICY_RC_D.exists()
    if own_policy:
        POLICY_RC_D.write_text("#!/bin/sh\nexit 101\n")
        POLICY_RC_D.chmod(0o755)
    try:
        install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
        if subprocess.run(install, env=env, check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, check=True)
            subprocess.run(install, env=env, check=True)
    except subprocess.CalledProcessError as exc:
        raise BenchmarkError(f"apt-get could not install {' '.join(missing)}: {exc}") from exc
    finally:
        if own_policy:
            POLICY_RC_D.unlink(missing_ok=True)
    still = missing_tools(nginx=nginx)
    if still:
        raise BenchmarkError(f"still missing after apt-get: {', '.join(still)}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[Any], what: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"{what} exited with status {process.returncode} at start-up")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise BenchmarkError(f"{what} did not listen on port {port} within 15 s")


def stop_process(process: subprocess.Popen[Any], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


NGINX_CONF = """\
# Written by the jcds2 benchmarks; serves {root} on 127.0.0.1:{port}.
{user}worker_processes auto;
daemon off;
master_process on;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 10000;
    default_type application/octet-stream;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
"""


class Nginx:
    """Debian's nginx with a config of its own, serving ``root`` on a free loopback port."""

    def __init__(self, root: Path, work: Path) -> None:
        self.root = root.resolve()
        self.work = work.resolve()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def version(self) -> str:
        binary = nginx_binary()
        if binary is None:
            return "not installed"
        result = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)
        return result.stderr.strip().removeprefix("nginx version: ")

    def start(self) -> Nginx:
        binary = nginx_binary()
        if binary is None:
            raise BenchmarkError("nginx is not installed")
        self.work.mkdir(parents=True, exist_ok=True)
        # As root, nginx's workers would drop to "nobody"; keep them able to read the files.
        user = "user root;\n" if os.geteuid() == 0 else ""
        for attempt in range(5):
            self.port = free_port()
            conf = self.work / "nginx.conf"
            conf.write_text(
                NGINX_CONF.format(root=self.root, port=self.port, work=self.work, user=user)
            )
            log = self.work / "nginx-error.log"
            self.process = subprocess.Popen(
                [binary, "-c", str(conf), "-p", str(self.work), "-e", str(log)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                wait_for_port(self.port, self.process, "nginx")
                return self
            except BenchmarkError:
                stop_process(self.process)
                if attempt == 4:
                    text = log.read_text() if log.exists() else ""
                    raise BenchmarkError(f"nginx did not start:\n{text[-2000:]}") from None
        raise AssertionError("unreachable")

    def pids(self) -> list[int]:
        """The master and its workers (the workers do the serving)."""
        if self.process is None:
            return []
        return [self.process.pid, *children_of(self.process.pid)]

    def stop(self) -> None:
        if self.process is not None:
            # SIGTERM: nginx's fast shutdown.
            stop_process(self.process)
            self.process = None


class Emulator:
    """``python -m jcds2.emulator`` as a child process, plus a few calls on its APIs."""

    def __init__(self, work: Path, *args: str) -> None:
        self.work = work
        self.args = args
        self.process: subprocess.Popen[str] | None = None
        self.info: dict[str, str] = {}
        self._stderr: IO[str] | None = None
        self._token: str | None = None

    def start(self) -> Emulator:
        self.work.mkdir(parents=True, exist_ok=True)
        self._stderr = (self.work / "emulator-stderr.log").open("a", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jcds2.emulator", *self.args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            log = (self.work / "emulator-stderr.log").read_text(encoding="utf-8")
            raise BenchmarkError(f"the emulator did not start:\n{log[-2000:]}")
        self.info = json.loads(line)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def url(self) -> str:
        return self.info["url"]

    def driver_env(self) -> dict[str, str]:
        return {
            "JCDS2_BENCH_CLIENT_ID": self.info["client_id"],
            "JCDS2_BENCH_CLIENT_SECRET": self.info["client_secret"],
        }

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            answer = requests.post(
                self.url + "/api/v1/auth/token",
                auth=(self.info["username"], self.info["password"]),
                timeout=30,
            )
            answer.raise_for_status()
            self._token = answer.json()["token"]
        return {"Authorization": f"Bearer {self._token}"}

    def list_files(self, timeout: float = 900) -> list[dict[str, Any]]:
        answer = requests.get(
            self.url + "/api/v1/jcds/files", headers=self._headers(), timeout=timeout
        )
        answer.raise_for_status()
        listing: list[dict[str, Any]] = answer.json()
        return listing

    def s3(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.info["s3_endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id="benchmark",
            aws_secret_access_key="benchmark",  # noqa: S106 - the emulator's S3 accepts any
        )

    def empty(self) -> None:
        """Delete every package and every object, so the S3 server's storage does not grow."""
        headers = self._headers()
        packages = requests.get(
            self.url + "/api/v1/packages",
            params={"page-size": "2000", "filter": 'fileName=="bench-*"'},
            headers=headers,
            timeout=60,
        )
        packages.raise_for_status()
        for package in packages.json()["results"]:
            requests.delete(
                self.url + f"/api/v1/packages/{package['id']}", headers=headers, timeout=60
            ).raise_for_status()
        s3 = self.s3()
        bucket = self.info["bucket"]
        for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


# The runtime-only virtual environment -----------------------------------------------------

RUNTIME_VENV = Path(__file__).resolve().parent.parent / ".venv-bench"


def runtime_python() -> str:
    """Python of a venv holding jcds2 and its runtime dependencies only, as users install it.

    The development venv also holds the test tools, and some of them (pydantic-settings,
    werkzeug) are imported by dependency-injector when present: that doubles jcds2's start-up
    time and adds 15 MiB of RSS that no user pays. The install is editable, so the code
    measured is the working tree's; it is redone when pyproject.toml changes.
    """
    root = RUNTIME_VENV.parent
    python = RUNTIME_VENV / "bin" / "python"
    stamp = RUNTIME_VENV / ".installed"
    if stamp.exists() and stamp.stat().st_mtime >= (root / "pyproject.toml").stat().st_mtime:
        return str(python)
    print("creating the runtime-only venv .venv-bench", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(RUNTIME_VENV)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            str(root),
        ],
        check=True,
    )
    stamp.touch()
    return str(python)
