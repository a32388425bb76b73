"""Keeping distribution points in sync: where files are, what a sync would do, what it did.

The plan is pure: :func:`plan_destination` compares a source's listing with a
destination's by content (size and every hash both sides report; size and date alone
never decide) and says, per file, copy, replace, delete, keep or refuse. Execution is the
application's (``jcds2.application.sync``).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from jcds2.domain.errors import UsageError
from jcds2.domain.usage import PackageUsage

#: Files transferred at once across all destinations, by default.
DEFAULT_WORKERS = 4


class PointKind(str, enum.Enum):
    """The kinds of places a sync reads from and writes to."""

    JCDS = "jcds"  # the server's cloud distribution point: files and their packages
    SHARE = "share"  # a mounted file-share distribution point: its Packages folder
    FOLDER = "folder"  # a plain local folder: a build output, a mirror


@attrs.frozen
class Endpoint:
    """A sync's source or destination: ``jcds``, ``share:PATH`` or a folder's path."""

    kind: PointKind
    path: str | None = None

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        """``jcds``; ``share:PATH`` (the share's mount point, holding ``Packages``); a
        folder's path otherwise (``folder:PATH`` for a folder literally named ``jcds``)."""
        if text == "jcds":
            return cls(PointKind.JCDS)
        for prefix, kind in (("share:", PointKind.SHARE), ("folder:", PointKind.FOLDER)):
            if text.startswith(prefix):
                path = text[len(prefix) :]
                if not path:
                    raise UsageError(f"{text!r} names no path: write {prefix}PATH")
                return cls(kind, path)
        if not text:
            raise UsageError("an empty SOURCE or DEST: give jcds, share:PATH or a folder")
        return cls(PointKind.FOLDER, text)

    def __str__(self) -> str:
        if self.kind is PointKind.JCDS:
            return "jcds"
        return f"{self.kind.value}:{self.path}"


@attrs.frozen
class PointFile:
    """One file of a distribution point as a sync sees it: its size and the hashes known
    (computed locally for folders and shares; as the server lists them for the JCDS), and
    the id of the package that uses it, where the server has one."""

    file_name: str
    size: int
    md5: str | None = None
    sha3_512: str | None = None
    package_id: int | None = None


def same_content(a: PointFile, b: PointFile) -> bool:
    """Whether ``a`` and ``b`` are the same bytes: equal sizes and equal values for every
    hash both report, and at least one such hash. Without a common hash it is not known,
    and not the same: size (or date) alone never decides."""
    if a.size != b.size:
        return False
    common = [
        (x, y)
        for x, y in ((a.sha3_512, b.sha3_512), (a.md5, b.md5))
        if x is not None and y is not None
    ]
    return bool(common) and all(x.lower() == y.lower() for x, y in common)


class SyncAction(str, enum.Enum):
    """What a sync does with one file at one destination."""

    COPY = "copy"  # new at the source
    REPLACE = "replace"  # at both, different content
    DELETE = "delete"  # absent at the source, and --delete
    KEEP = "keep"  # the same content at both
    REFUSE = "refuse"  # a deletion that is not safe (its package is in use, or unknown)


#: The actions that change a destination.
CHANGES = frozenset({SyncAction.COPY, SyncAction.REPLACE, SyncAction.DELETE})


@attrs.frozen
class SyncStep:
    """One file's decision at one destination; ``reason`` says why for a refusal."""

    file_name: str
    action: SyncAction
    size: int | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "action": self.action.value,
            "size": self.size,
            "reason": self.reason,
        }


@attrs.frozen
class DestinationPlan:
    """What a sync would do at one destination; ``error`` when it could not be looked at
    (not mounted, a server that does not answer): it is then skipped."""

    destination: Endpoint
    steps: tuple[SyncStep, ...] = ()
    error: str | None = None

    def count(self, action: SyncAction) -> int:
        return sum(1 for step in self.steps if step.action is action)

    @property
    def changes(self) -> tuple[SyncStep, ...]:
        return tuple(step for step in self.steps if step.action in CHANGES)

    @property
    def in_sync(self) -> bool:
        """Nothing to do, nothing refused, and it could be looked at."""
        return self.error is None and all(step.action is SyncAction.KEEP for step in self.steps)

    def as_json(self) -> dict[str, Any]:
        return {
            "destination": str(self.destination),
            "error": self.error,
            "counts": {action.value: self.count(action) for action in SyncAction},
            "steps": [step.as_json() for step in self.steps],
        }


