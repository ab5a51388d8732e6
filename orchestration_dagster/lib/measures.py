"""What the warehouse measures about itself each night, and on which scale each is judged.

A raw table's measures belong to a *night*: the loads from one marts deadline to the next
(default 06:00 to 06:00 in FORGE_SCHEDULE_TIMEZONE), named by the date the night ends on, so the
02:00 nightly and the landing sensor's loads of the day before fall in the same night. Per raw
table: rows loaded, reject rate, median lateness (event time to load time) and, per key
column, its null share and distinct values. A metric's measure is its value on a day (the
semantic layer's metric_values, day grain, no dimension).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from orchestration_dagster.lib.anomalies import Scale

ROWS = "rows"
REJECT_RATE = "reject_rate"
LATENESS = "lateness_p50_hours"
NULL_SHARE = "null_share"
DISTINCT = "distinct"
METRIC_VALUE = "value"
# a rate or mean on fewer rows than this is too noisy to judge
MIN_METRIC_SAMPLE = 20


@dataclass(frozen=True)
class RawProfile:
    """A raw table's time of each row (SQL over its columns) and its key columns."""

    entity: str
    event_time: str
    key_columns: tuple[str, ...]


# The key columns: what marts join or group on, where a null or a collapse of distinct
# values means a source changed. The event time: when the row's version happened.
RAW_PROFILES = {
    profile.entity: profile
    for profile in (
        RawProfile("orchestration_sessions", "updated_at", ("user_identifier", "project_id")),
        RawProfile(
            "orchestration_phase_metrics",
            "coalesce(completed_at, started_at)",
            ("session_id", "model_used", "total_tokens"),
        ),
        RawProfile("orchestration_events", '"timestamp"', ("session_id", "phase", "event_type")),
        RawProfile("orchestration_code_metrics", "updated_at", ("session_id", "primary_language")),
        RawProfile("project_outcomes", "updated_at", ("pattern_id", "user_id")),
        RawProfile("user_feedback", "submitted_at", ("project_outcome_id", "likelihood_to_reuse")),
    )
}


def raw_subject(entity: str) -> str:
    return f"raw.{entity}"


def metric_subject(metric: str) -> str:
    return f"metric.{metric}"


def column_measure(kind: str, column: str) -> str:
    return f"{kind}.{column}"


def raw_measures(profile: RawProfile) -> list[str]:
    """Every measure of a raw table, in the order a person reads them."""
    measures = [ROWS, REJECT_RATE, LATENESS]
    for column in profile.key_columns:
        measures += [column_measure(NULL_SHARE, column), column_measure(DISTINCT, column)]
    return measures


def scale_of_raw(measure: str) -> Scale:
    if measure == LATENESS:
        return Scale.DURATION
    if measure == REJECT_RATE or measure.startswith(NULL_SHARE + "."):
        return Scale.SHARE
    return Scale.COUNT


def scale_of_metric(unit: str | None, metric_type: str | None) -> Scale:
    """Counts, tokens and summed money on a log scale; fractions as shares; the rest as levels."""
    if unit in ("count", "tokens") or (unit == "usd" and metric_type == "simple"):
        return Scale.COUNT
    if unit == "seconds":
        return Scale.DURATION
    if unit == "fraction":
        return Scale.SHARE
    return Scale.LEVEL


def night_of(moment: dt.datetime, timezone: str, deadline: dt.time) -> dt.date:
    """The night a load at `moment` belongs to: the date of the next deadline at or after it."""
    local = moment.astimezone(ZoneInfo(timezone))
    cutoff = dt.timedelta(hours=deadline.hour, minutes=deadline.minute, seconds=deadline.second)
    return (local - cutoff).date() + dt.timedelta(days=1)


def night_bounds(
    night: dt.date, timezone: str, deadline: dt.time
) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a night: from the deadline of the day before to the night's deadline."""
    zone = ZoneInfo(timezone)
    end = dt.datetime.combine(night, deadline, tzinfo=zone)
    start = dt.datetime.combine(night - dt.timedelta(days=1), deadline, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)
