"""Jamf's packages route against the emulator over HTTP: package objects, the streamed
multipart upload into a package, inventory refresh and what the package then reports."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import requests

from jcds2.adapters.http_session import build_session
from jcds2.adapters.jamf_auth import BasicAuthProvider
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_api import JcdsApiFileStore
from jcds2.adapters.pro_packages import (
    PackageFormUploader,
    PackagesApiFileStore,
    PackageUploadTarget,
    ProApiPackageRepository,
    ProApiServerInfo,
    multipart_preamble,
)
from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.domain.errors import (
    ConfigurationError,
    PackageNameTakenError,
    RemoteFileNotFoundError,
    UnknownCategoryError,
    UploadError,
)
from jcds2.domain.models import (
    HashType,
    LocalFile,
    Package,
    PackageSpec,
    StoredFileState,
    TransferStatus,
    UploadCapability,
    UploadTarget,
)
from jcds2.domain.server import JamfServer
from jcds2.domain.transfer import MiB, TransferConfig
from jcds2.emulator import FaultRule, JamfEmulator, ResetUploadFault, StatusFault
from tests.helpers import answer, make_file, recording_server

UPLOAD_PATH = r"/api/v1/packages/\d+/upload"


@pytest.fixture
def repository(jamf_http: JamfHttpClient) -> ProApiPackageRepository:
    return ProApiPackageRepository(jamf_http)


@pytest.fixture
def store(jamf_http: JamfHttpClient) -> PackagesApiFileStore:
    return PackagesApiFileStore(jamf_http, JcdsApiFileStore(jamf_http))


@pytest.fixture
def uploader(jamf_http: JamfHttpClient, transfer_config: TransferConfig) -> PackageFormUploader:
    return PackageFormUploader(jamf_http, transfer_config)


def local(path: Path) -> LocalFile:
    return LocalFile(path, path.stat().st_size)


def sha3(path: Path) -> str:
    digest = hashlib.sha3_512()
    with path.open("rb") as handle:
        while chunk := handle.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def upload_posts(emulator: JamfEmulator) -> int:
    return sum(
        1
        for request in emulator.request_log
        if request.method == "POST" and request.path.endswith("/upload")
    )


def wait_until_ready(
    store: PackagesApiFileStore, target: UploadTarget, timeout: float = 120.0
) -> StoredFileState:
    deadline = time.monotonic() + timeout
    while True:
        state = store.describe(target)
        if state is not None and state.status is TransferStatus.READY:
            return state
        assert time.monotonic() < deadline, f"not READY in time: {state}"
        time.sleep(0.05)


def new_package(
    repository: ProApiPackageRepository, file_name: str, name: str | None = None
) -> Package:
    return repository.create(PackageSpec(name=name or f"Package {file_name}", file_name=file_name))


def as_read(created: Package) -> Package:
    """A package just created as a later read reports it.

    The creation answer is only an id; a read also carries ``cloudTransferStatus``, which
    the schema does not let be null (READY for a package with no upload pending).
    """
    return attrs.evolve(created, status=TransferStatus.READY)


# --- package objects ----------------------------------------------------------------------


def test_create_find_get_and_delete(
    emulator: JamfEmulator, repository: ProApiPackageRepository
) -> None:
    created = repository.create(
        PackageSpec(name="Tool", file_name="Tool-1.0.pkg", info="what", notes="why", priority=7)
    )
    assert (created.name, created.file_name) == ("Tool", "Tool-1.0.pkg")
    [stored] = emulator.packages()
    assert stored["id"] == str(created.id)
    assert (stored["packageName"], stored["fileName"], stored["categoryId"]) == (
        "Tool",
        "Tool-1.0.pkg",
        "-1",
    )
    assert (stored["info"], stored["notes"], stored["priority"]) == ("what", "why", 7)
    assert stored["rebootRequired"] is False
    assert stored["hashType"] is None  # the server manages the hash on this route

    assert repository.find_by_file_name("Tool-1.0.pkg") == as_read(created)
    assert repository.find_by_name("Tool") == as_read(created)
    assert repository.get(created.id) == as_read(created)
    assert repository.find_by_file_name("tool-1.0.pkg") is None
    assert repository.find_by_name("Tool 2") is None

    repository.delete(created.id)
    assert repository.get(created.id) is None
    assert emulator.packages() == []
    repository.delete(created.id)  # a missing package is not an error


@pytest.mark.parametrize(
    ("category", "stored"), [(None, "-1"), ("-1", "-1"), ("{id}", "{id}"), (" {id} ", "{id}")]
)
def test_a_category_is_given_by_id(
    emulator: JamfEmulator,
    repository: ProApiPackageRepository,
    category: str | None,
    stored: str,
) -> None:
    # The emulator refuses a category id no category has: make one (ids count from 1).
    emulator.add_category("Filler")
    category_id = emulator.add_category("Tools")["id"]
    if category is not None:
        category = category.format(id=category_id)
    repository.create(PackageSpec(name="C", file_name="C.pkg", category=category))
    assert emulator.packages()[0]["categoryId"] == stored.format(id=category_id)


def test_a_resolved_category_is_sent_by_its_id(
    emulator: JamfEmulator, repository: ProApiPackageRepository
) -> None:
    emulator.add_category("Filler")
    category_id = emulator.add_category("Tools")["id"]
    spec = PackageSpec(name="C", file_name="C.pkg", category="Tools", category_id=int(category_id))
    repository.create(spec)
    assert emulator.packages()[0]["categoryId"] == category_id


def test_an_unknown_resolved_category_id_raises_unknown_category(
    emulator: JamfEmulator, repository: ProApiPackageRepository
) -> None:
    spec = PackageSpec(name="C", file_name="C.pkg", category="Gone", category_id=42)
    with pytest.raises(UnknownCategoryError, match="no category with id '42'"):
        repository.create(spec)
    assert emulator.packages() == []


def test_a_category_name_is_refused_before_anything_is_sent(
    emulator: JamfEmulator, repository: ProApiPackageRepository
) -> None:
    emulator.clear_request_log()
    with pytest.raises(ConfigurationError, match="category id"):
        repository.create(PackageSpec(name="C", file_name="C.pkg", category="Utilities"))
    assert emulator.request_log == []


def test_an_unknown_category_id_raises_unknown_category(
    emulator: JamfEmulator, repository: ProApiPackageRepository
) -> None:
    with pytest.raises(UnknownCategoryError, match="no category with id '42'"):
        repository.create(PackageSpec(name="C", file_name="C.pkg", category="42"))
    assert emulator.packages() == []


def test_a_taken_name_raises_package_name_taken(repository: ProApiPackageRepository) -> None:
    new_package(repository, "a.pkg", name="Same")
    with pytest.raises(PackageNameTakenError, match="'Same' already exists") as caught:
        new_package(repository, "b.pkg", name="Same")
    assert caught.value.status == 400


def test_lookups_page_through_wildcard_matches_to_the_exact_one(
    emulator: JamfEmulator, jamf_http: JamfHttpClient, repository: ProApiPackageRepository
) -> None:
    # RSQL's '*' matches all of these; the exact one is the last, on the second page.
    for number in range(105):
        new_package(repository, f"wild{number}.pkg", name=f"wild{number}")
    exact = new_package(repository, "wild*.pkg", name="wild*")
    jamf_http.token()
    emulator.clear_request_log()

    assert repository.find_by_file_name("wild*.pkg") == as_read(exact)
    assert repository.find_by_name("wild*") == as_read(exact)
    assert len(emulator.request_log) == 4  # two pages each

    emulator.clear_request_log()
    assert repository.find_by_file_name("nothing*.pkg") is None
    assert len(emulator.request_log) == 1


def test_record_hash_keeps_the_rest_of_the_record(
    emulator: JamfEmulator, repository: ProApiPackageRepository
) -> None:
    category = emulator.add_category("Tools")["id"]
    package = repository.create(
        PackageSpec(name="H", file_name="H.pkg", category=category, info="i", notes="n", priority=4)
    )
    repository.record_hash(package.id, HashType.SHA_512, "ab" * 64)

    [stored] = emulator.packages()
    assert (stored["hashType"], stored["hashValue"]) == ("SHA_512", "ab" * 64)
    assert (stored["packageName"], stored["fileName"], stored["categoryId"]) == (
        "H",
        "H.pkg",
        category,
    )
    assert (stored["info"], stored["notes"], stored["priority"]) == ("i", "n", 4)
    got = repository.get(package.id)
    assert got is not None
    assert got.digests() == {"sha512": "ab" * 64}


def test_record_hash_of_a_missing_package_says_so(repository: ProApiPackageRepository) -> None:
    with pytest.raises(Exception, match="no longer exists") as caught:
        repository.record_hash(999, HashType.MD5, "00" * 16)
    assert getattr(caught.value, "status", None) == 404


# --- the file store -----------------------------------------------------------------------


def test_open_upload_needs_the_package_of_that_file(
    repository: ProApiPackageRepository, store: PackagesApiFileStore
) -> None:
    package = new_package(repository, "Mine.pkg")
    target = store.open_upload("Mine.pkg", package)
    assert target == PackageUploadTarget(file_name="Mine.pkg", package_id=package.id)
    with pytest.raises(ConfigurationError, match="package object first"):
        store.open_upload("Mine.pkg")
    with pytest.raises(ConfigurationError, match=r"'Other\.pkg'"):
        store.open_upload("Other.pkg", package)


def test_describe_of_another_kind_of_target_is_refused(store: PackagesApiFileStore) -> None:
    with pytest.raises(ConfigurationError, match="UploadTarget"):
        store.describe(UploadTarget("x.pkg"))


# --- uploading ----------------------------------------------------------------------------


def test_a_multi_mib_upload_becomes_ready_with_its_sha3_512(
    emulator: JamfEmulator,
    tmp_path: Path,
    repository: ProApiPackageRepository,
    store: PackagesApiFileStore,
    uploader: PackageFormUploader,
) -> None:
    emulator.set_transfer_delay(0.3)
    source = make_file(tmp_path / "Big Tool.pkg", 6 * MiB + 123, seed=1)
    package = new_package(repository, "Big Tool.pkg")
    target = store.open_upload("Big Tool.pkg", package)
    progress: list[int] = []

    multipart = uploader.upload(target, local(source), progress=progress.append)

    assert multipart is False
    assert sum(progress) == source.stat().st_size
    assert len(progress) > 1  # reported as it went, not once at the end
    assert upload_posts(emulator) == 1
    before = store.describe(target)
    assert before is not None
    assert before.status is TransferStatus.PENDING
    assert before.sha3_512 is None

    store.refresh(target)
    assert emulator.refresh_requests == ["Big Tool.pkg"]
    state = wait_until_ready(store, target)
    assert state.sha3_512 == sha3(source)
    assert state.size == source.stat().st_size
    assert state.md5 == hashlib.md5(source.read_bytes(), usedforsecurity=False).hexdigest()
    found = repository.get(package.id)
    assert found is not None
    assert (found.hash_type, found.hash_value) == ("SHA3_512", sha3(source))


@pytest.mark.parametrize(
    "file_name",
    ["Name With Spaces.pkg", "Ünïcødé ✓ 名前.pkg", 'quote " in it.pkg', "100% sure.pkg"],
)
def test_awkward_file_names_arrive_as_the_package_says(
    tmp_path: Path,
    repository: ProApiPackageRepository,
    store: PackagesApiFileStore,
    uploader: PackageFormUploader,
    file_name: str,
) -> None:
    source = make_file(tmp_path / "local.bin", 200_000, seed=2)
    package = new_package(repository, file_name)
    target = store.open_upload(file_name, package)
    uploader.upload(target, local(source))
    store.refresh(target)
    assert wait_until_ready(store, target).sha3_512 == sha3(source)


def test_the_uploaded_file_is_in_the_jcds_listing_and_downloadable(
    tmp_path: Path,
    repository: ProApiPackageRepository,
    store: PackagesApiFileStore,
    uploader: PackageFormUploader,
) -> None:
    source = make_file(tmp_path / "Listed.pkg", 300_000, seed=3)
    target = store.open_upload("Listed.pkg", new_package(repository, "Listed.pkg"))
    uploader.upload(target, local(source))
    store.refresh(target)
    wait_until_ready(store, target)

    assert [(f.file_name, f.size) for f in store.list_files()] == [("Listed.pkg", 300_000)]
    url = store.download_url("Listed.pkg")
    got = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
    assert got.content == source.read_bytes()[:100]
    store.delete("Listed.pkg")
    with pytest.raises(RemoteFileNotFoundError):
        store.download_url("Listed.pkg")


def test_an_upload_target_of_another_store_is_refused(
    emulator: JamfEmulator, tmp_path: Path, uploader: PackageFormUploader
) -> None:
    source = make_file(tmp_path / "x.pkg", 1000)
    emulator.clear_request_log()
    with pytest.raises(ConfigurationError, match="UploadTarget"):
        uploader.upload(UploadTarget("x.pkg"), local(source))
    assert emulator.request_log == []


def test_a_deleted_package_makes_the_upload_fail_saying_so(
    tmp_path: Path,
    repository: ProApiPackageRepository,
    store: PackagesApiFileStore,
    uploader: PackageFormUploader,
) -> None:
    source = make_file(tmp_path / "Gone.pkg", 100_000)
    package = new_package(repository, "Gone.pkg")
    target = store.open_upload("Gone.pkg", package)
    repository.delete(package.id)

    with pytest.raises(UploadError, match=f"package {package.id} is gone"):
        uploader.upload(target, local(source))
    assert store.describe(target) is None


def test_a_file_name_other_than_the_packages_is_refused_with_an_explanation(
    tmp_path: Path, repository: ProApiPackageRepository, uploader: PackageFormUploader
) -> None:
    source = make_file(tmp_path / "Right.pkg", 100_000)
    package = new_package(repository, "Right.pkg")
    wrong = PackageUploadTarget(file_name="Wrong.pkg", package_id=package.id)

    with pytest.raises(UploadError, match=r"refused the file name 'Wrong\.pkg'.*exactly the file"):
        uploader.upload(wrong, local(source))


# --- retries, cancellation, tokens --------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        StatusFault(method="POST", path=UPLOAD_PATH, status=503),
        StatusFault(method="POST", path=UPLOAD_PATH, status=500),
        ResetUploadFault(method="POST", path=UPLOAD_PATH, after_bytes=MiB),
    ],
    ids=["503", "500", "reset"],
)
def test_a_failed_upload_is_sent_again_from_the_start(
    emulator: JamfEmulator,
    tmp_path: Path,
    repository: ProApiPackageRepository,
    store: PackagesApiFileStore,
    uploader: PackageFormUploader,
    fault: FaultRule,
) -> None:
    source = make_file(tmp_path / "Again.pkg", 3 * MiB + 7, seed=4)
    target = store.open_upload("Again.pkg", new_package(repository, "Again.pkg"))
    emulator.add_fault(fault)
    progress: list[int] = []

    uploader.upload(target, local(source), progress=progress.append)

    assert len(emulator.fault_log) == 1
    assert upload_posts(emulator) == 2
    assert sum(progress) == source.stat().st_size  # each byte reported once
    store.refresh(target)
    assert wait_until_ready(store, target).sha3_512 == sha3(source)


@pytest.fixture
def quick_retries(emulator: JamfEmulator) -> Iterator[tuple[JamfHttpClient, TransferConfig]]:
    config = TransferConfig(max_attempts=3, backoff_base=0.01, backoff_max=0.02)
    with build_session(config) as session:
        yield (
            JamfHttpClient(
                session,
                JamfServer.parse(emulator.url),
                BasicAuthProvider(emulator.username, emulator.password),
                config,
            ),
            config,
        )


@pytest.mark.parametrize("status", [500, 503, 429])
def test_retries_stop_after_max_attempts_sends_in_all(
    emulator: JamfEmulator,
    tmp_path: Path,
    quick_retries: tuple[JamfHttpClient, TransferConfig],
    status: int,
) -> None:
    """The session's own retries of 429/503 count: the file goes at most 3 times."""
    http, config = quick_retries
    source = make_file(tmp_path / "Never.pkg", 200_000)
    package = new_package(ProApiPackageRepository(http), "Never.pkg")
    emulator.add_fault(StatusFault(method="POST", path=UPLOAD_PATH, status=status, times=None))

    with pytest.raises(UploadError, match=f"HTTP {status}.* after 3 attempts"):
        PackageFormUploader(http, config).upload(
            PackageUploadTarget("Never.pkg", package.id), local(source)
        )
    assert upload_posts(emulator) == 3


