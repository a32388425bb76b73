"""Benchmark driver: download one JCDS file with jcds2's public API, then exit.

Usage: ``python jcds2_download.py URL FILE_NAME DEST_DIR``; the API client's id and secret
come from ``JCDS2_BENCH_CLIENT_ID`` and ``JCDS2_BENCH_CLIENT_SECRET``. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time

from jcds2 import ApiClientCredentialsProvider, JamfProClient, TransferConfig


def main(url: str, file_name: str, destination: str) -> None:
    credentials = ApiClientCredentialsProvider(
        os.environ["JCDS2_BENCH_CLIENT_ID"], os.environ["JCDS2_BENCH_CLIENT_SECRET"]
    )
    concurrency = os.environ.get("JCDS2_BENCH_CONCURRENCY")
    config = (
        TransferConfig() if concurrency is None else TransferConfig(concurrency=int(concurrency))
    )
    with JamfProClient(url, credentials, transfer_config=config) as client:
        started = time.perf_counter()
        result = client.jcds2.download_file(
            file_name=file_name, download_path=destination, overwrite=True
        )
        elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "size": result.size,
                "verified_md5": result.verified_md5,
                "path": str(result.path),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
