"""Load: 8 uploads and 8 downloads at once through one client while tokens keep expiring."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import attrs
import pytest

from jcds2 import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    CredentialsProvider,
    JamfProClient,
)
from jcds2.domain.transfer import MiB
from jcds2.emulator import ExpireTokensFault, FaultPlan, JamfEmulator
from tests.helpers import make_file, sha

from .conftest import FAST, assert_consistent

TOKEN_PATHS = {
    "/api/v1/auth/token",
    "/api/v1/auth/keep-alive",
    "/api/oauth/token",
    "/api/v1/oauth/token",
}
#: The life of the short-lived tokens. A request that meets an expired token goes again
#: with a fresh one, and fails only if that one has expired as well before it arrives: the
#: life is long enough that even a busy 2-core machine never takes it twice over.
TOKEN_TTL = 4.0
#: Rounds of 16 transfers go on until the run has spanned several token lifetimes.
MIN_SECONDS = 3 * TOKEN_TTL
#: Rounds of 16 transfers with one revocation of every token each.
ROUNDS = 3
CONFIG = attrs.evolve(FAST, concurrency=2, read_timeout=10.0)


def _client(kind: str, emulator: JamfEmulator) -> JamfProClient:
    credentials: CredentialsProvider
    if kind == "basic":
        credentials = BasicAuthProvider(emulator.username, emulator.password)
    else:
        credentials = ApiClientCredentialsProvider(emulator.client_id, emulator.client_secret)
    return JamfProClient(
        emulator.url,
        credentials,
        transfer_config=CONFIG,
        s3_endpoint_url=emulator.s3_endpoint_url,
    )


def _sources(tmp_path: Path, client: JamfProClient) -> list[Path]:
    folder = tmp_path / "sources"
    folder.mkdir()
    sources = [make_file(folder / f"Load {n}.pkg", 2 * MiB + n, seed=n) for n in range(8)]
    for path in sources:
        client.jcds2.upload_file(file_path=path)
    return sources


def _round(client: JamfProClient, work: Path, sources: list[Path], number: int) -> None:
    """8 uploads + 8 downloads at once, all checked."""
    out = work / "out"
    out.mkdir(parents=True)
    uploads = [make_file(work / f"Up {number}-{n}.pkg", MiB + n, seed=n) for n in range(8)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures: list[Future[object]] = [
            pool.submit(client.jcds2.upload_file, file_path=path) for path in uploads
        ]
        futures += [
            pool.submit(client.jcds2.download_file, file_name=path.name, download_path=out)
            for path in sources
        ]
        for future in futures:
            future.result()
    for path in sources:
        assert sha(out / path.name) == sha(path)


def _run(client: JamfProClient, tmp_path: Path, sources: list[Path]) -> tuple[float, int]:
    """Rounds of 16 transfers until MIN_SECONDS have passed."""
    started, rounds = time.monotonic(), 0
    while time.monotonic() - started < MIN_SECONDS:
        rounds += 1
        _round(client, tmp_path / f"round-{rounds}", sources, rounds)
    return time.monotonic() - started, rounds


def _token_requests(emulator: JamfEmulator) -> int:
    return sum(1 for r in emulator.request_log if r.path in TOKEN_PATHS)


@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_sixteen_transfers_through_one_client_while_the_server_expires_tokens(
    emulator: JamfEmulator, tmp_path: Path, kind: str
) -> None:
    """Every token revoked by the server in the middle of each round of 16 transfers:
    the requests that meet the revoked token get a fresh one and go again, and there is
    one new token per revocation, not one per thread.

    The revocation is tied to an event, not a clock: the first inventory refresh of a
    round (an upload has reached S3 while the others and the downloads are in flight).
    Rounds follow one another, so no request can meet two revocations, however slowly
    a busy machine runs them (a 2 s clock did: a request and its repeat each took ~2 s).
    """
    revoke = ExpireTokensFault(
        server="jamf",
        method="POST",
        path="/api/v1/jcds/refresh-inventory",
        # Once, at the first such request at least 1 ms after the plan is set: the first
        # upload of the round to get that far (each round makes 8 such requests).
        after_seconds=0.001,
    )
    with _client(kind, emulator) as client:
        sources = _sources(tmp_path, client)
        emulator.clear_request_log()
        for number in range(1, ROUNDS + 1):
            emulator.set_fault_plan(FaultPlan(rules=[revoke]))
            _round(client, tmp_path / f"round-{number}", sources, number)
        expiries = sum(1 for record in emulator.fault_log if record.kind == "expire_tokens")
    refreshes = [r for r in emulator.request_log if r.path == "/api/v1/jcds/refresh-inventory"]

    assert expiries == ROUNDS
    assert len(emulator.packages()) == 8 + 8 * ROUNDS
    assert_consistent(emulator)
    requests = _token_requests(emulator)
    print(f"\n{kind}: {ROUNDS} rounds, {expiries} revocations, {requests} tokens")
    # The refresh that set off each revocation met it (401) and was sent again.
    assert len(refreshes) >= 8 * ROUNDS + ROUNDS
    assert requests == expiries


@pytest.mark.parametrize("kind", ["basic", "api-client"])
def test_short_lived_tokens_are_renewed_once_per_lifetime(
    emulator: JamfEmulator, tmp_path: Path, kind: str
) -> None:
    """Short-lived tokens: renewed before they expire, once each, however many threads."""
    with _client(kind, emulator) as client:
        sources = _sources(tmp_path, client)
        emulator.set_token_ttl(TOKEN_TTL)
        client.container.jamf_http().invalidate()  # the next token has the short life
        emulator.clear_request_log()
        elapsed, rounds = _run(client, tmp_path, sources)

    assert len(emulator.packages()) == 8 + 8 * rounds
    assert_consistent(emulator)
    requests = _token_requests(emulator)
    # Renewed in the last quarter of each life: at most one request per 3/4 of a life.
    allowed = int(elapsed / (TOKEN_TTL * 0.75)) + 1
    print(f"\n{kind}: {elapsed:.1f} s, {requests} token requests, at most {allowed} allowed")
    assert 3 <= requests <= allowed
