"""The ``jcds2`` command line: upload, download, list and delete JCDS files.

Configuration comes from flags, then the environment (``JAMF_URL``, ``JAMF_CLIENT_ID``
and ``JAMF_CLIENT_SECRET``, or ``JAMF_USERNAME`` and ``JAMF_PASSWORD``). Secrets are
never flags: they come from the environment or a prompt. Exit codes: 0 success,
1 failure, 2 usage, 3 a package already uses the file name.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

import attrs

from jcds2 import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    CredentialsProvider,
    JamfProClient,
    Jcds2Error,
    PackageExistsError,
    __version__,
)
from jcds2.cli.errors import UsageError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_EXISTS = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jcds2",
        description="Move package files in and out of the Jamf Cloud Distribution Service.",
        epilog="Credentials: JAMF_CLIENT_ID + JAMF_CLIENT_SECRET (API client, recommended) or "
        "JAMF_USERNAME + JAMF_PASSWORD; a missing secret is asked for on a terminal.",
    )
    parser.add_argument("--version", action="version", version=f"jcds2 {__version__}")
    parser.add_argument("--server", help="Jamf Pro URL or host name (default: $JAMF_URL)")
    parser.add_argument("--client-id", help="API client id (default: $JAMF_CLIENT_ID)")
    parser.add_argument("--username", help="user name (default: $JAMF_USERNAME)")
    parser.add_argument("--ca-bundle", help="CA bundle to verify the server's certificate with")
    parser.add_argument("--json", action="store_true", help="print one JSON object per result")
    parser.add_argument("--debug", action="store_true", help="log requests; tracebacks on error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    upload = commands.add_parser("upload", help="upload files and create their packages")
    upload.add_argument("files", nargs="+", metavar="FILE")
    upload.add_argument("--package-name", help="display name (default: the file name)")
    upload.add_argument("--category", help="category name")
    upload.add_argument("--info", help="package info text")
    upload.add_argument("--notes", help="package notes")
    upload.add_argument("--priority", type=int, default=10, help="1-20 (default: 10)")

    download = commands.add_parser("download", help="download JCDS files")
    download.add_argument("names", nargs="+", metavar="NAME")
    download.add_argument("-o", "--output", default=".", help="directory or file (default: .)")
    download.add_argument("--overwrite", action="store_true", help="replace existing files")
    download.add_argument(
        "--no-resume",
        dest="resume",
        action="store_false",
        help="start afresh instead of resuming a .part left by a failed run, and keep none",
    )

    commands.add_parser("ls", help="list the JCDS files")

    remove = commands.add_parser("rm", help="delete JCDS files (their packages stay)")
    remove.add_argument("names", nargs="+", metavar="NAME")

    emulator = commands.add_parser(
        "emulator", help="run the local Jamf Pro emulator in the foreground", add_help=False
    )
    emulator.add_argument("emulator_args", nargs=argparse.REMAINDER)
    return parser


def _secret(variable: str, prompt: str) -> str:
    value = os.environ.get(variable)
    if value:
        return value
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    raise UsageError(f"set {variable} (secrets are not accepted as flags)")


def _credentials(args: argparse.Namespace) -> CredentialsProvider:
    client_id = args.client_id or os.environ.get("JAMF_CLIENT_ID")
    if client_id:
        return ApiClientCredentialsProvider(
            client_id, _secret("JAMF_CLIENT_SECRET", "API client secret: ")
        )
    username = args.username or os.environ.get("JAMF_USERNAME")
    if username:
        return BasicAuthProvider(username, _secret("JAMF_PASSWORD", f"Password for {username}: "))
    raise UsageError("no credentials: set JAMF_CLIENT_ID or JAMF_USERNAME (or use the flags)")


def _client(args: argparse.Namespace) -> JamfProClient:
    server = args.server or os.environ.get("JAMF_URL")
    if not server:
        raise UsageError("no server: pass --server or set JAMF_URL")
    return JamfProClient(server, _credentials(args), verify=args.ca_bundle or True)


def _as_dict(value: Any) -> dict[str, Any]:
    return {key: str(item) if key == "path" else item for key, item in attrs.asdict(value).items()}


def _run(args: argparse.Namespace, emit: Callable[[str, dict[str, Any]], None]) -> int:
    with _client(args) as client:
        if args.command == "upload":
            status = EXIT_OK
            for path in args.files:
                try:
                    result = client.jcds2.upload_file(
                        file_path=path,
                        package_name=args.package_name,
                        category=args.category,
                        info=args.info,
                        notes=args.notes,
                        priority=args.priority,
                    )
                except PackageExistsError as exc:
                    print(f"jcds2: {exc}", file=sys.stderr)
                    status = EXIT_EXISTS
                    continue
                route = "in parts" if result.multipart else "in one request"
                emit(
                    f"uploaded {result.file_name} ({result.size} bytes, {route}) as package "
                    f"{result.package_id} {result.package_name!r}",
                    _as_dict(result),
                )
            return status
        if args.command == "download":
            for name in args.names:
                downloaded = client.jcds2.download_file(
                    file_name=name,
                    download_path=args.output,
                    overwrite=args.overwrite,
                    resume=args.resume,
                )
                emit(f"downloaded {name} to {downloaded.path}", _as_dict(downloaded))
        elif args.command == "ls":
            for remote in sorted(client.jcds2.list_files(), key=lambda r: r.file_name):
                emit(
                    f"{remote.size:>14}  {remote.md5 or '-':32}  {remote.file_name}",
                    _as_dict(remote),
                )
        elif args.command == "rm":
            for name in args.names:
                client.jcds2.delete_file(name)
                emit(f"deleted {name}", {"file_name": name, "deleted": True})
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "emulator":
        from jcds2.emulator.__main__ import main as emulator_main  # noqa: PLC0415

        return emulator_main(args.emulator_args)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # At DEBUG these libraries print request headers and signed URLs, i.e. S3 session
    # tokens and download signatures: --debug shows jcds2's own records only.
    for noisy in ("botocore", "boto3", "s3transfer", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    def emit(text: str, data: dict[str, Any]) -> None:
        print(json.dumps(data, default=str) if args.json else text, flush=True)

    # SIGTERM (a CI job cancelled, a service stopped) stops a transfer like Ctrl-C does:
    # workers stopped, multipart upload aborted, a download's .part kept for resuming.
    previous_handler = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _run(args, emit)
    except UsageError as exc:
        print(f"jcds2: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Jcds2Error as exc:
        if args.debug:
            raise
        print(f"jcds2: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except _Terminated:
        print("jcds2: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("jcds2: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a transfer stops and cleans up."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise _Terminated
