"""Time series over the marts, in buckets that end on the last whole day before the marts' as_of
(API and report)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from analytics.metrics import Metric, Sums, add_up, from_mart
from analytics.periods import Period
from analytics.queries import query


@dataclass(frozen=True)
class Bucket:
    """The sums of one metric over the days from `start_date` to `end_date`, both included."""

    start_date: dt.date
    end_date: dt.date
    sums: Sums


@dataclass(frozen=True)
class MetricTrend:
    """A metric over a period: its buckets, oldest first, and the build's as_of."""

    metric: Metric
    period: Period
    as_of: dt.datetime | None
    buckets: list[Bucket]

    @property
    def summary(self) -> Sums:
        return add_up(bucket.sums for bucket in self.buckets)

    def values(self) -> list[float | None]:
        """Each bucket's value in the metric's unit (None where nothing was measured)."""
        return [self.metric.value_of(bucket.sums) for bucket in self.buckets]


@dataclass(frozen=True)
class FeedbackBucket:
    """One pattern's feedback over the days from `start_date` to `end_date`."""

    start_date: dt.date
    end_date: dt.date
    feedback_count: int
    avg_satisfaction: float | None
    nps: float | None
    recommendation_ratio: float | None


def fetch_metric_trend(
    conn: psycopg.Connection[Any], metric: Metric, period: Period
) -> MetricTrend:
    """`metric` from marts.metrics_daily over `period`; no buckets when the mart has no rows."""
    params = {
        "metric": metric.value,
        "bucket_days": period.bucket_days,
        "bucket_count": period.count,
    }
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(query("select_metric_trend"), params).fetchall()
    buckets = [
        Bucket(
            start_date=row["start_date"],
            end_date=row["end_date"],
            sums=from_mart(metric, row["numerator"], row["denominator"], row["sample_size"]),
        )
        for row in rows
    ]
    return MetricTrend(metric, period, rows[0]["as_of"] if rows else None, buckets)


def fetch_pattern_trend(
    conn: psycopg.Connection[Any], pattern_id: str, period: Period, as_of: dt.datetime
) -> list[FeedbackBucket]:
    """A pattern's feedback from marts.fct_feedback over `period`, up to the day before as_of."""
    params = {
        "pattern_id": pattern_id,
        "as_of": as_of,
        "bucket_days": period.bucket_days,
        "bucket_count": period.count,
    }
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(query("select_pattern_trend"), params).fetchall()
    return [feedback_bucket(row) for row in rows]


def feedback_bucket(row: dict[str, Any]) -> FeedbackBucket:
    """Values of one bucket from its counts, rounded as the marts round them; None without
    answers."""
    satisfaction = _share(row["satisfaction_sum"], row["satisfaction_count"])
    nps = _share(row["promoters"] - row["detractors"], row["scored"])
    recommendation = _share(row["recommending"], row["answered_recommend"])
    return FeedbackBucket(
        start_date=row["start_date"],
        end_date=row["end_date"],
        feedback_count=row["feedback_count"],
        avg_satisfaction=None if satisfaction is None else round(satisfaction, 2),
        nps=None if nps is None else round(100 * nps, 2),
        recommendation_ratio=None if recommendation is None else round(recommendation, 4),
    )


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
