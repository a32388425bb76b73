"""Sphinx configuration for the jcds2 documentation (``make docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

from pygments.lexers.special import TextLexer
from sphinx.application import Sphinx

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent / "src"))

project = "jcds2"
author = "The jcds2 authors"
copyright = "2026, The jcds2 authors"

from jcds2 import __version__  # noqa: E402 - after the path set-up above

release = version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinxarg.ext",
    "jcds2_docs",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "_ext",
    "Thumbs.db",
    ".DS_Store",
    # Included by adr.md, not a page of its own.
    "adr/README.md",
]

# MyST: GitHub-style anchors for headings, so in-page links such as (#fault-plan) and
# (emulator.md#fault-plan) work the same on GitHub and in the HTML.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist"]
# Markdown links resolve to pages, headings and Python objects only (not to the CLI domain of
# sphinx-argparse, which cannot answer such look-ups).
myst_ref_domains = ["std", "py"]

# autodoc: the public surface, in source order, signatures with their type hints.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True

# Names in signatures that live outside jcds2 (the standard library, attrs, requests):
# there is no intersphinx (the build runs offline), so they stay plain text.
nitpick_ignore_regex = [
    (
        "py:.*",
        r"(typing|collections|collections\.abc|os|pathlib|threading|_thread|types|enum|abc|datetime)\..*",
    ),
    ("py:.*", r"(attr|attrs|requests|urllib3|boto3|botocore|dependency_injector)(\..*)?"),
    ("py:class", r"(int|str|bytes|bool|float|object|None|memoryview|Exception|BaseException)"),
]

# Curly quotes, but "--" stays two hyphens: the pages and the parser's help name options.
smartquotes_action = "qe"

html_theme = "furo"
html_title = f"jcds2 {version}"
html_static_path = ["_static"]
html_show_sourcelink = False


def setup(app: Sphinx) -> None:
    # The sequence diagrams of architecture.md are Mermaid source, shown as text (no
    # Mermaid runtime in the build).
    app.add_lexer("mermaid", TextLexer)
