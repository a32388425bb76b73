"""What the file-share adapters share: names, targets, errors, ``file://`` URLs."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import secrets
import stat
from io import FileIO
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlsplit

import attrs

from jcds2.domain.errors import (
    ConfigurationError,
    DownloadError,
    InvalidFileNameError,
    Jcds2Error,
)
from jcds2.domain.models import (
    UploadTarget,
    VersionedUrl,
)
from jcds2.domain.names import MAX_FILE_NAME_BYTES, validate_file_name
from jcds2.domain.transfer import MiB

log = logging.getLogger("jcds2.file_share")

#: The folder of a Jamf file share that holds the package files.
PACKAGES_DIR = "Packages"
#: Bytes copied or read per step: progress is reported and cancellation checked between
#: steps. Large enough for full-size SMB writes, small enough to stop within a second.
COPY_CHUNK = 4 * MiB
READ_CHUNK = 1 * MiB
HASH_CHUNK = 4 * MiB


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


def _open_regular(
    path: Path, error: type[Jcds2Error], doing: str, advice: str = ""
) -> tuple[FileIO, os.stat_result]:
    """``path`` opened for reading, and its status, if it is a regular file.

    Opened non-blocking, so that a named pipe in its place cannot hang the caller. A
    missing file raises ``FileNotFoundError`` (what that means is the caller's to say);
    a folder, device or pipe, or a failure to open (``cannot {doing} {path}``), raises
    ``error``.
    """
    fd = -1
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode):
            return FileIO(fd, "rb"), info
    except FileNotFoundError:
        raise
    except OSError as exc:
        _close(fd)
        raise error(f"cannot {doing} {path}: {_strerror(exc)}") from exc
    except BaseException:
        _close(fd)
        raise
    os.close(fd)
    raise error(f"{path} is not a regular file{advice}")


def _look_at(path: Path) -> os.stat_result:
    """The status of ``path``; ``FileNotFoundError`` is the caller's to word, any other
    failure is a ``DownloadError``."""
    try:
        return path.stat()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise DownloadError(f"cannot look at {path}: {_strerror(exc)}") from exc


def _close(fd: int) -> None:
    if fd >= 0:
        os.close(fd)


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


def _file_url(path: Path) -> str:
    """The ``file://`` URL of an absolute ``path``."""
    return "file://" + quote(os.fsencode(path), safe="/")


def _path_of(url: str) -> tuple[Path, str | None]:
    """The local path a ``file://`` URL names, and the version it expects (a
    :class:`~jcds2.domain.models.VersionedUrl`'s; ``None`` for a plain URL)."""
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
    return path, url.version if isinstance(url, VersionedUrl) else None
