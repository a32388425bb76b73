"""docs/_static/architecture.svg is valid XML and names only classes that exist."""

from __future__ import annotations

import importlib
import pkgutil
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jcds2

SVG = Path(__file__).resolve().parents[2] / "docs" / "_static" / "architecture.svg"
NS = "{http://www.w3.org/2000/svg}"


def class_names() -> set[str]:
    """The CamelCase names written in monospace in the diagram (URL paths aside)."""
    names: set[str] = set()
    for element in ET.parse(SVG).getroot().iter():
        classes = element.get("class", "").split()
        if "mono" in classes and "path" not in classes and element.text:  # not URL paths
            words = re.findall(r"\b[A-Z][A-Za-z0-9]+\b", element.text)
            names |= {
                word
                for word in words
                if sum(c.isupper() for c in word) >= 2 and any(c.islower() for c in word)
            }
    return names


def defined_names() -> set[str]:
    names: set[str] = set()
    skipped = ("jcds2.emulator", "jcds2.cli")
    for module in pkgutil.walk_packages(jcds2.__path__, "jcds2."):
        if not module.name.startswith(skipped):
            names |= set(vars(importlib.import_module(module.name)))
    return names


def test_the_diagram_is_an_svg_document() -> None:
    root = ET.parse(SVG).getroot()
    assert root.tag == f"{NS}svg"
    assert root.find(f"{NS}title") is not None


def test_the_diagram_names_real_classes() -> None:
    names = class_names()
    assert {"ClassicApiPackageRepository", "S3ObjectUploader", "InMemoryFileStore"} <= names
    unknown = sorted(names - defined_names())
    assert not unknown, f"the diagram names classes jcds2 does not have: {unknown}"
