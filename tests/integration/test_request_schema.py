"""What the client sends to the Pro API is what Jamf's schema declares, and nothing more.

Every request the adapters make here goes over real HTTP to the emulator; a response
hook on the session keeps each request as sent. Each JSON or form body is validated
against the vendored schema (Jamf Pro 11.30.1) made strict: ``additionalProperties`` is
false for every object, so a property the schema does not declare fails, and read-only
properties fail in a request (OpenAPI's write context). Each query parameter must be
declared for its operation, with a value of the declared type.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from openapi_schema_validator import OAS30WriteValidator, validate

from jcds2.adapters.jamf_auth import ApiClientCredentialsProvider
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_api import JcdsApiFileStore
from jcds2.adapters.pro_packages import (
    PackagesApiFileStore,
    PackageUploadTarget,
    ProApiPackageRepository,
    ProApiServerInfo,
)
from jcds2.adapters.pro_packages.repository import _writable_record
from jcds2.domain.errors import RemoteFileNotFoundError
from jcds2.domain.models import HashType, PackageSpec
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import TransferConfig
from jcds2.emulator import JamfEmulator
from jcds2.emulator.schemas import pro_api_schema

#: Endpoints jcds2 calls that the vendored subset does not describe (their requests
#: carry neither a body nor a query).
OUTSIDE_THE_SUBSET = {("GET", "/v1/jamf-pro-version")}


def _strict(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` on every object that lists its
    properties and says nothing about others."""
    if isinstance(schema, dict):
        strict = {key: _strict(value) for key, value in schema.items()}
        if "properties" in strict and "additionalProperties" not in strict:
            strict["additionalProperties"] = False
        return strict
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@cache
def _spec() -> dict[str, Any]:
    spec = copy.deepcopy(pro_api_schema())
    spec["components"] = _strict(spec["components"])
    return spec


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = _spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operation(method: str, path: str) -> dict[str, Any] | None:
    for template, item in _spec()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path) and method.lower() in item:
            operation: dict[str, Any] = item[method.lower()]
            return operation
    return None


def _validate_body(body: Any, schema: dict[str, Any]) -> None:
    validate(body, {**schema, "components": _spec()["components"]}, cls=OAS30WriteValidator)


def check(request: requests.PreparedRequest) -> None:
    """Fail unless ``request`` is one the schema declares, with declared parts only."""
    url = urlsplit(request.url or "")
    path = url.path.removeprefix("/api")
    method = request.method or "GET"
    operation = _operation(method, path)
    if operation is None:
        assert (method, path) in OUTSIDE_THE_SUBSET, f"{method} {path} is not in the schema"
        assert not url.query
        assert not request.body
        return
    declared = {
        parameter["name"]: parameter
        for parameter in map(_resolve, operation.get("parameters", []))
        if parameter["in"] == "query"
    }
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        assert name in declared, f"{method} {path}: query parameter {name!r} is not declared"
        kind = declared[name]["schema"]["type"]
        if kind == "integer":
            assert re.fullmatch(r"-?\d+", value), f"{name}={value!r} is not an integer"
    if request.body is None:
        return
    content_type = request.headers.get("Content-Type", "")
    media = operation.get("requestBody", {}).get("content", {})
    if content_type.startswith("application/json"):
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        _validate_body(json.loads(body), _resolve(media["application/json"]["schema"]))
    elif content_type.startswith("application/x-www-form-urlencoded"):
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        form = dict(parse_qsl(body, keep_blank_values=True))
        _validate_body(form, _resolve(media["application/x-www-form-urlencoded"]["schema"]))
    else:
        pytest.fail(f"{method} {path}: a body of type {content_type!r} was not expected here")


