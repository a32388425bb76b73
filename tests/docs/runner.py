"""The executed-example runner of the docs (ADR 0015; docs/howto/testing.md explains it).

Every fenced block of a Markdown page is classified by its language tag:

- ``python``: executed, in page order, in one namespace per page. Must not raise.
- ``pycon``: doctest style (``>>> ``/``... ``), in the same namespace, output compared with
  ELLIPSIS and NORMALIZE_WHITESPACE.
- ``console``: ``$ command`` lines run by one bash process per block; the lines up to the
  next ``$ `` are the expected merged stdout and stderr. A line ``...`` matches any number
  of lines (none included), ``...`` within a line matches any text on that line, trailing
  whitespace and trailing blank lines are ignored. A command that exits non-zero fails
  unless its expected output ends with ``[exit N]`` naming that status (and a command
  expected to fail must fail with it). A command line ending in ``\\`` continues on the
  next line (a leading ``> `` there is dropped).
- ``toml``: a jcds2 config file: written to a temporary ``config.toml`` and loaded with
  ``jcds2.cli.settings.load_settings``; must load.
- ``text``, ``none``, ``shell``, ``json``, ``yaml``, ``mermaid``, ``xml`` and MyST
  directives (``{eval-rst}``, ``{code-block} toml``, ...): not executed.

Any other tag, and a fence without a tag, fails the page: a misspelt tag must not turn an
example into one that is silently never run.

The page runs with its working directory a fresh temporary directory holding the sample
packages (:data:`SAMPLE_FILES`) and the environment of :func:`page_environment`; python and
pycon blocks see the same environment through ``os.environ``. Console blocks run with
``bash -c``, standard input ``/dev/null`` and a time limit of :data:`CONSOLE_TIMEOUT`.
"""

from __future__ import annotations

import doctest
import os
import random
import re
import subprocess
import sys
import traceback
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs

from jcds2.cli.errors import UsageError
from jcds2.cli.settings import load_settings
from jcds2.testing import flat_package

#: Tags whose blocks are executed.
EXECUTED = frozenset({"python", "pycon", "console", "toml"})
#: Tags whose blocks are shown but not executed.
NOT_EXECUTED = frozenset({"text", "none", "shell", "json", "yaml", "mermaid", "xml"})

#: The sample packages in every page's working directory: name -> size in bytes.
SAMPLE_FILES: Mapping[str, int] = {
    "Firefox-128.0.pkg": 1024 * 1024,
    "GoogleChrome.pkg": 300 * 1024,
    "Zoom.pkg": 64 * 1024,
}

#: Seconds one console block (all its commands) may take.
CONSOLE_TIMEOUT = 300.0

#: The flags ``load_settings`` reads, all "not given" except ``config``.
_SETTINGS_FLAGS = (
    "server",
    "client_id",
    "username",
    "ca_bundle",
    "file_share",
    "route",
    "profile",
)

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


class ExampleError(AssertionError):
    """Raised when an example of a page does not do what the page says."""


@attrs.frozen
class Block:
    """One fenced block: its page, the line of its opening fence (1-based), tag and text."""

    page: str
    line: int
    tag: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def parse_blocks(markdown: str, page: str) -> list[Block]:
    """The fenced blocks of ``markdown`` (CommonMark fences: backticks or tildes, 3 or more).

    The tag is the first word of the info string; an indented fence (in a list item) has
    that indentation removed from its lines. A fence left open runs to the end of the page.
    """
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
            index += 1
            continue
        indent, fence = len(match["indent"]), match["fence"]
        info = match["info"].strip()
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            if (
                closing is not None
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
            ):
                break
            line = lines[index]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            index += 1
        index += 1
        tag = info.split(maxsplit=1)[0] if info else ""
        blocks.append(Block(page, start + 1, tag, "\n".join(body) + "\n" if body else ""))
    return blocks


def check_tags(blocks: Sequence[Block]) -> None:
    """Fail on a fence without a tag or with a tag the runner does not know."""
    for block in blocks:
        if block.tag.startswith("{"):
            continue
        if not block.tag:
            raise ExampleError(
                f"{block.where}: a fenced block without a language tag; tag it "
                f"({', '.join(sorted(EXECUTED))} are run; {', '.join(sorted(NOT_EXECUTED))} "
                "are not)"
            )
        if block.tag not in EXECUTED | NOT_EXECUTED:
            raise ExampleError(
                f"{block.where}: unknown tag {block.tag!r}; use one of "
                f"{', '.join(sorted(EXECUTED))} (run) or {', '.join(sorted(NOT_EXECUTED))} "
                "(not run)"
            )


def executed(blocks: Sequence[Block]) -> list[Block]:
    """The blocks the runner executes."""
    return [block for block in blocks if block.tag in EXECUTED]


