"""Incremental extract from the operational Postgres: stream each table out with COPY, load it.

Per entity, a watermark in the warehouse says how far the last extract read: `updated_at` for
mutable entities, `id` for append-only ones (`submitted_at` for feedback, whose uuid ids have no
order). Each run re-reads an overlap before the watermark, so a record committed late with an
older value is not missed; re-read records are exact duplicates, skipped and counted. The new
watermark commits in the same transaction as the batch that read up to it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from core.db import describe, first_line, parse_dsn
from core.exceptions import IngestError, SourceAuthError
from core.settings import Settings
from ingest.batch import BatchResult, BatchSource, InputRecord, load_batch
from ingest.contract.entities import ENTITIES, Entity
from ingest.contract.validate import Accepted, RecordValidator, TimeWindow
from ingest.watermarks import read_watermark, write_watermark

logger = logging.getLogger(__name__)

# the column each entity's extract advances on (docs/contract.md section 1)
WATERMARK_COLUMNS = {
    "orchestration_sessions": "updated_at",
    "orchestration_phase_metrics": "id",
    "orchestration_events": "id",
    "orchestration_code_metrics": "updated_at",
    "project_outcomes": "updated_at",
    "user_feedback": "submitted_at",
}


@dataclass(frozen=True)
class Window:
    """Which rows an extract reads: those whose watermark column is at or past `since`, and
    those where it is null (no watermark can pass them by: each run reads them, and the loader
    rejects them with the reason once, counting them as duplicate rejects afterwards)."""

    column: str
    since: int | dt.datetime | None

    def where(self) -> sql.Composable:
        if self.since is None:
            return sql.SQL("true")
        return sql.SQL("({column} >= {since} or {column} is null)").format(
            column=sql.Identifier(self.column), since=sql.Literal(self.since)
        )


def ingest_postgres(
    conn: psycopg.Connection[Any],
    source_dsn: str,
    *,
    settings: Settings,
    entities: tuple[str, ...] = tuple(ENTITIES),
    on_batch: Callable[[BatchResult], None] | None = None,
    full: bool = False,
) -> list[BatchResult]:
    """Extract every entity's new and changed rows; one batch (transaction) per entity.

    `full` reads whole tables whatever the watermarks say (rows already loaded are counted as
    duplicates): for phase metrics changed long after they were written, which carry no
    updated_at for an incremental read to notice.
    """
    source_name = f"postgres:{describe(parse_dsn(source_dsn))}"
    results = []
    with _connect_source(source_dsn) as source:
        for name in entities:
            result = extract_entity(conn, source, source_name, ENTITIES[name], settings, full=full)
            results.append(result)
            if on_batch is not None:
                on_batch(result)
    return results


def extract_entity(
    conn: psycopg.Connection[Any],
    source: psycopg.Connection[Any],
    source_name: str,
    entity: Entity,
    settings: Settings,
    *,
    full: bool = False,
) -> BatchResult:
    """One entity: read past its watermark (minus the overlap), load, advance the watermark."""
    column = WATERMARK_COLUMNS[entity.name]
    stored = read_watermark(conn, source_name, entity.name)
    conn.commit()
    window = Window(column, None) if full else overlap_window(column, stored, settings)
    validator = RecordValidator(entity, TimeWindow.from_settings(settings))
    highest = _Highest(validator.columns.index(column), stored_value(column, stored))

    def advance(conn: psycopg.Connection[Any], result: BatchResult) -> None:
        if highest.value is not None:
            value = highest.value
            stamp = value.isoformat() if isinstance(value, dt.datetime) else value
            write_watermark(conn, source_name, entity.name, {column: stamp}, result.batch_id)

    records = _records(source, entity, window, validator, highest)
    logger.info("extracting %s from %s where %s", entity.name, source_name, window)
    return load_batch(
        conn,
        BatchSource(entity, "postgres", f"{source_name}/{entity.name}"),
        records,
        validator=validator,
        chunk_rows=settings.chunk_rows,
        before_commit=advance,
        hold_above=settings.reject_rate_threshold,
    )


def overlap_window(column: str, stored: Any, settings: Settings) -> Window:
    """Start the read an overlap before the watermark, so late commits are read too."""
    value = stored_value(column, stored)
    if value is None:
        return Window(column, None)
    if isinstance(value, dt.datetime):
        return Window(column, value - dt.timedelta(seconds=settings.source_overlap_seconds))
    return Window(column, max(value - settings.source_overlap_ids, 0))


def stored_value(column: str, stored: Any) -> int | dt.datetime | None:
    if not isinstance(stored, dict) or stored.get(column) is None:
        return None
    value = stored[column]
    return int(value) if column == "id" else dt.datetime.fromisoformat(value)


@dataclass
class _Highest:
    """The greatest watermark-column value read so far (position: its index in the values)."""

    position: int
    value: Any

    def see(self, accepted: Accepted) -> None:
        value = accepted.values[self.position]
        if value is not None and (self.value is None or value > self.value):
            self.value = value


def _records(
    source: psycopg.Connection[Any],
    entity: Entity,
    window: Window,
    validator: RecordValidator,
    highest: _Highest,
) -> Iterator[InputRecord]:
    """Stream the rows as JSON text with COPY TO STDOUT; never the whole table in memory.

    The text arrives as bytes (read as bytea: a binary COPY sends text as its bytes), so no
    decode and encode stands between the source and the validator, whatever its encoding.
    """
    query = sql.SQL(
        "copy (select to_jsonb(source_rows)::text from {} as source_rows where {} "
        "order by {}, id) to stdout (format binary)"
    ).format(sql.Identifier(entity.name), window.where(), sql.Identifier(window.column))
    try:
        with source.cursor().copy(query) as copy:
            copy.set_types(["bytea"])
            for number, (text,) in enumerate(copy.rows(), start=1):
                raw = bytes(text)
                outcome = validator.validate_json(raw)
                if isinstance(outcome, Accepted):
                    highest.see(outcome)
                yield InputRecord(number, outcome, raw)
    except psycopg.errors.UndefinedTable:
        raise IngestError(f"the source database has no table {entity.name}") from None
    except psycopg.errors.UndefinedColumn as error:
        raise IngestError(
            f"the source table {entity.name} has no column the extract needs ({first_line(error)})"
        ) from None
    finally:
        source.rollback()


def _connect_source(source_dsn: str) -> psycopg.Connection[Any]:
    """A read-only connection to the source; a refused login or an unreachable host is clear."""
    params = parse_dsn(source_dsn)
    try:
        conn = psycopg.connect(source_dsn, connect_timeout=10)
    except psycopg.OperationalError as error:
        message = first_line(error)
        if "password" in message or "authentication" in message:
            raise SourceAuthError(
                f"the source database at {describe(params)} refused the login: {message}"
            ) from None
        raise IngestError(
            f"cannot connect to the source database at {describe(params)}: {message}"
        ) from None
    conn.read_only = True
    return conn
