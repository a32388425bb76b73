"""The command line's progress bars, drawn into a string instead of a terminal."""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
from typing import Any

import pytest

from jcds2 import UploadEvent, UploadPhase
from jcds2.cli.progress import ProgressBars, choose_style


@pytest.fixture(autouse=True)
def _columns(monkeypatch: pytest.MonkeyPatch) -> None:
    # A StringIO reports no terminal size: the bars take $COLUMNS, as on a fresh pty.
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "30")


def frames(stream: io.StringIO) -> list[str]:
    """Every drawing of every bar, oldest first, without the cursor moves between bars."""
    text = stream.getvalue().replace("\x1b[A", "")
    return [frame for frame in re.split(r"[\r\n]+", text) if frame.strip()]


def finished_lines(stream: io.StringIO) -> int:
    """How many lines a single bar ended (a closed bar stays, ended by a newline)."""
    return stream.getvalue().count("\n")


def just_closed(stream: io.StringIO, name: str) -> bool:
    """Whether the last thing written is ``name``'s bar drawn in full and ended: closed.

    While a bar is open, tqdm draws it at most every 0.2 s; closing draws its last state.
    """
    return re.search(rf"\r{re.escape(name)}: 100%\|[^\r\n]*\]\n$", stream.getvalue()) is not None


def writes_on_close(bars: ProgressBars, stream: io.StringIO) -> str:
    """What ``bars.close()`` adds: nothing when every bar was closed already."""
    before = len(stream.getvalue())
    bars.close()
    return stream.getvalue()[before:]


def test_disabled_bars_write_nothing() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=False)

    with bars.file("A.pkg", 1000, when_sent="verifying") as report:
        report(600)
        report(-100)
        report(500)
    batch = bars.batch({"A.pkg": 10, "B.pkg": 10}, when_sent="verifying")
    batch("A.pkg", 10)
    batch("C.pkg", 5)
    bars.close()

    assert stream.getvalue() == ""


def test_a_file_bar_shows_name_percentage_bytes_rate_and_time_left() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)

    with bars.file("Tool.pkg", 2_000_000) as report:
        report(1_000_000)
        report(1_000_000)

    last = frames(stream)[-1]
    assert re.fullmatch(
        r"Tool\.pkg: 100%\|[█#]+\| 2\.00MB/2\.00MB \[\d\d:\d\d<\d\d:\d\d, [\d.]+[kMG]?B/s\]",
        last,
    ), last
    assert len(last) <= 100
    assert finished_lines(stream) == 1


def test_a_file_bar_is_full_once_the_transfer_succeeds_even_when_bytes_were_resumed() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)

    with bars.file("Resumed.pkg", 1_000_000) as report:
        report(400_000)  # the other 600 kB came from an earlier run's .part

    assert frames(stream)[-1].startswith("Resumed.pkg: 100%|")
    assert finished_lines(stream) == 1


def test_a_file_bar_that_failed_closes_where_it_stopped() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)

    def transfer() -> None:
        with bars.file("Broken.pkg", 1_000_000) as report:
            report(250_000)
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        transfer()

    assert frames(stream)[-1].startswith("Broken.pkg:  25%|")
    assert "100%" not in stream.getvalue()
    assert finished_lines(stream) == 1


def test_a_file_bar_shows_when_sent_beside_the_full_bar() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)

    with bars.file("Sent.pkg", 1000, when_sent="verifying") as report:
        report(400)
        assert "verifying" not in stream.getvalue()
        report(600)
        assert frames(stream)[-1].endswith(", verifying]")


def test_a_file_without_a_known_size_shows_bytes_and_rate() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)

    with bars.file("Unknown.pkg", None) as report:
        report(3_000_000)

    assert re.fullmatch(
        r"Unknown\.pkg: 3\.00MB \[\d\d:\d\d, [\d.]+[kMG]?B/s\]", frames(stream)[-1]
    ), frames(stream)


