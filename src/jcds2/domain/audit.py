"""What an audit of the distribution point found: files without a package, packages without
their file, with another file than recorded, stuck in a transfer, and what uses each."""

from __future__ import annotations

import enum

import attrs

from jcds2.domain.usage import PackageUser


class Finding(str, enum.Enum):
    """A problem with one package (an orphan file is not a package's problem)."""

    MISSING_FILE = "missing_file"  # the distribution point does not hold its file
    HASH_MISMATCH = "hash_mismatch"  # the file's hash is not the hash the package records
    TRANSFER_ERROR = "transfer_error"  # the transfer of its file failed (ERROR)
    STUCK_PENDING = "stuck_pending"  # still PENDING after the audit's pending wait


@attrs.frozen
class AuditedPackage:
    """One package as the audit saw it: its problems and the policies and PreStages that
    use it (``()``: nothing does, or what does could not be read; see the report's
    ``usage_error``)."""

    package_id: int
    package_name: str
    file_name: str
    findings: tuple[Finding, ...] = ()
    users: tuple[PackageUser, ...] = ()
    #: For a ``HASH_MISMATCH``: the algorithm compared, the recorded and the file's hash.
    hash_type: str | None = None
    recorded_hash: str | None = None
    file_hash: str | None = None


@attrs.frozen
class AuditReport:
    """Everything one audit found, and what ``fix`` removed.

    ``usage_error`` says why what uses the packages could not be read (then ``unused`` is
    empty: no package is called unused on a guess). ``pending_wait`` is how long a
    ``PENDING`` package was given to settle before it counted as stuck.
    """

    orphan_files: tuple[str, ...]
    packages: tuple[AuditedPackage, ...]
    pending_wait: float
    usage_error: str | None = None
    removed_files: tuple[str, ...] = ()
    removed_packages: tuple[int, ...] = ()

    def with_finding(self, finding: Finding) -> tuple[AuditedPackage, ...]:
        """The packages that have ``finding``."""
        return tuple(package for package in self.packages if finding in package.findings)

    @property
    def unused(self) -> tuple[AuditedPackage, ...]:
        """The packages no policy or PreStage uses (none when usage could not be read)."""
        if self.usage_error is not None:
            return ()
        return tuple(package for package in self.packages if not package.users)

    @property
    def problems(self) -> int:
        """How many problems remain: orphan files not removed, and package findings."""
        orphans = len(set(self.orphan_files) - set(self.removed_files))
        return orphans + sum(
            len(package.findings)
            for package in self.packages
            if package.package_id not in self.removed_packages
        )
