"""Keep secrets out of log records, whoever writes them.

jcds2's own messages never contain a secret, but the libraries under it do when an
application turns on DEBUG logging: botocore logs the canonical request with the S3
session token, urllib3 logs signed download URLs with their signatures. Every secret
jcds2 handles (passwords, client secrets, bearer tokens, S3 keys and session tokens)
is registered here, and a log-record factory replaces them, and the signing parameters
of any URL, in records of the libraries jcds2 drives before any handler sees them.

The factory wraps whatever factory was installed before it, is installed once, and
costs nothing for records that are not emitted (records are only made for enabled
levels).
"""

from __future__ import annotations

import collections
import logging
import re
import threading
from urllib.parse import quote

MASK = "***"
#: Loggers whose records are cleaned: jcds2's own and those of the libraries it drives.
WATCHED = ("jcds2", "botocore", "boto3", "s3transfer", "urllib3", "requests")
#: Short values are not worth hiding (and would mask innocent text).
_MIN_LENGTH = 8
_MAX_SECRETS = 512

_SIGNING_PARAMETER = re.compile(
    r"(?i)\b((?:x-amz-(?:signature|security-token|credential))|signature|policy|key-pair-id"
    r"|sig|token|access_token|client_secret|password)=([^&\s'\"]+)"
)
_AUTH_HEADER = re.compile(
    r"(?i)(['\"]?(?:authorization|x-amz-security-token)['\"]?\s*[:=]\s*)((?:b?['\"])?)"
    r"(?:(?:bearer|basic|aws4-hmac-sha256)\s+)?[^'\"\n]+"
)

#: botocore.auth logs each SigV4 signature it computes (for a presigned URL, the credential).
_SIGNATURE = re.compile(r"(?i)(signature[:=]\s*)[0-9a-f]{64}")

_lock = threading.Lock()
_secrets: collections.OrderedDict[str, None] = collections.OrderedDict()
_installed = False


def register_secret(value: str | None) -> None:
    """Hide ``value`` (and its URL-encoded form) from every watched log record from now on."""
    if not value or len(value) < _MIN_LENGTH:
        return
    with _lock:
        for form in {value, quote(value, safe=""), quote(value, safe="/")}:
            _secrets[form] = None
            _secrets.move_to_end(form)
        while len(_secrets) > _MAX_SECRETS:
            _secrets.popitem(last=False)
    install()


def redact(text: str) -> str:
    """``text`` with every registered secret and every URL signing parameter masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _SIGNING_PARAMETER.sub(lambda match: f"{match.group(1)}={MASK}", text)
    text = _SIGNATURE.sub(lambda match: f"{match.group(1)}{MASK}", text)
    return _AUTH_HEADER.sub(lambda match: f"{match.group(1)}{match.group(2)}{MASK}", text)


def install() -> None:
    """Install the cleaning log-record factory (once per process)."""
    global _installed  # noqa: PLW0603 - one factory per process
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if record.name.startswith(WATCHED):
            _clean(record)
        return record

    logging.setLogRecordFactory(factory)


def _clean(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler to report
        return
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
