"""Audit the distribution point in one pass: orphan files, missing files, files whose hash is
not the recorded one, transfers in ERROR or PENDING for long, and what uses each package.

Reads: the package records (a request per page), the distribution point's files (the same),
its transfer inventory (the same) and what uses the packages (``PackageUsers``). A package
still ``PENDING`` is looked at again, alone, every ``pending_poll`` seconds for up to
``pending_wait`` seconds; only one still ``PENDING`` then is stuck. ``fix`` removes orphan
files, ``remove_unused`` (with ``fix``) the packages nothing uses; nothing else is changed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import attrs

from jcds2.application.ports import (
    DistributionInventory,
    FileStore,
    PackageCatalog,
    PackageRepository,
    PackageUsers,
)
from jcds2.domain.audit import AuditedPackage, AuditReport, Finding
from jcds2.domain.errors import JamfApiError, RemoteFileNotFoundError
from jcds2.domain.models import HashType, Package, RemoteFile
from jcds2.domain.status import DistributionStatus, distribution_status

#: How long a PENDING package is given to settle before it counts as stuck, and how often
#: it is looked at meanwhile: a small package takes Jamf Pro seconds to a few minutes.
DEFAULT_PENDING_WAIT, DEFAULT_PENDING_POLL = 60.0, 5.0


def hash_mismatch(package: Package, remote: RemoteFile) -> tuple[str, str, str] | None:
    """``(hash type, recorded, file's)`` when the hash ``package`` records differs from the
    one the distribution point lists for its file (SHA3-512 or MD5, as the package records
    it); ``None`` when they agree or cannot be compared."""
    if not package.hash_type or not package.hash_value:
        return None
    listed = {HashType.SHA3_512.value: remote.sha3_512, HashType.MD5.value: remote.md5}
    found = listed.get(package.hash_type.upper())
    if not found:
        return None
    recorded = package.hash_value.lower()
    if recorded == found.lower():
        return None
    return package.hash_type.upper(), recorded, found.lower()


@attrs.frozen
class AuditDistributionPoint:
    """The audit (see the module's docstring); a :class:`~jcds2.domain.audit.AuditReport`."""

    catalog: PackageCatalog
    files: FileStore
    inventory: DistributionInventory
    users: PackageUsers
    packages: PackageRepository
    sleep: Callable[[float], object] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def __call__(
        self,
        *,
        pending_wait: float = DEFAULT_PENDING_WAIT,
        pending_poll: float = DEFAULT_PENDING_POLL,
        fix: bool = False,
        remove_unused: bool = False,
    ) -> AuditReport:
        records = self.catalog.list_packages()
        stored = {remote.file_name: remote for remote in self.files.list_files()}
        pending = self._stuck(records, pending_wait, pending_poll)
        usage_error = None
        try:
            usage = self.users.package_usage()
        except JamfApiError as exc:
            usage, usage_error = {}, str(exc)
        audited = []
        for package in records:
            findings = []
            remote = stored.get(package.file_name)
            mismatch = None if remote is None else hash_mismatch(package, remote)
            if remote is None:
                findings.append(Finding.MISSING_FILE)
            if mismatch is not None:
                findings.append(Finding.HASH_MISMATCH)
            if pending.get(package.id) is DistributionStatus.ERROR:
                findings.append(Finding.TRANSFER_ERROR)
            if pending.get(package.id) is DistributionStatus.PENDING:
                findings.append(Finding.STUCK_PENDING)
            audited.append(
                AuditedPackage(
                    package_id=package.id,
                    package_name=package.name,
                    file_name=package.file_name,
                    findings=tuple(findings),
                    users=tuple(usage.get(package.id, ())),
                    hash_type=None if mismatch is None else mismatch[0],
                    recorded_hash=None if mismatch is None else mismatch[1],
                    file_hash=None if mismatch is None else mismatch[2],
                )
            )
        used_files = {package.file_name for package in records}
        report = AuditReport(
            orphan_files=tuple(sorted(set(stored) - used_files)),
            packages=tuple(audited),
            pending_wait=pending_wait,
            usage_error=usage_error,
        )
        return self._fix(report, remove_unused) if fix else report

    def _stuck(
        self, records: list[Package], wait: float, poll: float
    ) -> dict[int, DistributionStatus]:
        """Packages in ERROR, and those still PENDING after ``wait`` seconds, by id."""
        inventory = self.inventory.file_inventory()
        found = {package.id: distribution_status(package, inventory) for package in records}
        bad = (DistributionStatus.ERROR, DistributionStatus.PENDING)
        found = {key: value for key, value in found.items() if value in bad}
        deadline = self.clock() + wait
        while any(s is DistributionStatus.PENDING for s in found.values()):
            left = deadline - self.clock()
            if left <= 0:
                break
            self.sleep(min(poll, left))
            names = [p.name for p in records if found.get(p.id) is DistributionStatus.PENDING]
            again = self.catalog.list_packages(names)
            files = self.inventory.file_inventory([package.file_name for package in again])
            for package in again:
                if found.get(package.id) is DistributionStatus.PENDING:
                    status = distribution_status(package, files)
                    if status in bad:
                        found[package.id] = status
                    else:
                        del found[package.id]
        return found

    def _fix(self, report: AuditReport, remove_unused: bool) -> AuditReport:
        """Remove the orphan files and, if asked, the unused packages (with their files).

        Each is checked again at the moment of removing, since the world went on after
        the report: an orphan that a package took meanwhile stays, and so does a package
        a policy or PreStage started using (what uses them is read once more, before
        anything is removed; a failure to read it raises and removes nothing)."""
        unused = report.unused if remove_unused else ()
        # ``unused`` is empty when usage could not be read: nothing is removed on a guess.
        used_now = self.users.package_usage() if unused else {}
        removed_files = []
        for file_name in report.orphan_files:
            if self.packages.find_by_file_name(file_name) is not None:
                continue  # a package was made for it meanwhile: no longer an orphan
            # Gone meanwhile is as good as removed.
            with contextlib.suppress(RemoteFileNotFoundError):
                self.files.delete(file_name)
            removed_files.append(file_name)
        removed_packages = []
        for package in unused:
            if package.package_id in used_now:
                continue
            self.packages.delete(package.package_id)
            removed_packages.append(package.package_id)
        return attrs.evolve(
            report,
            removed_files=tuple(removed_files),
            removed_packages=tuple(removed_packages),
        )
