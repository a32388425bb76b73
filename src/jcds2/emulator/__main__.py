"""``python -m jcds2.emulator``: run the emulator until SIGINT/SIGTERM.

The emulator itself is in :mod:`jcds2.emulator.command`, imported here only once it is
known to import: without the ``emulator`` extra, one line says how to install it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from jcds2.emulator.extra import missing_extra


def main(
    argv: Sequence[str] | None = None,
    *,
    prog: str = "python -m jcds2.emulator",
    stderr: TextIO | None = None,
) -> int:
    """Run the emulator with the options in ``argv``; ``prog`` names it in usage and errors.

    Without the ``emulator`` extra: the line of :func:`~jcds2.emulator.extra.missing_extra`
    on ``stderr`` (standard error by default), and exit code 1.
    """
    try:
        from jcds2.emulator.command import main as run  # noqa: PLC0415
    except ImportError as error:  # moto or werkzeug missing
        print(missing_extra(error), file=stderr or sys.stderr)
        return 1
    return run(argv, prog=prog)


if __name__ == "__main__":
    sys.exit(main())
