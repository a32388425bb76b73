"""The file share's ``FileStore``: its Packages folder."""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from pathlib import Path

from jcds2.adapters.file_share.common import (
    _PAIRING,
    PACKAGES_DIR,
    FileShareTarget,
    _checked_name,
    _drop_cached_pages,
    _file_url,
    _hash,
    _look_at,
    _open_regular,
    _strerror,
    _version,
    log,
)
from jcds2.domain.errors import (
    ConfigurationError,
    InvalidFileNameError,
    RemoteFileNotFoundError,
    TransferError,
    UploadError,
)
from jcds2.domain.models import (
    Package,
    RemoteFile,
    StoredFileState,
    UploadTarget,
    VersionedUrl,
    expect_target,
)
from jcds2.domain.status import FileInventory


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
            handle, _ = _open_regular(path, TransferError, "read back", "; remove or rename it")
        except FileNotFoundError:
            return None
        with handle:
            try:
                _drop_cached_pages(handle.fileno())
                size, digest = _hash(handle, "sha3_512")
            except OSError as exc:
                raise TransferError(f"reading back {path} failed: {_strerror(exc)}") from exc
        return StoredFileState(size=size, sha3_512=digest)

    def download_url(self, file_name: str) -> str:
        """A ``file://`` URL of the file, with the file's version beside it for the fetcher.

        The version (inode, size, modification time) lets :class:`FileRangeFetcher`
        refuse to mix ranges of two versions of a file replaced during a download.
        """
        path = self._path(file_name)
        try:
            info = _look_at(path)
        except FileNotFoundError:
            raise RemoteFileNotFoundError(file_name) from None
        if not stat.S_ISREG(info.st_mode):
            raise RemoteFileNotFoundError(file_name)
        return VersionedUrl(_file_url(path), _version(info))

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

    def file_inventory(self, file_names: Collection[str] | None = None) -> FileInventory:
        """The folder's files among ``file_names`` (``None``: all): a share has no transfer
        statuses (``tracks_transfers`` false), a file is there or not."""
        held = (remote.file_name for remote in self.list_files())
        wanted = None if file_names is None else set(file_names)
        return FileInventory(
            dict.fromkeys(name for name in held if wanted is None or name in wanted),
            tracks_transfers=False,
        )

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
