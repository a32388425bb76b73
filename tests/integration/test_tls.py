"""TLS: verified by default, a CA bundle when given (whatever the environment says), for every host.

The HTTPS servers here are TLS-terminating proxies (``tests.helpers.tls_proxy``) in front of
the emulator, moto's S3 server and a tiny download host, with a CA made for the test run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jcds2 import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    CredentialsProvider,
    JamfProClient,
    TransferConfig,
)
from jcds2.emulator import JamfEmulator
from jcds2.errors import InsecureUrlError, ServerUnreachableError, TlsVerificationError
from tests.helpers import (
    Certificates,
    make_certificates,
    make_file,
    recording_server,
    serve_ranges,
    tls_proxy,
)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def unrelated_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA bundle that did not sign the test server's certificate."""
    return make_certificates(tmp_path_factory.mktemp("other"), "unrelated CA").ca


@pytest.fixture(autouse=True)
def no_ca_bundle_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def https_url(emulator: JamfEmulator, certificates: Certificates) -> Iterator[str]:
    """The emulator's Jamf API behind HTTPS with the test CA's certificate."""
    with tls_proxy(emulator.url, certificates) as url:
        yield url


def credentials_of(emulator: JamfEmulator, kind: str) -> CredentialsProvider:
    if kind == "basic":
        return BasicAuthProvider(emulator.username, emulator.password)
    return ApiClientCredentialsProvider(emulator.client_id, emulator.client_secret)


@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_default_verify_refuses_a_certificate_from_an_unknown_ca(
    emulator: JamfEmulator, https_url: str, transfer_config: TransferConfig, kind: str
) -> None:
    with (
        JamfProClient(
            https_url, credentials_of(emulator, kind), transfer_config=transfer_config
        ) as client,
        pytest.raises(TlsVerificationError) as caught,
    ):
        client.jcds2.list_files()

    message = str(caught.value)
    assert "could not be verified" in message
    assert "verify='/path/to/ca.pem'" in message
    # The library speaks Python only; the command line says --ca-bundle (issue 15).
    assert "--ca-bundle" not in message
    assert "REQUESTS_CA_BUNDLE" in message
    assert emulator.password not in message
    assert emulator.client_secret not in message
    assert isinstance(caught.value, ServerUnreachableError)
    assert emulator.request_log == []  # the handshake failed: no credentials were sent


def test_a_ca_bundle_verifies_the_server(
    emulator: JamfEmulator, https_url: str, certificates: Certificates
) -> None:
    with JamfProClient(
        https_url,
        credentials_of(emulator, "api-client"),
        verify=str(certificates.ca),
    ) as client:
        assert client.jcds2.list_files() == []
    assert [r.path for r in emulator.request_log][-1] == "/api/v1/auth/invalidate-token"


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_the_ca_bundle_wins_over_the_environment(
    emulator: JamfEmulator,
    https_url: str,
    certificates: Certificates,
    unrelated_ca: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    kind: str,
) -> None:
    monkeypatch.setenv(variable, str(unrelated_ca))
    with JamfProClient(
        https_url, credentials_of(emulator, kind), verify=str(certificates.ca)
    ) as client:
        assert client.jcds2.list_files() == []
    # The token was invalidated over the same verified connection on close().
    assert [r.path for r in emulator.request_log][-1] == "/api/v1/auth/invalidate-token"


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verify_false_wins_over_the_environment(
    emulator: JamfEmulator, https_url: str, unrelated_ca: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(unrelated_ca))
    with JamfProClient(https_url, credentials_of(emulator, "basic"), verify=False) as client:
        assert client.jcds2.list_files() == []


def test_with_the_default_the_environment_bundle_applies(
    emulator: JamfEmulator,
    https_url: str,
    certificates: Certificates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificates.ca))
    with JamfProClient(https_url, credentials_of(emulator, "basic")) as client:
        assert client.jcds2.list_files() == []


@pytest.mark.parametrize("environment", ["clean", "unrelated-bundles"])
def test_the_ca_bundle_applies_to_jamf_s3_and_the_download_host(
    tmp_path: Path,
    certificates: Certificates,
    unrelated_ca: Path,
    transfer_config: TransferConfig,
    monkeypatch: pytest.MonkeyPatch,
    environment: str,
) -> None:
    """One ``verify=`` for all three hosts, each of them behind HTTPS with the test CA.

    It also wins over CA bundles named in the environment for requests and boto3.
    """
    if environment == "unrelated-bundles":
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE"):
            monkeypatch.setenv(name, str(unrelated_ca))
    folder = tmp_path / "external"
    folder.mkdir()
    external = make_file(folder / "External App.pkg", 3 * 1024 * 1024 + 17, seed=5)
    data = external.read_bytes()
    source = make_file(tmp_path / "Uploaded.pkg", 6 * 1024 * 1024 + 1, seed=6)
    with (
        recording_server(lambda handler: serve_ranges(handler, data)) as (download_host, seen),
        tls_proxy(download_host, certificates) as https_download_host,
        JamfEmulator(external_files=folder, download_base_url=https_download_host) as emulator,
        tls_proxy(emulator.url, certificates) as https_jamf,
        tls_proxy(emulator.s3_endpoint_url, certificates) as https_s3,
        JamfProClient(
            https_jamf,
            credentials_of(emulator, "basic"),
            transfer_config=transfer_config,
            verify=str(certificates.ca),
            s3_endpoint_url=https_s3,
        ) as client,
    ):
        uploaded = client.jcds2.upload_file(file_path=source)  # S3 over HTTPS, multipart
        assert uploaded.multipart
        downloads = tmp_path / "downloads"
        downloads.mkdir()
        result = client.jcds2.download_file("External App.pkg", downloads)
        assert result.path.read_bytes() == data
        assert seen  # the bytes came through the HTTPS download host
        again = client.jcds2.download_file(uploaded.file_name, downloads)
        assert again.path.read_bytes() == source.read_bytes()


@pytest.mark.parametrize(
    "server",
    [
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
        "http://0.0.0.0:8080",
        "http://jamf.example.com",
    ],
)
def test_plain_http_to_a_host_that_only_looks_local_is_refused(server: str) -> None:
    # Exact loopback addresses and ``localhost`` are allowed over http (tests/unit/test_server.py).
    with pytest.raises(InsecureUrlError, match="https"):
        JamfProClient(server, BasicAuthProvider("user", "pass"))