# --- the page's surroundings ----------------------------------------------------------


def write_sample_files(directory: Path) -> None:
    """Write the sample packages: stand-in flat packages, the same on every run."""
    for name, size in SAMPLE_FILES.items():
        seed = random.Random(name).randrange(1 << 30)
        (directory / name).write_bytes(flat_package(size, seed=seed))


def page_environment(
    workdir: Path, emulator: Mapping[str, str], base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a page's examples run with.

    ``emulator`` is ``JamfEmulator.info()``: ``JAMF_URL``, ``JAMF_CLIENT_ID``,
    ``JAMF_CLIENT_SECRET`` and ``AWS_ENDPOINT_URL_S3`` point at it. ``JCDS2_KEYRING=0``;
    ``HOME`` is ``workdir``, so the default config file (``~/.config/jcds2/config.toml``)
    does not exist and none is read (``JCDS2_CONFIG`` stays unset: a config file it names
    must exist). ``PATH`` starts with this interpreter's ``bin`` (the installed ``jcds2``),
    ``PYTHONUNBUFFERED=1`` keeps stdout and stderr in the order written, ``COLUMNS=100``
    fixes the width of ``--help``. Variables of ``base`` (default: this process's
    environment) that would change what jcds2 does (``JAMF_*``, ``JCDS2_*``, ``AWS_*``,
    ``XDG_*``, ``PYTHON*``, CA bundle variables) are left out.
    """
    source = os.environ if base is None else base
    dropped = ("JAMF_", "JCDS2_", "AWS_", "XDG_", "PYTEST_", "PYTHON")
    environment = {
        name: value
        for name, value in source.items()
        if not name.startswith(dropped)
        and name not in {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "COLUMNS"}
    }
    venv_bin = str(Path(sys.executable).parent)
    environment.update(
        {
            "JAMF_URL": emulator["url"],
            "JAMF_CLIENT_ID": emulator["client_id"],
            "JAMF_CLIENT_SECRET": emulator["client_secret"],
            "AWS_ENDPOINT_URL_S3": emulator["s3_endpoint_url"],
            "JCDS2_KEYRING": "0",
            "HOME": str(workdir),
            "PATH": os.pathsep.join([venv_bin, source.get("PATH", os.defpath)]),
            # Output as a terminal user reads it, whatever the machine: stdout and stderr
            # in the order written, and argparse's help at a fixed width.
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "100",
        }
    )
    return environment


@contextmanager
def process_state(environment: Mapping[str, str], cwd: Path) -> Iterator[None]:
    """Run the block with ``environment`` as ``os.environ`` and ``cwd`` as working directory."""
    saved_environment, saved_cwd = dict(os.environ), Path.cwd()
    os.environ.clear()
    os.environ.update(environment)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environment)


# --- python and pycon -----------------------------------------------------------------


def _page_traceback(error: BaseException, page_file: str) -> str:
    """The traceback of ``error`` from the example's first frame on."""
    tb: TracebackType | None = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != page_file:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb)).rstrip()


def run_python(block: Block, namespace: dict[str, Any], page_file: str) -> None:
    """Execute a python block in the page's namespace; fail if it raises."""
    try:
        # Padding puts the code on its own lines of the page: tracebacks name the page line.
        code = compile("\n" * block.line + block.text, page_file, "exec")
        exec(code, namespace)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise ExampleError(
                f"{block.where}: python block exited with {exc.code!r}\n"
                f"{_page_traceback(exc, page_file)}"
            ) from None
    except Exception as exc:
        raise ExampleError(
            f"{block.where}: python block raised {type(exc).__name__}: {exc}\n"
            f"{_page_traceback(exc, page_file)}"
        ) from None


