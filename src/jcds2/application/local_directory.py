"""The folder of a download's destination, used without trusting what is already in it.

Other users and processes may write in that folder too: a link planted where jcds2 will
write, a rival download, a destination that appears at the last moment. Every name here is
resolved relative to one open directory descriptor, never through a symbolic link; files
jcds2 makes are created with ``O_EXCL``; existing files are opened with ``O_NOFOLLOW`` and
checked to be regular files. Linux and macOS both provide ``openat``, ``renameat`` and
``linkat``, which Python's ``dir_fd`` arguments use. See ADR 0018.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import hashlib
import logging
import os
import secrets
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from jcds2.domain.errors import (
    DestinationError,
    DestinationExistsError,
    DownloadInProgressError,
    UnsafeDestinationFileError,
)
from jcds2.domain.names import MAX_FILE_NAME_BYTES

log = logging.getLogger("jcds2.download")

PART_SUFFIX = ".part"
RECORD_SUFFIX = ".part.json"
LOCK_SUFFIX = ".part.lock"
#: ``<stem>.part.json.<12 hex digits>``: the longest working name, a temporary record.
_LONGEST_SUFFIX = len(RECORD_SUFFIX) + 1 + 12
_STEM_BYTES = MAX_FILE_NAME_BYTES - _LONGEST_SUFFIX
_HASH_CHARS = 16

_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC
#: Never block on a named pipe planted in the place of a file.
_EXISTING = _NOFOLLOW | os.O_NONBLOCK
#: errno of an ``O_NOFOLLOW`` open of a symbolic link: ELOOP (Linux, macOS), EMLINK (BSDs).
_LINK_ERRNOS = frozenset({errno.ELOOP, errno.EMLINK})
#: errno values saying "this file system cannot do that", for which there is a fallback.
_UNSUPPORTED = frozenset(
    {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)}
)
_NO_HARD_LINKS = _UNSUPPORTED | {errno.EPERM, errno.EMLINK, errno.EXDEV}
_NO_LOCKS = _UNSUPPORTED | {errno.ENOLCK}
_RENAME_NOREPLACE = 1  # linux/fs.h


def working_stem(file_name: str) -> str:
    """What the working files of a download of ``file_name`` are named after.

    The name itself while ``<name>.part.json.<random>`` still fits in 255 bytes; for
    longer names the name cut to fit (at a character boundary), ``~`` and 16 hex digits of
    its SHA-256, so that each name keeps working files of its own that are still
    recognisable, and found again by the next call.
    """
    encoded = file_name.encode("utf-8")
    if len(encoded) <= _STEM_BYTES:
        return file_name
    digest = hashlib.sha256(encoded).hexdigest()[:_HASH_CHARS]
    kept = encoded[: _STEM_BYTES - 1 - _HASH_CHARS].decode("utf-8", "ignore")
    return f"{kept}~{digest}"


def flush(fd: int) -> None:
    """Make the bytes written to ``fd`` durable before anything written after this call.

    ``fdatasync`` where the OS has it, else ``fsync``. On macOS, ``fsync`` leaves the
    writes in the drive's cache in any order; ``F_BARRIERFSYNC`` orders them (what a
    resume record needs) without the cost of ``F_FULLFSYNC``, which is the fallback.
    """
    if sys.platform == "darwin":
        for command in (getattr(fcntl, "F_BARRIERFSYNC", 85), getattr(fcntl, "F_FULLFSYNC", 51)):
            try:
                fcntl.fcntl(fd, command)
            except OSError:
                continue
            return
    try:
        getattr(os, "fdatasync", os.fsync)(fd)
    except OSError as exc:
        if exc.errno not in _UNSUPPORTED:
            raise
        log.debug("the file system cannot sync: %s", exc.strerror)


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """Linux's ``renameat2`` from the C library, or ``None`` where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library older than glibc 2.28
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


