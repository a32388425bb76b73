"""The ``jcds2`` argument parser: global options in both places, defaults, ranges, choices."""

from __future__ import annotations

import argparse
import io
import sys

import pytest

from jcds2.cli import main
from jcds2.cli.parser import build_parser, reference_parser

COMMANDS = ("upload", "download", "ls", "rm", "verify", "ping", "login", "logout")
#: The arguments each command needs to parse at all.
NEEDS = {"upload": ["a.pkg"], "download": ["a.pkg"], "rm": ["a.pkg"], "verify": ["a.pkg"]}


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """argparse's message for ``argv``, after checking that it exits 2."""
    with pytest.raises(SystemExit) as exited:
        parse(*argv)
    assert exited.value.code == 2
    return capsys.readouterr().err


GLOBAL_OPTIONS = [
    (("--server", "https://a.example"), "server", "https://a.example"),
    (("--client-id", "id-1"), "client_id", "id-1"),
    (("--username", "me"), "username", "me"),
    (("--password-stdin",), "password_stdin", True),
    (("--profile", "test"), "profile", "test"),
    (("--config", "/etc/jcds2.toml"), "config", "/etc/jcds2.toml"),
    (("--ca-bundle", "ca.pem"), "ca_bundle", "ca.pem"),
    (("--file-share", "/mnt/share"), "file_share", "/mnt/share"),
    (("--json",), "json", True),
    (("--quiet",), "quiet", True),
    (("-q",), "quiet", True),
    (("--debug",), "debug", True),
]
UNSET = {
    "server": None,
    "client_id": None,
    "username": None,
    "password_stdin": False,
    "profile": None,
    "config": None,
    "ca_bundle": None,
    "file_share": None,
    "json": False,
    "quiet": False,
    "debug": False,
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("option", "key", "value"), GLOBAL_OPTIONS)
def test_a_global_option_counts_before_and_after_the_command(
    command: str, option: tuple[str, ...], key: str, value: object
) -> None:
    before = parse(*option, command, *NEEDS.get(command, []))
    after = parse(command, *NEEDS.get(command, []), *option)

    # Before the command, the sub-command's own copy of the option must not reset it.
    assert getattr(before, key) == value
    assert getattr(after, key) == value


@pytest.mark.parametrize("command", COMMANDS)
def test_global_options_not_given_have_their_defaults(command: str) -> None:
    args = parse(command, *NEEDS.get(command, []))

    assert {key: getattr(args, key) for key in UNSET} == UNSET
    assert args.command == command


def test_the_option_after_the_command_wins_when_given_twice() -> None:
    args = parse("--server", "https://before.example", "ls", "--server", "https://after.example")

    assert args.server == "https://after.example"


def test_upload_defaults() -> None:
    args = parse("upload", "a.pkg", "b.pkg")

    assert args.files == ["a.pkg", "b.pkg"]
    assert (args.route, args.on_exists, args.priority, args.workers, args.verify) == (
        None,  # None: the environment or config file may still choose one
        "fail",
        None,  # None: not given (a new package gets 10; an existing one keeps its own)
        2,
        True,
    )
    assert (args.package_name, args.category, args.info, args.notes) == (None,) * 4


def test_upload_options() -> None:
    args = parse(
        "upload",
        "a.pkg",
        "--route",
        "jcds",
        "--on-exists",
        "replace",
        "--package-name",
        "A",
        "--category",
        "Tools",
        "--info",
        "i",
        "--notes",
        "n",
        "--priority",
        "20",
        "--workers",
        "16",
        "--no-verify",
    )

    assert (args.route, args.on_exists, args.package_name, args.category) == (
        "jcds",
        "replace",
        "A",
        "Tools",
    )
    assert (args.info, args.notes, args.priority, args.workers, args.verify) == (
        "i",
        "n",
        20,
        16,
        False,
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--priority", "0", "argument --priority: 0 is not between 1 and 20"),
        ("--priority", "21", "argument --priority: 21 is not between 1 and 20"),
        ("--priority", "ten", "argument --priority: 'ten' is not a whole number"),
        ("--workers", "0", "argument --workers: 0 is not between 1 and 16"),
        ("--workers", "17", "argument --workers: 17 is not between 1 and 16"),
        ("--workers", "2.5", "argument --workers: '2.5' is not a whole number"),
    ],
)
def test_priority_and_workers_out_of_range_exit_2(
    capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    assert message in usage_error(capsys, "upload", "a.pkg", option, value)


@pytest.mark.parametrize(("option", "value"), [("--priority", "1"), ("--workers", "1")])
def test_the_lowest_priority_and_workers_are_accepted(option: str, value: str) -> None:
    args = parse("upload", "a.pkg", option, value)

    assert getattr(args, option.lstrip("-")) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("upload", "a.pkg", "--route", "s3"), "argument --route: invalid choice: 's3'"),
        (
            ("upload", "a.pkg", "--on-exists", "keep"),
            "argument --on-exists: invalid choice: 'keep'",
        ),
        (("completion", "powershell"), "argument shell: invalid choice: 'powershell'"),
        (("launch",), "argument COMMAND: invalid choice: 'launch'"),
        ((), "the following arguments are required: COMMAND"),
        (("upload",), "the following arguments are required: FILE"),
        (("verify", "a.pkg", "b.pkg"), "unrecognized arguments: b.pkg"),
    ],
)
def test_a_value_outside_the_choices_exits_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    assert message in usage_error(capsys, *argv)


