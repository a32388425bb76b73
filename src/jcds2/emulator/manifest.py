"""``POST`` and ``DELETE /api/v1/packages/{id}/manifest``: a package's manifest plist.

POST takes ``multipart/form-data`` with a part ``file`` (with a file name) holding a
property list, XML or binary; the package's ``manifest`` becomes its XML text and
``manifestFileName`` the part's file name (201 Package). DELETE clears both (204).
"""

from __future__ import annotations

import plistlib

import attrs
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from jcds2.emulator.history import PackageHistory
from jcds2.emulator.pro import no_such_package, to_pro
from jcds2.emulator.state import Package, PackageNotFoundError, PackageStore
from jcds2.emulator.web import Call, Route, api_error, json_response, no_content

FILE_FIELD = "file"
# Manifests are small property lists; the schema documents a 413 for larger bodies.
MAX_MANIFEST_BYTES = 1024 * 1024


def manifest_text(data: bytes) -> str | None:
    """The manifest as XML plist text, or None if ``data`` is no property list."""
    try:
        parsed = plistlib.loads(data)
    except (plistlib.InvalidFileException, ValueError, TypeError, OverflowError):
        return None
    if data.lstrip().startswith(b"<"):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return plistlib.dumps(parsed, fmt=plistlib.FMT_XML).decode("utf-8")


@attrs.frozen
class PackageManifestRoutes:
    """Set or clear a package's manifest."""

    store: PackageStore
    history: PackageHistory

    def routes(self) -> list[Route]:
        return [Route("/api/v1/packages/<package_id>/manifest", ("POST", "DELETE"), self.manifest)]

    def manifest(self, call: Call) -> Response:
        raw_id = call.args["package_id"]
        package_id = int(raw_id) if raw_id.isdigit() else -1
        if self.store.get(package_id) is None:
            return no_such_package(raw_id)
        if call.request.method == "DELETE":
            changed = self._change(call, package_id, None, None)
            return changed if isinstance(changed, Response) else no_content()
        return self._set(call, package_id)

    def _set(self, call: Call, package_id: int) -> Response:
        request = call.request
        request.max_content_length = MAX_MANIFEST_BYTES
        try:
            part = request.files.get(FILE_FIELD)
        except RequestEntityTooLarge:
            return api_error(413, "PAYLOAD_TOO_LARGE", "The manifest is too large")
        if part is None or not part.filename:
            return api_error(
                400,
                "INVALID_FIELD",
                f"A multipart/form-data part named '{FILE_FIELD}' with a file is required",
                field=FILE_FIELD,
            )
        text = manifest_text(part.read())
        if text is None:
            return api_error(
                400, "INVALID_FIELD", "The manifest is not a property list", field=FILE_FIELD
            )
        changed = self._change(call, package_id, text, part.filename)
        if isinstance(changed, Response):
            return changed
        return json_response(to_pro(changed), 201)

    def _change(
        self, call: Call, package_id: int, text: str | None, file_name: str | None
    ) -> Package | Response:
        """Set (or, with None, clear) the manifest; a 404 answer if the package is gone."""
        try:
            updated = self.store.update(
                package_id,
                lambda old: attrs.evolve(old, manifest=text, manifest_file_name=file_name),
            )
        except PackageNotFoundError:
            return no_such_package(str(package_id))
        note = "Manifest removed" if text is None else "Manifest added"
        self.history.add(package_id, call, note, file_name)
        return updated
