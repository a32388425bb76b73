"""Rough edges of the command line a new user met (issue 15): a server that is not Jamf
Pro, a port where nothing listens, ``verify`` given a path, a URL with a password in it,
and fish completion.

Runs that need no emulator call ``jcds2.cli.main`` in this process, with an environment of
their own (no config file, no keyring), so that a test can count what was tried.
"""

from __future__ import annotations

import functools
import http.server
import io
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import urllib3.util.connection

from jcds2 import JamfProClient
from jcds2.cli import main
from jcds2.emulator import JamfEmulator
from tests.helpers import make_file, sha

from .conftest import Cli, closed_port_url, parallel, seed


@attrs.frozen
class Ran:
    code: int
    stdout: str
    stderr: str


def run(*argv: str, home: Path, **env: str) -> Ran:
    """``jcds2 ARGV`` in this process, as API client ``cid``, with no config file or keyring."""
    environ = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "JCDS2_KEYRING": "0",
        "JAMF_CLIENT_ID": "cid",
        "JAMF_CLIENT_SECRET": "not-a-real-secret",
        **env,
    }
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(list(argv), environ=environ, stdin=io.StringIO(), stdout=stdout, stderr=stderr)
    return Ran(code, stdout.getvalue(), stderr.getvalue())


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[str]:
    """A plain web server on loopback, as ``python -m http.server`` starts one."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>not Jamf</h1>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- a server that is not Jamf Pro, and one where nothing listens ---------------------------


def test_ping_of_a_plain_web_server_asks_whether_it_is_jamf(
    web_server: str, tmp_path: Path
) -> None:
    done = run("ping", "--server", web_server, home=tmp_path)

    assert done.code == 1, done
    assert done.stderr == (
        f"jcds2: signing in to Jamf Pro as API client 'cid': {web_server} answered HTTP 501 "
        "with an HTML page, not with a Jamf Pro error; is it a Jamf Pro server?\n"
    )


def test_ping_where_nothing_listens_says_so_after_one_attempt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tried: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def counting(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        tried.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)
    server = closed_port_url()

    done = run("ping", "--json", "--server", server, home=tmp_path)

    assert done.code == 1, done
    port = int(server.rsplit(":", 1)[1])
    assert tried == [("127.0.0.1", port)]  # no retry, so no seconds of silence
    [line] = done.stderr.splitlines()
    assert line == (
        f"jcds2: signing in to Jamf Pro as API client 'cid': cannot reach {server}/api/v1/oauth/"
        "token (connection refused: nothing listens there). Check the server URL (and its "
        "port) and that the server is running."
    )
    assert '"reachable": false' in done.stdout


def test_a_server_url_with_a_password_is_refused_without_showing_it(tmp_path: Path) -> None:
    done = run("ping", "--server", "https://admin:hunter2-secret@jamf.example.com", home=tmp_path)

    assert done.code == 2, done
    assert "hunter2-secret" not in done.stderr
    assert done.stderr == (
        "jcds2: server 'https://***@jamf.example.com' (from flag --server): the server URL must "
        "not contain credentials; give --client-id or --username, and the secret apart "
        "(--password-stdin, the environment, the keyring or a prompt)\n"
    )


# -- verify ---------------------------------------------------------------------------------


def test_verify_a_path_compares_the_server_s_file_of_that_name(
    cli: Cli, client: JamfProClient, emulator: JamfEmulator, tmp_path: Path
) -> None:
    source = seed(client, tmp_path / "build", "Tool.pkg", 30_000, seed=8)
    [stored] = emulator.jcds_files()
    relative, absolute = parallel(
        lambda: cli("verify", "build/Tool.pkg", "--json", cwd=tmp_path),
        lambda: cli("verify", str(source)),
    )

    assert relative.code == 0, relative
    assert relative.objects() == [
        {
            "command": "verify",
            "file_name": "Tool.pkg",
            "path": "build/Tool.pkg",
            "match": True,
            "algorithm": "SHA3-512",
            "remote_size": 30_000,
            "local_size": 30_000,
            "remote_hash": stored["sha3"],
            "local_hash": sha(source, "sha3_512"),
        }
    ]
    assert absolute.code == 0, absolute
    assert absolute.stdout.startswith(f"Tool.pkg: the server's file matches {source} ")


def test_verify_exit_codes_tell_a_difference_from_a_failure_to_compare(
    cli: Cli, client: JamfProClient, tmp_path: Path
) -> None:
    seed(client, tmp_path / "server", "Tool.pkg", 30_000, seed=8)
    (tmp_path / "here").mkdir()
    other = make_file(tmp_path / "here" / "Tool.pkg", 30_000, seed=9)
    nowhere = make_file(tmp_path / "here" / "Nowhere.pkg", 10, seed=9)
    differs, absent, missing, both = parallel(
        lambda: cli("verify", str(other)),
        lambda: cli("verify", str(nowhere)),
        lambda: cli("verify", "./Gone.pkg", cwd=tmp_path),
        lambda: cli("verify", str(other), "--file", str(other)),
    )

    assert differs.code == 4, differs
    assert differs.errors[0].startswith(f"jcds2: Tool.pkg differs from {other}: SHA3-512 ")
    assert absent.code == 1, absent  # not on the server: nothing to compare with
    assert "no file named 'Nowhere.pkg'" in absent.stderr
    assert missing.code == 1, missing  # no local file: nothing to compare
    assert both.code == 2, both
    assert both.errors == [
        f"jcds2: {other} is a path, not a file name on the server: with --file, NAME is the "
        "file's name on the server; or give the path alone"
    ]


# -- fish completion ----------------------------------------------------------------------------


def fish_script(tmp_path: Path) -> Path:
    done = run("completion", "fish", home=tmp_path)
    assert (done.code, done.stderr) == (0, ""), done
    script = tmp_path / "jcds2.fish"
    script.write_text(done.stdout, encoding="utf-8")
    return script


def test_the_fish_script_completes_every_command_and_its_options(tmp_path: Path) -> None:
    text = fish_script(tmp_path).read_text(encoding="utf-8")

    for command in ("upload", "download", "ls", "rm", "verify", "ping", "login", "logout"):
        assert f" -a {command} -d " in text, command
        assert f"'_shtab_jcds2_using {command}' -l server " in text, command
    assert '-l route -xka "auto packages jcds"' in text
    assert '-l on-exists -xka "fail skip replace"' in text
    assert '-ka "bash zsh tcsh fish"' in text
    assert text.count("complete -c jcds2 ") > 100


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_from_the_script(tmp_path: Path) -> None:
    script = fish_script(tmp_path)
    queries = ("jcds2 up", "jcds2 upload --route ", "jcds2 completion ", "jcds2 verify --fi")
    program = f"source {script}\n" + "".join(
        f'complete -C "{query}"\necho ---\n' for query in queries
    )

    done = subprocess.run(
        ["fish", "--no-config", "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    answers = [
        sorted(line.split("\t")[0] for line in block.strip().splitlines())
        for block in done.stdout.split("---\n")[:-1]
    ]
    assert answers == [
        ["upload"],
        ["auto", "jcds", "packages"],
        ["bash", "fish", "tcsh", "zsh"],
        ["--file", "--file-share"],
    ]
