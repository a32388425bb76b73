"""A local Jamf Pro emulator (Pro + Classic package APIs, JCDS over moto's S3 app),
with seeded fault plans.

An independent implementation of the Jamf API for tests and demos; it imports nothing from
the jcds2 client.

The servers (:class:`JamfEmulator`, and :class:`RecordedS3Request` beside moto's) are
imported on first use: importing this package needs no more than jcds2 itself, so that
``python -m jcds2.emulator`` installed without the ``emulator`` extra can say so in one line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jcds2.emulator.faultrules import (
    FAULT_KINDS,
    CorruptUploadFault,
    ExpireTokensFault,
    ExpireUrlFault,
    FailPackageCreationFault,
    FaultRule,
    FullBodyFault,
    LateSizeFault,
    ResetFault,
    ResetUploadFault,
    S3ErrorFault,
    StallFault,
    StatusFault,
    TransferErrorFault,
    TruncateFault,
    WrongRangeFault,
    ZeroSizeUploadFault,
)
from jcds2.emulator.faults import FaultPlan, FaultRecord
from jcds2.emulator.requestlog import RecordedRequest

if TYPE_CHECKING:
    from jcds2.emulator.s3server import RecordedS3Request
    from jcds2.emulator.server import JamfEmulator

#: The names whose modules need the extra (moto, werkzeug), and those modules.
_NEEDS_THE_EXTRA = {"JamfEmulator": "server", "RecordedS3Request": "s3server"}

__all__ = [
    "FAULT_KINDS",
    "CorruptUploadFault",
    "ExpireTokensFault",
    "ExpireUrlFault",
    "FailPackageCreationFault",
    "FaultPlan",
    "FaultRecord",
    "FaultRule",
    "FullBodyFault",
    "JamfEmulator",
    "LateSizeFault",
    "RecordedRequest",
    "RecordedS3Request",
    "ResetFault",
    "ResetUploadFault",
    "S3ErrorFault",
    "StallFault",
    "StatusFault",
    "TransferErrorFault",
    "TruncateFault",
    "WrongRangeFault",
    "ZeroSizeUploadFault",
]


def __getattr__(name: str) -> Any:
    module = _NEEDS_THE_EXTRA.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found directly from now on
    return value
