"""Pro API package routes (``/api/v1/packages``): the JSON view of the package store."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator.history import PackageHistory
from jcds2.emulator.jsonbody import BodyError, BodyReader
from jcds2.emulator.listing import (
    MAX_PAGE_SIZE,
    ListingError,
    Query,
    int_arg,
    select,
    sort_specs,
)
from jcds2.emulator.package_checks import PackageChecks
from jcds2.emulator.s3 import S3Bucket
from jcds2.emulator.state import (
    TRANSFER_READY,
    DuplicateNameError,
    Package,
    PackageNotFoundError,
    PackageStore,
)
from jcds2.emulator.web import (
    Call,
    ProRoutes,
    api_error,
    body_error,
    json_response,
    no_content,
    no_such,
)

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
# Jamf accepts these file types for packages (case-insensitively here; see docs/emulator.md).
PACKAGE_FILE_TYPES = (".pkg", ".mpkg", ".dmg", ".zip")


def check_file_type(file_name: str) -> None:
    """``BodyError`` (400 ``UNSUPPORTED_FILE_TYPE`` on ``fileName``) unless Jamf takes it.

    The description is the one a real server sent (jamf/JamfSync issue 25).
    """
    if not file_name.lower().endswith(PACKAGE_FILE_TYPES):
        raise BodyError(
            "fileName",
            "Unsupported file extension. Acceptable formats are pkg, mpkg, dmg or zip.",
            "UNSUPPORTED_FILE_TYPE",
        )


@attrs.frozen
class _Field:
    json: str
    attr: str


# Client-writable fields, in the schema's order (their types and rules: jsonbody and the
# schema's Package).
_WRITABLE = (
    _Field("packageName", "package_name"),
    _Field("fileName", "file_name"),
    _Field("categoryId", "category_id"),
    _Field("info", "info"),
    _Field("notes", "notes"),
    _Field("priority", "priority"),
    _Field("osRequirements", "os_requirements"),
    _Field("fillUserTemplate", "fill_user_template"),
    _Field("fillExistingUsers", "fill_existing_users"),
    _Field("swu", "swu"),
    _Field("rebootRequired", "reboot_required"),
    _Field("selfHealNotify", "self_heal_notify"),
    _Field("selfHealingAction", "self_healing_action"),
    _Field("osInstall", "os_install"),
    _Field("serialNumber", "serial_number"),
    _Field("parentPackageId", "parent_package_id"),
    _Field("basePath", "base_path"),
    _Field("suppressUpdates", "suppress_updates"),
    _Field("ignoreConflicts", "ignore_conflicts"),
    _Field("suppressFromDock", "suppress_from_dock"),
    _Field("suppressEula", "suppress_eula"),
    _Field("suppressRegistration", "suppress_registration"),
    _Field("installLanguage", "install_language"),
    _Field("hashType", "hash_type"),
    _Field("hashValue", "hash_value"),
    _Field("osInstallerVersion", "os_installer_version"),
    _Field("manifest", "manifest"),
    _Field("manifestFileName", "manifest_file_name"),
    _Field("format", "format"),
)


def to_pro(package: Package) -> dict[str, Any]:
    """The Pro API Package representation: every property, as the schema types it."""
    body: dict[str, Any] = {"id": str(package.id)}
    for field in _WRITABLE:
        body[field.json] = getattr(package, field.attr)
    body["indexed"] = package.indexed
    body["md5"] = package.md5
    body["sha256"] = package.sha256
    body["sha3512"] = package.sha3512
    body["size"] = package.size
    # The schema does not let it be null. No public record of a real server's value for a
    # package whose file never went through the packages route was found; such a file is
    # in the JCDS already (or the package has none yet), so READY. See docs/emulator.md.
    body["cloudTransferStatus"] = package.cloud_transfer_status or TRANSFER_READY
    return body


def package_values(body: dict[str, Any]) -> dict[str, Any]:
    """``Package`` attributes from a request body ``jsonbody`` coerced against Package.

    Server-managed properties are not taken. ``BodyError`` for blank names and file names
    whose type Jamf does not accept.
    """
    values = {field.attr: body[field.json] for field in _WRITABLE if field.json in body}
    for name in ("packageName", "fileName"):
        if not body[name].strip():
            raise BodyError(name, f"{name} must not be blank")
    check_file_type(body["fileName"])
    return values


@attrs.frozen
class ProPackageRoutes(ProRoutes[Package]):
    """List (filter, sort, page), create, read, replace and delete packages."""

    store: PackageStore
    bucket: S3Bucket
    bodies: BodyReader
    history: PackageHistory
    checks: PackageChecks = attrs.Factory(PackageChecks)

    path: ClassVar[str] = "/api/v1/packages"
    kind: ClassVar[str] = "Package"

    def _get(self, object_id: int) -> Package | None:
        return self.store.get(object_id)

    def _show(self, found: Package) -> dict[str, Any]:
        return to_pro(found)

    def _delete(self, found: Package, raw_id: str) -> Response:
        try:
            self.delete(found.id)
        except PackageNotFoundError:
            return no_such_package(raw_id)
        return no_content()

    def delete(self, package_id: int) -> None:
        """Delete a package, its JCDS file and its history; ``PackageNotFoundError``."""
        deleted = self.store.delete(package_id)
        self.history.forget(package_id)
        self.bucket.delete_file(deleted.file_name)

    def _create(self, call: Call) -> Response:
        try:
            body = self.bodies.read(call.request.get_data(), "/v1/packages", "post")
            values = package_values(body)
            if (refused := self.checks.creation_refusal(values)) is not None:
                return refused
            package = self.store.create(lambda new_id: Package(id=new_id, **values))
        except BodyError as error:
            return body_error(error)
        except DuplicateNameError:
            return _duplicate_name()
        self.history.add(package.id, call, "Package created")
        return json_response(href_response(call, package.id), 201)

    def _replace(self, call: Call, found: Package, raw_id: str) -> Response:
        package_id = found.id

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
                late_size=old.late_size,
                allow_uninstalled=old.allow_uninstalled,
                required_processor=old.required_processor,
                switch_with_package=old.switch_with_package,
                install_if_reported_available=old.install_if_reported_available,
                reinstall_option=old.reinstall_option,
                send_notification=old.send_notification,
            )

        try:
            body = self.bodies.read(call.request.get_data(), "/v1/packages/{id}", "put")
            values = package_values(body)
            if (refused := self.checks.category_refusal(values)) is not None:
                return refused
            updated = self.store.update(package_id, replace)
        except BodyError as error:
            return body_error(error)
        except DuplicateNameError:
            return _duplicate_name()
        except PackageNotFoundError:
            return no_such_package(raw_id)
        self.history.add(package_id, call, "Package updated")
        return json_response(to_pro(updated))

    def _list(self, call: Call) -> Response:
        args = call.request.args
        try:
            query = Query(
                filter=args.get("filter", ""),
                sort=sort_specs(args.getlist("sort")) or ["id:asc"],
                page=int_arg(args.get("page", "0"), "page", 0, None),
                page_size=int_arg(args.get("page-size", "100"), "page-size", 1, MAX_PAGE_SIZE),
            )
            total, rows = select(
                [to_pro(package) for package in self.store.all()],
                query,
                filterable=FILTER_FIELDS,
                sortable=SORTABLE,
            )
        except ListingError as error:
            return api_error(400, error.code, error.description, field=error.field)
        return json_response({"totalCount": total, "results": rows})


def no_such_package(raw_id: str) -> Response:
    return no_such("Package", raw_id)


def href_response(call: Call, package_id: int) -> dict[str, str]:
    """HrefResponse for a package."""
    href = f"{call.request.host_url.rstrip('/')}/api/v1/packages/{package_id}"
    return {"id": str(package_id), "href": href}


def _duplicate_name() -> Response:
    return api_error(400, "DUPLICATE_FIELD", "packageName must be unique", field="packageName")


SORTABLE = frozenset(
    {"id", "indexed", "md5", "sha256", "sha3512", "size", "cloudTransferStatus"}
    | {field.json for field in _WRITABLE}
)
# Every Package property, in the schema's order: the columns of a CSV export.
EXPORT_FIELDS = tuple(to_pro(Package(id=0, package_name="", file_name="")))
