"""The (deprecated, still served) ``/api/v1/jcds/*`` routes: upload tickets and JCDS files."""

from __future__ import annotations

import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator.external import ExternalFiles
from jcds2.emulator.issued import IssuedSecrets
from jcds2.emulator.s3 import REGION, S3Bucket
from jcds2.emulator.state import Principal
from jcds2.emulator.web import Call, Route, api_error, json_response, no_content

_KEY_ALPHABET = string.ascii_uppercase + string.digits


@attrs.frozen
class Ticket:
    """An upload ticket: where to put the file, for whom."""

    uuid: str
    principal: Principal
    sequence: int

    @property
    def path(self) -> str:
        return f"tmp/{self.uuid}/"


class TicketStore:
    """Thread-safe upload tickets, remembering each principal's latest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[Principal, Ticket] = {}
        self._counter = 0

    def issue(self, principal: Principal) -> Ticket:
        with self._lock:
            self._counter += 1
            ticket = Ticket(str(uuid.uuid4()), principal, self._counter)
            self._latest[principal] = ticket
            return ticket

    def latest(self, principal: Principal) -> Ticket | None:
        with self._lock:
            return self._latest.get(principal)

    def clear(self) -> None:
        with self._lock:
            self._latest.clear()


def jcds_listing(bucket: S3Bucket, external: ExternalFiles | None) -> list[dict[str, Any]]:
    """``GET /api/v1/jcds/files``: the bucket's files, then external ones of other names."""
    found = [(f.file_name, f.length, f.md5, f.sha3) for f in bucket.files()]
    if external is not None:
        taken = {name for name, *_ in found}
        found += [(f.file_name, f.length, f.md5, f.sha3) for f in external.files(exclude=taken)]
    return [
        {"fileName": name, "length": length, "md5": md5, "sha3": sha3, "region": REGION}
        for name, length, md5, sha3 in sorted(found)
    ]


@attrs.frozen
class JcdsRoutes:
    """Upload tickets, file listing with digests, download URLs, deletion.

    Files in the bucket get presigned S3 URLs; files of ``external`` (if any) whose
    names are not in the bucket get the external download base URL. ``refresh`` (if any)
    is told the ``file-name`` of each inventory refresh (None: every file) and answers it
    when it is refused (None: done).
    """

    bucket: S3Bucket
    tickets: TicketStore
    credential_ttl_seconds: float
    external: ExternalFiles | None = None
    issued: IssuedSecrets = attrs.Factory(IssuedSecrets)
    refresh: Callable[[str | None], Response | None] | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/jcds/files", ("GET", "POST"), self.files),
            Route("/api/v1/jcds/files/<file_name>", ("GET", "DELETE"), self.file),
            Route("/api/v1/jcds/renew-credentials", ("POST",), self.renew),
            Route("/api/v1/jcds/refresh-inventory", ("POST",), self.refresh_inventory),
        ]

    def files(self, call: Call) -> Response:
        if call.request.method == "POST":
            assert call.principal is not None
            return json_response(self._credentials(self.tickets.issue(call.principal)), 201)
        return json_response(jcds_listing(self.bucket, self.external))

    def file(self, call: Call) -> Response:
        name = call.args["file_name"]
        outside = self.external.find(name) if self.external is not None else None
        if call.request.method == "DELETE":
            if self.bucket.delete_file(name) > 0:
                return no_content()
            if outside is not None:
                return api_error(
                    400, "READ_ONLY_FILE", f"File {name} is an external file; it is read-only"
                )
            return _no_such_file(name)
        found = self.bucket.find(name)
        if found is not None:
            url = self.issued.numbered_url(self.bucket.download_url(found.key))
            return json_response({"uri": url})
        if outside is not None and self.external is not None:
            url = self.external.download_url(name)
            self.issued.add_url(url)
            return json_response({"uri": url})
        return _no_such_file(name)

    def renew(self, call: Call) -> Response:
        assert call.principal is not None
        ticket = self.tickets.latest(call.principal)
        if ticket is None:
            return api_error(404, "NOT_FOUND", "No upload in progress to renew credentials for")
        return json_response(self._credentials(ticket))

    def refresh_inventory(self, call: Call) -> Response:
        refused = None
        if self.refresh is not None:
            refused = self.refresh(call.request.args.get("file-name") or None)
        return no_content() if refused is None else refused

    def _credentials(self, ticket: Ticket) -> dict[str, Any]:
        # The S3 server accepts any keys; random ones make sure clients use what they get.
        credentials: dict[str, Any] = {
            "accessKeyID": "ASIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16)),
            "secretAccessKey": secrets.token_urlsafe(30),
            "sessionToken": secrets.token_urlsafe(96),
            "region": REGION,
            "expiration": int(time.time() + self.credential_ttl_seconds),
            "bucketName": self.bucket.name,
            "path": ticket.path,
            "uuid": ticket.uuid,
        }
        self.issued.add_credentials(credentials)
        return credentials


def _no_such_file(name: str) -> Response:
    return api_error(404, "NOT_FOUND", f"File {name} does not exist in the JCDS")
