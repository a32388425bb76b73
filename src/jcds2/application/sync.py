"""Use-case: keep distribution points in sync (``jcds2 sync SOURCE DEST...``).

Two halves (ADR 0029): :meth:`SyncDistributionPoints.plan` only reads (one listing of
each point: a request per page on the JCDS, cached hashes on folders) and decides per
file with :func:`~jcds2.domain.sync.plan_destination`; executing runs the plan's
changes, each an idempotent step (an upload that replaces, a verified copy renamed into
place, a resumable download), so that a sync interrupted is finished by running it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from jcds2.application.cancel import CancelToken
from jcds2.application.concurrency import run_all
from jcds2.application.download import DownloadFile
from jcds2.application.ports import (
    FileStore,
    PackageCatalog,
    PackageUsers,
    ProgressCallback,
    SyncFolder,
)
from jcds2.application.remote_files import RemoveFile
from jcds2.application.upload import UploadPackageFile
from jcds2.domain.errors import (
    DistributionPointUnavailableError,
    IntegrityError,
    Jcds2Error,
    UsageError,
)
from jcds2.domain.models import OnExists
from jcds2.domain.sync import (
    CHANGES,
    DEFAULT_WORKERS,
    DestinationPlan,
    Endpoint,
    PointFile,
    PointKind,
    StepResult,
    SyncAction,
    SyncPlan,
    SyncReport,
    SyncStep,
    plan_destination,
)
from jcds2.domain.usage import PackageUsage

log = logging.getLogger("jcds2.sync")

#: Builds the folder adapter of a ``share:`` or folder endpoint.
FolderOpener = Callable[[Endpoint], SyncFolder]


@attrs.frozen
class CloudPoint:
    """The server's cloud distribution point as a sync sees it: its files, its packages,
    and the use-cases that upload (every file gets its package), download (resumable,
    verified) and remove (the package with its file). ``users`` says what uses each
    package; ``None``: unknown, and deletions are refused without ``force``."""

    files: FileStore
    catalog: PackageCatalog
    upload: UploadPackageFile
    download: DownloadFile
    remove: RemoveFile
    users: PackageUsers | None = None

    def list(self) -> list[PointFile]:
        """Every file with its size, the MD5 the JCDS lists, the SHA3-512 of its package
        and the package's id: one request for the files, one per page of packages."""
        packages = {package.file_name: package for package in self.catalog.list_packages()}
        listed: list[PointFile] = []
        for remote in self.files.list_files():
            package = packages.get(remote.file_name)
            sha3 = remote.sha3_512
            if sha3 is None and package is not None:
                sha3 = package.digests().get("sha3_512")
            listed.append(
                PointFile(
                    remote.file_name,
                    remote.size,
                    md5=remote.md5,
                    sha3_512=sha3,
                    package_id=None if package is None else package.id,
                )
            )
        return sorted(listed, key=lambda entry: entry.file_name)

    def package_ids(self) -> dict[str, int]:
        return {package.file_name: package.id for package in self.catalog.list_packages()}


@attrs.frozen
class _Listed:
    endpoint: Endpoint
    files: list[PointFile] | None
    error: str | None = None


