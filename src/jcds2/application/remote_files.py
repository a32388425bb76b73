"""Files already on the distribution point: remove one, compare one with a local file."""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from jcds2.application.local_files import hash_file
from jcds2.application.package_usage import refuse_if_used, users_of
from jcds2.application.ports import FileStore, PackageRepository, PackageUsers
from jcds2.domain.errors import (
    DeletionRefusedError,
    InvalidFileNameError,
    LocalFileNotFoundError,
    NoRemoteHashError,
    NotARegularFileError,
    PackageInUseError,
    RemoteFileNotFoundError,
    UnreadableFileError,
)
from jcds2.domain.models import FileComparison, LocalFile, Package
from jcds2.domain.plans import RemovePlan
from jcds2.domain.usage import PackageUser

#: Look-up order when comparing a local file with a package's: strongest first.
_PACKAGE_ALGORITHMS = ("sha3_512", "sha512", "md5")


def same_file(package: Package, source: LocalFile) -> tuple[bool | None, str | None]:
    """Whether ``package``'s file is ``source``, by the strongest hash the server reports
    for it (``None``: it reports none), and that hash's ``hashlib`` name."""
    reported = package.digests()
    for algorithm in _PACKAGE_ALGORITHMS:
        if algorithm in reported:
            if package.size is not None and package.size != source.size:
                return False, algorithm
            return hash_file(source.path, algorithm) == reported[algorithm], algorithm
    return None, None


@attrs.frozen
class RemoveFile:
    """Delete the package that uses a file (Jamf Pro removes the file with it), then the
    file itself if it is still there.

    Returns the package's id, or ``None`` when no package used the file. Raises
    ``RemoteFileNotFoundError`` when there is neither a package nor a file, and deletes
    nothing when a policy or PreStage uses the package (``PackageInUseError``) or what uses
    it cannot be read (``PackageUsageUnknownError``), unless ``force``.
    """

    packages: PackageRepository
    files: FileStore
    users: PackageUsers

    def __call__(self, file_name: str, *, force: bool = False) -> int | None:
        package = self.packages.find_by_file_name(file_name)
        if package is not None:
            if not force:
                refuse_if_used(self.users, package.id, package.name)
            self.packages.delete(package.id)
        try:
            self.files.delete(file_name)
        except RemoteFileNotFoundError:
            if package is None:
                raise
        return None if package is None else package.id

    def plan(self, file_name: str, *, force: bool = False) -> RemovePlan:
        """What a call would delete, found by reading only (the package that uses the file,
        whether the file is listed, and what uses the package); ``RemoteFileNotFoundError``
        when neither is there. A call that would refuse makes a plan whose ``refusal``
        says why (``force``: what uses the package is not read).
        """
        package = self.packages.find_by_file_name(file_name)
        listed = any(remote.file_name == file_name for remote in self.files.list_files())
        if package is None and not listed:
            raise RemoteFileNotFoundError(file_name)
        users: tuple[PackageUser, ...] = ()
        refusal = None
        if package is not None and not force:
            try:
                users = users_of(self.users, package.id, package.name)
                if users:
                    raise PackageInUseError(package.id, package.name, users)
            except DeletionRefusedError as exc:
                refusal = str(exc)
        return RemovePlan(
            file_name=file_name,
            file_exists=listed,
            package_id=None if package is None else package.id,
            package_name=None if package is None else package.name,
            users=users,
            refusal=refusal,
        )


@attrs.frozen
class VerifyFile:
    """Compare the distribution point's ``file_name`` with the local file ``path``.

    ``file_name`` is the name on the server: a path there (``InvalidFileNameError``) is
    a mistake for the local file's name, refused before anything is read or asked. The
    local file is checked next (``LocalFileError``), then looked up on the server
    (``RemoteFileNotFoundError``); a server that reports no hash for it yet raises
    ``NoRemoteHashError``. Sizes are compared before anything is hashed.
    """

    files: FileStore

    def __call__(self, file_name: str, path: str | os.PathLike[str]) -> FileComparison:
        if "/" in file_name or "\\" in file_name:
            raise InvalidFileNameError(file_name, "it contains a path separator")
        local = Path(path).expanduser()
        try:
            if not local.is_file():
                if local.exists():
                    raise NotARegularFileError(local)
                raise LocalFileNotFoundError(local)
            local_size = local.stat().st_size
        except OSError as exc:
            raise UnreadableFileError(local, exc.strerror or str(exc)) from exc
        remote = next((f for f in self.files.list_files() if f.file_name == file_name), None)
        if remote is None:
            raise RemoteFileNotFoundError(file_name)
        if remote.sha3_512:
            algorithm, label, remote_hash = "sha3_512", "SHA3-512", remote.sha3_512.lower()
        elif remote.md5:
            algorithm, label, remote_hash = "md5", "MD5", remote.md5.lower()
        else:
            raise NoRemoteHashError(file_name)
        return FileComparison(
            file_name=file_name,
            path=local,
            algorithm=label,
            remote_size=remote.size,
            local_size=local_size,
            remote_hash=remote_hash,
            local_hash=hash_file(local, algorithm) if local_size == remote.size else None,
        )
