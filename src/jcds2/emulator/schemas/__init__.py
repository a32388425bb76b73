"""Jamf's published API schemas, vendored: what the emulator is checked against.

See ``README.md`` beside this module for where each file came from and which Jamf Pro version
it describes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

PRO_API_SCHEMA = "jamf-pro-api-11.30.1-subset.json"
CLASSIC_API_SCHEMA = "jamf-classic-api-11.30.1-packages.yaml"
#: Written by jcds2 from Jamf's published facts (README.md): policies and computer PreStages.
USAGE_SCHEMA = "jcds2-policies-prestages-subset.json"


def schema_text(name: str) -> str:
    """The text of one vendored schema file (``PRO_API_SCHEMA`` or ``CLASSIC_API_SCHEMA``)."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


@cache
def _pro_api_schema() -> str:
    return schema_text(PRO_API_SCHEMA)


def pro_api_schema() -> dict[str, Any]:
    """The Pro API OpenAPI 3 document as published (a fresh copy on every call)."""
    loaded: dict[str, Any] = json.loads(_pro_api_schema())
    return loaded


def usage_schema() -> dict[str, Any]:
    """The policies and PreStages subset (``USAGE_SCHEMA``; a fresh copy on every call):
    OpenAPI 3 paths for ``/v3/computer-prestages``, and JSON schemas ``ClassicPolicy`` and
    ``ClassicPolicyList`` for the Classic API's policies (their JSON flavour)."""
    loaded: dict[str, Any] = json.loads(schema_text(USAGE_SCHEMA))
    return loaded