@attrs.define
class SyncDistributionPoints:
    """Make each destination hold what the source holds, compared by content.

    ``folders`` opens a ``share:`` or folder endpoint; ``cloud`` is the JCDS (``None``: a
    sync without a server, of folders and shares only; deleting from a share then is
    refused without ``force``, since what uses its packages cannot be checked). At most
    ``workers`` files move at once. A destination that cannot be reached is reported in
    the plan (``DestinationPlan.error``) and skipped; an unreachable source raises
    ``DistributionPointUnavailableError``.
    """

    folders: FolderOpener
    #: The JCDS, or what builds it when a point first needs it (connecting to the server
    #: then, so that a server that does not answer is one unreachable point among others).
    cloud: CloudPoint | Callable[[], CloudPoint] | None = None
    workers: int = DEFAULT_WORKERS
    clock: Callable[[], float] = time.monotonic
    _open: dict[Endpoint, SyncFolder] = attrs.field(factory=dict, init=False, repr=False)
    _built: CloudPoint | None = attrs.field(default=None, init=False, repr=False)

    def _cloud(self) -> CloudPoint:
        if self._built is None:
            assert self.cloud is not None
            self._built = self.cloud if isinstance(self.cloud, CloudPoint) else self.cloud()
        return self._built

    # -- plan -------------------------------------------------------------------------

    def plan(
        self,
        source: Endpoint | str,
        destinations: Sequence[Endpoint | str],
        *,
        delete: bool = False,
        force: bool = False,
    ) -> SyncPlan:
        """What a sync would do; reads only."""
        return self._plan(source, destinations, delete=delete, force=force)[0]

    def _plan(
        self,
        source: Endpoint | str,
        destinations: Sequence[Endpoint | str],
        *,
        delete: bool,
        force: bool,
    ) -> tuple[SyncPlan, list[PointFile]]:
        source, targets = self._endpoints(source, destinations)
        listed = self._list(source, create=False)
        if listed.files is None:
            raise DistributionPointUnavailableError(str(source), listed.error or "unknown")
        plans: list[DestinationPlan] = []
        usage: PackageUsage | None = None
        usage_read = False
        for target in targets:
            held = self._list(target, create=True)
            if held.files is None:
                plans.append(DestinationPlan(target, error=held.error))
                continue
            protected = target.kind is not PointKind.FOLDER
            files = held.files
            needs_usage = delete and not force and protected
            if needs_usage and not usage_read:
                usage, usage_read = self._usage(), True
            if needs_usage and target.kind is PointKind.SHARE:
                files = self._with_package_ids(files)
            plans.append(
                plan_destination(
                    target,
                    listed.files,
                    files,
                    delete=delete,
                    force=force,
                    usage=usage,
                    protected=protected,
                )
            )
        return SyncPlan(source, tuple(plans), delete=delete, force=force), listed.files

    def _endpoints(
        self, source: Endpoint | str, destinations: Sequence[Endpoint | str]
    ) -> tuple[Endpoint, list[Endpoint]]:
        start = source if isinstance(source, Endpoint) else Endpoint.parse(source)
        targets = [d if isinstance(d, Endpoint) else Endpoint.parse(d) for d in destinations]
        if not targets:
            raise UsageError("sync needs at least one DEST")
        for target in targets:
            if target == start:
                raise UsageError(f"{target} is the source: a point cannot be synced to itself")
        if len(set(targets)) != len(targets):
            raise UsageError("a DEST is given twice")
        if PointKind.JCDS in {start.kind, *(t.kind for t in targets)} and self.cloud is None:
            raise UsageError("syncing with jcds needs a Jamf Pro server (no server is set)")
        return start, targets

    def _folder(self, endpoint: Endpoint) -> SyncFolder:
        if endpoint not in self._open:
            self._open[endpoint] = self.folders(endpoint)
        return self._open[endpoint]

    def _list(self, endpoint: Endpoint, *, create: bool) -> _Listed:
        try:
            if endpoint.kind is PointKind.JCDS:
                return _Listed(endpoint, self._cloud().list())
            folder = self._folder(endpoint)
            folder.check(create=create)
            return _Listed(endpoint, folder.list_hashed())
        except DistributionPointUnavailableError as exc:
            log.info("cannot list %s: %s", endpoint, exc)
            return _Listed(endpoint, None, exc.reason)
        except Jcds2Error as exc:
            log.info("cannot list %s: %s", endpoint, exc)
            return _Listed(endpoint, None, str(exc))

    def _usage(self) -> PackageUsage | None:
        if self.cloud is None:
            return None
        try:
            users = self._cloud().users
            return None if users is None else users.package_usage()
        except Jcds2Error as exc:
            log.warning("could not read what uses the packages: %s", exc)
            return None

    def _with_package_ids(self, files: list[PointFile]) -> list[PointFile]:
        if self.cloud is None:
            return files
        try:
            ids = self._cloud().package_ids()
        except Jcds2Error as exc:
            log.warning("could not read the packages: %s", exc)
            return files
        return [attrs.evolve(entry, package_id=ids.get(entry.file_name)) for entry in files]

    # -- execute ----------------------------------------------------------------------

    def __call__(
        self,
        source: Endpoint | str,
        *destinations: Endpoint | str,
        delete: bool = False,
        dry_run: bool = False,
        force: bool = False,
        progress: ProgressCallback | None = None,
        on_plan: Callable[[SyncPlan], None] | None = None,
        on_result: Callable[[StepResult], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> SyncReport:
        """Plan, then (unless ``dry_run``) carry out every change; a failed step is
        reported in its :class:`~jcds2.domain.sync.StepResult` and the others go on.
        ``progress`` gets the bytes moved (of every file), ``on_plan`` the plan before
        anything changes, ``on_result`` each step as it ends (from worker threads)."""
        plan, listed = self._plan(source, destinations, delete=delete, force=force)
        if on_plan is not None:
            on_plan(plan)
        if dry_run:
            return SyncReport(plan, self._as_planned(plan), dry_run=True)
        token = cancel or CancelToken()
        context = _Context(
            plan.source,
            {entry.file_name: entry for entry in listed},
            _checking(progress, token),
            on_result,
            token,
            force=plan.force,
        )
        tasks: list[Callable[[], StepResult]] = []
        finished: list[StepResult] = []
        for destination in plan.destinations:
            for step in destination.steps:
                if step.action in CHANGES:
                    tasks.append(self._task(context, destination.destination, step))
                else:
                    finished.append(StepResult(destination.destination, step))
        # An interrupt cancels the token: uploads and copies stop and clean up, downloads
        # stop at their next range (their .part is kept for the next run).
        done = run_all(tasks, workers=self.workers, cancel=token, name="jcds2-sync", grace=None)
        if on_result is not None:
            for result in finished:
                on_result(result)
        results = finished + done
        return SyncReport(plan, tuple(sorted(results, key=_order)))

    @staticmethod
    def _as_planned(plan: SyncPlan) -> tuple[StepResult, ...]:
        return tuple(
            StepResult(destination.destination, step)
            for destination in plan.destinations
            for step in destination.steps
        )

    def _task(
        self, context: _Context, destination: Endpoint, step: SyncStep
    ) -> Callable[[], StepResult]:
        def run() -> StepResult:
            started = self.clock()
            error: str | None = None
            try:
                self._apply(context, destination, step)
            except Jcds2Error as exc:
                error = str(exc)
                log.info(
                    "%s %s at %s failed: %s", step.action.value, step.file_name, destination, exc
                )
            else:
                log.info("%s %s at %s", step.action.value, step.file_name, destination)
            result = StepResult(destination, step, error, self.clock() - started)
            if context.on_result is not None:
                context.on_result(result)
            return result

        return run

    def _apply(self, context: _Context, destination: Endpoint, step: SyncStep) -> None:
        name, source, progress = step.file_name, context.source, context.progress
        expected = context.sources.get(name)
        if step.action is SyncAction.DELETE:
            if destination.kind is PointKind.JCDS:
                # Checked again at the moment of deleting: a policy may use it since the plan.
                self._cloud().remove(name, force=context.force)
            else:
                self._folder(destination).delete(name)
            return
        if expected is None:  # the plan came from this listing: cannot happen
            raise IntegrityError(f"{name!r} is no longer listed at {source}")
        if destination.kind is PointKind.JCDS:
            path = self._folder(source).path_of(name)
            result = self._cloud().upload(
                path, on_exists=OnExists.REPLACE, progress=progress, cancel=context.cancel
            )
            if expected.sha3_512 and result.sha3_512 and result.sha3_512 != expected.sha3_512:
                raise IntegrityError(
                    f"{name!r} changed at {source} while it was synced; run the sync again"
                )
            return
        folder = self._folder(destination)
        if source.kind is PointKind.JCDS:
            downloaded = self._cloud().download(
                name, folder.staging(), overwrite=True, resume=True, progress=progress
            )
            folder.install(name, downloaded.path, expected)
            return
        source_path = Path(self._folder(source).path_of(name))
        folder.copy_in(name, source_path, expected, progress, context.cancel)


@attrs.frozen
class _Context:
    """What every step of one run shares."""

    source: Endpoint
    sources: dict[str, PointFile]
    progress: ProgressCallback
    on_result: Callable[[StepResult], None] | None
    cancel: CancelToken
    #: Deletions go ahead even where a policy or PreStage uses the package.
    force: bool = False


def _checking(progress: ProgressCallback | None, cancel: CancelToken) -> ProgressCallback:
    """``progress``, raising ``TransferCancelledError`` once ``cancel`` is cancelled: how a
    download, which takes no token, is stopped between two ranges."""

    def report(count: int) -> None:
        cancel.check()
        if progress is not None:
            progress(count)

    return report


def _order(result: StepResult) -> tuple[str, str]:
    return str(result.destination), result.step.file_name
