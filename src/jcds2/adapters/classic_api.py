"""Classic API adapter: package objects through ``/JSSResource/packages``.

Requests carry XML (the Classic API's native format for writes); answers are read as
JSON where the server offers it and otherwise parsed with ``defusedxml``, which
refuses entity-expansion and external-entity payloads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import quote
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

from jcds2.adapters.fields import (
    field,
    read_bool,
    read_id,
    read_int,
    read_optional_text,
    read_text,
    unexpected_field,
)
from jcds2.adapters.http_session import BoundedResponse
from jcds2.adapters.jamf_http import JamfHttpClient, error_detail
from jcds2.domain.errors import (
    JamfApiError,
    PackageNameTakenError,
    PackageNotFoundError,
    UnknownCategoryError,
    UnsupportedPackageFieldError,
)
from jcds2.domain.models import HashType, Package, PackageSpec
from jcds2.domain.package_settings import PackageSettings

log = logging.getLogger("jcds2.classic_api")


def package_xml(spec: PackageSpec) -> bytes:
    """The Classic API XML document that creates ``spec``."""
    root = Element("package")
    fields: list[tuple[str, str | None]] = [
        ("name", spec.name),
        ("filename", spec.file_name),
        ("category", spec.category),
        ("info", spec.info),
        ("notes", spec.notes),
        ("priority", str(spec.priority)),
        ("hash_type", spec.hash_type.value if spec.hash_type is not None else None),
        ("hash_value", spec.hash_value),
    ]
    for tag, value in fields:
        if value is not None:
            SubElement(root, tag).text = value
    document: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return document


#: How the Classic API names "no category" in what it reports (sent back, it is refused).
_NO_CATEGORY = "No category assigned"

#: ``PackageSettings`` fields by their Classic API elements, with their readers.
_SETTINGS: dict[str, tuple[str, Any]] = {
    "package_name": ("name", read_text),
    "info": ("info", read_optional_text),
    "notes": ("notes", read_optional_text),
    "priority": ("priority", read_int),
    "reboot_required": ("reboot_required", read_bool),
    "fill_user_template": ("fill_user_template", read_bool),
    "fill_existing_users": ("fill_existing_users", read_bool),
    "os_requirements": ("os_requirements", read_optional_text),
}
#: Settings the Classic API has no element for.
_PRO_ONLY = (
    "os_install",
    "suppress_updates",
    "suppress_from_dock",
    "suppress_eula",
    "suppress_registration",
)


def _xml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ClassicApiPackageRepository:
    """Package objects as a :class:`~jcds2.application.ports.PackageRepository`.

    Creation and deletion go through the Classic API; lookup by file name is handed to
    ``find_by_file_name`` (the Pro API's filter, ``ProApiPackageLookup``, wired by the
    container), which takes one request where the Classic API would take one per package.

    Also a :class:`~jcds2.application.ports.PackageSettingsStore` whose writes are partial
    updates; the Pro API's own settings (``os_install``, ``suppress_*``) it cannot set.
    """

    def __init__(
        self, http: JamfHttpClient, find_by_file_name: Callable[[str], Package | None]
    ) -> None:
        self._http = http
        self._find_by_file_name = find_by_file_name

    def __repr__(self) -> str:
        return f"ClassicApiPackageRepository({self._http.server.base_url!r})"

    def find_by_file_name(self, file_name: str) -> Package | None:
        return self._find_by_file_name(file_name)

    def create(self, spec: PackageSpec) -> Package:
        operation = f"creating package {spec.name!r} for {spec.file_name!r}"
        response = self._http.request(
            "POST",
            "/JSSResource/packages/id/0",
            operation=operation,
            headers={"Content-Type": "text/xml", "Accept": "application/xml"},
            data=package_xml(spec),
            allow=[409],
        )
        if response.status_code == 409:
            self._conflict(response, operation, name=spec.name, category=spec.category)
        package_id = self._parse_id(response.content, operation)
        return Package(
            id=package_id,
            name=spec.name,
            file_name=spec.file_name,
            hash_type=spec.hash_type.value if spec.hash_type is not None else None,
            hash_value=spec.hash_value,
        )

    def get(self, package_id: int) -> Package | None:
        """The package with ``package_id``, or ``None``."""
        return self._read(
            f"/JSSResource/packages/id/{package_id}",
            f"reading package {package_id}",
            "GET /JSSResource/packages/id/{id}",
        )

    def find_by_name(self, name: str) -> Package | None:
        """The package whose display name is ``name``, or ``None``."""
        return self._read(
            f"/JSSResource/packages/name/{quote(name, safe='')}",
            f"looking up package {name!r}",
            "GET /JSSResource/packages/name/{name}",
        )

    def record_hash(self, package_id: int, hash_type: HashType, hash_value: str) -> None:
        """Record the hash of a replaced file (a partial update: other fields stay)."""
        operation = f"recording the new hash of package {package_id}"
        root = Element("package")
        SubElement(root, "hash_type").text = hash_type.value
        SubElement(root, "hash_value").text = hash_value
        self._http.request(
            "PUT",
            f"/JSSResource/packages/id/{package_id}",
            operation=operation,
            headers={"Content-Type": "text/xml", "Accept": "application/xml"},
            data=tostring(root, encoding="utf-8", xml_declaration=True),
        )

    def read_settings(self, package_id: int) -> PackageSettings | None:
        """The settings the Classic API reports (``None`` for the Pro API's own fields)."""
        endpoint = "GET /JSSResource/packages/id/{id}"
        operation = f"reading the settings of package {package_id}"
        item = self._item(f"/JSSResource/packages/id/{package_id}", operation, endpoint)
        if item is None:
            return None
        values: dict[str, Any] = {}
        for attr, (tag, reader) in _SETTINGS.items():
            if tag in item:
                values[attr] = field(item, tag, reader, endpoint=endpoint, operation=operation)
        for attr in ("info", "notes", "os_requirements"):
            if attr in values:
                values[attr] = values[attr] or ""
        category = field(
            item,
            "category",
            read_optional_text,
            endpoint=endpoint,
            operation=operation,
            default=None,
        )
        if category is None or category == _NO_CATEGORY:
            category = ""
        return PackageSettings(category_name=category, **values)

    def write_settings(self, package_id: int, changes: PackageSettings) -> None:
        """A partial update: only the elements of ``changes`` are sent, so every other
        field stays as the server has it."""
        given = changes.given()
        unsupported = [name for name in _PRO_ONLY if name in given]
        if unsupported:
            raise UnsupportedPackageFieldError(
                f"the Classic API cannot set {', '.join(unsupported)}; edit the package "
                "through the Pro API (client.packages.update)"
            )
        operation = f"changing the settings of package {package_id}"
        root = Element("package")
        for attr, value in given.items():
            if attr in _SETTINGS:
                SubElement(root, _SETTINGS[attr][0]).text = _xml_value(value)
        if changes.category_name is not None:
            SubElement(root, "category").text = changes.category_name
        response = self._http.request(
            "PUT",
            f"/JSSResource/packages/id/{package_id}",
            operation=operation,
            headers={"Content-Type": "text/xml", "Accept": "application/xml"},
            data=tostring(root, encoding="utf-8", xml_declaration=True),
            allow=[404, 409],
        )
        if response.status_code == 404:
            raise PackageNotFoundError(package_id)
        if response.status_code == 409:
            self._conflict(
                response,
                operation,
                name=changes.package_name or "",
                category=changes.category_name,
            )

    def _read(self, path: str, operation: str, endpoint: str) -> Package | None:
        """The package at ``path``; ``id`` as a number or a string of digits."""
        item = self._item(path, operation, endpoint)
        if item is None:
            return None

        def read(name: str, reader: Any, **default: Any) -> Any:
            return field(item, name, reader, endpoint=endpoint, operation=operation, **default)

        return Package(
            id=read("id", read_id),
            name=read("name", read_text),
            file_name=read("filename", read_text),
            hash_type=read("hash_type", read_optional_text, default=None),
            hash_value=read("hash_value", read_optional_text, default=None),
        )

    def _item(self, path: str, operation: str, endpoint: str) -> dict[str, Any] | None:
        """The ``package`` object at ``path``, or ``None`` (404)."""
        response = self._http.request("GET", path, operation=operation, allow=[404])
        if response.status_code == 404:
            return None
        body: Any = self._http.json(response, operation)
        item: dict[str, Any] = field(
            body, "package", _object, endpoint=endpoint, operation=operation
        )
        return item

    def delete(self, package_id: int) -> None:
        operation = f"deleting package {package_id}"
        self._http.request(
            "DELETE",
            f"/JSSResource/packages/id/{package_id}",
            operation=operation,
            headers={"Accept": "application/xml"},
            allow=[404],
        )

    @staticmethod
    def _conflict(
        response: BoundedResponse, operation: str, *, name: str, category: str | None
    ) -> NoReturn:
        detail = error_detail(response)
        if "category" in detail.lower():
            # Real servers: 409 "Problem with category name" (docs/emulator.md, Categories).
            raise UnknownCategoryError(
                f"{operation}: Jamf Pro has no category named {category!r} "
                f"({detail}). Create the category first or name an existing one.",
                status=409,
                operation=operation,
            )
        if "duplicate" in detail.lower():
            raise PackageNameTakenError(
                f"{operation}: a package named {name!r} already exists ({detail}). "
                "Choose another package name.",
                status=409,
                operation=operation,
            )
        raise JamfApiError(f"{operation}: conflict: {detail}", status=409, operation=operation)

    @staticmethod
    def _parse_id(content: bytes, operation: str) -> int:
        endpoint = "POST /JSSResource/packages/id/0"
        try:
            root = SafeElementTree.fromstring(content)
        except (DefusedXmlException, SafeElementTree.ParseError) as exc:
            raise JamfApiError(
                f"{operation}: the answer of {endpoint} is not the expected package XML",
                operation=operation,
            ) from exc
        text = root.findtext("id")
        if text is None:
            raise unexpected_field(operation, endpoint, "id", "it is missing")
        try:
            return read_id(text)
        except ValueError:
            raise unexpected_field(operation, endpoint, "id", "not a whole number") from None


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return value
