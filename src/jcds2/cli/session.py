"""One run of a command: its arguments, settings, credentials, client, output and bars."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

import attrs

from jcds2 import CredentialsProvider, JamfProClient, TransferConfig
from jcds2.cli import secrets
from jcds2.cli import settings as config
from jcds2.cli.output import Output
from jcds2.cli.progress import ProgressBars, choose_style

log = logging.getLogger("jcds2.cli")

_FLAG_KEYS = ("server", "client_id", "username", "ca_bundle", "file_share", "profile", "config")


@attrs.define
class Session:
    """One run of a command: its arguments, environment, output and progress bars."""

    args: argparse.Namespace
    environ: Mapping[str, str]
    stdin: TextIO
    output: Output
    bars: ProgressBars
    settings: config.Settings

    @classmethod
    def start(
        cls,
        args: argparse.Namespace,
        *,
        environ: Mapping[str, str],
        stdin: TextIO,
        stdout: TextIO,
        stderr: TextIO,
    ) -> Session:
        flags: dict[str, object] = {key: getattr(args, key, None) for key in _FLAG_KEYS}
        flags["route"] = getattr(args, "route", None)
        for key in ("verify_timeout", "verify_timeout_per_gib"):
            flags[key] = getattr(args, key, None)
        settings = config.load_settings(flags, environ)
        for key, source in sorted(settings.sources.items()):
            log.debug("setting %s from %s", key, source)
        output = Output(
            stdout=stdout, stderr=stderr, json=args.json, quiet=args.quiet, debug=args.debug
        )
        style = choose_style(
            getattr(args, "progress", None), quiet=args.quiet, terminal=_is_terminal(stderr)
        )
        bars = ProgressBars(stderr, enabled=style != "none", style=style)
        return cls(args, environ, stdin, output, bars, settings)

    @property
    def interactive(self) -> bool:
        """Whether the user can answer a prompt (stdin is a terminal, not a piped secret)."""
        return not self.args.password_stdin and _is_terminal(self.stdin)

    def credentials(self, settings: config.Settings | None = None) -> CredentialsProvider:
        return secrets.resolve_credentials(
            settings or self.settings,
            environ=self.environ,
            password_stdin=self.args.password_stdin,
            stdin=self.stdin,
            interactive=self.interactive,
        )

    @contextmanager
    def client(
        self, credentials: CredentialsProvider | None = None, *, route: str = "jcds"
    ) -> Iterator[JamfProClient]:
        """A client of the settings' server; ``route`` matters to uploads only."""
        settings = self.settings
        server = settings.require_server()
        client = JamfProClient(
            server,
            credentials or self.credentials(),
            verify=settings.ca_bundle or True,
            file_share=settings.file_share,
            route=route,
            transfer_config=_transfer_config(settings),
        )
        with client:
            yield client


def _transfer_config(settings: config.Settings) -> TransferConfig | None:
    """The library's defaults changed by the settings given, or ``None`` if none is."""
    base, per_gib = settings.verify_timeout, settings.verify_timeout_per_gib
    if base is None and per_gib is None:
        return None
    defaults = TransferConfig()
    return attrs.evolve(
        defaults,
        verify_timeout=defaults.verify_timeout if base is None else base,
        verify_timeout_per_gib=defaults.verify_timeout_per_gib if per_gib is None else per_gib,
    )


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
