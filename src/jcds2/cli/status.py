"""``jcds2 status [NAME...]``: where packages stand on the distribution point, watched on
request until every one is settled.

Exit 0 when every package is ``READY`` (on a file share: its file is there), else
:data:`EXIT_NOT_READY`: a package in ``ERROR``, without its file, not found, or still
``PENDING`` when ``--watch`` gave up (or was not asked for).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from jcds2 import CancelToken
from jcds2.cli.output import EXIT_OK, plain
from jcds2.cli.table import aligned, human_size, is_terminal, widths
from jcds2.domain.status import DistributionStatus, PackageStatus

if TYPE_CHECKING:
    from jcds2.cli.session import Session

#: A package is not READY: in ERROR, without its file, not found, or not settled in time.
EXIT_NOT_READY = 5
#: ``--watch``'s defaults: a look every 10 s, for an hour at most (a large package can take
#: Jamf Pro well over 20 minutes to take in).
DEFAULT_INTERVAL, DEFAULT_TIMEOUT = 10.0, 3600.0

_HEADER = ("STATUS", "ID", "SIZE", "HASH", "FILE", "PACKAGE")


def _seconds(minimum: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or value < minimum:
            raise argparse.ArgumentTypeError(f"{text} is not a number of seconds >= {minimum:g}")
        return value

    return parse


def add_parser(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``status`` with ``command`` (the parser's sub-command factory)."""
    parser = command(
        "status",
        "show packages and their files' transfer status",
        "Show each package's id, file, size and hash, and the distribution point's transfer "
        "status of its file: READY, PENDING, ERROR, NO_FILE (the distribution point does not "
        "hold it), NO_PACKAGE (no package has that name or file name) or NOT_APPLICABLE (a "
        "file share, which has no transfers). With --watch, look again until every package "
        "is settled (anything but PENDING).",
    )
    parser.epilog = (
        f"{parser.epilog}; status: {EXIT_NOT_READY} a package is not READY (ERROR, NO_FILE, "
        "NO_PACKAGE, or still PENDING)"
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="package names or file names (default: every package)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="look again every --interval seconds until every package is settled, printing "
        "each change",
    )
    parser.add_argument(
        "--interval",
        type=_seconds(0.01),
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between looks with --watch (default: {DEFAULT_INTERVAL:g})",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds(0),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long --watch waits for every package to settle (default: {DEFAULT_TIMEOUT:g})",
    )


def status(session: Session) -> int:
    """Run ``jcds2 status``. Between looks --watch waits on a cancel token (never
    cancelled), a wait that a Ctrl-C interrupts at once (exit 130, as every command)."""
    args = session.args
    names: list[str] | None = args.names or None
    pause = CancelToken()
    deadline = time.monotonic() + args.timeout
    printer = _Printer(session, exact=not is_terminal(session.output.stdout))
    printed: dict[tuple[str, int | None], PackageStatus] = {}
    with session.client() as client:
        while True:
            statuses = client.packages.status(names)
            changed = [s for s in statuses if printed.get((s.name, s.package_id)) != s]
            printer.show(changed)
            printed.update({(s.name, s.package_id): s for s in changed})
            unsettled = [s for s in statuses if not s.settled]
            if not args.watch or not unsettled:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                session.output.note(
                    f"jcds2: {_count(len(unsettled))} still PENDING after {args.timeout:g} s: "
                    f"{', '.join(s.name for s in unsettled)}"
                )
                break
            pause.wait(min(args.interval, left))
    if not statuses and names is None and not session.output.json and not session.output.quiet:
        session.output.note("jcds2: Jamf Pro has no packages")
    return EXIT_OK if all(s.ok for s in statuses) else EXIT_NOT_READY


def _count(number: int) -> str:
    return f"{number} package" + ("" if number == 1 else "s")


class _Printer:
    """Prints statuses: a table on a terminal (sizes in units) or in a pipe (bytes), the
    header once; JSON objects with ``--json``."""

    def __init__(self, session: Session, *, exact: bool) -> None:
        self._output = session.output
        self._exact = exact
        self._widths: list[int] = []

    def show(self, statuses: Sequence[PackageStatus]) -> None:
        if not statuses:
            return
        rows = [_HEADER, *(_row(s, exact=self._exact) for s in statuses)]
        first = not self._widths
        self._widths = widths(rows, self._widths)
        lines = aligned(rows, frozenset({1, 2}), self._widths)
        if first and not self._output.json and not self._output.quiet:
            print(lines[0], file=self._output.stdout, flush=True)
        for line, item in zip(lines[1:], statuses, strict=True):
            self._output.result(line, _data(item))


def _row(item: PackageStatus, *, exact: bool) -> tuple[str, ...]:
    if item.status is DistributionStatus.NO_PACKAGE:
        return (item.status.value, "-", "-", "-", "-", item.name)
    size = "-" if item.size is None else str(item.size) if exact else human_size(item.size)
    hashed = "-"
    if item.hash_type and item.hash_value:
        hashed = f"{item.hash_type} {item.hash_value[:16]}…"
    return (
        item.status.value,
        str(item.package_id),
        size,
        hashed,
        item.file_name or "-",
        item.package_name or "-",
    )


def _data(item: PackageStatus) -> dict[str, Any]:
    return {"command": "status", **plain(item), "settled": item.settled}
