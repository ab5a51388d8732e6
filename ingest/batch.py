"""Load one batch into its raw table: COPY, rejects and the audit row in one transaction.

Every source (landing files, the source database, the DataForge API, replays) hands its
validated records to `load_batch`. Exact re-deliveries are found by record hash, chunk by chunk,
against what raw already holds (including earlier chunks of the same batch), so memory stays
bounded by the chunk size and a record is never stored twice. A record the validator passed
but Postgres still refuses (a limit nobody foresaw) becomes a reject naming the field: one
record never fails its batch. A batch whose share of rejected new lines passes the threshold is
held (audit.held_batches) in the same transaction, out of the marts until a person acts.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

import psycopg
from psycopg import sql
from psycopg.copy import Copy, QueuedLibpqWriter
from psycopg.types.string import BytesBinaryDumper

from core.db import first_line
from core.exceptions import IngestError, WarehouseUnavailableError
from ingest import quarantine
from ingest.contract.entities import Entity, Kind
from ingest.contract.validate import Accepted, RecordValidator, Rejected
from ingest.quarantine import printable
from ingest.queries import read_query
from ingest.refusals import ROW_ERRORS, Refused, refusal, refused_row

logger = logging.getLogger(__name__)

MAX_REASONS = 100
OTHER_REASONS = "(other reasons)"
LOADER_COLUMNS = ("_load_id", "_line_number", "_record_hash", "_extra")
LOADER_TYPES = ("text", "int8", "bytea", "bytea")
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
    """One input line (or source row) after validation, with the bytes it arrived as."""

    line_number: int
    outcome: Accepted | Rejected
    raw: bytes | None = None


@dataclass(frozen=True)
class BatchSource:
    """Where a batch comes from, as audit.loads records it."""

    entity: Entity
    source: str
    source_name: str
    content_sha256: str | None = None
    # a CSV file's header: its rejects (kept as CSV bytes) can then be replayed field by field
    csv_header: tuple[str, ...] | None = None
    # a file: the bytes its hash covers, the batch it continues (appended lines), and where a
    # later load may resume (asked once the records are read: offset, line number)
    content_bytes: int | None = None
    resumed_from_batch: str | None = None
    resume_point: Callable[[], tuple[int, int]] | None = None


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
    # of duplicates_skipped: records rejected before, by an earlier batch or in this one
    duplicate_rejects: int = 0
    held: bool = False

    def note_rejects(self, reasons: Counter[str]) -> None:
        """Count the rejects written (distinct reasons are capped: they can carry values)."""
        for reason, count in reasons.most_common():
            self.rows_rejected += count
            key = reason if len(self.reject_reasons) < MAX_REASONS else OTHER_REASONS
            self.reject_reasons[key] = self.reject_reasons.get(key, 0) + count

    def note_new_fields(self, names: Iterable[str]) -> None:
        if len(self.new_fields) < MAX_REASONS:
            self.new_fields.update(names)

    @property
    def new_lines(self) -> int:
        """Lines that were not a re-delivery of something loaded or rejected before."""
        return self.lines_read - self.duplicates_skipped

    @property
    def reject_rate(self) -> float:
        """The share of new lines rejected: what the reject-rate gate judges."""
        return self.rows_rejected / self.new_lines if self.new_lines > 0 else 0.0

    @property
    def balanced(self) -> bool:
        return self.lines_read == self.rows_loaded + self.rows_rejected + self.duplicates_skipped


def new_batch_id() -> str:
    """Sortable and unique: the UTC start time and a random suffix."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


