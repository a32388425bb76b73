"""Value objects of jcds2: packages, stored files, upload targets and transfer results."""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
from pathlib import Path
from typing import TypeVar

import attrs

from jcds2.domain.errors import ConfigurationError


class HashType(str, enum.Enum):
    """Hash algorithms Jamf Pro records for a package's file."""

    MD5 = "MD5"
    SHA_512 = "SHA_512"
    SHA3_512 = "SHA3_512"

    @property
    def algorithm(self) -> str:
        """The ``hashlib`` name of this algorithm."""
        return _ALGORITHMS[self]


_ALGORITHMS = {HashType.MD5: "md5", HashType.SHA_512: "sha512", HashType.SHA3_512: "sha3_512"}


class OnExists(str, enum.Enum):
    """What an upload does when a package already uses the file name.

    - ``fail``: raise ``PackageExistsError`` (the default).
    - ``skip``: return the existing package without sending a byte when its file's hash
      equals the local file's; raise ``PackageExistsError`` when it differs.
    - ``replace``: upload the local file in place of the package's file, keeping the
      package (and its id, so policies that reference it keep working).
    """

    FAIL = "fail"
    SKIP = "skip"
    REPLACE = "replace"

    @classmethod
    def parse(cls, value: OnExists | str) -> OnExists:
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(repr(member.value) for member in cls)
            raise ConfigurationError(f"on_exists must be one of {choices}, not {value!r}") from None


class TransferStatus(str, enum.Enum):
    """Where a distribution point is with a file it received (Jamf's ``cloudTransferStatus``)."""

    PENDING = "PENDING"
    READY = "READY"
    ERROR = "ERROR"


@attrs.frozen
class Package:
    """A Jamf Pro package object: what policies reference, pointing at a file by name.

    ``hash_type``/``hash_value`` are the hash the package records for its file; servers
    that compute digests themselves (the Pro API) also report ``md5``, ``sha3_512``,
    ``size`` (bytes) and ``status``. ``None`` where the server reports nothing.
    """

    id: int
    name: str
    file_name: str
    hash_type: str | None = None
    hash_value: str | None = None
    md5: str | None = None
    sha3_512: str | None = None
    size: int | None = None
    status: TransferStatus | None = None

    def digests(self) -> dict[str, str]:
        """Every digest the server reports for the package's file, by ``hashlib`` name."""
        found: dict[str, str] = {}
        if self.md5:
            found["md5"] = self.md5.lower()
        if self.sha3_512:
            found["sha3_512"] = self.sha3_512.lower()
        if self.hash_type and self.hash_value:
            # A hash type jcds2 does not know is unusable, not an error.
            with contextlib.suppress(ValueError):
                found.setdefault(HashType(self.hash_type).algorithm, self.hash_value.lower())
        return found


@attrs.frozen
class Category:
    """A category of Jamf Pro, as its categories API reports it (ids count from 1)."""

    id: int
    name: str