def test_negative_deltas_from_a_retried_part_do_not_break_a_bar() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)

    with bars.file("Retried.pkg", 1_000_000) as report:
        report(-50_000)  # a retry that takes back bytes before any arrived
        report(500_000)
        report(-500_000)
        report(1_000_000)
    batch = bars.batch({"Batch.pkg": 1_000_000})
    batch("Batch.pkg", -1)
    batch("Batch.pkg", 1_000_001)
    bars.close()

    assert frames(stream)[-1].startswith("Batch.pkg: 100%|")
    assert any(frame.startswith("Retried.pkg: 100%|") for frame in frames(stream))


def test_a_batch_closes_each_bar_when_its_total_is_reached() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)
    report = bars.batch({"A.pkg": 1_000_000, "B.pkg": 2_000_000})

    report("A.pkg", 600_000)
    report("B.pkg", 1_000_000)
    assert "100%" not in stream.getvalue()
    report("A.pkg", 400_000)
    assert just_closed(stream, "A.pkg")
    report("B.pkg", 1_000_000)
    assert just_closed(stream, "B.pkg")
    assert writes_on_close(bars, stream) == ""


def test_a_batch_bar_with_when_sent_stays_until_close() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)
    report = bars.batch({"A.pkg": 1000}, when_sent="verifying")

    report("A.pkg", 1000)
    assert frames(stream)[-1].endswith(", verifying]")
    assert not just_closed(stream, "A.pkg")
    assert re.fullmatch(r"\rA\.pkg: 100%\|[^\r\n]*, verifying\]\n", writes_on_close(bars, stream))


def test_close_ends_the_bars_of_files_that_failed_part_way() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)
    report = bars.batch({"Done.pkg": 100, "Failed.pkg": 100})

    report("Done.pkg", 100)
    report("Failed.pkg", 30)
    closing = writes_on_close(bars, stream)

    assert re.fullmatch(r"\rFailed\.pkg:  30%\|[^\r\n]*\]\n", closing), closing
    assert writes_on_close(bars, stream) == ""  # closed once


def test_a_batch_file_without_a_total_gets_a_bar_without_percentage() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)
    report = bars.batch({})

    report("Unsized.pkg", 2_000_000)
    bars.close()

    assert re.fullmatch(r"Unsized\.pkg: 2\.00MB \[\d\d:\d\d, [\d.]+[kMG]?B/s\]", frames(stream)[-1])


def test_a_long_file_name_is_shortened() -> None:
    stream = io.StringIO()
    name = "A very long package file name that goes on and on.pkg"
    with ProgressBars(stream, enabled=True).file(name, 10) as report:
        report(10)

    last = frames(stream)[-1]
    assert last.startswith(name[:31] + "…: 100%|")
    assert len(last) <= 100


def test_a_batch_reported_from_several_threads_gets_one_bar_per_file() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)
    names = [f"File {n}.pkg" for n in range(8)]
    report = bars.batch(dict.fromkeys(names, 100_000))

    def send(name: str) -> None:
        for _ in range(100):
            report(name, 1000)

    threads = [threading.Thread(target=send, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert writes_on_close(bars, stream) == ""  # each bar closed at its total
    for name in names:
        assert [frame for frame in frames(stream) if frame.startswith(f"{name}: 100%|")], name


# --- phases: hashing, sending, verifying --------------------------------------------------


class Clock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def event(phase: UploadPhase, name: str = "Tool.pkg", **details: Any) -> UploadEvent:
    return UploadEvent(name, phase, **details)


def test_an_error_before_any_byte_leaves_no_bar() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)

    def early_failure() -> None:
        with bars.file("Early.pkg", 1_000_000) as report:
            report.phase(event(UploadPhase.SENDING, "Early.pkg"))  # about to send, then not
            raise OSError("refused")

    with pytest.raises(OSError, match="refused"):
        early_failure()
    with pytest.raises(OSError, match="refused"), bars.file("Earlier.pkg", 1_000):
        raise OSError("refused")

    # The one drawing was erased (its line blanked, no line ended); the other never drawn.
    assert re.fullmatch(r"\rEarly\.pkg: +0%\|[^\r\n]*\r +\r", stream.getvalue())
    assert finished_lines(stream) == 0


def test_a_skip_shows_hashing_then_that_nothing_was_sent() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)

    with bars.file("Same.pkg", 2_000_000) as report:
        report.phase(event(UploadPhase.HASHING, "Same.pkg"))
        assert frames(stream)[-1].startswith("Same.pkg: hashing, to compare")
        report.phase(event(UploadPhase.DONE, "Same.pkg"))

    assert re.fullmatch(
        r"Same\.pkg: hashed 2\.00MB, nothing sent \[\d\d:\d\d\] *", frames(stream)[-1]
    )
    assert "%" not in stream.getvalue()
    assert "B/s" not in stream.getvalue()
    assert finished_lines(stream) == 1


