"""A small RSQL parser and evaluator for the Pro API's ``filter`` parameter.

Supported: comparisons with ``==`` and ``!=``; values unquoted, or in double or single quotes
with backslash escapes; ``*`` as a wildcard in values; ``and``/``;`` and ``or``/``,`` (``and``
binds tighter); parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

import attrs

_RESERVED = set("\"'();,=!~<> \t\r\n")


class RsqlError(ValueError):
    """Raised when a filter expression is malformed or names a field that cannot be filtered."""


@attrs.frozen
class Comparison:
    """``field op value``."""

    field: str
    operator: str
    value: str

    def matches(self, lookup: Callable[[str], str | None]) -> bool:
        actual = lookup(self.field)
        equal = actual is not None and _value_matches(self.value, actual)
        return equal if self.operator == "==" else not equal


@attrs.frozen
class And:
    """All of the operands hold."""

    operands: tuple[Node, ...]

    def matches(self, lookup: Callable[[str], str | None]) -> bool:
        return all(operand.matches(lookup) for operand in self.operands)


@attrs.frozen
class Or:
    """At least one of the operands holds."""

    operands: tuple[Node, ...]

    def matches(self, lookup: Callable[[str], str | None]) -> bool:
        return any(operand.matches(lookup) for operand in self.operands)


Node = Comparison | And | Or


def _value_matches(pattern: str, actual: str) -> bool:
    # Jamf's database compares text case-insensitively by default; do the same so that
    # clients learn to re-check exact names on the results.
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, actual, flags=re.IGNORECASE | re.DOTALL) is not None


@attrs.frozen
class _Token:
    kind: str  # "(", ")", "and", "or", "op", "word", "string", "end"
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token(char, char, i))
            i += 1
        elif char == ";":
            tokens.append(_Token("and", char, i))
            i += 1
        elif char == ",":
            tokens.append(_Token("or", char, i))
            i += 1
        elif text.startswith(("==", "!="), i):
            tokens.append(_Token("op", text[i : i + 2], i))
            i += 2
        elif char in "\"'":
            value, i = _read_quoted(text, i)
            tokens.append(_Token("string", value, i))
        elif char in _RESERVED:
            raise RsqlError(f"unsupported operator or character {char!r} at position {i}")
        else:
            start = i
            while i < len(text) and text[i] not in _RESERVED:
                i += 1
            word = text[start:i]
            kind = word.lower() if word.lower() in ("and", "or") else "word"
            tokens.append(_Token(kind, word, start))
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                break
            chars.append(text[i + 1])
            i += 2
        elif char == quote:
            return "".join(chars), i + 1
        else:
            chars.append(char)
            i += 1
    raise RsqlError(f"unterminated quoted value starting at position {start}")


class _Parser:
    def __init__(self, text: str, fields: Collection[str]) -> None:
        self._tokens = _tokenize(text)
        self._index = 0
        self._fields = fields

    def parse(self) -> Node:
        node = self._or()
        self._expect("end")
        return node

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _expect(self, kind: str) -> _Token:
        token = self._next()
        if token.kind != kind:
            found = repr(token.text) if token.text else "end of filter"
            raise RsqlError(f"expected {kind} but found {found} at position {token.position}")
        return token

    def _or(self) -> Node:
        operands = [self._and()]
        while self._peek().kind == "or":
            self._next()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and(self) -> Node:
        operands = [self._primary()]
        while self._peek().kind == "and":
            self._next()
            operands.append(self._primary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _primary(self) -> Node:
        if self._peek().kind == "(":
            self._next()
            node = self._or()
            self._expect(")")
            return node
        field = self._expect("word")
        if field.text not in self._fields:
            raise RsqlError(f"field {field.text!r} cannot be used in a filter")
        operator = self._expect("op")
        value = self._next()
        # A bare "and"/"or" after an operator is a value, not a keyword.
        keyword_as_value = value.kind in ("and", "or") and value.text.isalpha()
        if value.kind not in ("word", "string") and not keyword_as_value:
            raise RsqlError(f"expected a value at position {value.position}")
        return Comparison(field.text, operator.text, value.text)


def parse(text: str, fields: Collection[str]) -> Node | None:
    """Parse a filter; ``None`` for an empty one (no filtering).

    Raises RsqlError for bad syntax or a field outside ``fields``.
    """
    if not text.strip():
        return None
    return _Parser(text, fields).parse()
