"""What the Classic API routes share: XML documents in and out, JSON when asked for."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from werkzeug.wrappers import Request, Response

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


class BadDocumentError(Exception):
    """Raised when a Classic request body cannot be used (answered 400)."""


def xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def xml_response(root: Element, status: int = 200) -> Response:
    body = XML_DECLARATION + tostring(root, encoding="unicode")
    return Response(body, status=status, mimetype="text/xml")


def wants_json(request: Request) -> bool:
    best = request.accept_mimetypes.best_match(["application/xml", "text/xml", "application/json"])
    return best == "application/json"


def parse_document(request: Request, root_tag: str) -> Element:
    """The request body's root element (parsed with defusedxml), which must be ``root_tag``."""
    try:
        root: Element = fromstring(request.get_data())
    except (ParseError, DefusedXmlException) as error:
        raise BadDocumentError(f"Problem with the XML: {error}") from None
    if root.tag != root_tag:
        raise BadDocumentError(f"Root element must be <{root_tag}>")
    return root
