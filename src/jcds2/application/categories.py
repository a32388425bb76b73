"""Categories by name or id: what a caller's category means, and the category it is.

A caller names a category as Jamf Pro's interfaces show it (``"Applications"``) or by its
id (``5``, ``"5"``); ``None``, ``""``, ``"-1"`` and ``"No category assigned"`` mean none.
:func:`look_up_category` finds it through a
:class:`~jcds2.application.ports.CategoryDirectory` before anything is sent, so an unknown
category fails the upload before a byte leaves the machine.
"""

from __future__ import annotations

import attrs

from jcds2.application.ports import CategoryDirectory
from jcds2.domain.errors import UnknownCategoryError
from jcds2.domain.models import Category

#: How Jamf Pro's interfaces (and its Classic API) name "no category".
NO_CATEGORY_NAME = "No category assigned"

#: What a caller may pass as a category.
CategoryValue = Category | int | str | None


def category_reference(value: CategoryValue) -> Category | int | str | None:
    """What ``value`` names: ``None`` for no category, an ``int`` id, a ``str`` name, or a
    ``Category`` already found. A string of digits is an id (a category whose name is
    all digits is named by its id)."""
    if value is None or isinstance(value, Category):
        return value
    if isinstance(value, bool):
        raise TypeError(f"a category is a name or an id, not {value!r}")
    if isinstance(value, int):
        return None if value == -1 else value
    text = value.strip()
    if not text or text == "-1" or text.casefold() == NO_CATEGORY_NAME.casefold():
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    return text


@attrs.frozen
class CategoryLookup:
    """A category looked up: ``found`` (``None``: no category), or ``missing``, the name of
    one to create (asked for with ``create_category``) when a package is about to be made."""

    found: Category | None = None
    missing: str | None = None

    def settle(self, directory: CategoryDirectory) -> Category | None:
        """The category: the one found, or the missing one, created now."""
        if self.missing is None:
            return self.found
        return directory.create(self.missing)


def look_up_category(
    directory: CategoryDirectory, value: CategoryValue, *, create: bool = False
) -> CategoryLookup:
    """Find the category ``value`` names (one request to ``directory`` at most).

    Raises ``UnknownCategoryError`` when there is none, unless ``create`` and ``value`` is a
    name: the lookup then carries the name to create (an id cannot be created).
    """
    reference = category_reference(value)
    if reference is None or isinstance(reference, Category):
        return CategoryLookup(found=reference)
    if isinstance(reference, int):
        found = directory.get(reference)
        if found is None:
            raise UnknownCategoryError(
                f"Jamf Pro has no category with id {reference}. Name an existing category "
                "by its name or id, or pass a name with create_category=True to create it.",
                operation=f"looking up category {reference}",
            )
        return CategoryLookup(found=found)
    found = directory.find_by_name(reference)
    if found is not None:
        return CategoryLookup(found=found)
    if create:
        return CategoryLookup(missing=reference)
    raise UnknownCategoryError(
        f"Jamf Pro has no category named {reference!r}. Check the name (Settings > "
        "Categories), or pass create_category=True to create it.",
        operation=f"looking up category {reference!r}",
    )


def resolve_category(
    directory: CategoryDirectory, value: CategoryValue, *, create: bool = False
) -> Category | None:
    """The category ``value`` names, created first if ``create`` and it is missing."""
    return look_up_category(directory, value, create=create).settle(directory)
