"""Load one batch into its raw table: COPY, rejects and the audit row in one transaction.

Every source (landing files, the source database, the DataForge API) hands its validated
records to `load_batch`. Exact re-deliveries are found by record hash, chunk by chunk, against
what raw already holds (including earlier chunks of the same batch), so memory stays bounded
by the chunk size and a record is never stored twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

import orjson
import psycopg
from psycopg import sql
from psycopg.copy import Copy, QueuedLibpqWriter

from core.db import first_line
from core.exceptions import IngestError, WarehouseUnavailableError
from ingest.contract.entities import Entity, Kind
from ingest.contract.validate import Accepted, RecordValidator, Rejected

logger = logging.getLogger(__name__)

MAX_REASONS = 100
OTHER_REASONS = "(other reasons)"
LOADER_COLUMNS = ("_load_id", "_line_number", "_record_hash", "_extra")
LOADER_TYPES = ("text", "int8", "bytea", "bytea")
REJECT_COLUMNS = ("batch_id", "entity", "source_name", "line_number", "reason", "raw_record")
REJECT_TYPES = ("text", "text", "text", "int8", "text", "text")
# Binary COPY needs each column's wire type; varchar columns take text's. JSON objects arrive
# already in jsonb's binary form (see validate.Accepted), so psycopg passes them through as
# bytes: a binary COPY row carries no type oids, and the server reads them with jsonb's input.
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
    Kind.JSON_OBJECT: "bytea",
}


class InputRecord(NamedTuple):
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
    # a CSV file's header: its rejects (kept as CSV text) can then be replayed field by field
    csv_header: tuple[str, ...] | None = None


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

    def note_reject(self, reason: str) -> None:
        """Count a reject and its reason (distinct reasons are capped: they can carry values)."""
        self.rows_rejected += 1
        if reason in self.reject_reasons or len(self.reject_reasons) < MAX_REASONS:
            self.reject_reasons[reason] = self.reject_reasons.get(reason, 0) + 1
        else:
            self.reject_reasons[OTHER_REASONS] = self.reject_reasons.get(OTHER_REASONS, 0) + 1

    def note_new_fields(self, extra: dict[str, Any]) -> None:
        if len(self.new_fields) < MAX_REASONS:
            self.new_fields.update(extra)

    @property
    def balanced(self) -> bool:
        return self.lines_read == self.rows_loaded + self.rows_rejected + self.duplicates_skipped


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
    reread: Callable[[], Iterable[InputRecord]] | None = None,
    already_loaded: Callable[[psycopg.Connection[Any]], str | None] | None = None,
) -> BatchResult:
    """Load a batch in one transaction; on failure nothing of it stays but a 'failed' audit row.

    `records` may raise IngestError or OSError (a truncated gzip, say): the batch then fails as
    a whole and the error says why. `before_commit` runs inside the transaction after the last
    record (an extract advances its watermark there, so both commit together).

    A source that can read its records again (`reread`, e.g. a file) is first loaded in one
    streaming COPY, which Postgres consumes while we parse; a duplicate (the raw table's unique
    record-hash index refuses it) rolls that attempt back and the batch is loaded again chunk by
    chunk, each chunk checked against what raw holds. Other sources go chunk by chunk at once.

    `already_loaded`, asked once the entity's lock is held, names a batch that already loaded
    this one; the result is then 'skipped' (its error holds that batch id) and nothing is written.
    """
    batch_id = new_batch_id()
    result = BatchResult(batch_id, source.entity.name, source.source_name)
    started_at = dt.datetime.now(dt.UTC)
    target = _RawTarget(source, validator)
    try:
        with conn.transaction():
            _lock_entity(conn, source.entity)
            previous = already_loaded(conn) if already_loaded is not None else None
            if previous is not None:
                result.status, result.error = "skipped", previous
                return result
            streamed = False
            if reread is not None:
                try:
                    with conn.transaction():
                        _load_streaming(conn, target, records, result, on_chunk, chunk_rows)
                    streamed = True
                except psycopg.errors.UniqueViolation:
                    logger.info(
                        "%s holds duplicates; loading it chunk by chunk", source.source_name
                    )
                    result = BatchResult(batch_id, source.entity.name, source.source_name)
                    records = reread()
            if not streamed:
                for chunk in _chunks(records, chunk_rows):
                    _load_chunk(conn, target, chunk, result)
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


class _RawTarget:
    """The raw table of a batch: its COPY statement and wire types, and the reject rows."""

    def __init__(self, source: BatchSource, validator: RecordValidator) -> None:
        kinds = {field.name: field.kind for field in source.entity.fields}
        self.source = source
        self.table = sql.Identifier("raw", source.entity.name)
        self.columns = (*validator.columns, *LOADER_COLUMNS)
        self.types = (*(COPY_TYPES[kinds[name]] for name in validator.columns), *LOADER_TYPES)

    def reject_row(self, batch_id: str, record: InputRecord, reason: str) -> tuple[Any, ...]:
        raw = printable(record.raw) if record.raw is not None else None
        source = self.source
        return (batch_id, source.entity.name, source.source_name, record.line_number, reason, raw)


def _load_streaming(
    conn: psycopg.Connection[Any],
    target: _RawTarget,
    records: Iterable[InputRecord],
    result: BatchResult,
    on_chunk: Callable[[BatchResult], None] | None,
    progress_every: int,
) -> None:
    """Every accepted record in one COPY; rejects wait in a temporary file until it closes."""
    batch_id = result.batch_id
    with tempfile.TemporaryFile() as spool:
        with _copy_into(conn, target.table, target.columns, target.types) as copy:
            write_row = copy.write_row
            for record in records:
                result.lines_read += 1
                outcome = record.outcome
                if isinstance(outcome, Accepted):
                    write_row(
                        (
                            *outcome.values,
                            batch_id,
                            record.line_number,
                            outcome.record_hash,
                            _jsonb(outcome.extra),
                        )
                    )
                    result.rows_loaded += 1
                    if outcome.extra:
                        result.note_new_fields(outcome.extra)
                else:
                    reason = printable(outcome.reason)
                    spool.write(orjson.dumps(target.reject_row(batch_id, record, reason)) + b"\n")
                    result.note_reject(outcome.reason)
                if on_chunk is not None and result.lines_read % progress_every == 0:
                    on_chunk(result)
        spool.seek(0)
        rejects = (tuple(orjson.loads(line)) for line in spool)
        _copy(conn, sql.Identifier("audit", "rejects"), REJECT_COLUMNS, REJECT_TYPES, rejects)
    if on_chunk is not None:
        on_chunk(result)


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
    target: _RawTarget,
    chunk: list[InputRecord],
    result: BatchResult,
) -> None:
    """A chunk checked against raw (earlier chunks of this batch included) before its COPY."""
    fresh: dict[bytes, tuple[int, Accepted]] = {}
    rejects: list[tuple[Any, ...]] = []
    for record in chunk:
        outcome = record.outcome
        if isinstance(outcome, Rejected):
            rejects.append(target.reject_row(result.batch_id, record, printable(outcome.reason)))
            result.note_reject(outcome.reason)
        elif outcome.record_hash in fresh:
            result.duplicates_skipped += 1
        else:
            fresh[outcome.record_hash] = (record.line_number, outcome)
            if outcome.extra:
                result.note_new_fields(outcome.extra)
    stored = _already_stored(conn, target.source.entity, list(fresh))
    rows = [
        (*accepted.values, result.batch_id, line_number, record_hash, _jsonb(accepted.extra))
        for record_hash, (line_number, accepted) in fresh.items()
        if record_hash not in stored
    ]
    _copy(conn, target.table, target.columns, target.types, rows)
    _copy(conn, sql.Identifier("audit", "rejects"), REJECT_COLUMNS, REJECT_TYPES, rejects)
    result.lines_read += len(chunk)
    result.rows_loaded += len(rows)
    result.duplicates_skipped += len(stored)


def _jsonb(value: dict[str, Any] | None) -> bytes | None:
    return None if value is None else b"\x01" + orjson.dumps(value)


def _already_stored(
    conn: psycopg.Connection[Any], entity: Entity, hashes: list[bytes]
) -> set[bytes]:
    if not hashes:
        return set()
    query = sql.SQL("select _record_hash from {} where _record_hash = any(%b)").format(
        sql.Identifier("raw", entity.name)
    )
    return {bytes(row[0]) for row in conn.cursor().execute(query, (hashes,), binary=True)}


@contextmanager
def _copy_into(
    conn: psycopg.Connection[Any],
    table: sql.Identifier,
    columns: tuple[str, ...],
    types: tuple[str, ...],
) -> Iterator[Copy]:
    """Binary COPY: values are formatted in C; a writer thread sends while we format."""
    statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    cursor = conn.cursor()
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        copy.set_types(list(types))
        yield copy


def _copy(
    conn: psycopg.Connection[Any],
    table: sql.Identifier,
    columns: tuple[str, ...],
    types: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
) -> None:
    with _copy_into(conn, table, columns, types) as copy:
        for row in rows:
            copy.write_row(row)


def _write_audit(
    conn: psycopg.Connection[Any], source: BatchSource, result: BatchResult, started_at: dt.datetime
) -> None:
    conn.execute(
        """
        insert into audit.loads (
            batch_id, entity, source, source_name, content_sha256, lines_read, rows_loaded,
            rows_rejected, duplicates_skipped, new_fields, started_at, finished_at, status, error,
            csv_header
        ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp(), %s, %s, %s)
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
            list(source.csv_header) if source.csv_header is not None else None,
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