_ONE_ROW_REFUSED: tuple[type[Exception], ...] = (Refused, *ROW_ERRORS)
# a streaming COPY that meets a duplicate or a refused row is loaded again chunk by chunk
_CHUNKED_AFTER: tuple[type[Exception], ...] = (psycopg.errors.UniqueViolation, *_ONE_ROW_REFUSED)


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
    hold_above: float | None = None,
) -> BatchResult:
    """Load a batch in one transaction; on failure nothing of it stays but a 'failed' audit row.

    `records` may raise IngestError or OSError (a truncated gzip, say): the batch then fails as
    a whole and the error says why. `before_commit` runs inside the transaction after the last
    record (an extract advances its watermark there, so both commit together).

    A source that can read its records again (`reread`, e.g. a file) is first loaded in one
    streaming COPY, which Postgres consumes while we parse; a duplicate (the raw table's unique
    record-hash index refuses it) or a row Postgres cannot store rolls that attempt back, and the
    batch is loaded again chunk by chunk, each chunk checked against what raw holds and each
    refused row turned into a reject. Other sources go chunk by chunk at once.

    `already_loaded`, asked once the entity's lock is held, names a batch that already loaded
    this one; the result is then 'skipped' (its error holds that batch id) and nothing is written.
    `hold_above`: the reject rate over which the batch is held out of the marts.
    """
    batch_id = new_batch_id()
    result = BatchResult(batch_id, source.entity.name, printable(source.source_name))
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
                except _CHUNKED_AFTER as error:
                    logger.info(
                        "%s: loading it chunk by chunk (%s)", result.source_name, first_line(error)
                    )
                    result = BatchResult(batch_id, source.entity.name, result.source_name)
                    target.rejects_ready = False  # rolled back with the attempt
                    records = reread()
            if not streamed:
                for chunk in _chunks(records, chunk_rows):
                    _load_chunk(conn, target, chunk, result)
                    if on_chunk is not None:
                        on_chunk(result)
            _settle_rejects(conn, target, result)
            result.held = hold_above is not None and result.reject_rate > hold_above
            _write_audit(conn, source, result, started_at)
            if before_commit is not None:
                before_commit(conn, result)
    except psycopg.OperationalError as error:
        raise WarehouseUnavailableError(
            f"lost the warehouse connection while loading {result.source_name}: "
            f"{first_line(error)}; nothing of this batch was kept, rerun to load it"
        ) from None
    except (psycopg.Error, IngestError, OSError, EOFError) as error:
        result = _failed(result, error)
        record_failure(conn, source, result, started_at)
    return result


def record_failure(
    conn: psycopg.Connection[Any],
    source: BatchSource,
    result: BatchResult,
    started_at: dt.datetime | None = None,
) -> None:
    """The audit row of a batch that kept nothing (a file that cannot be read, say)."""
    with conn.transaction():
        _write_audit(conn, source, result, started_at or dt.datetime.now(dt.UTC))
    logger.error("batch %s of %s failed: %s", result.batch_id, result.source_name, result.error)


def failed_result(source: BatchSource, reason: str) -> BatchResult:
    """A batch that failed before reading anything, with its reason."""
    result = BatchResult(new_batch_id(), source.entity.name, printable(source.source_name))
    result.status, result.error = "failed", printable(reason)
    return result


