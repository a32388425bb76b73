"""Every bad input raises a clear Jcds2Error and leaves nothing behind, locally or remotely."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jcds2 import (
    AuthenticationError,
    BasicAuthProvider,
    JamfProClient,
    Jcds2Error,
    PackageExistsError,
    TransferConfig,
)
from jcds2.emulator import JamfEmulator
from jcds2.errors import (
    DestinationDirectoryMissingError,
    DestinationExistsError,
    EmptyFileError,
    InsecureUrlError,
    InvalidFileNameError,
    LocalFileNotFoundError,
    NotARegularFileError,
    NotJamfServerError,
    PackageCreationError,
    RemoteFileNotFoundError,
    UnknownCategoryError,
    UnreadableFileError,
)
from tests.helpers import answer, make_file, server_state, tiny_server


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def unchanged(emulator: JamfEmulator, work: Path) -> Iterator[None]:
    """Asserts after the test that the server and the work folder are as they were."""
    before = (server_state(emulator), sorted(os.listdir(work)))
    yield
    assert (server_state(emulator), sorted(os.listdir(work))) == before


@pytest.fixture
def existing(client: JamfProClient, tmp_path: Path) -> str:
    """A file uploaded (with its package) before the test starts."""
    return client.jcds2.upload_file(file_path=make_file(tmp_path / "Existing.pkg", 2048)).file_name


pytestmark = pytest.mark.usefixtures("existing")


def test_missing_file(client: JamfProClient, work: Path, unchanged: None) -> None:
    with pytest.raises(LocalFileNotFoundError, match="no such file"):
        client.jcds2.upload_file(file_path=work / "absent.pkg")


def test_directory_given_as_file(client: JamfProClient, work: Path, unchanged: None) -> None:
    bundle = work / "Bundle.pkg"
    bundle.mkdir()
    try:
        with pytest.raises(NotARegularFileError, match="not a regular file"):
            client.jcds2.upload_file(file_path=bundle)
    finally:
        bundle.rmdir()


def test_zero_byte_file(client: JamfProClient, work: Path, unchanged: None) -> None:
    empty = work / "Empty.pkg"
    empty.touch()
    try:
        with pytest.raises(EmptyFileError, match="0 bytes"):
            client.jcds2.upload_file(file_path=empty)
    finally:
        empty.unlink()


def test_unreadable_file(
    client: JamfProClient, work: Path, unchanged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = make_file(work / "Locked.pkg", 100)
    locked.chmod(0)
    if os.access(locked, os.R_OK):
        # Root reads anything: make the operating system's refusal happen at the edge.
        real_open = Path.open

        def refuse(self: Path, *args: object, **kwargs: object) -> object:
            if self == locked:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(Path, "open", refuse)
    try:
        with pytest.raises(UnreadableFileError, match="Permission denied"):
            client.jcds2.upload_file(file_path=locked)
    finally:
        monkeypatch.undo()
        locked.chmod(0o600)
        locked.unlink()


def test_file_name_already_used_by_a_package(
    client: JamfProClient, emulator: JamfEmulator, work: Path, existing: str, unchanged: None
) -> None:
    [package] = emulator.packages()
    again = make_file(work / existing, 999, seed=99)
    try:
        with pytest.raises(PackageExistsError) as caught:
            client.jcds2.upload_file(file_path=again)
    finally:
        again.unlink()
    assert caught.value.package_id == int(package["id"])
    assert package["packageName"] in str(caught.value)
    assert package["id"] in str(caught.value)


def test_unknown_file_on_download(client: JamfProClient, work: Path, unchanged: None) -> None:
    with pytest.raises(RemoteFileNotFoundError, match="Unknown"):
        client.jcds2.download_file(file_name="Unknown.pkg", download_path=work)


def test_existing_destination(
    client: JamfProClient, work: Path, existing: str, emulator: JamfEmulator
) -> None:
    target = work / existing
    target.write_bytes(b"keep me")
    before = server_state(emulator)
    with pytest.raises(DestinationExistsError, match="overwrite"):
        client.jcds2.download_file(file_name=existing, download_path=work)
    assert target.read_bytes() == b"keep me"
    assert sorted(os.listdir(work)) == [existing]
    assert server_state(emulator) == before


def test_missing_destination_directory(
    client: JamfProClient, work: Path, existing: str, unchanged: None
) -> None:
    with pytest.raises(DestinationDirectoryMissingError, match="does not exist"):
        client.jcds2.download_file(file_name=existing, download_path=work / "no" / "such.pkg")
    with pytest.raises(DestinationDirectoryMissingError):
        client.jcds2.download_file(file_name=existing, download_path=str(work / "nodir") + "/")


@pytest.mark.parametrize("name", ["../escape.pkg", "a/b.pkg", "nul\x00.pkg", "tab\t.pkg"])
def test_file_names_that_are_paths_are_refused(
    client: JamfProClient, work: Path, name: str, unchanged: None
) -> None:
    with pytest.raises(InvalidFileNameError):
        client.jcds2.download_file(file_name=name, download_path=work)


def test_wrong_credentials(
    emulator: JamfEmulator, transfer_config: TransferConfig, work: Path, unchanged: None
) -> None:
    source = make_file(work.parent / "Creds.pkg", 100)
    with JamfProClient(
        emulator.url,
        BasicAuthProvider(emulator.username, "not-the-password"),
        transfer_config=transfer_config,
    ) as client:
        with pytest.raises(AuthenticationError, match="401") as caught:
            client.jcds2.upload_file(file_path=source)
        with pytest.raises(AuthenticationError):
            client.jcds2.download_file(file_name="Existing.pkg", download_path=work)
    assert "not-the-password" not in str(caught.value)


def test_a_server_that_is_not_jamf(
    transfer_config: TransferConfig, work: Path, unchanged: None
) -> None:
    source = make_file(work.parent / "NotJamf.pkg", 100)
    with (
        tiny_server(lambda handler: answer(handler, 404, b"<h1>Not Found</h1>")) as (url, _),
        JamfProClient(
            url, BasicAuthProvider("user", "pass"), transfer_config=transfer_config
        ) as client,
        pytest.raises(NotJamfServerError, match="Jamf Pro"),
    ):
        client.jcds2.upload_file(file_path=source)


@pytest.mark.parametrize(
    "server", ["http://jamf.example.com", "http://10.0.0.5:8443", "http://[2001:db8::1]/"]
)
def test_plain_http_to_another_host_is_refused(server: str) -> None:
    with pytest.raises(InsecureUrlError, match="https"):
        JamfProClient(server, BasicAuthProvider("user", "pass"))


def test_package_creation_failure_removes_the_uploaded_file(
    client: JamfProClient, emulator: JamfEmulator, work: Path, unchanged: None
) -> None:
    source = make_file(work.parent / "NoPackage.pkg", 6 * 1024 * 1024, seed=3)
    emulator.inject_fault("POST", "/JSSResource/packages/id/0", 500)
    with pytest.raises(PackageCreationError, match="deleted again") as caught:
        client.jcds2.upload_file(file_path=source)
    assert caught.value.file_removed is True


def test_an_unknown_category_is_named_and_leaves_nothing_behind(
    client: JamfProClient, emulator: JamfEmulator, work: Path, unchanged: None
) -> None:
    # The category is looked up before anything is sent (issue 15), so nothing is
    # uploaded to be deleted again.
    source = make_file(work.parent / "Uncategorized.pkg", 1024 * 1024, seed=4)
    emulator.clear_s3_request_log()
    with pytest.raises(UnknownCategoryError) as caught:
        client.jcds2.upload_file(file_path=source, category="No Such Category")
    assert "'No Such Category'" in str(caught.value)
    assert "already exists" not in str(caught.value)
    assert emulator.s3_request_log == []


def test_every_error_above_is_a_jcds2_error() -> None:
    for error in (
        AuthenticationError,
        DestinationDirectoryMissingError,
        DestinationExistsError,
        EmptyFileError,
        InsecureUrlError,
        InvalidFileNameError,
        LocalFileNotFoundError,
        NotARegularFileError,
        NotJamfServerError,
        PackageCreationError,
        PackageExistsError,
        RemoteFileNotFoundError,
        UnreadableFileError,
    ):
        assert issubclass(error, Jcds2Error)
