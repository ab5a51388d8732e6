"""Time series for the API and the report, read from the marts: one function per kind of trend,
so that every consumer shows the same numbers.

- `fetch_metric_trend`: a trend metric of the semantic layer from marts.metric_values (values
  tested equal to MetricFlow's), per day, week or month, in total and split by a dimension,
  every period of the span present, ending on the last whole period before the build's as_of.
- `fetch_pattern_trend`: one pattern's feedback (count, satisfaction, NPS, recommendation
  ratio) per bucket, for the pattern's detail page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from analytics.metrics import Definition, Dimension, Metric, Sums, add_up
from analytics.periods import Period, Span, period_end
from analytics.queries import query
from core.exceptions import ForgeError


class TrendError(ForgeError):
    """A trend the metric does not have (a dimension it cannot be split by): one sentence."""


class MissingMetricError(ForgeError):
    """The warehouse's marts.dim_metrics does not carry the metric (built before it existed)."""


@dataclass(frozen=True)
class Point:
    """One period of one series: its first and last day (both included), sums and value."""

    start_date: dt.date
    end_date: dt.date
    sums: Sums
    value: float | None


@dataclass(frozen=True)
class Series:
    """A metric over the span, in total (`dimension_value` None, `is_split` false) or for one
    value of the dimension (a split whose value may itself be None: rows without one)."""

    dimension_value: str | None
    is_split: bool
    points: list[Point]

    @property
    def summary(self) -> Sums:
        return add_up(point.sums for point in self.points)


@dataclass(frozen=True)
class MetricTrend:
    """A metric over a span: its definition (with the build's as_of), the total series and, when
    a dimension was asked, one series per value of it."""

    definition: Definition
    span: Span
    dimension: Dimension | None
    total: Series
    splits: list[Series]

    @property
    def metric(self) -> Metric:
        return self.definition.metric

    @property
    def as_of(self) -> dt.datetime | None:
        return self.definition.as_of

    @property
    def start_date(self) -> dt.date | None:
        return self.total.points[0].start_date if self.total.points else None

    @property
    def end_date(self) -> dt.date | None:
        return self.total.points[-1].end_date if self.total.points else None

    def summary_value(self, series: Series) -> float | None:
        """The whole span's value of `series`, from its summed numerator and denominator."""
        return self.definition.value_of(series.summary)


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
    conn: psycopg.Connection[Any],
    metric: Metric,
    span: Span,
    dimension: Dimension | None = None,
) -> MetricTrend:
    """`metric` over `span` from marts.metric_values, split by `dimension` when given.

    Raises TrendError when dim_metrics says the metric has no such dimension, and
    MissingMetricError when dim_metrics does not carry the metric at all.
    """
    with conn.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(query("select_metric_definition"), {"metric": metric.value}).fetchone()
        if row is None:
            raise MissingMetricError(
                f"marts.dim_metrics has no trend metric {metric.value!r}: the warehouse was "
                "built before it existed; run the nightly refresh"
            )
        definition = Definition.from_row(row)
        check_dimension(definition, dimension)
        starts = span.starts(definition.as_of)
        rows: list[dict[str, Any]] = []
        if starts:
            params = {
                "metric": metric.value,
                "grain": span.grain.value,
                "dimension": dimension.value if dimension else None,
                "first_start": starts[0],
                "last_start": starts[-1],
            }
            rows = cursor.execute(query("select_metric_values"), params).fetchall()
    return build_trend(definition, span, dimension, starts, rows)


def check_dimension(definition: Definition, dimension: Dimension | None) -> None:
    """Raise TrendError, one sentence, when `definition`'s metric cannot be split by
    `dimension`."""
    if dimension is None or dimension.value in definition.dimensions:
        return
    has = (
        "it has none"
        if not definition.dimensions
        else f"it can be split by {', '.join(definition.dimensions)}"
    )
    raise TrendError(
        f"metric {definition.metric.value} has no dimension {dimension.value}: {has} "
        "(marts.dim_metrics.trend_dimensions)"
    )


def build_trend(
    definition: Definition,
    span: Span,
    dimension: Dimension | None,
    starts: Sequence[dt.date],
    rows: Iterable[Mapping[str, Any]],
) -> MetricTrend:
    """The series of a trend from metric_values rows (period_start, dimension_value, numerator,
    denominator, value, sample_size, is_split): each series gets every period of `starts`, a
    period without a row is empty (definition.empty(): 0 for a sum, no value otherwise)."""
    by_series: dict[tuple[bool, str | None], dict[dt.date, Mapping[str, Any]]] = {(False, None): {}}
    for row in rows:
        key = (bool(row["is_split"]), row["dimension_value"])
        by_series.setdefault(key, {})[row["period_start"]] = row
    series = [
        Series(
            dimension_value=value,
            is_split=is_split,
            points=[_point(definition, span, start, found.get(start)) for start in starts],
        )
        for (is_split, value), found in by_series.items()
    ]
    total = next(item for item in series if not item.is_split)
    splits = sorted(
        (item for item in series if item.is_split),
        key=lambda item: (item.dimension_value is None, item.dimension_value or ""),
    )
    return MetricTrend(definition, span, dimension, total, splits)


def _point(
    definition: Definition, span: Span, start: dt.date, row: Mapping[str, Any] | None
) -> Point:
    end = period_end(start, span.grain)
    if row is None:
        return Point(start, end, definition.empty(), definition.empty_value())
    sums = Sums(
        numerator=_float(row["numerator"]),
        denominator=_float(row["denominator"]),
        sample_size=int(row["sample_size"]),
    )
    return Point(start, end, sums, definition.rounded(_float(row["value"])))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


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
