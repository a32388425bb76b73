"""A local Jamf Pro emulator (Pro + Classic package APIs, JCDS over moto's S3 server).

An independent implementation of the Jamf API for tests and demos; it imports nothing from
the jcds2 client.
"""

from jcds2.emulator.requestlog import RecordedRequest
from jcds2.emulator.server import JamfEmulator

__all__ = ["JamfEmulator", "RecordedRequest"]
