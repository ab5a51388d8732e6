"""Measure the night, judge it against its own history, and say so as rows and check results.

`measure_raw_night` writes a raw table's measures of one night into watch.daily_measures (read
from that night's rows only); `judge_subject` compares a subject's measures of a day with the
eight weeks before it (lib/anomalies.py), writes each anomaly into watch.anomalies (and removes
one that a later run of the same day no longer finds), and `check_result` turns the verdicts
into one Dagster check result per raw table or metric: WARN by default, ERROR for the checks
named in FORGE_ANOMALY_BLOCKING_CHECKS.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
import psycopg
from psycopg import sql

from orchestration_dagster.defs.watch.queries import composed, query
from orchestration_dagster.lib.alerts import ANOMALY_CHECK_SUFFIX
from orchestration_dagster.lib.anomalies import WINDOW_WEEKS, Judgement, Scale, judge
from orchestration_dagster.lib.measures import (
    DISTINCT,
    LATENESS,
    NULL_SHARE,
    REJECT_RATE,
    ROWS,
    RawProfile,
    column_measure,
    night_bounds,
    raw_subject,
)


def within_history_check_name(subject: str) -> str:
    """`raw_orchestration_events_within_history`, `metric_sessions_within_history`."""
    return subject.replace(".", "_") + ANOMALY_CHECK_SUFFIX


@dataclass(frozen=True)
class Verdict:
    """A measure's judgement of a day, or why it was not judged."""

    subject: str
    measure: str
    judgement: Judgement | None
    value: float | None
    reason: str | None = None


def mark_run(conn: psycopg.Connection[Any], run_id: str) -> None:
    """Loads on this connection record `run_id` in audit.loads (its column's default)."""
    conn.execute("select set_config('forge.run_id', %s, false)", (run_id,))
    conn.commit()


def measure_raw_night(
    conn: psycopg.Connection[Any],
    profile: RawProfile,
    night: dt.date,
    timezone: str,
    deadline: dt.time,
    run_id: str | None,
) -> dict[str, tuple[float | None, int]]:
    """The night's measures of a raw table (measure -> (value, sample size)), written into
    watch.daily_measures."""
    start, end = night_bounds(night, timezone, deadline)
    bounds = {"night_start": start, "night_end": end}
    counts = sql.SQL(", ").join(
        sql.SQL("count({col}) as {present}, count(distinct {col}) as {distinct}").format(
            col=sql.Identifier(column),
            present=sql.Identifier(f"present.{column}"),
            distinct=sql.Identifier(f"distinct.{column}"),
        )
        for column in profile.key_columns
    )
    statement = composed(
        "select_raw_night",
        event_time=sql.SQL(profile.event_time),  # a constant of lib/measures.py
        key_columns=sql.SQL(", ").join(sql.Identifier(c) for c in profile.key_columns),
        raw_table=sql.Identifier("raw", profile.entity),
        column_counts=counts,
    )
    cursor = conn.execute(statement, bounds)
    names = [column.name for column in cursor.description or ()]
    row = dict(zip(names, cursor.fetchone() or (), strict=True))
    rows = int(row["row_count"])
    rejects = conn.execute(
        query("select_night_rejects"), {**bounds, "entity": profile.entity}
    ).fetchone()
    new_lines, rejected = (int(rejects[0]), int(rejects[1])) if rejects else (0, 0)
    measures: dict[str, tuple[float | None, int]] = {
        ROWS: (float(rows), rows),
        REJECT_RATE: (rejected / new_lines if new_lines else None, new_lines),
        LATENESS: (row["lateness_p50_hours"], rows),
    }
    for column in profile.key_columns:
        present = int(row[f"present.{column}"])
        measures[column_measure(NULL_SHARE, column)] = (
            (rows - present) / rows if rows else None,
            rows,
        )
        measures[column_measure(DISTINCT, column)] = (float(row[f"distinct.{column}"]), rows)
    write_measures(conn, raw_subject(profile.entity), night, measures, run_id)
    return measures


def write_measures(
    conn: psycopg.Connection[Any],
    subject: str,
    day: dt.date,
    measures: dict[str, tuple[float | None, int]],
    run_id: str | None,
) -> None:
    """Upsert a subject's measures of a day into watch.daily_measures."""
    with conn.cursor() as cursor:
        cursor.executemany(
            query("upsert_measure"),
            [
                {
                    "subject": subject,
                    "measure": measure,
                    "day": day,
                    "value": value,
                    "sample_size": sample,
                    "run_id": run_id,
                }
                for measure, (value, sample) in measures.items()
            ],
        )


