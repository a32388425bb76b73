"""jcds2: move package files in and out of the Jamf Cloud Distribution Service (JCDS).

>>> from jcds2 import JamfProClient, BasicAuthProvider
>>> client = JamfProClient("example.jamfcloud.com", BasicAuthProvider("user", "pass"))
>>> client.jcds2.upload_file(file_path="/path/to/my.pkg")  # doctest: +SKIP
>>> client.jcds2.download_file(file_name="my.pkg", download_path="/tmp/")  # doctest: +SKIP
"""

import logging

from jcds2.adapters.jamf_auth import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    CredentialsProvider,
)
from jcds2.adapters.pro_packages import UploadCapability
from jcds2.application import (
    DownloadFile,
    FileStore,
    ObjectUploader,
    PackageRepository,
    ProgressCallback,
    RangeFetcher,
    UploadPackageFile,
)
from jcds2.application.batch import BatchProgress, UploadPackageFiles
from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.container import JamfProClient, Jcds2, Jcds2Container, Packages
from jcds2.domain.errors import (
    AuthenticationError,
    ConfigurationError,
    CorruptUploadError,
    DestinationDirectoryMissingError,
    DestinationError,
    DestinationExistsError,
    DownloadError,
    DownloadUrlExpiredError,
    EmptyFileError,
    InsecureUrlError,
    IntegrityError,
    InvalidFileNameError,
    JamfApiError,
    Jcds2Error,
    LocalFileError,
    LocalFileNotFoundError,
    NotARegularFileError,
    NotJamfServerError,
    PackageCreationError,
    PackageExistsError,
    PackageNameTakenError,
    PermissionDeniedError,
    RedirectRefusedError,
    RemoteFileNotFoundError,
    ResponseTooLargeError,
    ServerRejectedUploadError,
    ServerUnreachableError,
    TlsVerificationError,
    TransferError,
    UnexpectedAnswerError,
    UnreadableFileError,
    UploadError,
    VerificationError,
    VerificationTimeoutError,
)
from jcds2.domain.models import (
    BatchItem,
    DownloadResult,
    HashType,
    OnExists,
    Package,
    RemoteFile,
    TransferStatus,
    UploadResult,
)
from jcds2.domain.transfer import GiB, MiB, TransferConfig

logging.getLogger("jcds2").addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "ApiClientCredentialsProvider",
    "AuthenticationError",
    "BasicAuthProvider",
    "BatchItem",
    "BatchProgress",
    "CancelToken",
    "ConfigurationError",
    "CorruptUploadError",
    "CredentialsProvider",
    "DestinationDirectoryMissingError",
    "DestinationError",
    "DestinationExistsError",
    "DownloadError",
    "DownloadFile",
    "DownloadResult",
    "DownloadUrlExpiredError",
    "EmptyFileError",
    "FileStore",
    "GiB",
    "HashType",
    "InsecureUrlError",
    "IntegrityError",
    "InvalidFileNameError",
    "JamfApiError",
    "JamfProClient",
    "Jcds2",
    "Jcds2Container",
    "Jcds2Error",
    "LocalFileError",
    "LocalFileNotFoundError",
    "MiB",
    "NotARegularFileError",
    "NotJamfServerError",
    "ObjectUploader",
    "OnExists",
    "Package",
    "PackageCreationError",
    "PackageExistsError",
    "PackageNameTakenError",
    "PackageRepository",
    "Packages",
    "PermissionDeniedError",
    "ProgressCallback",
    "RangeFetcher",
    "RedirectRefusedError",
    "RemoteFile",
    "RemoteFileNotFoundError",
    "ResponseTooLargeError",
    "ServerRejectedUploadError",
    "ServerUnreachableError",
    "TlsVerificationError",
    "TransferCancelledError",
    "TransferConfig",
    "TransferError",
    "TransferStatus",
    "UnexpectedAnswerError",
    "UnreadableFileError",
    "UploadCapability",
    "UploadError",
    "UploadPackageFile",
    "UploadPackageFiles",
    "UploadResult",
    "VerificationError",
    "VerificationTimeoutError",
    "__version__",
]
