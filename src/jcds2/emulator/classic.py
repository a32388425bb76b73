"""Classic API package routes (``/JSSResource/packages``): the XML/JSON view of the store."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from werkzeug.wrappers import Request, Response

from jcds2.emulator.categories import CategoryStore
from jcds2.emulator.classic_xml import (
    XML_DECLARATION,
    BadDocumentError,
    ClassicRoutes,
    parse_document,
    xml_text,
)
from jcds2.emulator.s3 import S3Bucket
from jcds2.emulator.state import (
    DuplicateNameError,
    Package,
    PackageNotFoundError,
    PackageStore,
)
from jcds2.emulator.web import Call, html_error

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
class ClassicPackageRoutes(ClassicRoutes[Package]):
    """List, read, create, partially update and delete packages, Classic style.

    Packages name their category by name; a name no category has is refused with 409
    "Problem with category name" (see ``_category_id``).
    """

    store: PackageStore
    bucket: S3Bucket
    categories: CategoryStore

    plural: ClassVar[str] = "packages"
    singular: ClassVar[str] = "package"

    def _listing(self) -> list[tuple[int, str]]:
        return [(package.id, package.package_name) for package in self.store.all()]

    def _get(self, object_id: int) -> Package | None:
        return self.store.get(object_id)

    def _by_name(self, name: str) -> Package | None:
        return self.store.by_name(name)

    def _fields(self, found: Package) -> dict[str, Any]:
        return to_classic(found, self.categories.classic_name(found.category_id))

    def _create(self, call: Call, url_name: str | None) -> Response:
        try:
            values = _parse_body(call.request)
            if url_name is not None:
                values.setdefault("package_name", url_name)
            if "package_name" not in values or "file_name" not in values:
                raise BadDocumentError("Problem with the request: name and filename are required")
            values["category_id"] = self._category_id(values.pop("category", ""))
            package = self.store.create(lambda new_id: Package(id=new_id, **values))
        except (BadDocumentError, _UnknownCategoryError, DuplicateNameError) as error:
            return _refused(error)
        return _id_response(package.id, 201)

    def _update(self, call: Call, found: Package) -> Response:
        try:
            values = _parse_body(call.request)
            if "category" in values:
                values["category_id"] = self._category_id(values.pop("category"))
            updated = self.store.update(found.id, lambda old: attrs.evolve(old, **values))
        except (
            BadDocumentError,
            _UnknownCategoryError,
            DuplicateNameError,
            PackageNotFoundError,
        ) as error:
            return _refused(error)
        return _id_response(updated.id, 201)

    def _delete(self, found: Package) -> Response:
        try:
            self.store.delete(found.id)
        except PackageNotFoundError as error:
            return _refused(error)
        self.bucket.delete_file(found.file_name)
        body = (
            f"{XML_DECLARATION}<package><id>{found.id}</id><successful>True</successful></package>"
        )
        return Response(body, status=200, mimetype="text/xml")

    def _category_id(self, name: str) -> str:
        """The Pro API category id for the ``<category>`` a client sent ("": none)."""
        category_id = self.categories.pro_id(name)
        if category_id is None:
            raise _UnknownCategoryError(name)
        return category_id


class _UnknownCategoryError(Exception):
    """Raised when a package names a category that does not exist."""


def _refused(error: Exception) -> Response:
    if isinstance(error, BadDocumentError):
        return html_error(400, str(error))
    if isinstance(error, _UnknownCategoryError):
        # Real servers answer a category name they do not know with 409 "Problem with
        # category name" rather than creating it (python-jss issue #15, jamf/Replicator #22).
        return html_error(409, "Problem with category name")
    if isinstance(error, DuplicateNameError):
        return html_error(409, "Duplicate name")
    return html_error(404, "Not Found")
