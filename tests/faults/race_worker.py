"""One of the processes of ``test_races``: uploads a file each time it is told to.

Reads lines ``<path>`` on stdin (one per round, written to both processes at once by the
test, so the uploads start together without any sleep) and answers each with one JSON line
on stdout: the result, or the error's type and message. The server and route come from the
environment (``RACE_URL``, ``RACE_S3``, ``RACE_ROUTE``, ``RACE_USER``, ``RACE_PASSWORD``).
"""

from __future__ import annotations

import json
import logging
import os
import sys

from jcds2 import BasicAuthProvider, JamfProClient, Jcds2Error, TransferConfig


def main() -> None:
    logging.disable(logging.CRITICAL)  # expected failures log warnings; stdout is the answer
    config = TransferConfig(
        max_attempts=3,
        read_timeout=15.0,
        verify_poll_initial=0.02,
        verify_poll_max=0.1,
        verify_timeout=20.0,
    )
    with JamfProClient(
        os.environ["RACE_URL"],
        BasicAuthProvider(os.environ["RACE_USER"], os.environ["RACE_PASSWORD"]),
        transfer_config=config,
        s3_endpoint_url=os.environ["RACE_S3"],
        route=os.environ["RACE_ROUTE"],
    ) as client:
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            path = line.strip()
            answer: dict[str, object]
            try:
                result = client.jcds2.upload_file(file_path=path)
            except Jcds2Error as exc:
                answer = {"error": type(exc).__name__, "message": str(exc)}
            except Exception as exc:
                answer = {"error": f"untyped {type(exc).__name__}", "message": str(exc)}
            else:
                answer = {
                    "package_id": result.package_id,
                    "sha3_512": result.sha3_512,
                    "hash_type": result.hash_type.value,
                    "hash_value": result.hash_value,
                }
            print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
