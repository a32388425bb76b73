"""The emulator's two entry points on an install without the ``emulator`` extra.

moto and werkzeug are made missing for a subprocess the honest way: a ``sitecustomize``
(imported by Python at start-up, before any code of jcds2) puts a finder first on
``sys.meta_path`` that reports them as not installed, exactly as an import of a package
that is not there does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jcds2.emulator.extra import INSTALL

BLOCKER = '''
import sys

class NotInstalled:
    """Finds moto and werkzeug nowhere, as on an install without the emulator extra."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"moto", "werkzeug"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
'''
COMMAND = Path(sys.executable).parent / "jcds2"


@pytest.fixture
def without_the_extra(tmp_path: Path) -> dict[str, str]:
    """An environment whose Python finds no moto and no werkzeug."""
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_both_entry_points_print_the_same_one_line_hint(
    without_the_extra: dict[str, str],
) -> None:
    assert COMMAND.exists(), f"the jcds2 console script is not installed at {COMMAND}"
    module = run([sys.executable, "-m", "jcds2.emulator", "--port", "0"], without_the_extra)
    command = run([str(COMMAND), "emulator", "--port", "0"], without_the_extra)

    for done in (module, command):
        assert done.returncode == 1, done
        assert done.stdout == "", done
        assert "Traceback" not in done.stderr, done
    [line] = module.stderr.splitlines()
    assert command.stderr.splitlines() == [line]
    assert line == (
        "jcds2: the emulator needs the 'emulator' extra (werkzeug is not installed): "
        "pip install 'jcds2[emulator]' (from a checkout of jcds2: pip install -e '.[emulator]')"
    )


def test_the_hint_names_an_install_command_for_a_package_and_for_a_checkout() -> None:
    assert "pip install 'jcds2[emulator]'" in INSTALL
    assert "pip install -e '.[emulator]'" in INSTALL  # run in the checkout's folder


def test_the_client_and_the_emulator_package_import_without_the_extra(
    without_the_extra: dict[str, str],
) -> None:
    # The library never needs the extra; importing the emulator package does not either
    # (its servers are imported on first use), only using them does.
    code = (
        "import jcds2, jcds2.emulator\n"
        "from jcds2.emulator import FaultPlan\n"
        "try:\n"
        "    jcds2.emulator.JamfEmulator\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error.name)\n"
    )
    done = run([sys.executable, "-c", code], without_the_extra)

    assert (done.returncode, done.stdout, done.stderr) == (0, "werkzeug\n", "")
