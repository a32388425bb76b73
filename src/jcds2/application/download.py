"""Use-case: download a file from the distribution point, whole or not at all."""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import attrs

from jcds2.application.cancel import CancelToken
from jcds2.application.concurrency import run_all
from jcds2.application.digest import InOrderDigest
from jcds2.application.disk_space import check_room
from jcds2.application.local_directory import (
    PART_SUFFIX,
    RECORD_SUFFIX,
    DestinationLock,
    Directory,
    flush,
    working_stem,
)
from jcds2.application.partial_download import PartialDownload
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
from jcds2.domain.transfer import TransferConfig

log = logging.getLogger("jcds2.download")

_T = TypeVar("_T")
_P = ParamSpec("_P")

__all__ = ["PART_SUFFIX", "RECORD_SUFFIX", "DownloadFile", "resolve_destination"]


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
    """The current download URL, refreshed at most once per expiry across threads.

    A long download may outlive many URLs; what is bounded is the number of fresh URLs
    in a row that are refused before any range succeeds with one of them.
    """

    files: FileStore
    file_name: str
    url: str
    max_refreshes: int
    generation: int = 0
    refreshes_left: int = attrs.field(init=False)
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def __attrs_post_init__(self) -> None:
        self.refreshes_left = self.max_refreshes

    def current(self) -> tuple[str, int]:
        with self.lock:
            return self.url, self.generation

    def run(
        self, action: Callable[Concatenate[str, _P], _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        """``action(url, ...)``, asking for a fresh URL whenever the current one has expired."""
        while True:
            url, generation = self.current()
            try:
                result = action(url, *args, **kwargs)
            except DownloadUrlExpiredError:
                self.refresh(generation)
                continue
            with self.lock:
                if generation == self.generation:
                    self.refreshes_left = self.max_refreshes  # this URL works
            return result

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


@attrs.define
class DownloadFile:
    """Download a JCDS file to a local path in concurrent HTTP range requests.

    Ranges of ``config.range_size`` bytes are written at their offsets into
    ``<destination>.part`` beside the destination. Every response is checked to be
    exactly the range asked for; the whole file is checked against the size (and the
    MD5, where the server reports one) before ``.part`` is renamed into place. On any
    failure the destination is not created (an existing one is left as it was).

    A transfer that fails or is interrupted keeps ``.part`` and ``.part.json`` (the
    ranges it completed) so that the next call for the same destination fetches only
    the rest; ``resume=False`` starts afresh and removes them on failure. A file that
    fails verification is always removed.

    The destination's folder may be shared with others: the working files are opened
    there without following links (see ``jcds2.application.local_directory``), a
    destination that appears meanwhile is not replaced without ``overwrite``, and a
    second download into the same destination fails at once (ADR 0018).
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
        resume: bool = True,
        progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        started = self.clock()
        name = validate_file_name(file_name)
        destination = resolve_destination(download_path, name)
        if os.path.lexists(destination) and not overwrite:
            raise DestinationExistsError(destination)
        directory = _open_directory(destination.parent)
        stem = working_stem(destination.name)
        with directory, DestinationLock(directory, stem, destination):
            urls = _UrlSource(
                self.files, name, self.files.download_url(name), self.config.max_attempts
            )
            remote = self._describe(name)
            size = urls.run(self.fetcher.size)
            if remote is not None and remote.size != size:
                raise IntegrityError(
                    f"the server lists {name!r} as {remote.size} bytes but serves {size} bytes"
                )
            identity = _identity(name, size, remote, self.config.range_size)
            if resume and not (identity["md5"] or identity["version"]):
                # Without an MD5 or a version, an earlier partial file might be of another file.
                log.info("%s: the server reports no MD5 or version; not resuming", name)
                resume = False
            # Before anything is written or planned: a size is only what the server claims.
            check_room(destination, size, held=directory.path / (stem + PART_SUFFIX))
            partial = PartialDownload.open(directory, stem, identity, size, resume)
            resumed = sum(partial.ranges[index].length for index in partial.completed)
            if resumed:
                log.info("resuming %s: %d of %d bytes already downloaded", name, resumed, size)
            try:
                md5 = self._fetch_into(partial, urls, progress, hash_md5=bool(identity["md5"]))
                verified_md5 = _verify(partial, size, remote, md5)
                if overwrite:
                    directory.replace(partial.part_name, destination.name)
                else:  # a destination that appeared meanwhile is not replaced
                    directory.rename_without_replacing(partial.part_name, destination.name)
                partial.forget_record()
                directory.sync()
            except BaseException as exc:
                _give_up(partial, destination, exc, keep=resume)
                raise
        log.info("downloaded %s to %s (%d bytes)", name, destination, size)
        return DownloadResult(
            file_name=name,
            path=destination,
            size=size,
            md5=remote.md5 if remote is not None else None,
            elapsed_seconds=self.clock() - started,
            verified_md5=verified_md5,
            resumed_bytes=resumed,
        )

    def _describe(self, file_name: str) -> RemoteFile | None:
        for remote in self.files.list_files():
            if remote.file_name == file_name:
                return remote
        return None

    def _fetch_into(
        self,
        partial: PartialDownload,
        urls: _UrlSource,
        progress: ProgressCallback | None,
        *,
        hash_md5: bool,
    ) -> str | None:
        """Fetch the missing ranges into ``partial``; return the file's MD5 if ``hash_md5``."""
        cancel = CancelToken()

        def sink(offset: int, data: memoryview) -> None:
            cancel.check()
            written = partial.write(offset, data)
            if progress is not None:
                progress(written)

        ranges = partial.ranges
        digest = InOrderDigest(partial.fd, ranges, "md5", partial.completed) if hash_md5 else None
        missing = [index for index in range(len(ranges)) if index not in partial.completed]
        # Each task is the fetcher's own call, through the URL source (a refused URL is
        # renewed); its range is recorded once it has returned.
        tasks = [
            functools.partial(urls.run, self.fetcher.fetch, ranges[index], sink, cancel=cancel)
            for index in missing
        ]

        def record(task: int) -> None:
            partial.mark_completed(missing[task])
            if digest is not None:
                digest.completed(missing[task])

        try:
            run_all(
                tasks,
                workers=self.config.concurrency,
                cancel=cancel,
                name="jcds2-download",
                on_done=record,
            )
            md5 = digest.hexdigest() if digest is not None else None
            flush(partial.fd)
        except OSError as exc:
            raise DownloadError(f"writing {partial.path} failed: {exc.strerror or exc}") from exc
        finally:
            if digest is not None:
                digest.cancel()
            partial.close()
        return md5


def _verify(
    partial: PartialDownload, size: int, remote: RemoteFile | None, md5: str | None
) -> bool:
    written = partial.current_file()
    if written is None:
        raise DownloadError(
            f"{partial.path} was replaced by another file during the download; "
            "download again once nothing else writes there"
        )
    if written.st_size != size:
        raise IntegrityError(
            f"downloaded {written.st_size} bytes of {partial.part_name}, expected {size}"
        )
    if remote is None or not remote.md5:
        return False
    if md5 is None:
        raise DownloadError(f"no MD5 was computed for {partial.part_name}")  # pragma: no cover
    if md5.lower() != remote.md5.lower():
        raise IntegrityError(
            f"{remote.file_name!r} is corrupt: its MD5 is {md5}, the server says {remote.md5}"
        )
    return True


def _open_directory(path: Path) -> Directory:
    try:
        return Directory(path)
    except OSError as exc:
        raise DestinationError(path, f"cannot open {path}: {exc.strerror or exc}") from exc


def _identity(name: str, size: int, remote: RemoteFile | None, range_size: int) -> dict[str, Any]:
    """What a ``.part.json`` must record to be resumed: the file, its version, the plan."""
    return {
        "file_name": name,
        "size": size,
        "md5": (remote.md5 or "").lower() if remote is not None else "",
        "version": (remote.version or "") if remote is not None else "",
        "range_size": range_size,
    }


def _give_up(
    partial: PartialDownload, destination: Path, error: BaseException, *, keep: bool
) -> None:
    """Keep ``partial`` to resume from (``keep`` and some ranges done) or remove it; a
    file that failed verification is always removed. An ``OSError`` becomes a
    ``DownloadError``."""
    if keep and partial.completed and not isinstance(error, IntegrityError):
        partial.close()
        log.info("kept %s to resume from next time", partial.path)
    else:
        partial.discard()
    if isinstance(error, OSError):
        raise DownloadError(
            f"could not finish writing {destination}: {error.strerror or error}"
        ) from error
