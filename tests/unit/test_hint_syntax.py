"""Each side speaks its own syntax: the library's messages name Python arguments
(``overwrite=True``), never flags; the command line says the same advice with flags
(``--overwrite``), never Python. Issue 15 found ``verify='...' (jcds2 --ca-bundle ...)``.

The library's messages are found in its source: every string literal that is not a
docstring, in every module outside ``jcds2.cli`` (and the emulator, which speaks Jamf's).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import jcds2
from jcds2.adapters.http_session import tls_failure
from jcds2.cli.output import ADVICE_FOR_THE_SHELL, error_message
from jcds2.domain.errors import ConfigurationError, Jcds2Error, TlsVerificationError

PACKAGE = Path(jcds2.__file__).parent
#: Library syntax in advice: an argument with a value.
PYTHON_ARGUMENT = re.compile(r"\b[a-z][a-z0-9_]*=(?:True|False|None|'[^']*'|\"[^\"]*\"|\d+)")
#: Command-line syntax: a flag, or a jcds2 command.
COMMANDS = "upload|download|ls|rm|verify|ping|login|logout|completion|emulator|status|edit"
SHELL_SYNTAX = re.compile(rf"(?<![\w-])--[a-z][a-z-]+|\bjcds2 (?:{COMMANDS})\b")


def library_modules() -> list[Path]:
    skipped = {PACKAGE / "cli", PACKAGE / "emulator"}
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if not any(folder in path.parents for folder in skipped)
    )


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes of ``tree`` (module, classes, functions)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def literals(path: Path) -> Iterator[str]:
    """The text of every string literal of ``path`` but its docstrings (an f-string's
    constant parts, each on its own)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in docstrings:
            continue
        if isinstance(node.value, str):
            yield node.value


def library_literals() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(PACKAGE)), text)
        for path in library_modules()
        for text in literals(path)
    ]


def test_the_scan_sees_the_library_s_messages() -> None:
    texts = [text for _, text in library_literals()]
    assert any("Pass overwrite=True" in text for text in texts)
    assert any("verify='/path/to/ca.pem'" in text for text in texts)
    assert len(library_modules()) > 40


def test_no_library_message_speaks_command_line_syntax() -> None:
    found = [(where, text) for where, text in library_literals() if SHELL_SYNTAX.search(text)]
    assert found == []


#: Literals with library syntax that never reach the command line, and why.
NEVER_ON_THE_COMMAND_LINE = {
    # A multipart header, not a message.
    ("adapters/pro_packages/upload.py", 'Content-Disposition: form-data; name="file"'),
    # FileShareStore(root, packages_dir=...) misused; the command line passes no packages_dir.
    ("adapters/file_share/store.py", "as root with packages_dir=''"),
    # The XML table of contents of the stand-in flat packages tests upload: attributes.
    ("testing.py", "<signature style="),
    ("testing.py", '<checksum style="sha1">'),
    ("testing.py", '<file id="1">'),
}


def _exempt(where: str, text: str) -> bool:
    return any(where == module and part in text for module, part in NEVER_ON_THE_COMMAND_LINE)


def test_the_command_line_rephrases_every_library_advice() -> None:
    advice = [
        (where, text)
        for where, text in library_literals()
        if PYTHON_ARGUMENT.search(text) and not _exempt(where, text)
    ]
    assert advice, "the scan found no advice at all"
    left = [
        (where, text)
        for where, text in advice
        if PYTHON_ARGUMENT.search(error_message(Jcds2Error(text)))
    ]
    assert left == []


@pytest.mark.parametrize(("library", "shell"), ADVICE_FOR_THE_SHELL)
def test_each_rephrasing_is_one_side_to_the_other(library: str, shell: str) -> None:
    assert not SHELL_SYNTAX.search(library), library
    assert SHELL_SYNTAX.search(shell), shell
    assert not PYTHON_ARGUMENT.search(shell), shell


def _tls_error() -> TlsVerificationError:
    return tls_failure(requests.exceptions.SSLError("handshake"), "jamf.example.com", "listing")


def test_the_tls_hint_in_the_library_names_the_argument_only() -> None:
    message = str(_tls_error())

    assert "verify='/path/to/ca.pem'" in message
    assert "REQUESTS_CA_BUNDLE" in message
    assert "--" not in message
    assert "jcds2 --ca-bundle" not in message


def test_the_tls_hint_on_the_command_line_names_the_flag_only() -> None:
    message = error_message(_tls_error())

    assert "--ca-bundle /path/to/ca.pem (or JCDS2_CA_BUNDLE)" in message
    assert "REQUESTS_CA_BUNDLE" in message
    assert "verify=" not in message


def test_the_file_share_hint_on_the_command_line_names_the_flag() -> None:
    error = ConfigurationError(
        "cannot use the file share: /Volumes/CasperShare/Packages has no 'Packages' folder. "
        "Is the share mounted there? If /Volumes/CasperShare/Packages is the Packages folder "
        "itself, pass packages_dir=''."
    )

    message = error_message(error)

    assert "packages_dir" not in message
    assert message.endswith("give --file-share the folder that holds it.")
