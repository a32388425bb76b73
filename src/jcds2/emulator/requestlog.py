"""A record of the Jamf API requests the emulator received (S3 traffic is not recorded)."""

from __future__ import annotations

import threading

import attrs


@attrs.frozen
class RecordedRequest:
    """One Jamf API request as received: method, path and raw query string."""

    method: str
    path: str
    query_string: str


class RequestLog:
    """Thread-safe, append-only list of recorded requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
