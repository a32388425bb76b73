"""Transfer tuning and the pure arithmetic of parts and ranges."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from typing import Any, overload

import attrs

from jcds2.domain.errors import ConfigurationError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB

# Limits of S3 that every JCDS upload lives within.
S3_MIN_PART_SIZE = 5 * MiB
S3_MAX_PART_SIZE = 5 * GiB
S3_MAX_PARTS = 10_000
S3_MAX_SINGLE_PUT = 5 * GiB
S3_MAX_OBJECT_SIZE = 5 * TiB


def _positive(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ConfigurationError(f"{attribute.name} must be positive, not {value}")


def _not_negative(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ConfigurationError(f"{attribute.name} must not be negative, not {value}")


@attrs.frozen
class TransferConfig:
    """Every knob of a transfer, in one place, with defaults that suit most machines.

    - ``multipart_threshold``: files of at least this many bytes are uploaded in parts
      (1 GiB); smaller ones in a single part (ADR 0020).
    - ``part_size``: the preferred multipart part size; grown for very large files so
      that no upload needs more than S3's 10,000 parts.
    - ``range_size``: bytes per HTTP range request when downloading (20 MiB).
    - ``concurrency``: parts or ranges in flight at once.
    - ``max_attempts``: tries per request, part or range before giving up.
    - ``connect_timeout`` / ``read_timeout``: seconds, for every HTTP request.
    - ``credential_renewal_margin``: renew temporary S3 credentials when fewer than
      this many seconds remain.
    - ``backoff_base`` / ``backoff_max``: the wait before a retry doubles from
      ``backoff_base`` seconds per attempt up to ``backoff_max`` (with jitter).
    - ``verify_timeout`` / ``verify_timeout_per_gib``: how long to wait for the
      distribution point to confirm an upload (its hash, size and transfer status) before
      giving up: ``verify_timeout`` seconds (20 minutes) plus ``verify_timeout_per_gib``
      seconds (3 minutes) for every GiB of the file, so a 10 GB package gets about 48
      minutes (real servers take 10-20 minutes for multi-gigabyte files, and more for the
      largest). :meth:`verify_deadline` says it for one size; set the second to 0 for a
      fixed wait.
    - ``verify_poll_initial`` / ``verify_poll_max``: the wait between two looks at the
      uploaded file grows from the first to the second (seconds).
    - ``upload_retries``: how many times a file the server reports as failed (size 0
      after the upload) is uploaded again before giving up.
    - ``request_deadline``: seconds one HTTP request may take in all, its answer read to
      the end (10 minutes). ``read_timeout`` bounds each wait for a byte; this bounds a
      server that keeps the connection alive with a trickle of bytes. It applies to every
      Jamf API call and every download range; raise it on a slow link with a large
      ``range_size``. A streamed upload body is not under it (its length is the file's).
    - ``max_search_pages``: the most pages one paged search of the Pro API may take
      (100, i.e. 10,000 results); a search also stops at the first short page.
    """

    multipart_threshold: int = attrs.field(default=1 * GiB)
    part_size: int = attrs.field(default=20 * MiB)
    range_size: int = attrs.field(default=20 * MiB, validator=_positive)
    concurrency: int = attrs.field(default=8)
    max_attempts: int = attrs.field(default=5, validator=_positive)
    connect_timeout: float = attrs.field(default=10.0, validator=_positive)
    read_timeout: float = attrs.field(default=60.0, validator=_positive)
    credential_renewal_margin: float = attrs.field(default=300.0, validator=_positive)
    backoff_base: float = attrs.field(default=0.25, validator=_not_negative)
    backoff_max: float = attrs.field(default=8.0, validator=_not_negative)
    verify_timeout: float = attrs.field(default=1200.0, validator=_not_negative)
    verify_timeout_per_gib: float = attrs.field(default=180.0, validator=_not_negative)
    verify_poll_initial: float = attrs.field(default=1.0, validator=_positive)
    verify_poll_max: float = attrs.field(default=30.0, validator=_positive)
    upload_retries: int = attrs.field(default=2, validator=_not_negative)
    request_deadline: float = attrs.field(default=600.0, validator=_positive)
    max_search_pages: int = attrs.field(default=100, validator=_positive)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), jittered.

        Half of the doubled delay is fixed and half random, so that workers failing
        together do not all come back at the same moment.
        """
        delay: float = min(self.backoff_max, self.backoff_base * 2.0 ** max(attempt - 1, 0))
        return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - not cryptographic

    def verify_deadline(self, size: int) -> float:
        """Seconds to wait for the distribution point to confirm a file of ``size`` bytes:
        ``verify_timeout`` plus ``verify_timeout_per_gib`` per GiB (pro rata), to the
        second (a small file waits ``verify_timeout`` exactly)."""
        extra = float(round(self.verify_timeout_per_gib * max(size, 0) / GiB))
        return self.verify_timeout + extra

    def verify_rule(self) -> str:
        """The rule of :meth:`verify_deadline` in words, for messages."""
        if not self.verify_timeout_per_gib:
            return f"verify_timeout {self.verify_timeout:g} s"
        return (
            f"verify_timeout {self.verify_timeout:g} s + verify_timeout_per_gib "
            f"{self.verify_timeout_per_gib:g} s per GiB"
        )

    def verify_poll(self, look: int) -> float:
        """Seconds to wait after look number ``look`` (1-based) at an uploaded file."""
        delay: float = min(self.verify_poll_max, self.verify_poll_initial * 1.5 ** (look - 1))
        return delay

    @multipart_threshold.validator
    def _check_threshold(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if not S3_MIN_PART_SIZE <= value <= S3_MAX_SINGLE_PUT:
            raise ConfigurationError(
                f"multipart_threshold must be between 5 MiB and 5 GiB (S3's limits), not {value}"
            )

    @part_size.validator
    def _check_part_size(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if not S3_MIN_PART_SIZE <= value <= S3_MAX_PART_SIZE:
            raise ConfigurationError(
                f"part_size must be between 5 MiB and 5 GiB (S3's limits), not {value}"
            )

    @concurrency.validator
    def _check_concurrency(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if not 1 <= value <= 64:
            raise ConfigurationError(f"concurrency must be between 1 and 64, not {value}")


@attrs.frozen
class ByteRange:
    """An inclusive byte range ``start``-``end``, as HTTP's ``Range`` header has it.

    ``total`` is the size of the whole object the range is part of, where known: an
    answer's ``Content-Range`` must then name the same total.
    """

    start: int
    end: int
    total: int | None = attrs.field(default=None, kw_only=True)

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def header(self) -> str:
        return f"bytes={self.start}-{self.end}"


@attrs.frozen
class Part:
    """One part of a multipart upload: S3's 1-based number and the slice of the file."""

    number: int
    offset: int
    length: int


class RangePlan(Sequence[ByteRange]):
    """The consecutive ranges of at most ``range_size`` bytes that cover ``size`` bytes.

    Lazy: a range is made when it is asked for, so the memory a plan takes does not
    depend on the size a server claims. Each range carries ``size`` as its ``total``.
    """

    def __init__(self, size: int, range_size: int) -> None:
        if size < 0 or range_size <= 0:
            raise ValueError("size must be >= 0 and range_size > 0")
        self.size = size
        self.range_size = range_size
        self._count = -(-size // range_size)

    def __repr__(self) -> str:
        return f"RangePlan(size={self.size}, range_size={self.range_size})"

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> ByteRange: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ByteRange]: ...

    def __getitem__(self, index: int | slice) -> ByteRange | Sequence[ByteRange]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        start = index * self.range_size
        return ByteRange(start, min(start + self.range_size, self.size) - 1, total=self.size)

    def __iter__(self) -> Iterator[ByteRange]:
        for index in range(self._count):
            yield self[index]


def split_ranges(size: int, range_size: int) -> list[ByteRange]:
    """Cut ``size`` bytes into consecutive ranges of at most ``range_size`` bytes (a
    :class:`RangePlan` made a list: for sizes that are known to be small)."""
    return list(RangePlan(size, range_size))


def choose_part_size(size: int, preferred: int, max_parts: int = S3_MAX_PARTS) -> int:
    """The part size for a file of ``size`` bytes: ``preferred``, grown to fit ``max_parts``.

    Grown sizes are rounded up to a whole MiB so that parts stay aligned.
    """
    if size > S3_MAX_OBJECT_SIZE:
        raise ConfigurationError(f"{size} bytes is more than S3's 5 TiB object limit")
    part_size = max(preferred, S3_MIN_PART_SIZE)
    if -(-size // part_size) > max_parts:
        needed = -(-size // max_parts)
        part_size = -(-needed // MiB) * MiB
    return min(part_size, S3_MAX_PART_SIZE)


def plan_parts(size: int, part_size: int) -> list[Part]:
    """Cut a file of ``size`` bytes into multipart-upload parts of ``part_size`` bytes."""
    return [
        Part(number=index + 1, offset=byte_range.start, length=byte_range.length)
        for index, byte_range in enumerate(split_ranges(size, part_size))
    ]


_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


def parse_content_range(value: str) -> tuple[int, int, int | None]:
    """Parse ``Content-Range: bytes START-END/TOTAL`` into its numbers (TOTAL ``*`` is None).

    Raises ``ValueError`` for anything else.
    """
    match = _CONTENT_RANGE.match(value.strip())
    if match is None:
        raise ValueError(f"not a byte Content-Range: {value!r}")
    start, end, total = match.groups()
    return int(start), int(end), None if total == "*" else int(total)
