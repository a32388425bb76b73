"""Classic API category routes (``/JSSResource/categories``), in XML or JSON like packages."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from werkzeug.wrappers import Request, Response

from jcds2.emulator.categories import (
    DEFAULT_PRIORITY,
    Category,
    CategoryNotFoundError,
    CategoryStore,
    DuplicateCategoryError,
    valid_priority,
)
from jcds2.emulator.classic_xml import (
    BadDocumentError,
    ClassicRoutes,
    parse_document,
)
from jcds2.emulator.state import PackageStore
from jcds2.emulator.web import Call, html_error


def _fields(request: Request, old: Category | None) -> tuple[str | None, int]:
    """Name (None: not given) and priority from a ``<category>`` document.

    Elements left out keep ``old``'s values (a partial update), or the defaults.
    """
    root = parse_document(request, "category")
    name = root.findtext("name")
    name = None if name is None else name.strip()
    if name == "":
        raise BadDocumentError("Problem with the request: name must not be empty")
    priority = DEFAULT_PRIORITY if old is None else old.priority
    raw_priority = root.findtext("priority")
    if raw_priority is not None:
        try:
            priority = int(raw_priority.strip())
        except ValueError:
            raise BadDocumentError("Invalid value for priority") from None
        if not valid_priority(priority):
            raise BadDocumentError("priority must be from 1 to 20")
    return name, priority


@attrs.frozen
class ClassicCategoryRoutes(ClassicRoutes[Category]):
    """List, read, create, partially update and delete categories, Classic style."""

    plural: ClassVar[str] = "categories"
    singular: ClassVar[str] = "category"

    categories: CategoryStore
    packages: PackageStore

    def _listing(self) -> list[tuple[int, str]]:
        return [(category.id, category.name) for category in self.categories.all()]

    def _get(self, object_id: int) -> Category | None:
        return self.categories.get(object_id)

    def _by_name(self, name: str) -> Category | None:
        return self.categories.by_name(name)

    def _fields(self, found: Category) -> dict[str, Any]:
        return {"id": found.id, "name": found.name, "priority": found.priority}

    def _create(self, call: Call, url_name: str | None) -> Response:
        try:
            name, priority = _fields(call.request, None)
            name = name or url_name
            if not name:
                raise BadDocumentError("Problem with the request: name is required")
            category = self.categories.create(name, priority)
        except (BadDocumentError, DuplicateCategoryError) as error:
            return _refused(error)
        return self.id_document(category.id, 201)

    def _update(self, call: Call, found: Category) -> Response:
        try:
            name, priority = _fields(call.request, found)
            updated = self.categories.update(found.id, name or found.name, priority)
        except (BadDocumentError, DuplicateCategoryError, CategoryNotFoundError) as error:
            return _refused(error)
        return self.id_document(updated.id, 201)

    def _delete(self, found: Category) -> Response:
        try:
            self.categories.delete(found.id)
        except CategoryNotFoundError as error:
            return _refused(error)
        self.packages.uncategorize(str(found.id))
        return self.id_document(found.id, 200, successful=True)


def _refused(error: Exception) -> Response:
    if isinstance(error, BadDocumentError):
        return html_error(400, str(error))
    if isinstance(error, DuplicateCategoryError):
        return html_error(409, "Duplicate name")
    return html_error(404, "Not Found")
