"""The ``jcds2`` argument parser: the one description of the command line.

The CLI reference in the docs (sphinx-argparse) and the shell completion scripts (shtab)
are generated from :func:`build_parser`, so they cannot drift from what the command takes.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import Any

from jcds2 import OnExists, __version__
from jcds2.cli import audit, status
from jcds2.cli import completion as path_completion
from jcds2.cli import edit as edit_command
from jcds2.cli import sync as sync_command

EXIT_CODES_EPILOG = (
    "exit codes: 0 success, 1 failure, 2 usage, 3 a package already uses the file name, "
    "4 verify found the files differ, 5 status found a package not READY, 6 a deletion was "
    "refused (a policy or PreStage uses the package), 7 audit found something or sync left a "
    "destination out of sync, 130 interrupted, 143 terminated"
)

_DESCRIPTION = (
    "Move package files in and out of the Jamf Cloud Distribution Service (JCDS) of a Jamf "
    "Pro server. Settings come from flags, then the environment (JAMF_URL, JAMF_CLIENT_ID, "
    "JAMF_CLIENT_SECRET, JAMF_USERNAME, JAMF_PASSWORD), then ~/.config/jcds2/config.toml. "
    "Secrets are never flags: --password-stdin, the environment, the system keyring "
    "(jcds2 login) or a prompt."
)


#: The options every command takes: flags, metavar (``None``: a switch), help, completion.
_GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], str | None, str, object], ...] = (
    (("--server",), "URL", "Jamf Pro URL or host ($JAMF_URL)", None),
    (("--client-id",), "ID", "API client id ($JAMF_CLIENT_ID)", None),
    (("--username",), "NAME", "user name ($JAMF_USERNAME)", None),
    (
        ("--password-stdin",),
        None,
        "read the client secret or password from the first line of standard input",
        None,
    ),
    (("--profile",), "NAME", "config file profile ($JCDS2_PROFILE)", None),
    (
        ("--config",),
        "PATH",
        "config file ($JCDS2_CONFIG; default ~/.config/jcds2/config.toml)",
        path_completion.FILE,
    ),
    (
        ("--ca-bundle",),
        "PATH",
        "CA bundle to verify TLS with ($JCDS2_CA_BUNDLE)",
        path_completion.FILE,
    ),
    (
        ("--file-share",),
        "PATH",
        "a mounted file-share distribution point instead of the JCDS ($JCDS2_FILE_SHARE)",
        path_completion.DIRECTORY,
    ),
    (("--json",), None, "print one JSON object per result on stdout", None),
    (("-q", "--quiet"), None, "no progress bars and no result lines (errors still show)", None),
    (
        ("--debug",),
        None,
        "log what jcds2 does (secrets redacted); show a traceback on error",
        None,
    ),
)


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every command takes, before or after its name.

    Sub-commands declare them again with ``SUPPRESS`` defaults, so that an option given
    before the command is not overwritten by the sub-command's default.
    """
    group = parser.add_argument_group("connection and output (any command)")
    for flags, metavar, help_text, complete in _GLOBAL_OPTIONS:
        switch = metavar is None
        default = argparse.SUPPRESS if suppress else (False if switch else None)
        if switch:
            group.add_argument(*flags, action="store_true", default=default, help=help_text)
            continue
        action = group.add_argument(*flags, default=default, metavar=metavar, help=help_text)
        if complete is not None:
            action.complete = complete  # type: ignore[attr-defined]


def _command(
    commands: Any,
    name: str,
    help_text: str,
    description: str | None = None,
    *,
    global_options: bool = True,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=description or help_text[:1].upper() + help_text[1:] + ".",
        epilog=EXIT_CODES_EPILOG,
    )
    if global_options:
        _global_options(parser, suppress=True)
    return parser


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds (0 or more)")
    return value


def _progress_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        choices=("none", "bar", "lines"),
        default=None,
        help="bar: a progress bar per file; lines: a plain line per file every few seconds "
        "(for CI logs); none. Default: bar when standard error is a terminal, else none "
        "(and none with --quiet)",
    )


