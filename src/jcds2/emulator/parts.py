"""What an emulator is made of: its state, its logs and fault engine, and its Jamf routes.

``JamfEmulator`` (``server.py``) starts and stops the servers and is the public handle; the
parts here are what those servers share: the package, category and history stores, the
cloud distribution point, inventory refreshes, tokens and upload tickets, the request logs,
the fault engine, and the route handlers built over them.
"""

from __future__ import annotations

import functools
import os

import attrs

from jcds2.emulator.account import AccountRoutes
from jcds2.emulator.auth import AuthRoutes, TokenStore
from jcds2.emulator.categories import CategoryStore
from jcds2.emulator.categories_classic import ClassicCategoryRoutes
from jcds2.emulator.categories_pro import ProCategoryRoutes
from jcds2.emulator.cdp import DistributionPoint, check_cdn_type
from jcds2.emulator.cdp_routes import CloudDistributionPointRoutes, InventoryFileIds
from jcds2.emulator.cdp_settings import CloudDistributionPointSettingsRoutes
from jcds2.emulator.classic import ClassicPackageRoutes
from jcds2.emulator.external import ExternalFiles
from jcds2.emulator.faults import FaultEngine, FaultPlan
from jcds2.emulator.history import ObjectHistory, PackageHistory, PackageHistoryRoutes
from jcds2.emulator.issued import IssuedSecrets
from jcds2.emulator.jcds import JcdsRoutes, TicketStore
from jcds2.emulator.jsonbody import BodyReader
from jcds2.emulator.manifest import PackageManifestRoutes
from jcds2.emulator.package_checks import PackageChecks
from jcds2.emulator.policies import ClassicPolicyRoutes, PolicyPackage, PolicyStore
from jcds2.emulator.prestages import PrestageStore, ProPrestageRoutes
from jcds2.emulator.pro import ProPackageRoutes
from jcds2.emulator.pro_bulk import PackageBulkRoutes
from jcds2.emulator.requestlog import RequestLog
from jcds2.emulator.s3 import S3Bucket
from jcds2.emulator.s3server import S3RequestLog, WriteOrder
from jcds2.emulator.schemas import pro_api_schema
from jcds2.emulator.state import Package, PackageStore, check_transfer_delay
from jcds2.emulator.system import InventoryRefreshes, SystemRoutes, check_refresh_interval
from jcds2.emulator.upload import PackageUploadRoutes
from jcds2.emulator.web import Route


def _preloaded(new_id: int, name: str) -> Package:
    return Package(id=new_id, package_name=name, file_name=name)


@attrs.frozen
class Settings:
    """What the Jamf routes are told once, at start: credentials, TTLs, capabilities."""

    username: str
    password: str
    client_id: str
    client_secret: str
    credential_ttl_seconds: float
    direct_upload_capable: bool
    version: str
    external: ExternalFiles | None


@attrs.frozen
class Initial:
    """The constructor's values of what tests may change and ``reset()`` restores."""

    token_ttl_seconds: float
    transfer_delay_seconds: float = attrs.field(converter=check_transfer_delay)
    strict_json: bool = attrs.field(converter=bool)
    cdn_type: str = attrs.field(converter=check_cdn_type)
    refresh_all_interval_seconds: float = attrs.field(converter=check_refresh_interval)


