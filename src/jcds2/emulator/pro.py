"""Pro API package routes (``/api/v1/packages``): the JSON view of the package store."""

from __future__ import annotations

import functools
from typing import Any

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator import rsql
from jcds2.emulator.package_checks import PackageChecks
from jcds2.emulator.s3 import S3Bucket
from jcds2.emulator.state import (
    DuplicateNameError,
    Package,
    PackageNotFoundError,
    PackageStore,
)
from jcds2.emulator.web import Call, Route, api_error, json_response, no_content

FILTER_FIELDS = frozenset(
    {
        "id",
        "fileName",
        "packageName",
        "categoryId",
        "info",
        "notes",
        "manifestFileName",
        "cloudTransferStatus",
    }
)
MAX_PAGE_SIZE = 2000


@attrs.frozen
class _Field:
    json: str
    attr: str
    kind: str  # "str", "nstr" (nullable string), "int" or "bool"
    required: bool = False


# Client-writable fields, in the schema's order.
_WRITABLE = (
    _Field("packageName", "package_name", "str", required=True),
    _Field("fileName", "file_name", "str", required=True),
    _Field("categoryId", "category_id", "str", required=True),
    _Field("info", "info", "nstr"),
    _Field("notes", "notes", "nstr"),
    _Field("priority", "priority", "int", required=True),
    _Field("osRequirements", "os_requirements", "nstr"),
    _Field("fillUserTemplate", "fill_user_template", "bool", required=True),
    _Field("fillExistingUsers", "fill_existing_users", "bool"),
    _Field("swu", "swu", "bool"),
    _Field("rebootRequired", "reboot_required", "bool", required=True),
    _Field("selfHealNotify", "self_heal_notify", "bool"),
    _Field("selfHealingAction", "self_healing_action", "nstr"),
    _Field("osInstall", "os_install", "bool", required=True),
    _Field("serialNumber", "serial_number", "nstr"),
    _Field("parentPackageId", "parent_package_id", "nstr"),
    _Field("basePath", "base_path", "nstr"),
    _Field("suppressUpdates", "suppress_updates", "bool", required=True),
    _Field("ignoreConflicts", "ignore_conflicts", "bool"),
    _Field("suppressFromDock", "suppress_from_dock", "bool", required=True),
    _Field("suppressEula", "suppress_eula", "bool", required=True),
    _Field("suppressRegistration", "suppress_registration", "bool", required=True),
    _Field("installLanguage", "install_language", "nstr"),
    _Field("hashType", "hash_type", "nstr"),
    _Field("hashValue", "hash_value", "nstr"),
    _Field("osInstallerVersion", "os_installer_version", "nstr"),
    _Field("manifest", "manifest", "nstr"),
    _Field("manifestFileName", "manifest_file_name", "nstr"),
    _Field("format", "format", "nstr"),
)


