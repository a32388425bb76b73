"""Fault plans: seeded, reproducible misbehaviour of the emulator's Jamf and S3 servers.

A ``FaultPlan`` is a seed and a list of rules, one class per fault kind (``faultrules.py``).
``FaultEngine`` holds the running state of a plan: how often each rule matched and fired,
one random generator per rule, the log of the faults that fired. The servers ask it what to
do with each request and carry the answer out themselves (``app.py`` for Jamf,
``s3server.py`` for S3, ``wire.py`` for what happens on the connection).
"""

from __future__ import annotations

import json
import math
import os
import random
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from jcds2.emulator.faultrules import (
    ExpireTokensFault,
    ExpireUrlFault,
    FaultRule,
)
from jcds2.emulator.requestfacts import RequestFacts

# Where the Jamf app leaves a ``PackageUploadFault`` for the upload route to carry out.
UPLOAD_FAULT_KEY = "jcds2.emulator.upload_fault"


def _rule_tuple(rules: Iterable[FaultRule]) -> tuple[FaultRule, ...]:
    return tuple(rules)


def _check_seed(_plan: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("seed must be a whole number")


@attrs.frozen
class FaultPlan:
    """A seed and the rules it drives; the same plan and requests give the same faults."""

    seed: int = attrs.field(default=0, validator=_check_seed)
    rules: tuple[FaultRule, ...] = attrs.field(default=(), converter=_rule_tuple)

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
        if isinstance(rule, ExpireTokensFault):
            state.next_expiry = now + rule.first_after
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
                if isinstance(rule, ExpireTokensFault) or not rule.matches(facts):
                    continue
                if isinstance(rule, ExpireUrlFault):
                    if self._url_expired(state, rule, facts):
                        return self._fire(state, facts)
                    continue
                if state.admit():
                    return self._fire(state, facts)
            return None

    def _url_expired(self, state: _RuleState, rule: ExpireUrlFault, facts: RequestFacts) -> bool:
        url = facts.url_number
        assert url is not None
        if url in state.expired_urls:
            return True
        if url in state.spared_urls:
            return False
        ranges = state.ranges_by_url.get(url, 0)
        if ranges < rule.after_ranges:
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
                if not isinstance(rule, ExpireTokensFault) or now < state.next_expiry:
                    continue
                if not rule.matches(facts):
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
