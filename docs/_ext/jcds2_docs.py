"""Sphinx glue for the jcds2 docs: the ADRs as pages, and links that work on GitHub and in HTML.

The Markdown files are written to be read on GitHub as well, so they link to files by their
place in the repository (``../ADR/0012-adding-a-distribution-point.md``, ``../src/...``).
At build time this extension

* copies ``ADR/*.md`` into ``docs/adr/`` (generated, ignored by git) when the configuration
  is read, so every build shows the current records; the index page ``docs/adr.md``
  includes the copy of ``ADR/README.md``;
* rewrites relative links of every page as it is read: a link to an ADR points at its
  rendered page, a link to a page of ``docs/`` stays, and a link to any other file of the
  repository (source, tests, README) points at that file in the repository, or, while the
  project has no public repository (``REPOSITORY_URL`` is None), is shown as its text.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

#: Where the repository is browsed; links to files outside ``docs/`` point here. None: no
#: public repository exists yet (ADR 0022), so such a link is shown as its text alone rather
#: than as a link to an address that does not exist.
REPOSITORY_URL: str | None = None
BRANCH = "main"

#: The folder of ``docs/`` that holds the generated copies of ``ADR/*.md``.
ADR_COPIES = "adr"

# [text](target "title") and [label]: target. Targets with spaces are not supported.
_INLINE_LINK = re.compile(r"(\]\()(<?)([^)\s>]+)(>?)((?:\s+\"[^\"]*\")?\))")
_REFERENCE_LINK = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s+)(\S+)", re.MULTILINE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# A whole inline link, [text](target "title"), for links that are replaced by their text.
_WHOLE_LINK = re.compile(r"\[([^\[\]]*)\]\(<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\)")


def _repo_root(app: Sphinx) -> Path:
    return Path(app.srcdir).resolve().parent


def _map_target(repo_path: str) -> tuple[str, str | None]:
    """Where a repository path is rendered: ("doc", path under docs/) or ("url", URL)."""
    if repo_path.startswith("ADR/") and repo_path.endswith(".md"):
        name = repo_path.removeprefix("ADR/")
        if name == "README.md":
            return "doc", "adr.md"
        return "doc", f"{ADR_COPIES}/{name}"
    if repo_path.startswith("docs/"):
        return "doc", repo_path.removeprefix("docs/")
    return "url", None


def rewrite_links(text: str, *, origin: str, rendered: str, root: Path) -> str:
    """Rewrite the relative links of ``text``.

    ``origin`` is the file's path in the repository (links are relative to it), ``rendered``
    the path under ``docs/`` where Sphinx reads it from (links must be relative to that).
    """
    origin_dir = posixpath.dirname(origin)
    rendered_dir = posixpath.dirname(rendered)

    def convert(target: str) -> str | None:
        """The rewritten target; None where there is nothing to link to."""
        if not target or target.startswith(("#", "/")) or _SCHEME.match(target):
            return target
        path, hash_, anchor = target.partition("#")
        repo_path = posixpath.normpath(posixpath.join(origin_dir, path))
        if repo_path.startswith("../") or repo_path == "..":
            return target  # outside the repository: leave it to Sphinx to complain
        kind, docs_path = _map_target(repo_path)
        if kind == "doc" and docs_path is not None:
            new = posixpath.relpath(docs_path, rendered_dir or ".")
            return new + hash_ + anchor
        if REPOSITORY_URL is None:
            return None
        what = "tree" if (root / repo_path).is_dir() else "blob"
        return f"{REPOSITORY_URL}/{what}/{BRANCH}/{repo_path}{hash_}{anchor}"

    def unlinked(match: re.Match[str]) -> str:
        return match[1] if convert(match[2]) is None else match[0]

    def inline(match: re.Match[str]) -> str:
        target = convert(match[3]) or match[3]
        return "".join((match[1], match[2], target, match[4], match[5]))

    def reference(match: re.Match[str]) -> str:
        return match[1] + (convert(match[2]) or match[2])

    text = _WHOLE_LINK.sub(unlinked, text)
    return _REFERENCE_LINK.sub(reference, _INLINE_LINK.sub(inline, text))


def copy_adrs(app: Sphinx, config: Config) -> None:
    """Mirror ``ADR/*.md`` into ``docs/adr/``, writing only what changed."""
    root = _repo_root(app)
    source_dir = root / "ADR"
    target_dir = Path(app.srcdir) / ADR_COPIES
    target_dir.mkdir(exist_ok=True)
    wanted: set[str] = set()
    for source in sorted(source_dir.glob("*.md")):
        wanted.add(source.name)
        text = rewrite_links(
            source.read_text(encoding="utf-8"),
            origin=f"ADR/{source.name}",
            rendered=f"{ADR_COPIES}/{source.name}",
            root=root,
        )
        if source.name == "README.md":
            # Included by docs/adr.md, so its links must be relative to docs/.
            text = rewrite_links(
                source.read_text(encoding="utf-8"),
                origin="ADR/README.md",
                rendered="adr.md",
                root=root,
            )
        target = target_dir / source.name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    for stale in target_dir.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()


def rewrite_page_links(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: make a page's repository-relative links work in the HTML."""
    if docname.startswith(f"{ADR_COPIES}/"):
        return  # rewritten when copied
    rendered = docname + ".md"
    source[0] = rewrite_links(
        source[0], origin=f"docs/{rendered}", rendered=rendered, root=_repo_root(app)
    )


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", copy_adrs)
    app.connect("source-read", rewrite_page_links)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
