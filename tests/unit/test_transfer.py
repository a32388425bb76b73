"""Transfer tuning (``TransferConfig``) and the pure arithmetic of parts and ranges."""

from __future__ import annotations

import itertools

import pytest

from jcds2.domain.errors import ConfigurationError
from jcds2.domain.transfer import (
    S3_MAX_OBJECT_SIZE,
    S3_MAX_PART_SIZE,
    S3_MAX_PARTS,
    S3_MIN_PART_SIZE,
    ByteRange,
    GiB,
    MiB,
    Part,
    TiB,
    TransferConfig,
    choose_part_size,
    parse_content_range,
    plan_parts,
    split_ranges,
)

# --- TransferConfig -----------------------------------------------------------------------


def test_defaults_are_the_documented_ones() -> None:
    config = TransferConfig()

    assert config.multipart_threshold == 1 * GiB
    assert config.part_size == 20 * MiB
    assert config.range_size == 20 * MiB
    assert config.concurrency == 8
    assert config.max_attempts == 5


def test_limits_of_s3_are_accepted() -> None:
    config = TransferConfig(
        multipart_threshold=5 * MiB, part_size=5 * GiB, concurrency=64, range_size=1
    )

    assert (config.multipart_threshold, config.part_size) == (5 * MiB, 5 * GiB)
    assert (config.concurrency, config.range_size) == (64, 1)
    assert TransferConfig(multipart_threshold=5 * GiB, concurrency=1).concurrency == 1


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"part_size": 5 * MiB - 1}, "part_size"),
        ({"part_size": 0}, "part_size"),
        ({"part_size": 5 * GiB + 1}, "part_size"),
        ({"multipart_threshold": 5 * MiB - 1}, "multipart_threshold"),
        ({"multipart_threshold": 5 * GiB + 1}, "multipart_threshold"),
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 65}, "concurrency"),
        ({"range_size": 0}, "range_size"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"connect_timeout": 0.0}, "connect_timeout"),
        ({"read_timeout": -1.0}, "read_timeout"),
        ({"credential_renewal_margin": 0.0}, "credential_renewal_margin"),
    ],
)
def test_unusable_settings_are_configuration_errors(settings: dict[str, int], field: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        TransferConfig(**settings)

    assert field in str(caught.value)


# --- ranges -------------------------------------------------------------------------------


def test_byte_range_is_inclusive() -> None:
    byte_range = ByteRange(10, 19)

    assert byte_range.length == 10
    assert byte_range.header() == "bytes=10-19"


def test_split_ranges_cuts_consecutive_ranges_with_a_short_last_one() -> None:
    # Each range knows the size of the whole (an answer must name the same total).
    assert split_ranges(10, 3) == [
        ByteRange(0, 2, total=10),
        ByteRange(3, 5, total=10),
        ByteRange(6, 8, total=10),
        ByteRange(9, 9, total=10),
    ]


@pytest.mark.parametrize(
    ("size", "range_size", "count"),
    [(0, 5, 0), (1, 5, 1), (5, 5, 1), (6, 5, 2), (10, 5, 2), (11, 5, 3), (7, 100, 1), (7, 1, 7)],
)
def test_split_ranges_covers_every_byte_exactly_once(
    size: int, range_size: int, count: int
) -> None:
    ranges = split_ranges(size, range_size)

    assert len(ranges) == count
    covered = [offset for r in ranges for offset in range(r.start, r.end + 1)]
    assert covered == list(range(size))
    assert all(1 <= r.length <= range_size for r in ranges)


def test_split_ranges_over_many_sizes_has_no_gaps_or_overlaps() -> None:
    for range_size in (1, 2, 3, 7, 64):
        for size in range(200):
            ranges = split_ranges(size, range_size)
            assert sum(r.length for r in ranges) == size
            assert all(b.start == a.end + 1 for a, b in itertools.pairwise(ranges))
            if ranges:
                assert (ranges[0].start, ranges[-1].end) == (0, size - 1)


@pytest.mark.parametrize(("size", "range_size"), [(-1, 5), (10, 0), (10, -1)])
def test_split_ranges_refuses_nonsense(size: int, range_size: int) -> None:
    with pytest.raises(ValueError, match="size"):
        split_ranges(size, range_size)


# --- parts --------------------------------------------------------------------------------


def test_plan_parts_numbers_parts_from_one() -> None:
    parts = plan_parts(12 * MiB, 5 * MiB)

    assert parts == [
        Part(number=1, offset=0, length=5 * MiB),
        Part(number=2, offset=5 * MiB, length=5 * MiB),
        Part(number=3, offset=10 * MiB, length=2 * MiB),
    ]


def test_plan_parts_of_an_exact_multiple_has_no_empty_part() -> None:
    parts = plan_parts(10 * MiB, 5 * MiB)

    assert [p.length for p in parts] == [5 * MiB, 5 * MiB]


def test_choose_part_size_keeps_the_default_for_ordinary_files() -> None:
    preferred = TransferConfig().part_size

    assert choose_part_size(1 * GiB, preferred) == 20 * MiB
    assert choose_part_size(S3_MAX_PARTS * 20 * MiB, preferred) == 20 * MiB


def test_choose_part_size_raises_a_too_small_preference_to_s3_minimum() -> None:
    assert choose_part_size(100 * MiB, 1 * MiB) == S3_MIN_PART_SIZE


def test_choose_part_size_grows_parts_of_a_300_gib_file() -> None:
    size = 300 * GiB

    part_size = choose_part_size(size, 20 * MiB)

    assert part_size > 20 * MiB
    assert part_size % MiB == 0
    assert len(plan_parts(size, part_size)) <= S3_MAX_PARTS
    # and it is the smallest whole-MiB size that fits
    assert -(-size // (part_size - MiB)) > S3_MAX_PARTS


def test_choose_part_size_grows_by_a_whole_mib_just_past_the_part_limit() -> None:
    assert choose_part_size(S3_MAX_PARTS * 20 * MiB + 1, 20 * MiB) == 21 * MiB


def test_choose_part_size_fits_the_largest_object() -> None:
    part_size = choose_part_size(S3_MAX_OBJECT_SIZE, 20 * MiB)

    assert part_size % MiB == 0
    assert part_size <= S3_MAX_PART_SIZE
    assert -(-S3_MAX_OBJECT_SIZE // part_size) <= S3_MAX_PARTS


def test_choose_part_size_refuses_more_than_5_tib() -> None:
    with pytest.raises(ConfigurationError) as caught:
        choose_part_size(5 * TiB + 1, 20 * MiB)

    assert "5 TiB" in str(caught.value)


# --- Content-Range ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("bytes 0-99/1000", (0, 99, 1000)),
        ("bytes 0-0/1", (0, 0, 1)),
        ("bytes 5-9/*", (5, 9, None)),
        ("  bytes 10-19/20 ", (10, 19, 20)),
        ("bytes 5368709120-5368709129/10737418240", (5 * GiB, 5 * GiB + 9, 10 * GiB)),
    ],
)
def test_parse_content_range(value: str, parsed: tuple[int, int, int | None]) -> None:
    assert parse_content_range(value) == parsed


@pytest.mark.parametrize(
    "value",
    ["", "bytes */1000", "bytes 0-99", "items 0-99/100", "bytes=0-99/100", "bytes -1-5/10"],
)
def test_parse_content_range_refuses_anything_else(value: str) -> None:
    with pytest.raises(ValueError, match="not a byte Content-Range"):
        parse_content_range(value)
