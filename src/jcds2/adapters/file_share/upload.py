"""The file share's ``ObjectUploader``: an atomic copy into the Packages folder."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import threading
from io import FileIO
from pathlib import Path

from jcds2.adapters.file_share.common import (
    _NO_SPACE,
    _PAIRING,
    _SHARE_GONE,
    COPY_CHUNK,
    FileShareTarget,
    _strerror,
    _temporary_name,
    log,
)
from jcds2.application.cancel import CancelToken
from jcds2.application.ports import ProgressCallback
from jcds2.domain.errors import (
    ConfigurationError,
    SourceChangedError,
    UploadError,
)
from jcds2.domain.models import (
    LocalFile,
    UploadTarget,
    expect_target,
)
from jcds2.domain.transfer import TransferConfig

# --- uploads ------------------------------------------------------------------------------


def _create(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data) :]


def _flush(fd: int) -> None:
    """Push the file's bytes to stable storage (on macOS to the disk itself, not its cache)."""
    if sys.platform == "darwin":
        import fcntl  # noqa: PLC0415 - macOS only

        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
        except OSError:
            pass  # not every file system offers it (SMB shares often do not): plain fsync
        else:
            return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", 0)):
            raise
        log.debug("the file system cannot fsync: %s", _strerror(exc))


def _sync_directory(directory: Path) -> None:
    """Make the rename durable where the OS lets a directory be fsynced (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        log.debug("cannot open %s to sync it: %s", directory, _strerror(exc))
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        log.debug("cannot sync %s: %s", directory, _strerror(exc))
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning(
            "could not remove the temporary file %s (%s); delete it by hand", path, _strerror(exc)
        )


def _destination_error(exc: OSError, target: FileShareTarget) -> UploadError:
    """An ``UploadError`` that says what went wrong on the share and what to do."""
    directory, reason = target.directory, _strerror(exc)
    if exc.errno in _NO_SPACE:
        advice = (
            f"the file share {directory} is full ({reason}): free space there, or ask its "
            "administrator for more, then upload again"
        )
    elif exc.errno in (errno.EACCES, errno.EPERM):
        advice = (
            f"permission denied writing to {directory}: mount the share as an account that "
            "may write to it (or ask its administrator for write access), then upload again"
        )
    elif exc.errno == errno.EFBIG:
        advice = f"the file share {directory} does not accept a file this large ({reason})"
    elif exc.errno == errno.EROFS:
        advice = f"{directory} is mounted read-only: mount the share read-write, then upload again"
    elif exc.errno == errno.ENAMETOOLONG:
        advice = f"the share does not accept a file name as long as {target.file_name!r}"
    elif exc.errno in _SHARE_GONE:
        advice = (
            f"the file share {directory} is no longer reachable ({reason}): check that it "
            "is still mounted and its server is up, then upload again"
        )
    else:
        advice = f"writing to the file share {directory} failed: {reason}"
    return UploadError(f"copying {target.file_name!r} to the file share failed: {advice}.")


class FileShareUploader:
    """Copies a local file onto a file share, atomically: whole or not at all.

    The bytes go to a hidden temporary file beside the destination
    (``.<name>.jcds2-<random>.part``) in ``chunk_size`` steps through one reused
    buffer (constant memory, whatever the size), with a progress report and a
    cancellation check after each step. The file is then fsynced (``F_FULLFSYNC`` on
    macOS) and renamed over the destination, and the folder fsynced where the OS
    allows. Until that rename, readers see the previous file (or none); if anything
    fails before it, the temporary file is removed.

    A plain read/write loop rather than ``sendfile``: copying to a share is bound by
    the network or the disk, not by the copy, and one loop keeps progress and
    cancellation identical on Linux and macOS (whose ``sendfile`` cannot write files).
    ``config`` is taken for the same wiring as every uploader; nothing in it applies to
    a local copy, which is not retried (the use-case decides whether to try again).
    """

    def __init__(self, config: TransferConfig, chunk_size: int = COPY_CHUNK) -> None:
        if chunk_size <= 0:
            raise ConfigurationError(f"chunk_size must be positive, not {chunk_size}")
        self._config = config
        self._chunk_size = chunk_size
        # The file each destination got from this uploader, to delete only that one.
        self._placed: dict[Path, tuple[int, int]] = {}
        self._placed_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FileShareUploader(chunk_size={self._chunk_size})"

    def upload(
        self,
        target: UploadTarget,
        source: LocalFile,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> bool:
        share_target = expect_target(target, FileShareTarget, "a file share", _PAIRING)
        if cancel is not None:
            cancel.check()
        try:
            reader = open(source.path, "rb", buffering=0)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UploadError(f"cannot read {source.path}: {_strerror(exc)}") from exc
        with reader:
            self._copy(reader, source, share_target, progress, cancel)
        log.info("copied %s to %s", source.path, share_target.path)
        return False

    def discard(self, target: UploadTarget) -> bool:
        """Delete the file at ``target`` if it is still the one this uploader put there
        (same device and inode); another upload's file of that name is left alone."""
        share_target = expect_target(target, FileShareTarget, "a file share", _PAIRING)
        with self._placed_lock:
            placed = self._placed.pop(share_target.path, None)
        if placed is None:
            return True  # nothing was put there by this uploader
        try:
            info = share_target.path.lstat()
            if (info.st_dev, info.st_ino) == placed:
                share_target.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not delete %s: %s", share_target.path, _strerror(exc))
            return False
        return True

    def _copy(
        self,
        reader: FileIO,
        source: LocalFile,
        target: FileShareTarget,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> None:
        temporary = target.directory / _temporary_name(target.file_name)
        try:
            fd = _create(temporary)
        except OSError as exc:
            raise _destination_error(exc, target) from exc
        try:
            try:
                self._fill(fd, reader, source, progress, cancel)
                _keep_mode(target.path, fd)
                _flush(fd)
                written = os.fstat(fd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.close(fd)
                raise
            os.close(fd)  # a share may report a failed write only here
            if cancel is not None:
                cancel.check()  # the last moment: after the rename there is no going back
            os.replace(temporary, target.path)
            with self._placed_lock:
                self._placed[target.path] = (written.st_dev, written.st_ino)
        except BaseException as exc:
            _remove(temporary)
            if isinstance(exc, OSError):
                raise _destination_error(exc, target) from exc
            raise
        _sync_directory(target.directory)

    def _fill(
        self,
        fd: int,
        reader: FileIO,
        source: LocalFile,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> None:
        """Copy exactly ``source.size`` bytes, failing if the source changes meanwhile."""
        before = _source_stat(reader, source)
        if before.st_size != source.size:
            raise _source_changed(source, f"it is {before.st_size} bytes, not {source.size}")
        buffer = bytearray(min(self._chunk_size, max(source.size, 1)))
        view = memoryview(buffer)
        copied = 0
        while copied < source.size:
            if cancel is not None:
                cancel.check()
            want = min(len(buffer), source.size - copied)
            try:
                count = reader.readinto(view[:want])
            except OSError as exc:
                raise UploadError(
                    f"reading {source.path} failed after {copied} bytes: {_strerror(exc)}"
                ) from exc
            if not count:
                raise _source_changed(source, f"it ended after {copied} of {source.size} bytes")
            _write_all(fd, view[:count])
            copied += count
            if progress is not None:
                progress(count)
        after = _source_stat(reader, source)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise _source_changed(source, "it was modified during the copy")


def _source_stat(reader: FileIO, source: LocalFile) -> os.stat_result:
    try:
        return os.fstat(reader.fileno())
    except OSError as exc:
        raise UploadError(f"cannot look at {source.path}: {_strerror(exc)}") from exc


def _source_changed(source: LocalFile, how: str) -> SourceChangedError:
    return SourceChangedError(
        f"{source.path} changed while it was being copied ({how}); nothing was stored. "
        "Upload it again once whatever writes it has finished.",
        file_name=source.name,
    )


def _keep_mode(destination: Path, fd: int) -> None:
    """Give a replacement file the permissions of the file it replaces (best effort)."""
    try:
        mode = stat.S_IMODE(destination.stat().st_mode)
    except OSError:
        return  # a new file: the umask decides, as for any new file
    try:
        os.fchmod(fd, mode)
    except OSError as exc:
        log.debug("could not copy the permissions of %s: %s", destination, _strerror(exc))
