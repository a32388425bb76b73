"""JCDS file names: what ``validate_file_name`` lets through and what it refuses."""

from __future__ import annotations

import pytest

from jcds2.domain.errors import InvalidFileNameError, Jcds2Error
from jcds2.domain.names import MAX_FILE_NAME_BYTES, validate_file_name


@pytest.mark.parametrize(
    "name",
    [
        "Firefox-128.pkg",
        "Microsoft Office 2024.pkg",
        "Café Crème Ünïcödé.dmg",
        "Pro Tools Ünïcødé 2026.pkg",  # composed (NFC) as typed here
        "Pro Tools U\u0308ni\u0308cødé 2026.pkg",  # decomposed (NFD), as macOS may write it
        "日本語のパッケージ.pkg",
        "📦 tools.pkg",
        "name.with.dots.pkg",
        ".hidden.pkg",
        "a",
        "x" * MAX_FILE_NAME_BYTES,
        "é" * 127 + "x",  # 255 bytes of UTF-8 exactly
    ],
)
def test_plain_names_are_returned_unchanged(name: str) -> None:
    assert validate_file_name(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("dir/file.pkg", "path separator"),
        ("/abs.pkg", "path separator"),
        ("dir\\file.pkg", "path separator"),
        ("..", "'..'"),
        ("a..b.pkg", "'..'"),
        (".", "current directory"),
        ("nul\x00.pkg", "control characters"),
        ("tab\there.pkg", "control characters"),
        ("line\nbreak.pkg", "control characters"),
        ("carriage\rreturn.pkg", "control characters"),
        ("del\x7f.pkg", "control characters"),
        ("rtl\u202eoverride.pkg", "control characters"),
        ("zero\u200bwidth.pkg", "control characters"),
        ("para\u2029sep.pkg", "control characters"),
        (" leading.pkg", "white space"),
        ("trailing.pkg ", "white space"),
        (" ", "white space"),
        ("x" * (MAX_FILE_NAME_BYTES + 1), "longer than 255 bytes"),
        ("é" * 128, "longer than 255 bytes"),  # 128 characters, 256 bytes
    ],
)
def test_unsafe_names_are_refused_with_the_reason(name: str, reason: str) -> None:
    with pytest.raises(InvalidFileNameError) as caught:
        validate_file_name(name)

    assert caught.value.file_name == name
    assert reason in caught.value.reason
    assert repr(name) in str(caught.value)


def test_invalid_file_name_is_a_jcds2_error() -> None:
    with pytest.raises(Jcds2Error):
        validate_file_name("../etc/passwd")
