"""Classic API policies (``/JSSResource/policies``): the packages each policy installs.

Only what a package's users need is modelled: a policy's general facts (id, name, enabled),
an empty scope and self service, and its package configuration (each package's id, name and
action). ``subset/{names}`` answers the named parts only: ``General``, ``Scope``,
``SelfService`` and ``Packages`` (the package configuration; Jamf's own Go SDK reports that
``PackageConfiguration`` answers 200 with an empty body, and so does any name not known here).

Deleting a package leaves the policies that name it as they are: what Jamf Pro does to them
is not documented anywhere we could find (docs/emulator.md).
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar
from xml.etree.ElementTree import Element, SubElement

import attrs
from werkzeug.wrappers import Request, Response

from jcds2.emulator.classic_xml import (
    BadDocumentError,
    ClassicRoutes,
    parse_document,
    wants_json,
    xml_response,
    xml_text,
)
from jcds2.emulator.state import PackageStore
from jcds2.emulator.web import Call, Route, html_error, json_response

ACTIONS = ("Install", "Cache", "Install Cached", "Uninstall")


@attrs.frozen
class PolicyPackage:
    """One package a policy handles: its id, its name when it was added, the action."""

    id: int
    name: str
    action: str = "Install"


@attrs.frozen
class Policy:
    id: int
    name: str
    enabled: bool = True
    packages: tuple[PolicyPackage, ...] = ()


class DuplicatePolicyError(Exception):
    """Raised when a policy would get a name another policy already has."""


class PolicyStore:
    """Thread-safe policies, numbered from 1 in the order they were created."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._policies: dict[int, Policy] = {}
        self._next_id = 1

    def create(
        self, name: str, packages: tuple[PolicyPackage, ...] = (), enabled: bool = True
    ) -> Policy:
        with self._lock:
            self._check_unique(name, None)
            policy = Policy(self._next_id, name, enabled, packages)
            self._policies[policy.id] = policy
            self._next_id += 1
            return policy

    def replace(self, policy: Policy) -> Policy:
        with self._lock:
            self._check_unique(policy.name, policy.id)
            self._policies[policy.id] = policy
            return policy

    def delete(self, policy_id: int) -> Policy | None:
        with self._lock:
            return self._policies.pop(policy_id, None)

    def get(self, policy_id: int) -> Policy | None:
        with self._lock:
            return self._policies.get(policy_id)

    def by_name(self, name: str) -> Policy | None:
        with self._lock:
            return next((p for p in self._policies.values() if p.name == name), None)

    def all(self) -> list[Policy]:
        """A snapshot of every policy, by ascending id."""
        with self._lock:
            return [self._policies[key] for key in sorted(self._policies)]

    def clear(self) -> None:
        with self._lock:
            self._policies.clear()
            self._next_id = 1

    def _check_unique(self, name: str, own_id: int | None) -> None:
        for policy in self._policies.values():
            if policy.name == name and policy.id != own_id:
                raise DuplicatePolicyError(name)


def policy_parts(policy: Policy, packages: PackageStore) -> dict[str, Any]:
    """The policy's parts as the Classic API shows them (JSON flavour), in Jamf's order."""
    listed = []
    for item in policy.packages:
        current = packages.get(item.id)
        listed.append(
            {
                "id": item.id,
                # A package renamed since shows its new name, as Jamf resolves ids.
                "name": item.name if current is None else current.package_name,
                "action": item.action,
                "fut": False,
                "feu": False,
                "update_autorun": False,
            }
        )
    return {
        "general": {"id": policy.id, "name": policy.name, "enabled": policy.enabled},
        "scope": {"all_computers": False},
        "self_service": {"use_for_self_service": False},
        "package_configuration": {"packages": listed, "distribution_point": "default"},
        "scripts": [],
    }


# subset name (as in the URL, case-insensitive) -> the part it answers
_SUBSETS = {
    "general": "general",
    "scope": "scope",
    "selfservice": "self_service",
    "packages": "package_configuration",
}


def _element(parent: Element, tag: str, value: Any) -> None:
    """``value`` (JSON flavour) under ``parent`` as Classic XML: lists get a ``<size>``
    and one element per item, named by the list's singular."""
    element = SubElement(parent, tag)
    if isinstance(value, dict):
        for name, inner in value.items():
            _element(element, name, inner)
    elif isinstance(value, list):
        SubElement(element, "size").text = str(len(value))
        for item in value:
            _element(element, tag[:-1], item)
    else:
        element.text = xml_text(value)


def _policy_response(request: Request, parts: dict[str, Any]) -> Response:
    if wants_json(request):
        return json_response({"policy": parts})
    root = Element("policy")
    for name, value in parts.items():
        _element(root, name, value)
    return xml_response(root)


