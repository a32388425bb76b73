"""Use-case: download a file from the distribution point, whole or not at all."""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import attrs

from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.application.concurrency import run_all
from jcds2.application.digest import InOrderDigest
from jcds2.application.disk_space import check_room
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
from jcds2.domain.transfer import ByteRange, RangePlan, TransferConfig

log = logging.getLogger("jcds2.download")

_T = TypeVar("_T")

PART_SUFFIX = ".part"
RECORD_SUFFIX = ".part.json"
_RECORD_FORMAT = 1


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

    def run(self, action: Callable[[str], _T]) -> _T:
        """``action(url)``, asking for a fresh URL whenever the current one has expired."""
        while True:
            url, generation = self.current()
            try:
                result = action(url)
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


class _Partial:
    """``<destination>.part`` being filled, and the record of its completed ranges.

    The record (``<destination>.part.json``) says which file, size, MD5 and range size
    the ranges belong to, so a later call resumes only a partial download of the same
    file, fetching only the ranges it lacks. Writes and record updates stop once the
    partial is closed: a worker left behind after a cancellation cannot touch it.
    """

    def __init__(self, path: Path, identity: dict[str, Any], completed: Iterable[int]) -> None:
        self.path = path
        self.record_path = path.with_name(path.name[: -len(PART_SUFFIX)] + RECORD_SUFFIX)
        self.identity = identity
        self.completed = set(completed)
        self._condition = threading.Condition()
        self._writers = 0
        self._closed = False
        self.fd = -1

    @classmethod
    def open(cls, path: Path, identity: dict[str, Any], size: int, resume: bool) -> _Partial:
        completed = _resumable_ranges(path, identity, size) if resume else set()
        partial = cls(path, identity, completed)
        try:
            if completed:
                partial.fd = os.open(path, os.O_RDWR)
            else:
                partial.record_path.unlink(missing_ok=True)  # never a stale record
                partial.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
                os.ftruncate(partial.fd, size)
                partial.save()
        except OSError as exc:
            partial.close()
            raise DestinationError(path, f"cannot write {path}: {exc.strerror}") from exc
        return partial

    def write(self, offset: int, data: memoryview) -> int:
        with self._condition:
            if self._closed:
                raise TransferCancelledError("the download was stopped")
            self._writers += 1
        try:
            total = 0
            while data:
                written = os.pwrite(self.fd, data, offset)
                data, offset, total = data[written:], offset + written, total + written
            return total
        finally:
            with self._condition:
                self._writers -= 1
                self._condition.notify_all()

    def mark_completed(self, index: int) -> None:
        with self._condition:
            if self._closed:
                return
            self.completed.add(index)
            self.save()

    def save(self) -> None:
        """Write the record atomically (a new file renamed over the old one).

        Best effort: without a record the download still completes, it just cannot be
        resumed (and a resumed file is verified before it is used anyway).
        """
        record = {**self.identity, "format": _RECORD_FORMAT, "completed": sorted(self.completed)}
        temporary = self.record_path.with_name(self.record_path.name + ".tmp")
        try:
            temporary.write_text(json.dumps(record), encoding="utf-8")
            os.replace(temporary, self.record_path)
        except OSError as exc:
            log.warning("cannot record progress in %s: %s", self.record_path, exc.strerror)
            temporary.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop all further writes (waiting for those under way) and close the file."""
        with self._condition:
            self._closed = True
            while self._writers:
                self._condition.wait()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def discard(self) -> None:
        self.close()
        for path in (self.path, self.record_path):
            path.unlink(missing_ok=True)


def _resumable_ranges(path: Path, identity: dict[str, Any], size: int) -> set[int]:
    """The completed ranges recorded for a partial download of the same file, if any."""
    record_path = path.with_name(path.name[: -len(PART_SUFFIX)] + RECORD_SUFFIX)
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if path.stat().st_size != size:
            return set()
    except (OSError, ValueError):
        return set()
    if not isinstance(record, dict) or record.get("format") != _RECORD_FORMAT:
        return set()
    if any(record.get(key) != value for key, value in identity.items()):
        log.info("%s belongs to another version of the file; starting afresh", path.name)
        return set()
    completed = record.get("completed")
    count = len(RangePlan(size, identity["range_size"]))
    if not isinstance(completed, list) or not all(
        isinstance(index, int) and 0 <= index < count for index in completed
    ):
        return set()
    return set(completed)


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
        if destination.exists() and not overwrite:
            raise DestinationExistsError(destination)

        urls = _UrlSource(self.files, name, self.files.download_url(name), self.config.max_attempts)
        remote = self._describe(name)
        size = urls.run(self.fetcher.size)
        if remote is not None and remote.size != size:
            raise IntegrityError(
                f"the server lists {name!r} as {remote.size} bytes but serves {size} bytes"
            )

        identity = {
            "file_name": name,
            "size": size,
            "md5": (remote.md5 or "").lower() if remote is not None else "",
            "version": (remote.version or "") if remote is not None else "",
            "range_size": self.config.range_size,
        }
        if resume and not (identity["md5"] or identity["version"]):
            # Without an MD5 or a version, an earlier partial file might be of another file.
            log.info("%s: the server reports no MD5 or version; not resuming", name)
            resume = False
        part_path = destination.with_name(destination.name + PART_SUFFIX)
        # Before anything is written or planned: a size is only what the server claims.
        check_room(destination, size, held=part_path)
        partial = _Partial.open(part_path, identity, size, resume)
        ranges = RangePlan(size, self.config.range_size)
        resumed = sum(ranges[index].length for index in partial.completed)
        if resumed:
            log.info("resuming %s: %d of %d bytes already downloaded", name, resumed, size)
        try:
            md5 = self._fetch_into(partial, ranges, urls, progress, hash_md5=bool(identity["md5"]))
            verified_md5 = self._verify(partial.path, size, remote, md5)
            os.replace(partial.path, destination)
            partial.record_path.unlink(missing_ok=True)
        except IntegrityError:
            partial.discard()
            raise
        except BaseException as exc:
            if resume and partial.completed:
                partial.close()
                log.info("kept %s to resume from next time", partial.path)
            else:
                partial.discard()
            if isinstance(exc, OSError):
                raise DownloadError(
                    f"could not finish writing {destination}: {exc.strerror or exc}"
                ) from exc
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
        partial: _Partial,
        ranges: RangePlan,
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

        digest = InOrderDigest(partial.fd, ranges, "md5", partial.completed) if hash_md5 else None

        def fetch(index: int, byte_range: ByteRange) -> None:
            urls.run(lambda url: self.fetcher.fetch(url, byte_range, sink, cancel=cancel))
            partial.mark_completed(index)
            if digest is not None:
                digest.completed(index)

        tasks = [
            functools.partial(fetch, index, byte_range)
            for index, byte_range in enumerate(ranges)
            if index not in partial.completed
        ]
        try:
            run_all(tasks, workers=self.config.concurrency, cancel=cancel, name="jcds2-download")
            md5 = digest.hexdigest() if digest is not None else None
            os.fsync(partial.fd)
        except OSError as exc:
            raise DownloadError(f"writing {partial.path} failed: {exc.strerror or exc}") from exc
        finally:
            if digest is not None:
                digest.cancel()
            partial.close()
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
