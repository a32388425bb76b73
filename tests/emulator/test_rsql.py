"""Unit tests of the RSQL filter parser and evaluator."""

from __future__ import annotations

import pytest

from jcds2.emulator.rsql import And, Comparison, Or, RsqlError, parse

FIELDS = {"id", "fileName", "packageName", "info"}


def matches(text: str, row: dict[str, str | None]) -> bool:
    tree = parse(text, FIELDS)
    assert tree is not None
    return tree.matches(row.get)


def test_empty_filter_means_no_filter() -> None:
    assert parse("", FIELDS) is None
    assert parse("   ", FIELDS) is None


def test_unquoted_comparison() -> None:
    assert parse("fileName==a.pkg", FIELDS) == Comparison("fileName", "==", "a.pkg")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('fileName=="My App.pkg"', "My App.pkg"),
        ("fileName=='My App.pkg'", "My App.pkg"),
        (r'fileName=="say \"hi\".pkg"', 'say "hi".pkg'),
        (r"fileName=='it\'s.pkg'", "it's.pkg"),
        (r'fileName=="back\\slash.pkg"', "back\\slash.pkg"),
        ('fileName=="a,b;c(d).pkg"', "a,b;c(d).pkg"),
        ('fileName==""', ""),
    ],
)
def test_quoted_values_and_escapes(text: str, value: str) -> None:
    assert parse(text, FIELDS) == Comparison("fileName", "==", value)


def test_and_binds_tighter_than_or() -> None:
    tree = parse("id==1,id==2;fileName==x", FIELDS)
    assert tree == Or(
        (
            Comparison("id", "==", "1"),
            And((Comparison("id", "==", "2"), Comparison("fileName", "==", "x"))),
        )
    )


def test_keywords_and_parentheses() -> None:
    tree = parse("(id==1 or id==2) and fileName!=x", FIELDS)
    assert tree == And(
        (
            Or((Comparison("id", "==", "1"), Comparison("id", "==", "2"))),
            Comparison("fileName", "!=", "x"),
        )
    )


def test_keyword_spelled_as_a_value() -> None:
    assert parse("info==and", FIELDS) == Comparison("info", "==", "and")


def test_evaluation() -> None:
    row: dict[str, str | None] = {"id": "2", "fileName": "Foo.pkg", "info": None}
    assert matches('fileName=="Foo.pkg"', row)
    assert matches("fileName==foo.PKG", row)  # case-insensitive, like Jamf's database
    assert not matches("fileName!=Foo.pkg", row)
    assert matches("(id==1,id==2);fileName==Foo.pkg", row)
    assert not matches("id==1 and fileName==Foo.pkg", row)
    assert matches("info!=x", row)  # a null field equals nothing
    assert not matches("info==*", row)


def test_wildcards() -> None:
    row: dict[str, str | None] = {"fileName": "Google Chrome 120.pkg"}
    assert matches('fileName=="Google*"', row)
    assert matches("fileName==*Chrome*", row)
    assert matches("fileName==*.pkg", row)
    assert not matches("fileName==*.dmg", row)
    assert matches('fileName=="Google Chrome 1?0.pkg"', {"fileName": "Google Chrome 1?0.pkg"})
    assert not matches('fileName=="Google Chrome 1?0.pkg"', row)  # only * is special


@pytest.mark.parametrize(
    "text",
    [
        "fileName",
        "fileName==",
        "fileName=gt=3",
        "fileName=in=(a,b)",
        "fileName<3",
        '"fileName"==x',
        'fileName=="unterminated',
        "(fileName==x",
        "fileName==x)",
        "fileName==x;",
        "fileName==x,,id==1",
        "fileName==x id==1",
        "fileName==;",
        "size==3",
        "FILENAME==x",
    ],
)
def test_errors(text: str) -> None:
    with pytest.raises(RsqlError):
        parse(text, FIELDS)
