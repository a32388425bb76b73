"""Every example of the docs and the README runs as the page says (ADR 0015).

One test per page: a fresh emulator, a fresh working directory with the sample packages, and
the environment a user would set; the page's examples run in order (see ``runner.py`` for
how each kind of block is run and compared).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jcds2.emulator import JamfEmulator
from tests.docs import runner

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: Not pages of their own: the build output, and the copies of ADR/ made by the build.
SKIPPED = ("_build", "adr")
#: Categories the examples name (by name on the Classic API).
PAGE_CATEGORIES = ("Utilities",)


def pages() -> list[Path]:
    """Every Markdown page of docs/ (recursively, without generated files), and the README."""
    found = sorted(
        path for path in DOCS.rglob("*.md") if path.relative_to(DOCS).parts[0] not in SKIPPED
    )
    return [*found, ROOT / "README.md"]


def page_id(path: Path) -> str:
    return path.relative_to(DOCS).as_posix() if path.is_relative_to(DOCS) else path.name


@pytest.mark.timeout(900)
@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_examples(page: Path, tmp_path: Path) -> None:
    shown = page.relative_to(ROOT).as_posix()
    blocks = runner.parse_blocks(page.read_text(encoding="utf-8"), shown)
    runner.check_tags(blocks)
    if not runner.executed(blocks):
        return
    workdir, scratch = tmp_path / "work", tmp_path / "scratch"
    workdir.mkdir()
    scratch.mkdir()
    runner.write_sample_files(workdir)
    failure = None
    with JamfEmulator() as emulator:
        # The server a reader has: the categories the pages' examples file packages under
        # exist (the emulator refuses a package naming one that does not, as Jamf does).
        for name in PAGE_CATEGORIES:
            emulator.add_category(name)
        environment = runner.page_environment(workdir, emulator.info())
        try:
            runner.run_blocks(
                blocks, page, workdir=workdir, scratch=scratch, environment=environment
            )
        except runner.ExampleError as exc:
            failure = str(exc)
    if failure is not None:
        pytest.fail(failure, pytrace=False)


def test_every_page_is_collected() -> None:
    ids = {page_id(page) for page in pages()}
    assert {"README.md", "index.md", "cli.md", "api.md", "architecture.md"} <= ids
    assert not any(name.startswith(("adr/", "_build/")) for name in ids)
