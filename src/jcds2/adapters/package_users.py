"""What uses each package, read from both APIs: Classic policies' package configuration
and Pro API computer PreStages' custom packages.

Policies cost one list request and one request per policy (Jamf offers no reverse lookup):
``/JSSResource/policies/id/{id}/subset/Packages``, the smallest answer that names a policy's
packages (``subset/PackageConfiguration`` answers an empty body on real servers). PreStages
cost one request per page of ``/api/v3/computer-prestages``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from jcds2.adapters.fields import field, read_id, read_text
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.domain.errors import TooManyPagesError
from jcds2.domain.usage import PackageUsage, PackageUser, UserKind

log = logging.getLogger("jcds2.package_users")

POLICIES_PATH = "/JSSResource/policies"
PRESTAGES_PATH = "/api/v3/computer-prestages"
#: PreStages per page: few servers have more than a handful.
PRESTAGE_PAGE_SIZE = 100


class JamfApiPackageUsers:
    """Policies and computer PreStages as a :class:`~jcds2.application.ports.PackageUsers`.

    Raises ``PermissionDeniedError`` when the account may not read policies (Read Policies)
    or computer PreStages (Read Computer PreStage Enrollments), ``JamfApiError`` when the
    server cannot answer.
    """

    def __init__(self, http: JamfHttpClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"JamfApiPackageUsers({self._http.server.base_url!r})"

    def package_usage(self) -> PackageUsage:
        found: defaultdict[int, set[PackageUser]] = defaultdict(set)
        for package_id, user in (*self._policies(), *self._prestages()):
            found[package_id].add(user)
        return {
            package_id: tuple(sorted(users, key=lambda user: (user.kind.value, user.id)))
            for package_id, users in sorted(found.items())
        }

    def _policies(self) -> Iterator[tuple[int, PackageUser]]:
        operation = "listing policies"
        endpoint = f"GET {POLICIES_PATH}"
        body = self._http.json(
            self._http.request("GET", POLICIES_PATH, operation=operation), operation
        )
        listed = field(body, "policies", _list, endpoint=endpoint, operation=operation)
        for item in listed:
            policy_id = field(item, "id", read_id, endpoint=endpoint, operation=operation)
            name = field(item, "name", str, endpoint=endpoint, operation=operation, default="")
            user = PackageUser(UserKind.POLICY, policy_id, name)
            for package_id in self._policy_packages(policy_id):
                yield package_id, user

    def _policy_packages(self, policy_id: int) -> list[int]:
        """The ids of the packages policy ``policy_id`` handles (none if it is gone)."""
        operation = f"reading the packages of policy {policy_id}"
        path = f"{POLICIES_PATH}/id/{policy_id}/subset/Packages"
        endpoint = f"GET {POLICIES_PATH}/id/{{id}}/subset/Packages"
        response = self._http.request("GET", path, operation=operation, allow=[404])
        if response.status_code == 404:
            return []  # deleted since the list was read
        body = self._http.json(response, operation)
        policy = field(body, "policy", _object, endpoint=endpoint, operation=operation)
        config = field(
            policy,
            "package_configuration",
            _object,
            endpoint=endpoint,
            operation=operation,
            default={},
        )
        packages = field(
            config, "packages", _list, endpoint=endpoint, operation=operation, default=[]
        )
        return [field(p, "id", read_id, endpoint=endpoint, operation=operation) for p in packages]

    def _prestages(self) -> Iterator[tuple[int, PackageUser]]:
        operation = "listing computer PreStage enrollments"
        endpoint = f"GET {PRESTAGES_PATH}"
        for item in self._prestage_pages(operation, endpoint):
            prestage_id = field(item, "id", read_id, endpoint=endpoint, operation=operation)
            name = field(
                item, "displayName", read_text, endpoint=endpoint, operation=operation, default=""
            )
            user = PackageUser(UserKind.PRESTAGE, prestage_id, name)
            ids = field(item, "customPackageIds", _list, endpoint=endpoint, operation=operation)
            for raw in ids:
                try:
                    package_id = read_id(raw)
                except (TypeError, ValueError):
                    continue  # "-1" and the like: no package
                yield package_id, user

    def _prestage_pages(self, operation: str, endpoint: str) -> Iterator[Any]:
        pages = self._http.config.max_search_pages
        for page in range(pages):
            params: dict[str, str | int] = {
                "page": page,
                "page-size": PRESTAGE_PAGE_SIZE,
                "sort": "id:asc",
            }
            response = self._http.request("GET", PRESTAGES_PATH, operation=operation, params=params)
            body = self._http.json(response, operation)
            results = field(body, "results", _list, endpoint=endpoint, operation=operation)
            yield from results
            if len(results) < PRESTAGE_PAGE_SIZE:
                return
        raise TooManyPagesError(
            f"{operation}: the listing of {PRESTAGES_PATH} did not end after {pages} pages; "
            "raise max_search_pages if the server really holds that many",
            operation=operation,
        )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return value
