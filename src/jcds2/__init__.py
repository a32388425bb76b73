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
from jcds2.application import (
    DownloadFile,
    FileStore,
    ObjectUploader,
    PackageLookup,
    PackageRepository,
    RangeFetcher,
    UploadPackageFile,
)
from jcds2.container import JamfProClient, Jcds2, Jcds2Container
from jcds2.domain.errors import (
    AuthenticationError,
    ConfigurationError,
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
    ServerUnreachableError,
    TlsVerificationError,
    TransferError,
    UnreadableFileError,
    UploadError,
)
from jcds2.domain.models import DownloadResult, HashType, Package, RemoteFile, UploadResult
from jcds2.domain.transfer import GiB, MiB, TransferConfig

logging.getLogger("jcds2").addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "ApiClientCredentialsProvider",
    "AuthenticationError",
    "BasicAuthProvider",
    "ConfigurationError",
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
    "Package",
    "PackageCreationError",
    "PackageExistsError",
    "PackageLookup",
    "PackageNameTakenError",
    "PackageRepository",
    "PermissionDeniedError",
    "RangeFetcher",
    "RedirectRefusedError",
    "RemoteFile",
    "RemoteFileNotFoundError",
    "ResponseTooLargeError",
    "ServerUnreachableError",
    "TlsVerificationError",
    "TransferConfig",
    "TransferError",
    "UnreadableFileError",
    "UploadError",
    "UploadPackageFile",
    "UploadResult",
    "__version__",
]
