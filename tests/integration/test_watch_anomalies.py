"""The anomaly rule proven both ways on generated history, in the real watch tables.

Ninety days of the daily measures a warehouse fed every night records (synthetic/history.py)
go into watch.daily_measures; each day is then judged as its night's run judges it (the same
function the checks call, reading the history back from Postgres). The generator's normal days
raise no anomaly; a night with a tenth of the usual events, a null spike in one column, a
reject-rate jump and a metric shift are each caught, on their day and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable

import psycopg
import pytest

from core.settings import PROJECT_DIR, get_settings
from orchestration_dagster.defs.watch.judging import judge_subject, within_history_check_name
from orchestration_dagster.lib.anomalies import Scale
from orchestration_dagster.lib.measures import (
    METRIC_VALUE,
    MIN_METRIC_SAMPLE,
    scale_of_metric,
    scale_of_raw,
)
from synthetic.history import Measure, daily_history, plant

pytestmark = pytest.mark.integration

START = dt.date(2026, 1, 5)
DAYS = 90
SEED = 7


def _metric_scales() -> dict[str, Scale]:
    """Each metric's scale from its unit and type in the semantic layer (dbt's manifest)."""
    manifest = json.loads((PROJECT_DIR / "dbt_project" / "target" / "manifest.json").read_text())
    scales = {}
    for node in manifest["metrics"].values():
        meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
        scales[f"metric.{node['name']}"] = scale_of_metric(meta.get("unit"), node["type"])
    return scales


def _judge_every_day(dsn: str, measures: Iterable[Measure]) -> set[tuple[str, str, dt.date]]:
    """Load the history, then judge each day of it as that night's run would; the anomalies."""
    rows = list(measures)
    metric_scales = _metric_scales()
    settings = get_settings()
    with psycopg.connect(dsn) as conn:
        conn.execute("truncate watch.daily_measures, watch.anomalies")
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into watch.daily_measures (subject, measure, measure_date, value,"
                " sample_size) values (%s, %s, %s, %s, %s)",
                [(m.subject, m.measure, m.day, m.value, m.sample_size) for m in rows],
            )
        for subject in sorted({m.subject for m in rows}):
            metric = subject.startswith("metric.")
            scale: Callable[[str], Scale | None] = (
                (lambda measure, s=metric_scales[subject]: s if measure == METRIC_VALUE else None)
                if metric
                else scale_of_raw
            )
            for offset in range(DAYS):
                judge_subject(
                    conn,
                    subject,
                    START + dt.timedelta(days=offset),
                    scale,
                    threshold=settings.anomaly_threshold,
                    min_weeks=settings.anomaly_min_weeks,
                    check_name=within_history_check_name(subject),
                    severity="warn",
                    run_id=None,
                    min_sample=MIN_METRIC_SAMPLE if metric else 0,
                )
        found = conn.execute(
            "select subject, measure, measure_date from watch.anomalies"
        ).fetchall()
    return {(subject, measure, day) for subject, measure, day in found}


def test_ninety_normal_days_raise_no_anomaly(warehouse_dsn: str) -> None:
    history = list(daily_history(START, DAYS, SEED))
    judged_from = START + dt.timedelta(weeks=4)

    assert _judge_every_day(warehouse_dsn, history) == set()
    with psycopg.connect(warehouse_dsn) as conn:
        subjects = conn.execute(
            "select count(distinct subject), count(distinct (subject, measure)) from"
            " watch.daily_measures"
        ).fetchone()
    assert subjects is not None and subjects[0] >= 10 and subjects[1] >= 30, subjects
    assert judged_from < START + dt.timedelta(days=DAYS), "two months of days were judged"


def test_every_planted_anomaly_is_caught_on_its_day(warehouse_dsn: str) -> None:
    history = list(daily_history(START, DAYS, SEED))
    planted = {
        # a night with a tenth of the usual events (a Tuesday)
        ("raw.orchestration_events", "rows", dt.date(2026, 3, 10)),
        # a null spike in one column
        ("raw.orchestration_events", "null_share.phase", dt.date(2026, 3, 19)),
        # a reject-rate jump
        ("raw.orchestration_phase_metrics", "reject_rate", dt.date(2026, 3, 25)),
        # a metric shift: session success from about 82% to 60%
        ("metric.session_success_rate", "value", dt.date(2026, 3, 30)),
    }
    usual = {(m.subject, m.measure, m.day): m.value for m in history}
    values = {
        ("raw.orchestration_events", "rows"): usual[
            ("raw.orchestration_events", "rows", dt.date(2026, 3, 10))
        ]
        / 10,
        ("raw.orchestration_events", "null_share.phase"): 0.3,
        ("raw.orchestration_phase_metrics", "reject_rate"): 0.05,
        ("metric.session_success_rate", "value"): 0.6,
    }
    for subject, measure, day in planted:
        history = plant(history, subject, measure, day, values[(subject, measure)])

    found = _judge_every_day(warehouse_dsn, history)

    assert planted <= found, planted - found
    # and nothing is flagged on any other day
    assert {day for _, _, day in found} == {day for _, _, day in planted}, found - planted
