"""The one exception hierarchy of jcds2.

Every failure a caller can meet is a :class:`Jcds2Error`. Adapters translate the
exceptions of ``requests``, ``urllib3`` and ``botocore`` into these with
``raise ... from exc``, so the cause stays attached for debugging while the message
says, in the user's terms, what failed, on what, and what to do about it.

Messages never contain secrets: no passwords, tokens, S3 keys or signed URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jcds2.domain.usage import PackageUser


class Jcds2Error(Exception):
    """Raised for every failure of jcds2; catch this to catch them all."""


# --- configuration and input ------------------------------------------------------------


class ConfigurationError(Jcds2Error):
    """Raised when jcds2 is given settings it cannot work with."""


class UsageError(ConfigurationError):
    """Raised when a command line cannot work: a missing server, credentials or secret, a
    bad config file, options that do not go together. The ``jcds2`` command exits with 2."""


class InsecureUrlError(ConfigurationError):
    """Raised when a server URL would send credentials in clear text to another machine."""


class InvalidFileNameError(Jcds2Error):
    """Raised when a JCDS file name is empty, has a path separator, ``..`` or control characters."""

    def __init__(self, file_name: str, reason: str) -> None:
        self.file_name = file_name
        self.reason = reason
        super().__init__(
            f"invalid file name {file_name!r}: {reason}. "
            "A JCDS file name is a plain file name such as 'Firefox-128.pkg'."
        )


class LocalFileError(Jcds2Error):
    """Raised when a local file to upload cannot be used."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(message)


class LocalFileNotFoundError(LocalFileError):
    """Raised when the file to upload does not exist."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, f"no such file: {path}. Check the path and try again.")


class NotARegularFileError(LocalFileError):
    """Raised when the path to upload is a directory or another non-regular file.

    macOS flat packages (``.pkg`` files) are regular files; a bundle-style package
    (a directory) must be archived or flattened before it can be uploaded.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            f"not a regular file: {path}. Upload a flat package or disk image, "
            "not a directory (archive or flatten bundle packages first).",
        )


class EmptyFileError(LocalFileError):
    """Raised when the file to upload has no content."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path, f"refusing to upload an empty file: {path} is 0 bytes. Was it fully built?"
        )


class UnreadableFileError(LocalFileError):
    """Raised when the file to upload cannot be opened or read."""

    def __init__(self, path: Path, reason: str) -> None:
        self.reason = reason
        super().__init__(path, f"cannot read {path}: {reason}. Check its permissions.")


class PackageCheckError(LocalFileError):
    """Raised when a file to upload fails a check made before anything is sent: its file
    type, its flat-package format or its signature. Nothing was sent."""


class UnsupportedFileTypeError(PackageCheckError):
    """Raised when the file's type is not one Jamf Pro takes for a package (``.pkg``,
    ``.mpkg``, ``.dmg``, ``.zip``, in any case)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            f"{path.name!r} is not a file type Jamf Pro takes for a package; nothing was "
            "sent. Upload a .pkg, .mpkg, .dmg or .zip (zip a bundle package or an app first).",
        )


class MalformedPackageError(PackageCheckError):
    """Raised when a ``.pkg`` (or a flat ``.mpkg``) is not a well-formed flat package: its
    xar header or table of contents does not parse, or is larger than jcds2 reads.

    ``reason`` says what is wrong; a Mac could not install such a file either.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.reason = reason
        super().__init__(
            path,
            f"{path} is not a well-formed flat package ({reason}); nothing was sent. Check "
            "that it was built (pkgbuild, productbuild) and copied whole, then try again.",
        )


class UnsignedPackageError(PackageCheckError):
    """Raised when a signed package was required (``require_signed=True``) and the
    ``.pkg`` carries no signature in its table of contents."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            f"{path} is not signed, and a signed package was required; nothing was sent. "
            "Sign it with productsign and a Developer ID Installer certificate, or upload "
            "without require_signed=True.",
        )