class Directory:
    """The open folder of a destination; names are resolved in it, never through links."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)

    def __enter__(self) -> Directory:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        os.close(self.fd)

    def lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def create(self, name: str, mode: int = 0o644) -> int:
        """A new file ``name`` open for reading and writing; never an existing one."""
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW
        try:
            return os.open(name, flags, mode, dir_fd=self.fd)
        except FileExistsError:
            self._refuse_if_not_a_file(name)
            raise

    def create_temporary(self, prefix: str) -> tuple[str, int]:
        """A new file named ``<prefix>.<12 random hex digits>``, and its descriptor."""
        while True:
            name = f"{prefix}.{secrets.token_hex(6)}"
            try:
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
                return name, os.open(name, flags, 0o600, dir_fd=self.fd)
            except FileExistsError:
                continue  # a name someone else holds: draw another

    def open_existing(self, name: str, flags: int, mode: int = 0o600) -> int | None:
        """``name`` opened without following a link, if it is a regular file; ``None`` if
        there is no such file, ``UnsafeDestinationFileError`` if it is anything else."""
        try:
            fd = os.open(name, flags | _EXISTING, mode, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in _LINK_ERRNOS | {errno.EISDIR, errno.ENXIO}:
                self._refuse_if_not_a_file(name)
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UnsafeDestinationFileError(self.path / name, "not a regular file")
        return fd

    def remove(self, name: str) -> None:
        """Remove a stale working file ``name``; a link or folder there is refused."""
        self._refuse_if_not_a_file(name)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=self.fd)

    def replace(self, source: str, target: str) -> None:
        os.replace(source, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def rename_without_replacing(self, source: str, target: str) -> None:
        """Rename ``source`` to ``target`` unless ``target`` exists: ``DestinationExistsError``.

        ``renameat2(RENAME_NOREPLACE)`` on Linux; where the kernel or the file system lacks
        it (and on macOS), a hard link and an unlink, which cannot replace a file either.
        A file system without hard links gets ``target`` claimed with ``O_EXCL`` first and
        then replaced: an empty ``target`` is all a crash at that moment can leave.
        """
        renameat2 = _renameat2()
        if renameat2 is not None:
            names = os.fsencode(source), os.fsencode(target)
            if renameat2(self.fd, names[0], self.fd, names[1], _RENAME_NOREPLACE) == 0:
                return
            code = ctypes.get_errno()
            if code == errno.EEXIST:
                raise DestinationExistsError(self.path / target)
            if code not in _UNSUPPORTED:
                raise OSError(code, os.strerror(code), str(self.path / target))
        try:
            os.link(source, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except FileExistsError:
            raise DestinationExistsError(self.path / target) from None
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            self._claim_and_replace(source, target)
            return
        os.unlink(source, dir_fd=self.fd)

    def _claim_and_replace(self, source: str, target: str) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
        try:
            os.close(os.open(target, flags, 0o600, dir_fd=self.fd))
        except FileExistsError:
            raise DestinationExistsError(self.path / target) from None
        try:
            self.replace(source, target)
        except BaseException:
            os.unlink(target, dir_fd=self.fd)
            raise

    def sync(self) -> None:
        """Make renames in the folder durable where the OS allows (best effort)."""
        try:
            os.fsync(self.fd)
        except OSError as exc:
            log.debug("cannot sync %s: %s", self.path, exc.strerror)

    def _refuse_if_not_a_file(self, name: str) -> None:
        info = self.lstat(name)
        if info is None or stat.S_ISREG(info.st_mode):
            return
        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise UnsafeDestinationFileError(self.path / name, what)


class DestinationLock:
    """``<stem>.part.lock`` beside a destination, held with ``flock`` for one download.

    Taken without waiting: a second download into the same destination, in this process
    or another, gets ``DownloadInProgressError`` at once. The lock dies with its process,
    so a killed download never blocks the next. The file is removed on release while it
    is still held; whoever locked the removed file meanwhile sees it is no longer the one
    under the name, and tries again. Where the file system has no ``flock`` (some network
    shares), the download goes ahead unlocked, with a warning.
    """

    def __init__(self, directory: Directory, stem: str, destination: Path) -> None:
        self._directory = directory
        self._name = stem + LOCK_SUFFIX
        self._destination = destination
        self._fd = -1

    def __enter__(self) -> DestinationLock:
        directory, name = self._directory, self._name
        while True:
            try:  # readable by all, so that another user's download sees it is locked
                fd = directory.open_existing(name, os.O_RDONLY | os.O_CREAT, 0o644)
            except OSError as exc:
                raise DestinationError(
                    self._destination,
                    f"cannot create {directory.path / name} to lock the download: "
                    f"{exc.strerror or exc}",
                ) from exc
            if fd is None:  # pragma: no cover - O_CREAT: there is a file
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise DownloadInProgressError(self._destination, directory.path / name) from None
            except OSError as exc:
                if exc.errno not in _NO_LOCKS:
                    os.close(fd)
                    raise
                log.warning(
                    "%s cannot be locked (%s): nothing stops another download into %s meanwhile",
                    directory.path / name,
                    exc.strerror,
                    self._destination,
                )
            current = directory.lstat(name)
            if current is not None and os.path.samestat(current, os.fstat(fd)):
                self._fd = fd
                return self
            os.close(fd)  # the previous holder removed it: lock the file now there

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            os.unlink(self._name, dir_fd=self._directory.fd)
        except OSError as exc:
            log.debug("could not remove %s: %s", self._name, exc.strerror)
        finally:
            os.close(self._fd)
