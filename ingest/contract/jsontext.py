"""JSON text kept as received: whether Postgres's jsonb can store it exactly, and if not, why.

Nested JSON (objects such as `metadata`, unknown fields) is stored from the text the source sent,
never decoded and re-encoded, so every number keeps its digits. jsonb still refuses some valid
JSON: a NUL character, an unpaired UTF-16 surrogate escape, a number beyond numeric's range, text
that is not UTF-8, or nesting deep enough to exhaust the server's stack. `quick_safe` clears the
usual value in one cheap pass; only what it cannot clear takes the exact `problem` check.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_DEPTH = 512  # deeper JSON is refused: Python's parsers and Postgres's stack both run out
INTEGER_DIGITS = 131_072  # Postgres numeric: digits before the decimal point
FRACTION_DIGITS = 16_383  # and after it
_LONG = 16_000  # a text this long may hold a number too long for numeric: check it exactly
# a NUL or surrogate escape, or a digit followed by an exponent: cleared by the exact check
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|[0-9][eE]")
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:]')
_SURROGATE = re.compile("[\ud800-\udfff]")


def quick_safe(text: bytes) -> bool:
    """True when jsonb surely stores this JSON text as it is; False: ask `problem`."""
    if len(text) <= MAX_DEPTH and text.isascii():  # the usual value: one regex pass decides
        return _SUSPECT.search(text) is None
    if len(text) > _LONG or _SUSPECT.search(text) is not None:
        return False
    if text.count(b"{") + text.count(b"[") > MAX_DEPTH:
        return False
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def problem(text: bytes) -> str | None:
    """Why jsonb cannot store this JSON text exactly (a phrase after the field's name), or None."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as error:
        return (
            f"is not valid UTF-8 (byte 0x{text[error.start]:02x} at position {error.start}); "
            "re-export it as UTF-8"
        )
    if too_deep_at(decoded) is not None:
        return f"nests JSON deeper than {MAX_DEPTH} levels"
    numbers: list[str] = []
    try:
        value = json.loads(
            decoded, parse_int=numbers.append, parse_float=numbers.append, parse_constant=_refuse
        )
    except (ValueError, RecursionError) as error:
        return f"is not valid JSON ({str(error).splitlines()[0]})"
    return _strings_problem(value) or _numbers_problem(numbers)


def field_problem(text: str) -> tuple[str, str] | None:
    """For a line msgspec refused: the top-level field holding a string jsonb cannot store (an
    unpaired surrogate escape, say) and why, when the line is otherwise a JSON object."""
    if too_deep_at(text) is not None:
        return None
    try:
        value = json.loads(text, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    for name, item in value.items():
        reason = _strings_problem(name) or _strings_problem(item)
        if reason is not None:
            return name, reason
    return None


def too_deep_at(text: str) -> str | None:
    """The top-level key under which `text` nests deeper than MAX_DEPTH ("" at the top), or None.

    Iterative, so it never runs out of stack whatever the depth.
    """
    depth = 0
    key = ""
    last_string = ""
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return key
        elif token in "]}":
            depth -= 1
        elif token == ":":
            if depth == 1:
                key = _string(last_string)
        else:
            last_string = token
    return None


def _string(token: str) -> str:
    try:
        value = json.loads(token)
    except ValueError:
        return token
    return value if isinstance(value, str) else token


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _strings_problem(value: Any) -> str | None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return (
                    "holds a NUL character (\\u0000), which Postgres cannot store; "
                    "remove it at the source"
                )
            surrogate = _SURROGATE.search(item)
            if surrogate is not None:
                return (
                    f"holds an unpaired surrogate escape (\\u{ord(surrogate.group()):04x}), "
                    "which is not a character"
                )
    return None


def _numbers_problem(numbers: list[str]) -> str | None:
    for number in numbers:
        reason = numeric_problem(number)
        if reason is not None:
            return reason
    return None


def numeric_problem(number: str) -> str | None:
    """Why Postgres's numeric cannot hold this JSON number exactly, or None."""
    try:
        value = Decimal(number)
    except InvalidOperation:
        return f"holds {shorten(number)}, which is not a number"
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # a JSON number is finite
    integer_digits = len(digits) + exponent
    fraction_digits = -exponent
    if integer_digits > INTEGER_DIGITS or fraction_digits > FRACTION_DIGITS:
        return (
            f"holds the number {shorten(number)}, beyond what Postgres can store exactly "
            f"(at most {INTEGER_DIGITS} digits before the decimal point and "
            f"{FRACTION_DIGITS} after it)"
        )
    return None


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