def reference_parser() -> argparse.ArgumentParser:
    """The parser as the CLI reference shows it: the global options once, at the top,
    rather than again under every command (where the command line accepts them too)."""
    return build_parser(global_options_per_command=False)


def build_parser(*, global_options_per_command: bool = True) -> argparse.ArgumentParser:  # noqa: PLR0915 - one statement per option
    """The parser of the ``jcds2`` command, with all its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="jcds2",
        description=_DESCRIPTION,
        epilog=EXIT_CODES_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"jcds2 {__version__}")
    _global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    command = functools.partial(_command, commands, global_options=global_options_per_command)

    upload = command(
        "upload",
        "upload files and make each a Jamf Pro package",
        "Upload files to the distribution point and make each a Jamf Pro package, named "
        "after its file unless --package-name says otherwise. Waits until the server reports "
        "the file's hash and size (skip with --no-verify).",
    )
    files = upload.add_argument("files", nargs="+", metavar="FILE", help="the files to upload")
    files.complete = path_completion.FILE  # type: ignore[attr-defined]
    upload.add_argument(
        "--route",
        choices=("auto", "packages", "jcds"),
        default=None,
        help="packages: Jamf's supported /api/v1/packages/{id}/upload; jcds: the "
        "/api/v1/jcds route (deprecated by Jamf) with the Classic API; auto (default): "
        "packages when the server takes direct uploads, else jcds ($JCDS2_ROUTE)",
    )
    upload.add_argument(
        "--on-exists",
        choices=[choice.value for choice in OnExists],
        default=OnExists.FAIL.value,
        help="when a package already uses the file name: fail (exit 3, the default), skip "
        "(if it holds the same file; exit 3 if not) or replace its file, keeping the package; "
        "with skip and replace, the package options given are written to that package",
    )
    upload.add_argument(
        "--package-name", metavar="NAME", help="display name (one FILE only; default: file name)"
    )
    upload.add_argument(
        "--category",
        metavar="CATEGORY",
        help="the package's category, by name (as Settings > Categories shows it) or id; "
        "an unknown one fails before anything is sent",
    )
    upload.add_argument(
        "--create-category",
        action="store_true",
        help="create the --category named if Jamf Pro has none of that name",
    )
    upload.add_argument("--info", metavar="TEXT", help="the package's info text")
    upload.add_argument("--notes", metavar="TEXT", help="the package's notes")
    upload.add_argument(
        "--priority",
        type=_whole_number(1, 20),
        metavar="1-20",
        help="the package's priority (default: 10 for a new package)",
    )
    upload.add_argument(
        "--workers",
        type=_whole_number(1, 16),
        default=2,
        metavar="N",
        help="files uploaded at once (1-16, default: 2)",
    )
    upload.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="return once the bytes are sent, without waiting for the server to confirm them",
    )
    upload.add_argument(
        "--require-signed",
        action="store_true",
        help="refuse a .pkg that carries no signature (checked before anything is sent; "
        "the signing certificate's name is reported)",
    )
    upload.add_argument(
        "--dry-run",
        action="store_true",
        help="print what each file would do (route, create, skip, replace or fail, the "
        "category, the guardrails' findings) and change nothing",
    )
    upload.add_argument(
        "--verify-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="wait this long for the server to confirm a file, plus --verify-timeout-per-gib "
        "per GiB of it (default: 1200, or `verify_timeout` in the config file)",
    )
    upload.add_argument(
        "--verify-timeout-per-gib",
        type=_seconds,
        metavar="SECONDS",
        help="the extra wait per GiB of the file (default: 180, or `verify_timeout_per_gib` "
        "in the config file; 0: a fixed wait)",
    )
    _progress_option(upload)

    download = command(
        "download",
        "download files from the distribution point",
        "Download files by name. Each is fetched in HTTP range requests, checked against the "
        "server's MD5, and renamed into place only when complete; an interrupted download "
        "resumes on the next run.",
    )
    download.add_argument("names", nargs="+", metavar="NAME", help="file names")
    output = download.add_argument(
        "-o",
        "--output",
        default=".",
        metavar="PATH",
        help="a directory (the file name is appended), or a file path for one NAME "
        "(default: the current directory)",
    )
    output.complete = path_completion.DIRECTORY  # type: ignore[attr-defined]
    download.add_argument(
        "--overwrite", action="store_true", help="replace a file that already exists"
    )
    download.add_argument(
        "--no-resume",
        dest="resume",
        action="store_false",
        help="start afresh instead of resuming a .part left by a failed run, and keep none",
    )
    _progress_option(download)

    command(
        "ls",
        "list the files of the distribution point",
        "List the files of the distribution point: name, size in bytes, MD5 and SHA3-512 "
        "(a dash where the server reports none).",
    )

    status.add_parser(command)
    audit.add_parser(command)
    sync_command.add_parser(command)

    remove = command(
        "rm",
        "delete files and the packages that use them",
        "Delete files from the distribution point, together with the Jamf Pro package that "
        "uses each (so that no package is left pointing at a missing file). Asks first on a "
        "terminal; elsewhere --yes is required.",
    )
    remove.add_argument("names", nargs="+", metavar="NAME", help="file names")
    remove.add_argument("-y", "--yes", action="store_true", help="do not ask")
    remove.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be deleted (file, package) and delete nothing; asks nothing",
    )
    remove.add_argument(
        "--force",
        action="store_true",
        help="delete a package even if a policy or PreStage uses it, or if what uses it "
        "cannot be read (refused otherwise, exit 6)",
    )

    verify = command(
        "verify",
        "compare a file on the server with a local file",
        "Compare the size and hash (SHA3-512, else MD5) the server reports for a file with "
        "a local file. Exit 0 when they match, 4 when they differ, 1 when they could not be "
        "compared (no such file here or there, no hash on the server yet, an error).",
    )
    name = verify.add_argument(
        "name",
        metavar="NAME",
        help="the file name on the server, or a local file's path (with a folder in it, "
        "such as ./Tool.pkg): that file, under its own name on the server",
    )
    name.complete = path_completion.FILE  # type: ignore[attr-defined]
    local = verify.add_argument(
        "--file", metavar="PATH", help="the local file, for a NAME on the server (default: ./NAME)"
    )
    local.complete = path_completion.FILE  # type: ignore[attr-defined]

    edit_command.add_arguments(
        command(
            "edit",
            "change a package's settings without uploading its file again",
            "Change settings of an existing package (category, info, notes, priority, ...) "
            "and only those; nothing else of the package, its file's size and hashes "
            "included, changes. --dry-run prints what would change and changes nothing.",
        ),
        _whole_number(1, 20),
    )

    command(
        "ping",
        "check the server, the credentials and the server's version",
        "Check that the server answers, that the credentials are accepted, and print the "
        "Jamf Pro version and whether the cloud distribution point takes direct uploads.",
    )
    command(
        "login",
        "store the secret in the system keyring",
        "Check the secret (from --password-stdin, the environment or a prompt) against the "
        "server, then store it in the system keyring for this server and client id or user "
        "name, where later commands find it.",
    )
    command(
        "logout",
        "remove the stored secret from the system keyring",
    )

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description='Print a completion script. bash: `eval "$(jcds2 completion bash)"` '
        "in ~/.bashrc; zsh: `jcds2 completion zsh > ~/.zfunc/_jcds2` with ~/.zfunc in fpath; "
        "fish: `jcds2 completion fish > ~/.config/fish/completions/jcds2.fish`.",
    )
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh", "fish"))

    commands.add_parser(
        "emulator",
        help="run the local Jamf Pro emulator in the foreground",
        description="Run the local Jamf Pro emulator (Classic and Pro API subset with an S3 "
        "server) until Ctrl-C; `jcds2 emulator --help` lists its options.",
        add_help=False,
        prefix_chars="\0",
    ).add_argument("emulator_args", nargs=argparse.REMAINDER, help="emulator options")
    return parser
