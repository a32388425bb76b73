"""The command line's settings: flags, then the environment, then a config file.

The secret is not a setting: :mod:`jcds2.cli.secrets` finds it.

Public API:

- :class:`Settings`: what the command line was told (server, identity, CA bundle, file
  share, route, keyring switch, the config file and profile read), plus ``sources``: where
  each value came from (``"flag --server"``, ``"env JAMF_URL"``, ``"<path>"``,
  ``"<path> [profiles.NAME]"`` or ``"default"``), for ``--debug`` messages. It never holds
  a secret.
- :func:`load_settings`: builds :class:`Settings` from the parsed flags and an environment.
- :func:`default_config_path`: where the config file is looked for when none is named.

Every configuration problem is a :class:`~jcds2.cli.errors.UsageError` with a one-line
message that says what is wrong, where (flag, environment variable or file and key) and
what to do. Secrets never appear in a message, a log record or a ``repr``.

Precedence, per key: flag > environment > the chosen ``[profiles.NAME]`` table > the config
file's top level. The identity (client id or user name) comes whole from the first of those
sources that gives either; within one source a client id wins over a user name. So
``--username`` beats ``JAMF_CLIENT_ID``, and a profile's ``username`` beats a top-level
``client_id``.

The config file is TOML. Its top-level keys are the defaults; ``[profiles.NAME]`` tables
override them when the profile is chosen (``--profile``, ``JCDS2_PROFILE`` or a top-level
``profile = "NAME"``). Relative ``ca_bundle`` and ``file_share`` paths in it are relative
to the file's folder, and ``~`` is expanded (also in ``JCDS2_CA_BUNDLE``/``JCDS2_FILE_SHARE``,
where a quoted ``~`` reaches jcds2 unexpanded)::

    server = "https://example.jamfcloud.com"
    client_id = "0c5b6e3a-..."
    ca_bundle = "~/certs/corp-ca.pem"

    [profiles.test]
    server = "https://test.example.com:8443"
    username = "jcds2-test"
    keyring = false
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal, cast

import attrs

from jcds2.cli.config_file import SECONDS_KEYS, ConfigFile, profile_label, read_config
from jcds2.cli.errors import UsageError

log = logging.getLogger("jcds2.cli")

#: The values of ``--route`` / ``JCDS2_ROUTE`` / ``route``.
ROUTES: Final = ("auto", "packages", "jcds")
DEFAULT_ROUTE: Final = "auto"

Route = Literal["auto", "packages", "jcds"]


@attrs.frozen
class _Key:
    """A string setting: its flag, its environment variable, and whether it is a path."""

    name: str
    flag: str
    env: str
    is_path: bool = False


_KEYS: Final = (
    _Key("server", "--server", "JAMF_URL"),
    _Key("client_id", "--client-id", "JAMF_CLIENT_ID"),
    _Key("username", "--username", "JAMF_USERNAME"),
    _Key("ca_bundle", "--ca-bundle", "JCDS2_CA_BUNDLE", is_path=True),
    _Key("file_share", "--file-share", "JCDS2_FILE_SHARE", is_path=True),
    _Key("route", "--route", "JCDS2_ROUTE"),
)
_KEYRING_ENV: Final = "JCDS2_KEYRING"
_PROFILE_ENV: Final = "JCDS2_PROFILE"
_CONFIG_ENV: Final = "JCDS2_CONFIG"

_PROFILE_KEYS: Final = (*(key.name for key in _KEYS), "keyring", *SECONDS_KEYS)
_TOP_LEVEL_KEYS: Final = (*_PROFILE_KEYS, "profile", "profiles")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})


def _read_only(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _check_identity(settings: Settings, _: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and settings.client_id is not None:
        raise ValueError("Settings takes a client id or a user name, not both")


@attrs.frozen
class Settings:
    """What the command line was told, before any secret is looked for.

    ``server``, ``client_id``, ``username``, ``ca_bundle`` and ``file_share`` are as given
    (relative paths from the config file joined to its folder), ``None`` when no source
    gives them. At most one of ``client_id`` and ``username`` is set. ``config_path`` is the
    file that was (or would have been) read, for messages such as "add `server` to ...";
    ``config_file`` is that file when it exists. ``sources`` maps each key that has a value,
    and ``route``, ``keyring``, ``config`` and ``profile``, to where it came from.
    """

    server: str | None = None
    client_id: str | None = None
    username: str | None = attrs.field(default=None, validator=_check_identity)
    ca_bundle: str | None = None
    file_share: str | None = None
    route: Route = attrs.field(default=DEFAULT_ROUTE, validator=attrs.validators.in_(ROUTES))
    keyring: bool = True
    config_file: Path | None = None
    config_path: Path | None = None
    profile: str | None = None
    sources: Mapping[str, str] = attrs.field(factory=dict, converter=_read_only, hash=False)
    #: ``TransferConfig``'s fields of these names, when a flag or the config file sets them.
    verify_timeout: float | None = None
    verify_timeout_per_gib: float | None = None

    @property
    def identity(self) -> str | None:
        """The client id, else the user name, else ``None``."""
        return self.client_id if self.client_id is not None else self.username

    def require_server(self) -> str:
        """``server``, or a :class:`UsageError` saying the three ways to give one."""
        if self.server is None:
            raise UsageError(
                f"no server: pass --server, set JAMF_URL or add `server` to {self._config_name()}"
            )
        return self.server

    def require_identity(self) -> str:
        """The client id or user name, or a :class:`UsageError` saying the ways to give one."""
        identity = self.identity
        if identity is None:
            raise UsageError(
                "no client id or user name: pass --client-id (recommended) or --username, "
                "set JAMF_CLIENT_ID or JAMF_USERNAME, or add `client_id` or `username` to "
                f"{self._config_name()}"
            )
        return identity

    def _config_name(self) -> str:
        return str(self.config_path) if self.config_path is not None else "the config file"


# --- where settings come from -------------------------------------------------------------


@attrs.frozen
class _Source:
    """One place settings come from: the flags, the environment, or a table of the file."""

    kind: Literal["flag", "env", "file"]
    values: Mapping[str, object]
    where: str = ""  # the file, with "[profiles.NAME]" for a profile table
    folder: Path | None = None  # the file's folder, which relative paths in it start from

    def origin(self, key: str) -> str:
        """How ``sources`` names this source for ``key``."""
        if self.kind == "file":
            return self.where
        return _origin(self.naming(key))

    def naming(self, key: str) -> str:
        """How a message names ``key`` in this source."""
        if self.kind == "flag":
            return _key(key).flag
        if self.kind == "env":
            return _key(key).env
        return f"`{key}` in {self.where}"


def _key(name: str) -> _Key:
    return next(key for key in _KEYS if key.name == name)


def env_value(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(name) or None  # an empty variable counts as unset


def _home(environ: Mapping[str, str]) -> Path:
    home = env_value(environ, "HOME")
    return Path(home) if home is not None else Path.home()


def _expand_user(value: str, environ: Mapping[str, str]) -> str:
    if value == "~" or value.startswith("~/"):
        return str(_home(environ)) + value[1:]
    return os.path.expanduser(value)  # ~user, or nothing to expand


def default_config_path(environ: Mapping[str, str]) -> Path:
    """The config file read when no ``--config`` is given.

    ``$JCDS2_CONFIG`` (``~`` expanded), else ``$XDG_CONFIG_HOME/jcds2/config.toml``, else
    ``~/.config/jcds2/config.toml``. A relative ``XDG_CONFIG_HOME`` is ignored, as the XDG
    base directory specification says; ``~`` is ``$HOME`` when ``environ`` has it.
    """
    named = env_value(environ, _CONFIG_ENV)
    if named is not None:
        return Path(_expand_user(named, environ))
    xdg = env_value(environ, "XDG_CONFIG_HOME")
    base = Path(xdg) if xdg is not None and Path(xdg).is_absolute() else _home(environ) / ".config"
    return base / "jcds2" / "config.toml"


def _flag_values(flags: Mapping[str, object]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, flag in (
        *((key.name, key.flag) for key in _KEYS),
        ("profile", "--profile"),
        ("config", "--config"),
    ):
        value = flags.get(name)
        if value is None:
            continue
        if name == "config" and isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise TypeError(f"flag {flag} must be given as a string, not {type(value).__name__}")
        if not value:
            raise UsageError(f"{flag} is empty: give it a value or leave it out")
        values[name] = value
    return values


def _locate_config(flags: Mapping[str, str], environ: Mapping[str, str]) -> tuple[Path, str | None]:
    """The config file to read and the flag or variable that named it (``None``: default)."""
    if "config" in flags:
        return Path(flags["config"]), "--config"
    if env_value(environ, _CONFIG_ENV) is not None:
        return default_config_path(environ), _CONFIG_ENV
    return default_config_path(environ), None


def _choose_profile(
    flags: Mapping[str, str], environ: Mapping[str, str], config: ConfigFile | None, path: Path
) -> tuple[str, str] | None:
    """The chosen profile's name and what chose it, checked against the file's profiles."""
    if "profile" in flags:
        name, naming = flags["profile"], "--profile"
        origin = _origin(naming)
    elif (env_profile := env_value(environ, _PROFILE_ENV)) is not None:
        name, naming = env_profile, _PROFILE_ENV
        origin = _origin(naming)
    elif config is not None and "profile" in config.top:
        name = str(config.top["profile"])
        naming, origin = f"`profile` in {config.path}", str(config.path)
    else:
        return None
    if config is None:
        raise UsageError(
            f"profile {name!r} (from {naming}) not found: there is no config file at {path}; "
            f"create it with a [profiles.{name}] table, or pass --config"
        )
    if name not in config.profiles:
        known = ", ".join(sorted(config.profiles)) or "none"
        raise UsageError(
            f"unknown profile {name!r} (from {naming}): the profiles in {config.path} are "
            f"{known}; add a [profiles.{name}] table or choose another"
        )
    return name, origin


def _origin(name: str) -> str:
    """How ``sources`` names a flag or an environment variable."""
    return f"flag {name}" if name.startswith("--") else f"env {name}"


def _file_path(value: str, config_dir: Path, environ: Mapping[str, str]) -> str:
    # Relative to the config file, not to wherever jcds2 happens to be run from.
    expanded = Path(_expand_user(value, environ))
    return str(expanded if expanded.is_absolute() else config_dir / expanded)


def _parse_switch(value: str, naming: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise UsageError(f"{naming} must be 1/true/yes/on or 0/false/no/off, not {value!r}")


def _layers(
    given: Mapping[str, str],
    environ: Mapping[str, str],
    config: ConfigFile | None,
    profile: str | None,
) -> list[_Source]:
    """The sources of settings, highest precedence first."""
    env_values = {key.name: value for key in _KEYS if (value := env_value(environ, key.env))}
    layers = [_Source("flag", given), _Source("env", env_values)]
    if config is not None:
        folder = config.path.parent
        if profile is not None:
            where = profile_label(config.path, profile)
            layers.append(_Source("file", config.profiles[profile], where=where, folder=folder))
        layers.append(_Source("file", config.top, where=str(config.path), folder=folder))
    return layers


def _pick(
    layers: list[_Source], environ: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Each string setting from the first source that has it, and the names of those sources."""
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for key in _KEYS:
        if key.name in {"client_id", "username"}:
            continue
        layer = next((layer for layer in layers if key.name in layer.values), None)
        if layer is None:
            continue
        value = str(layer.values[key.name])
        if key.is_path and layer.folder is not None:
            value = _file_path(value, layer.folder, environ)
        elif key.is_path and layer.kind == "env":
            value = _expand_user(value, environ)  # shells leave a quoted ~ alone
        values[key.name], sources[key.name] = value, layer.origin(key.name)

    identity = next(
        (layer for layer in layers if {"client_id", "username"} & layer.values.keys()), None
    )
    if identity is not None:
        # Within one source a client id wins: API clients are what Jamf recommends.
        chosen = "client_id" if "client_id" in identity.values else "username"
        values[chosen] = str(identity.values[chosen])
        sources[chosen] = identity.origin(chosen)
        if chosen == "client_id" and "username" in identity.values:
            log.debug("ignoring the user name from %s: its client id wins", sources[chosen])
    return values, sources


