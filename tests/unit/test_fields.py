"""Fields of Jamf's answers in every shape a Jamf Pro version sends them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jcds2 import JamfApiError
from jcds2.adapters.fields import (
    field,
    read_bool,
    read_id,
    read_int,
    read_moment,
    read_seconds,
    read_size,
)
from jcds2.errors import UnexpectedAnswerError

UTC = dt.timezone.utc
MOMENT = dt.datetime(2026, 11, 23, 18, 30, 0, tzinfo=UTC)
EPOCH = int(MOMENT.timestamp())


@pytest.mark.parametrize(
    "value",
    [
        EPOCH,  # epoch seconds, as the JCDS ticket documents
        float(EPOCH),
        str(EPOCH),
        f" {EPOCH} ",
        f"{EPOCH}.0",
        EPOCH * 1000,  # epoch milliseconds
        str(EPOCH * 1000),
        "2026-11-23T18:30:00Z",
        "2026-11-23T18:30:00.000Z",  # /api/v1/auth/token, three digits
        "2026-11-23T18:30:00.000000Z",
        "2026-11-23T18:30:00.000000000Z",  # nine digits (Java's Instant)
        "2026-11-23T18:30:00.0Z",
        "2026-11-23T18:30:00z",
        "2026-11-23T18:30:00+00:00",
        "2026-11-23T19:30:00+01:00",
        "2026-11-23T20:30:00.5+0200",
        "2026-11-23T13:30:00-05",
        "2026-11-23T18:30:00",  # no zone: UTC
        "2026-11-23 18:30:00.000Z",
        "2026-11-23T18:30Z",
    ],
)
def test_a_moment_in_every_shape(value: Any) -> None:
    moment = read_moment(value)
    assert moment.tzinfo is not None
    assert abs((moment - MOMENT).total_seconds()) < 1


def test_fraction_digits_beyond_microseconds_are_cut() -> None:
    moment = read_moment("2026-11-23T18:30:00.123456789Z")
    assert moment == MOMENT.replace(microsecond=123456)


@pytest.mark.parametrize(
    "value", [True, None, "", "soon", "2026-13-01T00:00:00Z", "23.11.2026", [EPOCH], {}]
)
def test_what_is_not_a_moment(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        read_moment(value)


@pytest.mark.parametrize(
    ("value", "seconds"), [(59, 59.0), (59.5, 59.5), ("59", 59.0), (" 1200 ", 1200.0)]
)
def test_expires_in_as_a_number_or_a_string(value: Any, seconds: float) -> None:
    assert read_seconds(value) == seconds


@pytest.mark.parametrize("value", [True, None, "", "sixty", "nan", "inf", -1, "-5", [60]])
def test_what_is_not_a_number_of_seconds(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        read_seconds(value)


@pytest.mark.parametrize(("value", "number"), [(12, 12), ("12", 12), (" 12 ", 12), (12.0, 12)])
def test_ids_as_numbers_or_strings(value: Any, number: int) -> None:
    assert read_id(value) == number
    assert read_int(value) == number


@pytest.mark.parametrize("value", [True, False, None, "", "12a", 1.5, "1.5", -3, "-3", [1]])
def test_what_is_not_an_id(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        read_id(value)


@pytest.mark.parametrize(
    ("value", "size"), [("1048576", 1048576), (1048576, 1048576), ("", None), (None, None)]
)
def test_sizes_as_strings_numbers_or_blank(value: Any, size: int | None) -> None:
    assert read_size(value) == size


@pytest.mark.parametrize("value", ["234KB", True, -1, "-1", 1.5])
def test_what_is_not_a_size(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        read_size(value)


@pytest.mark.parametrize(("value", "truth"), [(True, True), (False, False), ("true", True)])
def test_booleans(value: Any, truth: bool) -> None:
    assert read_bool(value) is truth


@pytest.mark.parametrize("value", [0, 1, None, "yes"])
def test_what_is_not_a_boolean(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        read_bool(value)


def test_a_missing_field_names_itself_and_the_endpoint() -> None:
    with pytest.raises(UnexpectedAnswerError) as caught:
        field({}, "expiration", read_moment, endpoint="POST /api/v1/jcds/files", operation="op")
    error = caught.value
    assert isinstance(error, JamfApiError)
    assert (error.field, error.endpoint, error.operation) == (
        "expiration",
        "POST /api/v1/jcds/files",
        "op",
    )
    assert "'expiration'" in str(error)
    assert "POST /api/v1/jcds/files" in str(error)
    assert "missing" in str(error)


def test_an_unreadable_field_is_named_and_its_value_never_shown() -> None:
    secret = "wJalrXUtnFEMI-never-show-me"
    with pytest.raises(UnexpectedAnswerError) as caught:
        field({"expiration": secret}, "expiration", read_moment, endpoint="E", operation="op")
    assert "'expiration'" in str(caught.value)
    assert "a text" in str(caught.value)
    assert secret not in str(caught.value)
    assert caught.value.__cause__ is None  # the parser's exception could quote the value


def test_an_answer_that_is_no_object() -> None:
    with pytest.raises(UnexpectedAnswerError, match="not a JSON object"):
        field(["token"], "token", str, endpoint="POST /api/v1/auth/token", operation="op")


def test_a_default_stands_in_for_a_missing_or_null_field() -> None:
    assert field({}, "region", str, endpoint="E", operation="op", default="x") == "x"
    assert field({"region": None}, "region", str, endpoint="E", operation="op", default="x") == "x"
