"""Injected faults: canned error answers to chosen requests, given before they are processed.

Kept apart from the routes so that it can grow into a seeded fault plan (connection resets,
truncated bodies, stalls) without touching them.
"""

from __future__ import annotations

import re
import threading

import attrs


@attrs.frozen
class Fault:
    """What to answer instead of processing a request."""

    status: int
    retry_after: int | None = None


@attrs.define
class _FaultRule:
    method: str
    path: re.Pattern[str]
    fault: Fault
    remaining: int


class FaultInjector:
    """Thread-safe list of fault rules, each spent after it has fired ``times`` times."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_FaultRule] = []

    def add(
        self,
        method: str,
        path: str,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and the ``path`` regex."""
        if times < 1:
            raise ValueError("times must be at least 1")
        rule = _FaultRule(method.upper(), re.compile(path), Fault(status, retry_after), times)
        with self._lock:
            self._rules.append(rule)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if a rule matches; spends one use of that rule."""
        with self._lock:
            for rule in self._rules:
                if rule.method == method.upper() and rule.path.fullmatch(path):
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                    return rule.fault
            return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
