"""File names both ways, end to end against the emulator.

Spaces and non-ASCII names (NFC and NFD alike) upload, list and download byte-identically
under exactly the name given; path separators, ``..``, NUL and control characters are
refused with ``InvalidFileNameError`` before anything is sent or written.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from jcds2 import JamfProClient
from jcds2.emulator import JamfEmulator
from jcds2.errors import InvalidFileNameError
from tests.helpers import make_file, server_state

UNICODE = "Pro Tools Ünïcødé 2026.pkg"
GOOD_NAMES = [
    pytest.param("Microsoft Office 2024 (Universal).pkg", id="spaces"),
    pytest.param(unicodedata.normalize("NFC", UNICODE), id="nfc"),
    pytest.param(unicodedata.normalize("NFD", UNICODE), id="nfd"),
    pytest.param("日本語 パッケージ 📦.pkg", id="cjk-emoji"),
]
CONTROL_NAMES = [
    pytest.param("line\nbreak.pkg", id="newline"),
    pytest.param("carriage\rreturn.pkg", id="carriage-return"),
    pytest.param("tab\there.pkg", id="tab"),
    pytest.param("del\x7f.pkg", id="del"),
    pytest.param("dot..dot.pkg", id="dot-dot"),
]


def test_the_two_forms_are_different_names() -> None:
    nfc, nfd = (unicodedata.normalize(form, UNICODE) for form in ("NFC", "NFD"))
    assert nfc != nfd
    assert len(nfd) > len(nfc)


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_names_with_spaces_and_unicode_make_the_round_trip(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path, name: str
) -> None:
    source_folder = tmp_path / "source"
    source_folder.mkdir()
    source = make_file(source_folder / name, 6 * 1024 * 1024 + 3, seed=len(name))
    assert os.listdir(source_folder) == [name]  # the file system kept the form as given

    uploaded = client.jcds2.upload_file(file_path=source)  # multipart at this size
    assert uploaded.file_name == name
    assert uploaded.package_name == name

    [listed] = client.jcds2.list_files()
    assert listed.file_name == name
    assert listed.size == source.stat().st_size
    [package] = emulator.packages()
    assert package["fileName"] == name

    target = tmp_path / "target"
    target.mkdir()
    downloaded = client.jcds2.download_file(name, target)
    assert downloaded.path == target / name
    assert os.listdir(target) == [name]
    assert downloaded.path.read_bytes() == source.read_bytes()
    assert downloaded.verified_md5


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("dir/file.pkg", id="slash"),
        pytest.param("/etc/passwd", id="absolute"),
        pytest.param("../escape.pkg", id="parent"),
        pytest.param("..", id="dot-dot-alone"),
        pytest.param("dir\\file.pkg", id="backslash"),
        pytest.param("nul\x00.pkg", id="nul"),
        *CONTROL_NAMES,
    ],
)
def test_unsafe_names_are_refused_on_download(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path, name: str
) -> None:
    target = tmp_path / "target"
    target.mkdir()
    before = server_state(emulator)
    emulator.clear_request_log()

    with pytest.raises(InvalidFileNameError) as caught:
        client.jcds2.download_file(name, target)

    assert caught.value.file_name == name
    assert repr(name) in str(caught.value)
    assert os.listdir(target) == []
    assert not (tmp_path / "escape.pkg").exists()
    assert emulator.request_log == []  # refused before anything was asked of the server
    assert server_state(emulator) == before


@pytest.mark.parametrize("name", CONTROL_NAMES)
def test_unsafe_names_are_refused_on_upload(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path, name: str
) -> None:
    source = make_file(tmp_path / name, 1000)
    before = server_state(emulator)
    emulator.clear_request_log()

    with pytest.raises(InvalidFileNameError) as caught:
        client.jcds2.upload_file(file_path=source)

    assert caught.value.file_name == name
    assert repr(name) in str(caught.value)
    assert os.listdir(tmp_path) == [name]
    assert emulator.request_log == []
    assert server_state(emulator) == before


@pytest.mark.parametrize("path", ["nul\x00.pkg", "folder\x00/Real.pkg"], ids=["name", "folder"])
def test_a_nul_in_the_upload_path_is_refused(
    client: JamfProClient, emulator: JamfEmulator, tmp_path: Path, path: str
) -> None:
    # No file system can hold such a name; it must still be a clear jcds2 error.
    before = server_state(emulator)
    emulator.clear_request_log()

    with pytest.raises(InvalidFileNameError, match="NUL"):
        client.jcds2.upload_file(file_path=tmp_path / path)

    assert os.listdir(tmp_path) == []
    assert emulator.request_log == []
    assert server_state(emulator) == before
