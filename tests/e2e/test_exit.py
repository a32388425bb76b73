"""Scripts that use the client as the seed does exit silently, and end their token once.

Each script runs in its own Python process against the emulator, so that interpreter
shutdown (where finalizers meet a half torn-down Python) really happens.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import requests

from jcds2.emulator import JamfEmulator
from tests.helpers import make_file, sha

INVALIDATE = "/api/v1/auth/invalidate-token"

#: The seed's snippets, one after the other: no close(), no ``with``.
SEED = """
from jamf_client import JamfProClient, BasicAuthProvider
client = JamfProClient(URL, BasicAuthProvider(USER, PASSWORD))
client.jcds2.upload_file(file_path=SOURCE)
client = JamfProClient(URL, BasicAuthProvider(USER, PASSWORD))
client.jcds2.download_file(file_name=NAME, download_path=DOWNLOADS)
"""

CLOSED = """
from jamf_client import JamfProClient, BasicAuthProvider
client = JamfProClient(URL, BasicAuthProvider(USER, PASSWORD))
client.jcds2.upload_file(file_path=SOURCE)
client.close()
client.close()
"""

COLLECTED = """
import gc
import weakref
from jamf_client import JamfProClient, BasicAuthProvider
client = JamfProClient(URL, BasicAuthProvider(USER, PASSWORD))
client.jcds2.upload_file(file_path=SOURCE)
gone = weakref.ref(client)
del client
gc.collect()
assert gone() is None, "the client was kept alive"
"""


def _run(script: str, emulator: JamfEmulator, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    source = make_file(tmp_path / "Seed Exit.pkg", 300_000, seed=5)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    prologue = f"""
        import sys
        import jcds2 as jamf_client  # the seed imports its SDK; jcds2 has the same names
        sys.modules["jamf_client"] = jamf_client
        URL = {emulator.url!r}
        USER = {emulator.username!r}
        PASSWORD = {emulator.password!r}
        SOURCE = {str(source)!r}
        NAME = {source.name!r}
        DOWNLOADS = {str(downloads) + os.sep!r}
    """
    code = textwrap.dedent(prologue) + script
    environment = {
        key: os.environ[key]
        for key in ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
        if key in os.environ
    }
    environment["PYTHONPATH"] = os.pathsep.join(sys.path)
    environment["AWS_ENDPOINT_URL_S3"] = emulator.s3_endpoint_url
    return subprocess.run(
        [sys.executable, "-X", "dev", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        check=False,
    )


def _invalidations(emulator: JamfEmulator) -> int:
    return sum(1 for record in emulator.request_log if record.path == INVALIDATE)


def test_the_seed_snippets_without_close_exit_silently_and_invalidate_their_tokens(
    emulator: JamfEmulator, tmp_path: Path
) -> None:
    finished = _run(SEED, emulator, tmp_path)

    assert finished.stderr == ""
    assert finished.returncode == 0
    downloaded = tmp_path / "downloads" / "Seed Exit.pkg"
    assert sha(downloaded) == sha(tmp_path / "Seed Exit.pkg")
    # The first client was collected when ``client`` was bound to the second (its token
    # is left to expire); the second, alive at exit, ended its token then, once.
    assert _invalidations(emulator) == 1
    assert emulator.request_log[-1].path == INVALIDATE
    last_token = emulator.issued_tokens()[-1]
    refused = requests.get(
        f"{emulator.url}/api/v1/jcds/files",
        headers={"Authorization": f"Bearer {last_token}"},
        timeout=30,
    )
    assert refused.status_code == 401  # the token of the client alive at exit was ended


def test_a_closed_client_is_not_closed_again_at_exit(
    emulator: JamfEmulator, tmp_path: Path
) -> None:
    finished = _run(CLOSED, emulator, tmp_path)

    assert (finished.returncode, finished.stderr) == (0, "")
    assert _invalidations(emulator) == 1


def test_a_client_collected_before_exit_is_left_to_expire_silently(
    emulator: JamfEmulator, tmp_path: Path
) -> None:
    finished = _run(COLLECTED, emulator, tmp_path)

    assert (finished.returncode, finished.stderr) == (0, "")
    assert _invalidations(emulator) == 0  # no HTTP from a finalizer; the token expires
