"""Fill a demo source database from landing files: the seeds' tables, holding current state.

For the demo and the tests of the source-database extract: it applies sql/source, then upserts
every accepted record of the landing files in delivery order (a newer updated_at replaces).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg import sql

from core.db import first_line
from core.exceptions import ForgeError
from core.settings import PROJECT_DIR
from ingest.contract.entities import Entity
from ingest.contract.validate import Accepted, RecordValidator
from ingest.sources.files.load import discover
from ingest.sources.files.read import read_file

logger = logging.getLogger(__name__)

SOURCE_DDL = PROJECT_DIR / "sql" / "source"
BATCH_ROWS = 2_000


def apply_source_schema(conn: psycopg.Connection[Any]) -> None:
    """Create the seeds' operational tables (idempotent)."""
    for path in sorted(SOURCE_DDL.glob("*.sql")):
        conn.execute(path.read_text())
    conn.commit()


def seed_source(source_dsn: str, landing: Path) -> dict[str, int]:
    """Upsert the landing directory's accepted records; returns rows written per entity."""
    try:
        return _seed(source_dsn, landing)
    except psycopg.Error as error:
        raise ForgeError(f"could not fill the source database: {first_line(error)}") from None


def _seed(source_dsn: str, landing: Path) -> dict[str, int]:
    written: dict[str, int] = {}
    with psycopg.connect(source_dsn) as conn:
        apply_source_schema(conn)
        validators: dict[str, RecordValidator] = {}
        for file in discover(landing):
            entity = file.entity
            validator = validators.setdefault(entity.name, RecordValidator(entity))
            accepted = (
                record.outcome
                for record in read_file(file.path, validator)
                if isinstance(record.outcome, Accepted)
            )
            for batch in _batches(accepted):
                rows = _latest_per_id([_as_json(validator.columns, outcome) for outcome in batch])
                conn.execute(_upsert(entity, validator.columns), (orjson.dumps(rows).decode(),))
                written[entity.name] = written.get(entity.name, 0) + len(rows)
            conn.commit()
    logger.info("seeded the source database: %s", written)
    return written


def _upsert(entity: Entity, columns: tuple[str, ...]) -> sql.Composed:
    """Insert from a JSON array; a newer version (or, without updated_at, any) replaces."""
    table = sql.Identifier(entity.name)
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    insert = sql.SQL(
        "insert into {table} ({names}) select {names} "
        "from jsonb_populate_recordset(null::{table}, %s::jsonb) "
    ).format(table=table, names=names)
    if not entity.mutable:
        return insert + sql.SQL("on conflict (id) do nothing")
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = excluded.{0}").format(sql.Identifier(name)) for name in columns
    )
    newer = (
        sql.SQL(" where {table}.updated_at <= excluded.updated_at").format(table=table)
        if "updated_at" in columns
        else sql.SQL("")
    )
    return insert + sql.SQL("on conflict (id) do update set {}").format(updates) + newer


def _latest_per_id(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per id (an upsert may touch a row once): the newest, else the later one."""
    latest: dict[Any, dict[str, Any]] = {}
    for row in rows:
        previous = latest.get(row["id"])
        if previous is None or (previous.get("updated_at") or "") <= (row.get("updated_at") or ""):
            latest[row["id"]] = row
    return list(latest.values())


def _batches(outcomes: Iterable[Accepted]) -> Iterator[list[Accepted]]:
    iterator = iter(outcomes)
    while batch := list(islice(iterator, BATCH_ROWS)):
        yield batch


def _as_json(columns: tuple[str, ...], outcome: Accepted) -> dict[str, Any]:
    """The accepted values back as JSON-ready values (jsonb's binary form → the object)."""
    record = {}
    for name, value in zip(columns, outcome.values, strict=True):
        if isinstance(value, bytes):
            value = orjson.loads(value[1:])
        elif isinstance(value, dt.datetime):
            value = value.isoformat()
        elif isinstance(value, uuid.UUID | Decimal):
            value = str(value)
        record[name] = value
    return record
