"""A record of the Jamf API requests the emulator received (S3 traffic is not recorded)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import attrs


@attrs.frozen
class RecordedRequest:
    """One Jamf API request as received: method, path and raw query string."""

    method: str
    path: str
    query_string: str


class RequestLog:
    """Thread-safe, append-only list of recorded requests.

    With ``path``, every request is also appended to that file as one JSON line
    ``{"time": <epoch seconds>, "method", "path", "query"}`` as soon as it arrives, so
    another process can count the requests of an emulator running as a subprocess.
    ``clear()`` empties the list, never the file.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []
        self._path = None if path is None else Path(path)

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(entry)
            if self._path is not None:
                line = json.dumps(
                    {
                        "time": time.time(),
                        "method": entry.method,
                        "path": entry.path,
                        "query": entry.query_string,
                    }
                )
                with self._path.open("a", encoding="utf-8") as sink:
                    sink.write(line + "\n")

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
