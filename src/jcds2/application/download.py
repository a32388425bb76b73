"""Use-case: download a file from the distribution point, whole or not at all."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TypeVar

import attrs

from jcds2.application.digest import InOrderDigest
from jcds2.application.ports import FileStore, ProgressCallback, RangeFetcher
from jcds2.domain.errors import (
    DestinationDirectoryMissingError,
    DestinationError,
    DestinationExistsError,
    DownloadError,
    DownloadUrlExpiredError,
    IntegrityError,
)
from jcds2.domain.models import DownloadResult, RemoteFile
from jcds2.domain.names import validate_file_name
from jcds2.domain.transfer import ByteRange, TransferConfig, split_ranges

log = logging.getLogger("jcds2.download")

_T = TypeVar("_T")

PART_SUFFIX = ".part"


def resolve_destination(download_path: str | os.PathLike[str], file_name: str) -> Path:
    """Where a download of ``file_name`` to ``download_path`` goes.

    An existing directory gets the file name appended (as does a path ending in a
    separator, which must then exist); anything else is the destination file itself,
    whose directory must exist.
    """
    text = os.fspath(download_path)
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / file_name
    elif text.endswith((os.sep, "/")):
        raise DestinationDirectoryMissingError(path)
    elif not path.parent.is_dir():
        raise DestinationDirectoryMissingError(path.parent)
    if path.is_dir():
        raise DestinationError(path, f"{path} is a directory; cannot write the download there.")
    return path.absolute()


@attrs.define
class _UrlSource:
    """The current download URL, refreshed at most once per expiry across threads."""

    files: FileStore
    file_name: str
    url: str
    refreshes_left: int
    generation: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def current(self) -> tuple[str, int]:
        with self.lock:
            return self.url, self.generation

    def run(self, action: Callable[[str], _T]) -> _T:
        """``action(url)``, asking for a fresh URL whenever the current one has expired."""
        while True:
            url, generation = self.current()
            try:
                return action(url)
            except DownloadUrlExpiredError:
                self.refresh(generation)

    def refresh(self, seen_generation: int) -> None:
        with self.lock:
            if self.generation != seen_generation:
                return  # another thread already fetched a fresh URL
            if self.refreshes_left <= 0:
                raise DownloadError(
                    f"the download URL for {self.file_name!r} kept being refused; giving up"
                )
            self.refreshes_left -= 1
            log.info("download URL for %s expired; asking for a new one", self.file_name)
            self.url = self.files.download_url(self.file_name)
            self.generation += 1


class _Stopped(Exception):
    """Raised inside a worker to make it stop because another range failed."""


@attrs.define
class DownloadFile:
    """Download a JCDS file to a local path in concurrent HTTP range requests.

    Ranges of ``config.range_size`` bytes are written at their offsets into
    ``<destination>.part`` beside the destination. Every response is checked to be
    exactly the range asked for; the whole file is checked against the size (and the
    MD5, where the server reports one) before ``.part`` is renamed into place. On any
    failure the destination is not created (an existing one is left as it was).
    """

    files: FileStore
    fetcher: RangeFetcher
    config: TransferConfig = attrs.field(factory=TransferConfig)
    clock: Callable[[], float] = time.monotonic

    def __call__(
        self,
        file_name: str,
        download_path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        started = self.clock()
        name = validate_file_name(file_name)
        destination = resolve_destination(download_path, name)
        if destination.exists() and not overwrite:
            raise DestinationExistsError(destination)

        urls = _UrlSource(self.files, name, self.files.download_url(name), self.config.max_attempts)
        remote = self._describe(name)
        size = urls.run(self.fetcher.size)
        if remote is not None and remote.size != size:
            raise IntegrityError(
                f"the server lists {name!r} as {remote.size} bytes but serves {size} bytes"
            )

        partial = destination.with_name(destination.name + PART_SUFFIX)
        try:
            md5 = self._fetch_into(
                partial, size, urls, progress, hash_md5=bool(remote and remote.md5)
            )
            verified_md5 = self._verify(partial, size, remote, md5)
            os.replace(partial, destination)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise DownloadError(
                f"could not finish writing {destination}: {exc.strerror or exc}"
            ) from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        log.info("downloaded %s to %s (%d bytes)", name, destination, size)
        return DownloadResult(
            file_name=name,
            path=destination,
            size=size,
            md5=remote.md5 if remote is not None else None,
            elapsed_seconds=self.clock() - started,
            verified_md5=verified_md5,
        )

    def _describe(self, file_name: str) -> RemoteFile | None:
        for remote in self.files.list_files():
            if remote.file_name == file_name:
                return remote
        return None

    def _fetch_into(
        self,
        partial: Path,
        size: int,
        urls: _UrlSource,
        progress: ProgressCallback | None,
        *,
        hash_md5: bool,
    ) -> str | None:
        """Fetch every range into ``partial``; return its MD5 if ``hash_md5``."""
        stop = threading.Event()
        try:
            fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as exc:
            raise DestinationError(partial, f"cannot write {partial}: {exc.strerror}") from exc

        def sink(offset: int, data: memoryview) -> None:
            if stop.is_set():
                raise _Stopped
            while data:
                written = os.pwrite(fd, data, offset)
                data, offset = data[written:], offset + written
                if progress is not None:
                    progress(written)

        ranges = split_ranges(size, self.config.range_size)
        digest: InOrderDigest | None = None

        def fetch(index: int, byte_range: ByteRange) -> None:
            urls.run(lambda url: self.fetcher.fetch(url, byte_range, sink))
            if digest is not None:
                digest.completed(index)

        try:
            os.ftruncate(fd, size)
            if hash_md5:
                digest = InOrderDigest(fd, ranges, "md5")
            with ThreadPoolExecutor(
                max_workers=min(self.config.concurrency, max(len(ranges), 1)),
                thread_name_prefix="jcds2-download",
            ) as pool:
                futures = [pool.submit(fetch, *item) for item in enumerate(ranges)]
                try:
                    done, _ = wait(futures, return_when=FIRST_EXCEPTION)
                    for future in done:
                        future.result()
                finally:
                    stop.set()
                    for future in futures:
                        future.cancel()
            md5 = digest.hexdigest() if digest is not None else None
            os.fsync(fd)
        except OSError as exc:
            raise DownloadError(f"writing {partial} failed: {exc.strerror or exc}") from exc
        finally:
            if digest is not None:
                digest.cancel()
            os.close(fd)
        return md5

    def _verify(self, partial: Path, size: int, remote: RemoteFile | None, md5: str | None) -> bool:
        written = partial.stat().st_size
        if written != size:
            raise IntegrityError(f"downloaded {written} bytes of {partial.name}, expected {size}")
        if remote is None or not remote.md5:
            return False
        if md5 is None:
            raise DownloadError(f"no MD5 was computed for {partial.name}")  # pragma: no cover
        if md5.lower() != remote.md5.lower():
            raise IntegrityError(
                f"{remote.file_name!r} is corrupt: its MD5 is {md5}, the server says {remote.md5}"
            )
        return True
