"""What ``make dist`` checks in the built files: the sdist is the whole project, the wheel the
package with the data the emulator reads.

``python -m tests.packaging.dist_contents DIST`` checks the one sdist and the one wheel in
``DIST`` and exits 1, naming what is missing, if either lacks a required entry.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "src" / "jcds2" / "emulator" / "schemas"

#: Entries of the sdist, relative to its top folder (``jcds2-VERSION/``); a trailing slash
#: means a folder with at least one file in it.
SDIST_REQUIRED = (
    "tests/",
    "docs/",
    "ADR/",
    "Makefile",
    "LICENSE",
    "CHANGELOG.md",
    "README.md",
    "pyproject.toml",
    "src/jcds2/",
)


def wheel_required() -> tuple[str, ...]:
    """Entries of the wheel: the package, its type marker and every vendored schema."""
    schemas = sorted(
        f"jcds2/emulator/schemas/{path.name}"
        for path in SCHEMAS.iterdir()
        if path.suffix in {".json", ".yaml"}
    )
    return ("jcds2/__init__.py", "jcds2/py.typed", "jcds2/cli/__init__.py", *schemas)


def missing(names: set[str], required: tuple[str, ...]) -> list[str]:
    """The required entries that ``names`` (archive paths, relative to the top) lacks."""
    absent = []
    for entry in required:
        if entry.endswith("/"):
            if not any(name.startswith(entry) and name != entry for name in names):
                absent.append(entry)
        elif entry not in names:
            absent.append(entry)
    return absent


def sdist_names(path: Path) -> set[str]:
    """The files of an sdist, without its top folder."""
    with tarfile.open(path) as archive:
        return {member.name.partition("/")[2] for member in archive.getmembers() if member.isfile()}


def wheel_names(path: Path) -> set[str]:
    """The files of a wheel."""
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def check(dist: Path) -> list[str]:
    """One line per problem with the sdist and the wheel in ``dist`` (none: all is well)."""
    sdists, wheels = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        return [f"{dist}: expected one sdist and one wheel, found {len(sdists)} and {len(wheels)}"]
    problems = [
        f"{sdists[0].name} lacks {entry}"
        for entry in missing(sdist_names(sdists[0]), SDIST_REQUIRED)
    ]
    problems += [
        f"{wheels[0].name} lacks {entry}"
        for entry in missing(wheel_names(wheels[0]), wheel_required())
    ]
    return problems


def main(argv: list[str]) -> int:
    dist = Path(argv[0]) if argv else ROOT / "dist"
    problems = check(dist)
    for problem in problems:
        print(f"dist: {problem}", file=sys.stderr)
    if not problems:
        print(f"dist: the sdist and the wheel in {dist} carry what they must")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