@attrs.frozen
class PackageSpec:
    """What a new package object is made of.

    ``category`` is the category's name (the Classic API files a package under it),
    ``category_id`` its id (the Pro API's ``categoryId``): an upload sets both from
    the category it resolved; ``None`` for both is no category.
    """

    name: str
    file_name: str
    hash_type: HashType | None = None
    hash_value: str | None = None
    category: str | None = None
    info: str | None = None
    notes: str | None = None
    priority: int = attrs.field(default=10)
    category_id: int | None = None

    @priority.validator
    def _check_priority(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20:
            raise ConfigurationError(
                f"priority must be a whole number between 1 and 20, not {value!r}"
            )


@attrs.frozen
class StoredFileState:
    """What a distribution point reports about a file it received, while it verifies it.

    ``None`` means "not reported (yet)". ``status`` is ``None`` where the distribution
    point has no such notion (it then counts as ready).
    """

    size: int | None
    sha3_512: str | None = None
    md5: str | None = None
    status: TransferStatus | None = None


@attrs.frozen
class RemoteFile:
    """A file stored in the JCDS, as the Pro API lists it (hashes when the server reports them)."""

    file_name: str
    size: int
    md5: str | None = None
    sha3_512: str | None = None
    #: An opaque token that changes whenever the file does, where the store has one
    #: (a file share: inode, size and modification time).
    version: str | None = None


class VersionedUrl(str):
    """A download URL with the version of the file it names beside it (a file share's inode,
    size and modification time), so that a fetcher can refuse to mix ranges of two versions
    of a file. The version travels as this value's ``version``, not inside the URL's text."""

    version: str

    def __new__(cls, url: str, version: str) -> VersionedUrl:
        made = super().__new__(cls, url)
        made.version = version
        return made

    def __repr__(self) -> str:
        return f"VersionedUrl({str(self)!r}, version={self.version!r})"


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
class UploadTarget:
    """Where one file is to be uploaded: made by a ``FileStore``, used by its ``ObjectUploader``.

    Each distribution point subclasses it with what its uploader needs.
    """

    file_name: str


_Target = TypeVar("_Target", bound=UploadTarget)


def expect_target(
    target: UploadTarget, kind: type[_Target], user: str, advice: str = ""
) -> _Target:
    """``target`` as a ``kind``; ``ConfigurationError`` when a store and an uploader (or
    fetcher) of different distribution points were wired together. ``user`` names the
    adapter that expected ``kind``; ``advice`` says how to pair them."""
    if not isinstance(target, kind):
        raise ConfigurationError(
            f"{user} cannot use a {type(target).__name__} (made by another distribution "
            "point's store): the file store and the uploader are wired for different "
            f"distribution points{'; ' + advice if advice else ''}"
        )
    return target


@attrs.frozen
class UploadTicket(UploadTarget):
    """Where and with what credentials one file is to be uploaded to S3 (a new JCDS file)."""

    bucket: str
    key: str
    region: str
    upload_id: str
    credentials: S3Credentials


@attrs.frozen
class LocalFile:
    """A local file checked for upload: regular, readable and not empty.

    ``identity`` is what ``os.stat`` said when it was checked (device, inode, size and the
    modification and change times in nanoseconds; ``None`` if not recorded): the same
    identity after the upload means the file was not changed meanwhile.
    """

    path: Path
    size: int
    identity: tuple[int, ...] | None = attrs.field(default=None, eq=False, repr=False)

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
    #: The package existed with the same file (``on_exists="skip"``, or a replace with an
    #: identical file): nothing was sent.
    skipped: bool = False
    #: The package existed and its file was replaced (``on_exists="replace"``).
    replaced: bool = False
    #: The distribution point confirmed the file's hash and size after the upload.
    verified: bool = False
    #: The SHA3-512 of the file, where it was computed (sent, or matched by a skip).
    sha3_512: str | None = None
    #: The settings of the existing package (skipped or replaced) that the upload's
    #: package options changed (``package_name``, ``category``, ``info``, ...).
    changed_fields: tuple[str, ...] = ()
    #: The common name of the certificate that signed the package (a signed ``.pkg``).
    signed_by: str | None = None


@attrs.frozen
class BatchItem:
    """The outcome of one file of a batch upload: a result, or the error it met."""

    path: Path
    result: UploadResult | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


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


@attrs.frozen
class UploadCapability:
    """What the server's cloud distribution point says about uploads.

    ``principal_distribution_technology``: the cloud distribution point is the principal
    one; ``direct_upload_capable``: files can be uploaded to it through Jamf Pro.
    """

    principal_distribution_technology: bool
    direct_upload_capable: bool


@attrs.frozen
class FileComparison:
    """A remote file compared with a local one, by the strongest hash the server reports.

    ``algorithm`` is ``"SHA3-512"`` or ``"MD5"``. ``local_hash`` is ``None`` when the sizes
    differ (the local file is then not hashed).
    """

    file_name: str
    path: Path
    algorithm: str
    remote_size: int
    local_size: int
    remote_hash: str
    local_hash: str | None

    @property
    def match(self) -> bool:
        return self.local_hash == self.remote_hash
