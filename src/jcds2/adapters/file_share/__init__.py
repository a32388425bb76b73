"""File-share adapters: a distribution point that is a mounted SMB/AFP share.

Jamf Pro's file-share distribution points keep package files in a ``Packages`` folder
at the root of the share. Once the share is mounted, it is a local directory, and the
three ports are plain file operations:

- :class:`FileShareStore` (the ``FileStore``): lists, describes and deletes the files
  of that folder and hands out ``file://`` URLs for downloads;
- :class:`FileShareUploader` (the ``ObjectUploader``): copies a local file into the
  folder atomically (a hidden temporary file renamed into place);
- :class:`FileRangeFetcher` (the ``RangeFetcher``): reads byte ranges of ``file://``
  URLs;
- :class:`LocalFolderSync` (the ``SyncFolder``): a plain folder or a share's Packages
  folder as ``jcds2 sync`` reads and writes it, hashes cached in a state file.

Nothing is touched until a method is called, so a store can be built before the share
is mounted. Hidden files (a leading ``.``: the uploader's temporary files, macOS's
``.DS_Store`` and ``._*`` files) are neither listed nor accepted as package names.
"""

from jcds2.adapters.file_share.common import (
    COPY_CHUNK,
    HASH_CHUNK,
    PACKAGES_DIR,
    READ_CHUNK,
    FileShareTarget,
)
from jcds2.adapters.file_share.download import FileRangeFetcher
from jcds2.adapters.file_share.folder import FolderOpener, LocalFolderSync
from jcds2.adapters.file_share.store import FileShareStore
from jcds2.adapters.file_share.upload import FileShareUploader

__all__ = [
    "COPY_CHUNK",
    "HASH_CHUNK",
    "PACKAGES_DIR",
    "READ_CHUNK",
    "FileRangeFetcher",
    "FileShareStore",
    "FileShareTarget",
    "FileShareUploader",
    "FolderOpener",
    "LocalFolderSync",
]
