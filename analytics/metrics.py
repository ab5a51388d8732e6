"""The trend metrics of the semantic layer as the API and the report show them: one unit each, its
rounding, and how several periods add up.

Every metric is defined once, in dbt's semantic-layer YAML (dbt_project/models/semantic/);
marts.dim_metrics lists them (unit, dimensions, which metrics are its numerator and
denominator) and marts.metric_values holds their values per day, week and month, tested equal to
MetricFlow's. This module only says how a value is shown:

- a rate is a fraction from 0 to 1 (`ratio`), rounded to 4 decimals;
- satisfaction is a mean rating from 1 to 5 (`rating`), 2 decimals;
- NPS is a score from -100 to 100 (`score`: percent promoters minus percent detractors), 2
  decimals;
- sessions and tokens are counts (`count`), costs US dollars (`usd`, 6 decimals), phase durations
  seconds (`seconds`, 2 decimals).

A span of several periods is never the mean of their values: sums add up, a ratio is the ratio of
the summed numerators and denominators, and a percentile cannot be added up at all (ask for a
coarser grain instead).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Unit(StrEnum):
    """What a metric's value measures, in the API and the report."""

    RATIO = "ratio"
    RATING = "rating"
    SCORE = "score"
    COUNT = "count"
    USD = "usd"
    SECONDS = "seconds"

    @property
    def help(self) -> str:
        return UNIT_HELP[self]

    @property
    def decimals(self) -> int | None:
        """Decimals a value keeps; None: not rounded (counts are whole)."""
        return DECIMALS[self]


UNIT_HELP = {
    Unit.RATIO: "a fraction from 0 to 1 (numerator / denominator, 4 decimals)",
    Unit.RATING: "a mean rating from 1 to 5 (sum of ratings / ratings, 2 decimals)",
    Unit.SCORE: (
        "a Net Promoter Score from -100 to 100 (100 x (promoters - detractors) / scored "
        "answers, 2 decimals)"
    ),
    Unit.COUNT: "a count: the sum over the period (the numerator); no denominator",
    Unit.USD: "US dollars (6 decimals): a sum, or a cost divided by a count",
    Unit.SECONDS: "seconds (2 decimals): a percentile of the period's rows, never averaged",
}
DECIMALS: dict[Unit, int | None] = {
    Unit.RATIO: 4,
    Unit.RATING: 2,
    Unit.SCORE: 2,
    Unit.COUNT: None,
    Unit.USD: 6,
    Unit.SECONDS: 2,
}
# dim_metrics.unit (the semantic layer's name) -> the API's unit
MART_UNITS = {
    "fraction": Unit.RATIO,
    "mean_1_to_5": Unit.RATING,
    "score_minus_100_to_100": Unit.SCORE,
    "count": Unit.COUNT,
    "tokens": Unit.COUNT,
    "usd": Unit.USD,
    "seconds": Unit.SECONDS,
}
# numerators and denominators are counts or sums of money: 9 decimals hold any sum of costs
SUM_DECIMALS = 9


class Metric(StrEnum):
    """A trend metric: one that marts.metric_values carries (dim_metrics.is_trend)."""

    SATISFACTION = "satisfaction"
    NPS = "nps"
    BUILD_SUCCESS_RATE = "build_success_rate"
    SESSIONS = "sessions"
    SESSION_SUCCESS_RATE = "session_success_rate"
    TOKENS = "tokens"
    EVENT_ERROR_RATE = "event_error_rate"
    TEMPLATE_SUCCESS_RATE = "template_success_rate"
    PHASE_DURATION_P50_SECONDS = "phase_duration_p50_seconds"
    PHASE_DURATION_P95_SECONDS = "phase_duration_p95_seconds"
    LLM_COST_USD = "llm_cost_usd"
    UNPRICED_TOKENS = "unpriced_tokens"
    COST_PER_SESSION_USD = "cost_per_session_usd"
    COST_PER_SUCCESSFUL_SESSION_USD = "cost_per_successful_session_usd"
    COST_PER_SUCCESSFUL_TEMPLATE_USE_USD = "cost_per_successful_template_use_usd"


