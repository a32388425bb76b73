"""``jcds2 upload --dry-run`` and ``jcds2 rm --dry-run``: what would happen, changing nothing.

Each file's plan comes from the library (``client.jcds2.plan_upload``, ``plan_remove``),
which only reads. The exit code is the one the real command would have where it can be
told beforehand: 3 when a package already uses a file name (and ``--on-exists`` allows
neither a skip nor a replace), 1 for a file the guardrails refuse or another failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from jcds2 import Jcds2Error
from jcds2.cli.output import (
    EXIT_EXISTS,
    EXIT_FAILURE,
    EXIT_IN_USE,
    EXIT_OK,
    error_message,
    exit_code_for,
    plain,
    worst,
)
from jcds2.domain.plans import PlannedAction, RemovePlan, UploadPlan
from jcds2.errors import ConfigurationError

if TYPE_CHECKING:
    from jcds2.cli.session import Session


def upload(session: Session) -> int:
    args = session.args
    options: dict[str, Any] = {
        "category": args.category,
        "create_category": args.create_category,
        "info": args.info,
        "notes": args.notes,
        "priority": 10 if args.priority is None else args.priority,
        "on_exists": args.on_exists,
        "require_signed": args.require_signed,
    }
    if len(args.files) == 1:
        options["package_name"] = args.package_name
    codes = []
    seen: dict[str, str] = {}
    with session.client(route=session.settings.route) as client:
        facade = client.jcds2
        # A file share is reported as the jcds route, as the upload itself reports it.
        route = "jcds" if facade.route == "file_share" else facade.route
        for path in args.files:
            data = {"command": "upload", "dry_run": True, "path": path, "route": route}
            try:
                first = seen.setdefault(Path(path).name, path)
                if first != path:
                    raise ConfigurationError(
                        f"{path} has the same file name as {first}, earlier in the batch; "
                        "one file name makes one package"
                    )
                plan = facade.plan_upload(path, **options)
            except Jcds2Error as exc:
                session.output.error(exc, path, **data, status="failed")
                codes.append(exit_code_for(exc))
                continue
            session.output.result(
                f"{path}: {upload_text(plan, route)}",
                plain(plan) | data | {"status": "planned"},
            )
            codes.append(_upload_code(plan))
    return worst(codes)


def _upload_code(plan: UploadPlan) -> int:
    if plan.action is not PlannedAction.FAIL:
        return EXIT_OK
    return EXIT_EXISTS if plan.conflict == "file_name" else EXIT_FAILURE


def upload_text(plan: UploadPlan, route: str) -> str:
    """One line for a plan: what would happen, the category, what the guardrails found."""
    package = f"package {plan.package_id} {plan.package_name!r}"
    if plan.action is PlannedAction.CREATE:
        what = f"would upload {plan.size} bytes and create package {plan.package_name!r}"
    elif plan.action is PlannedAction.SKIP:
        what = f"would skip: {package} already has this file"
    elif plan.action is PlannedAction.REPLACE:
        what = f"would replace the file of {package} ({plan.size} bytes)"
    else:
        # The reason as the upload's error would say it, advice phrased for the shell.
        what = f"would fail: {error_message(Jcds2Error(plan.reason or '')).rstrip('.')}"
    return f"{what}; route {route}; {_category_text(plan)}; {plan.check.describe()}"


def _category_text(plan: UploadPlan) -> str:
    if plan.action in (PlannedAction.SKIP, PlannedAction.FAIL) and plan.package_id is not None:
        return "the package keeps its category"
    if plan.category is None:
        return "no category"
    if plan.create_category:
        return f"category {plan.category!r} (would be created)"
    kept = " (the package keeps its own)" if plan.action is PlannedAction.REPLACE else ""
    return f"category {plan.category!r} (id {plan.category_id}){kept}"


def remove(session: Session) -> int:
    codes = []
    with session.client() as client:
        for name in session.args.names:
            data = {"command": "rm", "dry_run": True, "file_name": name}
            try:
                plan = client.jcds2.plan_remove(name, force=session.args.force)
            except Jcds2Error as exc:
                session.output.error(exc, name, **data, status="failed")
                codes.append(exit_code_for(exc))
                continue
            if plan.refusal is not None:
                session.output.result(
                    remove_text(plan), _remove_data(plan) | data | {"status": "refused"}
                )
                codes.append(EXIT_IN_USE)
                continue
            session.output.result(
                remove_text(plan), _remove_data(plan) | data | {"status": "planned"}
            )
            codes.append(EXIT_OK)
    return worst(codes)


def _remove_data(plan: RemovePlan) -> dict[str, Any]:
    """The plan as JSON: ``users`` and ``refusal`` only where there are any, so that the
    objects of a removal that goes ahead stay as they were before usage was read."""
    data = plain(plan)
    if not plan.users:
        del data["users"]
    if plan.refusal is None:
        del data["refusal"]
    return data


def remove_text(plan: RemovePlan) -> str:
    """One line: what ``jcds2 rm`` would delete, or why it would refuse."""
    if plan.refusal is not None:
        return "would refuse: " + error_message(Jcds2Error(plan.refusal))
    package = (
        None if plan.package_id is None else f"package {plan.package_id} {plan.package_name!r}"
    )
    if package is None:
        return f"would delete {plan.file_name} (no package uses it)"
    if not plan.file_exists:
        return f"would delete {package} (its file {plan.file_name} is not listed)"
    return f"would delete {plan.file_name} and {package}"