@pytest.fixture
def sent(session: requests.Session) -> list[requests.PreparedRequest]:
    """Every request ``session`` sends, as it was sent."""
    requests_sent: list[requests.PreparedRequest] = []

    def keep(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        requests_sent.append(response.request)

    session.hooks["response"].append(keep)
    return requests_sent


def _checked(sent: list[requests.PreparedRequest]) -> list[str]:
    for request in sent:
        check(request)
    return [f"{request.method} {urlsplit(request.url or '').path}" for request in sent]


def test_the_strict_schema_refuses_what_it_does_not_declare() -> None:
    """The check itself: an undeclared property, a wrong type, a read-only field."""
    package = _resolve({"$ref": "#/components/schemas/Package"})
    good = {
        "packageName": "A",
        "fileName": "A.pkg",
        "categoryId": "-1",
        "priority": 10,
        **dict.fromkeys(
            (
                "fillUserTemplate",
                "rebootRequired",
                "osInstall",
                "suppressUpdates",
                "suppressFromDock",
                "suppressEula",
                "suppressRegistration",
            ),
            False,
        ),
    }
    _validate_body(good, package)
    for bad in (
        {**good, "category": "Apps"},
        {**good, "priority": "10"},
        {**good, "fillUserTemplate": 0},
        {**good, "categoryId": 5},
        {**good, "id": "3"},
        {key: value for key, value in good.items() if key != "priority"},
    ):
        with pytest.raises(ValidationError):
            _validate_body(bad, package)


def test_package_bodies_and_queries_match_the_schema(
    jamf_http: JamfHttpClient, sent: list[requests.PreparedRequest]
) -> None:
    repository = ProApiPackageRepository(jamf_http)
    hashed = repository.create(
        PackageSpec(
            name="Schema Hashed",
            file_name="Schema Hashed.pkg",
            hash_type=HashType.SHA_512,
            hash_value="ab" * 64,
            info="info",
            notes="notes",
            priority=7,
        )
    )
    bare = repository.create(PackageSpec(name="Schema Bare", file_name="Schema Bare.pkg"))
    repository.find_by_file_name("Schema Bare.pkg")
    repository.find_by_name("Schema Hashed")
    repository.get(hashed.id)
    repository.record_hash(hashed.id, HashType.SHA_512, "cd" * 64)
    repository.record_hash(bare.id, HashType.MD5, "ef" * 16)
    repository.delete(bare.id)

    seen = _checked(sent)

    assert seen.count("POST /api/v1/packages") == 2
    assert seen.count(f"PUT /api/v1/packages/{hashed.id}") == 1
    assert "GET /api/v1/packages" in seen


def test_distribution_point_requests_match_the_schema(
    jamf_http: JamfHttpClient, sent: list[requests.PreparedRequest]
) -> None:
    files = JcdsApiFileStore(jamf_http)
    ticket = files.open_upload("Schema File.pkg")
    files.renew_credentials(ticket)
    files.refresh(ticket)
    files.list_files()
    with pytest.raises(RemoteFileNotFoundError):
        files.download_url("Schema Missing.pkg")
    packages = PackagesApiFileStore(jamf_http, files)
    packages.refresh(PackageUploadTarget(file_name="Schema File.pkg", package_id=1))
    info = ProApiServerInfo(jamf_http)
    info.upload_capability()
    info.server_version()

    seen = _checked(sent)

    assert "POST /api/v1/cloud-distribution-point/refresh-inventory" in seen
    assert "POST /api/v1/jcds/refresh-inventory" in seen


def test_the_oauth_token_request_matches_the_schema(
    emulator: JamfEmulator,
    session: requests.Session,
    transfer_config: TransferConfig,
    sent: list[requests.PreparedRequest],
) -> None:
    provider = ApiClientCredentialsProvider(emulator.client_id, emulator.client_secret)
    provider.request_token(
        session,
        JamfServer.parse(emulator.url),
        (transfer_config.connect_timeout, transfer_config.read_timeout),
    )

    assert _checked(sent) == ["POST /api/v1/oauth/token"]


def test_a_put_sends_back_only_declared_fields_with_declared_types() -> None:
    """A server's package may carry fields this schema does not know (a newer Jamf Pro)
    and values of another JSON type; the PUT body that records a hash has neither."""
    from_server = {
        "id": 3,
        "packageName": "Newer",
        "fileName": "Newer.pkg",
        "categoryId": 5,
        "priority": "10",
        "fillUserTemplate": False,
        "rebootRequired": "false",
        "osInstall": False,
        "suppressUpdates": False,
        "suppressFromDock": False,
        "suppressEula": False,
        "suppressRegistration": False,
        "parentPackageId": 2,
        "info": None,
        "indexed": True,
        "size": "1024",
        "cloudTransferStatus": "READY",
        "sha3512": "ab" * 64,
        "href": "/v1/packages/3",
        "someFieldOfANewerVersion": {"x": 1},
    }
    record = _writable_record(from_server, "recording a hash")

    _validate_body(record, _resolve({"$ref": "#/components/schemas/Package"}))
    assert (record["priority"], record["categoryId"], record["rebootRequired"]) == (10, "5", False)
    assert "href" not in record
    assert "someFieldOfANewerVersion" not in record
