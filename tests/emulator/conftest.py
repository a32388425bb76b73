"""Fixtures for the emulator tests: one running emulator, a validating HTTP client."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator, validate

from jcds2.emulator import JamfEmulator
from jcds2.emulator.schemas import pro_api_schema, usage_schema


@cache
def raw_spec() -> dict[str, Any]:
    """The Pro API schema as published, vendored in the emulator package."""
    return pro_api_schema()


def spec_for(base_url: str) -> dict[str, Any]:
    """The published schema with one documented deviation, pointed at ``base_url``.

    Real Jamf servers send ``"field": null`` in ApiError causes when no field is to blame
    (jamf-api.md, "Errors"), while the schema declares ``field`` a non-nullable string. The
    emulator follows the servers, so the tests accept null there and nowhere else.
    """
    spec = copy.deepcopy(raw_spec())
    spec["components"]["schemas"]["ApiErrorCause"]["properties"]["field"]["nullable"] = True
    # The PreStage paths come from jcds2's own subset (schemas/README.md); Jamf's schemas
    # win where both name one.
    usage = usage_schema()
    spec["paths"] = {**usage["paths"], **spec["paths"]}
    spec["components"]["schemas"] = {
        **usage["components"]["schemas"],
        **spec["components"]["schemas"],
    }
    spec["servers"] = [{"url": base_url + "/api"}]
    return spec


def _path_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


class SchemaChecker:
    """Validates Pro API responses against the OpenAPI file (or ApiError when undocumented)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.spec = spec_for(base_url)
        self.openapi = OpenAPI.from_dict(self.spec)
        self.checked = 0

    def operation(self, path: str, method: str) -> dict[str, Any] | None:
        """The schema operation a request path (under /api) and method belong to, if any."""
        for template, item in self.spec["paths"].items():
            if _path_regex("/api" + template).match(path) and method.lower() in item:
                operation: dict[str, Any] = item[method.lower()]
                return operation
        return None

    def schema(self, name: str) -> dict[str, Any]:
        return {**self.spec["components"]["schemas"][name], "components": self.spec["components"]}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def check_complete(self, value: Any, schema: dict[str, Any], where: str = "") -> None:
        """Every property the schema does not declare nullable is present, at every depth.

        openapi-core checks only ``required``; Jamf's records carry all their properties,
        and clients may rely on those that cannot be null.
        """
        schema = self.resolve(schema)
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.check_complete(item, schema.get("items", {}), f"{where}[{index}]")
        if not isinstance(value, dict):
            return
        for name, declared in schema.get("properties", {}).items():
            path = f"{where}.{name}" if where else name
            if name in value:
                self.check_complete(value[name], declared, path)
            elif not self.resolve(declared).get("nullable", False):
                raise AssertionError(f"non-nullable property {path} is missing")

    def check(self, response: requests.Response) -> None:
        request = response.request
        path = urlsplit(request.url or "").path
        if not path.startswith("/api/"):
            return
        method = request.method or "GET"
        operation = self.operation(path, method)
        documented = operation is not None and str(response.status_code) in operation["responses"]
        if documented:
            self.openapi.validate_response(
                RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response)
            )
            assert operation is not None
            content = operation["responses"][str(response.status_code)].get("content", {})
            if "application/json" in content:
                self.check_complete(response.json(), content["application/json"]["schema"])
        elif path.endswith("/oauth/token"):
            name = "OAuthTokenResponse" if response.ok else "OAuthTokenEndpointErrorResponse"
            validate(response.json(), self.schema(name), cls=OAS30Validator)
        elif response.status_code >= 400:
            assert response.headers["Content-Type"].startswith("application/json")
            validate(response.json(), self.schema("ApiError"), cls=OAS30Validator)
            assert response.json()["httpStatus"] == response.status_code
        else:
            raise AssertionError(f"undocumented success {response.status_code} {method} {path}")
        self.checked += 1


class JamfClient:
    """A requests session against the emulator that schema-checks every Pro API answer."""

    def __init__(self, emulator: JamfEmulator, checker: SchemaChecker) -> None:
        self.emulator = emulator
        self.checker = checker
        self.session = requests.Session()
        self.token: str | None = None

    def login(self) -> JamfClient:
        response = self.request(
            "POST",
            "/api/v1/auth/token",
            auth=(self.emulator.username, self.emulator.password),
            bearer=False,
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["token"]
        return self

    def request(
        self, method: str, path: str, *, bearer: bool = True, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if bearer and self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = self.session.request(
            method, self.emulator.url + path, headers=headers, timeout=30, **kwargs
        )
        self.checker.check(response)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture(scope="session")
def running_emulator() -> Iterator[JamfEmulator]:
    with JamfEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def checker(running_emulator: JamfEmulator) -> SchemaChecker:
    return SchemaChecker(running_emulator.url)


@pytest.fixture
def emulator(running_emulator: JamfEmulator) -> JamfEmulator:
    """The shared emulator, emptied before the test."""
    running_emulator.reset()
    return running_emulator


@pytest.fixture
def client(emulator: JamfEmulator, checker: SchemaChecker) -> JamfClient:
    """A logged-in client of the freshly reset emulator."""
    return JamfClient(emulator, checker).login()


@pytest.fixture
def anonymous(emulator: JamfEmulator, checker: SchemaChecker) -> JamfClient:
    return JamfClient(emulator, checker)
