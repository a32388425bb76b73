"""What the Classic API routes share: XML documents in and out, JSON when asked for, and
the one shape of a kind of object's routes."""

from __future__ import annotations

import abc
from typing import Any, ClassVar, Generic, TypeVar
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from werkzeug.wrappers import Request, Response

from jcds2.emulator.web import Call, Route, html_error, json_response

_T = TypeVar("_T")

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


class ClassicRoutes(abc.ABC, Generic[_T]):
    """One kind of object the Classic way: a listing at ``/JSSResource/{plural}``, and
    each object at ``.../id/<id>`` and ``.../name/<name>`` (GET, POST, PUT, DELETE).

    A subclass says how its objects are found, listed, shown, created, updated and
    deleted; the URLs and the dispatch on the method are the same for every kind.
    """

    plural: ClassVar[str]
    singular: ClassVar[str]

    def routes(self) -> list[Route]:
        methods = ("GET", "POST", "PUT", "DELETE")
        base = f"/JSSResource/{self.plural}"
        return [
            Route(base, ("GET",), self.collection),
            Route(f"{base}/id/<object_id>", methods, self.by_id),
            Route(f"{base}/name/<name>", methods, self.by_name),
        ]

    def id_document(self, object_id: int, status: int, successful: bool = False) -> Response:
        """What a Classic write answers: ``<{singular}><id>N</id></{singular}>`` (an update
        adds ``<successful>True</successful>``)."""
        root = Element(self.singular)
        SubElement(root, "id").text = str(object_id)
        if successful:
            SubElement(root, "successful").text = "True"
        return xml_response(root, status)

    def collection(self, call: Call) -> Response:
        listed = self._listing()
        if wants_json(call.request):
            return json_response({self.plural: [{"id": i, "name": n} for i, n in listed]})
        root = Element(self.plural)
        SubElement(root, "size").text = str(len(listed))
        for object_id, name in listed:
            item = SubElement(root, self.singular)
            SubElement(item, "id").text = str(object_id)
            SubElement(item, "name").text = name
        return xml_response(root)

    def by_id(self, call: Call) -> Response:
        if call.request.method == "POST":
            # Jamf gives the new object an id of its own, whatever the URL says.
            return self._create(call, None)
        raw_id = call.args["object_id"]
        return self._on(call, self._get(int(raw_id)) if raw_id.isdigit() else None)

    def by_name(self, call: Call) -> Response:
        name = call.args["name"]
        if call.request.method == "POST":
            # The published Classic schema allows POST on this URL too; the name in the
            # URL stands in for a body without one.
            return self._create(call, name)
        return self._on(call, self._by_name(name))

    def _on(self, call: Call, found: _T | None) -> Response:
        if found is None:
            return html_error(404, "Not Found")
        method = call.request.method
        if method == "GET":
            fields = self._fields(found)
            if wants_json(call.request):
                return json_response({self.singular: fields})
            root = Element(self.singular)
            for name, value in fields.items():
                element = SubElement(root, name)
                if not isinstance(value, dict):
                    element.text = xml_text(value)
            return xml_response(root)
        if method == "DELETE":
            return self._delete(found)
        return self._update(call, found)

    @abc.abstractmethod
    def _listing(self) -> list[tuple[int, str]]:
        """The id and name of every object, in order."""

    @abc.abstractmethod
    def _get(self, object_id: int) -> _T | None: ...

    @abc.abstractmethod
    def _by_name(self, name: str) -> _T | None: ...

    @abc.abstractmethod
    def _fields(self, found: _T) -> dict[str, Any]:
        """The object as the Classic API shows it (JSON flavour; XML is built from it)."""

    @abc.abstractmethod
    def _create(self, call: Call, url_name: str | None) -> Response:
        """A new object from the request's document (``url_name``: the name in the URL)."""

    @abc.abstractmethod
    def _update(self, call: Call, found: _T) -> Response: ...

    @abc.abstractmethod
    def _delete(self, found: _T) -> Response: ...
