"""``jcds2 audit``: what is wrong on the distribution point, and what uses each package.

One line per finding (a table; ``--json``: one JSON document, the whole report). Exit 0 when
nothing is left to report, :data:`EXIT_FINDINGS` when something is, 1 when the audit could
not run (or ``--unused`` was asked and what uses the packages could not be read).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jcds2.cli.output import EXIT_FAILURE, EXIT_OK, plain
from jcds2.cli.table import aligned
from jcds2.domain.audit import AuditedPackage, AuditReport, Finding
from jcds2.errors import UsageError

if TYPE_CHECKING:
    from jcds2.cli.session import Session

#: The audit found something (left after ``--fix``): orphan files, packages with a missing
#: or different file, transfers in ERROR or stuck PENDING, and with ``--unused``, unused
#: packages.
EXIT_FINDINGS = 7
DEFAULT_PENDING_WAIT = 60.0

_HEADER = ("FINDING", "ID", "FILE", "PACKAGE", "USED BY")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds >= 0")
    return value


def add_parser(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``audit`` with ``command`` (the parser's sub-command factory)."""
    parser = command(
        "audit",
        "find orphan files, missing or altered files, stuck transfers, and what uses packages",
        "Report, in one pass: files on the distribution point that no package uses "
        "(orphan_file), packages whose file is missing (missing_file) or whose file's hash "
        "is not the one the package records (hash_mismatch, SHA3-512 or MD5), transfers in "
        "ERROR (transfer_error) or still PENDING after --pending-wait seconds "
        "(stuck_pending), and which policies and computer PreStages use each package. "
        "--fix removes the orphan files; with --unused --yes also the packages nothing "
        "uses. Nothing else is ever changed.",
    )
    parser.epilog = f"{parser.epilog}; audit: {EXIT_FINDINGS} something was found"
    parser.add_argument("--unused", action="store_true", help="also list the packages nothing uses")
    parser.add_argument(
        "--fix",
        action="store_true",
        help="remove the orphan files (and with --unused --yes, the unused packages)",
    )
    parser.add_argument(
        "-y", "--yes", action="store_true", help="with --fix --unused: delete unused packages"
    )
    parser.add_argument(
        "--pending-wait",
        type=_seconds,
        default=DEFAULT_PENDING_WAIT,
        metavar="SECONDS",
        help="how long a PENDING transfer may settle before it counts as stuck "
        f"(default: {DEFAULT_PENDING_WAIT:g})",
    )


def audit(session: Session) -> int:
    """Run ``jcds2 audit``."""
    args = session.args
    if args.fix and args.unused and not args.yes:
        raise UsageError("not deleting unused packages without confirmation: pass --yes")
    with session.client() as client:
        report = client.audit(
            pending_wait=args.pending_wait, fix=args.fix, remove_unused=args.unused and args.yes
        )
    output = session.output
    if output.json:
        output.result("", {"command": "audit", **_data(report, unused=args.unused)})
    else:
        _print(session, report, unused=args.unused)
    if report.usage_error is not None:
        output.note(f"jcds2: could not read what uses the packages: {report.usage_error}")
        if args.unused:
            return EXIT_FAILURE
    left = report.problems
    if args.unused:
        left += sum(1 for p in report.unused if p.package_id not in report.removed_packages)
    return EXIT_FINDINGS if left else EXIT_OK


def _users(package: AuditedPackage) -> str:
    return ", ".join(str(user) for user in package.users) or "-"


def _rows(report: AuditReport, *, unused: bool) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [
        ("orphan_file", "-", name, "-", "-") for name in report.orphan_files
    ]
    for package in report.packages:
        for finding in package.findings:
            rows.append(
                (
                    finding.value,
                    str(package.package_id),
                    package.file_name,
                    package.package_name,
                    _users(package),
                )
            )
    if unused:
        rows.extend(
            ("unused", str(p.package_id), p.file_name, p.package_name, "-") for p in report.unused
        )
    return rows


def _print(session: Session, report: AuditReport, *, unused: bool) -> None:
    output = session.output
    rows = _rows(report, unused=unused)
    if rows:
        for line in aligned([_HEADER, *rows], frozenset({1})):
            output.result(line, {})
    for name in report.removed_files:
        output.result(f"removed orphan file {name}", {})
    for package_id in report.removed_packages:
        output.result(f"removed unused package {package_id} and its file", {})
    counts = {f.value: len(report.with_finding(f)) for f in Finding}
    counts["orphan_file"] = len(report.orphan_files)
    summary = ", ".join(f"{count} {name}" for name, count in counts.items() if count)
    used = sum(1 for p in report.packages if p.users)
    if output.quiet:
        return
    count = len(report.packages)
    output.note(
        f"jcds2: {count} package{'' if count == 1 else 's'} ({used} in use), "
        f"{summary or 'no problems found'}"
    )


def _data(report: AuditReport, *, unused: bool) -> dict[str, Any]:
    data = plain(report)
    if unused:
        data["unused"] = [p.package_id for p in report.unused]
    data["problems"] = report.problems
    return data
