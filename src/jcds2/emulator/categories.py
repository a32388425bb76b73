"""The category store: the categories packages are filed under, shared by both APIs.

The Pro API names a category by its id as a string (``"3"``; ``"-1"`` is no category), the
Classic API by its name (``"No category assigned"`` when there is none) and its id as a
number. Names are unique; priorities run from 1 to 20 as in Jamf Pro's interface, 9 when the
Classic API is given none.
"""

from __future__ import annotations

import threading

import attrs

NO_CATEGORY_ID = "-1"
NO_CATEGORY_NAME = "No category assigned"
DEFAULT_PRIORITY = 9
MIN_PRIORITY = 1
MAX_PRIORITY = 20


@attrs.frozen
class Category:
    id: int
    name: str
    priority: int = DEFAULT_PRIORITY


class DuplicateCategoryError(Exception):
    """Raised when a category would get a name another category already has."""


class CategoryNotFoundError(Exception):
    """Raised when no category has the requested id."""


class CategoryStore:
    """Thread-safe categories, numbered from 1 in the order they were created."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._categories: dict[int, Category] = {}
        self._next_id = 1

    def create(self, name: str, priority: int = DEFAULT_PRIORITY) -> Category:
        with self._lock:
            self._check_unique(name, None)
            category = Category(self._next_id, name, priority)
            self._categories[category.id] = category
            self._next_id += 1
            return category

    def update(self, category_id: int, name: str, priority: int) -> Category:
        with self._lock:
            if category_id not in self._categories:
                raise CategoryNotFoundError(category_id)
            self._check_unique(name, category_id)
            category = Category(category_id, name, priority)
            self._categories[category_id] = category
            return category

    def delete(self, category_id: int) -> Category:
        with self._lock:
            category = self._categories.pop(category_id, None)
            if category is None:
                raise CategoryNotFoundError(category_id)
            return category

    def get(self, category_id: int) -> Category | None:
        with self._lock:
            return self._categories.get(category_id)

    def by_name(self, name: str) -> Category | None:
        with self._lock:
            return next((c for c in self._categories.values() if c.name == name), None)

    def all(self) -> list[Category]:
        """A snapshot of every category, by ascending id."""
        with self._lock:
            return [self._categories[key] for key in sorted(self._categories)]

    def clear(self) -> None:
        with self._lock:
            self._categories.clear()
            self._next_id = 1

    # The two APIs' names for a package's category ------------------------------------

    def exists(self, pro_id: str) -> bool:
        """Whether a package may name the Pro API category id ``pro_id`` ("-1": none)."""
        return pro_id == NO_CATEGORY_ID or self.lookup(pro_id) is not None

    def lookup(self, pro_id: str) -> Category | None:
        """The category with the Pro API id ``pro_id``, if there is one."""
        return self.get(int(pro_id)) if pro_id.isdigit() else None

    def classic_name(self, pro_id: str) -> str:
        """The Classic API's name for a package's category."""
        category = self.lookup(pro_id)
        return NO_CATEGORY_NAME if category is None else category.name

    def pro_id(self, classic_name: str) -> str | None:
        """The Pro API id for a category name given to the Classic API ("": none).

        None if no category has that name: the Classic API refuses such a package.
        ``NO_CATEGORY_NAME`` is not a category either: servers refused it when clients
        sent it back (see docs/emulator.md, "Categories").
        """
        if not classic_name:
            return NO_CATEGORY_ID
        category = self.by_name(classic_name)
        return None if category is None else str(category.id)

    def _check_unique(self, name: str, own_id: int | None) -> None:
        for other in self._categories.values():
            if other.id != own_id and other.name == name:
                raise DuplicateCategoryError(name)


def valid_priority(priority: int) -> bool:
    return MIN_PRIORITY <= priority <= MAX_PRIORITY
