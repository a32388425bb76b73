"""A local Jamf Pro emulator (Pro + Classic package APIs, JCDS over moto's S3 app),
with seeded fault plans.

An independent implementation of the Jamf API for tests and demos; it imports nothing from
the jcds2 client.
"""

from jcds2.emulator.faults import FaultPlan, FaultRecord, FaultRule
from jcds2.emulator.requestlog import RecordedRequest
from jcds2.emulator.s3server import RecordedS3Request
from jcds2.emulator.server import JamfEmulator

__all__ = [
    "FaultPlan",
    "FaultRecord",
    "FaultRule",
    "JamfEmulator",
    "RecordedRequest",
    "RecordedS3Request",
]
