"""The adapters read each shape of a field that Jamf Pro versions send, over real HTTP.

A small loopback server answers as a Jamf Pro of another version would: the same fields,
other JSON types. An answer without a field the client needs is an
``UnexpectedAnswerError`` naming the field and the endpoint.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from jcds2 import TransferConfig
from jcds2.adapters.classic_api import ClassicApiPackageRepository
from jcds2.adapters.http_session import build_session
from jcds2.adapters.jamf_auth import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    CredentialsProvider,
)
from jcds2.adapters.jamf_http import JamfHttpClient
from jcds2.adapters.pro_api import JcdsApiFileStore, ProApiPackageLookup
from jcds2.adapters.pro_packages import ProApiPackageRepository
from jcds2.domain.server import JamfServer
from jcds2.errors import UnexpectedAnswerError
from tests.helpers import answer, tiny_server

UTC = dt.timezone.utc
EXPIRY = dt.datetime(2099, 1, 2, 3, 4, 5, tzinfo=UTC)
CONFIG = TransferConfig(max_attempts=1, connect_timeout=5.0, read_timeout=5.0)

TICKET = {
    "accessKeyID": "AKIAEXAMPLE",
    "secretAccessKey": "secret-key",
    "sessionToken": "session-token",
    "region": "eu-central-1",
    "bucketName": "jcds-bucket",
    "path": "tmp/1234/",
    "uuid": "1234",
}


@contextmanager
def jamf(answers: dict[str, Any], credentials: CredentialsProvider) -> Iterator[JamfHttpClient]:
    """A ``JamfHttpClient`` on a server that answers each path with ``answers[path]``
    (JSON), and a token in Jamf's documented shape unless ``answers`` says otherwise."""
    documented = {
        "/api/v1/auth/token": {"token": "t0ken", "expires": "2099-01-01T00:00:00.000Z"},
        "/api/v1/oauth/token": {"access_token": "t0ken", "expires_in": 1200},
    }

    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        handler.rfile.read(length)
        path = handler.path.split("?", 1)[0]
        body = {**documented, **answers}.get(path)
        if body is None:
            answer(handler, 404, b'{"httpStatus": 404, "errors": []}')
            return
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        answer(handler, 201 if handler.command == "POST" else 200, content)

    with tiny_server(handle) as (url, _), build_session(CONFIG) as session:
        yield JamfHttpClient(session, JamfServer.parse(url), credentials, CONFIG)


BASIC = BasicAuthProvider("user", "password")


@pytest.mark.parametrize(
    "expiration",
    [
        int(EXPIRY.timestamp()),
        float(EXPIRY.timestamp()),
        str(int(EXPIRY.timestamp())),
        int(EXPIRY.timestamp()) * 1000,
        "2099-01-02T03:04:05Z",
        "2099-01-02T03:04:05.000Z",
        "2099-01-02T03:04:05.123456789Z",
        "2099-01-02T04:04:05+01:00",
    ],
)
def test_the_upload_ticket_expiration_in_each_shape(expiration: Any) -> None:
    with jamf({"/api/v1/jcds/files": {**TICKET, "expiration": expiration}}, BASIC) as http:
        ticket = JcdsApiFileStore(http).open_upload("Shapes.pkg")
    assert ticket.credentials.expiration.replace(microsecond=0) == EXPIRY
    assert ticket.key == "tmp/1234/Shapes.pkg"


@pytest.mark.parametrize(
    "expires",
    [
        "2099-01-02T03:04:05Z",
        "2099-01-02T03:04:05.1Z",
        "2099-01-02T03:04:05.123Z",
        "2099-01-02T03:04:05.123456Z",
        "2099-01-02T03:04:05.123456789Z",
        "2099-01-02T03:04:05.123+00:00",
        int(EXPIRY.timestamp()) * 1000,
    ],
)
def test_the_token_expiry_in_each_shape(expires: Any) -> None:
    with jamf({"/api/v1/auth/token": {"token": "t0ken", "expires": expires}}, BASIC) as http:
        token = http.token()
    assert token.expires_at.replace(microsecond=0) == EXPIRY


@pytest.mark.parametrize("expires_in", [1200, 1200.0, "1200", " 1200 "])
def test_the_oauth_lifetime_as_a_number_or_a_string(expires_in: Any) -> None:
    answers = {"/api/v1/oauth/token": {"access_token": "t0ken", "expires_in": expires_in}}
    with jamf(answers, ApiClientCredentialsProvider("id", "secret")) as http:
        token = http.token()
    assert 1190 < token.seconds_left() <= 1200


