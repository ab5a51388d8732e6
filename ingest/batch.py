"""Load one batch into its raw table: COPY, rejects and the audit row in one transaction.

Every source (landing files, the source database, the DataForge API) hands its validated
records to `load_batch`. Exact re-deliveries are found by record hash, chunk by chunk, against
what raw already holds (including earlier chunks of the same batch), so memory stays bounded
by the chunk size and a record is never stored twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import msgspec
import psycopg
from psycopg import sql
from psycopg.adapt import Dumper
from psycopg.copy import QueuedLibpqWriter
from psycopg.pq import Format
from psycopg.types import TypeInfo

from ingest.common.db import first_line
from ingest.common.exceptions import IngestError, WarehouseUnavailableError
from ingest.contract.entities import Entity, Kind
from ingest.contract.validate import Accepted, RecordValidator, Rejected

logger = logging.getLogger(__name__)

_encode_json = msgspec.json.Encoder().encode

LOADER_COLUMNS = ("_load_id", "_line_number", "_record_hash", "_extra")
LOADER_TYPES = ("text", "int8", "bytea", "jsonb")
REJECT_COLUMNS = ("batch_id", "entity", "source_name", "line_number", "reason", "raw_record")
REJECT_TYPES = ("text", "text", "text", "int8", "text", "text")
# binary COPY needs each column's wire type; varchar columns take text's
COPY_TYPES = {
    Kind.SMALLINT: "int2",
    Kind.INTEGER: "int4",
    Kind.BIGINT: "int8",
    Kind.FLOAT: "float8",
    Kind.NUMERIC_5_2: "numeric",
    Kind.BOOLEAN: "bool",
    Kind.UUID: "uuid",
    Kind.TIMESTAMP: "timestamptz",
    Kind.TEXT: "text",
    Kind.TEXT_ARRAY: "text[]",
    Kind.JSON_OBJECT: "jsonb",
}


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One input line (or source row) after validation; `raw` is kept only for rejects."""

    line_number: int
    outcome: Accepted | Rejected
    raw: str | None = None


@dataclass(frozen=True)
class BatchSource:
    """Where a batch comes from, as audit.loads records it."""

    entity: Entity
    source: str
    source_name: str
    content_sha256: str | None = None


@dataclass
class BatchResult:
    """What happened to a batch: the counts identity, new fields, and the outcome."""

    batch_id: str
    entity: str
    source_name: str
    lines_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    duplicates_skipped: int = 0
    new_fields: set[str] = field(default_factory=set)
    status: str = "succeeded"
    error: str | None = None
    reject_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.lines_read == self.rows_loaded + self.rows_rejected + self.duplicates_skipped


class _JsonbDumper(Dumper):
    """jsonb in binary: a version byte, then the JSON text (msgspec encodes Raw values as-is)."""

    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + _encode_json(obj)


