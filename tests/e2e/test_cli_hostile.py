"""``jcds2`` facing a server that tries to drive the terminal: file names and error text
with escape sequences and bidirectional overrides are shown escaped, never raw."""

from __future__ import annotations

import http.server
import json
from pathlib import Path

import pytest

from jcds2.emulator import JamfEmulator
from tests.helpers import Handler, answer, recording_server

from .conftest import make_cli

TOKEN = json.dumps({"access_token": "t", "expires_in": 600, "token_type": "Bearer"}).encode()
JSON = {"Content-Type": "application/json"}
NAMES = [
    "\x1b]0;owned\x07title.pkg",
    "\x1b[2J\x1b[Hclear.pkg",
    "invoice\u202egkp.exe",
    "../../etc/passwd",
    "Café 中文.pkg",
]
#: What no line a terminal receives may hold: ESC, BEL, CSI, CR and the bidi controls.
RAW = ("\x1b", "\x07", "\x9b", "\r", "\u202e", "\u2066", "\u2069")


def hostile_jamf(listing_status: int) -> Handler:
    """A Jamf Pro stand-in whose file list (or its error) is written to do harm."""

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.path.endswith("/oauth/token"):
            answer(handler, 200, TOKEN, JSON)
        elif handler.path == "/api/v1/jcds/files" and listing_status == 200:
            files = [{"fileName": name, "length": 5, "md5": "0" * 32} for name in NAMES]
            answer(handler, 200, json.dumps(files).encode(), JSON)
        elif handler.path == "/api/v1/jcds/files":
            text = "no such thing\x1b]0;owned\x07\x1b[2J \u202eniatnuom"
            body = json.dumps({"errors": [{"code": "X", "description": text}]}).encode()
            answer(handler, listing_status, body, JSON)
        else:
            answer(handler, 204)

    return handle


@pytest.mark.parametrize("json_output", [False, True], ids=["lines", "json"])
def test_ls_shows_server_file_names_escaped(
    emulator: JamfEmulator, tmp_path: Path, json_output: bool
) -> None:
    cli = make_cli(emulator, tmp_path)
    with recording_server(hostile_jamf(200)) as (url, _):
        run = cli("ls", *(["--json"] if json_output else []), env={"JAMF_URL": url})
    assert run.code == 0, run
    for raw in RAW:
        assert raw not in run.stdout + run.stderr, (raw, run)
    if json_output:
        assert sorted(item["file_name"] for item in run.objects()) == sorted(NAMES)
    else:
        assert "\\x1b]0;owned\\x07title.pkg" in run.stdout
        assert "\\x1b[2J\\x1b[Hclear.pkg" in run.stdout
        assert "invoice\\u202egkp.exe" in run.stdout
        assert "Café 中文.pkg" in run.stdout


@pytest.mark.parametrize("json_output", [False, True], ids=["lines", "json"])
def test_a_server_error_text_reaches_the_terminal_escaped(
    emulator: JamfEmulator, tmp_path: Path, json_output: bool
) -> None:
    cli = make_cli(emulator, tmp_path)
    with recording_server(hostile_jamf(400)) as (url, _):
        run = cli("ls", *(["--json"] if json_output else []), env={"JAMF_URL": url})
    assert run.code == 1, run
    for raw in RAW:
        assert raw not in run.stdout + run.stderr, (raw, run)
    assert "no such thing\\x1b]0;owned\\x07\\x1b[2J \\u202eniatnuom" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("location", ["ftp://127.0.0.1/f.pkg", "file:///etc/passwd"])
def test_a_download_redirected_to_another_scheme_is_one_error_line(
    emulator: JamfEmulator, tmp_path: Path, location: str
) -> None:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.path.endswith("/oauth/token"):
            answer(handler, 200, TOKEN, JSON)
        elif handler.path == "/api/v1/jcds/files":
            files = [{"fileName": "f.pkg", "length": 5, "md5": "0" * 32}]
            answer(handler, 200, json.dumps(files).encode(), JSON)
        elif handler.path == "/api/v1/jcds/files/f.pkg":
            uri = f"http://{handler.headers['Host']}/download/f.pkg"
            answer(handler, 200, json.dumps({"uri": uri}).encode(), JSON)
        elif handler.path.startswith("/download/"):
            answer(handler, 302, headers={"Location": location})
        else:
            answer(handler, 204)

    cli = make_cli(emulator, tmp_path)
    with recording_server(handle) as (url, _):
        run = cli("download", "f.pkg", "-o", str(tmp_path), env={"JAMF_URL": url})
    assert run.code == 1, run
    assert len(run.errors) == 1, run
    assert "does not follow" in run.stderr, run
    assert "Traceback" not in run.stderr, run
    assert not (tmp_path / "f.pkg").exists()
    assert not (tmp_path / "f.pkg.part").exists()
