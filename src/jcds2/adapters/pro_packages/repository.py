"""Package objects through the Pro API's ``/api/v1/packages``."""

from __future__ import annotations

from typing import Any

from jcds2.adapters.fields import field, read_bool, read_id, read_int, read_text
from jcds2.adapters.http_session import BoundedResponse
from jcds2.adapters.jamf_http import JamfHttpClient, error_detail
from jcds2.adapters.pro_models import find_package
from jcds2.adapters.pro_packages.common import (
    _CATEGORY_ID,
    NO_CATEGORY,
    _error_codes,
    _package,
    _read_package,
)
from jcds2.domain.errors import (
    ConfigurationError,
    JamfApiError,
    PackageNameTakenError,
    PackageNotFoundError,
    UnknownCategoryError,
)
from jcds2.domain.models import (
    HashType,
    Package,
    PackageSpec,
)
from jcds2.domain.package_settings import PackageSettings

# The fields of a Package that jcds2 sends back in a PUT, by their JSON type in Jamf's
# schema (components.schemas.Package): the declared ones that are not read-only and not
# computed by the server (id, indexed, size, cloudTransferStatus, md5, sha256, sha3512).
# Anything else a server reports (a field of a newer version, say) is not sent back.
_PACKAGE_BOOLEANS = (
    "fillUserTemplate",
    "fillExistingUsers",
    "swu",
    "rebootRequired",
    "selfHealNotify",
    "osInstall",
    "suppressUpdates",
    "ignoreConflicts",
    "suppressFromDock",
    "suppressEula",
    "suppressRegistration",
)
_PACKAGE_NULLABLE_TEXTS = (
    "info",
    "notes",
    "osRequirements",
    "selfHealingAction",
    "serialNumber",
    "parentPackageId",
    "basePath",
    "installLanguage",
    "hashType",
    "hashValue",
    "osInstallerVersion",
    "manifest",
    "manifestFileName",
    "format",
)


# --- package objects ----------------------------------------------------------------------


class ProApiPackageRepository:
    """Package objects as a :class:`~jcds2.application.ports.PackageRepository`, through
    the Pro API's ``/api/v1/packages``.

    Lookups use the RSQL filter (one request per page of matches, whatever the number of
    packages) and keep only exact matches, since RSQL treats ``*`` as a wildcard.

    The Pro API files a package under a category *id*: :meth:`create` sends
    ``spec.category_id``, which an upload sets from the category it resolved by name or
    id (``CategoryDirectory``). A spec without it may give the id as ``spec.category``
    (``"5"``, or ``"-1"`` for none); a name there is refused with ``ConfigurationError``
    rather than guessed.

    Also a :class:`~jcds2.application.ports.PackageSettingsStore`: its writes PUT the whole
    record back as read, with the settings changed (ADR 0023).
    """

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProApiPackageRepository({self._http.server.base_url!r})"

    def find_by_file_name(self, file_name: str) -> Package | None:
        return self._find("fileName", file_name, f"looking for a package that uses {file_name!r}")

    def find_by_name(self, name: str) -> Package | None:
        return self._find("packageName", name, f"looking for a package named {name!r}")

    def get(self, package_id: int) -> Package | None:
        operation = f"reading package {package_id}"
        item = _read_package(self._http, package_id, operation)
        return None if item is None else _package(item, operation)

    def create(self, spec: PackageSpec) -> Package:
        """Create a package with every field the Pro API requires.

        ``hashType``/``hashValue`` are sent only when ``spec`` carries a hash (a caller
        that uploaded the file first); on the packages route the spec has none, and the
        server records the uploaded file's hashes itself.
        """
        operation = f"creating package {spec.name!r} for {spec.file_name!r}"
        body: dict[str, Any] = {
            "packageName": spec.name,
            "fileName": spec.file_name,
            "categoryId": _category_id(spec),
            "info": spec.info,
            "notes": spec.notes,
            "priority": int(spec.priority),
            "fillUserTemplate": False,
            "rebootRequired": False,
            "osInstall": False,
            "suppressUpdates": False,
            "suppressFromDock": False,
            "suppressEula": False,
            "suppressRegistration": False,
        }
        if spec.hash_type is not None and spec.hash_value:
            body["hashType"] = spec.hash_type.value
            body["hashValue"] = spec.hash_value
        response = self._http.request(
            "POST", "/api/v1/packages", operation=operation, json=body, allow=[400, 409]
        )
        if response.status_code in (400, 409):
            self._refused(response, spec, operation)
        answer = self._http.json(response, operation)
        package_id = field(
            answer, "id", read_id, endpoint="POST /api/v1/packages", operation=operation
        )
        return Package(
            id=package_id,
            name=spec.name,
            file_name=spec.file_name,
            hash_type=body.get("hashType"),
            hash_value=body.get("hashValue"),
        )

    def record_hash(self, package_id: int, hash_type: HashType, hash_value: str) -> None:
        """Read the package and PUT it back whole with the new hash.

        For file-first stores, whose package records the hash of a file uploaded apart
        from it. The packages route never needs it (the server hashes the uploads it
        receives), and should not: a metadata PUT makes the server report the file's
        ``size`` blank until its next inventory refresh.
        """
        operation = f"recording the new hash of package {package_id}"
        item = _read_package(self._http, package_id, operation)
        if item is None:
            raise JamfApiError(
                f"{operation}: package {package_id} no longer exists (HTTP 404)",
                status=404,
                operation=operation,
            )
        record = _writable_record(item, operation)
        record["hashType"] = hash_type.value
        record["hashValue"] = hash_value
        self._http.request(
            "PUT", f"/api/v1/packages/{package_id}", operation=operation, json=record
        )

    def read_settings(self, package_id: int) -> PackageSettings | None:
        operation = f"reading the settings of package {package_id}"
        item = _read_package(self._http, package_id, operation)
        if item is None:
            return None
        record = _writable_record(item, operation)
        values: dict[str, Any] = {
            attr: record.get(name) for attr, name in _SETTINGS.items() if name in record
        }
        for attr in ("info", "notes", "os_requirements"):
            values[attr] = values.get(attr) or ""
        return PackageSettings(category_id=int(record["categoryId"]), **values)

    def write_settings(self, package_id: int, changes: PackageSettings) -> None:
        """Read the package and PUT it back whole with ``changes``.

        The PUT replaces the whole record, so every field the schema declares is sent
        back as read, except the server-managed ones, which are never sent. Jamf Pro
        still blanks ``size`` until the file's next inventory refresh: the caller
        (``EditPackage``) checks for that and asks for one.
        """
        operation = f"changing the settings of package {package_id}"
        item = _read_package(self._http, package_id, operation)
        if item is None:
            raise PackageNotFoundError(package_id)
        record = _writable_record(item, operation)
        for attr, value in changes.given().items():
            if attr == "category_id":
                record["categoryId"] = str(value)
            elif attr in _SETTINGS:
                record[_SETTINGS[attr]] = value
        response = self._http.request(
            "PUT",
            f"/api/v1/packages/{package_id}",
            operation=operation,
            json=record,
            allow=[400, 404, 409],
        )
        if response.status_code == 404:
            raise PackageNotFoundError(package_id)
        if response.status_code in (400, 409):
            spec = PackageSpec(
                name=record["packageName"],
                file_name=record["fileName"],
                category_id=changes.category_id,
            )
            self._refused(response, spec, operation)

    def delete(self, package_id: int) -> None:
        self._http.request(
            "DELETE",
            f"/api/v1/packages/{package_id}",
            operation=f"deleting package {package_id}",
            allow=[404],
        )

    def _find(self, field: str, value: str, operation: str) -> Package | None:
        return find_package(self._http, field, value, operation)

    @staticmethod
    def _refused(response: BoundedResponse, spec: PackageSpec, operation: str) -> None:
        status = response.status_code
        detail = error_detail(response)
        codes = _error_codes(response)
        duplicate = status == 409 or any(
            code == "DUPLICATE_FIELD" and field in ("packageName", "") for code, field in codes
        )
        if duplicate:
            raise PackageNameTakenError(
                f"{operation}: a package named {spec.name!r} already exists "
                f"(HTTP {status}: {detail}). Choose another package name.",
                status=status,
                operation=operation,
            )
        if any(field == "categoryId" for _code, field in codes):
            category = spec.category if spec.category_id is None else str(spec.category_id)
            raise UnknownCategoryError(
                f"{operation}: Jamf Pro has no category with id {category!r} "
                f"(HTTP {status}: {detail}). Create the category first or name an existing one.",
                status=status,
                operation=operation,
            )
        raise JamfApiError(
            f"{operation}: Jamf Pro refused the package (HTTP {status}: {detail})",
            status=status,
            operation=operation,
        )


