"""Judging what a distribution point reports about an uploaded file.

After an upload, a distribution point takes a while to take the file in: Jamf Pro
computes the file's hashes, copies it to its CDN and only then reports it ``READY``.
Until then it may still show the previous file's hash (not yet), a size of 0 (the
upload failed on the server), or a hash of other bytes (corruption). :func:`judge`
turns one report into one :class:`Verdict`; the use-case decides what to do with it.
"""

from __future__ import annotations

import enum

import attrs

from jcds2.domain.models import StoredFileState, TransferStatus


class Verdict(enum.Enum):
    """What one look at an uploaded file says."""

    READY = "ready"  # the server has the local file's bytes and can serve them
    WAIT = "wait"  # not yet: look again later
    CORRUPT = "corrupt"  # the server has other bytes than were sent
    FAILED = "failed"  # the server reports the upload as failed: send it again


@attrs.frozen
class Expected:
    """What the server must report once it has the local file."""

    size: int
    sha3_512: str
    md5: str | None = None


@attrs.frozen
class Judgement:
    verdict: Verdict
    reason: str


def _compared(
    state: StoredFileState, expected: Expected, previous: StoredFileState | None
) -> tuple[str, str, str | None, str] | None:
    """(observed, expected, previous, algorithm name) for the best hash the server reports."""
    if state.sha3_512:
        prior = previous.sha3_512 if previous is not None else None
        return state.sha3_512.lower(), expected.sha3_512.lower(), _lower(prior), "SHA3-512"
    if state.md5 and expected.md5:
        prior = previous.md5 if previous is not None else None
        return state.md5.lower(), expected.md5.lower(), _lower(prior), "MD5"
    return None


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def judge(
    state: StoredFileState | None, expected: Expected, previous: StoredFileState | None = None
) -> Judgement:
    """Judge one report ``state`` about a file uploaded to be ``expected``.

    ``previous`` is what the server reported before the upload (for a replaced file):
    its hash showing again means the server has not taken in the new file yet.
    """
    if state is None:
        return Judgement(Verdict.WAIT, "the file is not listed yet")
    compared = _compared(state, expected, previous)
    if compared is None:
        return Judgement(Verdict.WAIT, "no hash reported yet")
    observed, wanted, prior, algorithm = compared
    # The first rule that applies decides, in this order.
    rules: list[tuple[bool, Verdict, str]] = [
        (
            observed != wanted and observed == prior,
            Verdict.WAIT,
            "the server still reports the previous file's hash",
        ),
        (
            state.size == 0 and state.status is TransferStatus.PENDING,
            Verdict.WAIT,
            "the transfer is pending (size 0 so far)",
        ),
        (state.size == 0, Verdict.FAILED, "the server reports a size of 0 bytes"),
        (
            state.status is TransferStatus.ERROR,
            Verdict.FAILED,
            "the server reports a transfer error",
        ),
        (
            observed != wanted,
            Verdict.CORRUPT,
            f"the server's {algorithm} is {observed[:16]}..., the local file's {wanted[:16]}...",
        ),
        (state.size is None, Verdict.WAIT, "the size is not reported yet"),
        (
            state.size != expected.size,
            Verdict.WAIT,
            f"the server reports {state.size} bytes, not {expected.size} yet",
        ),
        (state.status is TransferStatus.PENDING, Verdict.WAIT, "the transfer is pending"),
    ]
    for applies, verdict, reason in rules:
        if applies:
            return Judgement(verdict, reason)
    return Judgement(Verdict.READY, "hash, size and status match")