def test_verifying_shows_the_wait_the_answer_and_the_rate_of_the_sending_alone() -> None:
    stream = io.StringIO()
    clock = Clock()
    bars = ProgressBars(stream, enabled=True, clock=clock)

    with bars.file("Big.pkg", 8_000_000) as report:
        report.phase(event(UploadPhase.SENDING, "Big.pkg"))
        report(8_000_000)
        clock.now += 4  # 8 MB in 4 s: 2 MB/s
        report.phase(event(UploadPhase.VERIFYING, "Big.pkg", deadline=1200))
        report.phase(event(UploadPhase.VERIFYING, "Big.pkg", elapsed=30, answer="pending"))
        assert frames(stream)[-1].rstrip() == (
            "Big.pkg: verifying 00:30, server: pending [8.00MB sent in 00:04, 2.00MB/s]"
        )
        clock.now += 95  # the clock runs between the looks
        bars.tick()
        assert frames(stream)[-1].startswith("Big.pkg: verifying 02:05, server: pending [")
        report.phase(event(UploadPhase.VERIFYING, "Big.pkg", elapsed=130, answer="ready"))
        report.phase(event(UploadPhase.DONE, "Big.pkg"))

    assert frames(stream)[-1].rstrip() == (
        "Big.pkg: verified after 02:10 [8.00MB sent in 00:04, 2.00MB/s]"
    )
    assert finished_lines(stream) == 1
    assert not any(f.startswith("Big.pkg: 100%") and "verif" in f for f in frames(stream))


def test_a_file_sent_again_starts_its_bar_again() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)

    with bars.file("Again.pkg", 1000) as report:
        for _ in range(2):
            report.phase(event(UploadPhase.SENDING, "Again.pkg"))
            report(1000)
            report.phase(event(UploadPhase.VERIFYING, "Again.pkg", answer="size 0"))
        report.phase(event(UploadPhase.DONE, "Again.pkg"))

    assert "2.00kB" not in stream.getvalue()  # not 2000 of 1000 bytes
    assert frames(stream)[-1].startswith("Again.pkg: verified after")


def test_a_batch_closes_each_file_when_its_upload_is_done() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True)
    report = bars.batch({"A.pkg": 100, "B.pkg": 100})

    for name in ("A.pkg", "B.pkg"):
        bars.phase(event(UploadPhase.SENDING, name))
        report(name, 100)
        bars.phase(event(UploadPhase.VERIFYING, name, answer="pending"))
    bars.phase(event(UploadPhase.DONE, "A.pkg"))
    assert re.search(r"\rA\.pkg: verified after 00:00 \[[^\]]+\] *\n", stream.getvalue())
    closing = writes_on_close(bars, stream)  # B failed while verifying: left as it stood

    assert "B.pkg: verifying" in closing
    assert "A.pkg" not in closing


def test_a_log_record_goes_above_the_bar_not_into_it(capsys: pytest.CaptureFixture[str]) -> None:
    bars = ProgressBars(sys.stderr, enabled=True)
    logger = logging.getLogger("jcds2.test_progress")
    handler = logging.StreamHandler(sys.stderr)
    logging.getLogger().addHandler(handler)
    try:
        with bars.logging(), bars.file("Logged.pkg", 1000) as report:
            report(500)
            logger.warning("uploading Logged.pkg failed (interrupted)")
    finally:
        logging.getLogger().removeHandler(handler)

    written = capsys.readouterr().err
    before = written.split("uploading Logged.pkg failed")[0]
    assert before.endswith(("\r", "\n")), written


