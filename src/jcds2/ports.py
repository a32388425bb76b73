"""The ports: what the use-cases need from the outside world (``typing.Protocol``\\s).

Implement ``FileStore``, ``ObjectUploader`` and, where needed, ``RangeFetcher`` to add a
distribution point; ``jcds2.testing`` implements every port in memory.
"""

from jcds2.application.ports import (
    CategoryDirectory,
    DistributionInventory,
    FailedUploads,
    FileStore,
    ObjectUploader,
    PackageCatalog,
    PackageRepository,
    PackageSettingsStore,
    PackageUsers,
    PhaseCallback,
    ProgressCallback,
    RangeFetcher,
    RangeSink,
    ServerInfo,
    SyncFolder,
)

__all__ = [
    "CategoryDirectory",
    "DistributionInventory",
    "FailedUploads",
    "FileStore",
    "ObjectUploader",
    "PackageCatalog",
    "PackageRepository",
    "PackageSettingsStore",
    "PackageUsers",
    "PhaseCallback",
    "ProgressCallback",
    "RangeFetcher",
    "RangeSink",
    "ServerInfo",
    "SyncFolder",
]
