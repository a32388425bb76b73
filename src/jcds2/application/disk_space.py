"""Whether a file of a given size can fit where a download is to be written."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from jcds2.domain.errors import DestinationTooSmallError


def check_room(destination: Path, size: int, held: Path | None = None) -> None:
    """Raise ``DestinationTooSmallError`` if ``destination``'s file system cannot take
    ``size`` bytes.

    Counts the space free to this user plus what ``held`` (a partial download about to
    be resumed or replaced) already takes, and the largest file the file system allows
    where it says (``PC_FILESIZEBITS``). Where neither can be learnt, nothing is refused.
    """
    folder = destination.parent
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):
        return
    room = stats.f_bavail * stats.f_frsize
    if held is not None:
        with contextlib.suppress(OSError, AttributeError):
            room += held.lstat().st_blocks * 512
    if size > room:
        raise DestinationTooSmallError(destination, size, room, "has less space free")
    largest = _largest_file(folder)
    if largest is not None and size > largest:
        raise DestinationTooSmallError(destination, size, largest, "takes no file that large")


def _largest_file(folder: Path) -> int | None:
    try:
        bits = os.pathconf(folder, "PC_FILESIZEBITS")
    except (OSError, ValueError, AttributeError):
        return None
    if bits <= 0 or bits >= 128:
        return None
    return int(2 ** (bits - 1) - 1)
