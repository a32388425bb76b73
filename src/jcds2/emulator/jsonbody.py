"""JSON request bodies read the way Jamf Pro reads them: Jackson's defaults, or strictly.

Jamf Pro is a Spring application; request bodies go through Jackson's ``ObjectMapper`` with
its default settings. ``read_body`` parses a body and coerces it against the OpenAPI schema
of the operation's request body (``$ref``, ``allOf``, ``type`` string/integer/number/boolean/
array/object, ``enum``, ``nullable``, ``required``, ``readOnly``), so every JSON route of the
emulator follows the same rules. A ``required`` property that is ``readOnly`` is required in
answers only (OpenAPI 3.0). What Jackson 2.12+ does by default, and so what the lenient
mode accepts (``MapperFeature.ALLOW_COERCION_OF_SCALARS`` on, the ``CoercionConfigs``
defaults, ``DeserializationFeature`` defaults):

- **integer** (``int``/``Integer``): a JSON integer; a JSON float is truncated toward zero
  (``ACCEPT_FLOAT_AS_INT`` is on); a string is trimmed and parsed as a decimal integer with
  an optional sign (``"10"``, ``" +10 "``; ``NumberInput.parseInt``), while ``"ten"``,
  ``"1.5"``, ``"1e3"`` and values outside 32 bits (64 with ``format: int64``) are refused.
  ``true``/``false`` are refused (there is no boolean-to-int coercion).
- **number** (``double``): a JSON number; a string that is a decimal number.
- **boolean** (``boolean``/``Boolean``): ``true``/``false``; a JSON integer, 0 being false
  and any other value true (databind#1324); the strings ``"true"``, ``"True"``, ``"TRUE"``,
  ``"false"``, ``"False"``, ``"FALSE"`` (trimmed). ``"1"``, ``"yes"`` and floats are refused.
- **integer, number or boolean**: an empty or blank string and the string ``"null"`` are
  null (``CoercionAction.AsNull`` for scalars; textual null).
- **string**: a string; a number or boolean becomes its JSON text (``5`` -> ``"5"``,
  ``1.50`` -> ``"1.50"``, ``true`` -> ``"true"``).
- **array**: a JSON array, items coerced by the same rules; a single value is refused
  (``ACCEPT_SINGLE_VALUE_AS_ARRAY`` is off).
- **object**: a JSON object; properties the schema does not declare are ignored (Jamf's
  models ignore unknown properties), and so are ``readOnly`` ones (Jackson ignores
  read-only properties on input). Anything else where an object belongs is refused.
- **enum**: after coercion the value must be one of the listed values; a JSON integer picks
  the value at that index (Jackson maps numbers to enum ordinals unless
  ``FAIL_ON_NUMBERS_FOR_ENUMS``), on the assumption that the schema lists them in the Java
  enum's order.
- **null**: kept for a ``nullable`` property; for a property that is not nullable it counts
  as not given (the Java field stays null and the server's default applies). A ``required``
  property that is missing or null is refused either way (Jamf validates the model).
- An object or array where a scalar belongs is refused (``MismatchedInputException``).
- The body: not JSON, ``NaN``/``Infinity``, comments or single quotes are malformed (all off
  by default); content after the first JSON value is not read (``FAIL_ON_TRAILING_TOKENS``
  is off); duplicate keys: the last wins (``STRICT_DUPLICATE_DETECTION`` is off).

Strict mode (``strict=True``) accepts only what the schema allows as written: the exact JSON
type, no undeclared or read-only property, null only where ``nullable``, every ``required``
property, and nothing after the JSON value. It proves a client sends what the schema declares.

Refusals raise ``BodyError`` naming the field (a dotted path such as ``fields[0].fieldName``),
for the route to answer 400 in Jamf's ApiError shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

INVALID_FIELD = "INVALID_FIELD"
INVALID_JSON = "INVALID_JSON"

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TRUE_TEXTS = frozenset({"true", "True", "TRUE"})
_FALSE_TEXTS = frozenset({"false", "False", "FALSE"})
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_MISSING = object()


class BodyError(Exception):
    """A request body the server refuses: 400 with ``code`` on ``field``."""

    def __init__(self, field: str | None, description: str, code: str = INVALID_FIELD) -> None:
        super().__init__(description)
        self.field = field
        self.description = description
        self.code = code


class _JsonFloat(float):
    """A JSON float that remembers its text: Jackson turns it into a string as written."""

    text: str

    def __new__(cls, text: str) -> _JsonFloat:
        value = super().__new__(cls, text)
        value.text = text
        return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _java_trim(text: str) -> str:
    # String.trim(): strips code points up to U+0020 only, unlike str.strip().
    return text.strip("".join(chr(code) for code in range(0x21)))


def parse(raw: bytes, *, strict: bool) -> Any:
    """The first JSON value of ``raw``; ``BodyError`` (``INVALID_JSON``) if it is malformed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(None, "The request body is not UTF-8", INVALID_JSON) from None
    decoder = json.JSONDecoder(parse_float=_JsonFloat, parse_constant=_no_constant)
    start = len(text) - len(text.lstrip(" \t\r\n"))
    try:
        value, end = decoder.raw_decode(text, start)
    except ValueError as error:
        raise BodyError(None, f"Malformed JSON: {error}", INVALID_JSON) from None
    if strict and text[end:].strip(" \t\r\n"):
        raise BodyError(None, "Malformed JSON: content after the JSON value", INVALID_JSON)
    return value


