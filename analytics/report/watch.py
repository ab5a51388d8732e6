"""The report's run history, anomalies and restatements: what the warehouse saw of itself.

Read from schema watch (issue 14): the last 30 nights' runs with the seconds of each stage, the
slowest models, the dbt nodes that failed or warned, the anomalies found and the restatements
recorded (their chart: analytics/report/watch_chart.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from analytics.queries import query

ROWS_SHOWN = 15


@dataclass(frozen=True)
class WatchData:
    """The rows of each watch table the report shows; `available` is False before the
    migration that makes schema watch has run."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    slowest: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    anomalies: list[dict[str, Any]] = field(default_factory=list)
    restatements: list[dict[str, Any]] = field(default_factory=list)
    available: bool = True


def fetch_watch(conn: psycopg.Connection[Any]) -> WatchData:
    """The last 30 nights as schema watch recorded them."""
    parts: dict[str, list[dict[str, Any]]] = {}
    try:
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
            for name in ("runs", "slowest_models", "failures", "anomalies", "restatements"):
                rows = cursor.execute(query(f"select_report_{name}"), {"limit": ROWS_SHOWN})
                parts[name] = rows.fetchall()
    except psycopg.errors.UndefinedTable:
        return WatchData(available=False)
    return WatchData(
        runs=parts["runs"],
        slowest=parts["slowest_models"],
        failures=parts["failures"],
        anomalies=parts["anomalies"],
        restatements=parts["restatements"],
    )
