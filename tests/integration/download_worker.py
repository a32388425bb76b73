"""One download from a file share, run as its own process by ``test_download_disk.py``.

``python -m tests.integration.download_worker SHARE DESTINATION NAME [--hold]`` prints
``ok`` or the name of the error's class. With ``--hold`` it prints ``fetching`` before its
first range and waits for a line on stdin before going on, so that the test can start a
rival download while this one holds its files.
"""

from __future__ import annotations

import sys
import threading

from jcds2.adapters.file_share import FileRangeFetcher, FileShareStore
from jcds2.application.cancel import CancelToken
from jcds2.application.download import DownloadFile
from jcds2.application.ports import RangeSink
from jcds2.domain.errors import Jcds2Error
from jcds2.domain.transfer import ByteRange, TransferConfig


class _HoldOnce:
    """A ``FileRangeFetcher`` whose first fetch waits for a line on stdin."""

    def __init__(self) -> None:
        self._inner = FileRangeFetcher()
        self._held = False
        self._lock = threading.Lock()

    def size(self, url: str) -> int:
        return self._inner.size(url)

    def fetch(
        self, url: str, byte_range: ByteRange, sink: RangeSink, *, cancel: CancelToken | None = None
    ) -> None:
        with self._lock:
            if not self._held:
                self._held = True
                print("fetching", flush=True)
                sys.stdin.readline()
        self._inner.fetch(url, byte_range, sink, cancel=cancel)


def main(arguments: list[str]) -> int:
    share, destination, name, *options = arguments
    fetcher = _HoldOnce() if "--hold" in options else FileRangeFetcher()
    download = DownloadFile(
        FileShareStore(share), fetcher, TransferConfig(range_size=4096, concurrency=1)
    )
    try:
        download(name, destination)
    except Jcds2Error as exc:
        print(type(exc).__name__, flush=True)
        return 1
    print("ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
