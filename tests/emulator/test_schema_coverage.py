"""Every operation of the vendored schemas, exercised over HTTP by at least one recipe.

A recipe says how to prepare the emulator, which request to send and which status to expect.
The tables below hold one or more per (method, path) of the Pro API schema, for the success
answer and each error answer the emulator gives, and likewise for the Classic API schema.
Tests fail when the schema has an operation no recipe covers (so a path added to a schema
needs its recipes) and when a recipe names an operation the schema does not have.

Pro answers go through ``JamfClient``, whose ``SchemaChecker`` validates a documented status
with openapi-core and the non-nullable completeness check, and an undocumented error against
the schema's ``ApiError``; every error answer is also checked here for Jamf's cause shape.
Classic answers are checked for status, content type and the root element or key the schema's
tag names.
"""

from __future__ import annotations

import plistlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

import pytest
import requests
import yaml
from defusedxml.ElementTree import fromstring

from jcds2.emulator import JamfEmulator
from jcds2.emulator.schemas import CLASSIC_API_SCHEMA, schema_text

from .conftest import JamfClient, SchemaChecker, raw_spec
from .test_categories import classic_create as classic_category
from .test_categories import create as create_category
from .test_classic import create as classic_package
from .test_cloud_distribution_point import REFRESH, by_name
from .test_jcds import ticket
from .test_package_upload import create, jcds_upload, uploaded
from .test_packages_extra import MANIFEST, post_manifest
from .test_pro_packages import package_body

Given = Mapping[str, str]
Prepare = Callable[[JamfClient], Given]
Send = Callable[[Given], dict[str, Any]]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
DATA = b"recipe bytes"
EXTERNAL_FILE = "external.pkg"
UNKNOWN: Given = {"id": "424242", "fileName": "missing.pkg", "name": "Missing"}


