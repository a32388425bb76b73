"""The settings of a package that admins set, what an edit of them changes, and its result.

Jamf's schema (``components.schemas.Package``) declares more fields than admins set: the
server manages ``size``, the digests and ``cloudTransferStatus``; ``swu``, ``selfHeal*``,
``serialNumber``, ``basePath``, ``parentPackageId``, ``installLanguage``,
``ignoreConflicts``, ``osInstallerVersion`` and ``format`` are legacy or internal; the
manifest has endpoints of its own; the file name names the file the package installs.
The rest are :data:`EDITABLE_FIELDS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from jcds2.domain.errors import InvalidPackageFieldError, UnknownPackageFieldError
from jcds2.domain.models import Category, Package

#: The category id both APIs use for "no category" (the Pro API's ``categoryId``).
NO_CATEGORY_ID = -1

#: Every field an edit may set, by its name in the library, with its kind: ``text`` (any
#: text; ``""`` clears it), ``bool``, ``priority`` (1 to 20), ``name`` (not blank) and
#: ``category`` (a name or an id, resolved through the categories API).
EDITABLE_FIELDS: Mapping[str, str] = {
    "package_name": "name",
    "category": "category",
    "info": "text",
    "notes": "text",
    "priority": "priority",
    "reboot_required": "bool",
    "fill_user_template": "bool",
    "fill_existing_users": "bool",
    "os_requirements": "text",
    "os_install": "bool",
    "suppress_updates": "bool",
    "suppress_from_dock": "bool",
    "suppress_eula": "bool",
    "suppress_registration": "bool",
}


@attrs.frozen
class PackageSettings:
    """Settings of a package, each ``None`` where it is not given.

    Read from a server, ``None`` means the API does not report the field (the Classic
    API has no ``os_install`` or ``suppress_*``); written, it means "leave it as it is".
    Texts are ``""`` when empty. The category is given the way the API names it:
    ``category_id`` (the Pro API; ``-1`` for none) or ``category_name`` (the Classic
    API; ``""`` for none); a write gives both.
    """

    package_name: str | None = None
    category_id: int | None = None
    category_name: str | None = None
    info: str | None = None
    notes: str | None = None
    priority: int | None = None
    reboot_required: bool | None = None
    fill_user_template: bool | None = None
    fill_existing_users: bool | None = None
    os_requirements: str | None = None
    os_install: bool | None = None
    suppress_updates: bool | None = None
    suppress_from_dock: bool | None = None
    suppress_eula: bool | None = None
    suppress_registration: bool | None = None

    def given(self) -> dict[str, Any]:
        """The fields that are not ``None``, by name."""
        return {key: value for key, value in attrs.asdict(self).items() if value is not None}


@attrs.frozen
class FieldChange:
    """One field an edit changes (or would change): its value before and after.

    A category shows as its name (``None``: no category).
    """

    field: str
    old: str | int | bool | None
    new: str | int | bool | None


@attrs.frozen
class EditResult:
    """What an edit of a package did.

    ``changes`` lists the fields whose values differed from the ones asked for (empty:
    the package already had them, and nothing was written). ``written``: the changes were
    sent and Jamf Pro confirmed them. ``dry_run``: nothing was sent, ``changes`` says
    what would change. ``refreshed``: the write blanked the package's size, and an
    inventory refresh brought it back. ``package`` is the package as Jamf Pro reports it
    at the end.
    """

    package: Package
    changes: tuple[FieldChange, ...] = ()
    written: bool = False
    dry_run: bool = False
    refreshed: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)


#: What a caller may give for a field: text, a whole number, a flag, or a category.
FieldValue = object


def check_fields(fields: Mapping[str, FieldValue]) -> dict[str, FieldValue]:
    """``fields`` checked against :data:`EDITABLE_FIELDS`: each value of its field's kind
    (``None`` leaves a field out; a category is checked when it is looked up).

    Raises ``UnknownPackageFieldError`` for a name that is not an editable field and
    ``InvalidPackageFieldError`` for a value of the wrong kind.
    """
    unknown = sorted(name for name in fields if name not in EDITABLE_FIELDS)
    if unknown:
        raise UnknownPackageFieldError(unknown, sorted(EDITABLE_FIELDS))
    checked: dict[str, FieldValue] = {}
    for name, value in fields.items():
        if value is None:
            continue
        checked[name] = _check(name, EDITABLE_FIELDS[name], value)
    return checked


def _check(name: str, kind: str, value: FieldValue) -> FieldValue:
    if kind == "bool":
        if not isinstance(value, bool):
            raise InvalidPackageFieldError(name, value, "True or False")
        return value
    if kind == "priority":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20:
            raise InvalidPackageFieldError(name, value, "a whole number from 1 to 20")
        return value
    if kind in ("text", "name"):
        if not isinstance(value, str):
            raise InvalidPackageFieldError(name, value, "text")
        if kind == "name" and not value.strip():
            raise InvalidPackageFieldError(name, value, "a name that is not blank")
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, Category)):
        raise InvalidPackageFieldError(name, value, "a category's name or id")
    return value