class DestinationError(Jcds2Error):
    """Raised when a download destination cannot be used."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(message)


class DestinationExistsError(DestinationError):
    """Raised when the download destination exists and overwriting was not asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            f"{path} already exists. Pass overwrite=True to replace it, or choose another path.",
        )


class DestinationTooSmallError(DestinationError):
    """Raised when the destination's file system cannot hold the file to download.

    Checked before anything is written: the free space (and, where the file system says,
    the largest file it takes) against the size the server claims.
    """

    def __init__(self, path: Path, size: int, room: int, why: str) -> None:
        self.size = size
        self.room = room
        super().__init__(
            path,
            f"the server says the file is {size} bytes, but {path.parent} {why} "
            f"({room} bytes); nothing was written. Free space or choose another destination.",
        )


class DestinationDirectoryMissingError(DestinationError):
    """Raised when the directory that should hold the download does not exist."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path, f"the directory {path} does not exist. Create it first or choose another path."
        )


class UnsafeDestinationFileError(DestinationError):
    """Raised when a name jcds2 would write beside a download's destination (its ``.part``,
    resume record or lock) is a symbolic link or not a regular file.

    jcds2 never writes through such a name and leaves it as it is; ``path`` names it.
    """

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(
            path,
            f"{path} is {what}; jcds2 does not write through it. Remove it if you did not "
            "put it there, then download again.",
        )


class DownloadInProgressError(DestinationError):
    """Raised when another download into the same destination is under way, in this
    process or another; ``lock`` is the lock file beside the destination that it holds."""

    def __init__(self, path: Path, lock: Path) -> None:
        self.lock = lock
        super().__init__(
            path,
            f"another download into {path} is under way (it holds {lock.name}); wait for it "
            "to finish, or download to another path.",
        )


# --- the server ---------------------------------------------------------------------------


class JamfApiError(Jcds2Error):
    """Raised when the Jamf Pro server answers a request with an error.

    ``status`` is the HTTP status (``None`` when no answer came at all), ``operation``
    says what jcds2 was doing, e.g. ``"create package 'Foo.pkg'"``.
    """

    def __init__(self, message: str, *, status: int | None = None, operation: str = "") -> None:
        self.status = status
        self.operation = operation
        super().__init__(message)


class ServerUnreachableError(JamfApiError):
    """Raised when the server cannot be reached or does not answer in time."""


class TlsVerificationError(ServerUnreachableError):
    """Raised when the server's TLS certificate cannot be verified (or TLS fails otherwise).

    Nothing was sent: no credentials and no token leave the machine before the server
    has proved who it is. A server with a certificate from a private CA needs that CA's
    bundle (``verify="/path/to/ca.pem"``, ``jcds2 --ca-bundle``, or ``REQUESTS_CA_BUNDLE``).
    """


class RequestDeadlineError(ServerUnreachableError):
    """Raised when a request to the Jamf Pro server is not answered in full within
    ``TransferConfig.request_deadline`` (a server that keeps the connection alive with a
    trickle of bytes is given up on, whatever its pace)."""


class TooManyPagesError(JamfApiError):
    """Raised when a paged search has not ended after ``TransferConfig.max_search_pages``
    pages (a server whose answers never say "last page")."""


class ResponseTooLargeError(JamfApiError):
    """Raised when an answer is larger than jcds2 is willing to read into memory.

    ``limit`` is the bound in bytes. The body is not read past it: the connection is
    closed instead.
    """

    def __init__(
        self, message: str, *, limit: int, status: int | None = None, operation: str = ""
    ) -> None:
        self.limit = limit
        super().__init__(message, status=status, operation=operation)


class RedirectRefusedError(JamfApiError):
    """Raised when the Jamf Pro server redirects an API request.

    jcds2 never follows a redirect with the bearer token, so the token cannot reach
    another host; ``status`` is the 3xx status.
    """


class UnexpectedAnswerError(JamfApiError):
    """Raised when an answer of Jamf Pro lacks a field jcds2 needs, or has it in a shape
    jcds2 cannot read.

    ``field`` names the field and ``endpoint`` the request (``"POST /api/v1/jcds/files"``);
    the message names both, never the field's value.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str,
        endpoint: str,
        status: int | None = None,
        operation: str = "",
    ) -> None:
        self.field = field
        self.endpoint = endpoint
        super().__init__(message, status=status, operation=operation)