@attrs.frozen
class Coercer:
    """Coerces parsed JSON against schemas of one OpenAPI document."""

    document: Mapping[str, Any]
    strict: bool = False
    # A partial body (PATCH, merge-patch): the body's own ``required`` list does not apply.
    partial: bool = False

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """``schema`` with any ``$ref`` (``#/...``) followed and ``allOf`` merged."""
        while "$ref" in schema:
            node: Any = self.document
            for part in str(schema["$ref"]).removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        if "allOf" in schema:
            schema = self._all_of(schema)
        return schema

    def _all_of(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        # Jackson reads an allOf model (a Java subclass) as one object: the parts' properties
        # and required lists together.
        properties: dict[str, Any] = {}
        required: list[str] = []
        for part in [*schema["allOf"], {k: v for k, v in schema.items() if k != "allOf"}]:
            resolved = self.resolve(part)
            properties.update(resolved.get("properties", {}))
            required.extend(resolved.get("required", ()))
        return {"type": "object", "properties": properties, "required": required}

    def coerce(self, value: Any, schema: Mapping[str, Any], field: str) -> Any:
        """``value`` as the server would take it for ``schema``; ``BodyError`` if refused."""
        schema = self.resolve(schema)
        if value is None:
            if self.strict and not schema.get("nullable", False):
                raise BodyError(field, f"{field} must not be null")
            return None
        kind = schema.get("type", "object" if "properties" in schema else None)
        if kind is None:
            return value
        converted = getattr(self, f"_to_{kind}")(value, schema, field)
        if "enum" in schema and converted is not None:
            converted = self._enum(value, converted, schema, field)
        return converted

    # One method per schema type; each returns the coerced value or None (Jackson's null).

    def _to_object(self, value: Any, schema: Mapping[str, Any], field: str) -> Any:
        if not isinstance(value, dict):
            raise BodyError(field or None, f"{field or 'The body'} must be a JSON object")
        properties: Mapping[str, Any] = schema.get("properties", {})
        result: dict[str, Any] = {}
        for name, given in value.items():
            path = f"{field}.{name}" if field else name
            declared = properties.get(name)
            if declared is None or self.resolve(declared).get("readOnly", False):
                if self.strict:
                    what = "not declared" if declared is None else "read-only"
                    raise BodyError(path, f"{path} is {what} in the request schema")
                continue
            coerced = self.coerce(given, declared, path)
            nullable = self.resolve(declared).get("nullable", False)
            if coerced is not None or nullable:
                result[name] = coerced
        for name in () if self.partial and not field else schema.get("required", ()):
            # OpenAPI 3.0: a required readOnly property is required in responses only.
            if self.resolve(properties.get(name, {})).get("readOnly", False):
                continue
            if result.get(name, _MISSING) in (None, _MISSING):
                path = f"{field}.{name}" if field else name
                raise BodyError(path, f"{path} is required")
        return result

    def _to_array(self, value: Any, schema: Mapping[str, Any], field: str) -> Any:
        if not isinstance(value, list):
            raise BodyError(field, f"{field} must be a JSON array")
        items: Mapping[str, Any] = schema.get("items", {})
        return [self.coerce(item, items, f"{field}[{index}]") for index, item in enumerate(value)]

    def _to_string(self, value: Any, schema: Mapping[str, Any], field: str) -> Any:
        del schema
        if isinstance(value, str):
            return value
        if self.strict or isinstance(value, (dict, list)):
            raise BodyError(field, f"{field} must be a string")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, _JsonFloat):
            return value.text
        return str(value)

    def _to_integer(self, value: Any, schema: Mapping[str, Any], field: str) -> Any:
        low, high = _INT64 if schema.get("format") == "int64" else _INT32
        number: int | None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif self.strict:
            raise BodyError(field, f"{field} must be an integer")
        elif isinstance(value, float):
            number = int(value)  # truncated toward zero, as Java's (int) cast does
        elif isinstance(value, str):
            text = _java_trim(value)
            if _textual_null(text):
                return None
            if not _INTEGER_TEXT.fullmatch(text):
                raise BodyError(field, f"{field}: {value!r} is not a valid integer")
            number = int(text)
        else:
            raise BodyError(field, f"{field} must be an integer")
        if not low <= number <= high:
            raise BodyError(field, f"{field}: {value!r} is out of range")
        return number

    def _to_number(self, value: Any, schema: Mapping[str, Any], field: str) -> Any:
        del schema
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if self.strict or not isinstance(value, str):
            raise BodyError(field, f"{field} must be a number")
        text = _java_trim(value)
        if _textual_null(text):
            return None
        if not _NUMBER_TEXT.fullmatch(text):
            raise BodyError(field, f"{field}: {value!r} is not a valid number")
        return float(text)

    def _to_boolean(self, value: Any, schema: Mapping[str, Any], field: str) -> Any:
        del schema
        if isinstance(value, bool):
            return value
        if self.strict:
            raise BodyError(field, f"{field} must be a boolean")
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str):
            text = _java_trim(value)
            if _textual_null(text):
                return None
            if text in _TRUE_TEXTS or text in _FALSE_TEXTS:
                return text in _TRUE_TEXTS
            raise BodyError(
                field, f"{field}: {value!r} is not a boolean (only true/True/TRUE, false/...)"
            )
        raise BodyError(field, f"{field} must be a boolean")

    def _enum(self, given: Any, value: Any, schema: Mapping[str, Any], field: str) -> Any:
        allowed = list(schema["enum"])
        if value in allowed:
            return value
        ordinal = isinstance(given, int) and not isinstance(given, bool) and not self.strict
        if ordinal and 0 <= given < len(allowed):
            return allowed[given]
        raise BodyError(field, f"{field} must be one of {', '.join(map(str, allowed))}")


