"""Tables for people: aligned columns of text a server may have sent, and sizes in units."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from jcds2.domain.text import shown

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def human_size(size: int | None) -> str:
    """``size`` bytes as people read it: ``"512 B"``, ``"1.5 KiB"``, ``"10.9 GiB"``
    (powers of 1024, one decimal); ``"-"`` for an unknown size."""
    if size is None:
        return "-"
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        if value < 1024 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (a person reads it) rather than a pipe or a file."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def widths(rows: Sequence[Sequence[str]], least: Sequence[int] = ()) -> list[int]:
    """The width of each column of ``rows`` as printed, at least ``least`` (a table printed
    in parts keeps the widths of its earlier parts)."""
    found = [max(len(shown(row[column])) for row in rows) for column in range(len(rows[0]))]
    return [max(pair) for pair in zip(found, [*least, *[0] * len(found)], strict=False)]


def aligned(
    rows: Sequence[Sequence[str]],
    right: frozenset[int] = frozenset(),
    column_widths: Sequence[int] | None = None,
) -> list[str]:
    """``rows`` as lines of columns two spaces apart, each cell passed through
    :func:`~jcds2.domain.text.shown` first (so a name cannot drive the terminal, and the
    widths count what is printed); columns in ``right`` are right-aligned, and the last
    column is not padded. ``column_widths``: :func:`widths` of ``rows`` unless given."""
    sizes = list(column_widths) if column_widths is not None else widths(rows)
    lines = []
    for row in rows:
        cells = [shown(cell) for cell in row]
        parts = [
            cell.rjust(width) if column in right else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(cells, sizes, strict=True))
        ]
        if len(cells) - 1 not in right:
            parts[-1] = cells[-1]
        lines.append("  ".join(parts))
    return lines
