"""No secret in DEBUG logs (jcds2's and its libraries'), reprs or error messages."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from jcds2 import ApiClientCredentialsProvider, BasicAuthProvider, JamfProClient, Jcds2Error
from jcds2.domain.transfer import MiB
from jcds2.emulator import ExpireUrlFault, FaultPlan, JamfEmulator, S3ErrorFault, StatusFault
from tests.helpers import make_file

from .conftest import FAST, object_path

LIBRARIES = ("jcds2", "botocore", "boto3", "s3transfer", "urllib3", "requests")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []
        self.loggers: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.loggers.add(record.name.split(".")[0])


@pytest.fixture
def capture() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in LIBRARIES}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(saved[0])
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


def _secrets(emulator: JamfEmulator) -> set[str]:
    values = {emulator.password, emulator.client_secret, *emulator.issued_tokens()}
    for credentials in emulator.issued_upload_credentials():
        values |= {credentials["secretAccessKey"], credentials["sessionToken"]}
    for url in emulator.issued_download_urls():
        query = parse_qs(urlsplit(url).query)
        values.update(value for key in ("X-Amz-Signature",) for value in query.get(key, []))
    forms = set()
    for value in values:
        forms |= {value, quote(value, safe=""), quote(value, safe="/")}
    return {form for form in forms if len(form) >= 8}


def _exchange(client: JamfProClient, emulator: JamfEmulator, tmp_path: Path) -> list[str]:
    """Uploads and downloads that succeed through faults, and ones that fail."""
    texts = [repr(client), repr(client.jcds2), repr(client.container)]
    big = make_file(tmp_path / "Secret Multipart.pkg", 11 * MiB, seed=1)
    small = make_file(tmp_path / "Secret Single.pkg", 300_000, seed=2)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    emulator.set_fault_plan(
        FaultPlan(
            rules=[
                S3ErrorFault(
                    code="ExpiredToken",
                    path=object_path(emulator),
                    query="partNumber=",
                    skip=1,
                    times=1,
                ),
                ExpireUrlFault(
                    path=object_path(emulator),
                    method="GET",
                    after_ranges=6,
                    times=None,
                ),
            ]
        )
    )
    texts += [
        repr(client.jcds2.upload_file(file_path=big)),
        repr(client.jcds2.upload_file(file_path=small)),
    ]
    texts.append(repr(client.jcds2.download_file(file_name=big.name, download_path=out)))
    texts.append(repr(client.jcds2.list_files()))
    failing = [
        StatusFault(
            server="s3",
            method="GET",
            path=object_path(emulator),
            status=500,
            times=None,
        ),
        S3ErrorFault(
            code="InternalError",
            path=object_path(emulator),
            method="PUT",
            times=None,
        ),
    ]
    emulator.set_fault_plan(FaultPlan(rules=failing))
    for attempt in (
        lambda: client.jcds2.download_file(file_name=small.name, download_path=out),
        lambda: client.jcds2.upload_file(
            file_path=make_file(tmp_path / "Secret Failing.pkg", 1000)
        ),
    ):
        with pytest.raises(Jcds2Error) as caught:
            attempt()
        texts.append("".join(traceback.format_exception(caught.value)))
        texts.append(repr(caught.value))
    emulator.clear_faults()
    return texts


@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_no_secret_in_debug_logs_reprs_or_errors(
    emulator: JamfEmulator, tmp_path: Path, capture: Capture, kind: str
) -> None:
    credentials = (
        BasicAuthProvider(emulator.username, emulator.password)
        if kind == "basic"
        else ApiClientCredentialsProvider(emulator.client_id, emulator.client_secret)
    )
    texts = [repr(credentials)]
    with JamfProClient(
        emulator.url, credentials, transfer_config=FAST, s3_endpoint_url=emulator.s3_endpoint_url
    ) as client:
        texts += _exchange(client, emulator, tmp_path)
    # Another client: a fresh sign-in, and a failing one with a wrong password.
    with (
        pytest.raises(Jcds2Error) as caught,
        JamfProClient(
            emulator.url,
            BasicAuthProvider(emulator.username, emulator.password + "-wrong"),
            transfer_config=FAST,
        ) as wrong,
    ):
        wrong.jcds2.list_files()
    texts.append("".join(traceback.format_exception(caught.value)))

    secrets = _secrets(emulator)
    assert len(emulator.issued_upload_credentials()) >= 3  # two tickets and a renewal
    # The capture is real: the libraries' DEBUG records are in it, signing and all.
    assert {"jcds2", "botocore", "urllib3"} <= capture.loggers
    assert any("x-amz-security-token" in line.lower() for line in capture.lines)
    haystack = "\n".join(capture.lines + texts)
    leaked = sorted(secret for secret in secrets if secret in haystack)
    assert leaked == [], _context(haystack, leaked[0]) if leaked else ""


def _context(haystack: str, secret: str) -> str:
    index = haystack.index(secret)
    return re.sub(re.escape(secret), "<SECRET>", haystack[max(0, index - 300) : index + 100])
