"""``jcds2 sync SOURCE DEST...``: make distribution points hold the same files.

Exit 0 when every destination is in sync after the run (with ``--dry-run``: already is),
else :data:`EXIT_NOT_IN_SYNC`: a file failed, a deletion was refused, a destination could
not be reached (or, with ``--dry-run``, there is something to do).
"""

from __future__ import annotations

import argparse
import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from jcds2.cli import completion
from jcds2.cli.errors import UsageError
from jcds2.cli.output import ADVICE_FOR_THE_SHELL, EXIT_OK
from jcds2.cli.table import human_size
from jcds2.domain.sync import (
    CHANGES,
    DEFAULT_WORKERS,
    Endpoint,
    PointKind,
    StepResult,
    SyncAction,
    SyncPlan,
    SyncReport,
)

#: A destination is not in sync: a file failed, a deletion was refused, a destination
#: could not be reached; with --dry-run: there is something to do.
EXIT_NOT_IN_SYNC = 7

_PAST = {
    SyncAction.COPY: "copied",
    SyncAction.REPLACE: "replaced",
    SyncAction.DELETE: "deleted",
    SyncAction.KEEP: "kept",
    SyncAction.REFUSE: "refused",
}

if TYPE_CHECKING:
    from jcds2.cli.session import Session


