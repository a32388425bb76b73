"""Checking a local file before upload, and hashing it."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path
from typing import Any, NoReturn

import pytest

from jcds2.application import local_files
from jcds2.application.local_files import hash_file, inspect_upload_source
from jcds2.domain.errors import (
    EmptyFileError,
    LocalFileNotFoundError,
    NotARegularFileError,
    SourceChangedError,
    UnreadableFileError,
)


def _refuse_open(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise PermissionError(errno.EACCES, "Permission denied")


def test_a_regular_file_is_returned_with_its_absolute_path_and_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Tool.pkg").write_bytes(b"x" * 1234)
    monkeypatch.chdir(tmp_path)

    source = inspect_upload_source("Tool.pkg")

    assert source.path == tmp_path / "Tool.pkg"
    assert source.path.is_absolute()
    assert source.size == 1234
    assert source.name == "Tool.pkg"


def test_a_path_under_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Tool.pkg").write_bytes(b"abc")
    monkeypatch.setenv("HOME", str(tmp_path))

    source = inspect_upload_source("~/Tool.pkg")

    assert source.path == tmp_path / "Tool.pkg"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LocalFileNotFoundError) as caught:
        inspect_upload_source(tmp_path / "nope.pkg")

    assert caught.value.path == tmp_path / "nope.pkg"


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "Bundle.pkg").mkdir()

    with pytest.raises(NotARegularFileError):
        inspect_upload_source(tmp_path / "Bundle.pkg")


def test_named_pipe_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.pkg")

    with pytest.raises(NotARegularFileError):
        inspect_upload_source(tmp_path / "pipe.pkg")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.pkg").touch()

    with pytest.raises(EmptyFileError):
        inspect_upload_source(tmp_path / "empty.pkg")


def test_file_that_cannot_be_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret.pkg").write_bytes(b"abc")
    monkeypatch.setattr(Path, "open", _refuse_open)

    with pytest.raises(UnreadableFileError) as caught:
        inspect_upload_source(tmp_path / "secret.pkg")

    assert caught.value.reason == "Permission denied"
    assert isinstance(caught.value.__cause__, PermissionError)


def test_file_without_read_permission(tmp_path: Path) -> None:
    path = tmp_path / "secret.pkg"
    path.write_bytes(b"abc")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: a mode 000 file is still readable")
        with pytest.raises(UnreadableFileError):
            inspect_upload_source(path)
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("algorithm", ["sha512", "md5", "sha3_512"])
def test_hash_file_matches_hashlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, algorithm: str
) -> None:
    # a small chunk so that the file spans several reads, with a short last one
    monkeypatch.setattr(local_files, "HASH_CHUNK", 1000)
    data = bytes(range(256)) * 20
    (tmp_path / "f.bin").write_bytes(data)

    assert hash_file(tmp_path / "f.bin", algorithm) == hashlib.new(algorithm, data).hexdigest()


def test_hash_file_of_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "f.bin").write_bytes(b"abc")
    monkeypatch.setattr(Path, "open", _refuse_open)

    with pytest.raises(UnreadableFileError):
        hash_file(tmp_path / "f.bin", "sha512")


def test_hashing_beside_gives_the_digests_once_the_body_is_done(tmp_path: Path) -> None:
    path = tmp_path / "Tool.pkg"
    path.write_bytes(b"abc" * 1000)

    with local_files.hashing_beside(path, ("md5", "sha512")) as digests:
        pass

    assert digests == {
        "md5": hashlib.md5(path.read_bytes()).hexdigest(),
        "sha512": hashlib.sha512(path.read_bytes()).hexdigest(),
    }


def test_hashing_beside_a_failed_body_raises_its_error(tmp_path: Path) -> None:
    path = tmp_path / "Tool.pkg"
    path.write_bytes(b"abc")

    with pytest.raises(KeyboardInterrupt), local_files.hashing_beside(path, ("md5",)) as digests:
        raise KeyboardInterrupt

    assert digests == {}


def test_a_file_written_after_its_inspection_has_changed(tmp_path: Path) -> None:
    path = tmp_path / "Tool.pkg"
    path.write_bytes(b"abc")
    source = inspect_upload_source(path)
    local_files.check_unchanged(source)  # as inspected: no error

    path.write_bytes(b"abcd")

    with pytest.raises(SourceChangedError, match="changed while it was being uploaded"):
        local_files.check_unchanged(source)
