"""The command line's secrets: ``--password-stdin``, the environment, the system keyring or
a prompt, and the keyring entries of ``jcds2 login`` / ``jcds2 logout``.

- :func:`resolve_credentials`: finds the secret and returns a
  :class:`~jcds2.CredentialsProvider`.
- :func:`keyring_account`, :func:`check_keyring`, :func:`store_secret`,
  :func:`delete_secret`: the system keyring
  entries: service :data:`KEYRING_SERVICE`, account
  ``"<client id or user name>@<server base URL>"``.
- :class:`KeyringLike`: the three keyring calls used; the ``keyring`` module's backends fit.

A secret never appears in a message, a log record or a ``repr``; each problem is a
:class:`~jcds2.errors.UsageError` saying what to do.
"""

from __future__ import annotations

import getpass
import logging
import re
from collections.abc import Callable, Mapping
from typing import Final, Protocol, TextIO

import attrs

from jcds2.adapters.jamf_auth import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    CredentialsProvider,
)
from jcds2.adapters.redaction import register_secret
from jcds2.cli.settings import Settings, env_value
from jcds2.domain.server import JamfServer
from jcds2.errors import ConfigurationError, UsageError

log = logging.getLogger("jcds2.cli")

#: The system keyring's service name for jcds2's secrets.
KEYRING_SERVICE: Final = "jcds2"
#: The user information of a URL (``user:password@``), after its scheme if any.
_USER_INFO: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^/?#@]*@")
_VAR_FOR_CLIENT: Final = "JAMF_CLIENT_SECRET"
_VAR_FOR_USER: Final = "JAMF_PASSWORD"


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
        # A URL with a password in it is shown without: the message may reach a CI log.
        masked = _USER_INFO.sub(r"\1***@", server)
        raise UsageError(f"server {masked!r}{where}: {exc}") from None


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
    secret = env_value(environ, who.secret_env)
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
    _require_keyring_on(settings, who)
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
            raise _no_keyring_error(who) from None
    if not kept:
        raise UsageError(
            f"the system keyring could not keep the {who.what} for {who.label} ({reason}): "
            f"use {who.secret_env} or --password-stdin instead"
        )
    return who.account


def check_keyring(settings: Settings, keyring_backend: KeyringLike | None = None) -> None:
    """Raise the :class:`UsageError` :func:`store_secret` would for turned-off look-ups or no
    keyring at all, before ``jcds2 login`` asks for a secret it could not keep.

    Probes with a look-up, which writes nothing; other keyring trouble (a locked keyring)
    is left for :func:`store_secret` to report.
    """
    who = _who(settings)
    _require_keyring_on(settings, who)
    try:
        (keyring_backend or _SystemKeyring()).get_password(KEYRING_SERVICE, who.account)
    except Exception as exc:  # only "no keyring here" is decided now
        if _no_keyring(exc):
            raise _no_keyring_error(who) from None


def _require_keyring_on(settings: Settings, who: _Who) -> None:
    if not settings.keyring:
        where = settings.sources.get("keyring", "the settings")
        raise UsageError(
            f"keyring look-ups are turned off by {where}, so a stored {who.what} would never "
            f"be used: turn them back on, or use {who.secret_env} or --password-stdin"
        )


def _no_keyring_error(who: _Who) -> UsageError:
    return UsageError(
        f"no system keyring is available here to keep the {who.what} for "
        f"{who.label}: use {who.secret_env} or --password-stdin instead"
    )


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
