"""The JSON body rules (``jcds2.emulator.jsonbody``) on their own: Jackson's defaults, strict."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jcds2.emulator.jsonbody import INVALID_JSON, BodyError, Coercer, parse, read_body
from jcds2.emulator.schemas import pro_api_schema

DOCUMENT = pro_api_schema()
STRING = {"type": "string"}
NULLABLE_STRING = {"type": "string", "nullable": True}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
STRINGS = {"type": "array", "items": STRING}
COLOUR = {"type": "string", "enum": ["RED", "GREEN", "BLUE"]}


def lenient(value: Any, schema: dict[str, Any]) -> Any:
    return Coercer(DOCUMENT).coerce(value, schema, "f")


def strict(value: Any, schema: dict[str, Any]) -> Any:
    return Coercer(DOCUMENT, strict=True).coerce(value, schema, "f")


def from_json(text: str, schema: dict[str, Any], *, is_strict: bool = False) -> Any:
    return Coercer(DOCUMENT, strict=is_strict).coerce(
        parse(text.encode(), strict=False), schema, "f"
    )


@pytest.mark.parametrize(
    ("text", "schema", "expected"),
    [
        # integer: numbers, numeric strings (trimmed, signed), floats truncated, blank = null
        ("10", INTEGER, 10),
        ('"10"', INTEGER, 10),
        ('" +10 "', INTEGER, 10),
        ('"-3"', INTEGER, -3),
        ("1.9", INTEGER, 1),
        ("-1.9", INTEGER, -1),
        ('""', INTEGER, None),
        ('"  "', INTEGER, None),
        ('"null"', INTEGER, None),
        ('"2147483647"', INTEGER, 2**31 - 1),
        ('"2147483648"', {"type": "integer", "format": "int64"}, 2**31),
        # number
        ('"1.5"', NUMBER, 1.5),
        ("2", NUMBER, 2.0),
        # boolean: ints (0 false, anything else true) and the six spellings of true/false
        ("0", BOOLEAN, False),
        ("1", BOOLEAN, True),
        ("2", BOOLEAN, True),
        ("-1", BOOLEAN, True),
        ('"true"', BOOLEAN, True),
        ('"True"', BOOLEAN, True),
        ('"TRUE"', BOOLEAN, True),
        ('" false "', BOOLEAN, False),
        ('"False"', BOOLEAN, False),
        ('"FALSE"', BOOLEAN, False),
        ('""', BOOLEAN, None),
        # string: numbers and booleans become their JSON text
        ("5", STRING, "5"),
        ("-1", STRING, "-1"),
        ("1.50", STRING, "1.50"),
        ("1e3", STRING, "1e3"),
        ("true", STRING, "true"),
        ("false", STRING, "false"),
        # arrays: items coerced
        ('[1, "2", true]', STRINGS, ["1", "2", "true"]),
        # enum: the value itself, or an ordinal as Jackson maps numbers to enums
        ('"GREEN"', COLOUR, "GREEN"),
        ("2", COLOUR, "BLUE"),
        # null where nullable
        ("null", NULLABLE_STRING, None),
    ],
)
def test_jackson_coerces(text: str, schema: dict[str, Any], expected: Any) -> None:
    got = from_json(text, schema)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize(
    ("text", "schema"),
    [
        ('"ten"', INTEGER),
        ('"1.5"', INTEGER),
        ('"1e3"', INTEGER),
        ('"0x10"', INTEGER),
        ('"1_000"', INTEGER),
        ("true", INTEGER),
        ('"2147483648"', INTEGER),
        ("2147483648", INTEGER),
        ("{}", INTEGER),
        ("[1]", INTEGER),
        ('"one"', NUMBER),
        ("true", NUMBER),
        ('"1"', BOOLEAN),
        ('"0"', BOOLEAN),
        ('"yes"', BOOLEAN),
        ('"t"', BOOLEAN),
        ("1.0", BOOLEAN),
        ("[true]", BOOLEAN),
        ('{"a": 1}', STRING),
        ('["a"]', STRING),
        ('"a"', STRINGS),
        ("1", STRINGS),
        ("[{}]", STRINGS),
        ('"a"', {"$ref": "#/components/schemas/ExportField"}),
        ('""', {"$ref": "#/components/schemas/ExportField"}),
        ('"PURPLE"', COLOUR),
        ("3", COLOUR),
        ('"green"', COLOUR),
    ],
)
def test_jackson_refuses(text: str, schema: dict[str, Any]) -> None:
    with pytest.raises(BodyError) as caught:
        from_json(text, schema)
    assert caught.value.field in ("f", "f[0]")


@pytest.mark.parametrize(
    ("text", "schema"),
    [
        ('"10"', INTEGER),
        ("1.5", INTEGER),
        ("1", BOOLEAN),
        ('"true"', BOOLEAN),
        ("5", STRING),
        ("true", STRING),
        ('"1.5"', NUMBER),
        ("null", STRING),
        ("null", INTEGER),
        ("[1]", STRINGS),
        ("0", COLOUR),
    ],
)
def test_strict_refuses_what_jackson_coerces(text: str, schema: dict[str, Any]) -> None:
    from_json(text, schema)  # Jamf takes it...
    with pytest.raises(BodyError) as caught:
        from_json(text, schema, is_strict=True)  # ...but the schema does not allow it.
    assert caught.value.field in ("f", "f[0]")


@pytest.mark.parametrize(
    ("value", "schema"),
    [(10, INTEGER), (1.5, NUMBER), (True, BOOLEAN), ("x", STRING), (None, NULLABLE_STRING)],
)
def test_strict_takes_what_the_schema_allows(value: Any, schema: dict[str, Any]) -> None:
    assert strict(value, schema) == value


PACKAGE = {
    "packageName": "A",
    "fileName": "a.pkg",
    "categoryId": "-1",
    "priority": 3,
    "fillUserTemplate": False,
    "rebootRequired": False,
    "osInstall": False,
    "suppressUpdates": False,
    "suppressFromDock": False,
    "suppressEula": False,
    "suppressRegistration": False,
}


def package_body(**changes: Any) -> bytes:
    body = {**PACKAGE, **changes}
    return json.dumps({key: value for key, value in body.items() if value is not ...}).encode()


def read_package(raw: bytes, *, is_strict: bool = False) -> Any:
    return read_body(raw, DOCUMENT, "/v1/packages", "post", strict=is_strict)


def test_unknown_and_read_only_properties_are_dropped_leniently() -> None:
    body = read_package(package_body(colour="red", id="7", size="12", cloudTransferStatus="X"))
    assert body == PACKAGE


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"id": "7"}, "id"),
        ({"size": "12"}, "size"),
        ({"cloudTransferStatus": "READY"}, "cloudTransferStatus"),
        ({"priority": "3"}, "priority"),
        ({"fillUserTemplate": 0}, "fillUserTemplate"),
        ({"swu": None}, "swu"),
        ({"suppressEula": ...}, "suppressEula"),
    ],
)
def test_strict_refuses_a_package_body(change: dict[str, Any], field: str) -> None:
    read_package(package_body(**change) if "suppressEula" not in change else package_body())
    with pytest.raises(BodyError) as caught:
        read_package(package_body(**change), is_strict=True)
    assert caught.value.field == field


def test_null_for_a_property_that_is_not_nullable_is_not_given() -> None:
    assert "swu" not in read_package(package_body(swu=None))
    assert read_package(package_body(info=None))["info"] is None


@pytest.mark.parametrize("is_strict", [False, True])
@pytest.mark.parametrize("field", ["packageName", "priority", "osInstall"])
def test_required_properties_missing_or_null_are_refused(field: str, is_strict: bool) -> None:
    for body in (package_body(**{field: ...}), package_body(**{field: None})):
        with pytest.raises(BodyError) as caught:
            read_package(body, is_strict=is_strict)
        assert caught.value.field == field


def test_nested_fields_are_named_by_path() -> None:
    raw = json.dumps({"fields": [{"fieldName": "id"}, {"fieldName": {"x": 1}}]}).encode()
    with pytest.raises(BodyError) as caught:
        read_body(raw, DOCUMENT, "/v1/packages/export", "post", strict=False)
    assert caught.value.field == "fields[1].fieldName"


@pytest.mark.parametrize(
    "raw",
    [b"{", b"{'a': 1}", b'{"a": NaN}', b'{"a": Infinity}', b"// c\n{}", b"\xff\xfe", b"null"],
)
def test_malformed_bodies(raw: bytes) -> None:
    with pytest.raises(BodyError) as caught:
        read_package(raw)
    assert caught.value.code == INVALID_JSON


def test_content_after_the_value_is_not_read_unless_strict() -> None:
    raw = package_body() + b" trailing"
    assert read_package(raw) == PACKAGE
    with pytest.raises(BodyError):
        read_package(raw, is_strict=True)


def test_an_optional_body_may_be_empty_and_a_required_one_not() -> None:
    assert read_body(b"", DOCUMENT, "/v1/packages/export", "post", strict=True) is None
    with pytest.raises(BodyError):
        read_package(b"  ")


def test_the_body_must_be_an_object() -> None:
    for raw in (b"[]", b'"x"', b"1"):
        with pytest.raises(BodyError) as caught:
            read_package(raw)
        assert caught.value.field is None


CDP = "/v1/cloud-distribution-point"


def test_all_of_parts_are_read_as_one_object() -> None:
    # CloudDistributionPoint is allOf [the connection test's fields, its own]: both parts'
    # properties are read, and a required readOnly one is required in answers only.
    raw = b'{"cdnType": 1, "username": 5, "password": "p", "master": "TRUE", "message": "m"}'
    assert read_body(raw, DOCUMENT, CDP, "post", strict=False) == {
        "cdnType": "JAMF_CLOUD",
        "username": "5",
        "password": "p",
        "master": True,
    }
    with pytest.raises(BodyError) as refused:
        read_body(b'{"cdnType": "AKAMAI", "username": "u"}', DOCUMENT, CDP, "post", strict=False)
    assert refused.value.field == "password"
    with pytest.raises(BodyError) as read_only:
        read_body(raw, DOCUMENT, CDP, "post", strict=True)
    assert read_only.value.field == "cdnType"  # strict: not an ordinal


@pytest.mark.parametrize("is_strict", [False, True])
def test_a_partial_body_needs_none_of_the_required_properties(is_strict: bool) -> None:
    raw = b'{"master": false}'
    assert read_body(raw, DOCUMENT, CDP, "patch", strict=is_strict, partial=True) == {
        "master": False
    }
    with pytest.raises(BodyError, match="required"):
        read_body(raw, DOCUMENT, CDP, "patch", strict=is_strict)