class _RawTarget:
    """The raw table of a batch: its COPY statement and wire types, and the reject rows."""

    def __init__(self, source: BatchSource, validator: RecordValidator) -> None:
        kinds = {field.name: field.kind for field in source.entity.fields}
        self.source = source
        self.table = sql.Identifier("raw", source.entity.name)
        self.columns = (*validator.columns, *LOADER_COLUMNS)
        self.types = (*(COPY_TYPES[kinds[name]] for name in validator.columns), *LOADER_TYPES)
        self.rejects = quarantine.RejectRows(source.entity.name, printable(source.source_name))
        self.validator = validator
        self.arrival_at = validator.columns.index(source.entity.arrival_field)
        self.rejects_ready = False  # the batch's temporary rejects table exists

    def add_rejects(self, conn: psycopg.Connection[Any], rows: Iterable[tuple[Any, ...]]) -> None:
        """Rejects into the batch's temporary table, made at the first one."""
        if not self.rejects_ready:
            quarantine.prepare(conn)
            self.rejects_ready = True
        quarantine.add(conn, rows)


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
    spool = quarantine.RejectSpool()
    reject_row = target.rejects.row
    index = -1
    try:
        with _copy_into(conn, target.table, target.columns, target.types) as copy:
            write_row = copy.write_row
            for record in records:
                result.lines_read += 1
                outcome = record.outcome
                if isinstance(outcome, Accepted):
                    index += 1
                    try:
                        write_row(
                            (
                                *outcome.values,
                                batch_id,
                                record.line_number,
                                outcome.record_hash,
                                _jsonb(outcome.extra),
                            )
                        )
                    except (ValueError, TypeError, OverflowError) as error:
                        raise Refused(index, refusal(error, None)) from None
                    result.rows_loaded += 1
                    if outcome.extra_names:
                        result.note_new_fields(outcome.extra_names)
                else:
                    spool.add(reject_row(record.line_number, outcome.reason, record.raw))
                if on_chunk is not None and result.lines_read % progress_every == 0:
                    on_chunk(result)
        if spool.count:
            target.add_rejects(conn, spool.rows())
    finally:
        spool.close()
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
    """A chunk checked against raw (earlier chunks of this batch included) before its COPY.

    A row Postgres refuses becomes a reject and the chunk's COPY is tried again without it.
    """
    fresh: dict[bytes, InputRecord] = {}
    arrivals: list[Any] = []  # each fresh record's arrival field, in the same order
    rejects: list[tuple[Any, ...]] = []
    for record in chunk:
        outcome = record.outcome
        if isinstance(outcome, Rejected):
            rejects.append(target.rejects.row(record.line_number, outcome.reason, record.raw))
        elif outcome.record_hash in fresh:
            result.duplicates_skipped += 1
        else:
            fresh[outcome.record_hash] = record
            arrivals.append(outcome.values[target.arrival_at])
    stored = _already_stored(conn, target.source.entity, list(fresh), arrivals)
    pending = [record for record_hash, record in fresh.items() if record_hash not in stored]
    screened = False
    while True:
        try:
            with conn.transaction():
                _copy_accepted(conn, target, pending, result.batch_id)
            break
        except _ONE_ROW_REFUSED as error:
            refused = refused_row(error, len(pending))
            if refused is None:
                raise
            if not screened:  # one exact look at the whole chunk, so one COPY retry, not many
                screened = True
                pending = _screen(target, pending, rejects, refused)
                continue
            index, reason = refused
            record = pending.pop(index)
            logger.warning("%s line %d: %s", result.source_name, record.line_number, reason)
            rejects.append(target.rejects.row(record.line_number, reason, record.raw))
    for record in pending:
        accepted = record.outcome
        assert isinstance(accepted, Accepted)
        if accepted.extra_names:
            result.note_new_fields(accepted.extra_names)
    if rejects:
        target.add_rejects(conn, rejects)
    result.lines_read += len(chunk)
    result.rows_loaded += len(pending)
    result.rows_rejected += len(rejects)
    result.duplicates_skipped += len(stored)


def _screen(
    target: _RawTarget,
    pending: list[InputRecord],
    rejects: list[tuple[Any, ...]],
    refused: tuple[int, str],
) -> list[InputRecord]:
    """The chunk's records without those whose nested JSON Postgres cannot store (each a reject
    with the exact reason); the refused row goes too, with Postgres's reason if no other."""
    kept = []
    for index, record in enumerate(pending):
        assert isinstance(record.outcome, Accepted)
        reason = target.validator.storage_problem(record.outcome)
        if reason is None and index == refused[0]:
            reason = refused[1]
        if reason is None:
            kept.append(record)
        else:
            rejects.append(target.rejects.row(record.line_number, reason, record.raw))
    return kept


def _copy_accepted(
    conn: psycopg.Connection[Any], target: _RawTarget, records: list[InputRecord], batch_id: str
) -> None:
    with _copy_into(conn, target.table, target.columns, target.types) as copy:
        for index, record in enumerate(records):
            accepted = record.outcome
            assert isinstance(accepted, Accepted)
            row = (
                *accepted.values,
                batch_id,
                record.line_number,
                accepted.record_hash,
                _jsonb(accepted.extra),
            )
            try:
                copy.write_row(row)
            except (ValueError, TypeError, OverflowError) as error:  # formatting, in this process
                raise Refused(index, refusal(error, None)) from None


