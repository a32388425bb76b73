"""File-share adapters: a distribution point that is a mounted SMB/AFP share.

Jamf Pro's file-share distribution points keep package files in a ``Packages`` folder
at the root of the share. Once the share is mounted, it is a local directory, and the
three ports are plain file operations:

- :class:`FileShareStore` (the ``FileStore``): lists, describes and deletes the files
  of that folder and hands out ``file://`` URLs for downloads;
- :class:`FileShareUploader` (the ``ObjectUploader``): copies a local file into the
  folder atomically (a hidden temporary file renamed into place);
- :class:`FileRangeFetcher` (the ``RangeFetcher``): reads byte ranges of ``file://``
  URLs.

Nothing is touched until a method is called, so a store can be built before the share
is mounted. Hidden files (a leading ``.``: the uploader's temporary files, macOS's
``.DS_Store`` and ``._*`` files) are neither listed nor accepted as package names.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import secrets
import stat
import sys
import threading
from io import FileIO
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlsplit

import attrs

from jcds2.application.cancel import CancelToken
from jcds2.application.ports import ProgressCallback, RangeSink
from jcds2.domain.errors import (
    ConfigurationError,
    DownloadError,
    InvalidFileNameError,
    RemoteFileNotFoundError,
    TransferError,
    UploadError,
)
from jcds2.domain.models import (
    LocalFile,
    Package,
    RemoteFile,
    StoredFileState,
    UploadTarget,
    expect_target,
)
from jcds2.domain.names import MAX_FILE_NAME_BYTES, validate_file_name
from jcds2.domain.transfer import ByteRange, MiB, TransferConfig

__all__ = [
    "PACKAGES_DIR",
    "FileRangeFetcher",
    "FileShareStore",
    "FileShareTarget",
    "FileShareUploader",
]

log = logging.getLogger("jcds2.file_share")

#: The folder of a Jamf file share that holds the package files.
PACKAGES_DIR = "Packages"
#: Bytes copied or read per step: progress is reported and cancellation checked between
#: steps. Large enough for full-size SMB writes, small enough to stop within a second.
COPY_CHUNK = 4 * MiB
READ_CHUNK = 1 * MiB
HASH_CHUNK = 4 * MiB

_VERSION = re.compile(r"v=([0-9a-f]+)-([0-9a-f]+)-([0-9a-f]+)")

#: errno values that mean the share itself is gone (unmounted, server down, stale handle).
_SHARE_GONE = frozenset(
    {
        errno.ENOENT,
        errno.ENOTDIR,
        errno.ESTALE,
        errno.EIO,
        errno.ENXIO,
        errno.ENODEV,
        errno.ENOTCONN,
        errno.ETIMEDOUT,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
        errno.ENETDOWN,
        errno.ENETUNREACH,
        errno.ECONNRESET,
        errno.ECONNABORTED,
    }
)
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def _temporary_name(file_name: str) -> str:
    """``.<file_name>.jcds2-<random>.part``, the file name shortened to fit 255 bytes."""
    suffix = f".jcds2-{secrets.token_hex(8)}.part"
    budget = MAX_FILE_NAME_BYTES - 1 - len(suffix)
    stem = file_name.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return f".{stem}{suffix}"


def _checked_name(file_name: str) -> str:
    """``file_name`` if it can name a package file on a share, else ``InvalidFileNameError``."""
    try:
        name = validate_file_name(file_name)
    except UnicodeEncodeError:  # undecodable bytes from a file system listing
        raise InvalidFileNameError(repr(file_name), "it is not valid Unicode") from None
    if name.startswith("."):
        raise InvalidFileNameError(
            name, "it starts with '.', which hides it on a file share (jcds2 ignores such files)"
        )
    return name


def _strerror(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


@attrs.frozen
class FileShareTarget(UploadTarget):
    """Where one file goes on a file share: ``path``, a file directly in ``directory``."""

    directory: Path
    path: Path = attrs.field()

    @path.validator
    def _check_path(self, _attribute: attrs.Attribute[Path], value: Path) -> None:
        if value.parent != self.directory or value.name != self.file_name:
            raise ConfigurationError(
                f"a file-share target must be {self.file_name!r} in {self.directory}, not {value}"
            )


_PAIRING = "pair FileShareStore with FileShareUploader"


class FileShareStore:
    """A mounted file-share distribution point as a :class:`~jcds2.application.ports.FileStore`.

    ``root`` is where the share is mounted (e.g. ``/Volumes/CasperShare``); the files
    live in its ``Packages`` folder. ``packages_dir`` names that folder relative to
    ``root``; pass ``packages_dir=""`` when ``root`` is the Packages folder itself.

    The folder is never created: a missing ``Packages`` folder almost always means the
    share is not mounted (the mount point is then an empty local folder), and writing
    there would "upload" to the local disk. Every method raises ``ConfigurationError``
    when the folder does not exist; ``open_upload`` also when it is not writable.

    Listings report no MD5 (``md5=None``): hashing every multi-gigabyte package of a
    share to list it would read the whole share. ``describe`` reads the one file back
    and reports its SHA3-512, which is how an upload is verified.

    File names follow the share's rules: on a case-insensitive share, ``Tool.pkg`` and
    ``tool.pkg`` are the same file.
    """

    def __init__(
        self, root: str | os.PathLike[str], *, packages_dir: str | os.PathLike[str] = PACKAGES_DIR
    ) -> None:
        if Path(packages_dir).is_absolute():
            raise ConfigurationError(
                f"packages_dir is a folder inside the share root, not an absolute path: "
                f"{os.fspath(packages_dir)!r}. Pass the Packages folder itself as root "
                "with packages_dir=''."
            )
        self._root = Path(root).expanduser().absolute()
        self._directory = self._root / packages_dir

    def __repr__(self) -> str:
        return f"FileShareStore({str(self._directory)!r})"

    @property
    def directory(self) -> Path:
        """The folder that holds the package files."""
        return self._directory

    def _require_directory(self) -> Path:
        directory = self._directory
        if directory.is_dir():
            return directory
        if directory != self._root and self._root.is_dir():
            hint = (
                f"{self._root} has no {directory.name!r} folder. Is the share mounted there? "
                f"If {self._root} is the Packages folder itself, pass packages_dir=''."
            )
        else:
            hint = f"{directory} does not exist or is not a folder. Is the share mounted?"
        raise ConfigurationError(f"cannot use the file share: {hint}")

    def _path(self, file_name: str) -> Path:
        return self._require_directory() / _checked_name(file_name)

    def open_upload(self, file_name: str, package: Package | None = None) -> FileShareTarget:
        del package  # files come first on a share; the package is created afterwards
        path = self._path(file_name)
        directory = path.parent
        if not os.access(directory, os.W_OK | os.X_OK):
            raise ConfigurationError(
                f"cannot write to the file share folder {directory}: permission denied or "
                "mounted read-only. Mount the share as an account that may write to it."
            )
        if path.is_dir():
            raise UploadError(
                f"{path} is a folder, so the file {path.name!r} cannot be stored there; "
                "rename or remove that folder first."
            )
        return FileShareTarget(file_name=path.name, directory=directory, path=path)

    def refresh(self, target: UploadTarget) -> None:
        expect_target(
            target, FileShareTarget, "a file share"
        )  # nothing to take in: the file is in place once copied

    def describe(self, target: UploadTarget) -> StoredFileState | None:
        """Read the file back from the share and report its size and SHA3-512.

        Reading it back is the verification that the bytes arrived. The pages this
        machine cached while writing are dropped first where the OS allows it (Linux's
        ``posix_fadvise``), so the bytes come from the share, not from local memory.
        ``None`` when there is no such file.
        """
        path = expect_target(target, FileShareTarget, "a file share", _PAIRING).path
        self._require_directory()
        try:
            handle, _ = _open_regular(path)
        except FileNotFoundError:
            return None
        except _NotARegularFileError:
            raise TransferError(f"{path} is not a regular file; remove or rename it") from None
        except OSError as exc:
            raise TransferError(f"cannot read back {path}: {_strerror(exc)}") from exc
        with handle:
            try:
                _drop_cached_pages(handle.fileno())
                size, digest = _hash(handle, "sha3_512")
            except OSError as exc:
                raise TransferError(f"reading back {path} failed: {_strerror(exc)}") from exc
        return StoredFileState(size=size, sha3_512=digest)

    def download_url(self, file_name: str) -> str:
        """A ``file://`` URL of the file, carrying the file's version for the fetcher.

        The version (inode, size, modification time) lets :class:`FileRangeFetcher`
        refuse to mix ranges of two versions of a file replaced during a download.
        """
        path = self._path(file_name)
        try:
            info = path.stat()
        except FileNotFoundError:
            raise RemoteFileNotFoundError(file_name) from None
        except OSError as exc:
            raise DownloadError(f"cannot look at {path}: {_strerror(exc)}") from exc
        if not stat.S_ISREG(info.st_mode):
            raise RemoteFileNotFoundError(file_name)
        return _file_url(path, _version(info))

    def list_files(self) -> list[RemoteFile]:
        """Every regular, non-hidden file of the folder with its size (no hashes)."""
        directory = self._require_directory()
        files: list[RemoteFile] = []
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    remote = _listed(entry)
                    if remote is not None:
                        files.append(remote)
        except OSError as exc:
            raise TransferError(f"cannot list {directory}: {_strerror(exc)}") from exc
        return sorted(files, key=lambda remote: remote.file_name)

    def delete(self, file_name: str) -> None:
        path = self._path(file_name)
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                raise RemoteFileNotFoundError(file_name)
            path.unlink()
        except FileNotFoundError:
            raise RemoteFileNotFoundError(file_name) from None
        except OSError as exc:
            raise TransferError(
                f"cannot delete {path}: {_strerror(exc)}. Check that the share is mounted "
                "as an account that may delete files there."
            ) from exc
        log.info("deleted %s", path)


def _listed(entry: os.DirEntry[str]) -> RemoteFile | None:
    name = entry.name
    if name.startswith("."):
        return None  # hidden: the uploader's temporary files, .DS_Store, AppleDouble files
    try:
        if not entry.is_file():
            return None
        info = entry.stat()
    except OSError:
        return None  # vanished while listing, or a dangling link
    try:
        _checked_name(name)
    except InvalidFileNameError as exc:
        log.warning("not listing %r: %s", name, exc.reason)
        return None
    # The version tells a resumed download whether the file is still the one it began.
    return RemoteFile(file_name=name, size=info.st_size, version=_version(info))


class _NotARegularFileError(Exception):
    """The path names a folder, device or pipe rather than a file."""


def _open_regular(path: Path) -> tuple[FileIO, os.stat_result]:
    """``path`` opened for reading, and its status, if it is a regular file.

    Opened non-blocking, so that a named pipe in its place cannot hang the caller.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _NotARegularFileError(path)
        return FileIO(fd, "rb"), info
    except BaseException:
        os.close(fd)
        raise


