"""The one line ``jcds2 emulator`` and ``python -m jcds2.emulator`` print when the
``emulator`` extra (moto, werkzeug) is not installed.

Standard library only: it must work precisely when the extra is missing.
"""

from __future__ import annotations

#: How to install the extra, for an installed jcds2 and for a checkout of its source.
INSTALL = "pip install 'jcds2[emulator]' (from a checkout of jcds2: pip install -e '.[emulator]')"


def missing_extra(error: ImportError) -> str:
    """The line that says the emulator needs its extra, naming what ``error`` found missing."""
    missing = error.name or str(error)
    return f"jcds2: the emulator needs the 'emulator' extra ({missing} is not installed): {INSTALL}"
