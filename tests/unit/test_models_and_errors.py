"""Value objects keep secrets out of ``repr``; errors share one base and say what happened."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import pytest

from jcds2.domain import errors
from jcds2.domain.errors import (
    ConfigurationError,
    DestinationDirectoryMissingError,
    DestinationExistsError,
    EmptyFileError,
    Jcds2Error,
    LocalFileError,
    LocalFileNotFoundError,
    NotARegularFileError,
    PackageCreationError,
    PackageExistsError,
    RemoteFileNotFoundError,
    UnreadableFileError,
)
from jcds2.domain.models import LocalFile, PackageSpec, S3Credentials, UploadTicket

ACCESS_KEY = "ASIAEXAMPLEACCESSKEY"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"


def _credentials() -> S3Credentials:
    return S3Credentials(
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        session_token=SESSION_TOKEN,
        expiration=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc),
    )


def test_credentials_repr_hides_every_secret() -> None:
    text = repr(_credentials())

    for secret in (ACCESS_KEY, SECRET_KEY, SESSION_TOKEN):
        assert secret not in text
    assert "2030" in text


def test_upload_ticket_repr_hides_the_credentials() -> None:
    ticket = UploadTicket(
        file_name="Tool.pkg",
        bucket="jcds-bucket",
        key="tmp/1/Tool.pkg",
        region="eu-central-1",
        upload_id="1",
        credentials=_credentials(),
    )

    text = f"{ticket!r} {ticket!s}"

    for secret in (ACCESS_KEY, SECRET_KEY, SESSION_TOKEN):
        assert secret not in text
    assert "Tool.pkg" in text


def test_credentials_seconds_left() -> None:
    now = dt.datetime(2029, 12, 31, 23, 59, tzinfo=dt.timezone.utc)

    assert _credentials().seconds_left(now) == 60.0


def test_local_file_name_is_the_last_path_component() -> None:
    assert LocalFile(path=Path("/tmp/dir/Tool 1.pkg"), size=3).name == "Tool 1.pkg"


@pytest.mark.parametrize("priority", [1, 10, 20])
def test_package_spec_accepts_jamf_priorities(priority: int) -> None:
    assert PackageSpec(name="n", file_name="f.pkg", priority=priority).priority == priority


@pytest.mark.parametrize("priority", [0, 21, -5])
def test_package_spec_refuses_other_priorities(priority: int) -> None:
    with pytest.raises(ConfigurationError, match="priority"):
        PackageSpec(name="n", file_name="f.pkg", priority=priority)


def _error_classes() -> list[type[BaseException]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors.__name__
    ]


def test_the_errors_module_defines_the_expected_errors() -> None:
    names = {cls.__name__ for cls in _error_classes()}

    assert len(names) >= 25
    assert {"Jcds2Error", "PackageCreationError", "IntegrityError", "InsecureUrlError"} <= names


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_derives_from_jcds2_error_and_has_a_docstring(
    cls: type[BaseException],
) -> None:
    assert issubclass(cls, Jcds2Error)
    assert cls.__name__.endswith("Error")
    assert (cls.__doc__ or "").startswith("Raised when") or cls is Jcds2Error


@pytest.mark.parametrize(
    "error",
    [
        LocalFileNotFoundError(Path("/pkgs/Tool.pkg")),
        NotARegularFileError(Path("/pkgs/Tool.pkg")),
        EmptyFileError(Path("/pkgs/Tool.pkg")),
        UnreadableFileError(Path("/pkgs/Tool.pkg"), "Permission denied"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_local_file_errors_name_the_path(error: LocalFileError) -> None:
    assert error.path == Path("/pkgs/Tool.pkg")
    assert "/pkgs/Tool.pkg" in str(error)


def test_unreadable_file_error_gives_the_reason() -> None:
    error = UnreadableFileError(Path("/pkgs/Tool.pkg"), "Permission denied")

    assert error.reason == "Permission denied"
    assert "Permission denied" in str(error)


def test_package_exists_error_names_the_package_and_the_file() -> None:
    error = PackageExistsError("Tool.pkg", 42, "Tool 1.0")

    assert (error.file_name, error.package_id, error.package_name) == ("Tool.pkg", 42, "Tool 1.0")
    message = str(error)
    assert "42" in message
    assert "'Tool 1.0'" in message
    assert "'Tool.pkg'" in message


def test_remote_file_not_found_names_the_file() -> None:
    error = RemoteFileNotFoundError("Tool.pkg")

    assert error.file_name == "Tool.pkg"
    assert "'Tool.pkg'" in str(error)


def test_destination_errors_name_the_path_and_what_to_do() -> None:
    exists = DestinationExistsError(Path("/dl/Tool.pkg"))
    missing = DestinationDirectoryMissingError(Path("/dl"))

    assert exists.path == Path("/dl/Tool.pkg")
    assert "/dl/Tool.pkg" in str(exists)
    assert "overwrite=True" in str(exists)
    assert missing.path == Path("/dl")
    assert "/dl" in str(missing)


def test_package_creation_error_carries_the_file_and_its_fate() -> None:
    error = PackageCreationError("boom", file_name="Tool.pkg", file_removed=False)

    assert (error.file_name, error.file_removed) == ("Tool.pkg", False)
