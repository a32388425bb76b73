"""The facts a package index shows, and that a careless edit breaks (ADR 0022)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.packaging import dist_contents

if sys.version_info >= (3, 11):
    import tomllib
else:  # mypy checks as 3.10, but a 3.11+ virtualenv has no tomli (a 3.10-only dependency)
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = Path(__file__).resolve().parents[2]
PYTHONS = ("3.10", "3.11", "3.12", "3.13")

# [text](target) and [label]: target, outside code blocks and code spans.
_INLINE_TARGET = re.compile(r"\]\(<?([^)\s>]+)")
_REFERENCE_TARGET = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+(\S+)", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")


def project() -> dict[str, Any]:
    table: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return table


def link_targets(markdown: str) -> list[str]:
    """Every link target of a Markdown text, code blocks and code spans left out."""
    prose = _CODE_SPAN.sub("", _FENCE.sub("", markdown))
    return _INLINE_TARGET.findall(prose) + _REFERENCE_TARGET.findall(prose)


def test_the_license_file_is_mit_and_named_in_pyproject() -> None:
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 The jcds2 authors" in text
    assert project()["license"] == "MIT"
    assert project()["license-files"] == ["LICENSE"]


def test_classifiers_are_known_and_say_what_the_project_is() -> None:
    trove = pytest.importorskip("trove_classifiers")
    classifiers = project()["classifiers"]
    unknown = sorted(set(classifiers) - set(trove.classifiers))
    assert not unknown, f"not trove classifiers: {unknown}"
    assert len(set(classifiers)) == len(classifiers)
    assert "Development Status :: 4 - Beta" in classifiers
    assert "Intended Audience :: System Administrators" in classifiers
    assert {"Operating System :: MacOS :: MacOS X", "Operating System :: POSIX"} <= set(classifiers)
    versions = {c.rpartition(" :: ")[2] for c in classifiers if c.startswith("Programming")}
    assert set(PYTHONS) <= versions
    assert project()["requires-python"] == f">={PYTHONS[0]}"
    # With the license as an SPDX expression, a license classifier is refused by the backend.
    assert not [c for c in classifiers if c.startswith("License ::")]


def test_no_project_url_points_nowhere() -> None:
    # No public repository or published documentation exists yet: add a URL once it does.
    assert "urls" not in project()


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/" in text
    versions = re.findall(r"^## (.*)$", text, flags=re.MULTILINE)
    assert versions[0] == "[Unreleased]"
    assert all(
        re.fullmatch(r"\[Unreleased\]|\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", v) for v in versions
    ), versions
    kinds = set(re.findall(r"^### (.*)$", text, flags=re.MULTILINE))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert "client.packages.upload_file" in text


def test_the_readme_links_only_to_absolute_urls() -> None:
    # On a package index a relative link leads nowhere; files are named as plain text.
    relative = [
        target
        for target in link_targets((ROOT / "README.md").read_text("utf-8"))
        if not target.startswith("https://")
    ]
    assert not relative, f"README.md links to {relative}: name the file as plain text instead"


def test_link_targets_finds_links_but_not_code() -> None:
    text = "[a](docs/x.md) `[b](c)`\n```\n[d](e)\n```\n[f]: https://example.org/\n"
    assert link_targets(text) == ["docs/x.md", "https://example.org/"]


def test_the_dist_check_names_what_is_missing() -> None:
    names = {"tests/test_x.py", "docs/index.md", "Makefile"}
    assert dist_contents.missing(names, ("tests/", "docs/", "ADR/", "Makefile", "LICENSE")) == [
        "ADR/",
        "LICENSE",
    ]
    schemas = [name for name in dist_contents.wheel_required() if "/schemas/" in name]
    assert {Path(name).suffix for name in schemas} == {".json", ".yaml"}
