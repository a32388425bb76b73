"""Progress for the command line: a bar per file, or plain lines for CI logs.

``--progress bar`` (the default on a terminal) draws a tqdm bar per file on standard error;
``--progress lines`` prints a plain line per file every few seconds, whatever standard error
is (a CI log, a pipe), as ``aws s3 cp`` does; ``--progress none`` (the default elsewhere, and
with ``--quiet``) shows nothing. The transfers report byte counts as deltas from worker
threads (a retried part can report a negative delta) and an upload reports its phases
(:class:`~jcds2.UploadEvent`): hashing, sending, verifying.

A bar appears with the first thing there is to show, so a command that fails before any
transfer leaves no empty bar above its error. While the server verifies an upload, the bar
says so, with the time waited and the server's last answer, beside the rate of the sending
alone; an upload that was only hashed (a skip) says it sent nothing.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, Final, TextIO

from jcds2 import UploadEvent, UploadPhase
from jcds2.domain.text import shown

#: The values of ``--progress``.
STYLES: Final = ("none", "bar", "lines")
#: Seconds between two lines of one file with ``--progress lines``.
LINE_INTERVAL: Final = 5.0
#: Seconds between two redraws of a verifying bar (its clock keeps running).
_TICK: Final = 1.0
#: The most characters of the server's answer a bar shows.
_ANSWER_WIDTH: Final = 40

_FORMAT = (
    "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}B/{total_fmt}B "
    "[{elapsed}<{remaining}, {rate_fmt}{postfix}]"
)
_FORMAT_NO_TOTAL = "{desc}: {n_fmt}B [{elapsed}, {rate_fmt}]"

# tqdm is imported where a bar is drawn: a run without bars (no terminal, --json, --quiet)
# does not pay for it (issue 17).
if TYPE_CHECKING:
    from tqdm import tqdm


def choose_style(requested: str | None, *, quiet: bool, terminal: bool) -> str:
    """The progress style: ``requested`` (``--progress``) if given, else a bar on a terminal
    and nothing elsewhere or with ``--quiet``."""
    if requested is not None:
        return requested
    return "bar" if terminal and not quiet else "none"


class ProgressBars:
    """The progress display of one command; disabled (style ``none``), every callback
    does nothing.

    ``style``: ``"bar"`` or ``"lines"``; ``interval``: seconds between two lines of one
    file; ``clock``: monotonic seconds (for tests).
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        enabled: bool,
        style: str = "bar",
        interval: float = LINE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self.enabled = enabled and style != "none"
        self.style = style if self.enabled else "none"
        self._interval = interval
        self._clock = clock
        self._sized = self.enabled and _reports_size(stream)
        self._transfers: dict[str, _Transfer] = {}
        self._lock = threading.RLock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        # What batch() was given, for the events of phase().
        self._batch_totals: dict[str, int] = {}
        self._batch_when_sent: str | None = None

    # --- what the commands use ----------------------------------------------------------

    def logging(self) -> AbstractContextManager[None]:
        """While bars are drawn, log records are written above them (through tqdm), not
        into the middle of a bar."""
        if self.style != "bar":
            return nullcontext()
        from tqdm.contrib.logging import logging_redirect_tqdm  # noqa: PLC0415

        return logging_redirect_tqdm()

    @contextmanager
    def file(
        self, label: str, total: int | None, *, when_sent: str | None = None
    ) -> Iterator[_Transfer]:
        """One transfer's display: call it with byte counts, give its ``phase`` method the
        upload's events. It ends on leaving: full when the transfer succeeded (bytes
        resumed from an earlier run are not reported), erased when it failed before a
        byte moved, where it stopped otherwise.

        ``when_sent`` is shown beside the full bar while the call goes on after the last
        byte, for a caller that reports no phases.
        """
        transfer = _Transfer(self, label, total, when_sent)
        if not self.enabled:
            yield transfer
            return
        with self._lock:
            self._transfers[label] = transfer
        if self.style == "lines":
            self._waiting()  # a line every few seconds, even while nothing moves
        try:
            yield transfer
        except BaseException:
            transfer.close(succeeded=False)
            raise
        else:
            transfer.close(succeeded=True)
        finally:
            with self._lock:
                if self._transfers.get(label) is transfer:
                    del self._transfers[label]

    def batch(
        self, totals: dict[str, int], *, when_sent: str | None = None
    ) -> Callable[[str, int], None]:
        """A callback for a batch's ``(file name, byte count)`` reports (give the batch's
        events to :meth:`phase`); each file's display appears with its first report and
        closes when its bytes are all sent, or, with ``when_sent`` or phases, at
        :meth:`close`."""
        if not self.enabled:
            return _ignore_named

        def report(name: str, count: int) -> None:
            transfer = self._named(name, totals.get(name), when_sent)
            transfer(count)
            if when_sent is None and not transfer.phases and transfer.complete():
                transfer.close(succeeded=True)

        self._batch_totals = totals
        self._batch_when_sent = when_sent
        return report

    def phase(self, event: UploadEvent) -> None:
        """The event of one of a batch's uploads (it names its file)."""
        if not self.enabled:
            return
        total = self._batch_totals.get(event.file_name)
        self._named(event.file_name, total, self._batch_when_sent).phase(event)

    def close(self, *, succeeded: bool = False) -> None:
        """Close what a batch left open (a file still verifying, or failed part-way)."""
        with self._lock:
            transfers = list(self._transfers.values())
            self._transfers.clear()
        for transfer in transfers:
            transfer.close(succeeded=succeeded)
        self._stop.set()

    # --- inside -------------------------------------------------------------------------

    def _named(self, name: str, total: int | None, when_sent: str | None) -> _Transfer:
        with self._lock:
            transfer = self._transfers.get(name)
            if transfer is None:
                transfer = self._transfers[name] = _Transfer(self, name, total, when_sent)
                if self.style == "lines":
                    self._waiting()
            return transfer

    def _bar(self, label: str, total: int | None, bar_format: str | None = None) -> tqdm[Any]:
        from tqdm import tqdm  # noqa: PLC0415

        return tqdm(
            total=total,
            desc=_shorten(label),
            unit="B",
            unit_scale=True,
            unit_divisor=1000,
            file=self._stream,
            bar_format=bar_format or (_FORMAT if total else _FORMAT_NO_TOTAL),
            # tqdm draws nothing on a terminal that reports no size (a fresh pty, some CI
            # shells): use $COLUMNS and $LINES there, or 80 by 24.
            dynamic_ncols=self._sized,
            ncols=None if self._sized else shutil.get_terminal_size().columns,
            nrows=None if self._sized else shutil.get_terminal_size().lines,
            mininterval=0.2,
            leave=True,
        )

    def _line(self, text: str) -> None:
        with self._lock:
            print(text, file=self._stream, flush=True)

    def _waiting(self) -> None:
        """Keep the clocks of waiting transfers running: start the ticker once."""
        with self._lock:
            if self._ticker is not None:
                return
            self._stop.clear()
            self._ticker = threading.Thread(target=self._tick_loop, name="jcds2-progress")
            self._ticker.daemon = True
            self._ticker.start()

    def _tick_loop(self) -> None:
        period = _TICK if self.style == "bar" else min(_TICK, self._interval)
        while not self._stop.wait(period):
            with self._lock:
                if all(t.closed for t in self._transfers.values()):
                    break  # nothing left to tick: the next transfer that waits starts it again
            self.tick()
        with self._lock:
            if self._ticker is threading.current_thread():
                self._ticker = None

    def tick(self) -> None:
        """Redraw what waits (a verifying bar's clock; a line when one is due)."""
        with self._lock:
            transfers = list(self._transfers.values())
        for transfer in transfers:
            transfer.tick()


