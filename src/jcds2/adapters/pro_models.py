"""What the Pro API adapters share: RSQL quoting and reading a Pro API ``Package``."""

from __future__ import annotations

from typing import Any

from jcds2.domain.models import Package, TransferStatus


def rsql_quote(value: str) -> str:
    """``value`` as a double-quoted RSQL argument (``"`` and ``\\`` escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _size(value: Any) -> int | None:
    """Jamf reports ``size`` as a string of bytes; blank or unreadable means unknown."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _status(value: Any) -> TransferStatus | None:
    try:
        return TransferStatus(value) if value else None
    except ValueError:
        return None


def package_from_pro(item: Any) -> Package:
    """A domain ``Package`` from a Pro API Package object.

    Raises ``KeyError``, ``TypeError`` or ``ValueError`` when ``item`` lacks the id or
    file name; callers turn those into a ``JamfApiError``.
    """
    return Package(
        id=int(item["id"]),
        name=str(item.get("packageName") or ""),
        file_name=str(item["fileName"]),
        hash_type=item.get("hashType") or None,
        hash_value=item.get("hashValue") or None,
        md5=item.get("md5") or None,
        sha3_512=item.get("sha3512") or None,
        size=_size(item.get("size")),
        status=_status(item.get("cloudTransferStatus")),
    )