def _textual_null(text: str) -> bool:
    # An empty or blank string, or "null", is null for a scalar target in Jackson 2.12+.
    return text in ("", "null")


def request_schema(
    document: Mapping[str, Any], path: str, method: str
) -> tuple[Mapping[str, Any], bool]:
    """The JSON schema of an operation's request body and whether the body is required.

    ``path`` is the schema's path template (``/v1/packages/{id}``), ``method`` lower case.
    """
    body = document["paths"][path][method]["requestBody"]
    return body["content"]["application/json"]["schema"], bool(body.get("required", False))


def read_body(
    raw: bytes,
    document: Mapping[str, Any],
    path: str,
    method: str,
    *,
    strict: bool,
    partial: bool = False,
) -> Any:
    """The request body of ``method path`` as the server takes it.

    None for an absent, optional body (an empty body where one is required is refused, as
    Spring refuses a missing required body). ``BodyError`` for a refused body. ``partial``:
    a merge patch, whose top-level object need not carry the schema's ``required`` properties.
    """
    schema, required = request_schema(document, path, method)
    if not raw.strip(b" \t\r\n"):
        if required:
            raise BodyError(None, "A request body is required", INVALID_JSON)
        return None
    value = parse(raw, strict=strict)
    if value is None:
        # Spring refuses a required body that reads as null, as it refuses a missing one.
        raise BodyError(None, "A request body is required", INVALID_JSON)
    return Coercer(document, strict, partial).coerce(value, schema, "")


class BodyReader:
    """Reads the JSON bodies of one emulator against its schema, in a mode switchable live."""

    def __init__(self, document: Mapping[str, Any], strict: bool = False) -> None:
        self._document = document
        self._strict = strict

    @property
    def strict(self) -> bool:
        return self._strict

    def set_strict(self, strict: bool) -> None:
        # One attribute write: requests already reading keep the mode they started with.
        self._strict = bool(strict)

    def read(self, raw: bytes, path: str, method: str, *, partial: bool = False) -> Any:
        """``read_body`` for the operation ``method path`` (schema path template)."""
        return read_body(raw, self._document, path, method, strict=self._strict, partial=partial)
