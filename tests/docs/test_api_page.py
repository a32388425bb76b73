"""docs/api.md documents every name of the public surface (``jcds2.__all__``)."""

from __future__ import annotations

import re
from pathlib import Path

import jcds2
from jcds2 import errors
from jcds2.application import ports

API_PAGE = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_public_name_is_in_the_api_reference() -> None:
    text = API_PAGE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. auto\w+:: jcds2\.(\w+)\s*$", text, flags=re.MULTILINE))
    if ".. automodule:: jcds2.application.ports" in text:
        documented |= {name for name in jcds2.__all__ if getattr(ports, name, None) is not None}
    if ".. automodule:: jcds2.errors" in text:
        documented |= set(errors.__all__)
    documented.add("__version__")  # named in the page's introduction
    missing = sorted(set(jcds2.__all__) - documented)
    assert not missing, f"add these to docs/api.md: {', '.join(missing)}"