def run_pycon(block: Block, namespace: dict[str, Any], page_file: str) -> None:
    """Run a pycon block as a doctest in the page's namespace; fail on any mismatch."""
    test = doctest.DocTestParser().get_doctest(
        block.text, namespace, block.where, page_file, block.line
    )
    if not test.examples:
        raise ExampleError(f"{block.where}: pycon block without a `>>> ` line")
    report: list[str] = []
    runner = doctest.DocTestRunner(
        verbose=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    result = runner.run(test, out=report.append, clear_globs=False)
    if result.failed:
        raise ExampleError(f"{block.where}: pycon block failed\n" + "".join(report).rstrip())


# --- console ----------------------------------------------------------------------------


@attrs.frozen
class Command:
    """One ``$ `` command of a console block, with what the page says it prints."""

    line: int
    command: str
    expected: tuple[str, ...]
    exit_status: int


_EXIT = re.compile(r"^\[exit (\d+)\]$")


def parse_console(block: Block) -> list[Command]:
    """The commands of a console block, each with its expected output and exit status."""
    commands: list[Command] = []
    lines = block.text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not (line.startswith("$ ") or line == "$"):
            raise ExampleError(
                f"{block.page}:{block.line + 1 + index}: console block line before any "
                f"`$ ` command: {line!r}"
            )
        start = index
        command = line[2:]
        while command.endswith("\\") and index + 1 < len(lines):
            index += 1
            command += "\n" + lines[index].removeprefix("> ")
        index += 1
        expected: list[str] = []
        while index < len(lines) and not (lines[index].startswith("$ ") or lines[index] == "$"):
            expected.append(lines[index].rstrip())
            index += 1
        while expected and not expected[-1]:
            expected.pop()
        status = 0
        if expected and (match := _EXIT.match(expected[-1])):
            status = int(match[1])
            expected.pop()
            while expected and not expected[-1]:
                expected.pop()
        commands.append(Command(block.line + 1 + start, command, tuple(expected), status))
    if not commands:
        raise ExampleError(f"{block.where}: console block without a `$ ` command")
    return commands


def _line_pattern(line: str) -> str:
    return ".*?".join(re.escape(piece) for piece in line.split("..."))


def output_matches(expected: Sequence[str], actual: str) -> bool:
    """Whether ``actual`` is what ``expected`` describes (``...`` rules in the module doc)."""
    pattern = "".join(
        r"(?:[^\n]*\n)*?" if line.strip() == "..." else _line_pattern(line) + r"\n"
        for line in expected
    )
    return re.fullmatch(pattern, normalise_output(actual)) is not None


def normalise_output(text: str) -> str:
    """Trailing whitespace of each line and trailing blank lines removed; ends in a newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "".join(line + "\n" for line in lines)


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines()) or "    (nothing)\n"


def run_console(block: Block, cwd: Path, environment: Mapping[str, str]) -> None:
    """Run a console block in one bash process; fail on the first command that differs."""
    commands = parse_console(block)
    mark = f"__jcds2_docs_{uuid.uuid4().hex}__"
    script = ["exec 2>&1"]
    for command in commands:
        script += [
            "{ " + command.command,
            "}",
            f"__jcds2_status=$?; printf '\\n%s %d\\n' {mark} \"$__jcds2_status\"",
            f'[ "$__jcds2_status" -eq {command.exit_status} ] || exit 0',
        ]
    try:
        finished = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=cwd,
            env=dict(environment),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            timeout=CONSOLE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExampleError(
            f"{block.where}: console block did not finish within {CONSOLE_TIMEOUT:.0f} s; "
            f"output so far:\n{_indent((exc.stdout or b'').decode(errors='replace'))}"
        ) from None
    output = finished.stdout.decode(errors="replace")
    pieces = re.split(rf"\n{mark} (-?\d+)\n", output)
    # pieces: out_1, status_1, out_2, status_2, ..., rest
    for number, command in enumerate(commands):
        if 2 * number + 1 >= len(pieces):
            raise ExampleError(
                f"{block.page}:{command.line}: `{command.command}`: the block's shell exited "
                f"(status {finished.returncode}) in this command; output:\n"
                f"{_indent(normalise_output(pieces[-1]))}"
            )
        actual, status = pieces[2 * number], int(pieces[2 * number + 1])
        if status != command.exit_status or not output_matches(command.expected, actual):
            expected_text = "\n".join(command.expected)
            raise ExampleError(
                f"{block.page}:{command.line}: `{command.command}`\n"
                f"expected (exit {command.exit_status}):\n{_indent(expected_text)}"
                f"got (exit {status}):\n{_indent(normalise_output(actual))}"
            )


# --- toml -------------------------------------------------------------------------------


def run_toml(block: Block, directory: Path) -> None:
    """Load a toml block as a jcds2 config file; fail if jcds2 refuses it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(block.text, encoding="utf-8")
    flags: dict[str, object] = dict.fromkeys(_SETTINGS_FLAGS)
    flags["config"] = str(path)
    try:
        load_settings(flags, {})
    except UsageError as exc:
        raise ExampleError(f"{block.where}: toml block is not a valid config file: {exc}") from None


# --- a page -----------------------------------------------------------------------------


def run_blocks(
    blocks: Sequence[Block],
    page_file: Path,
    *,
    workdir: Path,
    scratch: Path,
    environment: Mapping[str, str],
) -> None:
    """Run a page's executed blocks in order, in its working directory and environment.

    ``scratch`` is a directory outside ``workdir`` for the runner's own files.
    """
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for number, block in enumerate(executed(blocks)):
        if block.tag == "console":
            run_console(block, workdir, environment)
            continue
        if block.tag == "toml":
            run_toml(block, scratch / f"toml-{number}")
            continue
        with process_state(environment, workdir):
            if block.tag == "python":
                run_python(block, namespace, str(page_file))
            else:
                run_pycon(block, namespace, str(page_file))
