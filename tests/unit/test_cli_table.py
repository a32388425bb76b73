"""Tables for people: sizes in units, aligned columns, names made safe; the status options."""

from __future__ import annotations

import pytest

from jcds2.cli.parser import build_parser
from jcds2.cli.status import DEFAULT_INTERVAL, DEFAULT_TIMEOUT
from jcds2.cli.table import aligned, human_size, widths


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "-"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1_572_864, "1.5 MiB"),
        (10 * 1024**3 + 900 * 1024**2, "10.9 GiB"),
        (3 * 1024**5, "3.0 PiB"),
        (5 * 1024**6, "5120.0 PiB"),
    ],
)
def test_human_size(size: int | None, text: str) -> None:
    assert human_size(size) == text


def test_columns_are_aligned_and_names_cannot_drive_the_terminal() -> None:
    rows = [("SIZE", "NAME", "PACKAGE"), ("12", "evil\x1b[2J.pkg", "none"), ("1234", "a", "7 A")]
    shown_name = "evil\\x1b[2J.pkg"  # 15 characters as printed
    assert aligned(rows, right=frozenset({0})) == [
        f"SIZE  {'NAME':15}  PACKAGE",
        f"  12  {shown_name}  none",
        f"1234  {'a':15}  7 A",
    ]
    # A table printed in parts keeps the widths of its earlier parts.
    assert widths([("A", "B")], [3, 1]) == [3, 1]
    assert aligned([("A", "B")], column_widths=[3, 1]) == ["A    B"]


def test_status_options() -> None:
    parser = build_parser()
    args = parser.parse_args(["status"])
    assert (args.names, args.watch, args.interval, args.timeout) == (
        [],
        False,
        DEFAULT_INTERVAL,
        DEFAULT_TIMEOUT,
    )
    args = parser.parse_args(["status", "A.pkg", "B", "--watch", "--interval", "0.5"])
    assert (args.names, args.watch, args.interval) == (["A.pkg", "B"], True, 0.5)
    for option, value in (("--interval", "0"), ("--interval", "x"), ("--timeout", "nan")):
        with pytest.raises(SystemExit):
            parser.parse_args(["status", option, value])
