"""Use-case: upload a local file to the distribution point and register it as a package."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import attrs

from jcds2.application.cancel import CancelToken
from jcds2.application.categories import CategoryLookup, CategoryValue, look_up_category
from jcds2.application.edit import EditPackage
from jcds2.application.guardrails import check_package
from jcds2.application.local_files import inspect_upload_source
from jcds2.application.ports import (
    CategoryDirectory,
    FailedUploads,
    FileStore,
    ObjectUploader,
    PackageRepository,
    PackageSettingsStore,
    PhaseCallback,
    ProgressCallback,
)
from jcds2.application.remote_files import same_file
from jcds2.application.retry import Retrying
from jcds2.application.upload_orders import FileFirst, Job, Placed, UploadOrder, tell_phase
from jcds2.domain.errors import (
    ConfigurationError,
    Jcds2Error,
    PackageExistsError,
    PackageNameTakenError,
)
from jcds2.domain.flat_package import PackageCheck
from jcds2.domain.models import (
    Category,
    HashType,
    LocalFile,
    OnExists,
    Package,
    PackageSpec,
    UploadResult,
)
from jcds2.domain.names import validate_file_name
from jcds2.domain.package_settings import EditResult
from jcds2.domain.plans import PlannedAction, UploadPlan
from jcds2.domain.progress import UploadEvent, UploadPhase
from jcds2.domain.transfer import TransferConfig

log = logging.getLogger("jcds2.upload")

#: The priority of a new package when none is given (Jamf Pro's default).
DEFAULT_PRIORITY = 10


def _on_exists(value: OnExists | str) -> OnExists:
    return OnExists.parse(value)


@attrs.frozen
class UploadOptions:
    """How to upload one file: the new package's details and the call's behaviour.

    ``package_name`` defaults to the file name. ``on_exists`` says what happens when a
    package already uses the file name (see :class:`~jcds2.domain.models.OnExists`).
    ``category``: a category's name, its id (``5`` or ``"5"``) or a
    :class:`~jcds2.domain.models.Category`; ``None``, ``"-1"`` or ``"No category
    assigned"`` for none. An unknown category raises ``UnknownCategoryError`` before a
    byte is sent, unless ``create_category`` and it is a name: it is then created.
    ``priority`` is 10 for a new package when not given. When a package already uses
    the file name and the upload skips it or replaces its file, the package options
    given (``package_name``, ``category``, ``info``, ``notes``, ``priority``; ``None``:
    not given) are written to it, changing only those
    (:class:`~jcds2.application.edit.EditPackage`).
    ``verify``: wait until the distribution point confirms the file. ``progress`` is
    called with byte counts as they are sent; ``on_phase`` with an
    :class:`~jcds2.domain.progress.UploadEvent` when the upload starts hashing, sending
    or verifying, and at each look at the server while verifying; ``cancel`` stops the
    upload.
    ``require_signed``: a ``.pkg`` (or ``.mpkg``) must carry a signature
    (``UnsignedPackageError`` otherwise); the file type and a flat package's format are
    checked whatever it says (``PackageCheckError``), before anything is asked of the server.
    """

    package_name: str | None = None
    category: CategoryValue = None
    create_category: bool = False
    info: str | None = None
    notes: str | None = None
    priority: int | None = None
    on_exists: OnExists = attrs.field(default=OnExists.FAIL, converter=_on_exists)
    verify: bool = True
    progress: ProgressCallback | None = None
    cancel: CancelToken | None = None
    on_phase: PhaseCallback | None = None
    require_signed: bool = False


@attrs.define
class UploadPackageFile:
    """Upload a file and make it usable in policies as a package.

    First the guardrails (``jcds2.application.guardrails.check_package``): a file
    type Jamf Pro takes, a well-formed flat package, a signature if asked; a file that fails
    them raises a ``PackageCheckError`` before any request. A file name a package already
    uses is handled as ``on_exists`` says; a taken package name is refused before a byte is
    sent. Then ``order`` brings the file and its package into being
    (:class:`~jcds2.application.upload_orders.FileFirst` or ``PackageFirst``), each send
    confirmed by the distribution point, and cleans up after a failure: no file is left
    without its package, no package made by this call without its file. ``plan``
    tells what a call would do, and changes nothing.

    The category is looked up in ``categories`` first (one request), and a missing one
    made (when asked) only once a package is about to be made or its file replaced.
    Without ``categories`` the category goes to ``packages`` as given.

    A package's upload the distribution point did not confirm is marked failed in
    ``failures`` (Jamf's ``fail-upload``) before the clean-up, where given.
    """

    packages: PackageRepository
    files: FileStore
    uploader: ObjectUploader
    config: TransferConfig = attrs.field(factory=TransferConfig)
    clock: Callable[[], float] = time.monotonic
    #: Waits between looks at an uploaded file; ``None``: sleep (cut short by ``cancel``).
    sleep: Callable[[float], None] | None = None
    order: UploadOrder = attrs.field(factory=FileFirst)
    categories: CategoryDirectory | None = None
    #: Writes the package options to an existing package; ``None``: an ``EditPackage``
    #: over ``packages`` (which must then be a ``PackageSettingsStore`` too).
    edit: EditPackage | None = None
    failures: FailedUploads | None = None

    def __call__(
        self,
        file_path: str | os.PathLike[str],
        options: UploadOptions | None = None,
        **changes: Any,
    ) -> UploadResult:
        """Upload ``file_path`` with ``options`` (or the defaults), changed by ``changes``
        (keywords named like the fields of :class:`UploadOptions`)."""
        started = self.clock()
        options = attrs.evolve(options or UploadOptions(), **changes)
        source, check = self._check(file_path, options)
        file_name = source.name
        category = self._look_up_category(options)
        spec = self._spec(options, file_name, category)
        job = Job(
            spec=spec,
            source=source,
            packages=self.packages,
            files=self.files,
            uploader=self.uploader,
            config=self.config,
            verify=options.verify,
            progress=options.progress,
            retrying=Retrying.of(self.config, options.cancel or CancelToken(), self.sleep),
            cleanup=Retrying.of(self.config),
            clock=self.clock,
            on_phase=options.on_phase,
            failures=self.failures,
        )
        flags: dict[str, Any] = {}
        decision = self._decide(spec, source, options.on_exists, options.on_phase)
        if decision.error is not None:
            raise decision.error
        if decision.action is PlannedAction.CREATE:
            job.spec = self._settle(category, spec)
            placed = self.order.new(job)
        elif decision.action is PlannedAction.SKIP:
            assert decision.placed is not None
            assert decision.package is not None
            placed, flags = decision.placed, {"skipped": True}
            log.info(
                "%s: package %d already has this file; skipped", file_name, decision.package.id
            )
        else:
            assert decision.package is not None
            job.spec = self._settle(category, spec)
            placed = self.order.replace(job, decision.package)
            log.info("replaced the file of package %d (%s)", decision.package.id, file_name)
            flags = {"replaced": True}
        if decision.package is not None:
            edited = self._apply_options(decision.package, options, category)
            if edited is not None and edited.written:
                flags["changed_fields"] = tuple(change.field for change in edited.changes)
                placed = attrs.evolve(placed, package=edited.package)
        tell_phase(options.on_phase, UploadEvent(file_name, UploadPhase.DONE))
        return UploadResult(
            package_id=placed.package.id,
            package_name=placed.package.name,
            file_name=file_name,
            size=source.size,
            hash_type=placed.hash_type,
            hash_value=placed.hash_value,
            elapsed_seconds=self.clock() - started,
            multipart=job.multipart,
            verified=job.verified,
            # A skip matched by SHA3-512 computed it too (nothing was sent to hash it).
            sha3_512=job.digests.get("sha3_512")
            or (placed.hash_value if placed.hash_type is HashType.SHA3_512 else None),
            signed_by=check.signed_by,
            **flags,
        )

    def _apply_options(
        self, existing: Package, options: UploadOptions, lookup: CategoryLookup
    ) -> EditResult | None:
        """Write the package options given to ``existing`` (``None``: none were given)."""
        fields: dict[str, Any] = {
            "package_name": options.package_name,
            "info": options.info,
            "notes": options.notes,
            "priority": options.priority,
            # The category found (not looked up again), else as given: a name to create.
            "category": options.category if lookup.found is None else lookup.found,
        }
        if all(value is None for value in fields.values()):
            return None
        edit = self.edit or self._own_edit()
        result = edit(
            existing, fields, create_category=options.create_category, cancel=options.cancel
        )
        if result.written:
            log.info(
                "%s: changed %s of package %d",
                existing.file_name,
                ", ".join(change.field for change in result.changes),
                existing.id,
            )
        return result

    def _own_edit(self) -> EditPackage:
        if not isinstance(self.packages, PackageSettingsStore):
            raise ConfigurationError(
                f"{type(self.packages).__name__} cannot change the settings of a package: "
                "give UploadPackageFile an EditPackage, or leave the package options out"
            )
        return EditPackage(
            packages=self.packages,
            settings=self.packages,
            categories=self.categories,
            files=self.files,
            config=self.config,
            clock=self.clock,
            sleep=self.sleep,
        )

    def check(
        self, file_path: str | os.PathLike[str], options: UploadOptions | None = None
    ) -> PackageCheck:
        """The guardrails alone, for ``file_path``: what they found, or the
        ``LocalFileError`` (a ``PackageCheckError`` among them) an upload would raise.
        Reads the local file only."""
        return self._check(file_path, options or UploadOptions())[1]

    def plan(
        self,
        file_path: str | os.PathLike[str],
        options: UploadOptions | None = None,
        **changes: Any,
    ) -> UploadPlan:
        """What this call with these arguments would do, found by reading only: no
        package, file or category is made, changed or sent (``route`` is left empty for
        the caller). Raises what the upload would raise before it looks at the packages:
        a ``LocalFileError`` (the guardrails'), ``InvalidFileNameError``,
        ``UnknownCategoryError``; a package conflict is the plan's ``fail``."""
        options = attrs.evolve(options or UploadOptions(), **changes)
        source, check = self._check(file_path, options)
        lookup = self._look_up_category(options)
        spec = self._spec(options, source.name, lookup)
        decision = self._decide(spec, source, options.on_exists)
        package = decision.package
        conflict = None
        if isinstance(decision.error, PackageExistsError):
            conflict = "file_name"
        elif decision.error is not None:
            conflict = "package_name"
        creating = decision.action in (PlannedAction.CREATE, PlannedAction.REPLACE)
        return UploadPlan(
            path=source.path,
            file_name=source.name,
            size=source.size,
            route="",
            action=decision.action,
            package_name=spec.name if package is None else package.name,
            package_id=None if package is None else package.id,
            category=lookup.missing or spec.category,
            category_id=spec.category_id,
            create_category=creating and lookup.missing is not None,
            check=check,
            conflict=conflict,
            reason=None if decision.error is None else str(decision.error),
        )

    def _check(
        self, file_path: str | os.PathLike[str], options: UploadOptions
    ) -> tuple[LocalFile, PackageCheck]:
        return check_upload_source(file_path, require_signed=options.require_signed)

    def _spec(self, options: UploadOptions, file_name: str, lookup: CategoryLookup) -> PackageSpec:
        return PackageSpec(
            name=options.package_name or file_name,
            file_name=file_name,
            **_category_fields(lookup.found, options.category, self.categories is None),
            info=options.info,
            notes=options.notes,
            priority=DEFAULT_PRIORITY if options.priority is None else options.priority,
        )

    def _decide(
        self,
        spec: PackageSpec,
        source: LocalFile,
        mode: OnExists,
        on_phase: PhaseCallback | None = None,
    ) -> _Decision:
        """What to do with ``source``, by the packages the server has now (reads only)."""
        file_name = spec.file_name
        existing = self.packages.find_by_file_name(file_name)
        if existing is None:
            taken = self.packages.find_by_name(spec.name)
            if taken is not None and taken.file_name == file_name:
                # Made since the look-up above: another upload of this file name, just now.
                error: Jcds2Error = PackageExistsError(file_name, taken.id, taken.name)
                return _Decision(PlannedAction.FAIL, taken, error)
            if taken is not None:  # better said now than after sending gigabytes
                error = PackageNameTakenError(
                    f"a package named {spec.name!r} already exists (id {taken.id}, file "
                    f"{taken.file_name!r}). Choose another package name.",
                    operation=f"creating package {spec.name!r} for {file_name!r}",
                )
                return _Decision(PlannedAction.FAIL, taken, error)
            return _Decision(PlannedAction.CREATE)
        try:
            unchanged = _unchanged(existing, source, mode, on_phase)
        except PackageExistsError as exc:
            return _Decision(PlannedAction.FAIL, existing, exc)
        if unchanged is not None:
            return _Decision(PlannedAction.SKIP, existing, placed=unchanged)
        return _Decision(PlannedAction.REPLACE, existing)

    def _look_up_category(self, options: UploadOptions) -> CategoryLookup:
        if self.categories is None:
            return CategoryLookup()
        return look_up_category(self.categories, options.category, create=options.create_category)

    def _settle(self, lookup: CategoryLookup, spec: PackageSpec) -> PackageSpec:
        """``spec`` with the category it names created, if it was missing."""
        if lookup.missing is None or self.categories is None:
            return spec
        made = lookup.settle(self.categories)
        log.info("created category %r", lookup.missing)
        return attrs.evolve(spec, **_category_fields(made, None, False))


def check_upload_source(
    file_path: str | os.PathLike[str], *, require_signed: bool = False
) -> tuple[LocalFile, PackageCheck]:
    """The file at ``file_path`` checked for upload, without a request: a regular,
    readable, non-empty file (``LocalFileError``) with a valid JCDS file name
    (``InvalidFileNameError``) that passes the guardrails (``PackageCheckError``)."""
    source = inspect_upload_source(file_path)
    validate_file_name(source.name)
    return source, check_package(source, require_signed=require_signed)


@attrs.frozen
class _Decision:
    """What an upload does with a file: ``action`` on ``package`` (the existing one, if
    any); ``error``, the one a ``fail`` raises; ``placed``, where a ``skip`` leaves it."""

    action: PlannedAction
    package: Package | None = None
    error: Jcds2Error | None = None
    placed: Placed | None = None


def _category_fields(
    found: Category | None, given: CategoryValue, unresolved: bool
) -> dict[str, Any]:
    """``category`` and ``category_id`` of a spec: the category found, or, when nothing
    resolves categories, the one ``given`` as it is (as text)."""
    if unresolved:
        if not isinstance(given, Category):
            return {"category": None if given is None else str(given), "category_id": None}
        found = given
    if found is None:
        return {"category": None, "category_id": None}
    return {"category": found.name, "category_id": found.id}


def _unchanged(
    existing: Package, source: LocalFile, mode: OnExists, on_phase: PhaseCallback | None
) -> Placed | None:
    """``existing`` as it is, when its file is ``source`` and ``mode`` allows a skip;
    ``None`` to replace its file; ``PackageExistsError`` when ``mode`` allows neither."""
    if mode is OnExists.FAIL:
        raise PackageExistsError(source.name, existing.id, existing.name)
    tell_phase(on_phase, UploadEvent(source.name, UploadPhase.HASHING))
    same, algorithm = same_file(existing, source)
    if same:
        hash_type = next(t for t in HashType if t.algorithm == algorithm)
        return Placed(existing, hash_type, existing.digests()[hash_type.algorithm])
    if mode is OnExists.REPLACE:
        return None
    raise PackageExistsError(
        source.name,
        existing.id,
        existing.name,
        detail=(
            "Its file differs from the local one; upload with on_exists='replace' to replace it."
            if same is False
            else "Jamf Pro reports no hash for its file, so it cannot be told "
            "whether it is the same file; use on_exists='replace' to replace it."
        ),
    )
