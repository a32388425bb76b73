"""What the command line prints: results and errors, as lines or JSON, and the exit codes."""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import attrs

from jcds2.domain.text import shown, shown_json
from jcds2.errors import DeletionRefusedError, PackageExistsError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_EXISTS = 0, 1, 2, 3
#: ``jcds2 verify`` compared the files and they differ (1: it could not compare them).
EXIT_DIFFERS = 4
#: A package was not deleted: a policy or PreStage uses it, or what uses it could not be
#: read (``--force`` deletes it anyway).
EXIT_IN_USE = 6
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM


def exit_code_for(error: BaseException) -> int:
    """The exit code that reports ``error``: 3 for "already exists", 6 for "in use, not
    deleted", else 1."""
    if isinstance(error, DeletionRefusedError):
        return EXIT_IN_USE
    return EXIT_EXISTS if isinstance(error, PackageExistsError) else EXIT_FAILURE


def worst(codes: Iterator[int] | list[int]) -> int:
    """The exit code of several results: a failure over "in use" over "already exists"
    over success."""
    found = set(codes)
    for code in (EXIT_FAILURE, EXIT_IN_USE, EXIT_EXISTS):
        if code in found:
            return code
    return EXIT_OK


#: The library's advice names its arguments; on the command line the same advice names
#: flags. The library's messages speak Python only, and the command line says it its way.
ADVICE_FOR_THE_SHELL = (
    ("Pass overwrite=True", "Pass --overwrite"),
    ("pass force=True", "pass --force"),
    ("on_exists='skip'", "--on-exists skip"),
    ("on_exists='replace'", "--on-exists replace"),
    ("resume=False", "--no-resume"),
    ("verify=False", "--no-verify"),
    ("create_category=True", "--create-category"),
    ("verify='/path/to/ca.pem'", "--ca-bundle /path/to/ca.pem (or JCDS2_CA_BUNDLE)"),
    ("pass packages_dir=''", "give --file-share the folder that holds it"),
    (
        "pass a credentials provider",
        "give --client-id or --username, and the secret apart (--password-stdin, the "
        "environment, the keyring or a prompt)",
    ),
    ("without require_signed=True", "without --require-signed"),
    ("the listing of the files names the package of each", "jcds2 ls lists the files"),
    ("force=True deletes anyway", "--force deletes anyway"),
)


def error_message(error: BaseException) -> str:
    """One line for the terminal, with advice phrased for the command line, and every
    control or bidirectional character a server may have put in it escaped."""
    return shown(_error_text(error))


def _error_text(error: BaseException) -> str:
    if isinstance(error, PackageExistsError) and error.detail is None:
        return (
            f"package {error.package_id} ({error.package_name!r}) already uses the file name "
            f"{error.file_name!r}. Rename the file, delete that package (jcds2 rm "
            f"{_quote(error.file_name)}), or upload again with --on-exists skip (keeps it if "
            "it is the same file) or --on-exists replace."
        )
    message = " ".join(str(error).split()) or type(error).__name__
    for library, shell in ADVICE_FOR_THE_SHELL:
        message = message.replace(library, shell)
    return message


def error_object(error: BaseException) -> dict[str, Any]:
    """An error as it appears in ``--json`` output."""
    return {
        "type": type(error).__name__,
        "message": error_message(error),
        "exit_code": exit_code_for(error),
    }


def _quote(name: str) -> str:
    return name if name.replace(".", "").replace("-", "").replace("_", "").isalnum() else repr(name)


def json_line(data: Any) -> str:
    """``data`` as one line of JSON, safe to print to a terminal (see :func:`shown_json`)."""
    return shown_json(json.dumps(data, default=str, ensure_ascii=False))


@attrs.define
class Output:
    """Where results and errors go: human lines or JSON objects on stdout, errors on stderr.

    Everything printed passes :func:`~jcds2.domain.text.shown` (JSON: :func:`shown_json`),
    so names and messages from a server cannot drive the terminal.
    """

    stdout: TextIO
    stderr: TextIO
    json: bool
    quiet: bool
    #: ``--debug``: an error reported here (``ping``'s, each file's of a batch) shows its
    #: traceback too, as one that ends the command does.
    debug: bool = False

    def result(self, text: str, data: Mapping[str, Any]) -> None:
        if self.json:
            print(json_line(data), file=self.stdout, flush=True)
        elif not self.quiet:
            print(shown(text), file=self.stdout, flush=True)

    def note(self, text: str, *, end: str = "\n") -> None:
        """A line (or a prompt, with ``end=""``) on stderr."""
        print(shown(text), end=end, file=self.stderr, flush=True)

    def error(self, error: BaseException, subject: str | None = None, **data: Any) -> None:
        prefix = f"jcds2: {subject}: " if subject else "jcds2: "
        if self.debug and error.__traceback__ is not None:
            traceback.print_exception(error, file=self.stderr)
        print(prefix + error_message(error), file=self.stderr, flush=True)
        if self.json:
            self.result("", {**data, "error": error_object(error)})


def plain(value: Any) -> dict[str, Any]:
    """An attrs value as JSON-ready data (paths as text, enums as their values)."""

    def convert(_: Any, __: Any, item: Any) -> Any:
        if isinstance(item, Path):
            return str(item)
        return getattr(item, "value", item)

    return attrs.asdict(value, value_serializer=convert)
