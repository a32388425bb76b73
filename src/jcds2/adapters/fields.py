"""Reading the fields of Jamf Pro's answers, in every shape a real server sends them.

Jamf Pro versions disagree on the JSON type of some fields: a package's ``size`` and
``id`` come as strings or numbers, a JCDS upload ticket's ``expiration`` as epoch seconds
(a number or a string of digits) or as ISO-8601 text, a token's ``expires`` with three,
six or nine digits of fraction, OAuth's ``expires_in`` as a number or a string. The
readers here accept each of those shapes and nothing looser: a boolean is never a number,
a number is never text, and a value that cannot be read raises :class:`ValueError` or
:class:`TypeError`.

:func:`field` reads one field of an answer with a reader and turns a missing or
unreadable value into :class:`~jcds2.domain.errors.UnexpectedAnswerError`, naming the
field and the endpoint but never the value (which may be a secret).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from jcds2.domain.errors import UnexpectedAnswerError

_T = TypeVar("_T")

_MISSING: Any = object()

#: Epoch values above this are milliseconds (as seconds, they would be after the year 5000).
_EPOCH_MS_FROM = 100_000_000_000

_DIGITS = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


def read_text(value: object) -> str:
    """A non-empty string (surrounding blanks are kept: they may be part of a name)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not a non-empty text")
    return value


def read_optional_text(value: object) -> str | None:
    """A string, or ``None`` for null or a blank string."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("not a text")
    return value if value.strip() else None


def read_int(value: object) -> int:
    """A whole number: an integer, an integral float, or a string of digits."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        return int(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError("not a whole number")


def read_id(value: object) -> int:
    """A Jamf object id: a whole number (or a string of digits), 0 or more."""
    number = read_int(value)
    if number < 0:
        raise ValueError("a negative id")
    return number


def read_size(value: object) -> int | None:
    """A size in bytes (number or string of digits); ``None`` for null or blank.

    Jamf Pro reports a package's ``size`` as a string, blank until it knows the file.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    size = read_int(value)
    if size < 0:
        raise ValueError("a negative size")
    return size


def read_seconds(value: object) -> float:
    """A duration in seconds: a number or a string of one, finite and not negative."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        seconds = float(value.strip())
    else:
        raise ValueError("not a number of seconds")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("not a usable number of seconds")
    return seconds


def read_bool(value: object) -> bool:
    """``true`` or ``false``: a JSON boolean, or the text ``"true"``/``"false"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("not true or false")


def read_moment(value: object) -> dt.datetime:
    """A moment in time, as an aware UTC ``datetime``.

    Accepts epoch seconds (an integer, a float or a string of digits, with or without a
    fraction), epoch milliseconds (the same, above 10^11) and ISO-8601 text with ``Z``,
    an offset (``+02:00``, ``+0200``, ``+02``) or no zone (taken as UTC), and any number
    of fraction digits (cut to microseconds).
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a moment")
    if isinstance(value, (int, float)) or (
        isinstance(value, str) and _DECIMAL.fullmatch(value.strip())
    ):
        seconds = read_seconds(value)
        if seconds >= _EPOCH_MS_FROM:
            seconds /= 1000
        try:
            return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        except (OverflowError, OSError) as exc:
            raise ValueError("a moment out of range") from exc
    if not isinstance(value, str):
        raise TypeError("not a moment")
    match = _ISO.fullmatch(value.strip())
    if match is None:
        raise ValueError("not an ISO-8601 moment")
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    zone = match["zone"]
    if zone is None or zone in ("Z", "z"):
        tz = dt.timezone.utc
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
        tz = dt.timezone(sign * dt.timedelta(minutes=minutes))
    text = f"{match['date']}T{match['hour']}:{match['minute']}:{match['second'] or '00'}.{fraction}"
    try:
        moment = dt.datetime.fromisoformat(text).replace(tzinfo=tz)
    except ValueError:
        raise ValueError("not a valid date and time") from None
    return moment.astimezone(dt.timezone.utc)


def field(
    body: object,
    name: str,
    reader: Callable[[Any], _T],
    *,
    endpoint: str,
    operation: str,
    default: Any = _MISSING,
) -> _T:
    """``reader(body[name])``, or :class:`UnexpectedAnswerError` naming ``name`` and
    ``endpoint`` when ``body`` is no object, lacks the field (and no ``default`` is
    given) or has it in a shape ``reader`` refuses. A ``default`` also stands in for null.
    """
    if not isinstance(body, Mapping):
        raise UnexpectedAnswerError(
            f"{operation}: the answer of {endpoint} is not a JSON object",
            field=name,
            endpoint=endpoint,
            operation=operation,
        )
    value = body.get(name, _MISSING)
    if default is not _MISSING and (value is _MISSING or value is None):
        return default  # type: ignore[no-any-return]
    if value is _MISSING:
        raise unexpected_field(operation, endpoint, name, "it is missing")
    try:
        return reader(value)
    except (TypeError, ValueError) as exc:
        raise unexpected_field(
            operation, endpoint, name, f"{_kind(value)} that jcds2 cannot read ({exc})"
        ) from None


def unexpected_field(
    operation: str, endpoint: str, name: str, problem: str
) -> UnexpectedAnswerError:
    """The error for field ``name`` of ``endpoint``'s answer (``problem`` says what is wrong)."""
    return UnexpectedAnswerError(
        f"{operation}: the field {name!r} in the answer of {endpoint}: {problem}",
        field=name,
        endpoint=endpoint,
        operation=operation,
    )


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "a number"),
    (float, "a number"),
    (str, "a text"),
    (list, "a list"),
    (dict, "an object"),
)


def _kind(value: object) -> str:
    """What ``value`` is, without showing it."""
    if value is None:
        return "null"
    return next((name for kind, name in _KINDS if isinstance(value, kind)), "a value")
