"""HTTP plumbing shared by the route modules: the call object and error/response builders."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from typing import Any

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