# --- --progress lines -------------------------------------------------------------------


def test_lines_print_a_line_every_interval_and_at_each_phase() -> None:
    stream = io.StringIO()
    clock = Clock()
    bars = ProgressBars(stream, enabled=True, style="lines", interval=5, clock=clock)

    with bars.file("CI.pkg", 10_000_000) as report:
        report.phase(event(UploadPhase.SENDING, "CI.pkg"))
        for _ in range(10):
            clock.now += 1
            report(1_000_000)
        report.phase(event(UploadPhase.VERIFYING, "CI.pkg", deadline=1200))
        clock.now += 6
        bars.tick()  # nothing moves while verifying: a line all the same
        report.phase(event(UploadPhase.VERIFYING, "CI.pkg", elapsed=7, answer="pending"))
        report.phase(event(UploadPhase.DONE, "CI.pkg"))

    assert stream.getvalue().splitlines() == [
        "CI.pkg: sending 10.0MB",
        "CI.pkg: 50% 5.00MB/10.0MB (00:05, 1.00MB/s)",
        "CI.pkg: 100% 10.0MB/10.0MB (00:10, 1.00MB/s)",
        "CI.pkg: 10.0MB sent in 00:10, 1.00MB/s; verifying 00:00",
        "CI.pkg: 10.0MB sent in 00:10, 1.00MB/s; verifying 00:06",
        "CI.pkg: 10.0MB sent in 00:10, 1.00MB/s; verified after 00:07; server: pending",
    ]


def test_lines_for_a_download_end_with_done_and_a_failure_with_stopped() -> None:
    stream = io.StringIO()
    clock = Clock()
    bars = ProgressBars(stream, enabled=True, style="lines", interval=5, clock=clock)

    with bars.file("Got.pkg", 1000) as report:
        clock.now += 2
        report(1000)

    def cut() -> None:
        with bars.file("Cut.pkg", 1000) as report:
            clock.now += 1
            report(300)
            raise OSError("reset")

    with pytest.raises(OSError, match="reset"):
        cut()
    with pytest.raises(OSError, match="refused"), bars.file("Never.pkg", 1000):
        raise OSError("refused")  # nothing moved: no line

    assert stream.getvalue().splitlines() == [
        "Got.pkg: 100% 1.00kB/1.00kB (00:02, 500B/s), done",
        "Cut.pkg: 30% 300B/1.00kB (00:01, 300B/s), stopped",
    ]


def test_lines_of_a_skip_say_it_was_hashed() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True, style="lines")

    with bars.file("Same.pkg", 1000) as report:
        report.phase(event(UploadPhase.HASHING, "Same.pkg"))
        report.phase(event(UploadPhase.DONE, "Same.pkg"))

    assert stream.getvalue().splitlines() == [
        "Same.pkg: hashing, to compare with the server's file (00:00)",
        "Same.pkg: hashed, nothing sent",
    ]


@pytest.mark.parametrize(
    ("requested", "quiet", "terminal", "style"),
    [
        (None, False, True, "bar"),
        (None, False, False, "none"),
        (None, True, True, "none"),
        ("lines", False, False, "lines"),
        ("lines", True, False, "lines"),
        ("bar", False, False, "bar"),
        ("none", False, True, "none"),
    ],
)
def test_the_style_is_asked_for_or_follows_the_terminal(
    requested: str | None, quiet: bool, terminal: bool, style: str
) -> None:
    assert choose_style(requested, quiet=quiet, terminal=terminal) == style


def test_style_none_shows_nothing() -> None:
    stream = io.StringIO()
    bars = ProgressBars(stream, enabled=True, style="none")

    with bars.file("Hidden.pkg", 10) as report:
        report.phase(event(UploadPhase.SENDING, "Hidden.pkg"))
        report(10)

    assert (bars.enabled, stream.getvalue()) == (False, "")
