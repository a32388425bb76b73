"""The composition root: one dependency-injector container wires every part of jcds2.

Swap any part in tests or for another distribution point with
``container.<provider>.override(...)``; use-cases are factories, so each call gets
the current wiring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests
from dependency_injector import containers, providers, resources

from jcds2.adapters.classic_api import ClassicApiPackageRepository
from jcds2.adapters.file_share import (
    FileRangeFetcher,
    FileShareStore,
    FileShareUploader,
    FolderOpener,
)
from jcds2.adapters.http_range import HttpRangeFetcher
from jcds2.adapters.http_session import build_connect_retry, build_session
from jcds2.adapters.jamf_auth import CredentialsProvider
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.package_users import JamfApiPackageUsers
from jcds2.adapters.pro_api import JcdsApiFileStore, ProApiPackageLookup
from jcds2.adapters.pro_categories import ProApiCategoryDirectory
from jcds2.adapters.pro_listings import ProApiDistributionInventory, ProApiPackageCatalog
from jcds2.adapters.pro_packages import (
    PackageFormUploader,
    PackagesApiFileStore,
    ProApiFailedUploads,
    ProApiPackageRepository,
    ProApiServerInfo,
)
from jcds2.application.audit import AuditDistributionPoint
from jcds2.application.batch import UploadPackageFiles
from jcds2.application.download import DownloadFile
from jcds2.application.edit import EditPackage
from jcds2.application.package_status import ReadPackageStatus
from jcds2.application.package_usage import DeletePackage
from jcds2.application.remote_files import RemoveFile, VerifyFile
from jcds2.application.route import ChooseRoute
from jcds2.application.sync import CloudPoint, SyncDistributionPoints
from jcds2.application.upload import UploadPackageFile
from jcds2.application.upload_orders import FileFirst, PackageFirst
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import TransferConfig

if TYPE_CHECKING:
    from jcds2.adapters.s3 import RenewTicket, S3ObjectUploader


def s3_object_uploader(
    config: TransferConfig,
    endpoint_url: str | None,
    verify: bool | str,
    renew: RenewTicket,
) -> S3ObjectUploader:
    """The JCDS route's :class:`~jcds2.adapters.s3.S3ObjectUploader`, its module imported here.

    botocore (and boto3, on the first upload) load only when an upload goes through S3, not
    for ``ls``, ``download`` or the packages route (issue 17).
    """
    from jcds2.adapters.s3 import S3ObjectUploader  # noqa: PLC0415

    return S3ObjectUploader(config=config, endpoint_url=endpoint_url, verify=verify, renew=renew)


def _chosen_route(choose: ChooseRoute, requested: str | None, file_share: str | None) -> str:
    return choose(requested or "jcds", file_share=file_share is not None)


def tls_verify(verify: bool | str | None) -> bool | str:
    """The ``verify`` setting for every host: unset means verify with the system's trust."""
    return True if verify is None else verify


# The resources are classes, not generator functions: a generator left suspended in a
# container that was never shut down is finalized by the garbage collector, at
# interpreter shutdown at the latest, and its cleanup (an HTTP request) would then run
# while Python tears itself down. A class-based resource is shut down only when
# ``shutdown_resources()`` asks; ``JamfProClient`` does that on close() and at exit.


class HttpSession(resources.Resource[requests.Session]):
    """A pooled ``requests.Session``, closed when the container shuts down."""

    def init(self, config: TransferConfig, verify: bool | str) -> requests.Session:
        return build_session(config, verify)

    def shutdown(self, resource: requests.Session | None) -> None:
        if resource is not None:
            resource.close()


class DownloadHttpSession(HttpSession):
    """The session for signed download URLs: no credentials, connection retries only.

    The range fetcher retries answers itself. ``verify`` is the same as for the Jamf Pro
    server: a CA bundle (for a network whose TLS inspection re-signs every host, say) or
    ``False`` applies to every host jcds2 talks to.
    """

    def init(self, config: TransferConfig, verify: bool | str) -> requests.Session:
        return build_session(config, verify, retry=build_connect_retry(config))