class AuthenticationError(JamfApiError):
    """Raised when the server rejects the credentials or the token (HTTP 401)."""


class PermissionDeniedError(JamfApiError):
    """Raised when the account lacks a privilege the call needs (HTTP 403)."""


class NotJamfServerError(JamfApiError):
    """Raised when the server does not answer like Jamf Pro: no token endpoint (404), or an
    answer to a sign-in that is neither a token nor one of Jamf Pro's errors (an HTML page,
    say, whatever its status)."""


class PackageExistsError(Jcds2Error):
    """Raised when a package object already uses the file name being uploaded."""

    def __init__(
        self, file_name: str, package_id: int, package_name: str, *, detail: str | None = None
    ) -> None:
        self.file_name = file_name
        self.package_id = package_id
        self.package_name = package_name
        self.detail = detail
        advice = detail or (
            "Rename the file, delete that package in Jamf Pro, or upload with "
            "on_exists='skip' (keep it if it is the same file) or 'replace'."
        )
        super().__init__(
            f"package {package_id} ({package_name!r}) already uses the file name "
            f"{file_name!r}. {advice}"
        )


class PackageNameTakenError(JamfApiError):
    """Raised when Jamf Pro refuses a new package because its display name is taken."""


class UnknownCategoryError(JamfApiError):
    """Raised when Jamf Pro refuses a package because no category has the name or id it gives."""


# --- editing packages ---------------------------------------------------------------------


class PackageNotFoundError(Jcds2Error):
    """Raised when no package has the name, file name or id an edit was given."""

    def __init__(self, package: str | int) -> None:
        self.package = package
        what = f"id {package}" if isinstance(package, int) else f"the name {package!r}"
        super().__init__(
            f"Jamf Pro has no package with {what}. Give a package's display name, its file "
            "name or its id (the listing of the files names the package of each)."
        )


class UnknownPackageFieldError(ConfigurationError):
    """Raised when an edit names a field that is not one of the package's editable fields."""

    def __init__(self, fields: list[str], editable: list[str]) -> None:
        self.fields = fields
        super().__init__(
            f"a package has no editable field {', '.join(map(repr, fields))}; the fields an "
            f"edit can set are {', '.join(editable)}"
        )


class InvalidPackageFieldError(ConfigurationError):
    """Raised when an edit gives a package field a value of the wrong kind."""

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        super().__init__(f"{field} must be {expected}, not {value!r}")


class UnsupportedPackageFieldError(ConfigurationError):
    """Raised when a package repository's API cannot set a field (the Classic API has no
    ``os_install`` or ``suppress_*``); edit through the Pro API (``client.packages``)."""


class PackageEditError(JamfApiError):
    """Raised when Jamf Pro did not keep an edit as asked: a field read back differs from
    the value written, or a server-managed field (size, hashes, transfer status) changed
    and did not come back."""


