"""Use-case: change the settings of a package (category, info, priority, ...) without
uploading its file again.

Read, change only what was asked, write, and read again: the fields asked for must read
back as written, and the server-managed ones (size, hashes, transfer status) as before.
A metadata write makes Jamf Pro blank the package's ``size`` until the file's next
inventory refresh (ADR 0023): the edit asks for that refresh and waits for the size.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from jcds2.application.cancel import CancelToken
from jcds2.application.categories import CategoryLookup, category_reference, look_up_category
from jcds2.application.ports import (
    CategoryDirectory,
    FileStore,
    PackageRepository,
    PackageSettingsStore,
)
from jcds2.application.retry import Retrying
from jcds2.domain.errors import ConfigurationError, PackageEditError, PackageNotFoundError
from jcds2.domain.models import Category, Package, TransferStatus, UploadTarget
from jcds2.domain.package_settings import (
    NO_CATEGORY_ID,
    EditResult,
    FieldChange,
    PackageSettings,
    check_fields,
)
from jcds2.domain.transfer import TransferConfig

log = logging.getLogger("jcds2.edit")

#: What identifies a package: the package, its id, or its display name or file name.
PackageRef = Package | int | str

#: Fields the server manages; an edit must leave each as it found it.
_DIGESTS = ("hash_type", "hash_value", "md5", "sha3_512")


@attrs.define
class EditPackage:
    """Change some settings of an existing package and leave everything else as it is.

    ``fields`` are named as in :data:`~jcds2.domain.package_settings.EDITABLE_FIELDS`;
    ``None`` leaves a field alone. The category is a name or an id (``None``, ``-1`` or
    ``"No category assigned"``: none), looked up in ``categories``; an unknown name
    raises ``UnknownCategoryError`` unless ``create_category``. A package whose settings
    already are the ones asked for is not written (``EditResult.written`` is ``False``);
    ``dry_run`` says what would change and writes nothing (and creates no category).

    After the write the package is read again: a field that does not read back as
    written, or a digest that changed, raises ``PackageEditError``. A size the write
    blanked is brought back by an inventory refresh of the file through ``files``,
    waited for at most ``config.verify_timeout`` seconds.
    """

    packages: PackageRepository
    settings: PackageSettingsStore
    categories: CategoryDirectory | None = None
    #: Asked for an inventory refresh when a write blanked a package's size.
    files: FileStore | None = None
    config: TransferConfig = attrs.field(factory=TransferConfig)
    clock: Callable[[], float] = time.monotonic
    #: Waits between looks at the package; ``None``: sleep (cut short by ``cancel``).
    sleep: Callable[[float], None] | None = None

    def __call__(
        self,
        package: PackageRef,
        fields: Mapping[str, Any] | None = None,
        *,
        create_category: bool = False,
        dry_run: bool = False,
        cancel: CancelToken | None = None,
        **more: Any,
    ) -> EditResult:
        """Set ``fields`` (a mapping, or keywords) on ``package``."""
        asked = check_fields({**(fields or {}), **more})
        before = self._find(package)
        current = self.settings.read_settings(before.id)
        if current is None:
            raise PackageNotFoundError(before.id)
        lookup = self._look_up(asked, create_category)
        changes, write = self._compare(current, asked, lookup)
        if not changes:
            log.info("package %d (%s) already has these settings", before.id, before.name)
            return EditResult(package=before, dry_run=dry_run)
        if dry_run:
            return EditResult(package=before, changes=tuple(changes), dry_run=True)
        if lookup is not None and lookup.missing is not None:
            assert self.categories is not None
            made = lookup.settle(self.categories)
            log.info("created category %r", lookup.missing)
            write.update(_category_write(made))
        self.settings.write_settings(before.id, PackageSettings(**write))
        log.info(
            "changed %s of package %d (%s)",
            ", ".join(change.field for change in changes),
            before.id,
            before.name,
        )
        after, refreshed = self._settled(before, Retrying.of(self.config, cancel, self.sleep))
        self._check_written(before.id, write)
        return EditResult(package=after, changes=tuple(changes), written=True, refreshed=refreshed)

    # --- before the write --------------------------------------------------------------

    def _find(self, package: PackageRef) -> Package:
        if isinstance(package, Package):
            found = self.packages.get(package.id)
            key: str | int = package.id
        elif isinstance(package, int) and not isinstance(package, bool):
            found, key = self.packages.get(package), package
        elif isinstance(package, str) and package.strip():
            found = self.packages.find_by_name(package) or self.packages.find_by_file_name(package)
            key = package
        else:
            raise ConfigurationError(f"a package is a Package, an id or a name, not {package!r}")
        if found is None:
            raise PackageNotFoundError(key)
        return found

    def _look_up(self, asked: Mapping[str, Any], create: bool) -> CategoryLookup | None:
        """The category asked for (``None``: none was)."""
        if "category" not in asked:
            return None
        value = asked["category"]
        if self.categories is not None:
            return look_up_category(self.categories, value, create=create)
        reference = category_reference(value)
        if reference is not None and not isinstance(reference, Category):
            raise ConfigurationError(
                "looking a category up by name or id needs a CategoryDirectory; pass a "
                "Category, or None for no category"
            )
        return CategoryLookup(found=reference)

    def _compare(
        self, current: PackageSettings, asked: Mapping[str, Any], lookup: CategoryLookup | None
    ) -> tuple[list[FieldChange], dict[str, Any]]:
        """The fields that would change, and the ``PackageSettings`` fields to write."""
        changes: list[FieldChange] = []
        write: dict[str, Any] = {}
        for name, value in asked.items():
            if name == "category":
                continue
            old = getattr(current, name)
            if old != value:
                changes.append(FieldChange(name, old, value))
                write[name] = value
        if lookup is not None:
            if lookup.missing is not None:
                changes.append(
                    FieldChange("category", self._category_shown(current), lookup.missing)
                )
            elif not _same_category(current, lookup.found):
                new = None if lookup.found is None else lookup.found.name
                changes.append(FieldChange("category", self._category_shown(current), new))
                write.update(_category_write(lookup.found))
        return changes, write

    def _category_shown(self, current: PackageSettings) -> str | None:
        """The package's category by name, as far as it can be told (``None``: none)."""
        if current.category_name is not None:
            return current.category_name or None
        if current.category_id is None or current.category_id == NO_CATEGORY_ID:
            return None
        found = None if self.categories is None else self.categories.get(current.category_id)
        return f"id {current.category_id}" if found is None else found.name

    # --- after the write ---------------------------------------------------------------

    def _settled(self, before: Package, retrying: Retrying) -> tuple[Package, bool]:
        """The package once its server-managed fields are back to what they were, and
        whether an inventory refresh was needed for that."""
        after = self._reread(before.id)
        _check_digests(before, after)
        if _managed_same(before, after):
            return after, False
        if after.size is not None or self.files is None:
            raise PackageEditError(
                f"Jamf Pro reports package {before.id} with size {after.size} and status "
                f"{_status(after)} after the edit (before: {before.size}, {_status(before)}); "
                "the settings were written, check the package's file in Jamf Pro",
                operation=f"editing package {before.id}",
            )
        log.info("the edit blanked the size of package %d: refreshing its inventory", before.id)
        self.files.refresh(UploadTarget(file_name=after.file_name))
        deadline = self.clock() + self.config.verify_timeout
        for look in itertools.count(1):
            left = deadline - self.clock()
            if left <= 0:
                raise PackageEditError(
                    f"the settings of package {before.id} were written, but Jamf Pro still "
                    f"reports its size as {after.size} (was {before.size}) after "
                    f"{self.config.verify_timeout:g} s; refresh the distribution point's "
                    "inventory for its file later",
                    operation=f"editing package {before.id}",
                )
            retrying.pause(min(self.config.verify_poll(look), left))
            after = self._reread(before.id)
            _check_digests(before, after)
            if _managed_same(before, after):
                return after, True
        raise AssertionError("unreachable")  # pragma: no cover

    def _reread(self, package_id: int) -> Package:
        found = self.packages.get(package_id)
        if found is None:
            raise PackageNotFoundError(package_id)
        return found

    def _check_written(self, package_id: int, write: Mapping[str, Any]) -> None:
        now = self.settings.read_settings(package_id)
        if now is None:
            raise PackageNotFoundError(package_id)
        wrong = [
            name
            for name, value in write.items()
            if name not in ("category_id", "category_name") and getattr(now, name) != value
        ]
        if "category_id" in write:
            made = Category(write["category_id"], write["category_name"])
            if not _same_category(now, None if made.id == NO_CATEGORY_ID else made):
                wrong.append("category")
        if wrong:
            raise PackageEditError(
                f"Jamf Pro did not keep {', '.join(wrong)} of package {package_id} as written; "
                "check the package in Jamf Pro",
                operation=f"editing package {package_id}",
            )


