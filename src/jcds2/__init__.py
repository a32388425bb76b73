"""jcds2: move package files in and out of the Jamf Cloud Distribution Service (JCDS).

>>> from jcds2 import JamfProClient, BasicAuthProvider
>>> client = JamfProClient("example.jamfcloud.com", BasicAuthProvider("user", "pass"))
>>> client.jcds2.upload_file(file_path="/path/to/my.pkg")  # doctest: +SKIP
>>> client.jcds2.download_file(file_name="my.pkg", download_path="/tmp/")  # doctest: +SKIP

The names below are the front door. Every error is in :mod:`jcds2.errors`, every port in
:mod:`jcds2.ports`, the in-memory fakes in :mod:`jcds2.testing`.
"""

import importlib
import logging
from typing import TYPE_CHECKING, Any

# The front door loads lazily (PEP 562): ``import jcds2`` (and so ``jcds2 --version``) must
# not pay for requests, botocore and the container; each name is imported on first use.
if TYPE_CHECKING:
    from jcds2.adapters.jamf_auth import (
        ApiClientCredentialsProvider,
        BasicAuthProvider,
        CredentialsProvider,
    )
    from jcds2.application.cancel import CancelToken
    from jcds2.application.upload import UploadOptions
    from jcds2.container.client import JamfProClient, sync_folders
    from jcds2.domain.errors import (
        AuthenticationError,
        ConfigurationError,
        DownloadError,
        JamfApiError,
        Jcds2Error,
        LocalFileError,
        PackageExistsError,
        TransferCancelledError,
        UploadError,
        VerificationError,
    )
    from jcds2.domain.models import (
        BatchItem,
        DownloadResult,
        OnExists,
        Package,
        RemoteFile,
        UploadResult,
    )
    from jcds2.domain.package_settings import EditResult
    from jcds2.domain.progress import UploadEvent, UploadPhase
    from jcds2.domain.sync import Endpoint, SyncPlan, SyncReport
    from jcds2.domain.transfer import MiB, TransferConfig

_FRONT_DOOR = {
    "ApiClientCredentialsProvider": "jcds2.adapters.jamf_auth",
    "AuthenticationError": "jcds2.domain.errors",
    "BasicAuthProvider": "jcds2.adapters.jamf_auth",
    "BatchItem": "jcds2.domain.models",
    "CancelToken": "jcds2.application.cancel",
    "ConfigurationError": "jcds2.domain.errors",
    "CredentialsProvider": "jcds2.adapters.jamf_auth",
    "DownloadError": "jcds2.domain.errors",
    "DownloadResult": "jcds2.domain.models",
    "EditResult": "jcds2.domain.package_settings",
    "Endpoint": "jcds2.domain.sync",
    "JamfApiError": "jcds2.domain.errors",
    "JamfProClient": "jcds2.container.client",
    "Jcds2Error": "jcds2.domain.errors",
    "LocalFileError": "jcds2.domain.errors",
    "MiB": "jcds2.domain.transfer",
    "OnExists": "jcds2.domain.models",
    "Package": "jcds2.domain.models",
    "PackageExistsError": "jcds2.domain.errors",
    "RemoteFile": "jcds2.domain.models",
    "SyncPlan": "jcds2.domain.sync",
    "SyncReport": "jcds2.domain.sync",
    "TransferCancelledError": "jcds2.domain.errors",
    "TransferConfig": "jcds2.domain.transfer",
    "UploadError": "jcds2.domain.errors",
    "UploadEvent": "jcds2.domain.progress",
    "UploadOptions": "jcds2.application.upload",
    "UploadPhase": "jcds2.domain.progress",
    "UploadResult": "jcds2.domain.models",
    "VerificationError": "jcds2.domain.errors",
    "sync_folders": "jcds2.container.client",
}

logging.getLogger("jcds2").addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "ApiClientCredentialsProvider",
    "AuthenticationError",
    "BasicAuthProvider",
    "BatchItem",
    "CancelToken",
    "ConfigurationError",
    "CredentialsProvider",
    "DownloadError",
    "DownloadResult",
    "EditResult",
    "Endpoint",
    "JamfApiError",
    "JamfProClient",
    "Jcds2Error",
    "LocalFileError",
    "MiB",
    "OnExists",
    "Package",
    "PackageExistsError",
    "RemoteFile",
    "SyncPlan",
    "SyncReport",
    "TransferCancelledError",
    "TransferConfig",
    "UploadError",
    "UploadEvent",
    "UploadOptions",
    "UploadPhase",
    "UploadResult",
    "VerificationError",
    "__version__",
    "sync_folders",
]

#: Names ``jcds2`` exported before its front door shrank, and where they live now. They
#: still import from ``jcds2`` (looked up on first use), but new code should use these homes;
#: the rest of :mod:`jcds2.errors` and :mod:`jcds2.ports` is found in ``_OLD_HOMES``.
_MOVED = {
    "BatchProgress": "jcds2.application.batch",
    "DownloadFile": "jcds2.application.download",
    "GiB": "jcds2.domain.transfer",
    "HashType": "jcds2.domain.models",
    "Jcds2": "jcds2.container.client",
    "Jcds2Container": "jcds2.container.containers",
    "Packages": "jcds2.container.client",
    "TransferStatus": "jcds2.domain.models",
    "UploadCapability": "jcds2.domain.models",
    "UploadPackageFile": "jcds2.application.upload",
    "UploadPackageFiles": "jcds2.application.batch",
}
_OLD_HOMES = ("jcds2.errors", "jcds2.ports")


def __getattr__(name: str) -> Any:
    home = _FRONT_DOOR.get(name) or _MOVED.get(name)
    if home is None:
        home = next(
            (old for old in _OLD_HOMES if name in importlib.import_module(old).__all__),
            None,
        )
    if home is None:
        raise AttributeError(f"module 'jcds2' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