class Grain(StrEnum):
    """The length of one period: a UTC day, an ISO week (from Monday) or a calendar month."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Dimension(StrEnum):
    """What a trend can be split by (dim_metrics.trend_dimensions says which, per metric)."""

    PATTERN_ID = "pattern_id"
    PHASE = "phase"
    TEMPLATE_TYPE = "template_type"
    MODEL_USED = "model_used"


class Kind(StrEnum):
    """How a metric's periods add up."""

    SUM = "sum"  # the value is the numerator: sessions, tokens, a cost
    RATIO = "ratio"  # numerator / denominator (x 100 for NPS)
    PERCENTILE = "percentile"  # neither: a percentile of the period's rows


@dataclass(frozen=True)
class Sums:
    """Numerator, denominator (None where the metric has none) and sample size of a period."""

    numerator: float | None
    denominator: float | None
    sample_size: int


@dataclass(frozen=True)
class Definition:
    """One trend metric as marts.dim_metrics describes it, and the build's as_of."""

    metric: Metric
    label: str
    description: str
    unit: Unit
    kind: Kind
    dimensions: tuple[str, ...]
    as_of: dt.datetime | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Definition:
        """From a dim_metrics row (metric, label, description, unit, numerator_metric,
        denominator_metric, trend_dimensions, as_of)."""
        if row["denominator_metric"] is not None:
            kind = Kind.RATIO
        elif row["numerator_metric"] is not None:
            kind = Kind.SUM
        else:
            kind = Kind.PERCENTILE
        return cls(
            metric=Metric(row["metric"]),
            label=row["label"] or row["metric"],
            description=row["description"] or "",
            unit=MART_UNITS[row["unit"]],
            kind=kind,
            dimensions=tuple(row["trend_dimensions"] or ()),
            as_of=row["as_of"],
        )

    @property
    def scale(self) -> int:
        """What numerator / denominator is multiplied by: 100 for NPS, whose numerator is
        promoters - detractors and whose value is a difference of percents."""
        return 100 if self.unit is Unit.SCORE else 1

    def empty(self) -> Sums:
        """A period with no rows: zero of a sum, nothing measured for a ratio or percentile."""
        if self.kind is Kind.SUM:
            return Sums(0.0, None, 0)
        if self.kind is Kind.RATIO:
            return Sums(0.0, 0.0, 0)
        return Sums(None, None, 0)

    def empty_value(self) -> float | None:
        """The value of a period with no rows: 0 for a sum, none for the others."""
        return 0.0 if self.kind is Kind.SUM else None

    def value_of(self, sums: Sums) -> float | None:
        """The value of several periods from their sums, rounded; None for a percentile (it does
        not add up) and when nothing was measured."""
        if self.kind is Kind.SUM:
            return self.rounded(sums.numerator)
        if self.kind is Kind.PERCENTILE or sums.numerator is None or not sums.denominator:
            return None
        return self.rounded(self.scale * sums.numerator / sums.denominator)

    def rounded(self, value: float | None) -> float | None:
        """`value` in this metric's unit: rounded to its decimals; NaN and infinity are none."""
        if value is None or not math.isfinite(value):
            return None
        decimals = self.unit.decimals
        return float(value) if decimals is None else round(float(value), decimals)


def add_up(parts: Iterable[Sums]) -> Sums:
    """The sums of several periods: their numerators, denominators and sample sizes added (a
    missing one stays missing when every part misses it)."""
    numerator: float | None = None
    denominator: float | None = None
    sample_size = 0
    for part in parts:
        if part.numerator is not None:
            numerator = (numerator or 0.0) + part.numerator
        if part.denominator is not None:
            denominator = (denominator or 0.0) + part.denominator
        sample_size += part.sample_size
    return Sums(numerator, denominator, sample_size)


def exact(number: float | None) -> int | float | None:
    """A numerator or denominator as the API shows it: whole numbers as integers, sums of money
    to 9 decimals; NaN and infinity are none."""
    if number is None or not math.isfinite(number):
        return None
    if float(number).is_integer():
        return int(number)
    return round(float(number), SUM_DECIMALS)