class JamfHttp(resources.Resource[JamfHttpClient]):
    """The authenticated Jamf client; its token is invalidated when the container shuts down."""

    def init(
        self,
        session: requests.Session,
        server: JamfServer,
        credentials: CredentialsProvider,
        config: TransferConfig,
    ) -> JamfHttpClient:
        return JamfHttpClient(session, server, credentials, config)

    def shutdown(self, resource: JamfHttpClient | None) -> None:
        if resource is not None:
            resource.invalidate()


class Jcds2Container(containers.DeclarativeContainer):
    """Everything jcds2 needs to talk to one Jamf Pro server along one route.

    Configuration keys: ``server`` (host name or URL), ``verify`` (``True``, ``False``
    or a CA bundle path), ``s3_endpoint_url`` (``None`` for boto3's own resolution),
    ``route`` (``"jcds"``, the default, ``"packages"`` or ``"auto"``) and
    ``file_share_path`` (a mounted share: the file-share route).

    ``route`` is chosen once (:class:`~jcds2.application.route.ChooseRoute`), and
    ``package_repository``, ``file_store``, ``object_uploader``, ``range_fetcher`` and
    ``upload_order`` select that route's part.
    """

    config = providers.Configuration(default={"route": "jcds"})
    credentials = providers.Dependency(instance_of=CredentialsProvider)  # type: ignore[type-abstract]
    transfer_config = providers.ThreadSafeSingleton(TransferConfig)

    server = providers.ThreadSafeSingleton(JamfServer.parse, config.server)
    # One TLS setting for the Jamf Pro server, the download host and S3 alike.
    verify = providers.Callable(tls_verify, config.verify)
    # Two sessions: the Jamf one carries the bearer token, the download one never does.
    jamf_session = providers.Resource(HttpSession, transfer_config, verify)
    download_session = providers.Resource(DownloadHttpSession, transfer_config, verify)
    jamf_http = providers.Resource(
        JamfHttp,
        session=jamf_session,
        server=server,
        credentials=credentials,
        config=transfer_config,
    )
    server_info = providers.ThreadSafeSingleton(ProApiServerInfo, http=jamf_http)

    # Package objects: the Classic API (file-first routes) or the Pro API (packages route).
    package_lookup = providers.ThreadSafeSingleton(ProApiPackageLookup, http=jamf_http)
    classic_package_repository = providers.ThreadSafeSingleton(
        ClassicApiPackageRepository,
        http=jamf_http,
        find_by_file_name=package_lookup.provided.find_by_file_name,
    )
    pro_package_repository = providers.ThreadSafeSingleton(ProApiPackageRepository, http=jamf_http)
    # Categories, by name or id, for every route: the Pro API's /api/v1/categories.
    category_directory = providers.ThreadSafeSingleton(ProApiCategoryDirectory, http=jamf_http)

    # The JCDS files route: files through /api/v1/jcds, bytes through S3 and signed URLs.
    jcds_file_store = providers.ThreadSafeSingleton(JcdsApiFileStore, http=jamf_http)
    s3_uploader = providers.ThreadSafeSingleton(
        s3_object_uploader,
        config=transfer_config,
        endpoint_url=config.s3_endpoint_url,
        verify=verify,
        renew=jcds_file_store.provided.renew_credentials,
    )
    http_range_fetcher = providers.ThreadSafeSingleton(
        HttpRangeFetcher, session=download_session, config=transfer_config
    )

    # Jamf's packages route: package first, file into it, server-side verification.
    packages_file_store = providers.ThreadSafeSingleton(
        PackagesApiFileStore, http=jamf_http, files=jcds_file_store
    )
    form_uploader = providers.ThreadSafeSingleton(
        PackageFormUploader, http=jamf_http, config=transfer_config
    )

    # A file share (mounted SMB/AFP): files in its Packages folder.
    file_share_store = providers.ThreadSafeSingleton(FileShareStore, config.file_share_path)
    file_share_uploader = providers.ThreadSafeSingleton(FileShareUploader, config=transfer_config)
    file_range_fetcher = providers.ThreadSafeSingleton(FileRangeFetcher)

    # The route, chosen once; each port below is that route's part.
    choose_route = providers.Factory(ChooseRoute, server=server_info)
    route = providers.ThreadSafeSingleton(
        _chosen_route, choose_route, config.route, config.file_share_path
    )
    package_repository = providers.Selector(
        route,
        jcds=classic_package_repository,
        file_share=classic_package_repository,
        packages=pro_package_repository,
    )
    file_store = providers.Selector(
        route, jcds=jcds_file_store, file_share=file_share_store, packages=packages_file_store
    )
    object_uploader = providers.Selector(
        route, jcds=s3_uploader, file_share=file_share_uploader, packages=form_uploader
    )
    range_fetcher = providers.Selector(
        route,
        jcds=http_range_fetcher,
        file_share=file_range_fetcher,
        packages=http_range_fetcher,
    )
    # Jamf's fail-upload, for a package's upload the distribution point did not confirm.
    pro_failed_uploads = providers.ThreadSafeSingleton(ProApiFailedUploads, http=jamf_http)
    failed_uploads = providers.Selector(
        route,
        jcds=pro_failed_uploads,
        file_share=providers.Object(None),
        packages=pro_failed_uploads,
    )
    upload_order = providers.Selector(
        route,
        jcds=providers.Object(FileFirst()),
        file_share=providers.Object(FileFirst()),
        packages=providers.Object(PackageFirst()),
    )

    # Edits go through the Pro API on every route: it has every setting admins set, and it
    # reports the size and hashes that show an edit left the file alone (ADR 0023).
    edit_package = providers.Factory(
        EditPackage,
        packages=pro_package_repository,
        settings=pro_package_repository,
        categories=category_directory,
        files=packages_file_store,
        config=transfer_config,
    )
    upload_package_file = providers.Factory(
        UploadPackageFile,
        packages=package_repository,
        files=file_store,
        uploader=object_uploader,
        config=transfer_config,
        order=upload_order,
        categories=category_directory,
        edit=edit_package,
        failures=failed_uploads,
    )
    upload_package_files = providers.Factory(UploadPackageFiles, upload=upload_package_file)
    download_file = providers.Factory(
        DownloadFile, files=file_store, fetcher=range_fetcher, config=transfer_config
    )
    # The file of a package is removed with it; Jamf Pro finds packages through the Pro API.
    # What uses each package: Classic policies and Pro API computer PreStages.
    package_users = providers.ThreadSafeSingleton(JamfApiPackageUsers, http=jamf_http)
    remove_file = providers.Factory(
        RemoveFile, packages=pro_package_repository, files=file_store, users=package_users
    )
    verify_file = providers.Factory(VerifyFile, files=file_store)
    delete_package = providers.Factory(
        DeletePackage, packages=pro_package_repository, users=package_users
    )
    # Status: package records by the page, and the distribution point's own inventory (the
    # cloud distribution point's on both JCDS routes; a file share has no transfer status).
    package_catalog = providers.ThreadSafeSingleton(ProApiPackageCatalog, http=jamf_http)
    cloud_inventory = providers.ThreadSafeSingleton(ProApiDistributionInventory, http=jamf_http)
    distribution_inventory = providers.Selector(
        route, jcds=cloud_inventory, file_share=file_share_store, packages=cloud_inventory
    )
    read_package_status = providers.Factory(
        ReadPackageStatus, packages=package_catalog, inventory=distribution_inventory
    )
    audit_distribution_point = providers.Factory(
        AuditDistributionPoint,
        catalog=package_catalog,
        files=file_store,
        inventory=distribution_inventory,
        users=package_users,
        packages=pro_package_repository,
    )
    # Sync (ADR 0029): folders and shares opened per endpoint; the JCDS through the route's
    # upload, download and remove; a deletion a policy or PreStage forbids is refused.
    sync_cloud = providers.Factory(
        CloudPoint,
        files=file_store,
        catalog=package_catalog,
        upload=upload_package_file,
        download=download_file,
        remove=remove_file,
        users=package_users,
    )
    sync_distribution_points = providers.Factory(
        SyncDistributionPoints,
        folders=providers.Factory(FolderOpener, config=transfer_config),
        cloud=sync_cloud.provider,  # built when a point is jcds, not before
    )
