"""The command line's progress bars, drawn into a string instead of a terminal."""

from __future__ import annotations

import io
import re
import threading

import pytest

from jcds2.cli.progress import ProgressBars


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