def _category_write(category: Category | None) -> dict[str, Any]:
    """The category fields of a write: both the id and the name (each API takes one)."""
    if category is None:
        return {"category_id": NO_CATEGORY_ID, "category_name": ""}
    return {"category_id": category.id, "category_name": category.name}


def _same_category(current: PackageSettings, category: Category | None) -> bool:
    """Whether the package is filed under ``category`` (``None``: under none)."""
    if current.category_id is not None:
        return current.category_id == (NO_CATEGORY_ID if category is None else category.id)
    if current.category_name is not None:
        return current.category_name == ("" if category is None else category.name)
    return False


def _managed_same(before: Package, after: Package) -> bool:
    """Whether the size and transfer status are what they were (where they were known).

    A package whose file is still being taken in (``PENDING``) gets a new size and
    status anyway: the transfer's own refresh brings them.
    """
    if before.status is TransferStatus.PENDING:
        return True
    return all(
        getattr(before, name) is None or getattr(after, name) == getattr(before, name)
        for name in ("size", "status")
    )


def _check_digests(before: Package, after: Package) -> None:
    changed = [
        name
        for name in _DIGESTS
        if getattr(before, name) is not None and getattr(after, name) != getattr(before, name)
    ]
    if changed:
        raise PackageEditError(
            f"Jamf Pro changed the {', '.join(changed)} of package {before.id} when its "
            "settings were written; check the package's file in Jamf Pro",
            operation=f"editing package {before.id}",
        )


def _status(package: Package) -> str:
    return "none" if package.status is None else package.status.value
