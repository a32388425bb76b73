"""``LocalFolderSync``: a folder or a share's Packages folder as a sync sees it, and the
hash cache that spares an unchanged tree from being read again."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from jcds2.adapters.file_share import LocalFolderSync
from jcds2.adapters.file_share.hash_cache import HashCache, state_file
from jcds2.domain.errors import DistributionPointUnavailableError, IntegrityError
from jcds2.domain.sync import PointFile

OLD = time.time() - 3600  # older than the racy window: such hashes are remembered


def put(path: Path, data: bytes, *, mtime: float | None = OLD) -> Path:
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def expected(name: str, data: bytes) -> PointFile:
    return PointFile(
        name,
        len(data),
        md5=hashlib.md5(data).hexdigest(),
        sha3_512=hashlib.sha3_512(data).hexdigest(),
    )


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "mirror"
    path.mkdir()
    return path


def test_files_are_listed_with_both_hashes(folder: Path, cache: Path) -> None:
    put(folder / "a.dmg", b"alpha")
    put(folder / ".DS_Store", b"hidden")
    (folder / "sub").mkdir()

    listed = LocalFolderSync(folder, cache_dir=cache).list_hashed()

    assert listed == [expected("a.dmg", b"alpha")]


def test_an_unchanged_tree_is_not_hashed_again(folder: Path, cache: Path) -> None:
    for index in range(5):
        put(folder / f"{index}.dmg", bytes([index]) * 100)
    first = LocalFolderSync(folder, cache_dir=cache)
    listing = first.list_hashed()
    assert first.hashed == 5

    again = LocalFolderSync(folder, cache_dir=cache)  # a new run: the state file is read

    assert again.list_hashed() == listing
    assert again.hashed == 0


def test_a_changed_file_is_hashed_again(folder: Path, cache: Path) -> None:
    put(folder / "a.dmg", b"alpha")
    LocalFolderSync(folder, cache_dir=cache).list_hashed()
    put(folder / "a.dmg", b"omega", mtime=OLD + 10)  # same size, new content and time

    again = LocalFolderSync(folder, cache_dir=cache)

    assert again.list_hashed() == [expected("a.dmg", b"omega")]
    assert again.hashed == 1


def test_an_entry_whose_key_differs_in_inode_only_is_not_trusted(folder: Path, cache: Path) -> None:
    put(folder / "a.dmg", b"alpha")
    LocalFolderSync(folder, cache_dir=cache).list_hashed()
    replacement = put(folder / "new", b"omega")  # same size and time, another inode
    os.replace(replacement, folder / "a.dmg")

    again = LocalFolderSync(folder, cache_dir=cache)

    assert again.list_hashed() == [expected("a.dmg", b"omega")]
    assert again.hashed == 1


def test_content_rewritten_with_its_size_and_time_restored_is_hashed_again(
    folder: Path, cache: Path
) -> None:
    path = put(folder / "a.dmg", b"alpha")
    LocalFolderSync(folder, cache_dir=cache).list_hashed()
    with path.open("r+b") as handle:  # same inode, same size
        handle.write(b"omega")
    os.utime(path, (OLD, OLD))  # and the old modification time: only ctime tells

    assert LocalFolderSync(folder, cache_dir=cache).list_hashed() == [expected("a.dmg", b"omega")]


def test_a_file_written_just_now_is_not_remembered(folder: Path, cache: Path) -> None:
    put(folder / "a.dmg", b"alpha", mtime=None)  # its time is now: a write could follow
    LocalFolderSync(folder, cache_dir=cache).list_hashed()

    again = LocalFolderSync(folder, cache_dir=cache)
    again.list_hashed()

    assert again.hashed == 1


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        json.dumps({"format": "jcds2-hash-cache", "version": 99, "entries": {}}),
        json.dumps({"format": "other", "version": 1, "entries": {}}),
    ],
)
def test_a_corrupt_or_foreign_state_file_is_ignored(folder: Path, cache: Path, text: str) -> None:
    put(folder / "a.dmg", b"alpha")
    path = state_file(folder.absolute(), cache)
    path.parent.mkdir(parents=True)
    path.write_text(text)

    sync = LocalFolderSync(folder, cache_dir=cache)

    assert sync.list_hashed() == [expected("a.dmg", b"alpha")]
    assert sync.hashed == 1
    assert json.loads(path.read_text())["format"] == "jcds2-hash-cache"  # rewritten whole


def test_the_state_file_of_another_folder_is_not_used(folder: Path, cache: Path) -> None:
    put(folder / "a.dmg", b"alpha")
    LocalFolderSync(folder, cache_dir=cache).list_hashed()
    path = state_file(folder.absolute(), cache)
    body = json.loads(path.read_text())
    body["folder"] = "/somewhere/else"
    path.write_text(json.dumps(body))

    again = LocalFolderSync(folder, cache_dir=cache)
    again.list_hashed()

    assert again.hashed == 1


def test_a_tampered_entry_whose_key_differs_is_not_trusted(folder: Path, cache: Path) -> None:
    put(folder / "a.dmg", b"alpha")
    LocalFolderSync(folder, cache_dir=cache).list_hashed()
    path = state_file(folder.absolute(), cache)
    body = json.loads(path.read_text())
    body["entries"]["a.dmg"]["key"][3] += 1  # another modification time
    body["entries"]["a.dmg"]["sha3_512"] = "0" * 128
    path.write_text(json.dumps(body))

    assert LocalFolderSync(folder, cache_dir=cache).list_hashed() == [expected("a.dmg", b"alpha")]


def test_the_state_file_is_written_atomically_and_forgets_removed_files(
    folder: Path, cache: Path
) -> None:
    put(folder / "a.dmg", b"alpha")
    put(folder / "b.dmg", b"beta")
    LocalFolderSync(folder, cache_dir=cache).list_hashed()
    (folder / "b.dmg").unlink()
    LocalFolderSync(folder, cache_dir=cache).list_hashed()

    assert [p.name for p in cache.iterdir()] == [state_file(folder.absolute(), cache).name]
    cached = HashCache(state_file(folder.absolute(), cache), folder.absolute())
    assert cached.lookup("b.dmg", (0, 0, 0, 0, 0)) is None
    assert sorted(json.loads(state_file(folder.absolute(), cache).read_text())["entries"]) == [
        "a.dmg"
    ]


def test_a_share_that_is_not_mounted_is_unavailable(tmp_path: Path, cache: Path) -> None:
    share = LocalFolderSync(tmp_path / "Volumes" / "CasperShare", share=True, cache_dir=cache)

    with pytest.raises(DistributionPointUnavailableError, match="Is the share mounted"):
        share.check(create=True)
    assert not (tmp_path / "Volumes").exists()  # never created


def test_a_missing_destination_folder_is_created_on_request(tmp_path: Path, cache: Path) -> None:
    sync = LocalFolderSync(tmp_path / "new" / "mirror", cache_dir=cache)

    with pytest.raises(DistributionPointUnavailableError):
        sync.check()
    sync.check(create=True)

    assert (tmp_path / "new" / "mirror").is_dir()


def test_a_share_lists_its_packages_folder(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "Packages").mkdir()
    put(tmp_path / "Packages" / "a.dmg", b"alpha")
    put(tmp_path / "top.dmg", b"not a package file")

    share = LocalFolderSync(tmp_path, share=True, cache_dir=cache)

    assert share.list_hashed() == [expected("a.dmg", b"alpha")]


def test_a_copy_is_verified_before_it_takes_the_place_of_the_old_file(
    folder: Path, tmp_path: Path, cache: Path
) -> None:
    source = put(tmp_path / "a.dmg", b"new bytes")
    put(folder / "a.dmg", b"old bytes")
    sync = LocalFolderSync(folder, cache_dir=cache)

    with pytest.raises(IntegrityError):
        sync.copy_in("a.dmg", source, expected("a.dmg", b"something else"))
    assert (folder / "a.dmg").read_bytes() == b"old bytes"
    sync.copy_in("a.dmg", source, expected("a.dmg", b"new bytes"))
    assert (folder / "a.dmg").read_bytes() == b"new bytes"
    # Nothing left beside it but the (hidden, empty) staging folder.
    assert sorted(p.name for p in folder.iterdir()) == [".jcds2-staging", "a.dmg"]
    assert list((folder / ".jcds2-staging").iterdir()) == []


def test_a_staged_download_is_checked_then_moved_into_place(folder: Path, cache: Path) -> None:
    sync = LocalFolderSync(folder, cache_dir=cache)
    staged = put(sync.staging() / "a.dmg", b"downloaded")

    with pytest.raises(IntegrityError):
        sync.install("a.dmg", staged, expected("a.dmg", b"other"))
    assert not (folder / "a.dmg").exists()

    staged = put(sync.staging() / "a.dmg", b"downloaded")
    sync.install("a.dmg", staged, expected("a.dmg", b"downloaded"))
    assert (folder / "a.dmg").read_bytes() == b"downloaded"
    assert [entry.file_name for entry in sync.list_hashed()] == ["a.dmg"]  # staging hidden