def add_parser(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``sync`` with ``command`` (the parser's sub-command factory)."""
    parser = command(
        "sync",
        "make distribution points hold the same files as a source",
        "Make each DEST hold the files SOURCE holds, compared by content (size and "
        "SHA3-512 or MD5, computed locally for folders and shares and remembered between "
        "runs; never size and date alone). A point is `jcds` (the server's cloud "
        "distribution point: every file gets its package, a changed file replaces its "
        "package's file and keeps the package id), `share:PATH` (a mounted file share, "
        "its Packages folder) or a folder's path. Run it again to finish an interrupted "
        "sync. --file-share is not used: name a share as share:PATH.",
    )
    parser.epilog = (
        f"{parser.epilog}; sync: {EXIT_NOT_IN_SYNC} a destination is not in sync (a file "
        "failed, a deletion was refused, a destination was unreachable; with --dry-run: "
        "something to do)"
    )
    source = parser.add_argument("source", metavar="SOURCE", help="jcds, share:PATH or a folder")
    source.complete = completion.DIRECTORY  # type: ignore[attr-defined]
    destinations = parser.add_argument(
        "destinations", nargs="+", metavar="DEST", help="jcds, share:PATH or a folder"
    )
    destinations.complete = completion.DIRECTORY  # type: ignore[attr-defined]
    parser.add_argument(
        "--delete",
        action="store_true",
        help="delete from each DEST what SOURCE does not hold; never a file on the JCDS or "
        "a share whose package a policy or PreStage uses, unless --force",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="with --delete: delete files whose package is in use (or whose use could not "
        "be checked) too",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (copy, replace, delete, keep, refuse) and change nothing",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=DEFAULT_WORKERS,
        metavar="N",
        help=f"files transferred at once (default: {DEFAULT_WORKERS})",
    )


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 16:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 16")
    return int(text)


def sync(session: Session) -> int:
    """Run ``jcds2 sync``."""
    args = session.args
    points = [Endpoint.parse(args.source), *(Endpoint.parse(d) for d in args.destinations)]
    if args.force and not args.delete:
        raise UsageError("--force goes with --delete: it lets a deletion take a file in use")
    printer = _Printer(session)
    # Without a server, folders and shares still sync; a share's deletions are then refused
    # (what uses its packages cannot be checked) unless --force.
    if session.settings.server is None and all(p.kind is not PointKind.JCDS for p in points):
        from jcds2.container.client import sync_folders  # noqa: PLC0415

        report = _run(session, printer, sync_folders, points)
        return _finish(session, printer, report)
    # sync names its shares itself (share:PATH): the client's own route is the JCDS.
    local = attrs.evolve(session, settings=attrs.evolve(session.settings, file_share=None))
    with local.client(route=session.settings.route) as client:
        report = _run(session, printer, client.sync, points)
    return _finish(session, printer, report)


def _run(
    session: Session,
    printer: _Printer,
    run: Callable[..., SyncReport],
    points: list[Endpoint],
) -> SyncReport:
    args = session.args
    stack = contextlib.ExitStack()
    bars: list[Callable[[int], None]] = []

    def on_plan(plan: SyncPlan) -> None:
        printer.plan(plan)
        total = sum(
            step.size or 0
            for destination in plan.destinations
            for step in destination.steps
            if step.action in (SyncAction.COPY, SyncAction.REPLACE)
        )
        if total and not args.dry_run:  # one overall bar: the bytes of every file
            bars.append(stack.enter_context(session.bars.file("sync", total)))

    def progress(count: int) -> None:
        if bars:
            bars[0](count)

    with session.bars.logging(), stack:
        return run(
            points[0],
            *points[1:],
            delete=args.delete,
            dry_run=args.dry_run,
            force=args.force,
            workers=args.workers,
            progress=progress,
            on_plan=on_plan,
            on_result=None if args.dry_run else printer.result,
        )


def _finish(session: Session, printer: _Printer, report: SyncReport) -> int:
    printer.summary(report)
    return EXIT_OK if report.in_sync else EXIT_NOT_IN_SYNC


class _Printer:
    """One line per change or refusal (the keeps are counted, not listed), a summary per
    destination; JSON objects with ``--json`` (one per file, keeps included)."""

    def __init__(self, session: Session) -> None:
        self._output = session.output
        self._dry_run = bool(session.args.dry_run)
        self._lock = threading.Lock()  # results come from the worker threads

    def plan(self, plan: SyncPlan) -> None:
        for destination in plan.destinations:
            if destination.error is not None:
                self._output.note(f"jcds2: skipping {destination.destination}: {destination.error}")
        if not self._dry_run:
            return
        for destination in plan.destinations:
            for step in destination.steps:
                self._step(StepResult(destination.destination, step))

    def result(self, result: StepResult) -> None:
        with self._lock:
            self._step(result)

    def _step(self, result: StepResult) -> None:
        step = result.step
        data = {"command": "sync", "dry_run": self._dry_run, **result.as_json()}
        if step.action is SyncAction.KEEP:
            if self._output.json:
                self._output.result("", data)
            return
        size = "" if step.size is None else f" ({human_size(step.size)})"
        text = f"{step.action.value:<8} {step.file_name}{size} -> {result.destination}"
        if step.action is SyncAction.REFUSE:
            text += f": {_for_the_shell(step.reason or '')}"
            data["reason"] = _for_the_shell(step.reason or "")
        elif result.error is not None:
            text = f"failed   {step.file_name} -> {result.destination}: {result.error}"
        if self._dry_run and step.action in CHANGES:
            text = "would " + text
        self._output.result(text, data)

    def summary(self, report: SyncReport) -> None:
        for destination in report.plan.destinations:
            failed = sum(
                1
                for result in report.results
                if result.destination == destination.destination and result.error is not None
            )
            counts = {action: destination.count(action) for action in SyncAction}
            data = {
                "command": "sync",
                "summary": True,
                "source": str(report.plan.source),
                "destination": str(destination.destination),
                "dry_run": report.dry_run,
                "error": destination.error,
                "counts": {action.value: count for action, count in counts.items()},
                "failed": failed,
                "in_sync": destination.in_sync
                if report.dry_run
                else destination.error is None and failed == 0 and not counts[SyncAction.REFUSE],
            }
            if destination.error is not None:
                text = f"{destination.destination}: not reached"
            else:
                verb = "to " if report.dry_run else ""
                done = ", ".join(
                    f"{count} {verb}{_PAST[action] if not report.dry_run else action.value}"
                    for action, count in counts.items()
                    if count
                )
                text = f"{destination.destination}: {done or 'empty'}"
                if failed:
                    text += f", {failed} failed"
            self._output.result(text, data)


def _for_the_shell(text: str) -> str:
    for library, shell in ADVICE_FOR_THE_SHELL:
        text = text.replace(library, shell)
    return text
