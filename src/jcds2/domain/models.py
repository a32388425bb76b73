"""Value objects of jcds2: packages, JCDS files, upload tickets and transfer results."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path

import attrs

from jcds2.domain.errors import ConfigurationError


class HashType(str, enum.Enum):
    """Hash algorithms Jamf Pro records for a package's file."""

    MD5 = "MD5"
    SHA_512 = "SHA_512"
    SHA3_512 = "SHA3_512"


@attrs.frozen
class Package:
    """A Jamf Pro package object: what policies reference, pointing at a file by name."""

    id: int
    name: str
    file_name: str
    hash_type: str | None = None
    hash_value: str | None = None


@attrs.frozen
class PackageSpec:
    """What a new package object is made of."""

    name: str
    file_name: str
    hash_type: HashType | None = None
    hash_value: str | None = None
    category: str | None = None
    info: str | None = None
    notes: str | None = None
    priority: int = attrs.field(default=10)

    @priority.validator
    def _check_priority(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if not 1 <= value <= 20:
            raise ConfigurationError(f"priority must be between 1 and 20, not {value}")


@attrs.frozen
class RemoteFile:
    """A file stored in the JCDS, as the Pro API lists it (hashes when the server reports them)."""

    file_name: str
    size: int
    md5: str | None = None
    sha3_512: str | None = None


@attrs.frozen
class S3Credentials:
    """Temporary credentials for one upload; every secret part is kept out of ``repr``."""

    access_key_id: str = attrs.field(repr=False)
    secret_access_key: str = attrs.field(repr=False)
    session_token: str = attrs.field(repr=False)
    expiration: dt.datetime

    def seconds_left(self, now: dt.datetime) -> float:
        """How long these credentials stay valid after ``now``."""
        return (self.expiration - now).total_seconds()


@attrs.frozen
class UploadTicket:
    """Where and with what credentials one file is to be uploaded (a new JCDS file)."""

    file_name: str
    bucket: str
    key: str
    region: str
    upload_id: str
    credentials: S3Credentials


@attrs.frozen
class LocalFile:
    """A local file checked for upload: regular, readable and not empty."""

    path: Path
    size: int

    @property
    def name(self) -> str:
        return self.path.name


@attrs.frozen
class UploadResult:
    """What an upload made: the package object and the file it points at."""

    package_id: int
    package_name: str
    file_name: str
    size: int
    hash_type: HashType
    hash_value: str
    elapsed_seconds: float
    multipart: bool


@attrs.frozen
class DownloadResult:
    """What a download wrote, and how it was checked."""

    file_name: str
    path: Path
    size: int
    md5: str | None
    elapsed_seconds: float
    verified_md5: bool
    #: Bytes already on disk from an earlier, interrupted call (resumed, not fetched again).
    resumed_bytes: int = 0