class _Transfer:
    """One file's display: its bytes, its phase, and its bar or lines."""

    def __init__(
        self, owner: ProgressBars, label: str, total: int | None, when_sent: str | None
    ) -> None:
        self._owner = owner
        self.label = label
        self.total = total
        self._when_sent = when_sent
        self.sent = 0
        self.phases: list[UploadPhase] = []
        self._bar: tqdm[Any] | None = None
        self._closed = False
        self._lock = threading.RLock()
        clock = owner._clock
        self._started = clock()  # of the transfer, then of its current phase
        self._sent_in: float | None = None  # seconds the last send took
        self._waited = 0.0  # seconds verifying, as of the last event
        self._event_at = self._started
        self._answer: str | None = None
        self._last_line = self._started

    # --- callbacks ------------------------------------------------------------------

    def __call__(self, count: int) -> None:
        """``count`` more bytes moved (negative: taken back by a retry)."""
        if not self._owner.enabled:
            return
        with self._lock:
            if self._closed:
                return
            self.sent += count
            if self._owner.style == "lines":
                self._maybe_line()
                return
            bar = self._draw()
            bar.update(count)
            self._mark_sent(bar)

    def phase(self, event: UploadEvent) -> None:
        """The upload entered a phase, or looked at the server again while verifying."""
        if not self._owner.enabled:
            return
        if event.phase is UploadPhase.DONE:
            self.close(succeeded=True)
            return
        with self._lock:
            if self._closed:
                return
            now = self._owner._clock()
            entered = not self.phases or self.phases[-1] is not event.phase
            if entered:
                self._enter(event.phase, now)
            if event.phase is UploadPhase.VERIFYING:
                self._waited, self._event_at = event.elapsed, now
                self._answer = event.answer
            if self._owner.style == "lines":
                if entered or now - self._last_line >= self._owner._interval:
                    self._print_line(now)
            else:
                self._redraw()
        if event.phase in (UploadPhase.HASHING, UploadPhase.VERIFYING):
            self._owner._waiting()

    def _enter(self, phase: UploadPhase, now: float) -> None:
        if phase is UploadPhase.VERIFYING:
            self._sent_in = now - self._started
            if self._bar is not None:
                self._bar.refresh()  # the sending's last state: all of it, at its rate
        self.phases.append(phase)
        self._started = now
        if phase is UploadPhase.SENDING:
            self.sent = 0  # a file sent again reports its bytes again
            if self._bar is not None:
                self._bar.bar_format = _FORMAT if self.total else _FORMAT_NO_TOTAL
                self._bar.reset(self.total)  # the rate counts from the first byte sent

    def tick(self) -> None:
        with self._lock:
            if self._closed:
                return
            now = self._owner._clock()
            if self._owner.style == "lines":
                if now - self._last_line >= self._owner._interval:
                    self._print_line(now)
            elif self._in(UploadPhase.HASHING) or self._in(UploadPhase.VERIFYING):
                self._redraw()

    @property
    def closed(self) -> bool:
        return self._closed

    def complete(self) -> bool:
        return self.total is not None and self.sent >= self.total

    def close(self, *, succeeded: bool) -> None:
        """End the display: its last state, or nothing if nothing was shown of a failure."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            only_hashed = bool(self.phases) and UploadPhase.SENDING not in self.phases
            if self._owner.style == "lines":
                self._last(succeeded, only_hashed)
                return
            bar = self._bar
            if bar is None and not succeeded:
                return  # nothing to show above the error
            if bar is None:
                bar = self._draw()
            if succeeded and only_hashed:
                bar.bar_format = self._hashed_format()
            elif succeeded and not self.phases and self.total is not None and bar.n < self.total:
                bar.update(self.total - bar.n)
            elif self._in(UploadPhase.VERIFYING):
                bar.bar_format = self._verifying_format(done=succeeded)
            elif not succeeded and bar.n <= 0:
                bar.leave = False  # erased: the error line says what happened
            bar.close()

    # --- bars -----------------------------------------------------------------------

    def _draw(self) -> tqdm[Any]:
        """The bar, made (and drawn) on first use in the current phase's format."""
        if self._bar is None:
            self._bar = self._owner._bar(self.label, self.total, self._format())
        return self._bar

    def _format(self) -> str | None:
        """The bar format of the current phase (``None``: the bar of bytes)."""
        if self._in(UploadPhase.HASHING):
            return "{desc}: hashing, to compare with the server's file [{elapsed}]"
        if self._in(UploadPhase.VERIFYING):
            return self._verifying_format()
        return None

    def _redraw(self) -> None:
        if self._bar is None:
            self._draw()
            return
        bar = self._bar
        bar.bar_format = self._format() or (_FORMAT if self.total else _FORMAT_NO_TOTAL)
        bar.refresh()

    def _mark_sent(self, bar: tqdm[Any]) -> None:
        when_sent, total = self._when_sent, self.total
        if self.phases or when_sent is None or total is None:
            return
        if bar.n >= total and not bar.postfix:
            bar.set_postfix_str(when_sent)

    def _in(self, phase: UploadPhase) -> bool:
        return bool(self.phases) and self.phases[-1] is phase

    def _sending_summary(self) -> str:
        sent = _bytes(self.sent)
        if self._sent_in is None:
            return f"{sent}B sent"
        rate = self.sent / self._sent_in if self._sent_in > 0 else None
        speed = f", {_bytes(rate)}B/s" if rate is not None else ""
        return f"{sent}B sent in {_clock(self._sent_in)}{speed}"

    def _verifying_format(self, *, done: bool = False) -> str:
        """``NAME: verifying 00:42, server: ANSWER [8.00MB sent in 00:03, 2.67MB/s]``; once
        done, ``NAME: verified after 00:42 [...]``. The rate is the sending's alone."""
        summary = f" [{self._sending_summary()}]"
        if done:
            text = f"verified after {_clock(self._waited)}{summary}"
        else:
            waited = self._waited_now(self._owner._clock())
            answer = _shorten(self._answer, _ANSWER_WIDTH) if self._answer else "no answer yet"
            text = f"verifying {_clock(waited)}, server: {answer}{summary}"
        return "{desc}: " + _escape(text)

    def _waited_now(self, now: float) -> float:
        """Seconds verifying so far: as of the last event, and the time since."""
        return self._waited + max(now - self._event_at, 0.0)

    def _hashed_format(self) -> str:
        size = f" {_bytes(self.total)}B" if self.total is not None else ""
        return "{desc}: hashed" + size + ", nothing sent [{elapsed}]"

    # --- lines ----------------------------------------------------------------------

    def _maybe_line(self) -> None:
        now = self._owner._clock()
        if now - self._last_line >= self._owner._interval:
            self._print_line(now)

    def _print_line(self, now: float) -> None:
        self._last_line = now
        self._owner._line(f"{shown(self.label)}: {self._state(now)}")

    def _state(self, now: float) -> str:
        if self._in(UploadPhase.HASHING):
            return f"hashing, to compare with the server's file ({_clock(now - self._started)})"
        if self._in(UploadPhase.VERIFYING):
            answer = f"; server: {self._answer}" if self._answer else ""
            return f"{self._sending_summary()}; verifying {_clock(self._waited_now(now))}{answer}"
        if self._in(UploadPhase.SENDING) and self.sent <= 0:
            return "sending" + (f" {_bytes(self.total)}B" if self.total is not None else "")
        elapsed = now - self._started
        rate = f", {_bytes(self.sent / elapsed)}B/s" if elapsed > 0 else ""
        if self.total:
            percent = min(max(self.sent, 0) * 100 // self.total, 100)
            done = f"{percent}% {_bytes(self.sent)}B/{_bytes(self.total)}B"
        else:
            done = f"{_bytes(self.sent)}B"
        return f"{done} ({_clock(elapsed)}{rate})"

    def _last(self, succeeded: bool, only_hashed: bool) -> None:
        label = shown(self.label)
        if not succeeded and self.sent <= 0 and not self._in(UploadPhase.VERIFYING):
            return  # nothing moved: the error line says what happened
        if succeeded and only_hashed:
            self._owner._line(f"{label}: hashed, nothing sent")
            return
        now = self._owner._clock()
        if self._in(UploadPhase.VERIFYING):
            answer = f"; server: {self._answer}" if self._answer else ""
            what = "verified after" if succeeded else "stopped verifying after"
            waited = self._waited if succeeded else self._waited_now(now)
            self._owner._line(
                f"{label}: {self._sending_summary()}; {what} {_clock(waited)}{answer}"
            )
            return
        if succeeded and not self.phases and self.total is not None:
            self.sent = max(self.sent, self.total)
        ending = "done" if succeeded else "stopped"
        self._owner._line(f"{label}: {self._state(now)}, {ending}")


def _bytes(count: float | None) -> str:
    """``count`` in decimal units, as the bars show bytes (``8.00M``)."""
    from tqdm import tqdm  # noqa: PLC0415

    return tqdm.format_sizeof(count or 0, divisor=1000)


def _clock(seconds: float) -> str:
    from tqdm import tqdm  # noqa: PLC0415

    return tqdm.format_interval(max(seconds, 0.0))


def _escape(text: str) -> str:
    """``text`` as literal text of a tqdm format."""
    return text.replace("{", "{{").replace("}", "}}")


def _reports_size(stream: TextIO) -> bool:
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):
        return False


def _shorten(label: str, width: int = 32) -> str:
    label = shown(label)
    return label if len(label) <= width else label[: width - 1] + "…"


def _ignore_named(name: str, count: int) -> None:
    del name, count
