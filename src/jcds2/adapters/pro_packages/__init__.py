"""Jamf's supported upload route: package objects and their files through ``/api/v1/packages``.

The route is package-first: a package object is created (``POST /api/v1/packages``), its
file is uploaded into it as ``multipart/form-data`` (``POST /api/v1/packages/{id}/upload``),
and an inventory refresh (``POST /api/v1/cloud-distribution-point/refresh-inventory``)
makes the server compute the file's hashes and report it ``READY``. The server manages
the package's hash fields itself on this route.

Everything goes through :class:`~jcds2.adapters.jamf_http.JamfHttpClient`, so the bearer
token is sent to the Jamf Pro server and nowhere else.
"""

from jcds2.adapters.pro_packages.failed import ProApiFailedUploads
from jcds2.adapters.pro_packages.repository import ProApiPackageRepository
from jcds2.adapters.pro_packages.server import ProApiServerInfo
from jcds2.adapters.pro_packages.store import PackagesApiFileStore, PackageUploadTarget
from jcds2.adapters.pro_packages.upload import PackageFormUploader, multipart_preamble
from jcds2.domain.models import UploadCapability  # its old import path

__all__ = [
    "PackageFormUploader",
    "PackageUploadTarget",
    "PackagesApiFileStore",
    "ProApiFailedUploads",
    "ProApiPackageRepository",
    "ProApiServerInfo",
    "UploadCapability",
    "multipart_preamble",
]
