"""What each command imports (issue 17): start-up stays quick because ``--version`` and
``--help`` load no client stack, and boto3 loads only for an upload through S3.

Each run is a fresh interpreter that runs ``jcds2.cli.main`` and then writes the names in
``sys.modules`` to a file, so nothing this test process imported can hide or fake an import.
Every case also asserts what its command *must* have imported and done, so that a probe that
ran nothing (or failed early) cannot pass. No case is timed: the 0.15 s target is measured
by ``make bench`` (``benchmarks/run.py``, ``run_startup``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jcds2 import JamfProClient
from tests.e2e.conftest import Cli, seed
from tests.helpers import make_file

_PROBE = """
import json, sys
from jcds2.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""

#: What no command may import until it needs it.
_S3 = ("boto3", "botocore", "s3transfer")
_EMULATOR = ("moto", "jcds2.emulator")
# werkzeug and pydantic are not in _EMULATOR: where the emulator extra installed them,
# dependency-injector imports them for its optional integrations (werkzeug.local,
# pydantic_settings) whatever the container holds; an install without the extra has neither.
#: What ``--version`` and ``--help`` must not import: the whole client stack.
_CLIENT_STACK = (
    *_S3,
    *_EMULATOR,
    "requests",
    "urllib3",
    "dependency_injector",
    "werkzeug",
    "pydantic",
    "tqdm",
    "shtab",
    "keyring",
    "jcds2.container",
    "jcds2.adapters",
)


def _probe(cli: Cli, tmp_path: Path, *args: str) -> tuple[int, set[str], str]:
    """Run ``jcds2 args`` in a fresh interpreter: its exit code, modules, and stdout."""
    record = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(record), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=cli.environment(),
        cwd=cli.home,
        timeout=120,
        check=False,
    )
    assert record.exists(), done.stderr
    result = json.loads(record.read_text(encoding="utf-8"))
    return result["code"], set(result["modules"]), done.stdout


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The members of ``packages`` (or their submodules) that ``modules`` holds."""
    return sorted(
        name for name in modules if any(name == p or name.startswith(f"{p}.") for p in packages)
    )


@pytest.mark.parametrize(
    ("argument", "shown"), [("--version", "jcds2 "), ("--help", "usage: jcds2")]
)
def test_version_and_help_import_no_client_stack(
    cli: Cli, tmp_path: Path, argument: str, shown: str
) -> None:
    code, modules, stdout = _probe(cli, tmp_path, argument)
    assert code == 0
    assert stdout.startswith(shown)
    assert "jcds2.cli.parser" in modules  # the probe did build the parser
    assert _loaded(modules, _CLIENT_STACK) == []


def test_ls_imports_the_client_but_not_s3_nor_the_emulator(cli: Cli, tmp_path: Path) -> None:
    code, modules, _ = _probe(cli, tmp_path, "--json", "ls")
    assert code == 0
    assert {"requests", "jcds2.container.containers"} <= modules  # it did talk to Jamf
    assert _loaded(modules, (*_S3, *_EMULATOR, "tqdm")) == []


def test_a_download_does_not_import_s3(cli: Cli, client: JamfProClient, tmp_path: Path) -> None:
    seed(client, tmp_path / "seed", "Tool.pkg", 300_000)
    out = tmp_path / "out"
    out.mkdir()
    code, modules, _ = _probe(cli, tmp_path, "--json", "download", "Tool.pkg", "-o", str(out))
    assert code == 0
    assert (out / "Tool.pkg").stat().st_size == 300_000
    assert "jcds2.adapters.http_range" in modules
    assert _loaded(modules, (*_S3, *_EMULATOR, "tqdm")) == []


def test_a_packages_route_upload_does_not_import_s3(cli: Cli, tmp_path: Path) -> None:
    source = make_file(tmp_path / "Form.pkg", 200_000, seed=3)
    code, modules, _ = _probe(cli, tmp_path, "--json", "upload", str(source), "--route", "packages")
    assert code == 0
    assert "jcds2.adapters.pro_packages" in modules
    assert _loaded(modules, (*_S3, *_EMULATOR)) == []


def test_a_jcds_route_upload_imports_boto3(cli: Cli, tmp_path: Path) -> None:
    source = make_file(tmp_path / "Cloud.pkg", 200_000, seed=4)
    code, modules, _ = _probe(cli, tmp_path, "--json", "upload", str(source), "--route", "jcds")
    assert code == 0
    assert {"boto3", "botocore", "jcds2.adapters.s3"} <= modules
    assert _loaded(modules, _EMULATOR) == []
