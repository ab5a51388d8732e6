"""Validate one record against its entity: accept it (typed, hashed) or reject it with a reason.

The hot path decodes and checks a JSON line in one pass with msgspec; only a line that fails it
(or carries fields the contract does not know) takes the slower path that splits unknown fields
off and explains, field by field, what is wrong in a sentence a person can act on.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
import orjson
from xxhash import xxh3_128_digest

from ingest.contract.entities import Entity, Field, Kind

_INT_BOUNDS = {
    Kind.SMALLINT: (-(2**15), 2**15 - 1),
    Kind.INTEGER: (-(2**31), 2**31 - 1),
    Kind.BIGINT: (-(2**63), 2**63 - 1),
}
_BASE_TYPES: dict[Kind, Any] = {
    Kind.SMALLINT: int,
    Kind.INTEGER: int,
    Kind.BIGINT: int,
    Kind.FLOAT: float,
    Kind.NUMERIC_5_2: float,
    Kind.BOOLEAN: bool,
    Kind.UUID: uuid.UUID,
    Kind.TIMESTAMP: dt.datetime,
    Kind.TEXT: str,
    Kind.TEXT_ARRAY: list[str | None],
    Kind.JSON_OBJECT: dict[str, Any],
}
_EXPECTED = {
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
_MISSING = object()
_RAW_NULL = msgspec.Raw(b"null")
_JSONB_VERSION = b"\x01"
_SHOWN_CHARS = 60


class Accepted(NamedTuple):
    """A record that enters the raw table (a NamedTuple: millions are made per load).

    `values` follow RecordValidator.columns, ready for binary COPY: JSON objects are already
    in jsonb's binary form (a version byte, then the JSON text), numeric columns are Decimal.
    """

    values: tuple[Any, ...]
    extra: dict[str, Any] | None
    record_hash: bytes


class Rejected(NamedTuple):
    """A record that goes to audit.rejects, with the reason a person reads."""

    reason: str


Outcome = Accepted | Rejected


def field_type(field: Field) -> Any:
    """The msgspec type that accepts exactly the values the field's column can store."""
    base = _BASE_TYPES[field.kind]
    if field.choices is not None:
        base = Literal[field.choices]
    elif field.kind in _INT_BOUNDS:
        low, high = _INT_BOUNDS[field.kind]
        low = int(field.minimum) if field.minimum is not None else low
        high = int(field.maximum) if field.maximum is not None else high
        base = Annotated[int, msgspec.Meta(ge=low, le=high)]
    elif field.minimum is not None or field.maximum is not None:
        base = Annotated[float, msgspec.Meta(ge=field.minimum, le=field.maximum)]
    elif field.max_length is not None:
        base = Annotated[str, msgspec.Meta(max_length=field.max_length)]
    return base if field.required else base | None


def record_struct(entity: Entity, *, fast: bool = False) -> type[msgspec.Struct]:
    """A msgspec Struct for the entity that refuses unknown fields (they take the slow path).

    With `fast`, the struct serves the hot path: JSON objects stay undecoded (msgspec.Raw,
    still checked to be well-formed JSON) so they reach Postgres without a decode and
    re-encode, and timestamps must carry an offset (offset-less ones take the slow path, which
    reads them as UTC).
    """
    spec: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field in entity.fields:
        if fast and field.kind is Kind.JSON_OBJECT:
            spec.append((field.name, msgspec.Raw, _RAW_NULL))
        elif fast and field.kind is Kind.TIMESTAMP:
            aware = Annotated[dt.datetime, msgspec.Meta(tz=True)]
            spec.append((field.name, aware) if field.required else (field.name, aware | None, None))
        elif field.required:
            spec.append((field.name, field_type(field)))
        else:
            spec.append((field.name, field_type(field), None))
    # required fields first: msgspec wants them before fields with defaults
    spec.sort(key=len)
    struct: type[msgspec.Struct] = msgspec.defstruct(
        f"{entity.name}_record", spec, forbid_unknown_fields=True
    )
    return struct


