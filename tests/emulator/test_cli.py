"""``python -m jcds2.emulator`` as a subprocess: one JSON line, then a clean exit on signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest
import requests


def start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], Any]:
    process = subprocess.Popen(
        [sys.executable, "-m", "jcds2.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.endswith("\n"), process.stderr.read() if process.stderr else ""
    return process, json.loads(line)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_one_json_line_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    process, info = start(
        "--packages", "3", "--username", "admin", "--client-id", "cid", "--latency-ms", "0"
    )
    try:
        assert set(info) == {
            "url",
            "s3_endpoint_url",
            "username",
            "password",
            "client_id",
            "client_secret",
            "bucket",
        }
        assert info["url"].startswith("http://127.0.0.1:")
        assert info["s3_endpoint_url"].startswith("http://127.0.0.1:")
        assert (info["username"], info["client_id"]) == ("admin", "cid")
        token = requests.post(
            info["url"] + "/api/v1/auth/token",
            auth=(info["username"], info["password"]),
            timeout=10,
        ).json()["token"]
        listing = requests.get(
            info["url"] + "/api/v1/packages",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        assert listing["totalCount"] == 3
    finally:
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert stdout == ""  # nothing after the JSON line
    assert "GET /api/v1/packages" not in stderr  # request logging only with --verbose


def test_cli_secrets_from_environment_and_verbose_logging() -> None:
    process, info = start(
        "--verbose",
        env={"JCDS2_EMULATOR_PASSWORD": "pw", "JCDS2_EMULATOR_CLIENT_SECRET": "cs"},
    )
    try:
        assert (info["password"], info["client_secret"]) == ("pw", "cs")
        requests.get(info["url"] + "/JSSResource/packages", timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "GET /JSSResource/packages" in stderr


def test_env_prints_exports_a_shell_can_source() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "jcds2.emulator", "--env", "--client-id", "ci d"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        sourced = subprocess.run(
            ["bash", "-c", "".join(lines) + 'printf "%s\\n" "$JAMF_CLIENT_ID" "$JAMF_URL"'],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        assert sourced[0] == "ci d"
        assert sourced[1].startswith("http://127.0.0.1:")
        token = requests.post(
            sourced[1] + "/api/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "ci d",
                "client_secret": next(
                    line.split("=", 1)[1].strip()
                    for line in lines
                    if line.startswith("export JAMF_CLIENT_SECRET=")
                ),
            },
            timeout=10,
        )
        assert token.status_code == 200, token.text
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_cli_preloads_policies_that_install_the_preloaded_packages() -> None:
    process, info = start("--packages", "2", "--policies", "3")
    try:
        token = requests.post(
            info["url"] + "/api/v1/auth/token",
            auth=(info["username"], info["password"]),
            timeout=10,
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        listed = requests.get(info["url"] + "/JSSResource/policies", headers=headers, timeout=10)
        third = requests.get(
            info["url"] + "/JSSResource/policies/id/3/subset/Packages", headers=headers, timeout=10
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    assert [p["name"] for p in listed.json()["policies"]] == [
        "Preloaded Policy 00001",
        "Preloaded Policy 00002",
        "Preloaded Policy 00003",
    ]
    packages = third.json()["policy"]["package_configuration"]["packages"]
    assert [(p["id"], p["name"]) for p in packages] == [(1, "Preloaded-00001.pkg")]
