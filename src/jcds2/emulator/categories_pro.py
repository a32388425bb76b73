"""Pro API category routes (``/api/v1/categories``): list, create, read, replace, delete."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator import listing
from jcds2.emulator.categories import (
    Category,
    CategoryNotFoundError,
    CategoryStore,
    DuplicateCategoryError,
    valid_priority,
)
from jcds2.emulator.jsonbody import BodyError, BodyReader
from jcds2.emulator.state import PackageStore
from jcds2.emulator.web import (
    Call,
    ProRoutes,
    api_error,
    body_error,
    json_response,
    no_content,
    no_such,
)

# The published schema allows filtering on name and priority; id works too, as on the
# other collections.
RULES = listing.ListingRules(
    filter_fields=frozenset({"id", "name", "priority"}),
    sort_fields=frozenset({"id", "name", "priority"}),
)


def to_pro(category: Category) -> dict[str, Any]:
    return {"id": str(category.id), "name": category.name, "priority": category.priority}


def _fields(body: dict[str, Any]) -> tuple[str, int]:
    """Name and priority from a Category body read by ``BodyReader`` (so both are present and
    of their declared types); ``id`` is read-only and ignored, as the schema says."""
    name, priority = body["name"], body["priority"]
    if not name.strip():
        raise BodyError("name", "name is required and must not be blank")
    if not valid_priority(priority):
        raise BodyError("priority", "priority must be from 1 to 20")
    return name, priority


def _not_found(raw_id: str) -> Response:
    return no_such("Category", raw_id)


@attrs.frozen
class ProCategoryRoutes(ProRoutes[Category]):
    """``/api/v1/categories`` and ``/api/v1/categories/{id}``."""

    categories: CategoryStore
    packages: PackageStore
    bodies: BodyReader

    path: ClassVar[str] = "/api/v1/categories"
    kind: ClassVar[str] = "Category"

    def _get(self, object_id: int) -> Category | None:
        return self.categories.get(object_id)

    def _show(self, found: Category) -> dict[str, Any]:
        return to_pro(found)

    def _list(self, call: Call) -> Response:
        rows = [to_pro(category) for category in self.categories.all()]
        return listing.answer(rows, call.request.args, RULES)

    def _create(self, call: Call) -> Response:
        try:
            body = self.bodies.read(call.request.get_data(), "/v1/categories", "post")
            name, priority = _fields(body)
            category = self.categories.create(name, priority)
        except BodyError as error:
            return body_error(error)
        except DuplicateCategoryError:
            return _duplicate()
        href = f"{call.request.host_url.rstrip('/')}/api/v1/categories/{category.id}"
        return json_response({"id": str(category.id), "href": href}, 201)

    def _delete(self, found: Category, raw_id: str) -> Response:
        try:
            self.categories.delete(found.id)
        except CategoryNotFoundError:
            return _not_found(raw_id)
        # Packages filed under it have no category from now on.
        self.packages.uncategorize(str(found.id))
        return no_content()

    def _replace(self, call: Call, found: Category, raw_id: str) -> Response:
        try:
            body = self.bodies.read(call.request.get_data(), "/v1/categories/{id}", "put")
            name, priority = _fields(body)
            updated = self.categories.update(found.id, name, priority)
        except BodyError as error:
            return body_error(error)
        except DuplicateCategoryError:
            return _duplicate()
        except CategoryNotFoundError:
            return _not_found(raw_id)
        return json_response(to_pro(updated))


def _duplicate() -> Response:
    # As for a duplicate packageName (docs/emulator.md, "Categories").
    return api_error(400, "DUPLICATE_FIELD", "name must be unique", field="name")
