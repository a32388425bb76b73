"""The verification wait on the command line: ``--verify-timeout``,
``--verify-timeout-per-gib`` and the config file keys of the same names."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from jcds2 import TransferConfig
from jcds2.cli.errors import UsageError
from jcds2.cli.parser import build_parser
from jcds2.cli.session import _transfer_config
from jcds2.cli.settings import Settings, load_settings


def write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "jcds2" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_flags_parse_seconds() -> None:
    args = build_parser().parse_args(
        ["upload", "A.pkg", "--verify-timeout", "3600", "--verify-timeout-per-gib", "90.5"]
    )

    assert (args.verify_timeout, args.verify_timeout_per_gib) == (3600.0, 90.5)


@pytest.mark.parametrize("value", ["-1", "soon", "inf", "nan"])
def test_the_flags_refuse_what_is_not_seconds(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["upload", "A.pkg", "--verify-timeout", value])

    assert caught.value.code == 2
    assert "number of seconds" in capsys.readouterr().err


def test_the_progress_flag_takes_three_styles() -> None:
    parser = build_parser()

    assert parser.parse_args(["upload", "A.pkg", "--progress", "lines"]).progress == "lines"
    assert parser.parse_args(["download", "A.pkg", "--progress", "none"]).progress == "none"
    assert parser.parse_args(["upload", "A.pkg"]).progress is None
    with pytest.raises(SystemExit):
        parser.parse_args(["upload", "A.pkg", "--progress", "dots"])


def test_a_flag_beats_the_config_file_and_a_profile_beats_the_top_level(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "verify_timeout = 1800\nverify_timeout_per_gib = 60\n"
        "[profiles.slow]\nverify_timeout_per_gib = 600.5\n",
    )
    environ = {"HOME": str(tmp_path)}

    top = load_settings({}, environ)
    profile = load_settings({"profile": "slow"}, environ)
    flagged = load_settings({"profile": "slow", "verify_timeout_per_gib": 0.0}, environ)

    assert (top.verify_timeout, top.verify_timeout_per_gib) == (1800.0, 60.0)
    assert (profile.verify_timeout, profile.verify_timeout_per_gib) == (1800.0, 600.5)
    assert flagged.verify_timeout_per_gib == 0.0
    assert flagged.sources["verify_timeout_per_gib"] == "flag --verify-timeout-per-gib"
    assert profile.sources["verify_timeout_per_gib"].endswith("[profiles.slow]")


@pytest.mark.parametrize(
    "text", ['verify_timeout = "3600"', "verify_timeout = -5", "verify_timeout = true"]
)
def test_a_config_value_that_is_not_seconds_is_a_usage_error(tmp_path: Path, text: str) -> None:
    write_config(tmp_path, text + "\n")

    with pytest.raises(UsageError, match=r"`verify_timeout` in .* must be a number of seconds"):
        load_settings({}, {"HOME": str(tmp_path)})


def test_the_client_gets_the_library_defaults_changed_by_what_was_given() -> None:
    assert _transfer_config(Settings()) is None
    changed = _transfer_config(Settings(verify_timeout_per_gib=0.0))

    assert changed == TransferConfig(verify_timeout_per_gib=0.0)
    assert changed is not None
    assert changed.verify_deadline(100 * 2**30) == TransferConfig().verify_timeout


def test_parsed_arguments_reach_the_settings(tmp_path: Path) -> None:
    args: argparse.Namespace = build_parser().parse_args(
        ["upload", "A.pkg", "--verify-timeout", "60"]
    )
    flags = {key: getattr(args, key, None) for key in ("verify_timeout", "verify_timeout_per_gib")}

    settings = load_settings(flags, {"HOME": str(tmp_path)})

    assert (settings.verify_timeout, settings.verify_timeout_per_gib) == (60.0, None)
