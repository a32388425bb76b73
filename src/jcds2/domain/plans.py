"""What an upload or a removal would do, found without changing anything (``--dry-run``)."""

from __future__ import annotations

import enum
from pathlib import Path

import attrs

from jcds2.domain.flat_package import PackageCheck
from jcds2.domain.usage import PackageUser


class PlannedAction(str, enum.Enum):
    """What an upload would do with a file.

    - ``create``: send the file and make a new package for it.
    - ``skip``: nothing: a package already has this very file (``on_exists="skip"`` or
      ``"replace"``).
    - ``replace``: send the file in place of the file of the package that uses its name.
    - ``fail``: nothing: a package uses the file name (``conflict="file_name"``, and
      ``on_exists`` allows neither a skip nor a replace), or another package has the
      package name (``conflict="package_name"``); ``reason`` says which, as the upload's
      error would.
    """

    CREATE = "create"
    SKIP = "skip"
    REPLACE = "replace"
    FAIL = "fail"


@attrs.frozen
class UploadPlan:
    """What uploading ``path`` would do, on ``route``, found by reading only.

    ``package_id`` and ``package_name`` are the package concerned: the existing one
    (skip, replace, fail) or, for ``create``, the name of the one to make (no id yet).
    ``category`` and ``category_id`` are the category a new package would get (as looked
    up; ``None``: no category); ``create_category``: it does not exist yet and would be
    created. ``check`` is what the guardrails found.
    """

    path: Path
    file_name: str
    size: int
    route: str
    action: PlannedAction
    package_name: str
    package_id: int | None
    category: str | None
    category_id: int | None
    create_category: bool
    check: PackageCheck
    conflict: str | None = None
    reason: str | None = None


@attrs.frozen
class RemovePlan:
    """What removing ``file_name`` would delete: the package that uses it (``None``:
    none does) and the file (``file_exists``: the distribution point lists it)."""

    file_name: str
    file_exists: bool
    package_id: int | None = None
    package_name: str | None = None
    #: The policies and PreStages that use the package.
    users: tuple[PackageUser, ...] = ()
    #: Why the removal would be refused (something uses the package, or what does could
    #: not be read), or ``None``: it would go ahead.
    refusal: str | None = None
