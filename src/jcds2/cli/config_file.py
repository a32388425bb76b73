"""The command line's config file: TOML, read and checked (see :mod:`jcds2.cli.settings`)."""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import attrs

from jcds2.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # mypy checks as 3.10, but a 3.11+ virtualenv has no tomli (a 3.10-only dependency)
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

#: Any key containing one of these is taken for a secret, whatever else it is called.
_SECRET_WORDS: Final = ("secret", "password", "passwd", "token", "api_key", "apikey", "credential")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

#: Keys whose value is a number of seconds (0 or more), not a string.
SECONDS_KEYS: Final = ("verify_timeout", "verify_timeout_per_gib")

SAFE_PLACES: Final = (
    "use the system keyring (jcds2 login), JAMF_CLIENT_SECRET/JAMF_PASSWORD, "
    "--password-stdin or the prompt"
)


def _toml_type(value: object) -> str:
    kinds: tuple[tuple[type, str], ...] = (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (dict, "a table"),
        (list, "an array"),
    )
    return next((name for kind, name in kinds if type(value) is kind), "a date/time")


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def _check_table(table: Mapping[str, object], where: str, allowed: tuple[str, ...]) -> None:
    """Refuse secrets, unknown keys and values of the wrong type in one table of the file."""
    for key, value in table.items():
        if _looks_secret(key):
            raise UsageError(
                f"config files must not hold secrets: remove `{key}` from {where}; {SAFE_PLACES}"
            )
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise UsageError(
                f"unknown key `{key}` in {where}{hint}; the keys are {', '.join(allowed)}"
            )
        if key == "keyring":
            if not isinstance(value, bool):
                raise UsageError(
                    f"`keyring` in {where} must be true or false (a TOML boolean, without "
                    f"quotes), not {_toml_type(value)}"
                )
        elif key in SECONDS_KEYS:
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not 0 <= value < float("inf"):  # type: ignore[operator]
                what = repr(value) if number else _toml_type(value)
                raise UsageError(
                    f"`{key}` in {where} must be a number of seconds, 0 or more (key = 3600, "
                    f"without quotes), not {what}"
                )
        elif key == "profiles":
            if not isinstance(value, dict):
                raise UsageError(
                    f"`profiles` in {where} must be a table of [profiles.NAME] tables, "
                    f"not {_toml_type(value)}"
                )
        elif not isinstance(value, str) or not value:
            what = "an empty string" if value == "" else _toml_type(value)
            raise UsageError(
                f'`{key}` in {where} must be a non-empty string (key = "value"), not {what}'
            )


def profile_label(path: Path, name: str) -> str:
    shown = name if _BARE_KEY.fullmatch(name) else '"' + name.replace('"', '\\"') + '"'
    return f"{path} [profiles.{shown}]"


@attrs.frozen
class ConfigFile:
    """A config file, checked: its top level and its profile tables."""

    path: Path
    top: Mapping[str, object]
    profiles: Mapping[str, Mapping[str, object]]


def read_config(
    path: Path, top_level_keys: tuple[str, ...], profile_keys: tuple[str, ...]
) -> ConfigFile:
    """``path`` read and checked: only ``top_level_keys`` at its top, only
    ``profile_keys`` in its ``[profiles.NAME]`` tables, and nothing that looks secret."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"config file {path} is not UTF-8 text: save it as UTF-8") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"cannot read config file {path}: {reason}") from None
    _check_table(document, str(path), top_level_keys)
    profiles: dict[str, Mapping[str, object]] = {}
    for name, table in document.get("profiles", {}).items():
        where = profile_label(path, name)
        if not isinstance(table, dict):
            if _looks_secret(name):
                raise UsageError(
                    f"config files must not hold secrets: remove `profiles.{name}` from {path}; "
                    f"{SAFE_PLACES}"
                )
            raise UsageError(
                f"`profiles.{name}` in {path} must be a table ([profiles.{name}] with keys "
                f"under it), not {_toml_type(table)}"
            )
        _check_table(table, where, profile_keys)
        profiles[name] = table
    return ConfigFile(path=path, top=document, profiles=profiles)
