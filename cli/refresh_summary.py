"""What a person reads after `forge-warehouse refresh`: raw tables, this run's loads, the marts,
dbt's results by kind, and why the run failed when it did."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from cli.console import green, red
from cli.nightly import RefreshRun
from core.db import connect
from core.settings import Settings
from ingest.contract.entities import ENTITIES
from ingest.holds import held_batches
from orchestration_dagster.lib.names import raw_asset_key

TOP_REASONS = 3
SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def _query(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def print_refresh_summary(
    console: Console, dsn: str, settings: Settings, seconds: float, run: RefreshRun
) -> None:
    """Raw rows, this run's loads, rejects, duplicates and skipped files, marts, dbt, time."""
    batch_ids = run.report.batch_ids
    with connect(dsn) as conn:
        loads = {
            row[0]: row[1:]
            for row in conn.execute(_query("select_run_loads"), {"batch_ids": batch_ids})
        }
        reasons = conn.execute(
            _query("select_run_reject_reasons"), {"batch_ids": batch_ids, "limit": TOP_REASONS}
        ).fetchall()
        raw_rows = {name: _count(conn, "raw", name) for name in ENTITIES}
        mart_names = conn.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' order by table_name"
        ).fetchall()
        mart_rows = [(name, _count(conn, "marts", name)) for (name,) in mart_names]
        held = held_batches(conn)
        watched = conn.execute(_query("select_run_watch"), {"run_id": run.run_id}).fetchall()
    table = Table(title="raw tables", title_justify="left")
    columns = ("raw table", "rows", "batches now", "loaded now", "rejected now")
    for column in (*columns, "duplicates now", "files skipped"):
        table.add_column(column, justify="left" if column == "raw table" else "right")
    for name, entity in ENTITIES.items():
        batches, loaded, rejected, duplicates, _failed = loads.get(name, (0, 0, 0, 0, 0))
        key = raw_asset_key(entity.system, name).to_user_string()
        skipped = run.report.files_already_loaded.get(key, 0)
        counts = (raw_rows[name], batches, loaded, rejected, duplicates, skipped)
        table.add_row(name, *map(str, counts))
    console.print(table)
    for reason, count in reasons:
        console.print(f"  {count} rejected: {reason}", soft_wrap=True)
    for batch in held:
        console.print(red("held:"), batch.notice(), soft_wrap=True)
    failed_batches = sum(values[4] for values in loads.values())
    if failed_batches:
        console.print(red(f"{failed_batches} batch(es) failed;"), "see audit.loads.error")
    console.print("marts: " + (", ".join(f"{name} {rows}" for name, rows in mart_rows) or "none"))
    console.print(
        run.dbt.summary_line() if run.dbt else "dbt: no results (the job stopped before dbt)"
    )
    status = green("succeeded") if run.succeeded else red("FAILED")
    log = relative_path(run.log_path, settings)
    console.print(
        "nightly refresh", status, f"in {seconds:.1f} s; Dagster run {run.run_id}; log: {log}"
    )
    for reason in run.failure_reasons():
        console.print(red("  failed:"), reason, soft_wrap=True)
    for kind, text in watched:  # the run's anomalies and restatements (watch.*)
        console.print(red(f"  {kind}:"), text, soft_wrap=True)


def _count(conn: psycopg.Connection[Any], schema: str, table: str) -> int:
    query = sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table))
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def relative_path(path: Path, settings: Settings) -> str:
    """`path` relative to the project when it is inside it."""
    try:
        return str(path.relative_to(settings.project_dir))
    except ValueError:
        return str(path)