def _seconds(
    flags: Mapping[str, object], layers: list[_Source], sources: dict[str, str]
) -> dict[str, float]:
    """The transfer settings in seconds: a flag's, else the config file's."""
    values: dict[str, float] = {}
    for key in SECONDS_KEYS:
        given = flags.get(key)
        if isinstance(given, (int, float)) and not isinstance(given, bool):
            values[key], sources[key] = float(given), _origin("--" + key.replace("_", "-"))
            continue
        layer = next((lay for lay in layers if lay.kind == "file" and key in lay.values), None)
        if layer is not None:
            values[key], sources[key] = float(layer.values[key]), layer.where  # type: ignore[arg-type]
    return values


def _keyring_switch(layers: list[_Source], environ: Mapping[str, str]) -> tuple[bool, str]:
    """Whether keyring look-ups are on, and what said so."""
    switch = env_value(environ, _KEYRING_ENV)
    if switch is not None:
        return _parse_switch(switch, _KEYRING_ENV), _origin(_KEYRING_ENV)
    for layer in layers:
        if layer.kind == "file" and "keyring" in layer.values:
            return bool(layer.values["keyring"]), layer.where
    return True, "default"


def load_settings(flags: Mapping[str, object], environ: Mapping[str, str]) -> Settings:
    """The settings from ``flags`` (parsed options), ``environ`` and the config file.

    ``flags`` may hold any keys (``vars(args)`` will do); jcds2 reads ``server``,
    ``client_id``, ``username``, ``ca_bundle``, ``file_share``, ``route``, ``profile`` and
    ``config`` (a ``str`` or path), and ``verify_timeout`` and ``verify_timeout_per_gib``
    (seconds), each ``None`` when not given. An explicitly named config
    file (``--config``, ``JCDS2_CONFIG``) must exist; the default one need not.

    Raises :class:`UsageError` for an empty flag, a config file that cannot be read or is
    not TOML, a secret, unknown key or wrongly typed value in it, an unknown profile, a
    ``route`` other than auto/packages/jcds, or a ``JCDS2_KEYRING`` that is not a switch.
    Reads nothing but the config file; never touches the keyring.
    """
    given = _flag_values(flags)
    path, named_by = _locate_config(given, environ)
    if named_by is not None and not path.exists():
        raise UsageError(
            f"config file {path} (from {named_by}) does not exist: create it or fix the path"
        )
    config = read_config(path, _TOP_LEVEL_KEYS, _PROFILE_KEYS) if path.exists() else None
    profile = _choose_profile(given, environ, config, path)
    layers = _layers(given, environ, config, profile[0] if profile else None)

    values, sources = _pick(layers, environ)
    sources["config"] = _origin(named_by) if named_by else "default"
    if profile is not None:
        sources["profile"] = profile[1]
    route = values.pop("route", DEFAULT_ROUTE)
    if route not in ROUTES:
        layer = next(layer for layer in layers if "route" in layer.values)
        raise UsageError(
            f"{layer.naming('route')} must be one of {', '.join(ROUTES)}, not {route!r}"
        )
    sources.setdefault("route", "default")
    keyring, sources["keyring"] = _keyring_switch(layers, environ)
    transfer = _seconds(flags, layers, sources)

    return Settings(
        server=values.get("server"),
        client_id=values.get("client_id"),
        username=values.get("username"),
        ca_bundle=values.get("ca_bundle"),
        file_share=values.get("file_share"),
        route=cast(Route, route),  # checked against ROUTES above
        keyring=keyring,
        config_file=path if config is not None else None,
        config_path=path,
        profile=profile[0] if profile is not None else None,
        sources=sources,
        verify_timeout=transfer.get("verify_timeout"),
        verify_timeout_per_gib=transfer.get("verify_timeout_per_gib"),
    )
