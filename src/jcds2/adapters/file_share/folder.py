"""A folder a sync reads and writes (``SyncFolder``): a plain folder or a share's Packages.

Built on :class:`FileShareStore` (listing, deleting, the "is it mounted" check) and
:class:`FileShareUploader` (the atomic copy), with hashes remembered in a
:class:`~jcds2.adapters.file_share.hash_cache.HashCache`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from io import FileIO
from pathlib import Path

from jcds2.adapters.file_share.common import (
    HASH_CHUNK,
    PACKAGES_DIR,
    _open_regular,
    _strerror,
    log,
)
from jcds2.adapters.file_share.hash_cache import HashCache, key_of, state_file
from jcds2.adapters.file_share.store import FileShareStore
from jcds2.adapters.file_share.upload import FileShareUploader
from jcds2.application.cancel import CancelToken
from jcds2.application.ports import ProgressCallback
from jcds2.domain.errors import (
    ConfigurationError,
    DistributionPointUnavailableError,
    IntegrityError,
    RemoteFileNotFoundError,
    TransferError,
)
from jcds2.domain.models import LocalFile
from jcds2.domain.sync import Endpoint, PointFile, PointKind, same_content
from jcds2.domain.transfer import TransferConfig

#: The hidden folder, inside the synced folder, where downloads are assembled.
STAGING_DIR = ".jcds2-staging"


class LocalFolderSync:
    """A local folder (``share=False``) or a mounted share's ``Packages`` folder
    (``share=True``) as a :class:`~jcds2.application.ports.SyncFolder`.

    Hashes are remembered in a state file in the user's cache folder (``cache_dir``:
    another place); ``hashed`` counts the files read to list the folder last time.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        share: bool = False,
        config: TransferConfig | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.label = f"{'share' if share else 'folder'}:{os.fspath(path)}"
        self._share = share
        self._store = FileShareStore(path, packages_dir=PACKAGES_DIR if share else "")
        self._uploader = FileShareUploader(config or TransferConfig())
        self._directory = self._store.directory
        self._cache_dir = cache_dir
        self._cache: HashCache | None = None
        self.hashed = 0

    def __repr__(self) -> str:
        return f"LocalFolderSync({self.label!r})"

    def check(self, *, create: bool = False) -> None:
        if create and not self._share and not self._directory.exists():
            try:
                self._directory.mkdir(parents=True)
            except OSError as exc:
                raise DistributionPointUnavailableError(self.label, _strerror(exc)) from exc
        try:
            self._store.file_inventory([])  # the store's own "is it mounted" check
        except (ConfigurationError, TransferError) as exc:
            raise DistributionPointUnavailableError(self.label, str(exc)) from exc

    def _hash_cache(self) -> HashCache:
        if self._cache is None:
            self._cache = HashCache(state_file(self._directory, self._cache_dir), self._directory)
        return self._cache

    def list_hashed(self) -> list[PointFile]:
        try:
            listed = self._store.list_files()
        except (ConfigurationError, TransferError) as exc:
            raise DistributionPointUnavailableError(self.label, str(exc)) from exc
        cache = self._hash_cache()
        files: list[PointFile] = []
        self.hashed = 0
        for remote in listed:
            entry = self._hashed(remote.file_name, cache)
            if entry is not None:
                files.append(entry)
        cache.forget_others({entry.file_name for entry in files})
        cache.save()
        return files

    def _hashed(self, name: str, cache: HashCache) -> PointFile | None:
        path = self._directory / name
        try:
            handle, info = _open_regular(path, TransferError, "read")
        except (FileNotFoundError, TransferError) as exc:
            log.warning("not syncing %s: %s", path, exc)
            return None  # vanished meanwhile, or not a regular file
        with handle:
            key = key_of(info)
            known = cache.lookup(name, key)
            if known is not None:
                return PointFile(name, info.st_size, md5=known[0], sha3_512=known[1])
            try:
                size, md5, sha3 = _both_hashes(handle)
            except OSError as exc:
                raise TransferError(f"reading {path} failed: {_strerror(exc)}") from exc
        self.hashed += 1
        if size == info.st_size:  # else it changed while read: hashed again next time
            cache.store(name, key, md5, sha3)
        return PointFile(name, size, md5=md5, sha3_512=sha3)

    def path_of(self, file_name: str) -> Path:
        return self._directory / file_name

    def staging(self) -> Path:
        staging = self._directory / STAGING_DIR
        staging.mkdir(exist_ok=True)
        return staging

    def copy_in(
        self,
        file_name: str,
        source: Path,
        expected: PointFile,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        # Copied into the staging folder first, so that the file in place is replaced
        # only by a copy read back and found to be the source's bytes.
        staging = FileShareStore(self.staging(), packages_dir="")
        target = staging.open_upload(file_name)
        local = LocalFile(path=source, size=source.stat().st_size)
        self._uploader.upload(target, local, progress=progress, cancel=cancel)
        self.install(file_name, target.path, expected)

    def install(self, file_name: str, staged: Path, expected: PointFile) -> None:
        handle, _ = _open_regular(staged, TransferError, "read")
        with handle:
            size, md5, sha3 = _both_hashes(handle)
        if not same_content(expected, PointFile(file_name, size, md5=md5, sha3_512=sha3)):
            staged.unlink(missing_ok=True)
            raise IntegrityError(
                f"the copy of {file_name!r} for {self.label} does not match the source's "
                "listing (did the source change meanwhile?); run the sync again"
            )
        target = self._store.open_upload(file_name)  # checks the name and that it is writable
        try:
            os.replace(staged, target.path)
        except OSError as exc:
            raise TransferError(
                f"cannot move {file_name!r} into {self.label}: {_strerror(exc)}"
            ) from exc

    def delete(self, file_name: str) -> None:
        with contextlib.suppress(RemoteFileNotFoundError):
            self._store.delete(file_name)


def _both_hashes(handle: FileIO) -> tuple[int, str, str]:
    """Size, MD5 and SHA3-512 of what ``handle`` holds, in one read."""
    md5, sha3 = hashlib.md5(usedforsecurity=False), hashlib.sha3_512()
    buffer = bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    size = 0
    while count := handle.readinto(buffer):
        md5.update(view[:count])
        sha3.update(view[:count])
        size += count
    return size, md5.hexdigest(), sha3.hexdigest()


class FolderOpener:
    """Opens the folder of a ``share:`` or folder endpoint for a sync."""

    def __init__(self, config: TransferConfig | None = None, cache_dir: Path | None = None) -> None:
        self._config = config
        self._cache_dir = cache_dir

    def __call__(self, endpoint: Endpoint) -> LocalFolderSync:
        if endpoint.path is None:
            raise ConfigurationError(f"{endpoint} is not a folder or a share")
        return LocalFolderSync(
            endpoint.path,
            share=endpoint.kind is PointKind.SHARE,
            config=self._config,
            cache_dir=self._cache_dir,
        )
