"""Pro API computer PreStage enrollments (``/api/v3/computer-prestages``): their custom
packages.

Only the properties of ``ComputerPrestageV3`` that say which packages a PreStage installs
are modelled (``schemas/jcds2-policies-prestages-subset.json``): its display name, the custom
package ids and distribution point, the profiles, ``versionLock``. A list is paged like the
other collections (``page``, ``page-size``, ``sort``; Jamf sorts by ``id:desc`` by default).
Deleting a package leaves the PreStages that name it as they are (see ``policies.py``).
"""

from __future__ import annotations

import json
import threading
from typing import Any, ClassVar

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator import listing
from jcds2.emulator.web import Call, ProRoutes, api_error, json_response, no_content

RULES = listing.ListingRules(
    filter_fields=frozenset(),
    sort_fields=frozenset({"id", "displayName"}),
    default_sort="id:desc",
)


@attrs.frozen
class Prestage:
    id: int
    display_name: str
    custom_package_ids: tuple[str, ...] = ()
    version_lock: int = 0


class PrestageStore:
    """Thread-safe computer PreStages, numbered from 1 in the order they were created."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prestages: dict[int, Prestage] = {}
        self._next_id = 1

    def create(self, display_name: str, custom_package_ids: tuple[str, ...] = ()) -> Prestage:
        with self._lock:
            prestage = Prestage(self._next_id, display_name, custom_package_ids)
            self._prestages[prestage.id] = prestage
            self._next_id += 1
            return prestage

    def replace(self, prestage: Prestage) -> Prestage:
        with self._lock:
            self._prestages[prestage.id] = prestage
            return prestage

    def delete(self, prestage_id: int) -> Prestage | None:
        with self._lock:
            return self._prestages.pop(prestage_id, None)

    def get(self, prestage_id: int) -> Prestage | None:
        with self._lock:
            return self._prestages.get(prestage_id)

    def all(self) -> list[Prestage]:
        with self._lock:
            return [self._prestages[key] for key in sorted(self._prestages)]

    def clear(self) -> None:
        with self._lock:
            self._prestages.clear()
            self._next_id = 1


def to_pro(prestage: Prestage) -> dict[str, Any]:
    """A PreStage as ``GET /api/v3/computer-prestages/{id}`` shows it (the modelled part)."""
    return {
        "id": str(prestage.id),
        "displayName": prestage.display_name,
        "installProfilesDuringSetup": True,
        "prestageInstalledProfileIds": [],
        "customPackageIds": list(prestage.custom_package_ids),
        "customPackageDistributionPointId": "-1",
        "versionLock": prestage.version_lock,
    }


class _BadBodyError(Exception):
    def __init__(self, field: str, description: str) -> None:
        super().__init__(description)
        self.field = field


def _fields(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """Display name and custom package ids from a ComputerPrestageV3 body (Jackson-lenient:
    ids may be numbers or strings)."""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise _BadBodyError("", "Unable to parse the request body") from None
    if not isinstance(body, dict):
        raise _BadBodyError("", "The request body must be a JSON object")
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise _BadBodyError("displayName", "displayName is required")
    ids = body.get("customPackageIds", [])
    if not isinstance(ids, list) or not all(
        isinstance(item, (str, int)) and not isinstance(item, bool) for item in ids
    ):
        raise _BadBodyError("customPackageIds", "customPackageIds must be a list of ids")
    return name, tuple(str(item) for item in ids)


@attrs.frozen
class ProPrestageRoutes(ProRoutes[Prestage]):
    """``/api/v3/computer-prestages`` and ``/api/v3/computer-prestages/{id}``."""

    prestages: PrestageStore

    path: ClassVar[str] = "/api/v3/computer-prestages"
    kind: ClassVar[str] = "Computer Prestage"

    def _get(self, object_id: int) -> Prestage | None:
        return self.prestages.get(object_id)

    def _show(self, found: Prestage) -> dict[str, Any]:
        return to_pro(found)

    def _list(self, call: Call) -> Response:
        rows = [to_pro(prestage) for prestage in self.prestages.all()]
        return listing.answer(rows, call.request.args, RULES)

    def _create(self, call: Call) -> Response:
        try:
            name, ids = _fields(call.request.get_data())
        except _BadBodyError as error:
            return api_error(400, "INVALID_FIELD", str(error), field=error.field or None)
        prestage = self.prestages.create(name, ids)
        href = f"{call.request.host_url.rstrip('/')}{self.path}/{prestage.id}"
        return json_response({"id": str(prestage.id), "href": href}, 201)

    def _replace(self, call: Call, found: Prestage, raw_id: str) -> Response:
        try:
            name, ids = _fields(call.request.get_data())
        except _BadBodyError as error:
            return api_error(400, "INVALID_FIELD", str(error), field=error.field or None)
        updated = attrs.evolve(
            found, display_name=name, custom_package_ids=ids, version_lock=found.version_lock + 1
        )
        return json_response(to_pro(self.prestages.replace(updated)))

    def _delete(self, found: Prestage, raw_id: str) -> Response:
        self.prestages.delete(found.id)
        return no_content()