class EmulatorParts:
    """The state and logs both servers share, and the Jamf routes over them."""

    def __init__(
        self,
        initial: Initial,
        faults: FaultPlan | None,
        request_log_path: str | os.PathLike[str] | None,
    ) -> None:
        self.initial = initial
        self.store = PackageStore(initial.transfer_delay_seconds)
        self.bodies = BodyReader(pro_api_schema(), initial.strict_json)
        self.history = PackageHistory()
        self.categories = CategoryStore()
        self.policies = PolicyStore()
        self.prestages = PrestageStore()
        self.point = DistributionPoint(initial.cdn_type)
        self.cdp_history = ObjectHistory()
        self.file_ids = InventoryFileIds()
        self.refreshes = InventoryRefreshes(self.store, initial.refresh_all_interval_seconds)
        self.write_order = WriteOrder()
        self.tokens = TokenStore(initial.token_ttl_seconds)
        self.tickets = TicketStore()
        self.faults = FaultEngine(faults)
        self.log = RequestLog(request_log_path)
        self.s3_log = S3RequestLog()
        self.issued = IssuedSecrets()

    def preload(self, count: int) -> None:
        """Create ``count`` packages named ``Preloaded-00001.pkg`` and so on."""
        for number in range(1, count + 1):
            name = f"Preloaded-{number:05d}.pkg"
            self.store.create(functools.partial(_preloaded, name=name))

    def preload_policies(self, count: int) -> None:
        """Create ``count`` policies named ``Preloaded Policy 00001`` and so on; each installs
        one package, taking the packages in turn (none when there are none)."""
        packages = self.store.all()
        for number in range(1, count + 1):
            uses: tuple[PolicyPackage, ...] = ()
            if packages:
                package = packages[(number - 1) % len(packages)]
                uses = (PolicyPackage(package.id, package.package_name),)
            self.policies.create(f"Preloaded Policy {number:05d}", uses)

    def jamf_routes(self, bucket: S3Bucket, settings: Settings) -> list[Route]:
        """Every Jamf API route (Pro and Classic), over this state and ``bucket``."""
        packages = ProPackageRoutes(
            self.store,
            bucket,
            self.bodies,
            self.history,
            PackageChecks(self.categories, self.point),
        )
        capable = settings.direct_upload_capable
        return [
            *AuthRoutes(
                self.tokens,
                settings.username,
                settings.password,
                settings.client_id,
                settings.client_secret,
            ).routes(),
            *AccountRoutes().routes(),
            *packages.routes(),
            *PackageBulkRoutes(packages).routes(),
            *PackageHistoryRoutes(self.store, self.history, self.bodies).routes(),
            *PackageManifestRoutes(self.store, self.history).routes(),
            *PackageUploadRoutes(self.store, bucket, self.history, capable, self.point).routes(),
            *SystemRoutes(self.refreshes, settings.version, capable, self.point).routes(),
            *CloudDistributionPointRoutes(
                self.point,
                self.store,
                self.categories,
                bucket,
                settings.external,
                self.file_ids,
            ).routes(),
            *CloudDistributionPointSettingsRoutes(
                self.point, self.cdp_history, self.bodies, self.file_ids
            ).routes(),
            *ProCategoryRoutes(self.categories, self.store, self.bodies).routes(),
            *ClassicCategoryRoutes(self.categories, self.store).routes(),
            *JcdsRoutes(
                bucket,
                self.tickets,
                settings.credential_ttl_seconds,
                settings.external,
                self.issued,
                self.refreshes.answer,
            ).routes(),
            *ClassicPackageRoutes(self.store, bucket, self.categories).routes(),
            *ClassicPolicyRoutes(self.policies, self.store).routes(),
            *ProPrestageRoutes(self.prestages).routes(),
        ]

    def reset(self, bucket: S3Bucket | None) -> None:
        """Forget all state, logs and faults and restore the constructor's settings; issued
        tokens stay valid and the lists of issued secrets are kept."""
        initial = self.initial
        self.faults.clear()
        self.tokens.set_ttl(initial.token_ttl_seconds)
        self.store.set_transfer_delay(initial.transfer_delay_seconds)
        self.bodies.set_strict(initial.strict_json)
        self.store.clear()
        self.history.clear()
        self.categories.clear()
        self.policies.clear()
        self.prestages.clear()
        self.file_ids.clear()
        self.point.set_cdn_type(initial.cdn_type)
        self.cdp_history.clear()
        self.refreshes.clear()
        self.refreshes.set_interval(initial.refresh_all_interval_seconds)
        self.tickets.clear()
        if bucket is not None:
            bucket.clear()
        self.write_order.clear()
        self.log.clear()
        self.s3_log.clear()
        self.faults.clear_log()
