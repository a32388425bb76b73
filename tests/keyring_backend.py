"""An in-memory backend for the ``keyring`` package, so tests never touch a real keyring.

Install it with ``keyring.set_keyring(InMemoryKeyring())`` (and put the previous backend
back afterwards). Its priority is below keyring's "fail" backend, so keyring never picks it
on its own just because this module was imported.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class InMemoryKeyring(KeyringBackend):
    """Keeps passwords in a dict keyed by (service, user name); inspect ``entries`` directly."""

    priority = -1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's has no annotations
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(f"no entry for {username!r} in {service!r}")
