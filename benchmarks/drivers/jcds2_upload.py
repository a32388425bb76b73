"""Benchmark driver: upload one file with jcds2's public API, then exit.

Usage: ``python jcds2_upload.py URL S3_ENDPOINT_URL FILE [MULTIPART_THRESHOLD_BYTES]``; the
API client's id and secret come from ``JCDS2_BENCH_CLIENT_ID`` and
``JCDS2_BENCH_CLIENT_SECRET``. Without a threshold, jcds2's default ``TransferConfig`` is
used. Prints one JSON line, with the wall-clock epoch times around ``upload_file`` so that
the harness can pick that call's requests out of the emulator's request log.
"""

from __future__ import annotations

import json
import os
import sys
import time

import attrs

from jcds2 import ApiClientCredentialsProvider, JamfProClient, TransferConfig


def main(url: str, s3_endpoint_url: str, file_path: str, threshold: str | None = None) -> None:
    credentials = ApiClientCredentialsProvider(
        os.environ["JCDS2_BENCH_CLIENT_ID"], os.environ["JCDS2_BENCH_CLIENT_SECRET"]
    )
    config = TransferConfig() if threshold is None else TransferConfig(int(threshold))
    if os.environ.get("JCDS2_BENCH_CONCURRENCY"):
        config = attrs.evolve(config, concurrency=int(os.environ["JCDS2_BENCH_CONCURRENCY"]))
    with JamfProClient(
        url, credentials, transfer_config=config, s3_endpoint_url=s3_endpoint_url
    ) as client:
        begin = time.time()
        started = time.perf_counter()
        result = client.jcds2.upload_file(file_path=file_path)
        elapsed = time.perf_counter() - started
        end = time.time()
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "begin": begin,
                "end": end,
                "size": result.size,
                "multipart": result.multipart,
                "package_id": result.package_id,
                "part_size": config.part_size,
                "concurrency": config.concurrency,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
