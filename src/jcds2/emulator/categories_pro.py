"""Pro API category routes (``/api/v1/categories``): list, create, read, replace, delete."""

from __future__ import annotations

from typing import Any

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
from jcds2.emulator.state import PackageStore
from jcds2.emulator.web import Call, Route, api_error, json_response, no_content

# The published schema allows filtering on name and priority; id works too, as on the
# other collections.
RULES = listing.ListingRules(
    filter_fields=frozenset({"id", "name", "priority"}),
    sort_fields=frozenset({"id", "name", "priority"}),
)


class _InvalidFieldError(Exception):
    def __init__(self, field: str, description: str) -> None:
        super().__init__(description)
        self.field = field
        self.description = description


def to_pro(category: Category) -> dict[str, Any]:
    return {"id": str(category.id), "name": category.name, "priority": category.priority}


def _fields(body: Any) -> tuple[str, int]:
    """Name and priority from a Category body; ``id`` is ignored, as the schema says."""
    if not isinstance(body, dict):
        raise _InvalidFieldError("", "Request body must be a JSON object")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _InvalidFieldError("name", "name is required and must not be blank")
    priority = body.get("priority")
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise _InvalidFieldError("priority", "priority is required and must be an integer")
    if not valid_priority(priority):
        raise _InvalidFieldError("priority", "priority must be from 1 to 20")
    return name, priority


def _not_found(raw_id: str) -> Response:
    return api_error(
        404,
        "INVALID_ID",
        f"Category with id {raw_id} does not exist",
        field="id",
        object_id=raw_id,
    )


@attrs.frozen
class ProCategoryRoutes:
    """``/api/v1/categories`` and ``/api/v1/categories/{id}``."""

    categories: CategoryStore
    packages: PackageStore

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/categories", ("GET", "POST"), self.collection),
            Route("/api/v1/categories/<category_id>", ("GET", "PUT", "DELETE"), self.item),
        ]

    def collection(self, call: Call) -> Response:
        if call.request.method == "GET":
            rows = [to_pro(category) for category in self.categories.all()]
            return listing.answer(rows, call.request.args, RULES)
        try:
            name, priority = _fields(call.request.get_json(silent=True))
            category = self.categories.create(name, priority)
        except _InvalidFieldError as error:
            return api_error(400, "INVALID_FIELD", error.description, field=error.field)
        except DuplicateCategoryError:
            return _duplicate()
        href = f"{call.request.host_url.rstrip('/')}/api/v1/categories/{category.id}"
        return json_response({"id": str(category.id), "href": href}, 201)

    def item(self, call: Call) -> Response:
        raw_id = call.args["category_id"]
        category = self.categories.get(int(raw_id)) if raw_id.isdigit() else None
        if category is None:
            return _not_found(raw_id)
        if call.request.method == "GET":
            return json_response(to_pro(category))
        if call.request.method == "DELETE":
            return self._delete(category, raw_id)
        return self._replace(call, category, raw_id)

    def _delete(self, category: Category, raw_id: str) -> Response:
        try:
            self.categories.delete(category.id)
        except CategoryNotFoundError:
            return _not_found(raw_id)
        # Packages filed under it have no category from now on.
        self.packages.uncategorize(str(category.id))
        return no_content()

    def _replace(self, call: Call, category: Category, raw_id: str) -> Response:
        try:
            name, priority = _fields(call.request.get_json(silent=True))
            updated = self.categories.update(category.id, name, priority)
        except _InvalidFieldError as error:
            return api_error(400, "INVALID_FIELD", error.description, field=error.field)
        except DuplicateCategoryError:
            return _duplicate()
        except CategoryNotFoundError:
            return _not_found(raw_id)
        return json_response(to_pro(updated))


def _duplicate() -> Response:
    # As for a duplicate packageName (docs/emulator.md, "Categories").
    return api_error(400, "DUPLICATE_FIELD", "name must be unique", field="name")