def new_batch_id() -> str:
    """Sortable and unique: the UTC start time and a random suffix."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def load_batch(
    conn: psycopg.Connection[Any],
    source: BatchSource,
    records: Iterable[InputRecord],
    *,
    validator: RecordValidator,
    chunk_rows: int = 20_000,
    on_chunk: Callable[[BatchResult], None] | None = None,
    before_commit: Callable[[psycopg.Connection[Any], BatchResult], None] | None = None,
) -> BatchResult:
    """Load a batch in one transaction; on failure nothing of it stays but a 'failed' audit row.

    `records` may raise IngestError or OSError (a truncated gzip, say): the batch then fails as
    a whole and the error says why. `before_commit` runs inside the transaction after the last
    chunk (an extract advances its watermark there, so both commit together).
    """
    result = BatchResult(new_batch_id(), source.entity.name, source.source_name)
    started_at = dt.datetime.now(dt.UTC)
    _register_jsonb_dumper(conn)
    try:
        with conn.transaction():
            _lock_entity(conn, source.entity)
            for chunk in _chunks(records, chunk_rows):
                _load_chunk(conn, source, validator, chunk, result)
                if on_chunk is not None:
                    on_chunk(result)
            _write_audit(conn, source, result, started_at)
            if before_commit is not None:
                before_commit(conn, result)
    except psycopg.OperationalError as error:
        raise WarehouseUnavailableError(
            f"lost the warehouse connection while loading {source.source_name}: "
            f"{first_line(error)}; nothing of this batch was kept, rerun to load it"
        ) from None
    except (psycopg.Error, IngestError, OSError, EOFError) as error:
        result = _failed(result, error)
        with conn.transaction():
            _write_audit(conn, source, result, started_at)
        logger.error("batch %s of %s failed: %s", result.batch_id, source.source_name, result.error)
    return result


def _register_jsonb_dumper(conn: psycopg.Connection[Any]) -> None:
    info = TypeInfo.fetch(conn, "jsonb")
    assert info is not None
    dumper = type("JsonbRawDumper", (_JsonbDumper,), {"oid": info.oid})
    conn.adapters.register_dumper(_JsonbMarker, dumper)


class _JsonbMarker:
    """Registering the dumper under a private type makes it the one binary COPY picks by oid."""


def _lock_entity(conn: psycopg.Connection[Any], entity: Entity) -> None:
    """One load per entity at a time: a second one waits here until the first commits."""
    key = f"forge.raw.{entity.name}"
    row = conn.execute("select pg_try_advisory_xact_lock(hashtext(%s))", (key,)).fetchone()
    if row is None or not row[0]:
        logger.warning("another load of %s is running; waiting for it to finish", entity.name)
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (key,))


def _chunks(records: Iterable[InputRecord], size: int) -> Iterator[list[InputRecord]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _load_chunk(
    conn: psycopg.Connection[Any],
    source: BatchSource,
    validator: RecordValidator,
    chunk: list[InputRecord],
    result: BatchResult,
) -> None:
    fresh: dict[bytes, tuple[int, Accepted]] = {}
    rejects: list[tuple[Any, ...]] = []
    for record in chunk:
        outcome = record.outcome
        if isinstance(outcome, Rejected):
            rejects.append(
                (
                    result.batch_id,
                    source.entity.name,
                    source.source_name,
                    record.line_number,
                    printable(outcome.reason),
                    printable(record.raw) if record.raw is not None else None,
                )
            )
            result.reject_reasons[outcome.reason] = result.reject_reasons.get(outcome.reason, 0) + 1
        elif outcome.record_hash in fresh:
            result.duplicates_skipped += 1
        else:
            fresh[outcome.record_hash] = (record.line_number, outcome)
            if outcome.extra:
                result.new_fields.update(outcome.extra)
    stored = _already_stored(conn, source.entity, list(fresh))
    rows = [
        (*accepted.values, result.batch_id, line_number, record_hash, accepted.extra)
        for record_hash, (line_number, accepted) in fresh.items()
        if record_hash not in stored
    ]
    fields = {field.name: field for field in source.entity.fields}
    raw_types = [COPY_TYPES[fields[name].kind] for name in validator.columns]
    raw_table = sql.Identifier("raw", source.entity.name)
    _copy(conn, raw_table, (*validator.columns, *LOADER_COLUMNS), (*raw_types, *LOADER_TYPES), rows)
    _copy(conn, sql.Identifier("audit", "rejects"), REJECT_COLUMNS, REJECT_TYPES, rejects)
    result.lines_read += len(chunk)
    result.rows_loaded += len(rows)
    result.rows_rejected += len(rejects)
    result.duplicates_skipped += len(stored)


def _already_stored(
    conn: psycopg.Connection[Any], entity: Entity, hashes: list[bytes]
) -> set[bytes]:
    if not hashes:
        return set()
    query = sql.SQL("select _record_hash from {} where _record_hash = any(%b)").format(
        sql.Identifier("raw", entity.name)
    )
    return {bytes(row[0]) for row in conn.cursor().execute(query, (hashes,), binary=True)}


def _copy(
    conn: psycopg.Connection[Any],
    table: sql.Identifier,
    columns: tuple[str, ...],
    types: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """Binary COPY: values are formatted in C; a writer thread sends while we format."""
    if not rows:
        return
    statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    cursor = conn.cursor()
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)


def _write_audit(
    conn: psycopg.Connection[Any], source: BatchSource, result: BatchResult, started_at: dt.datetime
) -> None:
    conn.execute(
        """
        insert into audit.loads (
            batch_id, entity, source, source_name, content_sha256, lines_read, rows_loaded,
            rows_rejected, duplicates_skipped, new_fields, started_at, finished_at, status, error
        ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp(), %s, %s)
        """,
        (
            result.batch_id,
            source.entity.name,
            source.source,
            printable(source.source_name),
            source.content_sha256,
            result.lines_read,
            result.rows_loaded,
            result.rows_rejected,
            result.duplicates_skipped,
            sorted(result.new_fields) or None,
            started_at,
            result.status,
            result.error,
        ),
    )


def _failed(result: BatchResult, error: BaseException) -> BatchResult:
    """A failed batch keeps nothing: its counts go back to zero, only the reason stays."""
    reason = first_line(error)
    if isinstance(error, psycopg.Error):
        reason = f"the warehouse refused the batch: {reason}"
    return BatchResult(
        result.batch_id, result.entity, result.source_name, status="failed", error=printable(reason)
    )


def printable(text: str) -> str:
    """Text Postgres can store: bytes that were not UTF-8 and NUL characters become escapes."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
