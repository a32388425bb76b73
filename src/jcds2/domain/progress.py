"""What an upload is doing, for a caller that shows it: the phases and their events."""

from __future__ import annotations

import enum

import attrs


class UploadPhase(enum.Enum):
    """The phases of one upload, in the order they can come."""

    #: Reading the local file to compare it with the server's (nothing is sent).
    HASHING = "hashing"
    #: Sending the file's bytes (their counts go to the byte-count progress callback).
    SENDING = "sending"
    #: Every byte sent; waiting for the distribution point to confirm the file.
    VERIFYING = "verifying"
    #: The upload succeeded (uploaded, replaced or skipped); a failed one raises instead.
    DONE = "done"


@attrs.frozen
class UploadEvent:
    """One upload entered ``phase``, or, while verifying, looked at the server again.

    ``elapsed``: seconds since the phase began (0.0 at its start). ``answer``: the
    server's last answer about the file while verifying (``None`` before the first look),
    in words, such as ``"PENDING"`` or ``"ready"``. ``deadline``: while verifying, the
    seconds the wait may take in all.
    """

    file_name: str
    phase: UploadPhase
    elapsed: float = 0.0
    answer: str | None = None
    deadline: float | None = None