#: ``PackageSettings`` fields by their Pro API names (the category apart: ``categoryId``).
_SETTINGS = {
    "package_name": "packageName",
    "info": "info",
    "notes": "notes",
    "priority": "priority",
    "reboot_required": "rebootRequired",
    "fill_user_template": "fillUserTemplate",
    "fill_existing_users": "fillExistingUsers",
    "os_requirements": "osRequirements",
    "os_install": "osInstall",
    "suppress_updates": "suppressUpdates",
    "suppress_from_dock": "suppressFromDock",
    "suppress_eula": "suppressEula",
    "suppress_registration": "suppressRegistration",
}


def _writable_record(item: dict[str, Any], operation: str) -> dict[str, Any]:
    """The fields of a Package read from the server that a PUT may send back, each with
    the JSON type Jamf's schema declares (a server may report ``priority`` as ``"10"``
    or an id as a number; the PUT sends ``10`` and ``"3"``)."""
    endpoint = "GET /api/v1/packages/{id}"

    def read(name: str, reader: Any) -> Any:
        return field(item, name, reader, endpoint=endpoint, operation=operation)

    record: dict[str, Any] = {
        "packageName": read("packageName", read_text),
        "fileName": read("fileName", read_text),
        "categoryId": read("categoryId", _id_text),
        "priority": read("priority", read_int),
    }
    for name in _PACKAGE_BOOLEANS:
        if item.get(name) is not None:
            record[name] = read(name, read_bool)
    for name in _PACKAGE_NULLABLE_TEXTS:
        if name in item:
            record[name] = read(name, _nullable_text)
    return record


def _id_text(value: Any) -> str:
    """An id as the schema's string: ``"3"`` from ``3`` or ``"3"``; ``"-1"`` for none."""
    return str(read_int(value))


def _nullable_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError("not a text")


def _category_id(spec: PackageSpec) -> str:
    if spec.category_id is not None:
        return str(spec.category_id)
    category = spec.category
    if category is None or not category.strip():
        return NO_CATEGORY
    if _CATEGORY_ID.fullmatch(category.strip()):
        return category.strip()
    raise ConfigurationError(
        f"category {category!r} is not a category id: Jamf's packages route files a package "
        "under a category's numeric id (see Settings > Categories in Jamf Pro, the number "
        "in the category's URL). Pass that id, or no category; an upload looks names up."
    )
