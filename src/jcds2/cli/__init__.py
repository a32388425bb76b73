"""The ``jcds2`` command line: upload, download, list, delete and verify package files.

Settings come from flags, then the environment, then ``~/.config/jcds2/config.toml``
(:mod:`jcds2.cli.settings`); secrets never come from flags. Exit codes: 0 success,
1 failure, 2 usage, 3 a package already uses the file name, 4 ``verify`` found the files
differ, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM). The parser is
:func:`jcds2.cli.parser.build_parser`.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import traceback
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from jcds2.cli.errors import UsageError
from jcds2.cli.output import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    error_message,
    error_object,
    json_line,
)
from jcds2.cli.parser import build_parser
from jcds2.errors import Jcds2Error

# The commands and the session pull in the client stack (requests, the container, the
# adapters): imported once a command runs, so --version and --help stay quick (issue 17).
if TYPE_CHECKING:
    from jcds2.cli.session import Session

__all__ = ["UsageError", "build_parser", "main"]


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line and return its exit code (argparse exits 2 on bad usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if args.command == "emulator":
        return _emulator(args.emulator_args, stderr)
    if args.command == "completion":
        import shtab  # noqa: PLC0415

        stdout.write(shtab.complete(parser, shell=args.shell))
        return EXIT_OK
    _configure_logging(debug=args.debug)
    from jcds2.cli.session import Session  # noqa: PLC0415

    try:
        session = Session.start(
            args,
            environ=os.environ if environ is None else environ,
            stdin=stdin or sys.stdin,
            stdout=stdout,
            stderr=stderr,
        )
    except UsageError as exc:
        return _usage_error(exc, args, stdout, stderr)
    return _run(session)


def _run(session: Session) -> int:
    """Run the session's command, turning every way it can end into an exit code."""
    from jcds2.cli.commands import COMMANDS  # noqa: PLC0415

    args, stdout, stderr = session.args, session.output.stdout, session.output.stderr
    # SIGTERM (a CI job cancelled, a service stopped) stops a transfer like Ctrl-C does:
    # workers stopped, multipart upload aborted, a download's .part kept for resuming.
    previous_handler = signal.signal(signal.SIGTERM, _terminate)
    try:
        return COMMANDS[args.command](session)
    except UsageError as exc:
        return _usage_error(exc, args, stdout, stderr)
    except Jcds2Error as exc:
        if args.debug:
            traceback.print_exc(file=stderr)
        error = error_object(exc)
        print(f"jcds2: {error['message']}", file=stderr)
        if args.json:
            print(_json_line({"command": args.command, "error": error}), file=stdout)
        return int(error["exit_code"])
    except _Terminated:
        print("jcds2: terminated", file=stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("jcds2: interrupted", file=stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


def _emulator(arguments: Sequence[str], stderr: TextIO) -> int:
    # The same entry point as python -m jcds2.emulator, so both say the same when the
    # emulator extra is missing (it needs only the standard library to say it).
    from jcds2.emulator.__main__ import main as emulator_main  # noqa: PLC0415

    return emulator_main(arguments, prog="jcds2 emulator", stderr=stderr)


def _usage_error(
    error: UsageError, args: argparse.Namespace, stdout: TextIO, stderr: TextIO
) -> int:
    print(f"jcds2: {error_message(error)}", file=stderr)
    if args.json:
        message = {"type": "UsageError", "message": str(error), "exit_code": EXIT_USAGE}
        print(_json_line({"command": args.command, "error": message}), file=stdout)
    return EXIT_USAGE


def _json_line(data: object) -> str:
    return json_line(data)


def _configure_logging(*, debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # At DEBUG these libraries print request headers and signed URLs, i.e. S3 session
    # tokens and download signatures: --debug shows jcds2's own records only. Without
    # --debug their warnings (urllib3's "Retrying ..." for each attempt) would crowd out
    # the one line that reports the failure.
    for noisy in ("botocore", "boto3", "s3transfer", "urllib3", "keyring"):
        logging.getLogger(noisy).setLevel(logging.WARNING if debug else logging.ERROR)
    # The batch logs each failed file as a warning for library users; the command line
    # already reports it as its own line (jcds2: FILE: message).
    logging.getLogger("jcds2.batch").setLevel(logging.DEBUG if debug else logging.ERROR)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a transfer stops and cleans up."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise _Terminated