def judge_subject(
    conn: psycopg.Connection[Any],
    subject: str,
    day: dt.date,
    scales: Callable[[str], Scale | None],
    *,
    threshold: float,
    min_weeks: int,
    check_name: str,
    severity: str,
    run_id: str | None,
    min_sample: int = 0,
    skip: Sequence[str] = (),
) -> list[Verdict]:
    """Judge every measure a subject has on `day` (its scale from `scales`; None: not judged),
    recording anomalies; measures in `skip` are measured but not judged."""
    since = day - dt.timedelta(weeks=WINDOW_WEEKS)
    history: dict[str, dict[dt.date, float | None]] = defaultdict(dict)
    today: dict[str, tuple[float | None, int | None]] = {}
    rows = conn.execute(
        query("select_measure_history"), {"subject": subject, "since": since, "day": day}
    ).fetchall()
    for measure, measured_day, value, sample in rows:
        if measured_day == day:
            today[measure] = (value, sample)
        else:
            history[measure][measured_day] = value
    verdicts = []
    for measure in sorted(set(today) | set(history)):
        scale = scales(measure)
        if scale is None:
            continue
        value, sample = today.get(measure, (None, None))
        if measure in skip:
            verdicts.append(Verdict(subject, measure, None, value, "measured, not judged"))
            continue
        if scale is not Scale.COUNT and min_sample and (sample or 0) < min_sample:
            verdicts.append(Verdict(subject, measure, None, value, f"sample under {min_sample}"))
            continue
        judgement = judge(
            day,
            value,
            history[measure],
            scale,
            threshold=threshold,
            min_weeks=min_weeks,
            sample_size=sample,
        )
        reason = None if judgement else f"fewer than {min_weeks} same weekdays of history"
        verdicts.append(Verdict(subject, measure, judgement, value, reason))
        parameters = {"subject": subject, "measure": measure, "day": day}
        if judgement is not None and judgement.is_anomaly:
            conn.execute(
                query("upsert_anomaly"),
                {
                    **parameters,
                    "value": judgement.value,
                    "expected": judgement.expected,
                    "low": judgement.low,
                    "high": judgement.high,
                    "score": judgement.score,
                    "history_days": judgement.history_days,
                    "check_name": check_name,
                    "severity": severity,
                    "run_id": run_id,
                },
            )
        elif judgement is not None:
            conn.execute(query("delete_anomaly"), parameters)
    return verdicts


def _number(value: float | None) -> str:
    if value is None:
        return "none"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def describe(verdict: Verdict) -> str:
    """`rows 1,020 on 2026-03-03, expected about 10,400 (8,100 to 13,300 on a Tuesday)`."""
    judgement = verdict.judgement
    assert judgement is not None
    weekday = judgement.day.strftime("%A")
    return (
        f"{verdict.measure} {_number(judgement.value)} on {judgement.day}, expected about "
        f"{_number(judgement.expected)} ({_number(judgement.low)} to {_number(judgement.high)} "
        f"on a {weekday})"
    )


def check_result(
    key: dg.AssetKey,
    check_name: str,
    day: dt.date,
    verdicts: Sequence[Verdict],
    blocking: bool,
) -> dg.AssetCheckResult:
    """One check result over a subject's verdicts: failed when any measure is an anomaly."""
    anomalies = [v for v in verdicts if v.judgement is not None and v.judgement.is_anomaly]
    judged = [v for v in verdicts if v.judgement is not None]
    metadata: dict[str, Any] = {
        "day": day.isoformat(),
        "measures_judged": len(judged),
        "measures_not_judged": dg.MetadataValue.json(
            {v.measure: v.reason for v in verdicts if v.judgement is None}
        ),
    }
    if anomalies:
        metadata["anomalies"] = dg.MetadataValue.json(
            [
                {
                    "measure": v.measure,
                    "value": v.value,
                    "expected": round(v.judgement.expected, 6),
                    "low": round(v.judgement.low, 6),
                    "high": round(v.judgement.high, 6),
                    "score": round(v.judgement.score, 2),
                }
                for v in anomalies
                if v.judgement is not None
            ]
        )
    description = (
        "; ".join(describe(v) for v in anomalies)
        if anomalies
        else (
            f"{len(judged)} measure(s) of {day} within their history"
            if judged
            else f"not judged yet on {day}: not enough history"
        )
    )
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=check_name,
        passed=not anomalies,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=description,
    )