def _hash(handle: FileIO, algorithm: str) -> tuple[int, str]:
    digest = hashlib.new(algorithm)
    buffer = bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    size = 0
    while count := handle.readinto(buffer):
        digest.update(view[:count])
        size += count
    return size, digest.hexdigest()


def _drop_cached_pages(fd: int) -> None:
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    try:
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError as exc:  # best effort: the read is still a read of the file
        log.debug("could not drop cached pages: %s", _strerror(exc))


# --- URLs ---------------------------------------------------------------------------------


def _version(info: os.stat_result) -> str:
    return f"v={info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}"


def _file_url(path: Path, version: str = "") -> str:
    """The ``file://`` URL of an absolute ``path``, with an optional version fragment."""
    url = "file://" + quote(os.fsencode(path), safe="/")
    return f"{url}#{version}" if version else url


def _path_of(url: str) -> tuple[Path, tuple[int, int, int] | None]:
    """The local path a ``file://`` URL names, and the version it expects (if any)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        raise DownloadError(
            f"the file-share fetcher reads file:// URLs only, not {parts.scheme or 'plain'!r} "
            "URLs; download from the JCDS with the HTTP fetcher"
        )
    if parts.netloc not in ("", "localhost"):
        raise DownloadError(
            f"file URL of another host ({parts.netloc!r}): mount that share and use its path"
        )
    path = Path(os.fsdecode(unquote_to_bytes(parts.path)))
    if not path.is_absolute():
        raise DownloadError(f"the file URL {url!r} has no absolute path")
    if not parts.fragment:
        return path, None
    match = _VERSION.fullmatch(parts.fragment)
    if match is None:
        raise DownloadError(f"unreadable version {parts.fragment!r} in the file URL of {path}")
    inode, size, mtime = (int(group, 16) for group in match.groups())
    return path, (inode, size, mtime)


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
            except BaseException:
                with contextlib.suppress(OSError):
                    os.close(fd)
                raise
            os.close(fd)  # a share may report a failed write only here
            if cancel is not None:
                cancel.check()  # the last moment: after the rename there is no going back
            os.replace(temporary, target.path)
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


def _source_changed(source: LocalFile, how: str) -> UploadError:
    return UploadError(
        f"{source.path} changed while it was being copied ({how}); nothing was stored. "
        "Upload it again once whatever writes it has finished."
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


# --- downloads ----------------------------------------------------------------------------


class FileRangeFetcher:
    """A :class:`~jcds2.application.ports.RangeFetcher` for ``file://`` URLs.

    Reads exactly the range asked for, ``chunk_size`` bytes at a time into one reused
    buffer per thread, checking for cancellation between chunks. A file that is
    missing, shorter than the range, or changed (the URL's version from
    :meth:`FileShareStore.download_url` no longer matches, or its size or modification
    time changes during the read) raises ``DownloadError``: ranges of two versions of a
    file are never mixed.
    """

    def __init__(self, chunk_size: int = READ_CHUNK) -> None:
        if chunk_size <= 0:
            raise ConfigurationError(f"chunk_size must be positive, not {chunk_size}")
        self._chunk_size = chunk_size
        self._local = threading.local()

    def __repr__(self) -> str:
        return "FileRangeFetcher()"

    def size(self, url: str) -> int:
        path, version = _path_of(url)
        try:
            info = path.stat()
        except FileNotFoundError:
            raise DownloadError(f"{path} is gone: it was deleted or the share unmounted") from None
        except OSError as exc:
            raise DownloadError(f"cannot look at {path}: {_strerror(exc)}") from exc
        _check_version(path, info, version)
        return info.st_size

    def fetch(
        self,
        url: str,
        byte_range: ByteRange,
        sink: RangeSink,
        *,
        cancel: CancelToken | None = None,
    ) -> None:
        if cancel is not None:
            cancel.check()
        path, version = _path_of(url)
        try:
            handle, info = _open_regular(path)
        except FileNotFoundError:
            raise DownloadError(f"{path} is gone: it was deleted or the share unmounted") from None
        except _NotARegularFileError:
            raise DownloadError(f"{path} is not a regular file") from None
        except OSError as exc:
            raise DownloadError(f"cannot open {path}: {_strerror(exc)}") from exc
        with handle:
            try:
                self._read(path, handle, info, version, byte_range, sink=sink, cancel=cancel)
            except OSError as exc:
                raise DownloadError(f"reading {path} failed: {_strerror(exc)}") from exc

    def _buffer(self) -> memoryview:
        buffer: memoryview | None = getattr(self._local, "buffer", None)
        if buffer is None:
            buffer = memoryview(bytearray(self._chunk_size))
            self._local.buffer = buffer
        return buffer

    def _read(
        self,
        path: Path,
        handle: FileIO,
        before: os.stat_result,
        version: tuple[int, int, int] | None,
        byte_range: ByteRange,
        *,
        sink: RangeSink,
        cancel: CancelToken | None,
    ) -> None:
        _check_version(path, before, version)
        if byte_range.start < 0 or byte_range.end >= before.st_size:
            raise DownloadError(
                f"{path} is {before.st_size} bytes, too short for bytes "
                f"{byte_range.start}-{byte_range.end}"
            )
        handle.seek(byte_range.start)
        buffer = self._buffer()
        received = 0
        while received < byte_range.length:
            if cancel is not None:
                cancel.check()
            want = min(len(buffer), byte_range.length - received)
            count = handle.readinto(buffer[:want])
            if not count:
                raise DownloadError(
                    f"{path} ended after {byte_range.start + received} bytes while bytes up "
                    f"to {byte_range.end} were read: it changed during the download"
                )
            sink(byte_range.start + received, buffer[:count])
            received += count
        after = os.fstat(handle.fileno())
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise _changed(path)


def _check_version(path: Path, info: os.stat_result, version: tuple[int, int, int] | None) -> None:
    if version is not None and (info.st_ino, info.st_size, info.st_mtime_ns) != version:
        raise _changed(path)


def _changed(path: Path) -> DownloadError:
    return DownloadError(
        f"{path} changed during the download (replaced or rewritten on the share); "
        "download it again"
    )
