"""In-memory fakes of jcds2's ports, for testing use-cases and your own automation.

Each fake records what was done to it, so tests assert on state rather than on calls::

    packages, files = InMemoryPackageRepository(), InMemoryFileStore()
    upload = UploadPackageFile(packages, files, InMemoryObjectUploader(files))
    upload("/tmp/Tool.pkg")
    assert files.contents["Tool.pkg"] == Path("/tmp/Tool.pkg").read_bytes()

Failures are scripted by putting exceptions into the ``fail_*`` lists: the next
matching call pops one and raises it.

``InMemoryFileStore(into_packages=True)`` behaves like Jamf's packages route (use it
with the ``PackageFirst`` order): a file is uploaded into an existing package, and the
store reports the new file only after ``refresh`` and ``pending_looks`` further looks
(``describe``); ``server_outcomes`` scripts what the server makes of the next uploads
(``"corrupt"``, ``"zero_size"``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
import struct
import threading
import uuid
import zlib
from collections.abc import Collection, Sequence

import attrs

from jcds2.application.cancel import CancelToken
from jcds2.application.ports import ProgressCallback, RangeSink
from jcds2.domain.errors import (
    DownloadError,
    DownloadUrlExpiredError,
    PackageNameTakenError,
    PackageNotFoundError,
    RemoteFileNotFoundError,
)
from jcds2.domain.models import (
    Category,
    HashType,
    LocalFile,
    Package,
    PackageSpec,
    RemoteFile,
    S3Credentials,
    StoredFileState,
    TransferStatus,
    UploadCapability,
    UploadTarget,
    UploadTicket,
)
from jcds2.domain.package_settings import NO_CATEGORY_ID, PackageSettings
from jcds2.domain.status import FileInventory
from jcds2.domain.transfer import ByteRange, TransferConfig
from jcds2.domain.usage import PackageUsage, PackageUser

__all__ = [
    "FixedServerInfo",
    "InMemoryCategoryDirectory",
    "InMemoryFailedUploads",
    "InMemoryFileStore",
    "InMemoryObjectUploader",
    "InMemoryPackageRepository",
    "InMemoryPackageTarget",
    "InMemoryPackageUsers",
    "InMemoryRangeFetcher",
    "flat_package",
    "flat_package_head",
]


def _pop(failures: list[Exception]) -> None:
    if failures:
        raise failures.pop(0)


@attrs.define
class InMemoryPackageRepository:
    """Package objects in a dict, keyed by id, with their settings (``settings``).

    Like Jamf Pro, a settings write blanks a package's size until ``store`` refreshes
    the inventory of its file (``write_blanks_size=False``: it does not).
    """

    packages: dict[int, Package] = attrs.field(factory=dict)
    specs: dict[int, PackageSpec] = attrs.field(factory=dict)
    lookups: int = 0
    listings: int = 0
    fail_create: list[Exception] = attrs.field(factory=list)
    fail_lookup: list[Exception] = attrs.field(factory=list)
    create_then_fail: list[Exception] = attrs.field(factory=list)
    fail_delete: list[Exception] = attrs.field(factory=list)
    #: When set, deleting a package deletes its file there too (as Jamf Pro does), and, for
    #: a store that takes uploads into packages, a package reports the hashes, size and
    #: status of the file the store took in (as Jamf Pro's packages route does).
    store: InMemoryFileStore | None = None
    deleted: list[int] = attrs.field(factory=list)
    settings: dict[int, PackageSettings] = attrs.field(factory=dict)
    #: Every settings write, in order: the package id and the fields written.
    settings_writes: list[tuple[int, PackageSettings]] = attrs.field(factory=list)
    fail_write: list[Exception] = attrs.field(factory=list)
    write_blanks_size: bool = True
    _next_id: int = 1
    #: Packages whose size a write blanked: the store's refreshes of the file until then.
    _blanked: dict[int, int] = attrs.field(factory=dict)

    def add(self, name: str, file_name: str, **reported: object) -> Package:
        """Add a package; ``reported`` sets what the server reports (hashes, size...)."""
        package = Package(id=self._next_id, name=name, file_name=file_name, **reported)  # type: ignore[arg-type]
        self.packages[package.id] = package
        self._next_id += 1
        return package

    def find_by_file_name(self, file_name: str) -> Package | None:
        self.lookups += 1
        _pop(self.fail_lookup)
        found = next((p for p in self.packages.values() if p.file_name == file_name), None)
        return self._as_reported(found)

    def find_by_name(self, name: str) -> Package | None:
        return self._as_reported(next((p for p in self.packages.values() if p.name == name), None))

    def list_packages(self, names: Collection[str] | None = None) -> list[Package]:
        """The packages a name or file name of ``names`` names, in any case (``None``: all),
        by id; ``listings`` counts the calls (a server would answer each in one page)."""
        self.listings += 1
        _pop(self.fail_lookup)
        wanted = None if names is None else {name.casefold() for name in names}
        found = [
            self._as_reported(package)
            for _, package in sorted(self.packages.items())
            if wanted is None or {package.name.casefold(), package.file_name.casefold()} & wanted
        ]
        return [package for package in found if package is not None]

    def get(self, package_id: int) -> Package | None:
        return self._as_reported(self.packages.get(package_id))

    def _as_reported(self, package: Package | None) -> Package | None:
        package = self._from_store(package)
        if package is None or package.id not in self._blanked:
            return package
        refreshes = 0 if self.store is None else self.store.refreshes.count(package.file_name)
        if refreshes > self._blanked[package.id]:
            del self._blanked[package.id]
            return package
        return attrs.evolve(package, size=None)

    def _from_store(self, package: Package | None) -> Package | None:
        if package is None or self.store is None or not self.store.into_packages:
            return package
        state = self.store.taken_in(package.file_name)
        if state is None or state.sha3_512 is None:
            return package
        return attrs.evolve(
            package,
            hash_type=HashType.SHA3_512.value,
            hash_value=state.sha3_512,
            sha3_512=state.sha3_512,
            md5=state.md5,
            size=state.size,
            status=state.status,
        )

    def record_hash(self, package_id: int, hash_type: HashType, hash_value: str) -> None:
        package = self.packages[package_id]
        self.packages[package_id] = attrs.evolve(
            package, hash_type=hash_type.value, hash_value=hash_value
        )

    def read_settings(self, package_id: int) -> PackageSettings | None:
        package = self.packages.get(package_id)
        if package is None:
            return None
        settings = self.settings.get(package_id) or PackageSettings(
            category_id=NO_CATEGORY_ID,
            category_name="",
            info="",
            notes="",
            priority=10,
            os_requirements="",
            **dict.fromkeys(_FLAGS, False),  # type: ignore[arg-type]
        )
        return attrs.evolve(settings, package_name=package.name)

    def write_settings(self, package_id: int, changes: PackageSettings) -> None:
        _pop(self.fail_write)
        current = self.read_settings(package_id)
        if current is None:
            raise PackageNotFoundError(package_id)
        name = changes.package_name
        if name is not None and any(
            other.name == name and other.id != package_id for other in self.packages.values()
        ):
            raise PackageNameTakenError(f"a package named {name!r} already exists")
        self.settings_writes.append((package_id, changes))
        self.settings[package_id] = attrs.evolve(current, **changes.given())
        package = self.packages[package_id]
        self.packages[package_id] = attrs.evolve(package, name=name or package.name)
        if self.write_blanks_size:
            store = self.store
            self._blanked[package_id] = (
                0 if store is None else store.refreshes.count(package.file_name)
            )

    def create(self, spec: PackageSpec) -> Package:
        _pop(self.fail_create)
        package = self.add(spec.name, spec.file_name)
        self.settings[package.id] = PackageSettings(
            category_id=NO_CATEGORY_ID if spec.category_id is None else spec.category_id,
            category_name=spec.category or "",
            info=spec.info or "",
            notes=spec.notes or "",
            priority=spec.priority,
            os_requirements="",
            **dict.fromkeys(_FLAGS, False),  # type: ignore[arg-type]
        )
        package = attrs.evolve(
            package,
            hash_type=spec.hash_type.value if spec.hash_type else None,
            hash_value=spec.hash_value,
        )
        self.packages[package.id] = package
        self.specs[package.id] = spec
        _pop(self.create_then_fail)  # the server made it, but the answer was lost
        return package

    def delete(self, package_id: int) -> None:
        _pop(self.fail_delete)
        package = self.packages.pop(package_id, None)
        self.specs.pop(package_id, None)
        self.deleted.append(package_id)
        if package is not None and self.store is not None:
            self.store.contents.pop(package.file_name, None)


#: The settings that are flags (all ``False`` for a new package).
_FLAGS = (
    "reboot_required",
    "fill_user_template",
    "fill_existing_users",
    "os_install",
    "suppress_updates",
    "suppress_from_dock",
    "suppress_eula",
    "suppress_registration",
)


@attrs.define
class InMemoryPackageUsers:
    """Policies and PreStages by the packages they use; ``fail`` raises its errors in turn
    (a server that cannot answer); ``looks`` counts the calls."""

    usage: dict[int, tuple[PackageUser, ...]] = attrs.field(factory=dict)
    fail: list[Exception] = attrs.field(factory=list)
    looks: int = 0

    def use(self, package_id: int, *users: PackageUser) -> None:
        """Record that ``users`` use the package ``package_id``."""
        mine = set(self.usage.get(package_id, ())) | set(users)
        self.usage[package_id] = tuple(sorted(mine, key=lambda user: (user.kind, user.id)))

    def package_usage(self) -> PackageUsage:
        self.looks += 1
        _pop(self.fail)
        return dict(self.usage)


@attrs.define
class InMemoryFailedUploads:
    """Jamf's ``fail-upload`` over an :class:`InMemoryPackageRepository`: marks the
    upload of a file a package uses failed (``marked``, with that package's id), and
    answers ``False`` for a file no package uses, or for every file when not
    ``supported`` (a server before Jamf Pro 11.24)."""

    packages: InMemoryPackageRepository
    supported: bool = True
    marked: list[tuple[str, int]] = attrs.field(factory=list)
    fail_mark: list[Exception] = attrs.field(factory=list)

    def mark_failed(self, file_name: str) -> bool:
        _pop(self.fail_mark)
        user = next((p for p in self.packages.packages.values() if p.file_name == file_name), None)
        if not self.supported or user is None:
            return False
        self.marked.append((file_name, user.id))
        return True


@attrs.define
class InMemoryCategoryDirectory:
    """Categories in a dict, keyed by id; ``lookups`` counts the requests a server would get.

    Names are compared as Jamf compares them: an exact match first, else the one that
    differs only in case.
    """

    categories: dict[int, Category] = attrs.field(factory=dict)
    lookups: int = 0
    created: list[Category] = attrs.field(factory=list)
    fail_lookup: list[Exception] = attrs.field(factory=list)
    fail_create: list[Exception] = attrs.field(factory=list)
    _next_id: int = 1

    def add(self, name: str) -> Category:
        """Add a category (as an admin would in Settings > Categories)."""
        category = Category(id=self._next_id, name=name)
        self.categories[category.id] = category
        self._next_id += 1
        return category

    def find_by_name(self, name: str) -> Category | None:
        self.lookups += 1
        _pop(self.fail_lookup)
        exact = [c for c in self.categories.values() if c.name == name]
        folded = [c for c in self.categories.values() if c.name.casefold() == name.casefold()]
        return exact[0] if exact else folded[0] if len(folded) == 1 else None

    def get(self, category_id: int) -> Category | None:
        self.lookups += 1
        _pop(self.fail_lookup)
        return self.categories.get(category_id)

    def create(self, name: str) -> Category:
        _pop(self.fail_create)
        found = next((c for c in self.categories.values() if c.name == name), None)
        if found is not None:
            return found
        category = self.add(name)
        self.created.append(category)
        return category


@attrs.frozen
class InMemoryPackageTarget(UploadTarget):
    """Where the packages route uploads: into a package."""

    package_id: int


@attrs.define
class InMemoryFileStore:
    """JCDS files as bytes in a dict; download URLs are ``memory://<name>/<generation>``."""

    contents: dict[str, bytes] = attrs.field(factory=dict)
    #: Like Jamf's packages route: files go into packages, and transfer statuses are reported.
    into_packages: bool = False
    pending_looks: int = 0
    server_outcomes: list[str] = attrs.field(factory=list)
    refreshes: list[str] = attrs.field(factory=list)
    looks: int = 0
    fail_describe: list[Exception] = attrs.field(factory=list)
    tickets: list[UploadTarget] = attrs.field(factory=list)
    renewals: int = 0
    url_requests: int = 0
    report_md5: bool = True
    credential_lifetime: dt.timedelta = dt.timedelta(hours=1)
    fail_open: list[Exception] = attrs.field(factory=list)
    fail_delete: list[Exception] = attrs.field(factory=list)
    #: The transfer status the inventory reports for a file, where a test sets one; files
    #: still being taken in are ``PENDING``, the others ``READY``.
    transfer_statuses: dict[str, TransferStatus] = attrs.field(factory=dict)
    #: ``False``: a distribution point without transfer statuses (a file share).
    tracks_transfers: bool = True
    inventory_looks: int = 0

    def _credentials(self) -> S3Credentials:
        return S3Credentials(
            access_key_id="FAKEACCESSKEY",
            secret_access_key=uuid.uuid4().hex,
            session_token=uuid.uuid4().hex,
            expiration=dt.datetime.now(dt.timezone.utc) + self.credential_lifetime,
        )

    _reported: dict[str, StoredFileState] = attrs.field(factory=dict)
    _pending: dict[str, list[object]] = attrs.field(factory=dict)

    def open_upload(self, file_name: str, package: Package | None = None) -> UploadTarget:
        _pop(self.fail_open)
        if self.into_packages:
            if package is None:
                raise ValueError("this store uploads into packages: give the package")
            target = InMemoryPackageTarget(file_name=file_name, package_id=package.id)
            self.tickets.append(target)
            return target
        upload_id = str(uuid.uuid4())
        ticket = UploadTicket(
            file_name=file_name,
            bucket="fake-bucket",
            key=f"tmp/{upload_id}/{file_name}",
            region="us-east-1",
            upload_id=upload_id,
            credentials=self._credentials(),
        )
        self.tickets.append(ticket)
        return ticket

    def renew_credentials(self, ticket: UploadTicket) -> UploadTicket:
        """Fresh credentials for ``ticket`` (what the S3 side asks the JCDS for)."""
        self.renewals += 1
        return attrs.evolve(ticket, credentials=self._credentials())

    def receive(self, file_name: str, data: bytes) -> None:
        """Store an uploaded file; what the server will report follows ``server_outcomes``."""
        outcome = self.server_outcomes.pop(0) if self.server_outcomes else "ok"
        self.contents[file_name] = data
        seen = bytes([data[0] ^ 0xFF]) + data[1:] if outcome == "corrupt" and data else data
        state = StoredFileState(
            size=0 if outcome == "zero_size" else len(seen),
            sha3_512=hashlib.sha3_512(seen).hexdigest(),
            md5=hashlib.md5(seen).hexdigest(),  # noqa: S324 - what Jamf reports
            # Only the packages route reports transfer statuses.
            status=TransferStatus.READY if self.into_packages else None,
        )
        # [looks left, refreshed yet, the state to report once taken in]
        self._pending[file_name] = [self.pending_looks, False, state]

    def refresh(self, target: UploadTarget) -> None:
        self.refreshes.append(target.file_name)
        pending = self._pending.get(target.file_name)
        if pending is not None:
            pending[1] = True

    def describe(self, target: UploadTarget) -> StoredFileState | None:
        self.looks += 1
        _pop(self.fail_describe)
        name = target.file_name
        pending = self._pending.get(name)
        if pending is not None:
            looks_left, refreshed, state = pending
            assert isinstance(looks_left, int)
            assert isinstance(state, StoredFileState)
            if refreshed and looks_left <= 0:
                self._reported[name] = state
                del self._pending[name]
            else:
                if refreshed:
                    pending[0] = looks_left - 1
                before = self._reported.get(name)
                if not self.into_packages:
                    return before
                if before is None:
                    return StoredFileState(None, status=TransferStatus.PENDING)
                return attrs.evolve(before, status=TransferStatus.PENDING)
        if name not in self.contents:
            self._reported.pop(name, None)
            return None
        return self._reported.get(name)

    def taken_in(self, file_name: str) -> StoredFileState | None:
        """What the store last reported about ``file_name`` once it had taken it in."""
        return self._reported.get(file_name) if file_name in self.contents else None

    def file_inventory(self, file_names: Collection[str] | None = None) -> FileInventory:
        """The files held among ``file_names`` (``None``: all), with their transfer statuses."""
        self.inventory_looks += 1
        wanted = self.contents if file_names is None else set(file_names) & set(self.contents)
        if not self.tracks_transfers:
            return FileInventory(dict.fromkeys(wanted), tracks_transfers=False)
        statuses: dict[str, TransferStatus | None] = {}
        for name in wanted:
            taking_in = TransferStatus.PENDING if name in self._pending else TransferStatus.READY
            statuses[name] = self.transfer_statuses.get(name, taking_in)
        return FileInventory(statuses)

    def download_url(self, file_name: str) -> str:
        if file_name not in self.contents:
            raise RemoteFileNotFoundError(file_name)
        self.url_requests += 1
        return f"memory://{file_name}/{self.url_requests}"

    def list_files(self) -> list[RemoteFile]:
        return [
            RemoteFile(
                file_name=name,
                size=len(data),
                md5=hashlib.md5(data).hexdigest() if self.report_md5 else None,  # noqa: S324
            )
            for name, data in self.contents.items()
        ]

    def delete(self, file_name: str) -> None:
        _pop(self.fail_delete)
        if self.contents.pop(file_name, None) is None:
            raise RemoteFileNotFoundError(file_name)


@attrs.define
class InMemoryObjectUploader:
    """Stores the uploaded file's bytes in an :class:`InMemoryFileStore`."""

    store: InMemoryFileStore
    config: TransferConfig = attrs.field(factory=TransferConfig)
    uploads: list[tuple[UploadTarget, bool]] = attrs.field(factory=list)
    fail_upload: list[Exception] = attrs.field(factory=list)
    renew_before_upload: bool = False
    #: Whether ``discard`` can tell its own uploads apart (as S3 keys and share inodes do);
    #: ``False``: like an uploader that cannot, leaving the clean-up to the file name.
    discards: bool = True
    _stored: list[tuple[UploadTarget, bytes]] = attrs.field(factory=list)

    def upload(
        self,
        target: UploadTarget,
        source: LocalFile,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> bool:
        if cancel is not None:
            cancel.check()
        ticket = target
        if self.renew_before_upload and isinstance(ticket, UploadTicket):
            ticket = self.store.renew_credentials(ticket)
        _pop(self.fail_upload)
        data = source.path.read_bytes()
        self.store.receive(ticket.file_name, data)
        self._stored.append((target, self.store.contents[ticket.file_name]))
        if progress is not None:
            progress(len(data))
        multipart = source.size >= self.config.multipart_threshold
        self.uploads.append((ticket, multipart))
        return multipart

    def discard(self, target: UploadTarget) -> bool:
        """Delete the file stored through ``target`` if the store still holds that very
        upload (the same bytes object) under its name."""
        if not self.discards:
            return False
        for sent, data in self._stored:
            if sent == target and self.store.contents.get(target.file_name) is data:
                del self.store.contents[target.file_name]
        return True


@attrs.define
class InMemoryRangeFetcher:
    """Serves ranges of an :class:`InMemoryFileStore`'s files.

    ``expired_generations`` lists URL generations that answer as expired;
    ``corrupt`` flips a byte of what is served (to test integrity checks);
    ``fail_fetch`` raises on the next fetches.
    """

    store: InMemoryFileStore
    fetched: list[ByteRange] = attrs.field(factory=list)
    expired_generations: set[int] = attrs.field(factory=set)
    corrupt: bool = False
    fail_fetch: list[Exception] = attrs.field(factory=list)
    size_offset: int = 0
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def _data(self, url: str) -> bytes:
        name, _, generation = url.removeprefix("memory://").rpartition("/")
        if int(generation) in self.expired_generations:
            raise DownloadUrlExpiredError("the fake URL has expired")
        try:
            return self.store.contents[name]
        except KeyError:
            raise DownloadError(f"no file behind {url}") from None

    def size(self, url: str) -> int:
        return len(self._data(url)) + self.size_offset

    def fetch(
        self,
        url: str,
        byte_range: ByteRange,
        sink: RangeSink,
        *,
        cancel: CancelToken | None = None,
    ) -> None:
        if cancel is not None:
            cancel.check()
        with self._lock:
            _pop(self.fail_fetch)
        data = self._data(url)[byte_range.start : byte_range.end + 1]
        if self.corrupt and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        with self._lock:
            self.fetched.append(byte_range)
        sink(byte_range.start, memoryview(data))


@attrs.define
class FixedServerInfo:
    """A server that reports ``version`` and whether it takes direct uploads;
    ``fail_capability`` raises on the next capability questions."""

    direct_upload_capable: bool = True
    version: str = "11.30.1-t1700000000000"
    fail_capability: list[Exception] = attrs.field(factory=list)
    capability_questions: int = 0

    def server_version(self) -> str:
        return self.version

    def upload_capability(self) -> UploadCapability:
        self.capability_questions += 1
        _pop(self.fail_capability)
        return UploadCapability(
            principal_distribution_technology=True,
            direct_upload_capable=self.direct_upload_capable,
        )


# --- stand-in packages ------------------------------------------------------------------


def flat_package_head(
    seed: int = 0, certificates: Sequence[bytes] = (), *, checksum: bool = True
) -> bytes:
    """The start of a stand-in flat package: a xar header, a table of contents with its
    SHA-1 checksum and, given ``certificates`` (DER, leaf first), a signature naming them;
    then the heap's first bytes. Append any bytes to make it as large as wanted.
    ``checksum=False``: the smallest head (no checksum, an empty table of contents, some
    50 bytes), for a stand-in of a hundred bytes.

    It passes jcds2's guardrails, not a Mac's installer: there is no payload, and the
    signature's bytes are random (jcds2 finds a signature and names its signer, it does
    not verify it).
    """
    generator = random.Random(seed)  # noqa: S311 (reproducible stand-in bytes)
    signature = ""
    heap_signature = b""
    if certificates:
        encoded = "".join(
            f"<X509Certificate>{base64.b64encode(der).decode()}</X509Certificate>"
            for der in certificates
        )
        signature = (
            '<signature style="RSA"><offset>20</offset><size>256</size>'
            '<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">'
            f"<X509Data>{encoded}</X509Data></KeyInfo></signature>"
        )
        heap_signature = generator.randbytes(256)
    if not checksum:
        if certificates:
            raise ValueError("a signed stand-in has a checksum: its signature follows it")
        toc = b"<xar><toc/></xar>"
        compressed = zlib.compress(toc)
        return struct.pack(">4sHHQQI", b"xar!", 28, 1, len(compressed), len(toc), 0) + compressed
    toc = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<xar><toc>'
        '<checksum style="sha1"><offset>0</offset><size>20</size></checksum>'
        f"<creation-time>2026-12-01T00:00:{seed % 60:02d}</creation-time>{signature}"
        '<file id="1"><name>Distribution</name><type>file</type></file>'
        "</toc></xar>\n"
    ).encode()
    compressed = zlib.compress(toc)
    header = struct.pack(">4sHHQQI", b"xar!", 28, 1, len(compressed), len(toc), 1)
    # xar's own default checksum of its table of contents, not a security measure.
    digest = hashlib.sha1(compressed, usedforsecurity=False).digest()
    heap = digest + heap_signature + generator.randbytes(32)
    return header + compressed + heap


def flat_package(size: int = 512, *, seed: int = 0, certificates: Sequence[bytes] = ()) -> bytes:
    """A stand-in flat package of exactly ``size`` bytes (see :func:`flat_package_head`;
    the smallest head where the usual one is too large), the same for the same ``seed``:
    for tests and examples against the emulator, now that jcds2 uploads only a ``.pkg``
    that is one."""
    head = flat_package_head(seed, certificates)
    if size < len(head) and not certificates:
        head = flat_package_head(seed, checksum=False)
    if size < len(head):
        raise ValueError(f"a stand-in flat package takes at least {len(head)} bytes")
    return head + random.Random(seed).randbytes(size - len(head))  # noqa: S311
