"""The rules a field's value must keep beyond its JSON type, and the sentence each broken rule
reads as in audit.rejects: which field, what was wrong, what was expected."""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
import orjson

from ingest.contract import jsontext
from ingest.contract.entities import Field, Kind

INT_BOUNDS = {
    Kind.SMALLINT: (-(2**15), 2**15 - 1),
    Kind.INTEGER: (-(2**31), 2**31 - 1),
    Kind.BIGINT: (-(2**63), 2**63 - 1),
}
# a number as JSON writes it (CSV cells of numeric and integer fields are read as the same)
NUMBER_TEXT = re.compile(rb"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
INTEGER_TEXT = re.compile(r"-?[0-9]+")
NOT_FINITE_TEXT = re.compile(rb"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
# a fraction of a second finer than Postgres's microseconds, which msgspec and Postgres round
# (23:59:59.9999999 would become the next day)
SUB_MICROSECOND = re.compile(rb"\.[0-9]{7}")
# a number with a nonzero digit and an exponent below double precision's smallest (1e-324
# reads as 0.0, silently)
TINY_NUMBER = re.compile(rb"-?[0-9]*\.?[0-9]*[1-9][0-9]*\.?[0-9]*[eE]-[0-9]{3,}")
# numeric(precision, scale): digits in all, digits after the decimal point
NUMERIC_SHAPE = {Kind.NUMERIC_5_2: (5, 2)}
BASE_TYPES: dict[Kind, Any] = {
    Kind.SMALLINT: int,
    Kind.INTEGER: int,
    Kind.BIGINT: int,
    Kind.FLOAT: float,
    Kind.NUMERIC_5_2: msgspec.Raw,  # the number's text, read as a Decimal after decoding
    Kind.BOOLEAN: bool,
    Kind.UUID: uuid.UUID,
    Kind.TIMESTAMP: dt.datetime,
    Kind.TEXT: str,
    Kind.TEXT_ARRAY: list[str | None],
    Kind.JSON_OBJECT: msgspec.Raw,
}
EXPECTED = {
    Kind.SMALLINT: "an integer",
    Kind.INTEGER: "an integer",
    Kind.BIGINT: "an integer",
    Kind.FLOAT: "a number",
    Kind.NUMERIC_5_2: "a number",
    Kind.BOOLEAN: "true or false",
    Kind.UUID: "a UUID such as 123e4567-e89b-12d3-a456-426614174000",
    Kind.TIMESTAMP: "an ISO 8601 timestamp such as 2025-01-31T12:00:00Z",
    Kind.TEXT: "text",
    Kind.TEXT_ARRAY: "an array of text",
    Kind.JSON_OBJECT: "a JSON object",
}
MISSING = object()
_SHOWN_CHARS = 60  # of a value quoted in a reason


def json_cell(field: Field, value: str) -> tuple[Any, str | None]:
    """A CSV cell holding a JSON literal: an object stays text (msgspec.Raw), an array is read."""
    literal = "array" if field.kind is Kind.TEXT_ARRAY else "object"
    problem = (
        f'field "{field.name}" must be a JSON {literal} literal in its cell, got {show(value)}'
    )
    try:
        if field.kind is Kind.JSON_OBJECT:
            return msgspec.json.decode(value.encode(), type=msgspec.Raw), None
        return msgspec.json.decode(value.encode()), None
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None, problem
    except RecursionError:
        return None, f'field "{field.name}" nests JSON deeper than {jsontext.MAX_DEPTH} levels'


def field_problem(field: Field, value: Any, from_text: bool) -> str | None:
    if value is MISSING or value is None:
        if not field.required:
            return None
        return f'required field "{field.name}" is {"missing" if value is MISSING else "null"}'
    base = float if field.kind in NUMERIC_SHAPE else BASE_TYPES[field.kind]
    try:
        typed: Any = msgspec.convert(value, base, strict=not from_text)
    except msgspec.ValidationError:
        return f'field "{field.name}" must be {EXPECTED[field.kind]}, got {show(value)}'
    if isinstance(typed, float) and not math.isfinite(typed):
        return f'field "{field.name}" must be a finite number, got {show(value)}'
    if field.choices is not None and typed not in field.choices:
        allowed = ", ".join(field.choices)
        return f'field "{field.name}" must be one of {allowed}, got {show(value)}'
    if field.max_length is not None and len(typed) > field.max_length:
        return (
            f'field "{field.name}" must be at most {field.max_length} characters, got {len(typed)}'
        )
    if field.kind in INT_BOUNDS or field.minimum is not None or field.maximum is not None:
        kind_low, kind_high = INT_BOUNDS.get(field.kind, (None, None))
        low = field.minimum if field.minimum is not None else kind_low
        high = field.maximum if field.maximum is not None else kind_high
        if (low is not None and typed < low) or (high is not None and typed > high):
            bounds = f"between {number_text(low)} and {number_text(high)}"
            return f'field "{field.name}" must be {bounds}, got {show(value)}'
    return None


def read_decimal(field: Field, raw: msgspec.Raw | None) -> tuple[Decimal | None, str | None]:
    """A numeric field's JSON text (or CSV cell) as a Decimal, exactly, and any problem."""
    text = bytes(raw) if raw is not None else b"null"
    if text == b"null":
        return None, None
    # a JSON number's syntax, in ASCII: Decimal() alone also takes "1_0", other scripts'
    # digits, surrounding spaces, "NaN" and "Infinity", which no JSON writer sends
    value = None
    if NUMBER_TEXT.fullmatch(text) is not None:
        try:
            value = Decimal(text.decode("ascii"))
        except InvalidOperation:
            value = None
    if value is None:
        if NOT_FINITE_TEXT.fullmatch(text) is not None:
            return None, f'field "{field.name}" must be a finite number, got {show_text(text)}'
        return None, f'field "{field.name}" must be a number, got {show_text(text)}'
    return value, numeric_problem(field, value)


def numeric_problem(field: Field, value: Decimal) -> str | None:
    """numeric(p, s) rounds what does not fit its scale: refuse instead of changing the value."""
    if not value.is_finite():
        return f'field "{field.name}" must be a finite number, got {value}'
    precision, scale = NUMERIC_SHAPE[field.kind]
    low, high = field.minimum, field.maximum
    if (low is not None and value < Decimal(str(low))) or (
        high is not None and value > Decimal(str(high))
    ):
        bounds = f"between {number_text(low)} and {number_text(high)}"
        return f'field "{field.name}" must be {bounds}, got {value}'
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > scale and value != value.quantize(Decimal(1).scaleb(-scale)):
        return (
            f'field "{field.name}" must have at most {scale} decimal places ({field.kind.value}), '
            f"got {value}"
        )
    if value.adjusted() >= precision - scale:
        return f'field "{field.name}" must have at most {precision - scale} digits before the point'
    return None


def name_problem(name: str) -> str | None:
    if "\x00" in name:
        shown = name.replace("\x00", "\\u0000")
        return (
            f'an unknown field\'s name "{jsontext.shorten(shown)}" holds a NUL character '
            "(\\u0000), which Postgres cannot store; rename the field at the source"
        )
    return None


def printable_name(name: str) -> str:
    shown = name.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")
    return jsontext.shorten(shown)


def text_problem(name: str, value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        return (
            f'unknown field "{name}" holds a NUL character (\\u0000), which Postgres cannot '
            "store; remove it at the source"
        )
    return None


def is_utf8(text: bytes) -> bool:
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(isinstance(item, str) and "\x00" in item for item in value)
    return False


def json_kind(line: bytes) -> str:
    first = line.lstrip()[:1]
    kinds = {b"[": "array", b'"': "string", b"t": "boolean", b"f": "boolean", b"n": "null"}
    return kinds.get(first, "number")


def json_error(line: bytes, error: msgspec.DecodeError) -> str:
    """orjson words most syntax errors more precisely than msgspec (line and column)."""
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError as precise:
        return str(precise)
    except RecursionError:
        pass
    return str(error)


def number_text(value: float | None) -> str:
    return str(int(value)) if value is not None and float(value).is_integer() else str(value)


def show_text(text: bytes) -> str:
    shown = text.decode("utf-8", "backslashreplace")
    return shown if len(shown) <= _SHOWN_CHARS else shown[: _SHOWN_CHARS - 3] + "..."


def show(value: Any) -> str:
    if isinstance(value, msgspec.Raw):
        return show_text(bytes(value))
    try:
        text = f'"{value}"' if isinstance(value, str) else orjson.dumps(value).decode()
    except (TypeError, RecursionError):  # an integer wider than 64 bits, or deep nesting
        text = repr(value) if not isinstance(value, list | dict) else type(value).__name__
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + '..."'


def precision_problem(name: str, text: bytes) -> str | None:
    """A timestamp written finer than a microsecond: refused rather than rounded."""
    if SUB_MICROSECOND.search(text) is None:
        return None
    return (
        f'field "{name}" has more than 6 digits after the second (the warehouse keeps '
        f"microseconds and would round it), got {show_text(text)}"
    )


def underflow_problem(name: str, text: bytes) -> str | None:
    """A nonzero number a double cannot hold (it would be stored as 0): refused."""
    if TINY_NUMBER.fullmatch(text.strip()) is None or float(text) != 0.0:
        return None
    return (
        f'field "{name}" is too close to 0 for a double precision number (it would be stored '
        f"as 0), got {show_text(text)}"
    )
