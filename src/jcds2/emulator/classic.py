"""Classic API package routes (``/JSSResource/packages``): the XML/JSON view of the store."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

import attrs
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from werkzeug.wrappers import Request, Response

from jcds2.emulator.s3 import S3Bucket
from jcds2.emulator.state import (
    DuplicateNameError,
    Package,
    PackageNotFoundError,
    PackageStore,
)
from jcds2.emulator.web import Call, Route, html_error, json_response

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

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


class _BadRequestError(Exception):
    """Raised when a Classic request body cannot be used."""


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
        "install_if_reported_available": _xml_text(package.install_if_reported_available),
        "reinstall_option": package.reinstall_option,
        "triggering_files": {},
        "send_notification": package.send_notification,
    }


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_xml(root: Element) -> Response:
    body = _XML_DECLARATION + tostring(root, encoding="unicode")
    return Response(body, status=200, mimetype="text/xml")


def _wants_json(request: Request) -> bool:
    best = request.accept_mimetypes.best_match(["application/xml", "text/xml", "application/json"])
    return best == "application/json"


def _id_response(package_id: int, status: int) -> Response:
    body = f"{_XML_DECLARATION}<package><id>{package_id}</id></package>"
    return Response(body, status=status, mimetype="text/xml")


def _convert(tag: str, kind: str, text: str) -> Any:
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise _BadRequestError(f"Invalid value for {tag}") from None
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise _BadRequestError(f"Invalid value for {tag}")
        return text.lower() == "true"
    if kind == "nstr":
        return text or None
    return text


def _parse_body(request: Request) -> dict[str, Any]:
    """Element values from a ``<package>`` document, converted to Package attributes."""
    try:
        root = fromstring(request.get_data())
    except (ParseError, DefusedXmlException) as error:
        raise _BadRequestError(f"Problem with the XML: {error}") from None
    if root.tag != "package":
        raise _BadRequestError("Root element must be <package>")
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
            raise _BadRequestError("Problem with the request: name and filename are required")
    return values


@attrs.frozen
class ClassicPackageRoutes:
    """List, read, create, partially update and delete packages, Classic style."""

    store: PackageStore
    bucket: S3Bucket

    def routes(self) -> list[Route]:
        return [
            Route("/JSSResource/packages", ("GET",), self.collection),
            Route(
                "/JSSResource/packages/id/<package_id>",
                ("GET", "POST", "PUT", "DELETE"),
                self.by_id,
            ),
            Route("/JSSResource/packages/name/<name>", ("GET", "PUT", "DELETE"), self.by_name),
        ]

    def collection(self, call: Call) -> Response:
        packages = self.store.all()
        if _wants_json(call.request):
            return json_response(
                {"packages": [{"id": p.id, "name": p.package_name} for p in packages]}
            )
        root = Element("packages")
        SubElement(root, "size").text = str(len(packages))
        for package in packages:
            item = SubElement(root, "package")
            SubElement(item, "id").text = str(package.id)
            SubElement(item, "name").text = package.package_name
        return _to_xml(root)

    def by_id(self, call: Call) -> Response:
        if call.request.method == "POST":
            return self._create(call)
        raw_id = call.args["package_id"]
        package = self.store.get(int(raw_id)) if raw_id.isdigit() else None
        return self._on(call, package)

    def by_name(self, call: Call) -> Response:
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
                f"{_XML_DECLARATION}<package><id>{package.id}</id>"
                "<successful>True</successful></package>"
            )
            return Response(body, status=200, mimetype="text/xml")
        return self._update(call, package.id)

    def _show(self, call: Call, package: Package) -> Response:
        fields = to_classic(package, self.store.category_name(package.category_id))
        if _wants_json(call.request):
            return json_response({"package": fields})
        root = Element("package")
        for name, value in fields.items():
            element = SubElement(root, name)
            if not isinstance(value, dict):
                element.text = _xml_text(value)
        return _to_xml(root)

    def _create(self, call: Call) -> Response:
        try:
            values = _parse_body(call.request)
            if "package_name" not in values or "file_name" not in values:
                raise _BadRequestError("Problem with the request: name and filename are required")
            category = values.pop("category", "")
            values["category_id"] = self.store.category_id(category)
            package = self.store.create(lambda new_id: Package(id=new_id, **values))
        except _BadRequestError as error:
            return html_error(400, str(error))
        except DuplicateNameError:
            return html_error(409, "Duplicate name")
        return _id_response(package.id, 201)

    def _update(self, call: Call, package_id: int) -> Response:
        try:
            values = _parse_body(call.request)
            if "category" in values:
                values["category_id"] = self.store.category_id(values.pop("category"))
            updated = self.store.update(package_id, lambda old: attrs.evolve(old, **values))
        except _BadRequestError as error:
            return html_error(400, str(error))
        except DuplicateNameError:
            return html_error(409, "Duplicate name")
        except PackageNotFoundError:
            return html_error(404, "Not Found")
        return _id_response(updated.id, 201)
