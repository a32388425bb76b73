"""A keyring backend in one JSON file, for ``jcds2 login`` in a subprocess.

Each ``jcds2`` run is its own process, so an in-memory keyring forgets what ``login``
stored before the next command runs. This one keeps the entries in the file named by
``$JCDS2_TEST_KEYRING_FILE``; select it with
``PYTHON_KEYRING_BACKEND=tests.e2e.file_keyring.FileKeyring`` (the repository root on
``PYTHONPATH``). The real system keyring is never touched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    """Entries as ``{service: {user name: password}}`` in ``$JCDS2_TEST_KEYRING_FILE``."""

    priority = -1  # never chosen by keyring on its own

    @property
    def _path(self) -> Path:
        return Path(os.environ["JCDS2_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, dict[str, str]]:
        if not self._path.exists():
            return {}
        entries: dict[str, dict[str, str]] = json.loads(self._path.read_text(encoding="utf-8"))
        return entries

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries.setdefault(service, {})[username] = password
        self._path.write_text(json.dumps(entries), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.get(service, {}).pop(username, None) is None:
            raise PasswordDeleteError(f"no entry for {username!r} in {service!r}")
        self._path.write_text(json.dumps(entries), encoding="utf-8")
