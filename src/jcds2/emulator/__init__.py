"""A local Jamf Pro emulator (Pro + Classic package APIs, JCDS over moto's S3 app),
with seeded fault plans.

An independent implementation of the Jamf API for tests and demos; it imports nothing from
the jcds2 client.
"""

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
from jcds2.emulator.s3server import RecordedS3Request
from jcds2.emulator.server import JamfEmulator

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
