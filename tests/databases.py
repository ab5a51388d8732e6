"""The tests' throwaway databases: made on the test server, and dropped together with what dbt
kept for them under dbt_project/target/ (a build's folder, the metrics' parse, the parse states,
the Dagster runs' artifacts), which would otherwise pile up in the checkout with every run of
the suite and push out the parse state the demo's warehouse reuses (sixteen are kept)."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from analytics.semantic_layer import TARGET as METRICS_TARGET
from cli.dbt_build import TARGET as BUILD_TARGET
from core.db import warehouse_key
from core.dbt_parse_state import state_file
from core.dbt_results import run_artifacts_dir
from core.settings import PROJECT_DIR

DBT_DIR = PROJECT_DIR / "dbt_project"
# how a dbt manifest names the database its nodes live in
_DATABASE = re.compile(rb'"database": "([^"]*)"')


def create(server_dsn: str, prefix: str) -> str:
    """A new empty database named `prefix`_<8 hex> on the server of `server_dsn`; its DSN."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return make_conninfo(server_dsn, dbname=name)


def drop(server_dsn: str, dsn: str) -> None:
    """Drop the database of `dsn` through `server_dsn` (another database of its server, as
    given to `create`; sessions still connected are ended), then forget it."""
    name = str(conninfo_to_dict(dsn)["dbname"])
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
    forget(dsn)


def forget(dsn: str, project_dir: Path = DBT_DIR) -> None:
    """Remove what dbt kept under the project's target/ for the database of `dsn`."""
    target = project_dir / "target"
    key = warehouse_key(dsn)
    for folder in (project_dir / BUILD_TARGET / key, project_dir / METRICS_TARGET / key):
        shutil.rmtree(folder, ignore_errors=True)
    for state in state_file(target, dsn, {}).parent.glob(f"{key}-*.msgpack"):
        state.unlink(missing_ok=True)
    name = str(conninfo_to_dict(dsn)["dbname"]).encode()
    runs = run_artifacts_dir(target, "x").parent
    for run in runs.iterdir() if runs.is_dir() else ():
        if name in {_database_of(manifest) for manifest in run.glob("*/manifest.json")}:
            shutil.rmtree(run, ignore_errors=True)


def _database_of(manifest: Path) -> bytes | None:
    """The database the first node of a dbt manifest lives in (read until it is named); None
    when it names none, or when the file went meanwhile (another worker's run pruned it)."""
    try:
        with manifest.open("rb") as handle:
            head = b""
            while chunk := handle.read(1 << 16):
                head = head[-256:] + chunk
                if found := _DATABASE.search(head):
                    return found.group(1)
    except OSError:
        pass
    return None
