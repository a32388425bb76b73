"""The emulator's command line (``python -m jcds2.emulator``, ``jcds2 emulator``): run the
emulator until SIGINT/SIGTERM.

Prints one JSON line with the URLs and credentials once both servers listen. It needs the
``emulator`` extra; :mod:`jcds2.emulator.__main__` says so when it is missing.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from jcds2.emulator.cdp import CDN_TYPES, DEFAULT_CDN_TYPE
from jcds2.emulator.faults import FaultPlan
from jcds2.emulator.server import JamfEmulator
from jcds2.emulator.state import check_transfer_delay
from jcds2.emulator.system import DEFAULT_REFRESH_ALL_INTERVAL, check_refresh_interval


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a local Jamf Pro emulator with a JCDS backed by moto's S3 server. "
        "The control routes under /_emulator/ (loopback only) change the fault plan and "
        "switch strict JSON bodies on or off while it runs.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address both servers listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="the Jamf Pro server's port (default: 0, a free one)"
    )
    parser.add_argument(
        "--packages",
        type=int,
        default=0,
        metavar="N",
        help="package records to preload (default: 0)",
    )
    parser.add_argument(
        "--policies",
        type=int,
        default=0,
        metavar="N",
        help="policies to preload, each installing one preloaded package in turn (default: 0)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0,
        metavar="MS",
        help="delay per Jamf API request, in milliseconds (default: 0)",
    )
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=1200,
        metavar="S",
        help="bearer token lifetime in seconds (default: 1200)",
    )
    parser.add_argument(
        "--credential-ttl",
        type=float,
        default=3600,
        metavar="S",
        help="JCDS upload credential lifetime in seconds (default: 3600)",
    )
    parser.add_argument(
        "--username", help="the user name it accepts (default: a random one, printed at start)"
    )
    parser.add_argument(
        "--password",
        help="the user's password, or JCDS2_EMULATOR_PASSWORD (default: a random one, printed)",
    )
    parser.add_argument(
        "--client-id", help="the API client id it accepts (default: a random one, printed)"
    )
    parser.add_argument(
        "--client-secret",
        help="the API client's secret, or JCDS2_EMULATOR_CLIENT_SECRET (default: a random one, "
        "printed)",
    )
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    parser.add_argument(
        "--external-files",
        metavar="DIR",
        help="serve the files in DIR as JCDS files too (needs --download-base-url)",
    )
    parser.add_argument(
        "--download-base-url",
        metavar="URL",
        help="download URL prefix for the --external-files (e.g. an nginx serving DIR)",
    )
    parser.add_argument(
        "--request-log",
        metavar="FILE",
        help="append one JSON line per Jamf API request to FILE",
    )
    parser.add_argument(
        "--transfer-delay",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds from a package upload to its file showing (after a refresh-inventory)",
    )
    parser.add_argument(
        "--cdn-type",
        default=DEFAULT_CDN_TYPE,
        choices=CDN_TYPES,
        help="the cloud distribution point's type (NONE: no cloud distribution point)",
    )
    parser.add_argument(
        "--refresh-interval",
        type=float,
        default=DEFAULT_REFRESH_ALL_INTERVAL,
        metavar="S",
        help="seconds between inventory refreshes of every file (no file-name)",
    )
    parser.add_argument(
        "--faults",
        metavar="FILE",
        help='start with the fault plan in FILE (JSON: {"seed": N, "rules": [...]})',
    )
    parser.add_argument(
        "--strict-json",
        action="store_true",
        help="refuse JSON request bodies the published schema does not allow as written "
        "(a wrong JSON type even if Jamf would coerce it, undeclared or read-only "
        "properties, a missing required one) with 400; by default bodies are read "
        "leniently, as Jamf Pro's Jackson does",
    )
    parser.add_argument(
        "--env",
        action="store_true",
        help="print shell `export` lines for the jcds2 command instead of one JSON line",
    )
    return parser


def _exports(info: dict[str, str]) -> str:
    """What a second terminal pastes to point ``jcds2`` at this emulator."""
    names = {
        "JAMF_URL": info["url"],
        "JAMF_CLIENT_ID": info["client_id"],
        "JAMF_CLIENT_SECRET": info["client_secret"],
        "AWS_ENDPOINT_URL_S3": info["s3_endpoint_url"],
    }
    lines = [f"export {name}={shlex.quote(value)}" for name, value in names.items()]
    return "\n".join(["# the local emulator's test credentials; Ctrl-C stops it", *lines]) + "\n"


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m jcds2.emulator") -> int:
    """Run the emulator with the options in ``argv``; ``prog`` names it in usage and errors."""
    parser = _parser(prog)
    args = parser.parse_args(argv)
    if (args.external_files is None) != (args.download_base_url is None):
        parser.error("--external-files and --download-base-url go together")
    try:
        check_transfer_delay(args.transfer_delay)
    except ValueError as error:
        parser.error(f"--transfer-delay: {error}")
    try:
        check_refresh_interval(args.refresh_interval)
    except ValueError as error:
        parser.error(f"--refresh-interval: {error}")
    faults = None
    if args.faults is not None:
        try:
            faults = FaultPlan.from_json_file(args.faults)
        except ValueError as error:
            parser.error(f"--faults: {error}")
    if not args.verbose:
        # moto and werkzeug log through the "werkzeug" logger; keep stderr quiet.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    emulator = JamfEmulator(
        host=args.host,
        port=args.port,
        packages=args.packages,
        policies=args.policies,
        latency_ms=args.latency_ms,
        token_ttl_seconds=args.token_ttl,
        credential_ttl_seconds=args.credential_ttl,
        username=args.username,
        password=args.password or os.environ.get("JCDS2_EMULATOR_PASSWORD"),
        client_id=args.client_id,
        client_secret=args.client_secret or os.environ.get("JCDS2_EMULATOR_CLIENT_SECRET"),
        verbose=args.verbose,
        download_base_url=args.download_base_url,
        external_files=args.external_files,
        request_log_path=args.request_log,
        faults=faults,
        transfer_delay_seconds=args.transfer_delay,
        strict_json=args.strict_json,
        cdn_type=args.cdn_type,
        refresh_all_interval_seconds=args.refresh_interval,
    )
    with emulator:
        info = emulator.info()
        sys.stdout.write(_exports(info) if args.env else json.dumps(info) + "\n")
        sys.stdout.flush()
        # A timed wait keeps the main thread responsive to signals.
        while not stop.wait(0.2):
            pass
    return 0
