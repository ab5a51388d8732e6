"""The warehouse the read-only integration tests share: one dirty synthetic source (120
sessions, 5% bad or duplicate records), loaded by the real loader and built by `forge-warehouse
build`, in this process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from typer.testing import CliRunner

from cli.app import app
from core.db import connect
from core.settings import get_settings
from ingest.contract.entities import ENTITIES
from ingest.sources.files.load import load_landing
from synthetic import Manifest, generate


@dataclass(frozen=True)
class Built:
    """A test database with raw, audit and the marts built from one synthetic source."""

    dsn: str
    manifest: Manifest
    landing: Path


def empty_raw_and_audit(dsn: str) -> None:
    """Every raw table, audit.loads and audit.rejects emptied: nothing loaded yet."""
    tables = [sql.Identifier("raw", name) for name in ENTITIES]
    tables += [sql.Identifier("audit", "loads"), sql.Identifier("audit", "rejects")]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(tables)))


def build(dsn: str, folder: Path) -> Built:
    """Empty raw and audit in `dsn`, load the source's files (written under `folder`), build."""
    landing = folder / "landing"
    manifest = generate(landing, sessions=120, seed=7, dirty_rate=0.05)
    empty_raw_and_audit(dsn)
    with connect(dsn) as conn:
        load_landing(conn, landing)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["build", "--as-of", manifest.now.isoformat()])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, (result.output[-3000:], result.exception)
    return Built(dsn, manifest, landing)


def relations(dsn: str, schema: str) -> list[str]:
    """Tables, views and materialized views of a schema."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select relname from pg_class where relnamespace = %s::regnamespace "
            "and relkind in ('r', 'v', 'm', 'p') order by 1",
            (schema,),
        ).fetchall()
    return [row[0] for row in rows]
