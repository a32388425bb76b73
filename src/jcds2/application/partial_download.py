"""``<destination>.part`` being filled, and the record that lets a later call resume it."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import KeysView
from typing import Any

from jcds2.application.cancel import TransferCancelledError
from jcds2.application.local_directory import (
    PART_SUFFIX,
    RECORD_SUFFIX,
    Directory,
    flush,
)
from jcds2.domain.errors import DestinationError
from jcds2.domain.transfer import RangePlan

log = logging.getLogger("jcds2.download")

_RECORD_FORMAT = 2
_RECORD_LIMIT = 16 * 1024 * 1024
_BLOCK = 4 * 1024 * 1024


class PartialDownload:
    """``<stem>.part`` being filled, and ``<stem>.part.json``, the record of its ranges.

    The record says which file, size, MD5, version and range size the ranges belong to,
    and gives the SHA-256 of each completed range. A range is recorded only once its bytes
    are flushed to the disk (:func:`~jcds2.application.local_directory.flush`), so a crash
    cannot leave a record that claims bytes the ``.part`` never received. A later call
    resumes only a record and a ``.part`` of its own user (the ``.part`` with no other
    hard link), and only the ranges whose bytes on disk still have the recorded checksum;
    the rest are fetched again. Writes and record updates stop once the partial is
    closed: a worker left behind after a cancellation cannot touch it.
    """

    def __init__(
        self, directory: Directory, stem: str, identity: dict[str, Any], size: int
    ) -> None:
        self.directory = directory
        self.part_name = stem + PART_SUFFIX
        self.record_name = stem + RECORD_SUFFIX
        self.path = directory.path / self.part_name
        self.record_path = directory.path / self.record_name
        self.identity = identity
        self.size = size
        self.ranges = RangePlan(size, identity["range_size"])
        self.checksums: dict[int, str] = {}
        self.file: os.stat_result | None = None
        self.fd = -1
        self._condition = threading.Condition()
        self._writers = 0
        self._closed = False

    @property
    def completed(self) -> KeysView[int]:
        """The indices of the ranges already in the ``.part``."""
        return self.checksums.keys()

    @classmethod
    def open(
        cls,
        directory: Directory,
        stem: str,
        identity: dict[str, Any],
        size: int,
        resume: bool,
    ) -> PartialDownload:
        partial = cls(directory, stem, identity, size)
        try:
            if resume:
                partial._resume()
            if partial.fd < 0:
                partial._start_afresh()
        except OSError as exc:
            partial.close()
            path = partial.path
            raise DestinationError(path, f"cannot write {path}: {exc.strerror or exc}") from exc
        except BaseException:
            partial.close()
            raise
        return partial

    def _start_afresh(self) -> None:
        self.checksums.clear()
        self.directory.remove(self.record_name)  # never a stale record
        self.directory.remove(self.part_name)
        self.fd = self.directory.create(self.part_name)
        self.file = os.fstat(self.fd)
        os.ftruncate(self.fd, self.size)
        self.save()

    def _resume(self) -> None:
        recorded = self._read_record()
        if recorded is None:
            return
        fd = self.directory.open_existing(self.part_name, os.O_RDWR)
        if fd is None:
            return
        info = os.fstat(fd)
        if (info.st_size, info.st_nlink, info.st_uid) != (self.size, 1, os.geteuid()):
            log.info("%s is not a part this user can resume; starting afresh", self.path)
            os.close(fd)
            return
        self.fd, self.file = fd, info
        for index, checksum in recorded.items():
            if self._checksum(index) == checksum:
                self.checksums[index] = checksum
        if len(self.checksums) < len(recorded):
            log.warning(
                "%d recorded range(s) of %s no longer match their checksum; fetching them again",
                len(recorded) - len(self.checksums),
                self.path,
            )

    def _read_record(self) -> dict[int, str] | None:
        """The recorded checksum of each completed range, if the record is of this file."""
        fd = self.directory.open_existing(self.record_name, os.O_RDONLY)
        if fd is None:
            return None
        with os.fdopen(fd, "rb") as handle:
            if os.fstat(fd).st_uid != os.geteuid():
                log.info("%s belongs to another user; not resuming from it", self.record_path)
                return None
            data = handle.read(_RECORD_LIMIT + 1)
        try:
            record = json.loads(data) if len(data) <= _RECORD_LIMIT else None
        except ValueError:
            record = None
        if not isinstance(record, dict) or record.get("format") != _RECORD_FORMAT:
            return None
        if any(record.get(key) != value for key, value in self.identity.items()):
            log.info("%s belongs to another version of the file; starting afresh", self.part_name)
            return None
        return self._recorded_ranges(record.get("ranges"))

    def _recorded_ranges(self, ranges: object) -> dict[int, str] | None:
        if not isinstance(ranges, dict):
            return None
        recorded: dict[int, str] = {}
        for key, checksum in ranges.items():
            if not (key.isascii() and key.isdigit() and isinstance(checksum, str)):
                return None
            if int(key) >= len(self.ranges):
                return None
            recorded[int(key)] = checksum
        return recorded

    def _checksum(self, index: int) -> str:
        """The SHA-256 of range ``index`` as it is in the ``.part`` now."""
        byte_range = self.ranges[index]
        digest = hashlib.sha256()
        offset, remaining = byte_range.start, byte_range.length
        while remaining:
            block = os.pread(self.fd, min(_BLOCK, remaining), offset)
            if not block:
                break  # a shorter file: the checksum cannot match
            digest.update(block)
            offset, remaining = offset + len(block), remaining - len(block)
        return digest.hexdigest()

    def current_file(self) -> os.stat_result | None:
        """The status of the ``.part``, if its name still names the file this partial wrote."""
        current = self.directory.lstat(self.part_name)
        if current is None or self.file is None or not os.path.samestat(current, self.file):
            return None
        return current

    def _enter(self) -> bool:
        with self._condition:
            if self._closed:
                return False
            self._writers += 1
            return True

    def _leave(self) -> None:
        with self._condition:
            self._writers -= 1
            self._condition.notify_all()

    def write(self, offset: int, data: memoryview) -> int:
        if not self._enter():
            raise TransferCancelledError("the download was stopped")
        try:
            total = 0
            while data:
                written = os.pwrite(self.fd, data, offset)
                data, offset, total = data[written:], offset + written, total + written
            return total
        finally:
            self._leave()

    def mark_completed(self, index: int) -> None:
        """Record range ``index`` as complete, once its bytes are durable."""
        if not self._enter():
            return
        try:
            checksum = self._checksum(index)
            flush(self.fd)
        finally:
            self._leave()
        with self._condition:
            if self._closed:
                return
            self.checksums[index] = checksum
            self.save()

    def save(self) -> None:
        """Write the record atomically: a new file of a private name renamed over the old.

        Best effort: without a record the download still completes, it just cannot be
        resumed (and a resumed file is verified before it is used anyway).
        """
        ranges = {str(index): self.checksums[index] for index in sorted(self.checksums)}
        record = {**self.identity, "format": _RECORD_FORMAT, "ranges": ranges}
        data = memoryview(json.dumps(record).encode("utf-8"))
        temporary = ""
        try:
            temporary, fd = self.directory.create_temporary(self.record_name)
            try:
                while data:
                    data = data[os.write(fd, data) :]
            finally:
                os.close(fd)
            self.directory.replace(temporary, self.record_name)
        except OSError as exc:
            log.warning("cannot record progress in %s: %s", self.record_path, exc.strerror)
            if temporary:
                self._unlink(temporary)

    def close(self) -> None:
        """Stop all further writes (waiting for those under way) and close the file."""
        with self._condition:
            self._closed = True
            while self._writers:
                self._condition.wait()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def forget_record(self) -> None:
        self._unlink(self.record_name)

    def discard(self) -> None:
        self.close()
        for name in (self.part_name, self.record_name):
            self._unlink(name)

    def _unlink(self, name: str) -> None:
        try:
            os.unlink(name, dir_fd=self.directory.fd)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove %s: %s", self.directory.path / name, exc.strerror)
