"""Just enough DER to read who an X.509 certificate names: its subject's common name.

A careful walk over the certificate's outer structure, bounded by the bytes given: every
length is checked against what is left, so a truncated or hostile certificate gives
``None`` or ``ValueError``, never an over-read. Nothing here verifies a signature.
"""

from __future__ import annotations

_SEQUENCE, _SET, _CONTEXT_0 = 0x30, 0x31, 0xA0
_OID = 0x06
#: 2.5.4.3, the attribute type of a common name.
_COMMON_NAME = bytes([0x55, 0x04, 0x03])
#: The string types a name's value comes in, and how each is decoded.
_STRINGS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "latin-1",  # PrintableString (a subset of ASCII)
    0x14: "latin-1",  # TeletexString, read as Latin-1 as most tools do
    0x16: "latin-1",  # IA5String
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}


def _element(data: bytes, at: int, limit: int | None = None) -> tuple[int, int, int]:
    """The tag, the start and the end of the content of the element at ``at``, which must
    end by ``limit`` (default: the end of ``data``)."""
    limit = len(data) if limit is None else limit
    if at + 2 > limit:
        raise ValueError("truncated DER element")
    tag, first = data[at], data[at + 1]
    start = at + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or start + count > limit:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > limit:
        raise ValueError("DER element longer than the data")
    return tag, start, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    found = []
    at = start
    while at < end:
        tag, content, after = _element(data, at, end)
        found.append((tag, content, after))
        at = after
    return found


def _subject(certificate: bytes) -> tuple[int, int]:
    """Where the content of the subject of the DER ``certificate`` starts and ends."""
    tag, start, end = _element(certificate, 0)
    if tag != _SEQUENCE:
        raise ValueError("a certificate is a DER SEQUENCE")
    tag, start, end = _element(certificate, start)  # tbsCertificate
    if tag != _SEQUENCE:
        raise ValueError("a certificate starts with its to-be-signed SEQUENCE")
    fields = _children(certificate, start, end)
    if fields and fields[0][0] == _CONTEXT_0:
        fields = fields[1:]  # the explicit version
    # serialNumber, signature, issuer, validity, subject
    if len(fields) < 5:
        raise ValueError("a certificate's to-be-signed part is too short")
    tag, start, end = fields[4]
    if tag != _SEQUENCE:
        raise ValueError("a certificate's subject is a SEQUENCE")
    return start, end


def subject_common_name(certificate: bytes) -> str | None:
    """The first common name of the subject of the DER ``certificate``, or ``None`` when
    the subject has none. Raises ``ValueError`` when it is not a certificate's shape."""
    start, end = _subject(certificate)
    for set_tag, set_start, set_end in _children(certificate, start, end):
        if set_tag != _SET:
            raise ValueError("a name is a SEQUENCE of SETs")
        for pair_tag, pair_start, pair_end in _children(certificate, set_start, set_end):
            if pair_tag != _SEQUENCE:
                raise ValueError("a name's attribute is a SEQUENCE")
            pair = _children(certificate, pair_start, pair_end)
            if len(pair) != 2 or pair[0][0] != _OID:
                raise ValueError("a name's attribute is a type and a value")
            (_, oid_start, oid_end), (value_tag, value_start, value_end) = pair
            if certificate[oid_start:oid_end] != _COMMON_NAME:
                continue
            encoding = _STRINGS.get(value_tag)
            if encoding is None:
                raise ValueError("a common name of an unknown string type")
            try:
                return certificate[value_start:value_end].decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError("a common name that does not decode") from exc
    return None
