"""Bad records and the other oddities of real deliveries, one kind per record.

Every kind of reject that docs/contract.md section 2 names has a `BadKind`; a bad record is a clean
record broken in exactly that one way, so the manifest can say which kind each bad line is. The
`Oddity` kinds are not rejects: exact re-deliveries (skipped by the loader) and records carrying
an unknown field (loaded, the field kept beside the record).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import cache
from typing import Protocol

import orjson

from ingest.contract.entities import ENTITIES, Entity, Field, Kind


class BadKind(StrEnum):
    """Why a bad record is rejected."""

    INVALID_JSON = "invalid_json"  # the line is not valid JSON
    NOT_AN_OBJECT = "not_an_object"  # valid JSON, but an array or a number
    INVALID_UTF8 = "invalid_utf8"  # bytes that are not UTF-8 inside a text value
    MISSING_REQUIRED = "missing_required"
    NULL_REQUIRED = "null_required"
    TEXT_IN_INTEGER = "text_in_integer"
    MALFORMED_TIMESTAMP = "malformed_timestamp"
    MALFORMED_UUID = "malformed_uuid"
    NOT_AN_ARRAY = "not_an_array"  # a text[] field holding text, a number or an object
    NOT_A_JSON_OBJECT = "not_a_json_object"  # a JSON-object field holding something else
    STATUS_NOT_ALLOWED = "status_not_allowed"  # a CHECK ... IN (...) violated
    OUT_OF_RANGE = "out_of_range"  # a CHECK on a rating, score or rate violated
    VARCHAR_TOO_LONG = "varchar_too_long"
    NUL_CHARACTER = "nul_character"  # a text value holding U+0000
    CSV_WRONG_CELL_COUNT = "csv_wrong_cell_count"  # a CSV record with too few or too many cells


class Oddity(StrEnum):
    """Anomalies that are not rejects."""

    DUPLICATE_SAME_FILE = "duplicate_same_file"
    DUPLICATE_LATER_FILE = "duplicate_later_file"
    EXTRA_FIELD = "extra_field"


Anomaly = BadKind | Oddity

_JSON_ONLY: frozenset[Anomaly] = frozenset(
    {BadKind.INVALID_JSON, BadKind.NOT_AN_OBJECT, BadKind.MISSING_REQUIRED, Oddity.EXTRA_FIELD}
)
_CSV_ONLY: frozenset[Anomaly] = frozenset({BadKind.CSV_WRONG_CELL_COUNT})
_LINE_KINDS = frozenset({BadKind.INVALID_JSON, BadKind.NOT_AN_OBJECT, BadKind.CSV_WRONG_CELL_COUNT})
_INTEGERS = frozenset({Kind.SMALLINT, Kind.INTEGER, Kind.BIGINT})
_SENTINEL = "__not_utf8__"
_NOT_UTF8 = (
    b"Caf\xe9 cr\xe8me",
    b"na\xefve",
    b"\xff\xfe",
    b"broken \xc3\x28 pair",
    b"\xed\xa0\x80",
)
_EXTRA_FIELDS = {"prompt_runner": ("runner_host", "runner-07"), "dataforge": ("client", "web-2.8")}
REPLACE_SHARE = 0.5  # a bad record replaces its clean record (else both are delivered)


class Encoder(Protocol):
    """How a file writes a record (`encode`) and a row of values in header order (CSV only)."""

    @property
    def csv(self) -> bool: ...

    def encode(self, record: Mapping[str, object], *, keep_nulls: bool = False) -> bytes: ...

    def encode_row(self, values: Sequence[object]) -> bytes: ...


def anomalies(entity: Entity, csv: bool) -> tuple[Anomaly, ...]:
    """The anomalies a record of `entity` can carry in a CSV file or in a JSON lines file."""
    kinds: list[Anomaly] = [
        kind
        for kind in BadKind
        if (kind in _LINE_KINDS or _candidates(kind, entity))
        and kind not in (_JSON_ONLY if csv else _CSV_ONLY)
    ]
    kinds.extend(odd for odd in Oddity if not (csv and odd in _JSON_ONLY))
    return tuple(kinds)


@cache
def _rarity(anomaly: Anomaly) -> int:
    """In how many (entity, format) pairs the anomaly can happen."""
    return sum(
        anomaly in anomalies(entity, csv) for entity in ENTITIES.values() for csv in (False, True)
    )


def _candidates(kind: BadKind, entity: Entity) -> tuple[Field, ...]:
    """The fields a value-level `kind` can break (empty for line-level kinds)."""
    return _candidates_of(kind, entity.name)


@cache
def _candidates_of(kind: BadKind, entity_name: str) -> tuple[Field, ...]:
    return tuple(field for field in ENTITIES[entity_name].fields if _breaks(kind, field))


def _breaks(kind: BadKind, field: Field) -> bool:
    plain_text = field.kind is Kind.TEXT and field.choices is None
    checks = {
        BadKind.MISSING_REQUIRED: field.required,
        BadKind.NULL_REQUIRED: field.required,
        BadKind.TEXT_IN_INTEGER: field.kind in _INTEGERS,
        BadKind.MALFORMED_TIMESTAMP: field.kind is Kind.TIMESTAMP,
        BadKind.MALFORMED_UUID: field.kind is Kind.UUID,
        BadKind.NOT_AN_ARRAY: field.kind is Kind.TEXT_ARRAY,
        BadKind.NOT_A_JSON_OBJECT: field.kind is Kind.JSON_OBJECT,
        BadKind.STATUS_NOT_ALLOWED: field.choices is not None,
        BadKind.OUT_OF_RANGE: field.choices is None
        and (field.minimum is not None or field.maximum is not None),
        BadKind.VARCHAR_TOO_LONG: plain_text and field.max_length is not None,
        BadKind.NUL_CHARACTER: plain_text and (field.max_length or 20) >= 20,
        BadKind.INVALID_UTF8: plain_text and (field.max_length or 20) >= 20,
    }
    return checks.get(kind, False)


class Dirt:
    """Decides record by record whether an anomaly happens, and which.

    Kinds are dealt from a bag per (entity, CSV or not), refilled when empty, so each kind turns
    up once per round; a round deals first the kinds few entities can carry (a status CHECK, a
    uuid), in random order among equals, so even a small entity shows its own kinds.
    """

    def __init__(self, rng: random.Random, rate: float) -> None:
        self.rng = rng
        self._rate = rate
        self._bags: dict[tuple[str, bool], list[Anomaly]] = {}

    def draw(self, entity: Entity, csv: bool) -> Anomaly | None:
        if self._rate <= 0.0 or self.rng.random() >= self._rate:
            return None
        bag = self._bags.setdefault((entity.name, csv), [])
        if not bag:
            bag.extend(anomalies(entity, csv))
            self.rng.shuffle(bag)
            bag.sort(key=_rarity, reverse=True)  # popped from the end: rarest kinds first
        return bag.pop()

    def replaces(self) -> bool:
        return self.rng.random() < REPLACE_SHARE

    def later(self, bucket: int, buckets: int) -> int:
        """A later delivery for a re-delivered record; the same one when it is the last."""
        return self.rng.randint(bucket + 1, buckets - 1) if bucket < buckets - 1 else bucket


def with_extra_field(record: Mapping[str, object], entity: Entity) -> dict[str, object]:
    """The record plus a field the contract does not know (loaded; kept beside the record)."""
    name, value = _EXTRA_FIELDS[entity.system]
    assert name not in entity.field_names
    return {**record, name: value}


def bad_line(
    kind: BadKind,
    record: Mapping[str, object],
    entity: Entity,
    encoder: Encoder,
    rng: random.Random,
) -> bytes:
    """`record` broken in the one way `kind` names, encoded as a line (or CSV record) of bytes."""
    if kind is BadKind.INVALID_JSON:
        return _invalid_json(encoder.encode(record), rng)
    if kind is BadKind.NOT_AN_OBJECT:
        shown = list(record.values())[:4] if rng.random() < 0.5 else rng.randint(1, 9999)
        return orjson.dumps(shown) + b"\n"
    if kind is BadKind.CSV_WRONG_CELL_COUNT:
        values = [record.get(name) for name in entity.field_names]
        return encoder.encode_row(values[:-1] if rng.random() < 0.5 else [*values, "surplus"])
    field = rng.choice(_candidates(kind, entity))
    if kind is BadKind.INVALID_UTF8:
        line = encoder.encode({**record, field.name: _SENTINEL}, keep_nulls=True)
        return line.replace(_SENTINEL.encode(), rng.choice(_NOT_UTF8), 1)
    broken = dict(record)
    if kind is BadKind.MISSING_REQUIRED:
        del broken[field.name]
    else:
        broken[field.name] = _bad_value(kind, field, record.get(field.name), rng)
    return encoder.encode(broken, keep_nulls=True)


def _invalid_json(line: bytes, rng: random.Random) -> bytes:
    text = line.decode().rstrip("\n")
    if rng.random() < 0.5:  # cut off mid-record, as a crashed writer leaves it
        return text[: rng.randint(len(text) // 3, 2 * len(text) // 3)].encode() + b"\n"
    return text.replace('"', "'").encode() + b"\n"  # a Python repr, not JSON


def _bad_value(kind: BadKind, field: Field, value: object, rng: random.Random) -> object:
    text = value if isinstance(value, str) and value else field.name
    if kind is BadKind.NULL_REQUIRED:
        return None
    if kind is BadKind.TEXT_IN_INTEGER:
        return rng.choice(("twelve", "n/a", "3 files", "1,024"))
    if kind is BadKind.MALFORMED_TIMESTAMP:
        return rng.choice(("2025-13-45T25:61:00Z", "not a timestamp", "last tuesday"))
    if kind is BadKind.MALFORMED_UUID:
        if not isinstance(value, str):
            return "not-a-uuid"
        return rng.choice((value[:-1] + "g", value[:23], "not-a-uuid"))
    if kind is BadKind.NOT_AN_ARRAY:
        items = value if isinstance(value, list) and value else ["none"]
        return rng.choice((", ".join(map(str, items)), 42, {"items": items}))
    if kind is BadKind.NOT_A_JSON_OBJECT:
        return rng.choice(("feature_category=api", [1, 2], 7, "{'feature_category': 'api'}"))
    if kind is BadKind.STATUS_NOT_ALLOWED:
        return rng.choice(("paused", "pending", "unknown"))
    if kind is BadKind.OUT_OF_RANGE:
        return _out_of_range(field, rng)
    if kind is BadKind.VARCHAR_TOO_LONG:
        assert field.max_length is not None
        length = field.max_length + rng.randint(1, 40)
        return ((text + "-") * (length // (len(text) + 1) + 1))[:length]
    if kind is BadKind.NUL_CHARACTER:
        return text[:12] + "\x00" + text[12:16]
    raise ValueError(f"{kind} is not a value-level kind")


def _out_of_range(field: Field, rng: random.Random) -> int:
    """Just past a bound (rating 0 or 6, likelihood 11, pass rate 101) or far past (rating 9)."""
    options = []
    if field.minimum is not None:
        options.append(int(field.minimum) - 1)
    if field.maximum is not None:
        options.append(int(field.maximum) + 1)
        if field.kind in _INTEGERS:
            options.append(int(field.maximum) + 4)
    return rng.choice(options)
