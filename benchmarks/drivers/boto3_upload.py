"""Benchmark driver: upload one file with boto3's own ``S3Client.upload_file``, then exit.

Usage: ``python boto3_upload.py S3_ENDPOINT_URL BUCKET KEY FILE``. boto3's default
``TransferConfig`` (s3transfer) decides on multipart, part size and concurrency; the
emulator's S3 server accepts any credentials. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time

import boto3


def main(endpoint_url: str, bucket: str, key: str, file_path: str) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="benchmark",
        aws_secret_access_key="benchmark",  # noqa: S106 - the emulator's S3 accepts any
    )
    started = time.perf_counter()
    s3.upload_file(file_path, bucket, key)
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