def test_a_refusal_is_not_retried(
    emulator: JamfEmulator,
    tmp_path: Path,
    repository: ProApiPackageRepository,
    uploader: PackageFormUploader,
) -> None:
    source = make_file(tmp_path / "No.pkg", 100_000)
    package = new_package(repository, "No.pkg")
    emulator.add_fault(StatusFault(method="POST", path=UPLOAD_PATH, status=403))

    with pytest.raises(UploadError, match="HTTP 403") as caught:
        uploader.upload(PackageUploadTarget("No.pkg", package.id), local(source))
    assert "attempts" not in str(caught.value)
    assert upload_posts(emulator) == 1


def test_an_expired_token_means_a_new_token_and_the_whole_file_again(
    emulator: JamfEmulator,
    tmp_path: Path,
    jamf_http: JamfHttpClient,
    repository: ProApiPackageRepository,
    store: PackagesApiFileStore,
    uploader: PackageFormUploader,
) -> None:
    source = make_file(tmp_path / "Token.pkg", 2 * MiB + 1, seed=5)
    target = store.open_upload("Token.pkg", new_package(repository, "Token.pkg"))
    emulator.expire_tokens()  # the client's cached token is refused: 401, then a new one

    uploader.upload(target, local(source))

    assert upload_posts(emulator) == 2
    store.refresh(target)
    assert wait_until_ready(store, target).sha3_512 == sha3(source)