@attrs.frozen
class ClassicPolicyRoutes(ClassicRoutes[Policy]):
    """List, read (whole or a subset), create, update and delete policies, Classic style."""

    plural: ClassVar[str] = "policies"
    singular: ClassVar[str] = "policy"

    policies: PolicyStore
    packages: PackageStore

    def routes(self) -> list[Route]:
        subset = Route(
            f"/JSSResource/{self.plural}/id/<object_id>/subset/<subset>", ("GET",), self.subset
        )
        return [*super().routes(), subset]

    def subset(self, call: Call) -> Response:
        raw_id = call.args["object_id"]
        found = self._get(int(raw_id)) if raw_id.isdigit() else None
        if found is None:
            return html_error(404, "Not Found")
        wanted = {_SUBSETS.get(name.strip().lower()) for name in call.args["subset"].split("&")}
        parts = {name: value for name, value in self._fields(found).items() if name in wanted}
        return _policy_response(call.request, parts)

    def _on(self, call: Call, found: Policy | None) -> Response:
        # Policies nest their fields, which the shared GET does not build.
        if found is not None and call.request.method == "GET":
            return _policy_response(call.request, self._fields(found))
        return super()._on(call, found)

    def _listing(self) -> list[tuple[int, str]]:
        return [(policy.id, policy.name) for policy in self.policies.all()]

    def _get(self, object_id: int) -> Policy | None:
        return self.policies.get(object_id)

    def _by_name(self, name: str) -> Policy | None:
        return self.policies.by_name(name)

    def _fields(self, found: Policy) -> dict[str, Any]:
        return policy_parts(found, self.packages)

    def _create(self, call: Call, url_name: str | None) -> Response:
        try:
            name, enabled, packages = self._document(call.request, None)
            name = name or url_name
            if not name:
                raise BadDocumentError("Problem with the request: name is required")
            policy = self.policies.create(
                name, packages or (), True if enabled is None else enabled
            )
        except (BadDocumentError, DuplicatePolicyError) as error:
            return _refused(error)
        return self.id_document(policy.id, 201)

    def _update(self, call: Call, found: Policy) -> Response:
        try:
            name, enabled, packages = self._document(call.request, found)
            changed = attrs.evolve(
                found,
                name=name or found.name,
                enabled=found.enabled if enabled is None else enabled,
                packages=found.packages if packages is None else packages,
            )
            self.policies.replace(changed)
        except (BadDocumentError, DuplicatePolicyError) as error:
            return _refused(error)
        return self.id_document(found.id, 201)

    def _delete(self, found: Policy) -> Response:
        if self.policies.delete(found.id) is None:
            return html_error(404, "Not Found")
        return self.id_document(found.id, 200, successful=True)

    def _document(
        self, request: Request, old: Policy | None
    ) -> tuple[str | None, bool | None, tuple[PolicyPackage, ...] | None]:
        """Name, enabled and packages from a ``<policy>`` document (None: not given)."""
        del old
        root = parse_document(request, "policy")
        name = root.findtext("general/name")
        name = None if name is None else name.strip()
        raw_enabled = root.findtext("general/enabled")
        enabled = None
        if raw_enabled is not None:
            if raw_enabled.strip().lower() not in ("true", "false"):
                raise BadDocumentError("Invalid value for enabled")
            enabled = raw_enabled.strip().lower() == "true"
        listed = root.find("package_configuration/packages")
        if listed is None:
            return name, enabled, None
        return name, enabled, tuple(self._package(item) for item in listed.findall("package"))

    def _package(self, item: Element) -> PolicyPackage:
        """A ``<package>`` of a policy document, found by id or else by name."""
        raw_id, name = (item.findtext("id") or "").strip(), (item.findtext("name") or "").strip()
        action = (item.findtext("action") or "Install").strip()
        if action not in ACTIONS:
            raise BadDocumentError(f"Invalid value for action: {action}")
        found = self.packages.get(int(raw_id)) if raw_id.isdigit() else None
        if found is None and not raw_id and name:
            found = self.packages.by_name(name)
        if found is None:
            raise BadDocumentError(f"Problem with package {raw_id or name}")
        return PolicyPackage(found.id, found.package_name, action)


def _refused(error: Exception) -> Response:
    if isinstance(error, DuplicatePolicyError):
        return html_error(409, "Duplicate name")
    if str(error).startswith("Problem with package"):
        # Classic answers a document it cannot use with 409 "Problem with ..." (as for a
        # package's category); the exact text for an unknown package is not documented.
        return html_error(409, str(error))
    return html_error(400, str(error))
