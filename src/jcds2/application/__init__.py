"""The application layer: ports and the use-cases built on them."""

from jcds2.application.download import DownloadFile
from jcds2.application.ports import (
    FileStore,
    ObjectUploader,
    PackageRepository,
    ProgressCallback,
    RangeFetcher,
    RangeSink,
)
from jcds2.application.upload import UploadPackageFile

__all__ = [
    "DownloadFile",
    "FileStore",
    "ObjectUploader",
    "PackageRepository",
    "ProgressCallback",
    "RangeFetcher",
    "RangeSink",
    "UploadPackageFile",
]