def test_cancelling_stops_the_upload_between_chunks(
    emulator: JamfEmulator,
    tmp_path: Path,
    repository: ProApiPackageRepository,
    store: PackagesApiFileStore,
    uploader: PackageFormUploader,
) -> None:
    source = make_file(tmp_path / "Stop.pkg", 8 * MiB, seed=6)
    package = new_package(repository, "Stop.pkg")
    target = store.open_upload("Stop.pkg", package)
    cancel = CancelToken()
    sent: list[int] = []

    def progress(count: int) -> None:
        sent.append(count)
        if sum(sent) >= MiB:
            cancel.cancel()

    with pytest.raises(TransferCancelledError):
        uploader.upload(target, local(source), progress=progress, cancel=cancel)
    assert MiB <= sum(sent) < 2 * MiB
    store.refresh(target)
    time.sleep(0.2)  # the server may log the broken request after the client gave up on it
    assert upload_posts(emulator) <= 1  # not sent again
    state = store.describe(target)
    assert state is not None
    assert (state.size, state.sha3_512) == (None, None)  # nothing arrived

    emulator.clear_request_log()
    with pytest.raises(TransferCancelledError):
        uploader.upload(target, local(source), cancel=cancel)
    assert upload_posts(emulator) == 0


def test_the_token_goes_to_the_jamf_server_only(
    transfer_config: TransferConfig, tmp_path: Path
) -> None:
    """A Jamf stand-in that redirects the upload (307 keeps method and body) elsewhere."""
    token = "bearer-token-for-jamf-only"
    source = make_file(tmp_path / "Confined.pkg", 100_000)

    def jamf(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.path == "/api/v1/auth/token":
            body = {"token": token, "expires": "2099-01-01T00:00:00.000Z"}
            answer(handler, 200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        else:
            answer(handler, 307, headers={"Location": other + handler.path})

    with (
        recording_server(lambda handler: answer(handler, 201, b"{}")) as (other, elsewhere),
        recording_server(jamf) as (url, at_jamf),
        build_session(transfer_config) as session,
    ):
        http = JamfHttpClient(
            session, JamfServer.parse(url), BasicAuthProvider("u", "p"), transfer_config
        )
        with pytest.raises(UploadError, match="307") as caught:
            PackageFormUploader(http, transfer_config).upload(
                PackageUploadTarget("Confined.pkg", 5), local(source)
            )
    assert elsewhere == []
    assert any(f"Bearer {token}" in request for request in at_jamf)  # the test means something
    assert token not in str(caught.value)


# --- the server ---------------------------------------------------------------------------


def test_server_info_reports_version_and_upload_capability(
    emulator: JamfEmulator, jamf_http: JamfHttpClient
) -> None:
    info = ProApiServerInfo(jamf_http)
    assert info.server_version() == emulator.version
    assert info.upload_capability() == UploadCapability(
        principal_distribution_technology=True, direct_upload_capable=True
    )


def test_a_server_without_direct_upload_says_so_and_refuses_uploads(
    transfer_config: TransferConfig, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "Direct.pkg", 10_000)
    with (
        JamfEmulator(direct_upload_capable=False, version="11.99.0-t1") as other,
        build_session(transfer_config) as session,
    ):
        http = JamfHttpClient(
            session,
            JamfServer.parse(other.url),
            BasicAuthProvider(other.username, other.password),
            transfer_config,
        )
        info = ProApiServerInfo(http)
        assert info.server_version() == "11.99.0-t1"
        assert info.upload_capability().direct_upload_capable is False
        package = new_package(ProApiPackageRepository(http), "Direct.pkg")
        with pytest.raises(UploadError, match=r"refused the upload.*[Dd]irect upload"):
            PackageFormUploader(http, transfer_config).upload(
                PackageUploadTarget("Direct.pkg", package.id), local(source)
            )


# --- memory -------------------------------------------------------------------------------

_MEASURE = textwrap.dedent(
    """
    import sys, tracemalloc
    from pathlib import Path
    from jcds2.adapters.http_session import build_session
    from jcds2.adapters.jamf_auth import BasicAuthProvider
    from jcds2.adapters.jamf_http import JamfHttpClient
    from jcds2.adapters.pro_packages import PackageFormUploader, PackageUploadTarget
    from jcds2.domain.models import LocalFile
    from jcds2.domain.server import JamfServer
    from jcds2.domain.transfer import TransferConfig

    url, user, password, package_id, path = sys.argv[1:]
    config = TransferConfig()
    http = JamfHttpClient(
        build_session(config), JamfServer.parse(url), BasicAuthProvider(user, password), config
    )
    http.token()
    source = LocalFile(Path(path), Path(path).stat().st_size)
    sent = []
    tracemalloc.start()
    PackageFormUploader(http, config).upload(
        PackageUploadTarget(source.name, int(package_id)), source,
        progress=sent.append,
    )
    print(tracemalloc.get_traced_memory()[1], sum(sent))
    """
)


def test_memory_stays_flat_whatever_the_file_size(
    emulator: JamfEmulator,
    tmp_path: Path,
    repository: ProApiPackageRepository,
    store: PackagesApiFileStore,
) -> None:
    """The client runs in its own process, so that only its allocations are traced."""
    size = 64 * MiB
    source = make_file(tmp_path / "Huge.pkg", size, seed=7)
    package = new_package(repository, "Huge.pkg")
    args = [emulator.url, emulator.username, emulator.password, str(package.id), str(source)]
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    peak, reported = (int(value) for value in measured.stdout.split())

    assert reported == size
    assert peak < 2 * MiB, f"peak Python allocation {peak} bytes for a {size}-byte file"
    target = store.open_upload("Huge.pkg", package)
    store.refresh(target)
    assert wait_until_ready(store, target).sha3_512 == sha3(source)


# --- the body, read piece by piece --------------------------------------------------------


def test_the_part_header_escapes_only_what_would_break_it() -> None:
    header = multipart_preamble("B", 'a "b"\\\r\n Ü 100%.pkg')
    assert header == (
        b"--B\r\n"
        b'Content-Disposition: form-data; name="file"; '
        b'filename="a \\"b\\"\\\\%0D%0A \xc3\x9c 100%.pkg"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )


def test_the_body_reads_the_same_in_any_pieces_and_rewinds(tmp_path: Path) -> None:
    from jcds2.adapters.pro_packages.upload import _FormBody  # noqa: PLC0415 - the private body

    source = make_file(tmp_path / "b.pkg", 100_000, seed=9)
    reported: list[int] = []
    with _FormBody(source, 100_000, "b.pkg", reported.append, CancelToken()) as body:
        whole = body.read()
        assert len(whole) == len(body) == body.tell()
        boundary = body.content_type.partition("boundary=")[2]
        assert whole == (
            multipart_preamble(boundary, "b.pkg")
            + source.read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        for size in (1, 7, 16384, 65536):
            body.seek(0)
            pieces = io.BytesIO()
            while chunk := body.read(size):
                pieces.write(chunk)
            assert pieces.getvalue() == whole
        assert body.sends == 5
        assert sum(reported) == 100_000  # once, however often it was read

        source.write_bytes(b"short")
        body.seek(0)
        with pytest.raises(UploadError, match="shrank"):
            body.read()
