"""The file-share adapters against real files: a share is a directory in tmp_path."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from jcds2.adapters.file_share import (
    FileRangeFetcher,
    FileShareStore,
    FileShareTarget,
    FileShareUploader,
)
from jcds2.adapters.file_share import upload as file_share_upload
from jcds2.application.cancel import CancelToken, TransferCancelledError
from jcds2.application.download import DownloadFile
from jcds2.application.ports import FileStore, ObjectUploader, RangeFetcher, RangeSink
from jcds2.domain.errors import (
    ConfigurationError,
    DownloadError,
    InvalidFileNameError,
    RemoteFileNotFoundError,
    UploadError,
)
from jcds2.domain.models import LocalFile, UploadTarget, UploadTicket
from jcds2.domain.transfer import ByteRange, TransferConfig

CHUNK = 1024
DATA = bytes(range(256)) * 40  # 10,240 bytes: ten chunks


@pytest.fixture
def share(tmp_path: Path) -> Path:
    """A mounted share: its root, holding an empty Packages folder."""
    root = tmp_path / "CasperShare"
    (root / "Packages").mkdir(parents=True)
    return root


@pytest.fixture
def packages(share: Path) -> Path:
    return share / "Packages"


@pytest.fixture
def store(share: Path) -> FileShareStore:
    return FileShareStore(share)


@pytest.fixture
def uploader() -> FileShareUploader:
    return FileShareUploader(TransferConfig(), chunk_size=CHUNK)


def local_file(tmp_path: Path, name: str = "Tool.pkg", data: bytes = DATA) -> LocalFile:
    folder = tmp_path / "local"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return LocalFile(path=path, size=len(data))


def leftovers(directory: Path) -> list[str]:
    """Files of ``directory`` that an upload may have left behind (its temporary files)."""
    return sorted(name for name in os.listdir(directory) if name.startswith("."))


def upload(
    store: FileShareStore,
    uploader: FileShareUploader,
    source: LocalFile,
    *,
    progress: Callable[[int], None] | None = None,
    cancel: CancelToken | None = None,
    name: str | None = None,
) -> bool:
    target = store.open_upload(name or source.name)
    return uploader.upload(target, source, progress=progress, cancel=cancel)


def test_the_adapters_implement_the_ports(
    store: FileShareStore, uploader: FileShareUploader
) -> None:
    assert isinstance(store, FileStore)
    assert isinstance(uploader, ObjectUploader)
    assert isinstance(FileRangeFetcher(), RangeFetcher)


# --- the Packages folder -------------------------------------------------------------------


def test_files_go_to_the_packages_folder_of_the_share(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    source = local_file(tmp_path)
    moved: list[int] = []

    assert upload(store, uploader, source, progress=moved.append) is False

    assert (packages / "Tool.pkg").read_bytes() == DATA
    assert sum(moved) == len(DATA)
    assert len(moved) == len(DATA) // CHUNK  # reported chunk by chunk
    assert leftovers(packages) == []


def test_a_share_without_a_packages_folder_is_refused_and_not_written_to(tmp_path: Path) -> None:
    mount_point = tmp_path / "unmounted"
    mount_point.mkdir()  # what an unmounted share's mount point looks like
    store = FileShareStore(mount_point)

    with pytest.raises(ConfigurationError, match="packages_dir=''") as caught:
        store.open_upload("Tool.pkg")
    assert "mounted" in str(caught.value)
    with pytest.raises(ConfigurationError):
        store.list_files()
    with pytest.raises(ConfigurationError):
        store.download_url("Tool.pkg")
    assert list(mount_point.iterdir()) == []  # nothing created


def test_a_missing_share_root_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="mounted"):
        FileShareStore(tmp_path / "nowhere").list_files()


def test_the_packages_folder_itself_can_be_the_root(
    tmp_path: Path, packages: Path, uploader: FileShareUploader
) -> None:
    store = FileShareStore(packages, packages_dir="")
    upload(store, uploader, local_file(tmp_path))

    assert store.directory == packages
    assert (packages / "Tool.pkg").read_bytes() == DATA


def test_an_absolute_packages_dir_is_refused(share: Path, packages: Path) -> None:
    with pytest.raises(ConfigurationError, match="inside the share root"):
        FileShareStore(share, packages_dir=packages)


def test_nothing_is_touched_before_a_method_is_called(tmp_path: Path) -> None:
    store = FileShareStore(tmp_path / "later")  # the share may be mounted afterwards
    (tmp_path / "later" / "Packages").mkdir(parents=True)
    assert store.list_files() == []


# --- atomic copies -------------------------------------------------------------------------


def test_a_failing_progress_callback_leaves_nothing_behind(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    calls: list[int] = []

    def progress(count: int) -> None:
        calls.append(count)
        if len(calls) == 3:
            assert len(leftovers(packages)) == 1  # the temporary file exists meanwhile
            raise RuntimeError("the progress bar broke")

    with pytest.raises(RuntimeError, match="progress bar"):
        upload(store, uploader, local_file(tmp_path), progress=progress)

    assert os.listdir(packages) == []


def test_cancelling_mid_copy_stops_and_leaves_nothing_behind(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    cancel = CancelToken()
    moved: list[int] = []

    def progress(count: int) -> None:
        moved.append(count)
        if len(moved) == 2:
            cancel.cancel()

    with pytest.raises(TransferCancelledError):
        upload(store, uploader, local_file(tmp_path), progress=progress, cancel=cancel)

    assert len(moved) == 2  # stopped at the next chunk, not at the end
    assert os.listdir(packages) == []


def test_cancelled_after_the_last_chunk_is_still_not_stored(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    cancel = CancelToken()
    moved: list[int] = []

    def progress(count: int) -> None:
        moved.append(count)
        if sum(moved) == len(DATA):
            cancel.cancel()

    with pytest.raises(TransferCancelledError):
        upload(store, uploader, local_file(tmp_path), progress=progress, cancel=cancel)

    assert os.listdir(packages) == []


def test_an_already_cancelled_upload_sends_nothing(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(TransferCancelledError):
        upload(store, uploader, local_file(tmp_path), cancel=cancel)
    assert os.listdir(packages) == []


def test_a_source_that_shrinks_mid_copy_fails_and_leaves_nothing_behind(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    source = local_file(tmp_path)

    def progress(count: int) -> None:
        if os.path.getsize(source.path) == len(DATA):
            with source.path.open("r+b") as handle:
                handle.truncate(len(DATA) // 2)

    with pytest.raises(UploadError, match="changed while it was being copied") as caught:
        upload(store, uploader, source, progress=progress)

    assert "ended after 5120 of 10240 bytes" in str(caught.value)
    assert os.listdir(packages) == []


def test_a_source_modified_mid_copy_fails(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    source = local_file(tmp_path)
    done: list[int] = []

    def progress(count: int) -> None:
        if not done:
            done.append(count)
            with source.path.open("r+b") as handle:  # same size, other bytes
                handle.write(b"X" * CHUNK)
            stamp = os.stat(source.path).st_mtime_ns + 5_000_000_000
            os.utime(source.path, ns=(stamp, stamp))

    with pytest.raises(UploadError, match="modified during the copy"):
        upload(store, uploader, source, progress=progress)
    assert os.listdir(packages) == []


def test_a_source_that_is_not_the_size_it_was_checked_at_is_refused(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    source = attrs.evolve(local_file(tmp_path), size=len(DATA) + 1)
    with pytest.raises(UploadError, match="changed while it was being copied"):
        upload(store, uploader, source)
    assert os.listdir(packages) == []


def test_replacing_a_file_keeps_the_old_content_until_the_rename(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    old = b"the old package" * 100
    (packages / "Tool.pkg").write_bytes(old)
    (packages / "Tool.pkg").chmod(0o640)
    seen: list[bytes] = []

    def progress(count: int) -> None:
        seen.append((packages / "Tool.pkg").read_bytes())

    upload(store, uploader, local_file(tmp_path), progress=progress)

    assert seen == [old] * (len(DATA) // CHUNK)  # readers never saw a partial file
    assert (packages / "Tool.pkg").read_bytes() == DATA
    assert stat.S_IMODE((packages / "Tool.pkg").stat().st_mode) == 0o640  # permissions kept
    assert leftovers(packages) == []


def test_a_failed_replacement_leaves_the_old_file(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    (packages / "Tool.pkg").write_bytes(b"old")

    def progress(count: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upload(store, uploader, local_file(tmp_path), progress=progress)

    assert (packages / "Tool.pkg").read_bytes() == b"old"
    assert leftovers(packages) == []


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (errno.ENOSPC, "is full"),
        (errno.EDQUOT, "is full"),
        (errno.EACCES, "permission denied"),
        (errno.EROFS, "read-only"),
        (errno.EFBIG, "does not accept a file this large"),
        (errno.ENOTCONN, "still mounted"),
        (errno.ESTALE, "still mounted"),
        (errno.EIO, "still mounted"),
    ],
)
def test_a_write_error_says_what_to_do_and_leaves_nothing_behind(
    tmp_path: Path,
    store: FileShareStore,
    uploader: FileShareUploader,
    packages: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    advice: str,
) -> None:
    real_write = file_share_upload._write_all
    writes: list[int] = []

    def write_then_fail(fd: int, data: memoryview) -> None:
        writes.append(len(data))
        if len(writes) == 3:  # the temporary file exists and holds two chunks
            raise OSError(code, os.strerror(code))
        real_write(fd, data)

    monkeypatch.setattr(file_share_upload, "_write_all", write_then_fail)

    with pytest.raises(UploadError, match=advice) as caught:
        upload(store, uploader, local_file(tmp_path))

    assert "'Tool.pkg'" in str(caught.value)
    assert isinstance(caught.value.__cause__, OSError)
    assert os.listdir(packages) == []


def test_a_read_only_folder_is_refused(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    target = store.open_upload("Tool.pkg")  # while it was writable
    packages.chmod(0o555)
    try:
        if os.access(packages, os.W_OK):
            pytest.skip("running as root: a mode 555 folder is still writable")
        with pytest.raises(ConfigurationError, match="cannot write"):
            store.open_upload("Tool.pkg")
        with pytest.raises(UploadError, match="permission denied"):
            uploader.upload(target, local_file(tmp_path))
        assert os.listdir(packages) == []
    finally:
        packages.chmod(0o755)


def test_a_vanished_share_is_a_clear_upload_error(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, share: Path
) -> None:
    target = store.open_upload("Tool.pkg")
    shutil.rmtree(share)  # unmounted between opening the upload and copying

    with pytest.raises(UploadError, match="still mounted"):
        uploader.upload(target, local_file(tmp_path))


def test_an_unreadable_source_is_an_upload_error(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    source = LocalFile(path=tmp_path / "gone.pkg", size=10)
    with pytest.raises(UploadError, match="cannot read"):
        upload(store, uploader, source)
    assert os.listdir(packages) == []


def test_a_target_of_another_distribution_point_is_refused(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader
) -> None:
    ticket = UploadTarget(file_name="Tool.pkg")
    with pytest.raises(ConfigurationError, match="FileShareUploader"):
        uploader.upload(ticket, local_file(tmp_path))
    with pytest.raises(ConfigurationError):
        store.describe(ticket)
    assert issubclass(UploadTicket, UploadTarget)


def test_a_target_must_be_a_file_directly_in_its_folder(packages: Path) -> None:
    with pytest.raises(ConfigurationError):
        FileShareTarget(file_name="x.pkg", directory=packages, path=packages.parent / "x.pkg")


def test_the_store_needs_no_refresh(store: FileShareStore) -> None:
    target = store.open_upload("Tool.pkg")
    store.refresh(target)  # nothing to do, and no error
    assert os.listdir(store.directory) == []


def test_a_very_long_name_still_gets_a_temporary_file(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, packages: Path
) -> None:
    name = "é" * 123 + ".pkg"  # 250 bytes: the temporary name must be shortened to fit
    seen: list[list[str]] = []
    upload(
        store,
        uploader,
        local_file(tmp_path, name),
        progress=lambda _: seen.append(leftovers(packages)),
    )

    temporary = seen[0][0]
    assert len(temporary.encode()) <= 255
    assert temporary.startswith(".é")
    assert temporary.endswith(".part")
    assert os.listdir(packages) == [name]


def test_a_folder_in_the_way_is_refused(store: FileShareStore, packages: Path) -> None:
    (packages / "Tool.pkg").mkdir()
    with pytest.raises(UploadError, match="is a folder"):
        store.open_upload("Tool.pkg")


# --- describe ------------------------------------------------------------------------------


def test_describe_reads_the_file_back(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # spans several hash chunks
    source = local_file(tmp_path, data=data)
    target = store.open_upload("Tool.pkg")
    assert store.describe(target) is None  # not there yet

    uploader.upload(target, source)
    state = store.describe(target)

    assert state is not None
    assert state.size == len(data)
    assert state.sha3_512 == hashlib.sha3_512(data).hexdigest()
    assert state.md5 is None
    assert state.status is None


def test_describe_sees_corruption_on_the_share(store: FileShareStore, packages: Path) -> None:
    target = store.open_upload("Tool.pkg")
    (packages / "Tool.pkg").write_bytes(b"not what was sent")
    state = store.describe(target)
    assert state is not None
    assert state.sha3_512 == hashlib.sha3_512(b"not what was sent").hexdigest()


def test_describe_on_an_unmounted_share_is_an_error(store: FileShareStore, share: Path) -> None:
    target = store.open_upload("Tool.pkg")
    shutil.rmtree(share)
    with pytest.raises(ConfigurationError, match="mounted"):
        store.describe(target)


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../escape.pkg", "..", ".", "", "sub/dir.pkg", "a\\b.pkg", "/etc/passwd"]
)
def test_path_traversal_names_are_refused(
    store: FileShareStore, share: Path, packages: Path, name: str
) -> None:
    (share / "escape.pkg").write_bytes(b"outside the Packages folder")
    for call in (store.open_upload, store.download_url, store.delete):
        with pytest.raises(InvalidFileNameError):
            call(name)
    assert (share / "escape.pkg").exists()


@pytest.mark.parametrize("name", [".hidden.pkg", ".DS_Store", "._Tool.pkg"])
def test_hidden_names_are_refused(store: FileShareStore, packages: Path, name: str) -> None:
    (packages / name).write_bytes(b"x")
    for call in (store.open_upload, store.download_url, store.delete):
        with pytest.raises(InvalidFileNameError, match="hides it"):
            call(name)
    assert (packages / name).exists()


@pytest.mark.parametrize("name", ["My Tool 1.0.pkg", "Café Crème — Ünïcødé 日本語.pkg"])
def test_names_with_spaces_and_non_ascii_round_trip(
    tmp_path: Path, store: FileShareStore, uploader: FileShareUploader, name: str
) -> None:
    upload(store, uploader, local_file(tmp_path, name))

    assert [remote.file_name for remote in store.list_files()] == [name]
    url = store.download_url(name)
    assert url.startswith("file:///")
    assert " " not in url
    assert fetch_all(FileRangeFetcher(CHUNK), url) == DATA
    store.delete(name)
    assert store.list_files() == []


# --- listing and deleting ------------------------------------------------------------------


def test_listing_ignores_temporary_hidden_and_other_entries(
    store: FileShareStore, packages: Path
) -> None:
    (packages / "B.pkg").write_bytes(b"bb")
    (packages / "A.dmg").write_bytes(b"a")
    (packages / ".Tool.pkg.jcds2-0123456789abcdef.part").write_bytes(b"half")
    (packages / ".DS_Store").write_bytes(b"finder")
    (packages / "._B.pkg").write_bytes(b"appledouble")
    (packages / "Folder.pkg").mkdir()
    (packages / "dangling.pkg").symlink_to(packages / "missing")
    (packages / "trailing space.pkg ").write_bytes(b"unusable name")

    listed = store.list_files()

    assert [(f.file_name, f.size, f.md5) for f in listed] == [
        ("A.dmg", 1, None),
        ("B.pkg", 2, None),
    ]


def test_delete_removes_the_file(store: FileShareStore, packages: Path) -> None:
    (packages / "Tool.pkg").write_bytes(b"x")
    store.delete("Tool.pkg")
    assert not (packages / "Tool.pkg").exists()
    with pytest.raises(RemoteFileNotFoundError):
        store.delete("Tool.pkg")


def test_delete_does_not_remove_folders(store: FileShareStore, packages: Path) -> None:
    (packages / "Folder.pkg").mkdir()
    with pytest.raises(RemoteFileNotFoundError):
        store.delete("Folder.pkg")
    assert (packages / "Folder.pkg").is_dir()


def test_download_url_of_a_missing_file(store: FileShareStore, packages: Path) -> None:
    with pytest.raises(RemoteFileNotFoundError):
        store.download_url("Tool.pkg")
    (packages / "Folder.pkg").mkdir()
    with pytest.raises(RemoteFileNotFoundError):
        store.download_url("Folder.pkg")


# --- range fetches -------------------------------------------------------------------------


def collector(size: int) -> tuple[bytearray, RangeSink]:
    buffer = bytearray(size)

    def sink(offset: int, data: memoryview) -> None:
        buffer[offset : offset + len(data)] = data

    return buffer, sink


def fetch_all(fetcher: FileRangeFetcher, url: str) -> bytes:
    size = fetcher.size(url)
    buffer, sink = collector(size)
    if size:
        fetcher.fetch(url, ByteRange(0, size - 1), sink)
    return bytes(buffer)


@pytest.fixture
def stored_url(store: FileShareStore, packages: Path) -> str:
    (packages / "Tool.pkg").write_bytes(DATA)
    return store.download_url("Tool.pkg")


@pytest.mark.parametrize(
    ("start", "end"), [(0, 0), (0, 10_239), (1000, 2999), (1023, 1024), (10_239, 10_239)]
)
def test_a_range_is_read_exactly(stored_url: str, start: int, end: int) -> None:
    fetcher = FileRangeFetcher(chunk_size=CHUNK)
    received: list[tuple[int, int]] = []
    buffer, sink = collector(len(DATA))

    def recording_sink(offset: int, data: memoryview) -> None:
        received.append((offset, len(data)))
        sink(offset, data)

    assert fetcher.size(stored_url) == len(DATA)
    fetcher.fetch(stored_url, ByteRange(start, end), recording_sink)

    assert bytes(buffer[start : end + 1]) == DATA[start : end + 1]
    assert sum(length for _, length in received) == end - start + 1
    assert received[0][0] == start
    assert all(length <= CHUNK for _, length in received)


def test_a_range_past_the_end_is_an_error(stored_url: str) -> None:
    _, sink = collector(len(DATA) + 10)
    with pytest.raises(DownloadError, match="too short"):
        FileRangeFetcher().fetch(stored_url, ByteRange(10_000, 10_240), sink)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.jamfcloud.com/Tool.pkg",
        "memory://Tool.pkg/1",
        "file://fileserver.example.com/CasperShare/Packages/Tool.pkg",
        "Tool.pkg",
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    _, sink = collector(1)
    with pytest.raises(DownloadError):
        FileRangeFetcher().size(url)
    with pytest.raises(DownloadError):
        FileRangeFetcher().fetch(url, ByteRange(0, 0), sink)


def test_a_file_url_of_another_host_is_refused_even_if_the_path_exists(stored_url: str) -> None:
    remote = stored_url.replace("file:///", "file://fileserver.example.com/", 1)
    with pytest.raises(DownloadError, match="another host"):
        FileRangeFetcher().size(remote)
    assert FileRangeFetcher().size(stored_url.replace("file:///", "file://localhost/", 1)) == len(
        DATA
    )


def test_a_plain_file_url_without_version_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plain file.bin"
    path.write_bytes(DATA)
    assert fetch_all(FileRangeFetcher(), path.as_uri()) == DATA


def test_a_deleted_file_is_a_download_error(stored_url: str, packages: Path) -> None:
    (packages / "Tool.pkg").unlink()
    _, sink = collector(len(DATA))
    with pytest.raises(DownloadError, match="gone"):
        FileRangeFetcher().size(stored_url)
    with pytest.raises(DownloadError, match="gone"):
        FileRangeFetcher().fetch(stored_url, ByteRange(0, 9), sink)


def test_a_file_replaced_after_its_url_was_made_is_refused(
    stored_url: str, packages: Path, tmp_path: Path
) -> None:
    replacement = tmp_path / "replacement"
    replacement.write_bytes(bytes(len(DATA)))  # same size, other bytes and inode
    os.replace(replacement, packages / "Tool.pkg")
    _, sink = collector(len(DATA))

    with pytest.raises(DownloadError, match="changed during the download"):
        FileRangeFetcher().size(stored_url)
    with pytest.raises(DownloadError, match="changed during the download"):
        FileRangeFetcher().fetch(stored_url, ByteRange(0, 9), sink)


def test_a_file_truncated_mid_read_is_an_error(stored_url: str, packages: Path) -> None:
    _, sink = collector(len(DATA))

    def truncating_sink(offset: int, data: memoryview) -> None:
        sink(offset, data)
        os.truncate(packages / "Tool.pkg", 2 * CHUNK)

    with pytest.raises(DownloadError, match="changed during the download"):
        FileRangeFetcher(CHUNK).fetch(stored_url, ByteRange(0, len(DATA) - 1), truncating_sink)


def test_a_file_rewritten_mid_read_is_an_error(stored_url: str, packages: Path) -> None:
    _, sink = collector(len(DATA))

    def rewriting_sink(offset: int, data: memoryview) -> None:
        sink(offset, data)
        path = packages / "Tool.pkg"
        stamp = path.stat().st_mtime_ns + 5_000_000_000
        os.utime(path, ns=(stamp, stamp))

    with pytest.raises(DownloadError, match="changed during the download"):
        FileRangeFetcher(CHUNK).fetch(stored_url, ByteRange(0, 2 * CHUNK - 1), rewriting_sink)


def test_a_cancelled_fetch_stops_between_chunks(stored_url: str) -> None:
    cancel = CancelToken()
    chunks: list[int] = []

    def sink(offset: int, data: memoryview) -> None:
        chunks.append(len(data))
        cancel.cancel()

    with pytest.raises(TransferCancelledError):
        FileRangeFetcher(CHUNK).fetch(stored_url, ByteRange(0, len(DATA) - 1), sink, cancel=cancel)
    assert chunks == [CHUNK]


def test_a_sink_error_propagates_unchanged(stored_url: str) -> None:
    def sink(offset: int, data: memoryview) -> None:
        raise LookupError("the sink is full")

    with pytest.raises(LookupError, match="sink is full"):
        FileRangeFetcher().fetch(stored_url, ByteRange(0, 9), sink)


def test_a_folder_url_is_refused(tmp_path: Path) -> None:
    _, sink = collector(1)
    with pytest.raises(DownloadError, match="regular file"):
        FileRangeFetcher().fetch(tmp_path.as_uri(), ByteRange(0, 0), sink)


# --- the download use-case over a share ----------------------------------------------------


@pytest.fixture
def download_config() -> TransferConfig:
    return TransferConfig(range_size=4096, concurrency=2, max_attempts=2)


def test_the_download_use_case_downloads_from_a_share(
    tmp_path: Path, store: FileShareStore, packages: Path, download_config: TransferConfig
) -> None:
    data = os.urandom(50_000)
    (packages / "Big Tool.pkg").write_bytes(data)
    target = tmp_path / "downloads"
    target.mkdir()
    download = DownloadFile(files=store, fetcher=FileRangeFetcher(), config=download_config)

    result = download("Big Tool.pkg", target)

    assert result.path == target / "Big Tool.pkg"
    assert result.path.read_bytes() == data
    assert result.size == len(data)
    assert result.verified_md5 is False  # the share lists no MD5; see FileShareStore
    assert sorted(os.listdir(target)) == ["Big Tool.pkg"]


def test_a_download_of_a_file_replaced_midway_fails_without_a_destination(
    tmp_path: Path, store: FileShareStore, packages: Path
) -> None:
    (packages / "Tool.pkg").write_bytes(DATA)

    class ReplacingFetcher(FileRangeFetcher):
        """Replaces the file on the share once the first range has been read."""

        def fetch(
            self,
            url: str,
            byte_range: ByteRange,
            sink: RangeSink,
            *,
            cancel: CancelToken | None = None,
        ) -> None:
            super().fetch(url, byte_range, sink, cancel=cancel)
            if byte_range.start == 0:
                replacement = tmp_path / "replacement"
                replacement.write_bytes(bytes(len(DATA)))
                os.replace(replacement, packages / "Tool.pkg")

    config = TransferConfig(range_size=2048, concurrency=1, max_attempts=2)
    download = DownloadFile(files=store, fetcher=ReplacingFetcher(), config=config)
    destination = tmp_path / "Tool.pkg"

    with pytest.raises(DownloadError, match="changed during the download"):
        download("Tool.pkg", destination, resume=False)
    assert not destination.exists()
