"""The daily metrics of marts.metrics_daily, each with one unit, and how a span of days sums up.

The mart stores a numerator and a denominator per day (rates and NPS with their numerator scaled
by 100, counts with a denominator of 1 a day). The API and the report read it through the
definitions here, so that every number has one meaning wherever it is shown:

- a rate is a fraction from 0 to 1 (`ratio`), rounded to 4 decimals (the marts' percents with 2);
- satisfaction is a mean rating from 1 to 5 (`rating`), rounded to 2 decimals like the marts';
- NPS is a score from -100 to 100 (`score`: percent promoters minus percent detractors),
  rounded to 2 decimals like marts.pattern_analytics.nps;
- sessions and tokens are counts (`count`): a span's value is their sum, it has no denominator.

Numerators and denominators are counts of records (for satisfaction the numerator is the sum
of the ratings, for NPS the promoters minus the detractors): never scaled, never averaged, so
any span's value is derived from its sums, never from the mean of its days' values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    """What a metric's value measures."""

    RATIO = "ratio"
    RATING = "rating"
    SCORE = "score"
    COUNT = "count"

    @property
    def help(self) -> str:
        return UNIT_HELP[self]


UNIT_HELP = {
    Unit.RATIO: "a fraction from 0 to 1 (numerator / denominator, 4 decimals)",
    Unit.RATING: "a mean rating from 1 to 5 (sum of ratings / ratings, 2 decimals)",
    Unit.SCORE: (
        "a Net Promoter Score from -100 to 100 (100 x (promoters - detractors) / scored "
        "answers, 2 decimals)"
    ),
    Unit.COUNT: "a count: the sum over the span (the numerator); no denominator",
}


@dataclass(frozen=True)
class Definition:
    """How one metric of marts.metrics_daily is read."""

    unit: Unit
    numerator: str
    denominator: str | None
    # the mart multiplies the numerators of rates and NPS by 100; the API's are counts
    mart_scale: int = 1


class Metric(StrEnum):
    """A metric of marts.metrics_daily (the mart's own names)."""

    SATISFACTION = "satisfaction"
    NPS = "nps"
    BUILD_SUCCESS_RATE = "build_success_rate"
    SESSIONS = "sessions"
    SESSION_SUCCESS_RATE = "session_success_rate"
    TOKENS = "tokens"
    EVENT_ERROR_RATE = "event_error_rate"

    @property
    def definition(self) -> Definition:
        return DEFINITIONS[self]

    @property
    def unit(self) -> Unit:
        return DEFINITIONS[self].unit

    @property
    def is_count(self) -> bool:
        """Counts: the value of a span is its sum, and there is no denominator."""
        return self.unit is Unit.COUNT

    def value_of(self, sums: Sums) -> float | None:
        """The value of some days from their sums; None when nothing was measured."""
        if self.is_count:
            return float(sums.numerator)
        if not sums.denominator:
            return None
        share = sums.numerator / sums.denominator
        if self.unit is Unit.RATIO:
            return round(share, 4)
        if self.unit is Unit.SCORE:
            return round(100 * share, 2)
        return round(share, 2)


DEFINITIONS = {
    Metric.SATISFACTION: Definition(
        Unit.RATING, "sum of overall_satisfaction ratings", "feedback with a rating"
    ),
    Metric.NPS: Definition(
        Unit.SCORE,
        "promoters (9-10) minus detractors (1-6)",
        "feedback with a likelihood_to_reuse score",
        mart_scale=100,
    ),
    Metric.BUILD_SUCCESS_RATE: Definition(
        Unit.RATIO, "successful builds", "builds", mart_scale=100
    ),
    Metric.SESSIONS: Definition(Unit.COUNT, "sessions created", None),
    Metric.SESSION_SUCCESS_RATE: Definition(
        Unit.RATIO, "successful sessions", "finished sessions", mart_scale=100
    ),
    Metric.TOKENS: Definition(Unit.COUNT, "tokens of the phase executions", None),
    Metric.EVENT_ERROR_RATE: Definition(Unit.RATIO, "error events", "events", mart_scale=100),
}


@dataclass(frozen=True)
class Sums:
    """Numerator, denominator (None for counts) and sample size of some days of one metric."""

    numerator: int
    denominator: int | None
    sample_size: int


def from_mart(metric: Metric, numerator: float, denominator: float, sample_size: int) -> Sums:
    """Sums of marts.metrics_daily rows in the API's terms: counts, unscaled."""
    return Sums(
        numerator=round(numerator / metric.definition.mart_scale),
        denominator=None if metric.is_count else round(denominator),
        sample_size=int(sample_size),
    )


def add_up(parts: Iterable[Sums]) -> Sums:
    """The sums of several spans: a period's value is a ratio of sums, never a mean of ratios."""
    numerator, denominator, sample_size, has_denominator = 0, 0, 0, False
    for part in parts:
        numerator += part.numerator
        sample_size += part.sample_size
        if part.denominator is not None:
            denominator += part.denominator
            has_denominator = True
    return Sums(numerator, denominator if has_denominator else None, sample_size)
