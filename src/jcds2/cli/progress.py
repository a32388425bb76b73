"""Progress bars for the command line: one per file, with bytes, rate and ETA.

Bars go to standard error, and only when it is a terminal and ``--quiet`` is not given:
a CI log or a pipe gets the result lines alone. The transfers report byte counts as
deltas from worker threads (a retried part can report a negative delta); tqdm's own lock
serialises the redraws.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tqdm import tqdm

from jcds2.domain.text import shown

_FORMAT = (
    "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}B/{total_fmt}B "
    "[{elapsed}<{remaining}, {rate_fmt}{postfix}]"
)
_FORMAT_NO_TOTAL = "{desc}: {n_fmt}B [{elapsed}, {rate_fmt}]"


class ProgressBars:
    """Creates the bars of one command; disabled, every callback does nothing."""

    def __init__(self, stream: TextIO, *, enabled: bool) -> None:
        self._stream = stream
        self.enabled = enabled
        self._bars: dict[str, tqdm[Any]] = {}
        self._lock = threading.Lock()
        self._sized = enabled and _reports_size(stream)

    def _bar(self, label: str, total: int | None) -> tqdm[Any]:
        return tqdm(
            total=total,
            desc=_shorten(label),
            unit="B",
            unit_scale=True,
            unit_divisor=1000,
            file=self._stream,
            bar_format=_FORMAT if total else _FORMAT_NO_TOTAL,
            # tqdm draws nothing on a terminal that reports no size (a fresh pty, some CI
            # shells): use $COLUMNS and $LINES there, or 80 by 24.
            dynamic_ncols=self._sized,
            ncols=None if self._sized else shutil.get_terminal_size().columns,
            nrows=None if self._sized else shutil.get_terminal_size().lines,
            mininterval=0.2,
            leave=True,
        )

    @contextmanager
    def file(
        self, label: str, total: int | None, *, when_sent: str | None = None
    ) -> Iterator[Callable[[int], None]]:
        """A callback for one transfer's byte counts; the bar closes on leaving, full when
        the transfer succeeded (bytes resumed from an earlier run are not reported).

        ``when_sent`` is shown beside the full bar while the call goes on after the last
        byte (an upload waiting for the server to confirm the file).
        """
        if not self.enabled:
            yield _ignore
            return
        bar = self._bar(label, total)

        def report(count: int) -> None:
            bar.update(count)
            _mark_sent(bar, total, when_sent)

        try:
            yield report
            if total is not None and bar.n < total:
                bar.update(total - bar.n)
        finally:
            bar.close()

    def batch(
        self, totals: dict[str, int], *, when_sent: str | None = None
    ) -> Callable[[str, int], None]:
        """A callback for a batch's ``(file name, byte count)`` reports; each file's bar
        appears with its first bytes and closes when they are all sent (with ``when_sent``:
        shows it and stays until :meth:`close`)."""
        if not self.enabled:
            return _ignore_named

        def report(name: str, count: int) -> None:
            with self._lock:
                bar = self._bars.get(name)
                if bar is None:
                    bar = self._bars[name] = self._bar(name, totals.get(name))
            bar.update(count)
            total = totals.get(name)
            if when_sent is not None:
                _mark_sent(bar, total, when_sent)
            elif total is not None and bar.n >= total:
                bar.close()

        return report

    def close(self) -> None:
        """Close the bars a batch left open (a file that failed part-way)."""
        with self._lock:
            for bar in self._bars.values():
                bar.close()
            self._bars.clear()


def _mark_sent(bar: tqdm[Any], total: int | None, when_sent: str | None) -> None:
    if when_sent is not None and total is not None and bar.n >= total and not bar.postfix:
        bar.set_postfix_str(when_sent)


def _reports_size(stream: TextIO) -> bool:
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):
        return False


def _shorten(label: str, width: int = 32) -> str:
    label = shown(label)
    return label if len(label) <= width else label[: width - 1] + "…"


def _ignore(count: int) -> None:
    del count


def _ignore_named(name: str, count: int) -> None:
    del name, count
