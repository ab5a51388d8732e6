"""Apply sql/warehouse in order with yoyo: idempotent, locked, and the applied versions recorded."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from yoyo import read_migrations
from yoyo.backends.base import DatabaseBackend, get_backend_class
from yoyo.connections import DatabaseURI

from core.db import connect, first_line, parse_dsn
from core.exceptions import ForgeError

logger = logging.getLogger(__name__)

# yoyo keeps its bookkeeping (_yoyo_migration, _yoyo_log, ...) beside the load audit
BOOKKEEPING_SCHEMA = "audit"


def migrate(dsn: str, migrations_dir: Path) -> list[str]:
    """Apply the migrations the warehouse has not seen yet; returns their ids."""
    try:
        with connect(dsn, autocommit=True) as conn:
            conn.execute(f"create schema if not exists {BOOKKEEPING_SCHEMA}")
        backend = _backend(dsn)
        migrations = read_migrations(str(migrations_dir))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    except psycopg.Error as error:
        raise ForgeError(
            f"could not prepare the warehouse schemas and roles: {first_line(error)}"
        ) from None
    applied = [migration.id for migration in pending]
    if applied:
        logger.info("applied warehouse migrations: %s", ", ".join(applied))
    return applied


def applied_versions(dsn: str) -> list[str]:
    """The migrations recorded as applied, oldest first."""
    with connect(dsn) as conn:
        table = conn.execute(
            "select to_regclass(%s)", (f"{BOOKKEEPING_SCHEMA}._yoyo_migration",)
        ).fetchone()
        if table is None or table[0] is None:  # a database no migration has touched yet
            return []
        rows = conn.execute(
            f"select migration_id from {BOOKKEEPING_SCHEMA}._yoyo_migration order by applied_at_utc"
        ).fetchall()
    return [row[0] for row in rows]


def _backend(dsn: str) -> DatabaseBackend:
    params = parse_dsn(dsn)
    database = params.pop("dbname", None)
    uri = DatabaseURI(
        scheme="postgresql+psycopg",
        username=None,
        password=None,
        hostname=None,
        port=None,
        database=database,
        args={**params, "schema": BOOKKEEPING_SCHEMA},
    )
    backend: DatabaseBackend = get_backend_class(uri.scheme)(uri, "_yoyo_migration")
    backend.init_database()
    return backend