class RecordValidator:
    """Validates records of one entity from JSON lines or from already-parsed mappings."""

    def __init__(self, entity: Entity) -> None:
        self.entity = entity
        self._struct = record_struct(entity)
        self._decoder = msgspec.json.Decoder(record_struct(entity, fast=True))
        self._encoder = msgspec.json.Encoder()
        self.columns: tuple[str, ...] = self._struct.__struct_fields__
        self._fields = {field.name: field for field in entity.fields}
        kinds = [self._fields[name].kind for name in self.columns]
        self._json_at = [i for i, kind in enumerate(kinds) if kind is Kind.JSON_OBJECT]
        self._timestamps_at = [i for i, kind in enumerate(kinds) if kind is Kind.TIMESTAMP]
        self._numerics_at = [i for i, kind in enumerate(kinds) if kind is Kind.NUMERIC_5_2]

    def validate_json(self, line: bytes) -> Outcome:
        """Validate one JSON line (the hot path: one C pass when the record is clean)."""
        if b"\\u0000" not in line:
            try:
                record = self._decoder.decode(line)
            except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
                pass
            else:
                accepted = self._accept(record, None, naive=False)
                if accepted is not None:
                    return accepted
        return self._validate_json_slowly(line)

    def validate_mapping(self, record: Mapping[str, Any], *, from_text: bool = False) -> Outcome:
        """Validate a parsed record; `from_text` reads CSV cells (empty = null, JSON literals)."""
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, value in record.items():
            if from_text:
                value = None if value == "" else value
            (known if name in self._fields else extra)[name] = value
        if from_text:
            problem = _undecodable_text(known) or _undecodable_text(extra)
            if problem:
                return Rejected(problem)
            problems = self._parse_json_cells(known)
            if problems:
                return Rejected("; ".join(problems))
        try:
            typed = msgspec.convert(known, self._struct, strict=not from_text)
        except msgspec.ValidationError as error:
            return Rejected(self._explain(known, from_text) or str(error))
        problems = self._nul_problems(known, extra) + self._non_finite_problems(typed)
        if problems:
            return Rejected("; ".join(problems))
        accepted = self._accept(typed, extra or None, naive=True)
        assert accepted is not None  # decoded JSON objects are dicts, never raw text
        return accepted

    def _validate_json_slowly(self, line: bytes) -> Outcome:
        if not line.strip():
            return Rejected("line is empty, expected a JSON object")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            bad = line[error.start : error.start + 1].hex()
            return Rejected(
                f"line is not valid UTF-8 (byte 0x{bad} at position {error.start}); "
                "re-export the file as UTF-8"
            )
        try:
            parsed = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            return Rejected(f"line is not valid JSON ({error}); expected one JSON object per line")
        if not isinstance(parsed, dict):
            return Rejected(
                f"line is a JSON {_json_kind(parsed)}, expected a JSON object with the fields of "
                f"{self.entity.name}"
            )
        return self.validate_mapping(parsed)

    def _accept(
        self, record: msgspec.Struct, extra: dict[str, Any] | None, *, naive: bool
    ) -> Accepted | None:
        """Values ready for binary COPY, or None when a raw JSON field is not an object.

        `naive` records (the slow path) may hold offset-less timestamps, read as UTC.
        """
        canonical = self._encoder.encode(record)
        if extra:
            canonical += b"\n" + orjson.dumps(extra, option=orjson.OPT_SORT_KEYS)
        values = list(msgspec.structs.astuple(record))
        for index in self._json_at:
            value = values[index]
            if type(value) is msgspec.Raw:
                text = bytes(value)
                if text[:1] != b"{":
                    if text != b"null":
                        return None  # the slow path names the field and what it got
                    values[index] = None
                    continue
            elif value is None:
                continue
            else:
                text = orjson.dumps(value)
            values[index] = _JSONB_VERSION + text
        if naive:
            for index in self._timestamps_at:
                stamp = values[index]
                if stamp is not None and stamp.tzinfo is None:
                    values[index] = stamp.replace(tzinfo=dt.UTC)
        for index in self._numerics_at:
            if values[index] is not None:
                values[index] = Decimal(repr(values[index]))
        return Accepted(tuple(values), extra, xxh3_128_digest(canonical))

    def _parse_json_cells(self, known: dict[str, Any]) -> list[str]:
        problems = []
        for name, value in known.items():
            kind = self._fields[name].kind
            if value is None or kind not in (Kind.TEXT_ARRAY, Kind.JSON_OBJECT):
                continue
            try:
                known[name] = orjson.loads(value)
            except orjson.JSONDecodeError:
                literal = "array" if kind is Kind.TEXT_ARRAY else "object"
                problems.append(
                    f'field "{name}" must be a JSON {literal} literal in its cell, '
                    f"got {_show(value)}"
                )
        return problems

    def _explain(self, known: Mapping[str, Any], from_text: bool) -> str:
        """Every problem of the record, one clause per field, in the contract's field order."""
        problems = [
            problem
            for field in self.entity.fields
            if (problem := _field_problem(field, known.get(field.name, _MISSING), from_text))
        ]
        return "; ".join(problems)

    def _nul_problems(self, known: Mapping[str, Any], extra: Mapping[str, Any]) -> list[str]:
        return [
            f'field "{name}" holds a NUL character (\\u0000), which Postgres cannot store; '
            "remove it at the source"
            for name, value in (*known.items(), *extra.items())
            if _holds_nul(value)
        ]

    def _non_finite_problems(self, record: msgspec.Struct) -> list[str]:
        return [
            f'field "{field.name}" must be a finite number, got {getattr(record, field.name)}'
            for field in self.entity.fields
            if field.kind in (Kind.FLOAT, Kind.NUMERIC_5_2)
            and isinstance(getattr(record, field.name), float)
            and not math.isfinite(getattr(record, field.name))
        ]


