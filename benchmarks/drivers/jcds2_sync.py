"""Benchmark driver: sync a folder into the JCDS with jcds2's public API, then exit.

Usage: ``python jcds2_sync.py URL S3_ENDPOINT_URL FOLDER``; the API client's id and secret
come from ``JCDS2_BENCH_CLIENT_ID`` and ``JCDS2_BENCH_CLIENT_SECRET``. Prints one JSON line,
with the wall-clock epoch times around ``client.sync`` so that the harness can pick that
call's requests out of the emulator's request log, and the plan's counts.
"""

from __future__ import annotations

import json
import os
import sys
import time

from jcds2 import ApiClientCredentialsProvider, JamfProClient


def main(url: str, s3_endpoint_url: str, folder: str) -> None:
    credentials = ApiClientCredentialsProvider(
        os.environ["JCDS2_BENCH_CLIENT_ID"], os.environ["JCDS2_BENCH_CLIENT_SECRET"]
    )
    with JamfProClient(url, credentials, s3_endpoint_url=s3_endpoint_url) as client:
        begin = time.time()
        started = time.perf_counter()
        report = client.sync(folder, "jcds")
        elapsed = time.perf_counter() - started
        end = time.time()
    (destination,) = report.plan.destinations
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "begin": begin,
                "end": end,
                "in_sync": report.in_sync,
                "counts": destination.as_json()["counts"],
                "failed": sum(1 for result in report.results if result.error is not None),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