class _InvalidFieldError(Exception):
    """Raised when a request body's field is missing or of the wrong type."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(description)
        self.field = field
        self.description = description


def to_pro(package: Package) -> dict[str, Any]:
    """The Pro API Package representation."""
    body: dict[str, Any] = {"id": str(package.id)}
    for field in _WRITABLE:
        body[field.json] = getattr(package, field.attr)
    body["indexed"] = package.indexed
    body["md5"] = package.md5
    body["sha256"] = package.sha256
    body["sha3512"] = package.sha3512
    body["size"] = package.size
    # The schema does not allow null here; leave the field out until a transfer sets it.
    if package.cloud_transfer_status is not None:
        body["cloudTransferStatus"] = package.cloud_transfer_status
    return body


def _field_values(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _InvalidFieldError("", "Request body must be a JSON object")
    values: dict[str, Any] = {}
    for field in _WRITABLE:
        if field.json not in body or (body[field.json] is None and field.kind != "nstr"):
            if field.required:
                raise _InvalidFieldError(field.json, f"{field.json} is required")
            continue
        value = body[field.json]
        ok = {
            "str": isinstance(value, str),
            "nstr": value is None or isinstance(value, str),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
        }[field.kind]
        if not ok:
            raise _InvalidFieldError(field.json, f"{field.json} has the wrong type")
        values[field.attr] = value
    for name in ("packageName", "fileName"):
        if not body[name].strip():
            raise _InvalidFieldError(name, f"{name} must not be blank")
    return values


def _sort_key(field: str, row: dict[str, Any]) -> tuple[int, Any, str]:
    value = row.get(field)
    if value is None:
        return (0, "", "")
    if field == "id":
        return (1, int(value), "")
    if isinstance(value, str):
        # Ordered like the filter compares: case-insensitively, as Jamf's database does.
        return (1, value.casefold(), value)
    return (1, value, "")


def _lookup(row: dict[str, Any], field: str) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@attrs.frozen
class ProPackageRoutes:
    """List (filter, sort, page), create, read, replace and delete packages."""

    store: PackageStore
    bucket: S3Bucket
    checks: PackageChecks = attrs.Factory(PackageChecks)

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/packages", ("GET", "POST"), self.collection),
            Route("/api/v1/packages/<package_id>", ("GET", "PUT", "DELETE"), self.item),
        ]

    def collection(self, call: Call) -> Response:
        if call.request.method == "POST":
            return self._create(call)
        return self._search(call)

    def item(self, call: Call) -> Response:
        raw_id = call.args["package_id"]
        package_id = int(raw_id) if raw_id.isdigit() else -1
        package = self.store.get(package_id)
        if package is None:
            return api_error(
                404,
                "INVALID_ID",
                f"Package with id {raw_id} does not exist",
                field="id",
                object_id=raw_id,
            )
        if call.request.method == "GET":
            return json_response(to_pro(package))
        if call.request.method == "DELETE":
            try:
                deleted = self.store.delete(package_id)
            except PackageNotFoundError:
                return api_error(404, "INVALID_ID", f"Package with id {raw_id} does not exist")
            self.bucket.delete_file(deleted.file_name)
            return no_content()
        return self._replace(call, package_id)

    def _create(self, call: Call) -> Response:
        try:
            values = _field_values(call.request.get_json(silent=True))
            if (refused := self.checks.creation_refusal(values)) is not None:
                return refused
            package = self.store.create(lambda new_id: Package(id=new_id, **values))
        except _InvalidFieldError as error:
            return api_error(400, "INVALID_FIELD", error.description, field=error.field)
        except DuplicateNameError:
            return _duplicate_name()
        href = f"{call.request.host_url.rstrip('/')}/api/v1/packages/{package.id}"
        return json_response({"id": str(package.id), "href": href}, 201)

    def _replace(self, call: Call, package_id: int) -> Response:
        def replace(old: Package) -> Package:
            fresh = Package(id=package_id, **values)
            # A metadata PUT keeps the digests but blanks the size until the next inventory.
            return attrs.evolve(
                fresh,
                md5=old.md5,
                sha256=old.sha256,
                sha3512=old.sha3512,
                cloud_transfer_status=old.cloud_transfer_status,
                indexed=old.indexed,
                pending_transfer=old.pending_transfer,
                inventory_size=old.inventory_size,
                allow_uninstalled=old.allow_uninstalled,
                required_processor=old.required_processor,
                switch_with_package=old.switch_with_package,
                install_if_reported_available=old.install_if_reported_available,
                reinstall_option=old.reinstall_option,
                send_notification=old.send_notification,
            )

        try:
            values = _field_values(call.request.get_json(silent=True))
            if (refused := self.checks.category_refusal(values)) is not None:
                return refused
            updated = self.store.update(package_id, replace)
        except _InvalidFieldError as error:
            return api_error(400, "INVALID_FIELD", error.description, field=error.field)
        except DuplicateNameError:
            return _duplicate_name()
        except PackageNotFoundError:
            return api_error(404, "INVALID_ID", f"Package with id {package_id} does not exist")
        return json_response(to_pro(updated))

    def _search(self, call: Call) -> Response:
        args = call.request.args
        try:
            page = _int_arg(args.get("page", "0"), "page", 0, None)
            page_size = _int_arg(args.get("page-size", "100"), "page-size", 1, MAX_PAGE_SIZE)
            tree = rsql.parse(args.get("filter", ""), FILTER_FIELDS)
        except _InvalidFieldError as error:
            return api_error(400, "INVALID_QUERY_PARAMETER", error.description, field=error.field)
        except rsql.RsqlError as error:
            return api_error(400, "INVALID_RSQL_FILTER_FIELD", str(error), field="filter")
        rows = [to_pro(package) for package in self.store.all()]
        if tree is not None:
            rows = [row for row in rows if tree.matches(functools.partial(_lookup, row))]
        sort_specs = [part for value in args.getlist("sort") for part in value.split(",") if part]
        try:
            for field, descending in reversed(_parse_sort(sort_specs or ["id:asc"])):
                rows.sort(key=functools.partial(_sort_key, field), reverse=descending)
        except _InvalidFieldError as error:
            return api_error(400, "INVALID_SORT_FIELD", error.description, field="sort")
        start = page * page_size
        return json_response({"totalCount": len(rows), "results": rows[start : start + page_size]})


def _duplicate_name() -> Response:
    return api_error(400, "DUPLICATE_FIELD", "packageName must be unique", field="packageName")


_SORTABLE = frozenset(
    {"id", "indexed", "md5", "sha256", "sha3512", "size", "cloudTransferStatus"}
    | {field.json for field in _WRITABLE}
)


def _parse_sort(specs: list[str]) -> list[tuple[str, bool]]:
    parsed: list[tuple[str, bool]] = []
    for spec in specs:
        field, _, direction = spec.strip().partition(":")
        direction = direction.lower() or "asc"
        if field not in _SORTABLE or direction not in ("asc", "desc"):
            raise _InvalidFieldError("sort", f"Cannot sort by {spec!r}")
        parsed.append((field, direction == "desc"))
    return parsed


def _int_arg(raw: str, name: str, minimum: int, maximum: int | None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise _InvalidFieldError(name, f"{name} must be an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise _InvalidFieldError(name, f"{name} is out of range")
    return value