class RemoteFileNotFoundError(Jcds2Error):
    """Raised when the distribution point has no file of the requested name."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        super().__init__(
            f"the distribution point has no file named {file_name!r}. File names are "
            "case-sensitive; "
            "list the files to see what is there."
        )


# --- deleting packages something uses -----------------------------------------------------


class DeletionRefusedError(Jcds2Error):
    """Raised when a package is not deleted because a policy or PreStage uses it, or
    because what uses it could not be read (``force=True`` deletes it anyway)."""


class PackageInUseError(DeletionRefusedError):
    """Raised when a policy or a computer PreStage uses the package to be deleted."""

    def __init__(self, package_id: int, package_name: str, users: Sequence[PackageUser]) -> None:
        self.package_id = package_id
        self.package_name = package_name
        self.users = tuple(users)
        named = ", ".join(str(user) for user in self.users)
        super().__init__(
            f"package {package_id} {package_name!r} is used by {named}: not deleted. Remove "
            "it from them in Jamf Pro first, or pass force=True to delete it anyway."
        )


class PackageUsageUnknownError(DeletionRefusedError):
    """Raised when what uses the package to be deleted could not be read (the account may
    lack Read Policies or Read Computer PreStage Enrollments)."""

    def __init__(self, package_id: int, package_name: str, cause: Exception) -> None:
        self.package_id = package_id
        self.package_name = package_name
        self.cause = cause
        super().__init__(
            f"package {package_id} {package_name!r} not deleted: jcds2 could not read which "
            f"policies and PreStages use it ({cause}). Grant the API role Read Policies and "
            "Read Computer PreStage Enrollments, or pass force=True to delete it unchecked."
        )


# --- transfers ----------------------------------------------------------------------------


class TransferError(Jcds2Error):
    """Raised when moving bytes to or from the distribution point fails."""


class TransferCancelledError(TransferError):
    """Raised when a transfer was cancelled before it finished (the caller or another part
    of the transfer stopped it)."""


class UploadError(TransferError):
    """Raised when uploading a file fails; nothing of the upload is left on the server."""


class SourceChangedError(UploadError):
    """Raised when the local file changed (was written, replaced, truncated or touched)
    while it was being uploaded; what the upload stored is deleted again."""

    def __init__(self, message: str, *, file_name: str) -> None:
        self.file_name = file_name
        super().__init__(message)


class PackageCreationError(UploadError):
    """Raised when the file was uploaded but the package object could not be created.

    ``file_removed`` says whether the uploaded file was deleted again (it normally is,
    so that no file is left without a package).
    """

    def __init__(self, message: str, *, file_name: str, file_removed: bool) -> None:
        self.file_name = file_name
        self.file_removed = file_removed
        super().__init__(message)


class VerificationError(UploadError):
    """Raised when the distribution point does not confirm an uploaded file.

    A package this upload created is deleted again before it is raised (``message``
    says so); a package that existed before (``on_exists="replace"``) is kept.
    """

    def __init__(self, message: str, *, file_name: str) -> None:
        self.file_name = file_name
        super().__init__(message)


class CorruptUploadError(VerificationError):
    """Raised when the server's hash of the uploaded file differs from the local file's."""


class ServerRejectedUploadError(VerificationError):
    """Raised when the server reports the upload as failed (size 0, or a transfer error)
    more times than ``TransferConfig.upload_retries`` allows."""


class VerificationTimeoutError(VerificationError):
    """Raised when the server has not confirmed the file within ``verify_timeout``."""


class DownloadError(TransferError):
    """Raised when downloading a file fails; the destination is left untouched."""


class DownloadUrlExpiredError(DownloadError):
    """Raised when the signed download URL is refused (expired); a new one can be asked for."""


class DownloadDeadlineError(DownloadError):
    """Raised when a range of a download was not received in full within
    ``TransferConfig.request_deadline`` on any of its attempts."""


class DownloadRedirectRefusedError(DownloadError):
    """Raised when the download host redirects to a URL jcds2 will not follow: another
    scheme (``ftp``, ``file``, ...), ``https`` to plain ``http``, plain ``http`` off
    loopback, or a URL carrying credentials."""


class IntegrityError(DownloadError):
    """Raised when downloaded bytes do not match what the server says the file is."""


class NoRemoteHashError(Jcds2Error):
    """Raised when a remote file is to be compared with a local one but the server reports
    no hash for it yet."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"the server reports no hash for {name!r} yet; try again once Jamf Pro has "
            "processed the file"
        )


class DistributionPointUnavailableError(Jcds2Error):
    """Raised when a sync cannot reach a source or destination: a share that is not
    mounted, a folder that does not exist, a server that does not answer."""

    def __init__(self, point: str, reason: str) -> None:
        self.point = point
        self.reason = reason
        # The reason is the adapter's own message, which says what to check.
        super().__init__(f"cannot reach {point}: {reason}")