@pytest.mark.parametrize(("length", "size"), [(1024, 1024), ("1024", 1024)])
def test_a_listed_file_length_as_a_number_or_a_string(length: Any, size: int) -> None:
    listing = [{"fileName": "A.pkg", "length": length, "md5": "0" * 32, "sha3": None}]
    with jamf({"/api/v1/jcds/files": listing}, BASIC) as http:
        (listed,) = JcdsApiFileStore(http).list_files()
    assert (listed.size, listed.md5, listed.sha3_512) == (size, "0" * 32, None)


@pytest.mark.parametrize(
    ("package_id", "size", "expected_size"),
    [("12", "2048", 2048), (12, 2048, 2048), ("12", "", None), (12, None, None)],
)
def test_a_pro_package_id_and_size_as_numbers_or_strings(
    package_id: Any, size: Any, expected_size: int | None
) -> None:
    found = {
        "totalCount": "1",
        "results": [{"id": package_id, "packageName": "A", "fileName": "A.pkg", "size": size}],
    }
    with jamf({"/api/v1/packages": found, "/api/v1/packages/12": found["results"][0]}, BASIC) as (
        http
    ):
        package = ProApiPackageLookup(http).find_by_file_name("A.pkg")
        read = ProApiPackageRepository(http).get(12)
    assert package is not None
    assert read is not None
    assert (package.id, package.size) == (read.id, read.size) == (12, expected_size)


@pytest.mark.parametrize("package_id", [7, "7"])
def test_a_classic_package_id_as_a_number_or_a_string(package_id: Any) -> None:
    body = {"package": {"id": package_id, "name": "A", "filename": "A.pkg", "hash_type": ""}}
    with jamf({"/JSSResource/packages/id/7": body}, BASIC) as http:
        package = ClassicApiPackageRepository(
            http, ProApiPackageLookup(http).find_by_file_name
        ).get(7)
    assert package is not None
    assert (package.id, package.hash_type) == (7, None)


def _ticket_without(name: str) -> dict[str, Any]:
    return {
        key: value for key, value in {**TICKET, "expiration": 4_000_000_000}.items() if key != name
    }


UNREADABLE: dict[str, tuple[dict[str, Any], Callable[[JamfHttpClient], object], str, str]] = {
    "ticket without expiration": (
        {"/api/v1/jcds/files": _ticket_without("expiration")},
        lambda http: JcdsApiFileStore(http).open_upload("A.pkg"),
        "expiration",
        "POST /api/v1/jcds/files",
    ),
    "ticket with a word for expiration": (
        {"/api/v1/jcds/files": {**TICKET, "expiration": "tomorrow"}},
        lambda http: JcdsApiFileStore(http).open_upload("A.pkg"),
        "expiration",
        "POST /api/v1/jcds/files",
    ),
    "ticket without bucket": (
        {"/api/v1/jcds/files": _ticket_without("bucketName")},
        lambda http: JcdsApiFileStore(http).open_upload("A.pkg"),
        "bucketName",
        "POST /api/v1/jcds/files",
    ),
    "token without expiry": (
        {"/api/v1/auth/token": {"token": "t0ken"}},
        lambda http: http.token(),
        "expires",
        "POST /api/v1/auth/token",
    ),
    "listing with a length in words": (
        {"/api/v1/jcds/files": [{"fileName": "A.pkg", "length": "big"}]},
        lambda http: JcdsApiFileStore(http).list_files(),
        "length",
        "GET /api/v1/jcds/files",
    ),
    "package without id": (
        {"/api/v1/packages/12": {"packageName": "A", "fileName": "A.pkg"}},
        lambda http: ProApiPackageRepository(http).get(12),
        "id",
        "GET /api/v1/packages/{id}",
    ),
    "package search without results": (
        {"/api/v1/packages": {"totalCount": 0}},
        lambda http: ProApiPackageLookup(http).find_by_file_name("A.pkg"),
        "results",
        "GET /api/v1/packages",
    ),
}


@pytest.mark.parametrize("case", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_field_is_a_typed_error_naming_it(
    case: tuple[dict[str, Any], Callable[[JamfHttpClient], object], str, str],
) -> None:
    answers, call, name, endpoint = case
    with jamf(answers, BASIC) as http, pytest.raises(UnexpectedAnswerError) as caught:
        call(http)
    assert (caught.value.field, caught.value.endpoint) == (name, endpoint)
    assert repr(name) in str(caught.value)
    assert endpoint in str(caught.value)
    assert "secret-key" not in str(caught.value)
