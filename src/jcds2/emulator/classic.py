"""Classic API package routes (``/JSSResource/packages``): the XML/JSON view of the store."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement

import attrs
from werkzeug.wrappers import Request, Response

from jcds2.emulator.categories import CategoryStore
from jcds2.emulator.classic_xml import (
    XML_DECLARATION,
    BadDocumentError,
    parse_document,
    wants_json,
    xml_response,
    xml_text,
)
from jcds2.emulator.s3 import S3Bucket
from jcds2.emulator.state import (
    DuplicateNameError,
    Package,
    PackageNotFoundError,
    PackageStore,
)
from jcds2.emulator.web import Call, Route, html_error, json_response

# Classic element -> (Package attribute, kind). Kinds: "str", "nstr" (empty means none),
# "int", "bool".
_ELEMENTS: dict[str, tuple[str, str]] = {
    "name": ("package_name", "str"),
    "filename": ("file_name", "str"),
    "info": ("info", "nstr"),
    "notes": ("notes", "nstr"),
    "priority": ("priority", "int"),
    "reboot_required": ("reboot_required", "bool"),
    "fill_user_template": ("fill_user_template", "bool"),
    "fill_existing_users": ("fill_existing_users", "bool"),
    "allow_uninstalled": ("allow_uninstalled", "bool"),
    "os_requirements": ("os_requirements", "nstr"),
    "required_processor": ("required_processor", "str"),
    "hash_type": ("hash_type", "nstr"),
    "hash_value": ("hash_value", "nstr"),
    "switch_with_package": ("switch_with_package", "str"),
    "install_if_reported_available": ("install_if_reported_available", "bool"),
    "reinstall_option": ("reinstall_option", "str"),
    "send_notification": ("send_notification", "bool"),
}


def to_classic(package: Package, category: str) -> dict[str, Any]:
    """The Classic API package representation (JSON flavour; XML is built from it)."""
    return {
        "id": package.id,
        "name": package.package_name,
        "category": category,
        "filename": package.file_name,
        "info": package.info or "",
        "notes": package.notes or "",
        "priority": package.priority,
        "reboot_required": package.reboot_required,
        "fill_user_template": package.fill_user_template,
        "fill_existing_users": package.fill_existing_users,
        "allow_uninstalled": package.allow_uninstalled,
        "os_requirements": package.os_requirements or "",
        "required_processor": package.required_processor,
        "hash_type": package.hash_type or "MD5",
        "hash_value": package.hash_value or "",
        "switch_with_package": package.switch_with_package,
        # Real servers send this one as a string in JSON.
        "install_if_reported_available": xml_text(package.install_if_reported_available),
        "reinstall_option": package.reinstall_option,
        "triggering_files": {},
        "send_notification": package.send_notification,
    }


def _id_response(package_id: int, status: int) -> Response:
    body = f"{XML_DECLARATION}<package><id>{package_id}</id></package>"
    return Response(body, status=status, mimetype="text/xml")


def _convert(tag: str, kind: str, text: str) -> Any:
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise BadDocumentError(f"Invalid value for {tag}") from None
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise BadDocumentError(f"Invalid value for {tag}")
        return text.lower() == "true"
    if kind == "nstr":
        return text or None
    return text


def _parse_body(request: Request) -> dict[str, Any]:
    """Element values from a ``<package>`` document, converted to Package attributes."""
    root = parse_document(request, "package")
    values: dict[str, Any] = {}
    for child in root:
        text = (child.text or "").strip()
        if child.tag == "category":
            values["category"] = text
            continue
        if child.tag not in _ELEMENTS:
            continue
        attr, kind = _ELEMENTS[child.tag]
        values[attr] = _convert(child.tag, kind, text)
    for required in ("package_name", "file_name"):
        if required in values and not values[required]:
            raise BadDocumentError("Problem with the request: name and filename are required")
    return values


@attrs.frozen
class ClassicPackageRoutes:
    """List, read, create, partially update and delete packages, Classic style.

    Packages name their category by name; a name no category has is refused with 409
    "Problem with category name" (see ``_category_id``).
    """

    store: PackageStore
    bucket: S3Bucket
    categories: CategoryStore

    def routes(self) -> list[Route]:
        return [
            Route("/JSSResource/packages", ("GET",), self.collection),
            Route(
                "/JSSResource/packages/id/<package_id>",
                ("GET", "POST", "PUT", "DELETE"),
                self.by_id,
            ),
            Route(
                "/JSSResource/packages/name/<name>",
                ("GET", "POST", "PUT", "DELETE"),
                self.by_name,
            ),
        ]

    def collection(self, call: Call) -> Response:
        packages = self.store.all()
        if wants_json(call.request):
            return json_response(
                {"packages": [{"id": p.id, "name": p.package_name} for p in packages]}
            )
        root = Element("packages")
        SubElement(root, "size").text = str(len(packages))
        for package in packages:
            item = SubElement(root, "package")
            SubElement(item, "id").text = str(package.id)
            SubElement(item, "name").text = package.package_name
        return xml_response(root)

    def by_id(self, call: Call) -> Response:
        if call.request.method == "POST":
            return self._create(call)
        raw_id = call.args["package_id"]
        package = self.store.get(int(raw_id)) if raw_id.isdigit() else None
        return self._on(call, package)

    def by_name(self, call: Call) -> Response:
        if call.request.method == "POST":
            # The published Classic schema allows POST on this URL too; the name in the
            # URL stands in for a body without one.
            return self._create(call, default_name=call.args["name"])
        return self._on(call, self.store.by_name(call.args["name"]))

    def _on(self, call: Call, package: Package | None) -> Response:
        if package is None:
            return html_error(404, "Not Found")
        method = call.request.method
        if method == "GET":
            return self._show(call, package)
        if method == "DELETE":
            try:
                self.store.delete(package.id)
            except PackageNotFoundError:
                return html_error(404, "Not Found")
            self.bucket.delete_file(package.file_name)
            body = (
                f"{XML_DECLARATION}<package><id>{package.id}</id>"
                "<successful>True</successful></package>"
            )
            return Response(body, status=200, mimetype="text/xml")
        return self._update(call, package.id)

    def _show(self, call: Call, package: Package) -> Response:
        fields = to_classic(package, self.categories.classic_name(package.category_id))
        if wants_json(call.request):
            return json_response({"package": fields})
        root = Element("package")
        for name, value in fields.items():
            element = SubElement(root, name)
            if not isinstance(value, dict):
                element.text = xml_text(value)
        return xml_response(root)

    def _create(self, call: Call, default_name: str | None = None) -> Response:
        try:
            values = _parse_body(call.request)
            if default_name is not None:
                values.setdefault("package_name", default_name)
            if "package_name" not in values or "file_name" not in values:
                raise BadDocumentError("Problem with the request: name and filename are required")
            values["category_id"] = self._category_id(values.pop("category", ""))
            package = self.store.create(lambda new_id: Package(id=new_id, **values))
        except BadDocumentError as error:
            return html_error(400, str(error))
        except _UnknownCategoryError:
            return _unknown_category()
        except DuplicateNameError:
            return html_error(409, "Duplicate name")
        return _id_response(package.id, 201)

    def _update(self, call: Call, package_id: int) -> Response:
        try:
            values = _parse_body(call.request)
            if "category" in values:
                values["category_id"] = self._category_id(values.pop("category"))
            updated = self.store.update(package_id, lambda old: attrs.evolve(old, **values))
        except BadDocumentError as error:
            return html_error(400, str(error))
        except _UnknownCategoryError:
            return _unknown_category()
        except DuplicateNameError:
            return html_error(409, "Duplicate name")
        except PackageNotFoundError:
            return html_error(404, "Not Found")
        return _id_response(updated.id, 201)

    def _category_id(self, name: str) -> str:
        """The Pro API category id for the ``<category>`` a client sent ("": none)."""
        category_id = self.categories.pro_id(name)
        if category_id is None:
            raise _UnknownCategoryError(name)
        return category_id


class _UnknownCategoryError(Exception):
    """Raised when a package names a category that does not exist."""


def _unknown_category() -> Response:
    # Real servers answer a category name they do not know with 409 "Problem with category
    # name" rather than creating the category (python-jss issue #15, jamf/Replicator #22).
    return html_error(409, "Problem with category name")