def operations(paths: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """``"METHOD /path"`` for every operation of an OpenAPI or Swagger ``paths`` object."""
    return {
        f"{method.upper()} {path}"
        for path, item in paths.items()
        for method in item
        if method in METHODS
    }


# Preparing state ----------------------------------------------------------------------
# Each returns what the request needs: path parameters ({id}, {fileName}, {name}) and more.


def nothing(client: JamfClient) -> Given:
    del client
    return {}


def unknown(client: JamfClient) -> Given:
    del client
    return UNKNOWN


def a_package(client: JamfClient) -> Given:
    return {"id": create(client, "Recipe", "recipe.pkg"), "fileName": "recipe.pkg"}


def two_packages(client: JamfClient) -> Given:
    """The second of two packages, "Recipe" and "Other"."""
    a_package(client)
    return {"id": create(client, "Other", "other.pkg")}


def an_uploaded_package(client: JamfClient) -> Given:
    """A package whose upload is still PENDING (no refresh yet)."""
    given = a_package(client)
    uploaded(client, given["id"], given["fileName"], DATA)
    return given


def a_package_showing_its_file(client: JamfClient) -> Given:
    given = an_uploaded_package(client)
    answer = client.post(REFRESH, params={"file-name": given["fileName"]})
    assert answer.status_code == 204, answer.text
    return given


def a_package_with_a_manifest(client: JamfClient) -> Given:
    given = a_package(client)
    answer = post_manifest(client, given["id"], plistlib.dumps(MANIFEST))
    assert answer.status_code == 201, answer.text
    return given


def a_package_of_an_unsupported_type(client: JamfClient) -> Given:
    """The Classic API does not check file types; the Pro API's upload route does."""
    return {"id": str(classic_package(client, "Recipe", "recipe.exe")), "fileName": "recipe.exe"}


def an_inventory_file(client: JamfClient) -> Given:
    """A pending upload: ``id`` is its file's id in the CDP inventory."""
    given = an_uploaded_package(client)
    return {"id": by_name(client)[given["fileName"]]["id"], "fileName": given["fileName"]}


def a_category(client: JamfClient) -> Given:
    return {"id": create_category(client, "Recipes", 5), "name": "Recipes"}


def a_jcds_file(client: JamfClient) -> Given:
    jcds_upload(client, "recipe.pkg", DATA)
    return {"fileName": "recipe.pkg"}


def a_ticket(client: JamfClient) -> Given:
    return ticket(client)


def cdp_switched_off(client: JamfClient) -> Given:
    client.emulator.set_cdn_type("NONE")
    return UNKNOWN


def cdp_switched_off_with(prepare: Prepare) -> Prepare:
    def both(client: JamfClient) -> Given:
        given = prepare(client)
        client.emulator.set_cdn_type("NONE")
        return given

    return both


def a_cdp_history(client: JamfClient) -> Given:
    """The CDP's history after a change and a user's note."""
    changed = client.request("PATCH", "/api/v1/cloud-distribution-point", json={"master": False})
    assert changed.status_code == 200, changed.text
    noted = client.post("/api/v1/cloud-distribution-point/history", json={"note": "checked"})
    assert noted.status_code == 201, noted.text
    return {}


def an_external_file(client: JamfClient) -> Given:
    """The file the special emulator's external folder holds (see ``special``)."""
    del client
    return {"fileName": EXTERNAL_FILE}


def every_file_just_refreshed(client: JamfClient) -> Given:
    answer = client.post(REFRESH)
    assert answer.status_code == 204, answer.text
    return {}


def user_credentials(client: JamfClient) -> Given:
    return {"username": client.emulator.username, "password": client.emulator.password}


def client_credentials(client: JamfClient) -> Given:
    return {
        "client_id": client.emulator.client_id,
        "client_secret": client.emulator.client_secret,
        "grant_type": "client_credentials",
    }


def an_api_client_token(client: JamfClient) -> Given:
    answer = client.post("/api/v1/oauth/token", data=client_credentials(client), bearer=False)
    assert answer.status_code == 200, answer.text
    return {"token": answer.json()["access_token"]}


# What to send -------------------------------------------------------------------------


def no_arguments(given: Given) -> dict[str, Any]:
    del given
    return {}


def not_json(given: Given) -> dict[str, Any]:
    del given
    return {"data": b"{", "headers": {"Content-Type": "application/json"}}


def body(value: Any) -> Send:
    return lambda _given: {"json": value}


def query(**params: Any) -> Send:
    return lambda _given: {"params": params}


def file_part(name: str, data: bytes = DATA) -> Send:
    return lambda _given: {"files": {"file": (name, data, "application/octet-stream")}}


def the_inventory_file(**overrides: str) -> Send:
    return lambda given: {
        "params": {"file-name": given["fileName"], "type": "PACKAGE", **overrides}
    }


def form(**changes: str | None) -> Send:
    """The OAuth form of the given client credentials, with fields changed (None: left out)."""

    def send(given: Given) -> dict[str, Any]:
        data = {**given, **changes}
        return {"data": {key: value for key, value in data.items() if value is not None}}

    return send


# Pro API recipes ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProRecipe:
    operation: str  # "METHOD /path" as in the schema, served under /api
    status: int
    why: str = ""  # tells recipes of the same operation and status apart
    given: Prepare = nothing
    send: Send = no_arguments  # requests keyword arguments
    token: bool = True  # send the client's bearer token
    special: bool = False  # on the emulator with external files and no direct upload

    @property
    def id(self) -> str:
        return f"{self.operation} {self.status}" + (f" {self.why}" if self.why else "")


class WithoutToken(TypedDict):
    why: str
    token: bool


P = ProRecipe
PKG = "/v1/packages/{id}"
CDP = "/v1/cloud-distribution-point"
NO_TOKEN = WithoutToken(why="no token", token=False)
# CloudDistributionPoint bodies: Jamf's own CDN (the schema requires username and password,
# which it does not use), and S3 with its credentials.
JAMF_CLOUD = {"cdnType": "JAMF_CLOUD", "master": True, "username": "", "password": ""}
S3 = {"cdnType": "AMAZON_S3", "username": "AKIAEXAMPLE", "password": "secret-key"}

PRO_RECIPES: list[ProRecipe] = [
    # Authentication
    P("GET /v1/auth", 200),
    P("GET /v1/auth", 401, **NO_TOKEN),
    P("POST /v1/auth/invalidate-token", 204),
    P("POST /v1/auth/invalidate-token", 401, **NO_TOKEN),
    P("POST /v1/auth/keep-alive", 200),
    P("POST /v1/auth/keep-alive", 401, **NO_TOKEN),
    P(
        "POST /v1/auth/keep-alive",
        401,
        "API client token",
        an_api_client_token,
        lambda given: {"headers": {"Authorization": f"Bearer {given['token']}"}},
    ),
    P(
        "POST /v1/auth/token",
        200,
        given=user_credentials,
        send=lambda given: {"auth": (given["username"], given["password"])},
        token=False,
    ),
    P(
        "POST /v1/auth/token",
        401,
        "wrong password",
        user_credentials,
        lambda given: {"auth": (given["username"], "wrong")},
        token=False,
    ),
    P("POST /v1/auth/token", 401, "no credentials", token=False),
    P("POST /v1/oauth/token", 200, given=client_credentials, send=form(), token=False),
    P(
        "POST /v1/oauth/token",
        400,
        "no grant type",
        client_credentials,
        form(grant_type=None),
        False,
    ),
    P(
        "POST /v1/oauth/token",
        400,
        "unsupported grant type",
        client_credentials,
        form(grant_type="password"),
        False,
    ),
    P("POST /v1/oauth/token", 400, "no client id", client_credentials, form(client_id=None), False),
    P(
        "POST /v1/oauth/token",
        401,
        "wrong secret",
        client_credentials,
        form(client_secret="x"),
        False,
    ),
    P("GET /v1/oauth2/session-tokens", 200),
    P(
        "GET /v1/oauth2/session-tokens",
        400,
        "API client token",
        an_api_client_token,
        lambda given: {"headers": {"Authorization": f"Bearer {given['token']}"}},
    ),
    P("GET /v1/oauth2/session-tokens", 401, **NO_TOKEN),
    # Categories
    P("GET /v1/categories", 200, given=a_category),
    P("GET /v1/categories", 400, "bad sort", send=query(sort="colour:asc")),
    P("GET /v1/categories", 400, "bad filter", send=query(filter="colour==red")),
    P("GET /v1/categories", 401, **NO_TOKEN),
    P("POST /v1/categories", 201, send=body({"name": "Recipes", "priority": 5})),
    P("POST /v1/categories", 400, "not JSON", send=not_json),
    P("POST /v1/categories", 400, "blank name", send=body({"name": " ", "priority": 5})),
    P(
        "POST /v1/categories",
        400,
        "taken name",
        a_category,
        body({"name": "Recipes", "priority": 1}),
    ),
    P("POST /v1/categories", 401, **NO_TOKEN),
    P("GET /v1/categories/{id}", 200, given=a_category),
    P("GET /v1/categories/{id}", 404, "unknown id", unknown),
    P("GET /v1/categories/{id}", 404, "not a number", lambda _client: {"id": "abc"}),
    P("GET /v1/categories/{id}", 401, given=a_category, **NO_TOKEN),
    P("PUT /v1/categories/{id}", 200, given=a_category, send=body({"name": "New", "priority": 2})),
    P(
        "PUT /v1/categories/{id}",
        400,
        "bad priority",
        a_category,
        body({"name": "N", "priority": 99}),
    ),
    P("PUT /v1/categories/{id}", 400, "not JSON", a_category, not_json),
    P("PUT /v1/categories/{id}", 404, given=unknown, send=body({"name": "New", "priority": 2})),
    P("PUT /v1/categories/{id}", 401, given=a_category, **NO_TOKEN),
    P("DELETE /v1/categories/{id}", 204, given=a_category),
    P("DELETE /v1/categories/{id}", 404, given=unknown),
    P("DELETE /v1/categories/{id}", 401, given=a_category, **NO_TOKEN),
    # The cloud distribution point
    P(f"GET {CDP}", 200, "Jamf Cloud"),
    P(f"GET {CDP}", 200, "switched off", cdp_switched_off),
    P(f"GET {CDP}", 401, **NO_TOKEN),
    P(f"POST {CDP}", 201, given=cdp_switched_off, send=body(JAMF_CLOUD)),
    P(f"POST {CDP}", 400, "no password", cdp_switched_off, body({"cdnType": "AKAMAI"})),
    P(f"POST {CDP}", 400, "NONE", cdp_switched_off, body({**JAMF_CLOUD, "cdnType": "NONE"})),
    P(
        f"POST {CDP}",
        400,
        "a field of another CDN",
        cdp_switched_off,
        body({**JAMF_CLOUD, "keyPairId": "K1"}),
    ),
    P(f"POST {CDP}", 400, "not JSON", cdp_switched_off, not_json),
    P(f"POST {CDP}", 409, "configured already", send=body(JAMF_CLOUD)),
    P(f"POST {CDP}", 401, given=cdp_switched_off, send=body(JAMF_CLOUD), **NO_TOKEN),
    P(f"PATCH {CDP}", 200, send=body({"master": False})),
    P(f"PATCH {CDP}", 400, "out of range", send=body({**S3, "expirationSeconds": 0})),
    P(f"PATCH {CDP}", 400, "not JSON", send=not_json),
    P(f"PATCH {CDP}", 404, "switched off", cdp_switched_off, body({"master": False})),
    P(f"PATCH {CDP}", 401, send=body({"master": False}), **NO_TOKEN),
    P(f"DELETE {CDP}", 204),
    P(f"DELETE {CDP}", 404, "switched off", cdp_switched_off),
    P(f"DELETE {CDP}", 401, **NO_TOKEN),
    P(f"GET {CDP}/history", 200, given=a_cdp_history),
    P(f"GET {CDP}/history", 400, "bad sort", send=query(sort="colour:asc")),
    P(f"GET {CDP}/history", 401, **NO_TOKEN),
    P(f"POST {CDP}/history", 201, send=body({"note": "checked"})),
    P(f"POST {CDP}/history", 400, "no note", send=body({})),
    P(f"POST {CDP}/history", 400, "not JSON", send=not_json),
    P(f"POST {CDP}/history", 401, send=body({"note": "x"}), **NO_TOKEN),
    P(f"POST {CDP}/fail-upload/{{id}}", 204, given=an_inventory_file, send=the_inventory_file()),
    P(
        f"POST {CDP}/fail-upload/{{id}}",
        400,
        "no type",
        an_inventory_file,
        lambda given: {"params": {"file-name": given["fileName"]}},
    ),
    P(f"POST {CDP}/fail-upload/{{id}}", 404, "unknown id", unknown, the_inventory_file()),
    P(
        f"POST {CDP}/fail-upload/{{id}}",
        404,
        "another file name",
        an_inventory_file,
        the_inventory_file(**{"file-name": "other.pkg"}),
    ),
    P(
        f"POST {CDP}/fail-upload/{{id}}",
        404,
        "switched off",
        cdp_switched_off_with(an_inventory_file),
        the_inventory_file(),
    ),
    P(
        f"POST {CDP}/fail-upload/{{id}}",
        401,
        given=an_inventory_file,
        send=the_inventory_file(),
        **NO_TOKEN,
    ),
    P(f"GET {CDP}/files", 200, given=an_uploaded_package),
    P(f"GET {CDP}/files", 200, "external file", special=True),
    P(f"GET {CDP}/files", 400, "bad filter", send=query(filter="status==READY")),
    P(f"GET {CDP}/files", 404, "switched off", cdp_switched_off),
    P(f"GET {CDP}/files", 401, **NO_TOKEN),
    P(f"POST {CDP}/refresh-inventory", 204, "one file", send=query(**{"file-name": "a.pkg"})),
    P(f"POST {CDP}/refresh-inventory", 204, "every file"),
    P(f"POST {CDP}/refresh-inventory", 429, "every file too soon", every_file_just_refreshed),
    P(f"POST {CDP}/refresh-inventory", 401, **NO_TOKEN),
    P(f"GET {CDP}/test-connection", 200),
    P(f"GET {CDP}/test-connection", 404, "switched off", cdp_switched_off),
    P(f"GET {CDP}/test-connection", 401, **NO_TOKEN),
    P(f"GET {CDP}/upload-capability", 200),
    P(f"GET {CDP}/upload-capability", 200, "no direct upload", special=True),
    P(f"GET {CDP}/upload-capability", 404, "switched off", cdp_switched_off),
    P(f"GET {CDP}/upload-capability", 401, **NO_TOKEN),
    # JCDS files (deprecated routes)
    P("GET /v1/jcds/files", 200, given=a_jcds_file),
    P("GET /v1/jcds/files", 200, "external file", special=True),
    P("GET /v1/jcds/files", 401, **NO_TOKEN),
    P("POST /v1/jcds/files", 201),
    P("POST /v1/jcds/files", 401, **NO_TOKEN),
    P("GET /v1/jcds/files/{fileName}", 200, given=a_jcds_file),
    P("GET /v1/jcds/files/{fileName}", 200, "external file", an_external_file, special=True),
    P("GET /v1/jcds/files/{fileName}", 404, given=unknown),
    P("GET /v1/jcds/files/{fileName}", 401, given=a_jcds_file, **NO_TOKEN),
    P("DELETE /v1/jcds/files/{fileName}", 204, given=a_jcds_file),
    P("DELETE /v1/jcds/files/{fileName}", 400, "read-only", an_external_file, special=True),
    P("DELETE /v1/jcds/files/{fileName}", 404, given=unknown),
    P("DELETE /v1/jcds/files/{fileName}", 401, given=a_jcds_file, **NO_TOKEN),
    P("POST /v1/jcds/refresh-inventory", 204, "one file", send=query(**{"file-name": "a.pkg"})),
    P("POST /v1/jcds/refresh-inventory", 204, "every file"),
    P("POST /v1/jcds/refresh-inventory", 429, "every file too soon", every_file_just_refreshed),
    P("POST /v1/jcds/refresh-inventory", 401, **NO_TOKEN),
    P("POST /v1/jcds/renew-credentials", 200, given=a_ticket),
    P("POST /v1/jcds/renew-credentials", 404, "no ticket"),
    P("POST /v1/jcds/renew-credentials", 401, given=a_ticket, **NO_TOKEN),
    # Packages
    P("GET /v1/packages", 200, given=a_package_showing_its_file),
    P("GET /v1/packages", 400, "bad sort", send=query(sort="nonsense:asc")),
    P("GET /v1/packages", 400, "bad filter", send=query(filter="size==3")),
    P("GET /v1/packages", 400, "bad page size", send=query(**{"page-size": "0"})),
    P("GET /v1/packages", 401, **NO_TOKEN),
    P("POST /v1/packages", 201, send=body(package_body("Recipe"))),
    P("POST /v1/packages", 400, "no file name", send=body({"packageName": "Recipe"})),
    P("POST /v1/packages", 400, "not JSON", send=not_json),
    P("POST /v1/packages", 400, "taken name", a_package, body(package_body("Recipe", "b.pkg"))),
    P("POST /v1/packages", 400, "unsupported type", send=body(package_body("R", "r.exe"))),
    P("POST /v1/packages", 400, "unknown category", send=body(package_body("R", categoryId="7"))),
    P("POST /v1/packages", 404, "CDP switched off", cdp_switched_off, body(package_body("R"))),
    P("POST /v1/packages", 401, send=body(package_body("Recipe")), **NO_TOKEN),
    P(f"GET {PKG}", 200, "new", a_package),
    P(f"GET {PKG}", 200, "upload pending", an_uploaded_package),
    P(f"GET {PKG}", 200, "file shown", a_package_showing_its_file),
    P(f"GET {PKG}", 200, "with a manifest", a_package_with_a_manifest),
    P(f"GET {PKG}", 404, "unknown id", unknown),
    P(f"GET {PKG}", 404, "not a number", lambda _client: {"id": "not-a-number"}),
    P(f"GET {PKG}", 401, given=a_package, **NO_TOKEN),
    P(f"PUT {PKG}", 200, given=a_package, send=body(package_body("Renamed", "renamed.pkg"))),
    P(f"PUT {PKG}", 400, "no file name", a_package, body({"packageName": "Renamed"})),
    P(f"PUT {PKG}", 400, "taken name", two_packages, body(package_body("Recipe", "other.pkg"))),
    P(f"PUT {PKG}", 400, "not JSON", a_package, not_json),
    P(f"PUT {PKG}", 404, given=unknown, send=body(package_body("Renamed"))),
    P(f"PUT {PKG}", 401, given=a_package, send=body(package_body("Renamed")), **NO_TOKEN),
    P(f"DELETE {PKG}", 204, given=a_package_showing_its_file),
    P(f"DELETE {PKG}", 404, given=unknown),
    P(f"DELETE {PKG}", 401, given=a_package, **NO_TOKEN),
    P(
        "POST /v1/packages/delete-multiple",
        204,
        given=two_packages,
        send=lambda given: {"json": {"ids": [given["id"]]}},
    ),
    P("POST /v1/packages/delete-multiple", 400, "unknown ids", send=body({"ids": ["999", "x"]})),
    P("POST /v1/packages/delete-multiple", 400, "ids not a list", send=body({"ids": "1"})),
    P("POST /v1/packages/delete-multiple", 400, "not JSON", send=not_json),
    P("POST /v1/packages/delete-multiple", 401, send=body({"ids": []}), **NO_TOKEN),
    P("POST /v1/packages/export", 200, "every field", a_package),
    P(
        "POST /v1/packages/export",
        200,
        "fields from the body",
        a_package,
        body({"fields": [{"fieldName": "id"}, {"fieldName": "fileName"}]}),
    ),
    P("POST /v1/packages/export", 400, "unknown field", send=query(**{"export-fields": "nope"})),
    P("POST /v1/packages/export", 400, "bad body", send=body({"fields": "id"})),
    P("POST /v1/packages/export", 400, "not JSON", send=not_json),
    P("POST /v1/packages/export", 401, **NO_TOKEN),
    P(f"GET {PKG}/history", 200, given=a_package_showing_its_file),
    P(f"GET {PKG}/history", 400, "bad sort", a_package, query(sort="colour:asc")),
    P(f"GET {PKG}/history", 404, given=unknown),
    P(f"GET {PKG}/history", 401, given=a_package, **NO_TOKEN),
    P(f"POST {PKG}/history", 201, given=a_package, send=body({"note": "checked"})),
    P(f"POST {PKG}/history", 400, "no note", a_package, body({})),
    P(f"POST {PKG}/history", 400, "not JSON", a_package, not_json),
    P(f"POST {PKG}/history", 404, given=unknown, send=body({"note": "checked"})),
    P(f"POST {PKG}/history", 401, given=a_package, send=body({"note": "x"}), **NO_TOKEN),
    P(f"POST {PKG}/history/export", 200, given=a_package),
    P(
        f"POST {PKG}/history/export",
        400,
        "unknown field",
        a_package,
        query(**{"export-fields": "x"}),
    ),
    P(f"POST {PKG}/history/export", 400, "not JSON", a_package, not_json),
    P(f"POST {PKG}/history/export", 404, given=unknown),
    P(f"POST {PKG}/history/export", 401, given=a_package, **NO_TOKEN),
    P(
        f"POST {PKG}/manifest",
        201,
        given=a_package,
        send=file_part("a.plist", plistlib.dumps(MANIFEST)),
    ),
    P(f"POST {PKG}/manifest", 400, "not a property list", a_package, file_part("a.plist")),
    P(
        f"POST {PKG}/manifest",
        404,
        given=unknown,
        send=file_part("a.plist", plistlib.dumps(MANIFEST)),
    ),
    P(
        f"POST {PKG}/manifest",
        413,
        "over 1 MiB",
        a_package,
        file_part("a.plist", b" " * 2**20 + DATA),
    ),
    P(f"POST {PKG}/manifest", 401, given=a_package, send=file_part("a.plist"), **NO_TOKEN),
    P(f"DELETE {PKG}/manifest", 204, given=a_package_with_a_manifest),
    P(f"DELETE {PKG}/manifest", 404, given=unknown),
    P(f"DELETE {PKG}/manifest", 401, given=a_package_with_a_manifest, **NO_TOKEN),
    P(f"POST {PKG}/upload", 201, given=a_package, send=file_part("recipe.pkg")),
    P(f"POST {PKG}/upload", 400, "no file part", a_package, lambda _given: {"data": {"x": "y"}}),
    P(
        f"POST {PKG}/upload",
        400,
        "no direct upload",
        a_package,
        file_part("recipe.pkg"),
        special=True,
    ),
    P(f"POST {PKG}/upload", 400, "another file name", a_package, file_part("other.pkg")),
    P(
        f"POST {PKG}/upload",
        400,
        "unsupported type",
        a_package_of_an_unsupported_type,
        file_part("recipe.exe"),
    ),
    P(f"POST {PKG}/upload", 404, "unknown id", unknown, file_part("missing.pkg")),
    P(
        f"POST {PKG}/upload",
        404,
        "CDP switched off",
        cdp_switched_off_with(a_package),
        file_part("recipe.pkg"),
    ),
    P(
        f"POST {PKG}/upload",
        413,
        "too many parts",
        a_package,
        lambda _given: {
            "files": [(f"field{n}", (None, "x")) for n in range(20)]
            + [("file", ("recipe.pkg", DATA))]
        },
    ),
    P(f"POST {PKG}/upload", 401, given=a_package, send=file_part("recipe.pkg"), **NO_TOKEN),
]

# Operations that take no bearer token: they hand tokens out.
TOKEN_ISSUERS = {"POST /v1/auth/token", "POST /v1/oauth/token"}
# Statuses the schema documents that the emulator never answers, and why.
UNANSWERED = {
    f"GET {CDP} 404": "the CDP switched off is the schema's empty NONE object, with 200",
    f"DELETE {CDP} 409": "one CDP record only: never several to conflict",
    f"DELETE {CDP} 500": "no failure of the clean-up is emulated",
    "POST /v1/jcds/refresh-inventory 500": "no inventory failure is emulated",
    "POST /v1/packages/export 503": "no 503 'export resources in use' (docs/emulator.md)",
    f"POST {PKG}/history 503": "no 503 'resources in use'",
    f"POST {PKG}/history/export 503": "no 503 'export resources in use' (docs/emulator.md)",
}


def pro_operations() -> set[str]:
    return operations(raw_spec()["paths"])


def recipes_of(recipes: list[Any], operation: str) -> list[Any]:
    return [recipe for recipe in recipes if recipe.operation == operation]


def test_every_pro_operation_has_a_recipe() -> None:
    missing = pro_operations() - {recipe.operation for recipe in PRO_RECIPES}
    assert not missing, f"schema operations without a recipe: {sorted(missing)}"


def test_every_pro_recipe_names_a_schema_operation() -> None:
    unknown_operations = {recipe.operation for recipe in PRO_RECIPES} - pro_operations()
    assert not unknown_operations, f"recipes for no schema operation: {sorted(unknown_operations)}"
    assert pro_operations() >= TOKEN_ISSUERS


def test_pro_recipe_ids_are_unique() -> None:
    ids = [recipe.id for recipe in PRO_RECIPES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("operation", sorted(pro_operations()))
def test_each_pro_operation_has_its_success_and_its_401(operation: str) -> None:
    statuses = {recipe.status for recipe in recipes_of(PRO_RECIPES, operation)}
    assert any(200 <= status < 300 for status in statuses), "no success recipe"
    if operation not in TOKEN_ISSUERS:
        assert 401 in statuses, "no recipe without a token"


def test_every_documented_status_has_a_recipe_or_a_reason() -> None:
    covered = {f"{recipe.operation} {recipe.status}" for recipe in PRO_RECIPES}
    documented = {
        f"{method.upper()} {path} {status}"
        for path, item in raw_spec()["paths"].items()
        for method, operation in item.items()
        if method in METHODS
        for status in operation["responses"]
    }
    left_out = sorted(documented - covered - set(UNANSWERED))
    assert not left_out, f"documented statuses without a recipe or a reason: {left_out}"
    assert not set(UNANSWERED) & covered, "a status said to be unanswered has a recipe"
    assert set(UNANSWERED) <= documented


def check_api_error(response: requests.Response) -> None:
    """Jamf's ApiError: ``httpStatus`` the status, causes with code/field/description/id."""
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()
    assert error["httpStatus"] == response.status_code
    assert isinstance(error["errors"], list)
    assert error["errors"], "an ApiError names at least one cause"
    for cause in error["errors"]:
        assert set(cause) == {"code", "field", "description", "id"}, cause
        assert isinstance(cause["code"], str)
        assert isinstance(cause["description"], str)


@pytest.fixture(scope="module")
def special(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JamfEmulator]:
    """An emulator with one external file (read-only to it) and no direct upload."""
    folder: Path = tmp_path_factory.mktemp("external")
    (folder / EXTERNAL_FILE).write_bytes(DATA)
    with JamfEmulator(
        external_files=folder,
        download_base_url="http://127.0.0.1:9/files/",
        direct_upload_capable=False,
    ) as emulator:
        yield emulator


@pytest.fixture
def special_client(special: JamfEmulator) -> JamfClient:
    """A logged-in client of the special emulator, reset (its external folder stays)."""
    special.reset()
    return JamfClient(special, SchemaChecker(special.url)).login()


@pytest.mark.parametrize("recipe", PRO_RECIPES, ids=lambda recipe: recipe.id)
def test_pro_recipe(recipe: ProRecipe, request: pytest.FixtureRequest) -> None:
    client: JamfClient = request.getfixturevalue("special_client" if recipe.special else "client")
    checker = client.checker
    method, template = recipe.operation.split(" ", 1)
    given = recipe.given(client)
    path = "/api" + template.format_map(given)
    operation = checker.operation(path, method)
    assert operation is not None
    assert operation is checker.spec["paths"][template][method.lower()], "path resolves elsewhere"
    checked = checker.checked
    response = client.request(method, path, bearer=recipe.token, **recipe.send(given))
    assert response.status_code == recipe.status, response.text
    # The checking client validated it: openapi-core and completeness when the status is
    # documented, the ApiError (or OAuth error) schema when it is not.
    assert checker.checked == checked + 1
    if response.status_code >= 400 and not template.endswith("/oauth/token"):
        check_api_error(response)
    if str(response.status_code) not in operation["responses"]:
        assert response.status_code >= 400, "an undocumented success"


# Classic API recipes ------------------------------------------------------------------


@cache
def classic_schema() -> dict[str, Any]:
    """The Classic API schema as published (read once: YAML parsing is slow; not changed)."""
    loaded: dict[str, Any] = yaml.safe_load(schema_text(CLASSIC_API_SCHEMA))
    return loaded


def a_classic_package(client: JamfClient) -> Given:
    return {"id": str(classic_package(client, "Recipe", "recipe.pkg")), "name": "Recipe"}


def a_classic_category(client: JamfClient) -> Given:
    category = "<category><name>Recipes</name></category>"
    return {"id": str(classic_category(client, category)), "name": "Recipes"}


@dataclass(frozen=True)
class ClassicRecipe:
    operation: str  # "METHOD /path" as in the schema, served under its basePath
    status: int
    answer: str  # "json", "xml" or "html" (the error page)
    why: str = ""
    given: Prepare = nothing
    body: str | None = None  # an XML document
    accept: str = "application/xml"
    token: bool = True

    @property
    def id(self) -> str:
        return f"{self.operation} {self.status} {self.answer}" + (
            f" {self.why}" if self.why else ""
        )


class AskingForJson(TypedDict):
    accept: str


C = ClassicRecipe
AS_JSON = AskingForJson(accept="application/json")
CLASSIC_PACKAGE = "<package><name>Recipe</name><filename>recipe.pkg</filename></package>"
CLASSIC_CATEGORY = "<category><name>Recipes</name><priority>3</priority></category>"


def classic_recipes(
    collection: str, item: str, prepare: Prepare, new: str, change: str, bad: str
) -> list[ClassicRecipe]:
    """The same recipes for both Classic resources (``item``: the root of one object's
    document; ``new`` creates one, ``change`` updates one, ``bad`` has a value refused)."""
    by_id, by_name = f"/{collection}/id/{{id}}", f"/{collection}/name/{{name}}"
    return [
        C(f"GET /{collection}", 200, "json", given=prepare, **AS_JSON),
        C(f"GET /{collection}", 200, "xml", given=prepare),
        C(f"GET /{collection}", 200, "xml", "empty"),
        C(f"GET /{collection}", 401, "html", **NO_TOKEN),
        C(f"GET {by_id}", 200, "json", given=prepare, **AS_JSON),
        C(f"GET {by_id}", 200, "xml", given=prepare),
        C(f"GET {by_id}", 404, "html", given=unknown),
        C(f"GET {by_id}", 404, "html", "JSON asked for", unknown, **AS_JSON),
        C(f"GET {by_id}", 401, "html", given=prepare, **NO_TOKEN),
        C(f"GET {by_name}", 200, "json", given=prepare, **AS_JSON),
        C(f"GET {by_name}", 200, "xml", given=prepare),
        C(f"GET {by_name}", 404, "html", given=unknown),
        C(f"GET {by_name}", 401, "html", given=prepare, **NO_TOKEN),
        C(f"POST {by_id}", 201, "xml", given=lambda _client: {"id": "0"}, body=new),
        C(
            f"POST {by_id}",
            400,
            "html",
            "malformed",
            lambda _client: {"id": "0"},
            f"<{item}><name>",
        ),
        C(f"POST {by_id}", 400, "html", "bad value", lambda _client: {"id": "0"}, bad),
        C(f"POST {by_id}", 409, "html", "taken name", prepare, new),
        C(f"POST {by_id}", 401, "html", given=lambda _client: {"id": "0"}, body=new, token=False),
        C(f"PUT {by_id}", 201, "xml", given=prepare, body=change),
        C(f"PUT {by_id}", 400, "html", "bad value", prepare, bad),
        C(f"PUT {by_id}", 404, "html", given=unknown, body=change),
        C(f"PUT {by_id}", 401, "html", given=prepare, body=change, **NO_TOKEN),
        C(f"DELETE {by_id}", 200, "xml", given=prepare),
        C(f"DELETE {by_id}", 404, "html", given=unknown),
        C(f"DELETE {by_id}", 401, "html", given=prepare, **NO_TOKEN),
    ]


CLASSIC_RECIPES: list[ClassicRecipe] = [
    *classic_recipes(
        "packages",
        "package",
        a_classic_package,
        CLASSIC_PACKAGE,
        "<package><info>changed</info></package>",
        "<package><name>R</name><filename>r.pkg</filename><priority>high</priority></package>",
    ),
    C(
        "PUT /packages/id/{id}",
        409,
        "html",
        "unknown category",
        a_classic_package,
        "<package><category>Nowhere</category></package>",
    ),
    *classic_recipes(
        "categories",
        "category",
        a_classic_category,
        CLASSIC_CATEGORY,
        "<category><priority>4</priority></category>",
        "<category><name>R</name><priority>high</priority></category>",
    ),
]


def classic_operations() -> set[str]:
    return operations(classic_schema()["paths"])


def test_every_classic_operation_has_a_recipe() -> None:
    missing = classic_operations() - {recipe.operation for recipe in CLASSIC_RECIPES}
    assert not missing, f"Classic schema operations without a recipe: {sorted(missing)}"


def test_every_classic_recipe_names_a_schema_operation() -> None:
    unknown_operations = {recipe.operation for recipe in CLASSIC_RECIPES} - classic_operations()
    assert not unknown_operations, f"recipes for no schema operation: {sorted(unknown_operations)}"


def test_classic_recipe_ids_are_unique() -> None:
    ids = [recipe.id for recipe in CLASSIC_RECIPES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("operation", sorted(classic_operations()))
def test_each_classic_operation_has_its_success_and_its_401(operation: str) -> None:
    recipes = recipes_of(CLASSIC_RECIPES, operation)
    assert any(200 <= recipe.status < 300 for recipe in recipes), "no success recipe"
    assert any(recipe.status == 401 for recipe in recipes), "no recipe without a token"
    if operation.startswith("GET "):
        answers = {recipe.answer for recipe in recipes if recipe.status == 200}
        assert answers == {"json", "xml"}, "a read needs its JSON and its XML recipe"


def root_named_by_schema(operation: str) -> str:
    """The root element (XML) or only key (JSON) of an answer, from the operation's tag.

    A collection answers its tag (``packages``); one object answers its singular
    (``package``, ``category``), as do the create, update and delete answers.
    """
    method, path = operation.split(" ", 1)
    (tag,) = classic_schema()["paths"][path][method.lower()]["tags"]
    assert path.startswith(f"/{tag}"), "a Classic path starts with its tag"
    if path == f"/{tag}":
        return str(tag)
    return f"{tag[:-3]}y" if tag.endswith("ies") else tag[:-1]


CONTENT_TYPES = {"json": "application/json", "xml": "text/xml", "html": "text/html"}


@pytest.mark.parametrize("recipe", CLASSIC_RECIPES, ids=lambda recipe: recipe.id)
def test_classic_recipe(recipe: ClassicRecipe, client: JamfClient) -> None:
    method, template = recipe.operation.split(" ", 1)
    base = classic_schema()["basePath"].rstrip("/")
    given = recipe.given(client)
    headers = {"Accept": recipe.accept}
    if recipe.body is not None:
        headers["Content-Type"] = "text/xml"
    response = client.request(
        method,
        base + template.format_map(given),
        bearer=recipe.token,
        headers=headers,
        data=recipe.body,
    )
    assert response.status_code == recipe.status, response.text
    assert response.headers["Content-Type"].startswith(CONTENT_TYPES[recipe.answer])
    root = root_named_by_schema(recipe.operation)
    if recipe.answer == "html":
        page = fromstring(response.content)
        assert page.tag == "html"
        assert (page.findtext("body/p") or "").startswith("Error: ")
    elif recipe.answer == "json":
        document = response.json()
        assert list(document) == [root]
        if root == template.strip("/"):
            assert all(set(entry) == {"id", "name"} for entry in document[root])
        else:
            assert document[root]["id"] == int(given["id"])
            assert document[root]["name"] == given["name"]
    else:
        element = fromstring(response.content)
        assert element.tag == root
        if root == template.strip("/"):
            assert element.findtext("size") == str(len(element) - 1)
        else:
            assert (element.findtext("id") or "").isdigit()
            assert method != "GET" or element.findtext("name") == given["name"]