def _field_problem(field: Field, value: Any, from_text: bool) -> str | None:
    if value is _MISSING or value is None:
        if not field.required:
            return None
        return f'required field "{field.name}" is {"missing" if value is _MISSING else "null"}'
    try:
        typed = msgspec.convert(value, _BASE_TYPES[field.kind], strict=not from_text)
    except msgspec.ValidationError:
        return f'field "{field.name}" must be {_EXPECTED[field.kind]}, got {_show(value)}'
    if isinstance(typed, float) and not math.isfinite(typed):
        return f'field "{field.name}" must be a finite number, got {_show(value)}'
    if field.choices is not None and typed not in field.choices:
        allowed = ", ".join(field.choices)
        return f'field "{field.name}" must be one of {allowed}, got {_show(value)}'
    if field.max_length is not None and len(typed) > field.max_length:
        return (
            f'field "{field.name}" must be at most {field.max_length} characters, got {len(typed)}'
        )
    if field.kind in _INT_BOUNDS or field.minimum is not None or field.maximum is not None:
        kind_low, kind_high = _INT_BOUNDS.get(field.kind, (None, None))
        low = field.minimum if field.minimum is not None else kind_low
        high = field.maximum if field.maximum is not None else kind_high
        if (low is not None and typed < low) or (high is not None and typed > high):
            bounds = f"between {_number(low)} and {_number(high)}"
            return f'field "{field.name}" must be {bounds}, got {_show(value)}'
    return None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return False


def _undecodable_text(record: Mapping[str, Any]) -> str | None:
    """CSV files are read with surrogateescape: a lone surrogate marks bytes that are not UTF-8."""
    for name, value in record.items():
        if isinstance(value, str) and any("\udc80" <= char <= "\udcff" for char in value):
            return f'field "{name}" is not valid UTF-8; re-export the file as UTF-8'
    return None


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _number(value: float | None) -> str:
    return str(int(value)) if value is not None and float(value).is_integer() else str(value)


def _show(value: Any) -> str:
    try:
        text = f'"{value}"' if isinstance(value, str) else orjson.dumps(value).decode()
    except TypeError:  # an integer wider than 64 bits
        text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + '..."'
