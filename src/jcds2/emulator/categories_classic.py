"""Classic API category routes (``/JSSResource/categories``), in XML or JSON like packages."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement

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
    parse_document,
    wants_json,
    xml_response,
)
from jcds2.emulator.state import PackageStore
from jcds2.emulator.web import Call, Route, html_error, json_response


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


def _id_document(category_id: int, status: int, successful: bool = False) -> Response:
    root = Element("category")
    SubElement(root, "id").text = str(category_id)
    if successful:
        SubElement(root, "successful").text = "True"
    return xml_response(root, status)


@attrs.frozen
class ClassicCategoryRoutes:
    """List, read, create, partially update and delete categories, Classic style."""

    categories: CategoryStore
    packages: PackageStore

    def routes(self) -> list[Route]:
        methods = ("GET", "POST", "PUT", "DELETE")
        return [
            Route("/JSSResource/categories", ("GET",), self.collection),
            Route("/JSSResource/categories/id/<category_id>", methods, self.by_id),
            Route("/JSSResource/categories/name/<name>", methods, self.by_name),
        ]

    def collection(self, call: Call) -> Response:
        categories = self.categories.all()
        if wants_json(call.request):
            listed = [{"id": c.id, "name": c.name} for c in categories]
            return json_response({"categories": listed})
        root = Element("categories")
        SubElement(root, "size").text = str(len(categories))
        for category in categories:
            item = SubElement(root, "category")
            SubElement(item, "id").text = str(category.id)
            SubElement(item, "name").text = category.name
        return xml_response(root)

    def by_id(self, call: Call) -> Response:
        if call.request.method == "POST":
            # Jamf gives the new category an id of its own, whatever the URL says.
            return self._create(call, None)
        raw_id = call.args["category_id"]
        return self._on(call, self.categories.get(int(raw_id)) if raw_id.isdigit() else None)

    def by_name(self, call: Call) -> Response:
        name = call.args["name"]
        if call.request.method == "POST":
            return self._create(call, name)
        return self._on(call, self.categories.by_name(name))

    def _on(self, call: Call, category: Category | None) -> Response:
        if category is None:
            return html_error(404, "Not Found")
        method = call.request.method
        if method == "GET":
            return self._show(call, category)
        if method == "DELETE":
            try:
                self.categories.delete(category.id)
            except CategoryNotFoundError:
                return html_error(404, "Not Found")
            self.packages.uncategorize(str(category.id))
            return _id_document(category.id, 200, successful=True)
        return self._update(call, category)

    def _show(self, call: Call, category: Category) -> Response:
        fields = {"id": category.id, "name": category.name, "priority": category.priority}
        if wants_json(call.request):
            return json_response({"category": fields})
        root = Element("category")
        for tag, value in fields.items():
            SubElement(root, tag).text = str(value)
        return xml_response(root)

    def _create(self, call: Call, url_name: str | None) -> Response:
        try:
            name, priority = _fields(call.request, None)
            name = name or url_name
            if not name:
                raise BadDocumentError("Problem with the request: name is required")
            category = self.categories.create(name, priority)
        except BadDocumentError as error:
            return html_error(400, str(error))
        except DuplicateCategoryError:
            return html_error(409, "Duplicate name")
        return _id_document(category.id, 201)

    def _update(self, call: Call, category: Category) -> Response:
        try:
            name, priority = _fields(call.request, category)
            updated = self.categories.update(category.id, name or category.name, priority)
        except BadDocumentError as error:
            return html_error(400, str(error))
        except DuplicateCategoryError:
            return html_error(409, "Duplicate name")
        except CategoryNotFoundError:
            return html_error(404, "Not Found")
        return _id_document(updated.id, 201)
