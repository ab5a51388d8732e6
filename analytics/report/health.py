"""Data-health numbers for the report: raw freshness, loads and rejects, the latest dbt results."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from analytics.queries import query, statement
from core.dbt_results import latest_dbt_results

TOP_REASONS = 10


@dataclass(frozen=True)
class Freshness:
    """When a raw table last received rows."""

    table_name: str
    last_loaded_at: dt.datetime | None


@dataclass(frozen=True)
class LoadTotals:
    """One entity's batches in the last day of loading."""

    entity: str
    batches: int
    failed_batches: int
    lines_read: int
    rows_loaded: int
    rows_rejected: int
    duplicates_skipped: int
    last_finished_at: dt.datetime | None


@dataclass(frozen=True)
class RejectReason:
    entity: str
    reason: str
    rejected: int


@dataclass(frozen=True)
class DbtNode:
    """A dbt test or model that did not pass."""

    name: str
    status: str
    failures: int | None
    message: str


@dataclass(frozen=True)
class DbtSummary:
    """The newest run_results.json under dbt_project/target/ (the last build or test run)."""

    path: Path
    generated_at: dt.datetime | None
    elapsed_seconds: float | None
    models: Counter[str]
    tests: Counter[str]
    problems: list[DbtNode]


@dataclass(frozen=True)
class Health:
    freshness: list[Freshness]
    loads: list[LoadTotals]
    reasons: list[RejectReason]
    rejects_total: int
    dbt: DbtSummary | None

    @property
    def oldest_load(self) -> dt.datetime | None:
        """The least recent of the raw tables' last loads (None if one was never loaded)."""
        times = [item.last_loaded_at for item in self.freshness]
        if not times or any(moment is None for moment in times):
            return None
        return min(moment for moment in times if moment is not None)


def fetch_health(conn: psycopg.Connection[Any], dbt_project_dir: Path) -> Health:
    """Read the audit tables and raw load times (needs a login that reads raw and audit)."""
    with conn.cursor(row_factory=dict_row) as cursor:
        loads = cursor.execute(query("select_load_totals")).fetchall()
        reasons = cursor.execute(query("select_reject_reasons"), {"limit": TOP_REASONS}).fetchall()
        total = cursor.execute(query("select_rejects_total")).fetchone()
    return Health(
        freshness=fetch_freshness(conn),
        loads=[LoadTotals(**row) for row in loads],
        reasons=[RejectReason(**row) for row in reasons],
        rejects_total=int(total["rejected"]) if total else 0,
        dbt=read_dbt_summary(dbt_project_dir),
    )


def fetch_freshness(conn: psycopg.Connection[Any]) -> list[Freshness]:
    """max(_loaded_at) of every raw table, in one query."""
    tables = [row[0] for row in conn.execute(query("select_raw_tables")).fetchall()]
    if not tables:
        return []
    parts = [
        statement(
            "select_raw_freshness",
            table_name=sql.Literal(name),
            table=sql.Identifier("raw", name),
        )
        for name in tables
    ]
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(sql.SQL("\nunion all\n").join(parts)).fetchall()
    return [Freshness(**row) for row in rows]


def read_dbt_summary(dbt_project_dir: Path) -> DbtSummary | None:
    """Counts by status and the nodes that did not pass, from the newest run_results.json."""
    results = latest_dbt_results(dbt_project_dir)
    if results is None:
        return None
    document = json.loads(results.path.read_text(encoding="utf-8"))
    generated = document.get("metadata", {}).get("generated_at")
    problems = [
        DbtNode(
            name=str(result["unique_id"]).split(".", 2)[-1],
            status=str(result["status"]),
            failures=result.get("failures"),
            message=(str(result.get("message") or "").splitlines() or [""])[0][:300],
        )
        for result in document.get("results", [])
        # no-op: an exposure (nothing to run), not a problem
        if result.get("status") not in ("pass", "success", "skipped", "no-op")
    ]
    return DbtSummary(
        path=results.path,
        generated_at=dt.datetime.fromisoformat(generated.replace("Z", "+00:00"))
        if generated
        else None,
        elapsed_seconds=document.get("elapsed_time"),
        models=results.models,
        tests=results.tests,
        problems=problems,
    )
