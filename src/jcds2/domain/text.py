"""Text from a server, made safe to show on a terminal."""

from __future__ import annotations

import re
import unicodedata

# Bidirectional controls are category Cf, like the other invisible format characters;
# every C0/C1 control, DEL included, is Cc.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SUSPECT = re.compile(r"[^\x20-\x7e]")


def hidden(char: str) -> bool:
    """Whether ``char`` is a control, bidirectional or other invisible character."""
    return unicodedata.category(char) in _HIDDEN_CATEGORIES


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if not hidden(char):
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def shown(text: str) -> str:
    """``text`` with every control, bidirectional and other invisible character escaped.

    ``"\\x1b]0;owned\\x07"`` becomes ``\\x1b]0;owned\\x07`` as literal text, a right-to-left
    override ``\\u202e`` as the six characters ``\\u202e``; printable text in any script
    is kept as it is. Used for everything a server says that reaches a terminal
    or an error message: file and package names, error explanations.
    """
    return _SUSPECT.sub(_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    if not hidden(char):
        return char
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def shown_json(document: str) -> str:
    """A JSON ``document`` with the characters :func:`shown` escapes written as JSON
    ``\\u`` escapes: the same data once parsed, and nothing a terminal acts on."""
    return _SUSPECT.sub(_json_escape, document)
