"""Fault plans: seeded, reproducible misbehaviour of the emulator's Jamf and S3 servers.

A ``FaultPlan`` is a seed and a list of ``FaultRule``s. Each rule says which requests it
matches (server, method, path, query) and what happens to them (its ``kind`` and that kind's
parameters). ``FaultEngine`` holds the running state of a plan: how often each rule matched
and fired, one random generator per rule, the log of the faults that fired. The servers ask
it what to do with each request and carry the answer out themselves (``app.py`` for Jamf,
``s3server.py`` for S3, ``wire.py`` for what happens on the connection).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import attrs

JAMF = "jamf"
S3 = "s3"

# kind -> servers it applies to (the first is the default)
_SERVERS: dict[str, tuple[str, ...]] = {
    "status": (JAMF, S3),
    "s3_error": (S3,),
    "reset": (JAMF, S3),
    "reset_upload": (JAMF, S3),
    "truncate": (JAMF, S3),
    "full_body": (S3,),
    "wrong_range": (S3,),
    "stall": (JAMF, S3),
    "expire_url": (S3,),
    "fail_package_creation": (JAMF,),
    "expire_tokens": (JAMF,),
    "corrupt_upload": (JAMF,),
    "zero_size_upload": (JAMF,),
    "late_size": (JAMF,),
}
KINDS = tuple(_SERVERS)

_REQUIRED = object()

# kind -> {parameter: default}; _REQUIRED marks a parameter that must be given.
_PARAMETERS: dict[str, dict[str, Any]] = {
    "status": {"status": _REQUIRED, "retry_after": None},
    "s3_error": {"code": _REQUIRED},
    "reset": {"after_bytes": 0},
    "reset_upload": {"after_bytes": 0},
    "truncate": {"after_bytes": 0},
    "full_body": {},
    "wrong_range": {"shift": 1},
    "stall": {"seconds": _REQUIRED},
    "expire_url": {"after_ranges": 0},
    "fail_package_creation": {"mode": _REQUIRED, "status": 500},
    "expire_tokens": {"every_seconds": None, "after_seconds": None},
    "corrupt_upload": {"after_bytes": 0},
    "zero_size_upload": {},
    "late_size": {"reads": 1},
}
_ALL_PARAMETERS = (
    "status",
    "retry_after",
    "code",
    "after_bytes",
    "shift",
    "seconds",
    "after_ranges",
    "mode",
    "every_seconds",
    "after_seconds",
    "reads",
)
_MATCHING = ("server", "method", "path", "query", "skip", "times", "probability")

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
# Where a package's file is uploaded (the supported route).
_PACKAGE_UPLOAD_PATH = re.compile(r"/api/v1/packages/[^/]+/upload/?")
# Kinds that let the request through, changed: the upload route reads the rule from here.
UPLOAD_FAULT_KINDS = ("corrupt_upload", "zero_size_upload", "late_size")
UPLOAD_FAULT_KEY = "jcds2.emulator.upload_fault"
# Kinds that spoil only POSTs to certain paths.
_POST_PATHS = {
    "fail_package_creation": _PACKAGE_CREATION_PATH,
    **dict.fromkeys(UPLOAD_FAULT_KINDS, _PACKAGE_UPLOAD_PATH),
}
# The query parameter that tells download URLs handed out by the Jamf route apart.
URL_NUMBER_PARAMETER = "x-emulator-url"


def _parameter_default(name: str) -> Any:
    def default(rule: FaultRule) -> Any:
        value = _PARAMETERS.get(rule.kind, {}).get(name)
        return None if value is _REQUIRED else value

    return attrs.Factory(default, takes_self=True)


def _default_server(rule: FaultRule) -> str:
    return _SERVERS.get(rule.kind, (JAMF,))[0]


def _default_times(rule: FaultRule) -> int | None:
    # A periodic token expiry keeps going unless told otherwise.
    return None if rule.kind == "expire_tokens" and rule.every_seconds is not None else 1


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


@attrs.frozen
class FaultRule:
    """Which requests to spoil, and how.

    Matching: ``server`` ("jamf" or "s3"), ``method`` ("*" or an HTTP method), ``path`` (a
    regular expression the whole request path must match), ``query`` (a regular expression
    searched for in the raw query string, or None). Of the matching requests the first
    ``skip`` pass untouched; then the rule fires at most ``times`` times (None: without
    limit), each time with ``probability``. The kind's parameters are described in
    docs/emulator.md ("Fault plan"). Raises ``ValueError`` when a field does not fit.
    """

    kind: str
    server: str = attrs.field(default=attrs.Factory(_default_server, takes_self=True))
    method: str = attrs.field(default="*", converter=_upper)
    path: str = ".*"
    query: str | None = None
    status: int | None = _parameter_default("status")
    retry_after: int | None = _parameter_default("retry_after")
    code: str | None = _parameter_default("code")
    after_bytes: int | None = _parameter_default("after_bytes")
    shift: int | None = _parameter_default("shift")
    seconds: float | None = _parameter_default("seconds")
    after_ranges: int | None = _parameter_default("after_ranges")
    mode: str | None = _parameter_default("mode")
    every_seconds: float | None = _parameter_default("every_seconds")
    after_seconds: float | None = _parameter_default("after_seconds")
    reads: int | None = _parameter_default("reads")
    skip: int = 0
    probability: float = 1.0
    times: int | None = attrs.field(default=attrs.Factory(_default_times, takes_self=True))

    def __attrs_post_init__(self) -> None:
        _check_rule(self)

    def parameters(self) -> dict[str, Any]:
        """This kind's parameters and their values."""
        return {name: getattr(self, name) for name in _PARAMETERS[self.kind]}

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data; ``FaultRule.from_dict`` reads it back."""
        matching = {name: getattr(self, name) for name in _MATCHING}
        return {"kind": self.kind, **matching, **self.parameters()}

    @classmethod
    def from_dict(cls, data: Any) -> FaultRule:
        """A rule from JSON data; ``ValueError`` says what is wrong with it."""
        if not isinstance(data, Mapping):
            raise ValueError("a rule must be a JSON object")
        kind = data.get("kind")
        if kind is None:
            raise ValueError("a rule needs a 'kind'")
        if kind not in _PARAMETERS:
            raise ValueError(f"unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
        allowed = {"kind", *_MATCHING, *_PARAMETERS[kind]}
        unknown = sorted(str(key) for key in data if key not in allowed)
        if unknown:
            raise ValueError(
                f"unknown field {unknown[0]!r} for kind {kind!r} "
                f"(fields: {', '.join(sorted(allowed))})"
            )
        return cls(**{str(key): value for key, value in data.items()})

    def matches(self, server: str, method: str, path: str, query: str) -> bool:
        return (
            self.server == server
            and self.method in ("*", method.upper())
            and re.fullmatch(self.path, path) is not None
            and (self.query is None or re.search(self.query, query) is not None)
        )


def _check_rule(rule: FaultRule) -> None:
    """Every check of one rule; the first failure is raised as ``ValueError``."""
    if rule.kind not in _PARAMETERS:
        raise ValueError(f"unknown kind {rule.kind!r} (kinds: {', '.join(KINDS)})")
    servers = _SERVERS[rule.kind]
    if rule.server not in (JAMF, S3):
        raise ValueError(f"server must be 'jamf' or 's3', not {rule.server!r}")
    if rule.server not in servers:
        raise ValueError(f"kind {rule.kind!r} is for the {servers[0]} server only")
    _check_matching(rule)
    parameters = _PARAMETERS[rule.kind]
    for name in _ALL_PARAMETERS:
        value = getattr(rule, name)
        if name not in parameters and value is not None:
            raise ValueError(f"field {name!r} does not apply to kind {rule.kind!r}")
        if parameters.get(name) is _REQUIRED and value is None:
            raise ValueError(f"kind {rule.kind!r} needs the field {name!r}")
    _check_parameters(rule)


def _check_matching(rule: FaultRule) -> None:
    if not isinstance(rule.method, str) or not re.fullmatch(r"\*|[A-Z]+", rule.method):
        raise ValueError(f"method must be '*' or an HTTP method, not {rule.method!r}")
    for name in ("path", "query"):
        pattern = getattr(rule, name)
        if pattern is None and name == "query":
            continue
        if not isinstance(pattern, str):
            raise ValueError(f"{name} must be a regular expression string")
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"{name} is not a valid regular expression: {error}") from None
    if not _is_int(rule.skip) or rule.skip < 0:
        raise ValueError("skip must be a whole number, 0 or more")
    if rule.times is not None and (not _is_int(rule.times) or rule.times < 1):
        raise ValueError("times must be a whole number, at least 1, or null for every time")
    if not _is_number(rule.probability) or not 0 <= rule.probability <= 1:
        raise ValueError("probability must be a number from 0 to 1")
    if rule.kind == "expire_tokens" and (rule.skip != 0 or rule.probability != 1):
        raise ValueError("kind 'expire_tokens' is driven by time: no skip or probability")


def _check_parameters(rule: FaultRule) -> None:
    if rule.status is not None and (not _is_int(rule.status) or not 100 <= rule.status <= 599):
        raise ValueError("status must be an HTTP status code (100-599)")
    if rule.retry_after is not None and (not _is_int(rule.retry_after) or rule.retry_after < 0):
        raise ValueError("retry_after must be a whole number of seconds, 0 or more")
    if rule.code is not None and rule.code not in S3_ERRORS:
        raise ValueError(f"code must be one of {', '.join(S3_ERRORS)}, not {rule.code!r}")
    if rule.after_bytes is not None and (not _is_int(rule.after_bytes) or rule.after_bytes < 0):
        raise ValueError("after_bytes must be a whole number, 0 or more")
    if rule.shift is not None and (not _is_int(rule.shift) or rule.shift < 1):
        raise ValueError("shift must be a whole number of bytes, at least 1")
    if rule.seconds is not None and (not _is_number(rule.seconds) or rule.seconds < 0):
        raise ValueError("seconds must be a number, 0 or more")
    if rule.after_ranges is not None and (not _is_int(rule.after_ranges) or rule.after_ranges < 0):
        raise ValueError("after_ranges must be a whole number, 0 or more")
    if rule.reads is not None and (not _is_int(rule.reads) or rule.reads < 1):
        raise ValueError("reads must be a whole number, at least 1")
    if rule.mode is not None and rule.mode not in PACKAGE_CREATION_MODES:
        raise ValueError(f"mode must be 'refuse' or 'lost_answer', not {rule.mode!r}")
    for name in ("every_seconds", "after_seconds"):
        value = getattr(rule, name)
        if value is not None and (not _is_number(value) or value <= 0):
            raise ValueError(f"{name} must be a number of seconds above 0")
    if rule.kind == "expire_tokens" and (rule.every_seconds is None) == (
        rule.after_seconds is None
    ):
        raise ValueError("kind 'expire_tokens' needs exactly one of every_seconds, after_seconds")


def _rule_tuple(rules: Iterable[FaultRule]) -> tuple[FaultRule, ...]:
    return tuple(rules)


@attrs.frozen
class FaultPlan:
    """A seed and the rules it drives; the same plan and requests give the same faults."""

    seed: int = attrs.field(default=0)
    rules: tuple[FaultRule, ...] = attrs.field(default=(), converter=_rule_tuple)

    @seed.validator
    def _check_seed(self, _attribute: Any, value: Any) -> None:
        if not _is_int(value):
            raise ValueError("seed must be a whole number")

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "rules": [rule.to_dict() for rule in self.rules]}

    @classmethod
    def from_dict(cls, data: Any) -> FaultPlan:
        """A plan from ``{"seed": int, "rules": [...]}``; ``ValueError`` says what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a fault plan must be a JSON object with 'seed' and 'rules'")
        unknown = sorted(str(key) for key in data if key not in ("seed", "rules"))
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r} in the plan (fields: rules, seed)")
        rules = data.get("rules", [])
        if not isinstance(rules, list):
            raise ValueError("'rules' must be a list")
        parsed: list[FaultRule] = []
        for index, rule in enumerate(rules):
            try:
                parsed.append(FaultRule.from_dict(rule))
            except (ValueError, TypeError) as error:
                raise ValueError(f"rules[{index}]: {error}") from None
        return cls(seed=data.get("seed", 0), rules=tuple(parsed))

    @classmethod
    def from_json(cls, text: str | bytes) -> FaultPlan:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ValueError(f"not valid JSON: {error}") from None
        return cls.from_dict(data)

    @classmethod
    def from_json_file(cls, path: str | os.PathLike[str]) -> FaultPlan:
        """Read a plan from a JSON file; ``ValueError`` names the file and the problem."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise ValueError(f"cannot read {os.fspath(path)}: {error.strerror}") from None
        try:
            return cls.from_json(text)
        except ValueError as error:
            raise ValueError(f"{os.fspath(path)}: {error}") from None


@attrs.frozen
class FaultRecord:
    """A fault that fired: which rule, its kind, and the request it hit."""

    rule_index: int
    kind: str
    server: str
    method: str
    path: str


@attrs.frozen
class RequestFacts:
    """What the fault engine needs to know about a request."""

    server: str
    method: str
    path: str
    query: str = ""
    range: str | None = None

    @property
    def url_number(self) -> str | None:
        values = parse_qs(self.query).get(URL_NUMBER_PARAMETER)
        return values[0] if values else None


@attrs.frozen
class FiredFault:
    """A rule that fired for the request at hand."""

    index: int
    rule: FaultRule


@attrs.define
class _RuleState:
    index: int
    rule: FaultRule
    random: random.Random
    started: float
    seen: int = 0
    fired: int = 0
    ranges_by_url: dict[str, int] = attrs.Factory(dict)
    expired_urls: set[str] = attrs.Factory(set)
    spared_urls: set[str] = attrs.Factory(set)
    next_expiry: float = math.inf

    def admit(self) -> bool:
        """Skip, times and probability, in that order; the random draw only when it counts."""
        self.seen += 1
        if self.seen <= self.rule.skip:
            return False
        if self.rule.times is not None and self.fired >= self.rule.times:
            return False
        if self.rule.probability < 1 and self.random.random() >= self.rule.probability:
            return False
        self.fired += 1
        return True


def _rule_random(seed: int, index: int) -> random.Random:
    # Seeded for reproducible faults, not for secrecy.
    return random.Random(f"jcds2-fault-plan:{seed}:{index}")  # noqa: S311


_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


def parse_range(header: str | None) -> tuple[int, int | None] | None:
    """``(first, last)`` of a single ``bytes=first-[last]`` range, else None."""
    found = _RANGE.fullmatch((header or "").strip())
    if found is None:
        return None
    return int(found[1]), int(found[2]) if found[2] else None


class FaultEngine:
    """The running state of a fault plan, shared by both servers; thread-safe.

    Rules are consulted in plan order and the first one that fires wins. ``stopping`` is
    set when the emulator stops, so that stalls end at once.
    """

    def __init__(self, plan: FaultPlan | None = None, clock: Any = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._seed = 0
        self._states: list[_RuleState] = []
        self._log: list[FaultRecord] = []
        self.stopping = threading.Event()
        if plan is not None:
            self.set_plan(plan)

    # Plan ------------------------------------------------------------------------------

    def set_plan(self, plan: FaultPlan) -> None:
        """Replace the rules; counters start afresh (the fault log stays)."""
        with self._lock:
            self._seed = plan.seed
            self._states = []
            for rule in plan.rules:
                self._append(rule)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._append(rule)

    def _append(self, rule: FaultRule) -> None:
        index = len(self._states)
        now = self._clock()
        state = _RuleState(index, rule, _rule_random(self._seed, index), now)
        if rule.kind == "expire_tokens":
            state.next_expiry = now + (rule.every_seconds or rule.after_seconds or 0)
        self._states.append(state)

    def clear(self) -> None:
        with self._lock:
            self._states = []

    @property
    def plan(self) -> FaultPlan:
        with self._lock:
            return FaultPlan(self._seed, tuple(state.rule for state in self._states))

    # Log -------------------------------------------------------------------------------

    def log(self) -> list[FaultRecord]:
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def _fire(self, state: _RuleState, facts: RequestFacts) -> FiredFault:
        rule = state.rule
        self._log.append(FaultRecord(state.index, rule.kind, rule.server, facts.method, facts.path))
        return FiredFault(state.index, rule)

    # Decisions -------------------------------------------------------------------------

    def take(self, facts: RequestFacts) -> FiredFault | None:
        """The fault for this request, if a rule fires; counts the match either way."""
        with self._lock:
            for state in self._states:
                rule = state.rule
                if rule.kind == "expire_tokens" or not _applies(rule, facts):
                    continue
                if rule.kind == "expire_url":
                    if self._url_expired(state, facts):
                        return self._fire(state, facts)
                    continue
                if state.admit():
                    return self._fire(state, facts)
            return None

    def _url_expired(self, state: _RuleState, facts: RequestFacts) -> bool:
        url = facts.url_number
        assert url is not None
        if url in state.expired_urls:
            return True
        if url in state.spared_urls:
            return False
        after = state.rule.after_ranges or 0
        ranges = state.ranges_by_url.get(url, 0)
        if ranges < after:
            if facts.range is not None:
                state.ranges_by_url[url] = ranges + 1
            return False
        # The URL has served its ranges: decide its fate once.
        state.ranges_by_url.pop(url, None)
        if state.admit():
            state.expired_urls.add(url)
            return True
        state.spared_urls.add(url)
        return False

    def tokens_expire(self, facts: RequestFacts) -> bool:
        """Whether an ``expire_tokens`` rule is due as this request arrives."""
        due = False
        with self._lock:
            now = self._clock()
            for state in self._states:
                rule = state.rule
                if rule.kind != "expire_tokens" or now < state.next_expiry:
                    continue
                if not rule.matches(facts.server, facts.method, facts.path, facts.query):
                    continue
                if rule.every_seconds is None:
                    state.next_expiry = math.inf
                else:
                    periods = math.floor((now - state.started) / rule.every_seconds) + 1
                    state.next_expiry = state.started + periods * rule.every_seconds
                if state.admit():
                    self._fire(state, facts)
                    due = True
        return due


def _applies(rule: FaultRule, facts: RequestFacts) -> bool:
    """The matching fields, then what the kind needs of a request."""
    if not rule.matches(facts.server, facts.method, facts.path, facts.query):
        return False
    method = facts.method.upper()
    if rule.kind == "full_body":
        return method == "GET" and facts.range is not None
    if rule.kind == "wrong_range":
        return method == "GET" and parse_range(facts.range) is not None
    if rule.kind == "expire_url":
        return method == "GET" and facts.url_number is not None
    post_path = _POST_PATHS.get(rule.kind)
    if post_path is not None:
        return method == "POST" and post_path.fullmatch(facts.path) is not None
    return True
