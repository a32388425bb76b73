"""The command line's settings and secrets: flags, then the environment, then a config file.

Public API:

- :class:`Settings`: what the command line was told (server, identity, CA bundle, file
  share, route, keyring switch, the config file and profile read), plus ``sources``: where
  each value came from (``"flag --server"``, ``"env JAMF_URL"``, ``"<path>"``,
  ``"<path> [profiles.NAME]"`` or ``"default"``), for ``--debug`` messages. It never holds
  a secret.
- :func:`load_settings`: builds :class:`Settings` from the parsed flags and an environment.
- :func:`default_config_path`: where the config file is looked for when none is named.
- :func:`resolve_credentials`: finds the secret (``--password-stdin``, the environment, the
  system keyring, a prompt) and returns a :class:`~jcds2.CredentialsProvider`.
- :func:`keyring_account`, :func:`store_secret`, :func:`delete_secret`: the system keyring
  entries of ``jcds2 login`` / ``jcds2 logout``: service :data:`KEYRING_SERVICE`, account
  ``"<client id or user name>@<server base URL>"``.
- :class:`KeyringLike`: the three keyring calls used; the ``keyring`` module's backends fit.

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

import difflib
import getpass
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal, Protocol, TextIO, cast

import attrs

from jcds2.adapters.jamf_auth import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    CredentialsProvider,
)
from jcds2.adapters.redaction import register_secret
from jcds2.cli.errors import UsageError
from jcds2.domain.errors import ConfigurationError
from jcds2.domain.server import JamfServer

if sys.version_info >= (3, 11):
    import tomllib
else:  # mypy checks as 3.10, but a 3.11+ virtualenv has no tomli (a 3.10-only dependency)
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

log = logging.getLogger("jcds2.cli")

#: The system keyring's service name for jcds2's secrets.
KEYRING_SERVICE: Final = "jcds2"
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
_VAR_FOR_CLIENT: Final = "JAMF_CLIENT_SECRET"
_VAR_FOR_USER: Final = "JAMF_PASSWORD"

_PROFILE_KEYS: Final = (*(key.name for key in _KEYS), "keyring")
_TOP_LEVEL_KEYS: Final = (*_PROFILE_KEYS, "profile", "profiles")
#: Any key containing one of these is taken for a secret, whatever else it is called.
_SECRET_WORDS: Final = ("secret", "password", "passwd", "token", "api_key", "apikey", "credential")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

_SAFE_PLACES: Final = (
    "use the system keyring (jcds2 login), JAMF_CLIENT_SECRET/JAMF_PASSWORD, "
    "--password-stdin or the prompt"
)


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


class KeyringLike(Protocol):
    """The system keyring calls jcds2 makes (``keyring``'s backends have them).

    ``get_password`` returns ``None`` for a missing entry. Any of them may raise when no
    keyring works here (``keyring.errors.NoKeyringError``) or the keyring fails.
    """

    def get_password(self, service: str, username: str, /) -> str | None: ...

    def set_password(self, service: str, username: str, password: str, /) -> None: ...

    def delete_password(self, service: str, username: str, /) -> None: ...


class _SystemKeyring:
    """The ``keyring`` module, imported on first use: importing it probes the OS."""

    def get_password(self, service: str, username: str, /) -> str | None:
        import keyring  # noqa: PLC0415

        return keyring.get_password(service, username)

    def set_password(self, service: str, username: str, password: str, /) -> None:
        import keyring  # noqa: PLC0415

        keyring.set_password(service, username, password)

    def delete_password(self, service: str, username: str, /) -> None:
        import keyring  # noqa: PLC0415

        keyring.delete_password(service, username)


def _no_keyring(exc: BaseException) -> bool:
    """Whether ``exc`` says that no keyring backend works here at all."""
    if isinstance(exc, ImportError):
        return True
    try:
        from keyring.errors import NoKeyringError  # noqa: PLC0415
    except ImportError:
        return False
    return isinstance(exc, NoKeyringError)


def _password_missing(exc: BaseException) -> bool:
    try:
        from keyring.errors import PasswordDeleteError  # noqa: PLC0415
    except ImportError:
        return False
    return isinstance(exc, PasswordDeleteError)


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


def _env(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(name) or None  # an empty variable counts as unset


def _home(environ: Mapping[str, str]) -> Path:
    home = _env(environ, "HOME")
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
    named = _env(environ, _CONFIG_ENV)
    if named is not None:
        return Path(_expand_user(named, environ))
    xdg = _env(environ, "XDG_CONFIG_HOME")
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
                f"config files must not hold secrets: remove `{key}` from {where}; {_SAFE_PLACES}"
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


def _profile_label(path: Path, name: str) -> str:
    shown = name if _BARE_KEY.fullmatch(name) else '"' + name.replace('"', '\\"') + '"'
    return f"{path} [profiles.{shown}]"


@attrs.frozen
class _ConfigFile:
    """A config file, checked: its top level and its profile tables."""

    path: Path
    top: Mapping[str, object]
    profiles: Mapping[str, Mapping[str, object]]


def _read_config(path: Path) -> _ConfigFile:
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
    _check_table(document, str(path), _TOP_LEVEL_KEYS)
    profiles: dict[str, Mapping[str, object]] = {}
    for name, table in document.get("profiles", {}).items():
        where = _profile_label(path, name)
        if not isinstance(table, dict):
            if _looks_secret(name):
                raise UsageError(
                    f"config files must not hold secrets: remove `profiles.{name}` from {path}; "
                    f"{_SAFE_PLACES}"
                )
            raise UsageError(
                f"`profiles.{name}` in {path} must be a table ([profiles.{name}] with keys "
                f"under it), not {_toml_type(table)}"
            )
        _check_table(table, where, _PROFILE_KEYS)
        profiles[name] = table
    return _ConfigFile(path=path, top=document, profiles=profiles)


def _locate_config(flags: Mapping[str, str], environ: Mapping[str, str]) -> tuple[Path, str | None]:
    """The config file to read and the flag or variable that named it (``None``: default)."""
    if "config" in flags:
        return Path(flags["config"]), "--config"
    if _env(environ, _CONFIG_ENV) is not None:
        return default_config_path(environ), _CONFIG_ENV
    return default_config_path(environ), None


def _choose_profile(
    flags: Mapping[str, str], environ: Mapping[str, str], config: _ConfigFile | None, path: Path
) -> tuple[str, str] | None:
    """The chosen profile's name and what chose it, checked against the file's profiles."""
    if "profile" in flags:
        name, naming = flags["profile"], "--profile"
        origin = _origin(naming)
    elif (env_profile := _env(environ, _PROFILE_ENV)) is not None:
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
    config: _ConfigFile | None,
    profile: str | None,
) -> list[_Source]:
    """The sources of settings, highest precedence first."""
    env_values = {key.name: value for key in _KEYS if (value := _env(environ, key.env))}
    layers = [_Source("flag", given), _Source("env", env_values)]
    if config is not None:
        folder = config.path.parent
        if profile is not None:
            where = _profile_label(config.path, profile)
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


def _keyring_switch(layers: list[_Source], environ: Mapping[str, str]) -> tuple[bool, str]:
    """Whether keyring look-ups are on, and what said so."""
    switch = _env(environ, _KEYRING_ENV)
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
    ``config`` (a ``str`` or path), each ``None`` when not given. An explicitly named config
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
    config = _read_config(path) if path.exists() else None
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
    )


# --- secrets ------------------------------------------------------------------------------


def keyring_account(server: str, identity: str) -> str:
    """The keyring account of ``identity`` on ``server``: ``"<identity>@<base URL>"``.

    The base URL is :attr:`JamfServer.base_url`, so ``example.jamfcloud.com`` and
    ``https://EXAMPLE.jamfcloud.com/`` share one entry. Raises :class:`UsageError` for a
    server that is not a usable Jamf Pro URL.
    """
    return f"{identity}@{_base_url(server)}"


def _base_url(server: str, source: str | None = None) -> str:
    try:
        return JamfServer.parse(server).base_url
    except ConfigurationError as exc:
        where = f" (from {source})" if source else ""
        raise UsageError(f"server {server!r}{where}: {exc}") from None


@attrs.frozen
class _Who:
    """Whose secret is wanted, and the words and variable that go with it."""

    identity: str
    is_client: bool
    base_url: str

    @property
    def secret_env(self) -> str:
        return _VAR_FOR_CLIENT if self.is_client else _VAR_FOR_USER

    @property
    def what(self) -> str:
        return "client secret" if self.is_client else "password"

    @property
    def label(self) -> str:
        kind = "API client" if self.is_client else "user"
        return f"{kind} {self.identity!r} at {self.base_url}"

    @property
    def account(self) -> str:
        return f"{self.identity}@{self.base_url}"


def _who(settings: Settings) -> _Who:
    server = settings.require_server()
    identity = settings.require_identity()
    return _Who(
        identity=identity,
        is_client=settings.client_id is not None,
        base_url=_base_url(server, settings.sources.get("server")),
    )


def _from_stdin(stdin: TextIO, who: _Who) -> str:
    line = stdin.readline()
    secret = line.rstrip("\r\n")  # only the line end: a secret may start or end with a space
    if not secret:
        raise UsageError(
            f"--password-stdin read an empty line: pipe the {who.what} for {who.label} "
            "as the first line of standard input"
        )
    return secret


def _from_keyring(backend: KeyringLike, who: _Who) -> str | None:
    try:
        secret = backend.get_password(KEYRING_SERVICE, who.account)
    except Exception as exc:  # no keyring, a locked one, D-Bus trouble...
        # Never a reason to fail: the keyring is only one of four places to look.
        # Nothing but the account was handed over, so the error cannot quote a secret.
        log.debug("keyring look-up for %s failed, not using it: %r", who.account, exc)
        return None
    if not secret:
        log.debug("no %s for %s in the system keyring", who.what, who.account)
        return None
    return secret


def _from_prompt(prompt: Callable[[str], str], who: _Who) -> str:
    try:
        secret = prompt(f"{who.what.capitalize()} for {who.label}: ")
    except EOFError:
        secret = ""
    if not secret:
        raise UsageError(f"no {who.what} given at the prompt for {who.label}")
    return secret


def _find_secret(
    settings: Settings,
    who: _Who,
    *,
    environ: Mapping[str, str],
    password_stdin: bool,
    stdin: TextIO,
    interactive: bool,
    prompt: Callable[[str], str],
    keyring_backend: KeyringLike | None,
) -> str:
    if password_stdin:
        log.debug("%s from --password-stdin", who.what)
        return _from_stdin(stdin, who)
    secret = _env(environ, who.secret_env)
    if secret is not None:
        log.debug("%s from env %s", who.what, who.secret_env)
        return secret
    if settings.keyring:
        secret = _from_keyring(keyring_backend or _SystemKeyring(), who)
        if secret is not None:
            log.debug("%s from the system keyring (%s)", who.what, who.account)
            return secret
    if interactive:
        return _from_prompt(prompt, who)
    off = (
        ""
        if settings.keyring
        else f" (keyring look-ups are off: {settings.sources.get('keyring', 'settings')})"
    )
    raise UsageError(
        f"no {who.what} for {who.label}: pipe it to --password-stdin, set {who.secret_env}, "
        f"store it in the system keyring with `jcds2 login`{off}, or run jcds2 on a terminal "
        "to be asked"
    )


def resolve_credentials(
    settings: Settings,
    *,
    environ: Mapping[str, str],
    password_stdin: bool,
    stdin: TextIO,
    interactive: bool,
    prompt: Callable[[str], str] = getpass.getpass,
    keyring_backend: KeyringLike | None = None,
) -> CredentialsProvider:
    """The credentials provider for ``settings``' server and identity.

    The secret comes from the first of: the first line of ``stdin`` (when ``password_stdin``;
    only the line end is stripped), ``JAMF_CLIENT_SECRET`` (client id) or ``JAMF_PASSWORD``
    (user name) in ``environ``, the system keyring (when ``settings.keyring``; the
    ``keyring`` module unless ``keyring_backend`` is given), ``prompt`` (when
    ``interactive``). Returns an :class:`~jcds2.ApiClientCredentialsProvider` for a client
    id, a :class:`~jcds2.BasicAuthProvider` for a user name.

    Raises :class:`UsageError` when there is no server, no identity, an unusable server
    URL, an empty ``--password-stdin`` line or prompt answer, or no secret anywhere (the
    message names all four ways). A failing keyring counts as an empty one and is logged
    at DEBUG on ``jcds2.cli``, never with the secret.
    """
    who = _who(settings)
    secret = _find_secret(
        settings,
        who,
        environ=environ,
        password_stdin=password_stdin,
        stdin=stdin,
        interactive=interactive,
        prompt=prompt,
        keyring_backend=keyring_backend,
    )
    if who.is_client:
        return ApiClientCredentialsProvider(who.identity, secret)
    return BasicAuthProvider(who.identity, secret)


def store_secret(
    settings: Settings, secret: str, keyring_backend: KeyringLike | None = None
) -> str:
    """Keep ``secret`` in the system keyring for ``settings``' server and identity.

    Returns the account (see :func:`keyring_account`). Reads the entry back, so a keyring
    that silently keeps nothing is caught. Raises :class:`UsageError` when there is no
    server or identity, the secret is empty, keyring look-ups are turned off (the entry
    would never be used), or no keyring works here.
    """
    who = _who(settings)
    if not secret:
        raise UsageError(f"the {who.what} for {who.label} is empty; nothing to store")
    if not settings.keyring:
        where = settings.sources.get("keyring", "the settings")
        raise UsageError(
            f"keyring look-ups are turned off by {where}, so a stored {who.what} would never "
            f"be used: turn them back on, or use {who.secret_env} or --password-stdin"
        )
    register_secret(secret)
    backend = keyring_backend or _SystemKeyring()
    try:
        backend.set_password(KEYRING_SERVICE, who.account, secret)
        kept = backend.get_password(KEYRING_SERVICE, who.account) == secret
        reason = "it did not keep the entry"
    except Exception as exc:  # any backend trouble means "cannot keep it here"
        kept = False
        # The type only: a backend's message could, in principle, quote what it was given.
        reason = type(exc).__name__
        if _no_keyring(exc):
            raise UsageError(
                f"no system keyring is available here to keep the {who.what} for "
                f"{who.label}: use {who.secret_env} or --password-stdin instead"
            ) from None
    if not kept:
        raise UsageError(
            f"the system keyring could not keep the {who.what} for {who.label} ({reason}): "
            f"use {who.secret_env} or --password-stdin instead"
        )
    return who.account


def delete_secret(settings: Settings, keyring_backend: KeyringLike | None = None) -> bool:
    """Remove the keyring entry for ``settings``' server and identity.

    Returns ``False`` when there was none. Works even when look-ups are turned off, so old
    entries can be cleaned up. Raises :class:`UsageError` when there is no server or
    identity, or the keyring cannot be reached.
    """
    who = _who(settings)
    backend = keyring_backend or _SystemKeyring()
    try:
        if backend.get_password(KEYRING_SERVICE, who.account) is None:
            return False
        backend.delete_password(KEYRING_SERVICE, who.account)
    except Exception as exc:  # translated into a message below
        if _password_missing(exc):
            return False  # gone between the look-up and the delete
        reason = (
            "no system keyring is available here"
            if _no_keyring(exc)
            else f"the system keyring failed ({type(exc).__name__})"
        )
        raise UsageError(f"cannot remove the {who.what} for {who.label}: {reason}") from None
    return True