def _settle_rejects(conn: psycopg.Connection[Any], target: _RawTarget, result: BatchResult) -> None:
    """Write the batch's rejects not rejected before; re-rejections count as duplicates."""
    if not target.rejects_ready:
        result.rows_rejected, result.reject_reasons, result.duplicate_rejects = 0, {}, 0
        return
    seen, written = quarantine.store(conn, result.batch_id, result.entity, result.source_name)
    result.rows_rejected = 0
    result.reject_reasons = {}
    result.note_rejects(written)
    result.duplicate_rejects = seen - result.rows_rejected
    result.duplicates_skipped += result.duplicate_rejects


def _jsonb(value: bytes | None) -> bytes | None:
    return None if value is None else b"\x01" + value


def _already_stored(
    conn: psycopg.Connection[Any], entity: Entity, hashes: list[bytes], arrivals: list[Any]
) -> set[bytes]:
    """Which `hashes` raw already holds, looked up with their records' arrival fields through
    raw's duplicate index (led by that field, then the hash: sql/warehouse/0011)."""
    if not hashes:
        return set()
    kind = next(field.kind for field in entity.fields if field.name == entity.arrival_field)
    query = sql.SQL(
        "select raw._record_hash from {} as raw"
        " join unnest(%b::{kind}[], %b::bytea[]) as chunk (arrival, record_hash)"
        " on raw.{arrival} = chunk.arrival and raw._record_hash = chunk.record_hash"
    ).format(
        sql.Identifier("raw", entity.name),
        kind=sql.SQL(kind.value),
        arrival=sql.Identifier(entity.arrival_field),
    )
    rows = conn.cursor().execute(query, (arrivals, hashes), binary=True)
    return {bytes(row[0]) for row in rows}


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
    # bytea's dumper by type name is the DB-API Binary wrapper's, written in Python; the one for
    # bytes is psycopg's C dumper (a raw row has up to four bytea columns)
    cursor.adapters.register_dumper(bytes, BytesBinaryDumper)
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        copy.set_types(list(types))
        yield copy


def _write_audit(
    conn: psycopg.Connection[Any], source: BatchSource, result: BatchResult, started_at: dt.datetime
) -> None:
    succeeded = result.status == "succeeded"
    resume = source.resume_point() if succeeded and source.resume_point is not None else None
    conn.execute(
        sql.SQL(read_query("insert_load")),
        {
            "batch_id": result.batch_id,
            "entity": source.entity.name,
            "source": source.source,
            "source_name": printable(source.source_name),
            "content_sha256": source.content_sha256,
            "lines_read": result.lines_read,
            "rows_loaded": result.rows_loaded,
            "rows_rejected": result.rows_rejected,
            "duplicates_skipped": result.duplicates_skipped,
            "new_fields": sorted(printable(name) for name in result.new_fields) or None,
            "started_at": started_at,
            "status": result.status,
            "error": result.error,
            "csv_header": list(source.csv_header) if source.csv_header is not None else None,
            "content_bytes": source.content_bytes if succeeded else None,
            "resume_offset": resume[0] if resume else None,
            "resume_line": resume[1] if resume else None,
            "resumed_from_batch": source.resumed_from_batch,
            "duplicate_rejects": result.duplicate_rejects,
            "held": result.held,
        },
    )


def _failed(result: BatchResult, error: BaseException) -> BatchResult:
    """A failed batch keeps nothing: its counts go back to zero, only the reason stays."""
    reason = first_line(error)
    if isinstance(error, psycopg.Error):
        reason = f"the warehouse refused the batch: {reason}"
    return BatchResult(
        result.batch_id, result.entity, result.source_name, status="failed", error=printable(reason)
    )
