"""HTTP plumbing shared by the route modules: the call object and error/response builders."""

from __future__ import annotations

import abc
import html
import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

import attrs
from werkzeug.wrappers import Request, Response

from jcds2.emulator.jsonbody import BodyError
from jcds2.emulator.state import Principal

PRO_PREFIX = "/api/"


@attrs.frozen
class Call:
    """One routed request as a handler sees it."""

    request: Request
    args: Mapping[str, str]
    principal: Principal | None
    token: str | None


Handler = Callable[[Call], Response]

_T = TypeVar("_T")


@attrs.frozen
class Route:
    """A URL rule, the methods it answers and the handler behind it."""

    path: str
    methods: tuple[str, ...]
    handler: Handler
    needs_auth: bool = True


def is_pro_path(path: str) -> bool:
    """Whether errors on this path are Pro API JSON (else Classic-style HTML)."""
    return path == "/api" or path.startswith(PRO_PREFIX)


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        mimetype="application/json",
        headers=dict(headers or {}),
    )


def no_content() -> Response:
    return Response(status=204)


def api_error_body(
    status: int,
    code: str,
    description: str,
    *,
    field: str | None = None,
    object_id: str | None = "0",
) -> dict[str, Any]:
    # Real servers send "field": null when no field is to blame, although the published
    # schema declares it a non-nullable string; clients must cope with the real thing.
    return {
        "httpStatus": status,
        "errors": [{"code": code, "field": field, "description": description, "id": object_id}],
    }


def api_error(
    status: int,
    code: str,
    description: str,
    *,
    field: str | None = None,
    object_id: str | None = "0",
    headers: Mapping[str, str] | None = None,
) -> Response:
    return json_response(
        api_error_body(status, code, description, field=field, object_id=object_id), status, headers
    )


def no_such(kind: str, raw_id: str) -> Response:
    """The Pro API's answer to an id that names no ``kind`` ("Package", "Category")."""
    return api_error(
        404,
        "INVALID_ID",
        f"{kind} with id {raw_id} does not exist",
        field="id",
        object_id=raw_id,
    )


class ProRoutes(abc.ABC, Generic[_T]):
    """One kind of object the Pro API way: ``{path}`` lists (GET) and creates (POST);
    ``{path}/<object_id>`` reads, replaces (PUT) and deletes one.

    A subclass says how its objects are found, shown, listed, created, replaced and
    deleted; the URLs, the dispatch on the method and the unknown id are the same.
    """

    path: ClassVar[str]
    kind: ClassVar[str]

    def routes(self) -> list[Route]:
        return [
            Route(self.path, ("GET", "POST"), self.collection),
            Route(f"{self.path}/<object_id>", ("GET", "PUT", "DELETE"), self.item),
        ]

    def collection(self, call: Call) -> Response:
        if call.request.method == "POST":
            return self._create(call)
        return self._list(call)

    def item(self, call: Call) -> Response:
        raw_id = call.args["object_id"]
        found = self._get(int(raw_id)) if raw_id.isdigit() else None
        if found is None:
            return no_such(self.kind, raw_id)
        if call.request.method == "GET":
            return json_response(self._show(found))
        if call.request.method == "DELETE":
            return self._delete(found, raw_id)
        return self._replace(call, found, raw_id)

    @abc.abstractmethod
    def _get(self, object_id: int) -> _T | None: ...

    @abc.abstractmethod
    def _show(self, found: _T) -> dict[str, Any]: ...

    @abc.abstractmethod
    def _list(self, call: Call) -> Response: ...

    @abc.abstractmethod
    def _create(self, call: Call) -> Response: ...

    @abc.abstractmethod
    def _replace(self, call: Call, found: _T, raw_id: str) -> Response: ...

    @abc.abstractmethod
    def _delete(self, found: _T, raw_id: str) -> Response: ...


def html_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """A Classic API error page, shaped like the small pages real servers send."""
    page = (
        "<html>\n<head>\n<title>Status page</title>\n</head>\n"
        '<body style="font-family: sans-serif;">\n'
        f"<p>Error: {html.escape(message)}</p>\n"
        "</body>\n</html>\n"
    )
    return Response(page, status=status, mimetype="text/html", headers=dict(headers or {}))


def error_for_path(
    path: str,
    status: int,
    code: str,
    description: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An error in the dialect of the API that owns ``path``."""
    if is_pro_path(path):
        return api_error(status, code, description, headers=headers)
    return html_error(status, description, headers)


def body_error(error: BodyError) -> Response:
    """400 ApiError for a refused request body, naming the field."""
    return api_error(400, error.code, error.description, field=error.field)
