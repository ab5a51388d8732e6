"""Validate one record against its entity: accept it (typed, hashed) or reject it with a reason.

The hot path decodes and checks a JSON line in one pass with msgspec; only a line that fails it
(or carries fields the contract does not know) takes the slower path that splits unknown fields
off and explains, field by field, what is wrong in a sentence a person can act on. Nested JSON
(objects, unknown fields) is kept as the text received, so no number loses a digit; numeric
columns are read as decimals, never through a float.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
import orjson
from xxhash import xxh3_128_digest

from core.settings import Settings
from ingest.contract import jsontext
from ingest.contract.entities import Entity, Field, Kind
from ingest.contract.rules import (
    BASE_TYPES,
    EXPECTED,
    INT_BOUNDS,
    INTEGER_TEXT,
    MISSING,
    NUMERIC_SHAPE,
    field_problem,
    holds_nul,
    is_utf8,
    json_cell,
    json_error,
    json_kind,
    name_problem,
    precision_problem,
    printable_name,
    read_decimal,
    show,
    show_text,
    text_problem,
    underflow_problem,
)

_RAW_NULL = msgspec.Raw(b"null")
_JSONB_VERSION = b"\x01"
_FIELDS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_encode_name = msgspec.json.Encoder().encode
_SHORT = jsontext.MAX_DEPTH  # a shorter JSON text cannot nest deeper than the limit
# an aware timestamp (the hot path takes no other) with 7+ digits after the second: msgspec
# would round it; such a line takes the slow path, which says so (a literal first: cheap)
_FINER_THAN_MICROSECONDS = re.compile(rb"\.[0-9]{7,}[Zz+-]")
# an exponent of -100 or less: the number may underflow to 0; the slow path looks closer
_TINY = re.compile(rb"[eE]-[0-9]{3}")  # searched only when the line holds e- or E-

DEFAULT_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
DEFAULT_FUTURE_TOLERANCE = dt.timedelta(hours=24)


@dataclass(frozen=True)
class TimeWindow:
    """The timestamps a load accepts: from `earliest` to `latest` (the load's start plus a day)."""

    earliest: dt.datetime
    latest: dt.datetime

    @classmethod
    def around(
        cls,
        now: dt.datetime | None = None,
        *,
        earliest: dt.datetime = DEFAULT_EARLIEST,
        future: dt.timedelta = DEFAULT_FUTURE_TOLERANCE,
    ) -> TimeWindow:
        start = now or dt.datetime.now(dt.UTC)
        return cls(_aware(earliest), _aware(start) + future)

    @classmethod
    def from_settings(cls, settings: Settings, now: dt.datetime | None = None) -> TimeWindow:
        """FORGE_EARLIEST_TIMESTAMP to FORGE_FUTURE_TOLERANCE_HOURS after `now` (default: now)."""
        return cls.around(
            now,
            earliest=settings.earliest_timestamp,
            future=dt.timedelta(hours=settings.future_tolerance_hours),
        )

    def __str__(self) -> str:
        return f"{_stamp(self.earliest)} to {_stamp(self.latest)}"


class Accepted(NamedTuple):
    """A record that enters the raw table (a NamedTuple: millions are made per load).

    `values` follow RecordValidator.columns, ready for binary COPY: JSON objects are already
    in jsonb's binary form (a version byte, then the JSON text as received), numeric columns
    are Decimal. `extra` is the JSON object of the unknown fields (their values as received).
    """

    values: tuple[Any, ...]
    extra: bytes | None
    record_hash: bytes
    extra_names: tuple[str, ...] = ()


class Rejected(NamedTuple):
    """A record that goes to audit.rejects, with the reason a person reads."""

    reason: str


Outcome = Accepted | Rejected


def field_type(field: Field) -> Any:
    """The msgspec type that accepts the values the field's column can store.

    Numeric and JSON fields are checked further after decoding (scale, range, jsonb limits).
    """
    base = BASE_TYPES[field.kind]
    if field.choices is not None:
        base = Literal[field.choices]
    elif field.kind in INT_BOUNDS:
        low, high = INT_BOUNDS[field.kind]
        low = int(field.minimum) if field.minimum is not None else low
        high = int(field.maximum) if field.maximum is not None else high
        base = Annotated[int, msgspec.Meta(ge=low, le=high)]
    elif field.kind is Kind.FLOAT and (field.minimum is not None or field.maximum is not None):
        base = Annotated[float, msgspec.Meta(ge=field.minimum, le=field.maximum)]
    elif field.max_length is not None:
        base = Annotated[str, msgspec.Meta(max_length=field.max_length)]
    return base if field.required else base | None


def record_struct(entity: Entity, *, aware: bool = False) -> type[msgspec.Struct]:
    """A msgspec Struct for the entity that refuses unknown fields (they take the slow path).

    JSON objects stay undecoded (msgspec.Raw, checked to be well-formed JSON) so they reach
    Postgres as the text received; numeric values too, read as decimals afterwards. With
    `aware` (the hot path) timestamps must carry an offset; offset-less ones take the slow
    path, which reads them as UTC.
    """
    spec: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field in entity.fields:
        if field.kind is Kind.JSON_OBJECT or field.kind in NUMERIC_SHAPE:
            spec.append((field.name, msgspec.Raw, _RAW_NULL))
        elif aware and field.kind is Kind.TIMESTAMP:
            stamp = Annotated[dt.datetime, msgspec.Meta(tz=True)]
            spec.append((field.name, stamp) if field.required else (field.name, stamp | None, None))
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
    """Validates records of one entity from JSON lines or from CSV cells."""

    def __init__(self, entity: Entity, window: TimeWindow | None = None) -> None:
        self.entity = entity
        self.window = window or TimeWindow.around()
        self._earliest, self._latest = self.window.earliest, self.window.latest
        self._lenient = record_struct(entity)
        self._decoder = msgspec.json.Decoder(record_struct(entity, aware=True))
        self._lenient_decoder = msgspec.json.Decoder(self._lenient)
        self._encoder = msgspec.json.Encoder(decimal_format="number")
        self.columns: tuple[str, ...] = self._lenient.__struct_fields__
        self._fields = {field.name: field for field in entity.fields}
        kinds = [self._fields[name].kind for name in self.columns]
        self._json_at = [i for i, kind in enumerate(kinds) if kind is Kind.JSON_OBJECT]
        self._timestamps_at = [i for i, kind in enumerate(kinds) if kind is Kind.TIMESTAMP]
        self._numerics_at = [i for i, kind in enumerate(kinds) if kind in NUMERIC_SHAPE]
        self._floats_at = [i for i, kind in enumerate(kinds) if kind is Kind.FLOAT]
        self._texts_at = [i for i, kind in enumerate(kinds) if kind in (Kind.TEXT, Kind.TEXT_ARRAY)]

    def validate_json(self, line: bytes) -> Outcome:
        """Validate one JSON line (the hot path: one C pass when the record is clean)."""
        if (
            b"\\u0000" not in line
            and _FINER_THAN_MICROSECONDS.search(line) is None
            and not ((b"e-" in line or b"E-" in line) and _TINY.search(line))
        ):
            try:
                record = self._decoder.decode(line)
            except (
                msgspec.ValidationError,
                msgspec.DecodeError,
                UnicodeDecodeError,
                RecursionError,
            ):
                pass
            else:
                return self._finish_fast(record, line) or self._finish(record, None, slow=False)
        return self._validate_json_slowly(line)

    def _finish_fast(self, record: msgspec.Struct, line: bytes) -> Accepted | None:
        """The hot path's end for the usual record (None: let `_finish` look closer).

        msgspec has checked the nested JSON's syntax and escapes (no NUL: the line has none).
        What is left costs next to nothing: UTF-8 (an ASCII line is), short objects (long ones
        are checked for depth), the time window. A nested number beyond Postgres's numeric is
        left to Postgres: the loader turns its refusal into a reject with `storage_problem`'s
        reason, so clean records pay for no scan of their numbers.
        """
        values = list(msgspec.structs.astuple(record))
        if self._json_at:
            ascii_line = line.isascii()
            for index in self._json_at:
                text = bytes(values[index])
                if text == b"null":
                    values[index] = None
                elif text[:1] == b"{" and len(text) <= _SHORT and (ascii_line or is_utf8(text)):
                    values[index] = _JSONB_VERSION + text
                else:
                    return None
        earliest, latest = self._earliest, self._latest
        for index in self._timestamps_at:
            stamp = values[index]
            if stamp is not None and not earliest <= stamp <= latest:
                return None
        if self._numerics_at:
            return None  # decimals are read and checked in _finish
        canonical = self._encoder.encode(record)
        return Accepted(tuple(values), None, xxh3_128_digest(canonical), ())

    def storage_problem(self, accepted: Accepted) -> str | None:
        """Why Postgres would refuse an accepted record's nested JSON (exact, and slow: asked
        only after Postgres refused a row of its chunk), or None."""
        for index in self._json_at:
            value = accepted.values[index]
            if value is not None:
                text = bytes(value[1:])
                if not jsontext.quick_safe(text):
                    reason = jsontext.problem(text)
                    if reason:
                        return f'field "{self.columns[index]}" {reason}'
        return None

    def validate_cells(
        self, header: tuple[str, ...], cells: list[bytes | None], *, where: str = "header"
    ) -> Outcome:
        """A CSV record's cells (bytes; None for an unquoted empty cell) under its file's header."""
        if len(cells) != len(header):
            return Rejected(
                f"record has {len(cells)} cells but the {where} names {len(header)} fields; "
                "check the quoting of this record"
            )
        record: dict[str, str | None] = {}
        for name, cell in zip(header, cells, strict=True):
            if cell is None:
                record[name] = None
                continue
            try:
                record[name] = cell.decode("utf-8")
            except UnicodeDecodeError as error:
                return Rejected(
                    f'field "{name}" is not valid UTF-8 (byte 0x{cell[error.start]:02x} at '
                    f"position {error.start} of its cell); re-export the file as UTF-8"
                )
        return self.validate_text_record(record)

    def validate_text_record(self, record: Mapping[str, str | None]) -> Outcome:
        """Validate a record of text cells (CSV): None is an unquoted empty cell (null), any
        other value is the cell's text, an empty string included; arrays and objects are JSON
        literals in their cells."""
        known: dict[str, Any] = {}
        extra: dict[str, msgspec.Raw] = {}
        problems: list[str] = []
        for name, value in record.items():
            field = self._fields.get(name)
            if field is None:
                problem = name_problem(name) or text_problem(name, value)
                if problem:
                    problems.append(problem)
                else:
                    extra[name] = msgspec.Raw(orjson.dumps(value))
            elif value is None:
                if field.kind is not Kind.JSON_OBJECT and field.kind not in NUMERIC_SHAPE:
                    known[name] = None  # (JSON objects and numerics default to null)
            elif field.kind in NUMERIC_SHAPE:
                known[name] = msgspec.Raw(value.encode())
            elif field.kind is Kind.TIMESTAMP and (
                finer := precision_problem(name, value.encode())
            ):
                problems.append(finer)
            elif field.kind is Kind.FLOAT and (tiny := underflow_problem(name, value.encode())):
                problems.append(tiny)
            elif field.kind in INT_BOUNDS and INTEGER_TEXT.fullmatch(value) is None:
                # msgspec's lax mode would read "1.0" or "9007199254740993.0" through a float
                problems.append(f'field "{name}" must be an integer, got {show(value)}')
            elif field.kind in (Kind.TEXT_ARRAY, Kind.JSON_OBJECT):
                parsed, problem = json_cell(field, value)
                known[name] = parsed
                if problem:
                    problems.append(problem)
            else:
                known[name] = value
        if problems:
            return Rejected("; ".join(problems))
        try:
            typed = msgspec.convert(known, self._lenient, strict=False)
        except msgspec.ValidationError as error:
            return Rejected(self._explain(known, from_text=True) or str(error))
        return self._finish(typed, extra, slow=True)

    def _validate_json_slowly(self, line: bytes) -> Outcome:
        if not line.strip():
            return Rejected("line is empty, expected a JSON object")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            bad = line[error.start : error.start + 1].hex()
            return Rejected(
                f"line is not valid UTF-8 (byte 0x{bad} at position {error.start}); "
                "re-export the file as UTF-8"
            )
        try:
            fields = _FIELDS.decode(line)
        except RecursionError:
            key = jsontext.too_deep_at(text)
            where = f'field "{key}"' if key else "line"
            return Rejected(f"{where} nests JSON deeper than {jsontext.MAX_DEPTH} levels")
        except msgspec.ValidationError:
            return Rejected(
                f"line is a JSON {json_kind(line)}, expected a JSON object with the fields of "
                f"{self.entity.name}"
            )
        except msgspec.DecodeError as error:
            named = jsontext.field_problem(text)
            if named is not None:
                return Rejected(f'field "{printable_name(named[0])}" {named[1]}')
            return Rejected(
                f"line is not valid JSON ({json_error(line, error)}); "
                "expected one JSON object per line"
            )
        return self._validate_fields(fields)

    def _validate_fields(self, fields: dict[str, msgspec.Raw]) -> Outcome:
        """A decoded line's fields, each still JSON text: unknown ones split off, known checked."""
        known: dict[str, msgspec.Raw] = {}
        extra: dict[str, msgspec.Raw] = {}
        problems: list[str] = []
        for name, raw in fields.items():
            if name in self._fields:
                known[name] = raw
                kind = self._fields[name].kind
                if kind is Kind.TIMESTAMP:
                    problem = precision_problem(name, bytes(raw))
                elif kind is Kind.FLOAT:
                    problem = underflow_problem(name, bytes(raw))
                else:
                    problem = None
                if problem:
                    problems.append(problem)
                continue
            problem = name_problem(name)
            text = bytes(raw)
            if problem is None and not jsontext.quick_safe(text):
                reason = jsontext.problem(text)
                problem = f'unknown field "{name}" {reason}' if reason else None
            if problem:
                problems.append(problem)
            else:
                extra[name] = raw
        body = b",".join(_encode_name(name) + b":" + bytes(raw) for name, raw in known.items())
        try:
            record = self._lenient_decoder.decode(b"{" + body + b"}")
        except (
            msgspec.ValidationError,
            msgspec.DecodeError,
            RecursionError,
            UnicodeDecodeError,
        ) as error:
            problems.append(self._explain_json(known) or f"record cannot be read ({error})")
            return Rejected("; ".join(problems))
        outcome = self._finish(record, extra, slow=True)
        if problems:
            if isinstance(outcome, Rejected):
                problems.append(outcome.reason)
            return Rejected("; ".join(problems))
        return outcome

    def _finish(
        self, record: msgspec.Struct, extra: dict[str, msgspec.Raw] | None, *, slow: bool
    ) -> Outcome:
        """The checks a decoded record still needs, then its values ready for binary COPY.

        `slow` records (CSV cells, lines off the hot path) may hold offset-less timestamps (read
        as UTC), non-finite floats from text and NUL characters from escapes.
        """
        values = list(msgspec.structs.astuple(record))
        problems: list[str] | None = None
        for index in self._json_at:
            text = bytes(values[index])
            if text == b"null":
                values[index] = None
            elif text[:1] == b"{" and jsontext.quick_safe(text):
                values[index] = _JSONB_VERSION + text
            else:
                problem = self._json_problem(self.columns[index], text)
                if problem is None:
                    values[index] = _JSONB_VERSION + text
                else:
                    problems = [*(problems or ()), problem]
        earliest, latest = self.window.earliest, self.window.latest
        for index in self._timestamps_at:
            stamp = values[index]
            if stamp is None:
                continue
            if slow and stamp.tzinfo is None:
                stamp = values[index] = stamp.replace(tzinfo=dt.UTC)
            if not earliest <= stamp <= latest:
                problems = [*(problems or ()), self._window_problem(self.columns[index], stamp)]
        for index in self._numerics_at:
            number, problem = read_decimal(self._fields[self.columns[index]], values[index])
            values[index] = number
            if problem:
                problems = [*(problems or ()), problem]
        if slow:
            problems = [*(problems or ()), *self._text_problems(values)]
        if problems:
            return Rejected("; ".join(problems))
        canonical = self._encoder.encode(record)
        extra_json = None
        if extra:
            fragments = {name: orjson.Fragment(bytes(raw)) for name, raw in extra.items()}
            extra_json = orjson.dumps(fragments, option=orjson.OPT_SORT_KEYS)
            canonical += b"\n" + extra_json
        names = tuple(extra) if extra else ()
        return Accepted(tuple(values), extra_json, xxh3_128_digest(canonical), names)

    def _json_problem(self, name: str, text: bytes) -> str | None:
        if text[:1] != b"{":
            return f'field "{name}" must be a JSON object, got {show_text(text)}'
        reason = jsontext.problem(text)
        return f'field "{name}" {reason}' if reason else None

    def _window_problem(self, name: str, stamp: dt.datetime) -> str:
        return (
            f'field "{name}" is {stamp.isoformat()}, outside the plausible window {self.window} '
            "(FORGE_EARLIEST_TIMESTAMP, FORGE_FUTURE_TOLERANCE_HOURS)"
        )

    def _text_problems(self, values: list[Any]) -> list[str]:
        problems = []
        for index in self._floats_at:
            value = values[index]
            if value is not None and not math.isfinite(value):
                name = self.columns[index]
                problems.append(f'field "{name}" must be a finite number, got {value}')
        for index in self._texts_at:
            value = values[index]
            if value is not None and holds_nul(value):
                problems.append(
                    f'field "{self.columns[index]}" holds a NUL character (\\u0000), which '
                    "Postgres cannot store; remove it at the source"
                )
        return problems

    def _explain_json(self, known: Mapping[str, msgspec.Raw]) -> str:
        """Every problem of a JSON record, one clause per field, in the contract's field order."""
        problems = []
        for field in self.entity.fields:
            raw = known.get(field.name)
            if raw is None:
                value: Any = MISSING
            elif field.kind is Kind.JSON_OBJECT:
                text = bytes(raw)
                if text != b"null" and text[:1] != b"{":
                    problems.append(
                        f'field "{field.name}" must be a JSON object, got {show_text(text)}'
                    )
                continue
            else:
                try:
                    value = msgspec.json.decode(bytes(raw))
                except (
                    msgspec.ValidationError,
                    msgspec.DecodeError,
                    RecursionError,
                    UnicodeDecodeError,
                ):
                    problems.append(
                        f'field "{field.name}" must be {EXPECTED[field.kind]}, '
                        f"got {show_text(bytes(raw))}"
                    )
                    continue
            problem = field_problem(field, value, from_text=False)
            if problem:
                problems.append(problem)
        return "; ".join(problems)

    def _explain(self, known: Mapping[str, Any], from_text: bool) -> str:
        """Every problem of the record, one clause per field, in the contract's field order."""
        problems = []
        for field in self.entity.fields:
            value = known.get(field.name, MISSING)
            if field.kind is Kind.JSON_OBJECT:
                continue
            if field.kind in NUMERIC_SHAPE and isinstance(value, msgspec.Raw):
                problem = read_decimal(field, value)[1]
            else:
                problem = field_problem(field, value, from_text)
            if problem:
                problems.append(problem)
        return "; ".join(problems)


def _aware(stamp: dt.datetime) -> dt.datetime:
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)


def _stamp(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
