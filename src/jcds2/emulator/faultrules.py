"""Fault rules: one frozen class per fault kind, each with only the fields its kind uses.

Every rule shares the matching fields of ``FaultRule`` (which requests: server, method, path,
query; how often: skip, times, probability) and adds its kind's parameters, validated as the
rule is built. ``FAULT_KINDS`` maps each kind's JSON name to its class; it is the only place
that does, and ``FaultRule.from_dict`` reads a rule of any kind through it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs

from jcds2.emulator.requestfacts import RequestFacts, parse_range

JAMF = "jamf"
S3 = "s3"

# S3 error code -> (HTTP status, message), as S3 words them.
S3_ERRORS: dict[str, tuple[int, str]] = {
    "ExpiredToken": (400, "The provided token has expired."),
    "SlowDown": (503, "Please reduce your request rate."),
    "InternalError": (500, "We encountered an internal error. Please try again."),
    "RequestTimeout": (
        400,
        "Your socket connection to the server was not read from or written to within "
        "the timeout period.",
    ),
    "AccessDenied": (403, "Access Denied"),
}
PACKAGE_CREATION_MODES = ("refuse", "lost_answer")

# Where packages are created: Classic POST .../id/0 (any id creates) and the Pro route.
_PACKAGE_CREATION_PATH = re.compile(r"/JSSResource/packages/id/[^/]+/?|/api/v1/packages/?")
# Where a package's file is uploaded (Jamf's packages route).
_PACKAGE_UPLOAD_PATH = re.compile(r"/api/v1/packages/[^/]+/upload/?")
# The matching fields every rule has, in the order ``to_dict`` writes them.
MATCHING_FIELDS = ("server", "method", "path", "query", "skip", "times", "probability")

# Validation --------------------------------------------------------------------------------

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _check(test: Callable[[Any], bool], message: str, *, optional: bool = False) -> _Validator:
    """A validator raising ``ValueError(message)`` when ``test`` fails (None passes if
    ``optional``); ``{value!r}`` in the message is the value refused."""

    def validate(_rule: Any, _attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        if not test(value):
            raise ValueError(message.format(value=value))

    return validate


def _whole(minimum: int, message: str, *, optional: bool = False) -> _Validator:
    return _check(lambda value: _is_int(value) and value >= minimum, message, optional=optional)


def _check_server(kind: type[FaultRule], server: Any) -> None:
    if server not in (JAMF, S3):
        raise ValueError(f"server must be 'jamf' or 's3', not {server!r}")
    if server not in kind.servers:
        raise ValueError(f"kind {kind.kind!r} is for the {kind.servers[0]} server only")


def _check_pattern(rule: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None and attribute.name == "query":
        return
    if not isinstance(value, str):
        raise ValueError(f"{attribute.name} must be a regular expression string")
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"{attribute.name} is not a valid regular expression: {error}") from None


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


_STATUS = _check(
    lambda value: _is_int(value) and 100 <= value <= 599,
    "status must be an HTTP status code (100-599)",
)
_AFTER_BYTES = _whole(0, "after_bytes must be a whole number, 0 or more")
_TIMES = _whole(
    1, "times must be a whole number, at least 1, or null for every time", optional=True
)


# The rules ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FaultRule:
    """Which requests to spoil; each subclass says how (one class per fault kind).

    Matching: ``server`` ("jamf" or "s3"; the kind's first server by default), ``method``
    ("*" or an HTTP method), ``path`` (a regular expression the whole request path must
    match), ``query`` (a regular expression searched for in the raw query string, or None).
    Of the matching requests the first ``skip`` pass untouched; then the rule fires at most
    ``times`` times (None: without limit), each time with ``probability``. A rule is built
    from its kind's class (``StatusFault(status=503)``) or from JSON data
    (``FaultRule.from_dict``); a field that does not fit raises ``ValueError``.
    """

    kind: ClassVar[str] = ""
    # The servers the kind applies to; the first is the default.
    servers: ClassVar[tuple[str, ...]] = (JAMF, S3)

    server: str = attrs.field(
        default=attrs.Factory(lambda rule: type(rule).servers[0], takes_self=True)
    )
    method: str = attrs.field(
        default="*",
        converter=_upper,
        validator=_check(
            lambda value: isinstance(value, str) and re.fullmatch(r"\*|[A-Z]+", value) is not None,
            "method must be '*' or an HTTP method, not {value!r}",
        ),
    )
    path: str = attrs.field(default=".*", validator=_check_pattern)
    query: str | None = attrs.field(default=None, validator=_check_pattern)
    skip: int = attrs.field(
        default=0, validator=_whole(0, "skip must be a whole number, 0 or more")
    )
    times: int | None = attrs.field(default=1, validator=_TIMES)
    probability: float = attrs.field(
        default=1.0,
        validator=_check(
            lambda value: _is_number(value) and 0 <= value <= 1,
            "probability must be a number from 0 to 1",
        ),
    )

    def __attrs_post_init__(self) -> None:
        if FAULT_KINDS.get(self.kind) is not type(self):
            raise TypeError("FaultRule is the base class: build one of its kinds' classes")
        _check_server(type(self), self.server)

    def wants(self, facts: RequestFacts) -> bool:
        """What the kind needs of a request beyond the matching fields (any request here)."""
        return True

    def matches(self, facts: RequestFacts) -> bool:
        """The matching fields, then what the kind needs of a request."""
        return (
            self.server == facts.server
            and self.method in ("*", facts.method.upper())
            and re.fullmatch(self.path, facts.path) is not None
            and (self.query is None or re.search(self.query, facts.query) is not None)
            and self.wants(facts)
        )

    def parameters(self) -> dict[str, Any]:
        """This kind's parameters and their values."""
        return {
            field.name: getattr(self, field.name)
            for field in attrs.fields(type(self))
            if field.name not in MATCHING_FIELDS
        }

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data; ``FaultRule.from_dict`` reads it back."""
        matching = {name: getattr(self, name) for name in MATCHING_FIELDS}
        return {"kind": self.kind, **matching, **self.parameters()}

    @staticmethod
    def from_dict(data: Any) -> FaultRule:
        """A rule of the kind ``data["kind"]`` names; ``ValueError`` says what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a rule must be a JSON object")
        kind = data.get("kind")
        if kind is None:
            raise ValueError("a rule needs a 'kind'")
        cls = FAULT_KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise ValueError(f"unknown kind {kind!r} (kinds: {', '.join(FAULT_KINDS)})")
        fields = {field.name: field for field in attrs.fields(cls)}
        unknown = sorted(str(key) for key in data if key != "kind" and key not in fields)
        if unknown:
            allowed = ", ".join(sorted(["kind", *fields]))
            raise ValueError(f"unknown field {unknown[0]!r} for kind {kind!r} (fields: {allowed})")
        _check_server(cls, data.get("server", cls.servers[0]))
        for name, field in fields.items():
            if field.default is attrs.NOTHING and name not in data:
                raise ValueError(f"kind {kind!r} needs the field {name!r}")
        return cls(**{str(key): value for key, value in data.items() if key != "kind"})


@attrs.frozen(kw_only=True)
class StatusFault(FaultRule):
    """Answer ``status`` unprocessed (with ``Retry-After`` if ``retry_after`` is given)."""

    kind: ClassVar[str] = "status"
    status: int = attrs.field(validator=_STATUS)
    retry_after: int | None = attrs.field(
        default=None,
        validator=_whole(
            0, "retry_after must be a whole number of seconds, 0 or more", optional=True
        ),
    )


@attrs.frozen(kw_only=True)
class S3ErrorFault(FaultRule):
    """Answer one of S3's own errors (``code``, a key of ``S3_ERRORS``) unprocessed."""

    kind: ClassVar[str] = "s3_error"
    servers: ClassVar[tuple[str, ...]] = (S3,)
    code: str = attrs.field(
        validator=_check(
            lambda value: value in S3_ERRORS,
            f"code must be one of {', '.join(S3_ERRORS)}, not {{value!r}}",
        )
    )


@attrs.frozen(kw_only=True)
class CutFault(FaultRule):
    """The kinds that cut a body short: after ``after_bytes`` bytes, the connection ends."""

    after_bytes: int = attrs.field(default=0, validator=_AFTER_BYTES)


@attrs.frozen(kw_only=True)
class ResetFault(CutFault):
    """Process the request, send ``after_bytes`` of the answer's body, then reset (RST)."""

    kind: ClassVar[str] = "reset"


@attrs.frozen(kw_only=True)
class ResetUploadFault(CutFault):
    """Read ``after_bytes`` of the request body, then reset; the request is not processed."""

    kind: ClassVar[str] = "reset_upload"


@attrs.frozen(kw_only=True)
class TruncateFault(CutFault):
    """Process the request, send ``after_bytes`` of the answer's body, then close (FIN)."""

    kind: ClassVar[str] = "truncate"


@attrs.frozen(kw_only=True)
class FullBodyFault(FaultRule):
    """Answer a ranged GET with the whole object."""

    kind: ClassVar[str] = "full_body"
    servers: ClassVar[tuple[str, ...]] = (S3,)

    def wants(self, facts: RequestFacts) -> bool:
        return facts.method.upper() == "GET" and facts.range is not None


@attrs.frozen(kw_only=True)
class WrongRangeFault(FaultRule):
    """Answer a ranged GET with the range moved by ``shift`` bytes."""

    kind: ClassVar[str] = "wrong_range"
    servers: ClassVar[tuple[str, ...]] = (S3,)
    shift: int = attrs.field(
        default=1, validator=_whole(1, "shift must be a whole number of bytes, at least 1")
    )

    def wants(self, facts: RequestFacts) -> bool:
        return facts.method.upper() == "GET" and parse_range(facts.range) is not None


@attrs.frozen(kw_only=True)
class StallFault(FaultRule):
    """Wait ``seconds``, then answer normally (``stop()`` ends the wait)."""

    kind: ClassVar[str] = "stall"
    seconds: float = attrs.field(
        validator=_check(
            lambda value: _is_number(value) and value >= 0, "seconds must be a number, 0 or more"
        )
    )


@attrs.frozen(kw_only=True)
class ExpireUrlFault(FaultRule):
    """Expire a handed-out download URL after ``after_ranges`` ranged GETs of it.

    ``skip``, ``times`` and ``probability`` count URLs, decided once per URL.
    """

    kind: ClassVar[str] = "expire_url"
    servers: ClassVar[tuple[str, ...]] = (S3,)
    after_ranges: int = attrs.field(
        default=0, validator=_whole(0, "after_ranges must be a whole number, 0 or more")
    )

    def wants(self, facts: RequestFacts) -> bool:
        return facts.method.upper() == "GET" and facts.url_number is not None


@attrs.frozen(kw_only=True)
class FailPackageCreationFault(FaultRule):
    """On package creation answer ``status``: without creating (``mode="refuse"``) or
    after creating (``mode="lost_answer"``)."""

    kind: ClassVar[str] = "fail_package_creation"
    servers: ClassVar[tuple[str, ...]] = (JAMF,)
    mode: str = attrs.field(
        validator=_check(
            lambda value: value in PACKAGE_CREATION_MODES,
            "mode must be 'refuse' or 'lost_answer', not {value!r}",
        )
    )
    status: int = attrs.field(default=500, validator=_STATUS)

    def wants(self, facts: RequestFacts) -> bool:
        return facts.method.upper() == "POST" and bool(_PACKAGE_CREATION_PATH.fullmatch(facts.path))


def _expiry_times(rule: ExpireTokensFault) -> int | None:
    # A periodic token expiry keeps going unless told otherwise.
    return None if rule.every_seconds is not None else 1


def _seconds_above_0(name: str) -> _Validator:
    message = f"{name} must be a number of seconds above 0"
    return _check(lambda value: _is_number(value) and value > 0, message, optional=True)


@attrs.frozen(kw_only=True)
class ExpireTokensFault(FaultRule):
    """Expire every bearer token issued so far, every ``every_seconds`` or once
    ``after_seconds`` after the rule was set (exactly one of the two). Driven by time: no
    ``skip`` or ``probability``; ``times`` counts expiries."""

    kind: ClassVar[str] = "expire_tokens"
    servers: ClassVar[tuple[str, ...]] = (JAMF,)
    every_seconds: float | None = attrs.field(
        default=None, validator=_seconds_above_0("every_seconds")
    )
    after_seconds: float | None = attrs.field(
        default=None, validator=_seconds_above_0("after_seconds")
    )
    times: int | None = attrs.field(
        default=attrs.Factory(_expiry_times, takes_self=True), validator=_TIMES
    )

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.skip != 0 or self.probability != 1:
            raise ValueError("kind 'expire_tokens' is driven by time: no skip or probability")
        if (self.every_seconds is None) == (self.after_seconds is None):
            raise ValueError(
                "kind 'expire_tokens' needs exactly one of every_seconds, after_seconds"
            )

    @property
    def first_after(self) -> float:
        """Seconds from setting the rule to the first expiry."""
        return self.every_seconds or self.after_seconds or 0.0


@attrs.frozen(kw_only=True)
class PackageUploadFault(FaultRule):
    """A fault of ``POST /api/v1/packages/{id}/upload`` that lets the request through: the
    upload route reads the rule and spoils what it stores or reports."""

    servers: ClassVar[tuple[str, ...]] = (JAMF,)

    def wants(self, facts: RequestFacts) -> bool:
        return facts.method.upper() == "POST" and bool(_PACKAGE_UPLOAD_PATH.fullmatch(facts.path))


@attrs.frozen(kw_only=True)
class CorruptUploadFault(PackageUploadFault):
    """Store the uploaded file with the byte at offset ``after_bytes`` flipped."""

    kind: ClassVar[str] = "corrupt_upload"
    after_bytes: int = attrs.field(default=0, validator=_AFTER_BYTES)


@attrs.frozen(kw_only=True)
class ZeroSizeUploadFault(PackageUploadFault):
    """Store the upload as sent, but have the package report size 0 (a failed upload)."""

    kind: ClassVar[str] = "zero_size_upload"


@attrs.frozen(kw_only=True)
class TransferErrorFault(PackageUploadFault):
    """Store the upload as sent, but fail its transfer: the package goes ``ERROR`` where it
    would have gone ``READY``, still showing the previous file's values."""

    kind: ClassVar[str] = "transfer_error"


@attrs.frozen(kw_only=True)
class LateSizeFault(PackageUploadFault):
    """Show the new digests with the previous size for the first ``reads`` reads."""

    kind: ClassVar[str] = "late_size"
    reads: int = attrs.field(
        default=1, validator=_whole(1, "reads must be a whole number, at least 1")
    )


# Every fault kind, by the name a plan's JSON gives it.
FAULT_KINDS: Mapping[str, type[FaultRule]] = {
    rule.kind: rule
    for rule in (
        StatusFault,
        S3ErrorFault,
        ResetFault,
        ResetUploadFault,
        TruncateFault,
        FullBodyFault,
        WrongRangeFault,
        StallFault,
        ExpireUrlFault,
        FailPackageCreationFault,
        ExpireTokensFault,
        CorruptUploadFault,
        ZeroSizeUploadFault,
        LateSizeFault,
        TransferErrorFault,
    )
}
