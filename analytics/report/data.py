"""Everything the report shows, read in one go from the warehouse and dbt's target folder."""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from analytics.metrics import Dimension, Grain, Metric
from analytics.periods import Span
from analytics.queries import query
from analytics.report.health import Health, fetch_health
from analytics.report.watch import WatchData, fetch_watch
from analytics.trends import MetricTrend, MissingMetricError, fetch_metric_trend
from core.db import first_line

logger = logging.getLogger(__name__)

TOP_PATTERNS = 15
# the trends: the last 26 whole ISO weeks, read as the API reads them (fetch_metric_trend)
TREND_SPAN = Span(Grain.WEEK, 26)


@dataclass(frozen=True)
class PatternRow:
    pattern_id: str
    pattern_name: str
    total_projects: int
    feedback_count: int
    build_success_ratio: float | None
    nps: float | None


@dataclass(frozen=True)
class PhaseRow:
    phase: str
    execution_count: int
    median_duration_seconds: float | None
    p95_duration_seconds: float | None
    success_rate: float | None


@dataclass(frozen=True)
class TemplateRow:
    template_type: str
    template_hash: str
    usage_count: int
    success_rate: float | None
    first_used_at: dt.datetime | None
    last_used_at: dt.datetime | None
    deprecated_at: dt.datetime | None
    replacement_template_hash: str | None


@dataclass(frozen=True)
class ReportData:
    generated_at: dt.datetime
    warehouse: str
    as_of: dt.datetime | None
    patterns: list[PatternRow]
    pattern_count: int
    satisfaction: MetricTrend | None
    session_success: MetricTrend | None
    phases: list[PhaseRow]
    templates: list[TemplateRow]
    health: Health
    missing: list[str] = field(default_factory=list)
    watch: WatchData = field(default_factory=WatchData)


def fetch_report_data(
    conn: psycopg.Connection[Any], *, warehouse: str, dbt_project_dir: Path
) -> ReportData:
    """The marts the charts draw, and the health numbers (raw and audit: an admin login).

    A mart the last build did not make leaves its charts empty and is named on the page: the
    report of a failed refresh still shows the data health that explains it.
    """
    missing: list[str] = []
    patterns = _fetch(conn, missing, "select_report_patterns", {"limit": TOP_PATTERNS})
    count = _fetch(conn, missing, "select_patterns_count")
    as_of = _fetch(conn, missing, "select_marts_as_of")
    phases = _fetch(conn, missing, "select_report_phases")
    templates = _fetch(conn, missing, "select_report_templates")
    return ReportData(
        generated_at=dt.datetime.now(dt.UTC),
        warehouse=warehouse,
        as_of=as_of[0]["as_of"] if as_of else None,
        patterns=[PatternRow(**row) for row in patterns],
        pattern_count=int(count[0]["total"]) if count else 0,
        satisfaction=_trend(conn, missing, Metric.SATISFACTION),
        session_success=_trend(conn, missing, Metric.SESSION_SUCCESS_RATE),
        phases=[PhaseRow(**row) for row in phases],
        templates=[TemplateRow(**row) for row in templates],
        health=fetch_health(conn, dbt_project_dir),
        missing=sorted(set(missing)),
        watch=fetch_watch(conn),
    )


def _fetch(
    conn: psycopg.Connection[Any],
    missing: list[str],
    name: str,
    params: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The rows of one query; none (and the table named in `missing`) if a mart is absent.

    A NaN or infinity in a mart's number is no number: it reads as None, shown as "n/a".
    """
    try:
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
            rows = cursor.execute(query(name), params).fetchall()
    except psycopg.errors.UndefinedTable as error:
        missing.append(_relation(error))
        return []
    return [{key: _finite(value) for key, value in row.items()} for row in rows]


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _trend(conn: psycopg.Connection[Any], missing: list[str], metric: Metric) -> MetricTrend | None:
    return report_trend(conn, metric, TREND_SPAN, missing)


def report_trend(
    conn: psycopg.Connection[Any],
    metric: Metric,
    span: Span = TREND_SPAN,
    missing: list[str] | None = None,
    dimension: Dimension | None = None,
) -> MetricTrend | None:
    """A trend as the report draws it: the API's own query (fetch_metric_trend over
    marts.metric_values), so the page and the API show the same numbers. None, with the mart
    named in `missing`, when the build did not make it."""
    try:
        with conn.transaction():
            return fetch_metric_trend(conn, metric, span, dimension)
    except psycopg.errors.UndefinedTable as error:
        if missing is not None:
            missing.append(_relation(error))
    except MissingMetricError as error:
        logger.warning("report: %s", error)
        if missing is not None:
            missing.append(f"marts.dim_metrics ({metric.value})")
    return None


def _relation(error: psycopg.Error) -> str:
    """The relation an UndefinedTable error names."""
    logger.warning("report: %s", first_line(error))
    match = re.search(r'relation "([^"]+)"', str(error))
    return match[1] if match else first_line(error)
