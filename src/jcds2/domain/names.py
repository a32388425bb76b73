"""Validation of JCDS file names, shared by uploads and downloads."""

from __future__ import annotations

import unicodedata

from jcds2.domain.errors import InvalidFileNameError

MAX_FILE_NAME_BYTES = 255


def validate_file_name(file_name: str) -> str:
    """Return ``file_name`` if it is a plain file name, else raise :class:`InvalidFileNameError`.

    A JCDS file name becomes the last component of an S3 key and of a local path: it may
    contain spaces and any printable Unicode, but no path separator, no ``..`` and no
    control characters, and must fit a file system name (255 bytes of UTF-8).
    """
    if not isinstance(file_name, str) or not file_name:
        raise InvalidFileNameError(str(file_name), "it is empty")
    if "/" in file_name or "\\" in file_name:
        raise InvalidFileNameError(file_name, "it contains a path separator")
    if ".." in file_name:
        raise InvalidFileNameError(file_name, "it contains '..'")
    if file_name == ".":
        raise InvalidFileNameError(file_name, "it names the current directory")
    if any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in file_name):
        raise InvalidFileNameError(file_name, "it contains control characters")
    if file_name != file_name.strip():
        raise InvalidFileNameError(file_name, "it starts or ends with white space")
    if len(file_name.encode("utf-8")) > MAX_FILE_NAME_BYTES:
        raise InvalidFileNameError(file_name, f"it is longer than {MAX_FILE_NAME_BYTES} bytes")
    return file_name