@pytest.mark.parametrize("route", ["auto", "packages", "jcds"])
def test_every_route_is_a_choice(route: str) -> None:
    assert parse("upload", "a.pkg", "--route", route).route == route


@pytest.mark.parametrize("shell", ["bash", "zsh", "tcsh", "fish"])
def test_every_completion_shell_is_a_choice(shell: str) -> None:
    assert parse("completion", shell).shell == shell


def test_download_defaults_and_options() -> None:
    default = parse("download", "a.pkg", "b.pkg")
    given = parse("download", "a.pkg", "-o", "out", "--overwrite", "--no-resume")

    assert (default.names, default.output, default.overwrite, default.resume) == (
        ["a.pkg", "b.pkg"],
        ".",
        False,
        True,
    )
    assert (given.output, given.overwrite, given.resume) == ("out", True, False)


def test_rm_verify_and_completion_arguments() -> None:
    assert (parse("rm", "a", "b").names, parse("rm", "a").yes, parse("rm", "a", "-y").yes) == (
        ["a", "b"],
        False,
        True,
    )
    assert (parse("verify", "a.pkg").file, parse("verify", "a.pkg", "--file", "x").file) == (
        None,
        "x",
    )


def test_the_emulator_takes_every_argument_as_its_own() -> None:
    args = parse("emulator", "--help", "--port", "0", "-q")

    assert args.emulator_args == ["--help", "--port", "0", "-q"]
    assert args.quiet is False  # -q went to the emulator, not to jcds2


def test_version_exits_0_with_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    from jcds2 import __version__  # noqa: PLC0415

    with pytest.raises(SystemExit) as exited:
        parse("--version")

    assert exited.value.code == 0
    assert capsys.readouterr().out == f"jcds2 {__version__}\n"


def test_help_names_every_command_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("--help")
    text = capsys.readouterr().out

    for command in (*COMMANDS, "completion", "emulator"):
        assert command in text
    assert "exit codes: 0 success, 1 failure, 2 usage, 3 a package already uses" in " ".join(
        text.split()
    )


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [subparsers] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def test_the_reference_parser_shows_every_option_with_the_global_ones_once() -> None:
    full, reference = build_parser(), reference_parser()
    global_options = _options(reference) - {"-h", "--help", "--version"}
    assert {"--server", "--password-stdin", "--json", "--quiet", "--debug"} <= global_options
    assert _options(reference) == _options(full)

    full_commands, reference_commands = _commands(full), _commands(reference)
    assert reference_commands.keys() == full_commands.keys()
    for name, command in full_commands.items():
        shown = _options(reference_commands[name])
        assert not shown & global_options, name
        if name not in {"completion", "emulator"}:
            assert _options(command) == shown | global_options, name


def test_the_emulator_command_without_the_emulator_extra_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if moto and werkzeug were not installed: importing the emulator's command fails.
    # (tests/emulator/test_without_the_extra.py runs both entry points without them.)
    monkeypatch.setitem(sys.modules, "jcds2.emulator.command", None)
    stderr = io.StringIO()

    code = main(["emulator", "--port", "0"], stdout=io.StringIO(), stderr=stderr)

    assert code == 1
    [line] = stderr.getvalue().splitlines()
    assert line.startswith("jcds2: the emulator needs the 'emulator' extra")
    assert line.endswith(
        ": pip install 'jcds2[emulator]' (from a checkout of jcds2: pip install -e '.[emulator]')"
    )


def test_path_completion_markers_are_shtabs_own() -> None:
    # jcds2.cli.completion copies them so that building the parser does not import shtab.
    import shtab  # noqa: PLC0415

    from jcds2.cli import completion  # noqa: PLC0415

    assert completion.FILE == shtab.FILE
    assert completion.DIRECTORY == shtab.DIRECTORY
