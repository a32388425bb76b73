"""``jcds2 edit``: change a package's settings without uploading its file again."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jcds2 import EditResult
from jcds2.cli.errors import UsageError
from jcds2.cli.output import EXIT_OK

#: The settings that are flags: ``--NAME`` sets, ``--no-NAME`` clears; with their help.
_FLAGS = (
    ("reboot_required", "computers must restart after installing it"),
    ("fill_user_template", "fill new users' home folders from the package's Users folder"),
    ("fill_existing_users", "fill existing users' home folders likewise"),
    ("os_install", "the package is a macOS installer"),
    ("suppress_updates", "suppress software updates during the install"),
    ("suppress_from_dock", "keep the installed app out of the Dock"),
    ("suppress_eula", "suppress the licence agreement"),
    ("suppress_registration", "suppress the registration"),
)
#: The settings that take a value, with their metavar and help.
_VALUES = (
    ("package_name", "NAME", "a new display name"),
    (
        "category",
        "CATEGORY",
        "the category, by name (as Settings > Categories shows it) or id; 'No category "
        "assigned' or -1 for none",
    ),
    ("info", "TEXT", "the info text ('' clears it)"),
    ("notes", "TEXT", "the notes ('' clears them)"),
    ("os_requirements", "TEXT", "the OS requirements, e.g. '14.x, 15.x' ('' clears them)"),
)

if TYPE_CHECKING:
    from jcds2.cli.session import Session
SETTINGS = (*(name for name, *_ in _VALUES), "priority", *(name for name, _ in _FLAGS))


def add_arguments(parser: argparse.ArgumentParser, priority: Callable[[str], int]) -> None:
    """The arguments of ``jcds2 edit``; ``priority`` parses a priority (1-20)."""
    parser.add_argument(
        "package", metavar="NAME", help="the package's display name or file name (or id: --id)"
    )
    parser.add_argument("--id", action="store_true", help="NAME is the package's id")
    for name, metavar, help_text in _VALUES:
        parser.add_argument(_flag(name), metavar=metavar, help=help_text)
    parser.add_argument("--priority", type=priority, metavar="1-20", help="the priority")
    for name, help_text in _FLAGS:
        parser.add_argument(
            _flag(name), action=argparse.BooleanOptionalAction, default=None, help=help_text
        )
    parser.add_argument(
        "--create-category",
        action="store_true",
        help="create the --category named if Jamf Pro has none of that name",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would change (old -> new) and change nothing",
    )


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def edit(session: Session) -> int:
    args = session.args
    fields = {name: getattr(args, name) for name in SETTINGS}
    if all(value is None for value in fields.values()):
        raise UsageError(
            "give at least one setting to change, e.g. --category NAME or --priority N "
            "(jcds2 edit --help lists them)"
        )
    if args.create_category and args.category is None:
        raise UsageError("--create-category creates the --category named: give --category NAME")
    package: int | str = args.package
    if args.id:
        if not args.package.isdigit():
            raise UsageError(f"--id takes a package's id, a whole number, not {args.package!r}")
        package = int(args.package)
    with session.client() as client:
        result = client.packages.update(
            package, create_category=args.create_category, dry_run=args.dry_run, **fields
        )
    _report(session, result)
    return EXIT_OK


def _report(session: Session, result: EditResult) -> None:
    package = result.package
    subject = f"package {package.id} {package.name!r}"
    if not result.changed:
        lines = [f"{subject} already has these settings: nothing to change"]
        status = "unchanged"
    else:
        if result.dry_run:
            status, head = "would change", f"would change {subject} (dry run: nothing sent)"
        else:
            status, head = "changed", f"changed {subject}"
        lines = [head + ":"]
        lines += [f"  {c.field}: {_shown(c.old)} → {_shown(c.new)}" for c in result.changes]
    data: dict[str, Any] = {
        "command": "edit",
        "package_id": package.id,
        "package_name": package.name,
        "file_name": package.file_name,
        "status": status,
        "dry_run": result.dry_run,
        "changes": [
            {"field": change.field, "old": change.old, "new": change.new}
            for change in result.changes
        ],
        "refreshed": result.refreshed,
    }
    if session.output.json:
        session.output.result("", data)
        return
    for line in lines:  # one at a time: a line break inside one would be escaped
        session.output.result(line, data)


def _shown(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return repr(value)
    return str(value)
