"""What a person reads after a load or a refresh: one line per file, one short table per run."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from cli.console import green, red
from cli.transform import RefreshRun
from core.db import connect
from core.settings import Settings
from ingest.batch import BatchResult
from ingest.contract.entities import ENTITIES
from ingest.holds import held_batches
from ingest.sources.files.load import FileOutcome

TOP_REASONS = 3


def file_line(outcome: FileOutcome) -> str:
    """`entity/file: read N = loaded + rejected + duplicates`, or why it loaded nothing."""
    name = outcome.file.name  # bytes of a file name that are not UTF-8 come escaped
    if outcome.batch is None:
        return f"{name}: already loaded (batch {outcome.already_loaded_by}), skipped"
    return batch_line(outcome.batch, name)


def batch_line(batch: BatchResult, name: str) -> str:
    """One batch's counts identity, its new fields, or why it kept nothing."""
    if batch.status != "succeeded":
        return f"{name}: FAILED, nothing kept: {batch.error}"
    line = (
        f"{name}: read {batch.lines_read} = loaded {batch.rows_loaded} "
        f"+ rejected {batch.rows_rejected} + duplicates {batch.duplicates_skipped}"
    )
    if batch.new_fields:
        line += f" (new fields kept: {', '.join(sorted(batch.new_fields))})"
    return line


def print_ingest_summary(
    console: Console, batches: list[BatchResult], seconds: float, *, skipped: int = 0
) -> None:
    """Per-entity totals of one ingest run and its top reject reasons."""
    title = f"ingest: {len(batches)} batches in {seconds:.1f} s"
    if skipped:
        title += f" ({skipped} files loaded before, skipped)"
    table = Table(title=title, title_justify="left")
    for column in ("entity", "batches", "read", "loaded", "rejected", "duplicates", "failed"):
        table.add_column(column, justify="left" if column == "entity" else "right")
    reasons: Counter[str] = Counter()
    for name in ENTITIES:
        mine = [batch for batch in batches if batch.entity == name]
        if not mine:
            continue
        for batch in mine:
            reasons.update(batch.reject_reasons)
        table.add_row(
            name,
            str(len(mine)),
            *(
                str(sum(getattr(batch, count) for batch in mine))
                for count in ("lines_read", "rows_loaded", "rows_rejected", "duplicates_skipped")
            ),
            str(sum(batch.status != "succeeded" for batch in mine)),
        )
    console.print(table)
    for reason, count in reasons.most_common(TOP_REASONS):
        console.print(f"  {count} rejected: {reason}", soft_wrap=True)


def print_refresh_summary(
    console: Console,
    dsn: str,
    settings: Settings,
    started_at: dt.datetime,
    seconds: float,
    run: RefreshRun,
) -> None:
    """Raw rows, this run's loads, rejects, duplicates, marts, dbt tests and elapsed time."""
    with connect(dsn) as conn:
        loads = {
            row[0]: row[1:]
            for row in conn.execute(
                """
                select entity, count(*), coalesce(sum(rows_loaded), 0),
                    coalesce(sum(rows_rejected), 0), coalesce(sum(duplicates_skipped), 0),
                    count(*) filter (where status <> 'succeeded')
                from audit.loads where started_at >= %s group by entity
                """,
                (started_at,),
            )
        }
        reasons = conn.execute(
            """
            select rejects.reason, count(*) from audit.rejects as rejects
            inner join audit.loads as loads on loads.batch_id = rejects.batch_id
            where loads.started_at >= %s group by 1 order by 2 desc, 1 limit %s
            """,
            (started_at, TOP_REASONS),
        ).fetchall()
        raw_rows = {name: _count(conn, "raw", name) for name in ENTITIES}
        mart_names = conn.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' order by table_name"
        ).fetchall()
        mart_rows = [(name, _count(conn, "marts", name)) for (name,) in mart_names]
        held = held_batches(conn)
    table = Table(title="raw tables", title_justify="left")
    for column in (
        "raw table",
        "rows",
        "batches now",
        "loaded now",
        "rejected now",
        "duplicates now",
    ):
        table.add_column(column, justify="left" if column == "raw table" else "right")
    for name in ENTITIES:
        batches, loaded, rejected, duplicates, _failed = loads.get(name, (0, 0, 0, 0, 0))
        table.add_row(name, str(raw_rows[name]), *map(str, (batches, loaded, rejected, duplicates)))
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
    log = _short(run.log_path, settings)
    console.print("nightly refresh", status, f"in {seconds:.1f} s; Dagster log: {log}")
    for reason in run.failure_reasons():
        console.print(red("  failed:"), reason, soft_wrap=True)


def _count(conn: psycopg.Connection[Any], schema: str, table: str) -> int:
    query = sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table))
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def _short(path: Path, settings: Settings) -> str:
    try:
        return str(path.relative_to(settings.project_dir))
    except ValueError:
        return str(path)