@attrs.frozen
class SyncPlan:
    """What ``jcds2 sync SOURCE DEST...`` would do: one
    :class:`~jcds2.domain.sync.DestinationPlan` per destination."""

    source: Endpoint
    destinations: tuple[DestinationPlan, ...]
    delete: bool = False
    force: bool = False

    @property
    def in_sync(self) -> bool:
        return all(plan.in_sync for plan in self.destinations)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "delete": self.delete,
            "force": self.force,
            "in_sync": self.in_sync,
            "destinations": [plan.as_json() for plan in self.destinations],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_json(), indent=2, sort_keys=True)


@attrs.frozen
class StepResult:
    """What became of one planned step: ``error`` is ``None`` once it is done (a keep or a
    refusal is reported as planned)."""

    destination: Endpoint
    step: SyncStep
    error: str | None = None
    elapsed_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.step.action is not SyncAction.REFUSE

    def as_json(self) -> dict[str, Any]:
        return {
            "destination": str(self.destination),
            **self.step.as_json(),
            "ok": self.ok,
            "error": self.error,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }


@attrs.frozen
class SyncReport:
    """What a sync did: its plan and one :class:`~jcds2.domain.sync.StepResult` per step
    (keeps included)."""

    plan: SyncPlan
    results: tuple[StepResult, ...]
    dry_run: bool = False

    @property
    def in_sync(self) -> bool:
        """Every destination was reached and holds what the source holds (a refused
        deletion, a failed step or a dry run with work to do is not in sync)."""
        if self.dry_run:
            return self.plan.in_sync
        reached = all(plan.error is None for plan in self.plan.destinations)
        return reached and all(result.ok for result in self.results)

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan.as_json(),
            "dry_run": self.dry_run,
            "in_sync": self.in_sync,
            "results": [result.as_json() for result in self.results],
        }


def plan_destination(
    destination: Endpoint,
    source_files: Iterable[PointFile],
    destination_files: Iterable[PointFile],
    *,
    delete: bool,
    force: bool = False,
    usage: PackageUsage | None = None,
    protected: bool = False,
) -> DestinationPlan:
    """Compare ``source_files`` with ``destination_files`` and decide, file by file.

    ``protected``: the destination is a distribution point whose deletions must not take
    a file a policy or PreStage uses. ``usage`` is what uses each package (``None``: it
    could not be read, so every such deletion is refused); ``force`` deletes anyway.
    Steps come sorted by file name.
    """
    source = {entry.file_name: entry for entry in source_files}
    held: Mapping[str, PointFile] = {entry.file_name: entry for entry in destination_files}
    steps: list[SyncStep] = []
    for name in sorted(source.keys() | held.keys()):
        want, have = source.get(name), held.get(name)
        if want is not None and have is None:
            steps.append(SyncStep(name, SyncAction.COPY, want.size))
        elif want is not None and have is not None:
            same = same_content(want, have)
            steps.append(SyncStep(name, SyncAction.KEEP if same else SyncAction.REPLACE, want.size))
        elif have is not None and delete:
            steps.append(_deletion(have, force=force, usage=usage, protected=protected))
    return DestinationPlan(destination, tuple(steps))


def _deletion(
    have: PointFile, *, force: bool, usage: PackageUsage | None, protected: bool
) -> SyncStep:
    name = have.file_name
    if force or not protected:
        return SyncStep(name, SyncAction.DELETE, have.size)
    if usage is None:
        return SyncStep(
            name,
            SyncAction.REFUSE,
            have.size,
            "could not check whether a policy or PreStage uses it; force=True deletes anyway",
        )
    users = usage.get(have.package_id, ()) if have.package_id is not None else ()
    if users:
        named = ", ".join(str(user) for user in users)
        return SyncStep(
            name, SyncAction.REFUSE, have.size, f"in use by {named}; force=True deletes anyway"
        )
    return SyncStep(name, SyncAction.DELETE, have.size)
