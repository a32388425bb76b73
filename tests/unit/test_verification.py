"""Judging what a distribution point reports about an uploaded file."""

from __future__ import annotations

import pytest

from jcds2.domain.models import StoredFileState, TransferStatus
from jcds2.domain.verification import Expected, Verdict, judge

NEW = "ab" * 64
OLD = "cd" * 64
OTHER = "ef" * 64
EXPECTED = Expected(size=1000, sha3_512=NEW, md5="11" * 16)
BEFORE = StoredFileState(size=900, sha3_512=OLD, md5="22" * 16, status=TransferStatus.READY)

READY = TransferStatus.READY
PENDING = TransferStatus.PENDING
ERROR = TransferStatus.ERROR


@pytest.mark.parametrize(
    ("state", "verdict", "reason"),
    [
        (None, Verdict.WAIT, "not listed"),
        (StoredFileState(None), Verdict.WAIT, "no hash"),
        (StoredFileState(900, OLD, status=PENDING), Verdict.WAIT, "previous file's hash"),
        (StoredFileState(900, OLD, status=READY), Verdict.WAIT, "previous file's hash"),
        (StoredFileState(0, NEW, status=PENDING), Verdict.WAIT, "pending"),
        (StoredFileState(0, NEW, status=READY), Verdict.FAILED, "size of 0"),
        (StoredFileState(0, OTHER, status=READY), Verdict.FAILED, "size of 0"),
        (StoredFileState(1000, NEW, status=ERROR), Verdict.FAILED, "transfer error"),
        (StoredFileState(1000, OTHER, status=READY), Verdict.CORRUPT, "SHA3-512"),
        (StoredFileState(1000, OTHER, status=PENDING), Verdict.CORRUPT, "SHA3-512"),
        (StoredFileState(None, NEW, status=READY), Verdict.WAIT, "size is not reported"),
        (StoredFileState(999, NEW, status=READY), Verdict.WAIT, "999 bytes"),
        (StoredFileState(1000, NEW, status=PENDING), Verdict.WAIT, "pending"),
        (StoredFileState(1000, NEW, status=READY), Verdict.READY, "match"),
        (StoredFileState(1000, NEW.upper(), status=READY), Verdict.READY, "match"),
        # Stores without transfer statuses (a listing, a file share) are ready when they match.
        (StoredFileState(1000, NEW), Verdict.READY, "match"),
        # Only an MD5 reported: it is compared instead.
        (StoredFileState(1000, md5="11" * 16), Verdict.READY, "match"),
        (StoredFileState(1000, md5="33" * 16), Verdict.CORRUPT, "MD5"),
    ],
)
def test_judge(state: StoredFileState | None, verdict: Verdict, reason: str) -> None:
    judgement = judge(state, EXPECTED, BEFORE)
    assert judgement.verdict is verdict
    assert reason in judgement.reason


def test_without_a_previous_file_any_other_hash_is_corruption() -> None:
    judgement = judge(StoredFileState(1000, OLD, status=READY), EXPECTED)
    assert judgement.verdict is Verdict.CORRUPT


def test_a_replacement_with_the_previous_hash_is_ready_when_it_is_the_expected_one() -> None:
    same = StoredFileState(1000, NEW, status=READY)
    assert judge(same, EXPECTED, same).verdict is Verdict.READY
