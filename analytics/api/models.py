"""What the API answers, as pydantic models: they validate responses and document the OpenAPI.

One meaning per number: every rate is a fraction from 0 to 1 and its name ends in `_ratio`;
NPS is a score from -100 to 100; ratings are means on their scale; counts are whole numbers;
each field's description names its unit.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from analytics.metrics import UNIT_HELP, Dimension, Grain, Metric, Unit

OUT_OF_RANGE = " Null when the stored time lies outside years 1-9999 (e.g. infinity)."


def _finite(value: float | None) -> float | None:
    """NaN or infinity (which a numeric or double column can hold) is no number: null."""
    return value if value is None or math.isfinite(value) else None


# every fractional number the API answers: JSON has no NaN, and a mart may hold one
Number = Annotated[float | None, AfterValidator(_finite)]


class ErrorBody(BaseModel):
    """Why a request failed, in one sentence."""

    detail: str = Field(
        examples=["metric sessions has no dimension pattern_id: it has none (marts.dim_metrics)"]
    )


class PatternMetrics(BaseModel):
    """One row of marts.pattern_analytics (see docs/analyst-guide.md for every column)."""

    pattern_id: str
    pattern_name: str | None
    total_projects: int = Field(description="Count of the pattern's projects.")
    projects_last_30_days: int | None = Field(
        description="Count of projects created in the 30 days up to as_of."
    )
    projects_last_7_days: int | None = Field(
        description="Count of projects created in the 7 days up to as_of."
    )
    successful_builds: int | None = Field(description="Count of projects whose last build passed.")
    failed_builds: int | None = Field(description="Count of projects whose last build failed.")
    build_success_ratio: Number = Field(
        description=(
            "Fraction 0-1 (4 decimals) of the built projects whose last build passed; null "
            "without a built project."
        )
    )
    feedback_count: int = Field(description="Count of feedback submissions.")
    avg_satisfaction: Number = Field(
        description="Mean overall_satisfaction, a rating 1-5 (2 decimals)."
    )
    avg_usefulness: Number = Field(
        description="Mean pattern_usefulness, a rating 1-5 (2 decimals)."
    )
    avg_nps: Number = Field(
        description=(
            "Mean likelihood_to_reuse, a rating 1-10 (2 decimals); the seed's name, not a Net "
            "Promoter Score (that is `nps`)."
        )
    )
    recommendation_count: int | None = Field(
        description="Count of feedback answering yes to would_recommend."
    )
    avg_time_to_build_minutes: Number = Field(
        description="Mean time to the first build, in minutes (2 decimals)."
    )
    nps: Number = Field(
        description=(
            "Net Promoter Score, a score -100 to 100 (2 decimals): percent of promoters (9-10) "
            "minus percent of detractors (1-6) among scored feedback."
        )
    )
    last_activity: dt.datetime | None = Field(
        description="Latest update of one of the pattern's projects (UTC)." + OUT_OF_RANGE
    )
    as_of: dt.datetime | None = Field(
        description="Reference time of the build's relative windows." + OUT_OF_RANGE
    )


class PatternPage(BaseModel):
    """A page of patterns; ask for the next one with `offset=next_offset`."""

    items: list[PatternMetrics]
    total: int = Field(description="Count of patterns in the mart.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last.")


class Feedback(BaseModel):
    """One feedback submission from marts.fct_feedback."""

    feedback_id: uuid.UUID
    project_outcome_id: uuid.UUID | None
    submitted_at: dt.datetime | None = Field(description="When it was submitted." + OUT_OF_RANGE)
    overall_satisfaction: int | None = Field(description="A rating 1-5.")
    pattern_usefulness: int | None = Field(description="A rating 1-5.")
    likelihood_to_reuse: int | None = Field(description="A rating 1-10.")
    nps_group: str | None = Field(description="promoter (9-10), passive (7-8) or detractor (1-6).")
    would_recommend: bool | None
    positive_aspects: list[str] | None
    negative_aspects: list[str] | None
    additional_comments: str | None


class FeedbackPoint(BaseModel):
    """One bucket of a pattern's feedback."""

    start_date: dt.date
    end_date: dt.date
    feedback_count: int = Field(description="Count of feedback submitted in the bucket.")
    avg_satisfaction: Number = Field(
        description="Mean overall_satisfaction, a rating 1-5 (2 decimals); null without ratings."
    )
    nps: Number = Field(
        description="Net Promoter Score, -100 to 100 (2 decimals); null without a scored answer."
    )
    recommendation_ratio: Number = Field(
        description=(
            "Fraction 0-1 (4 decimals) of the answers to would_recommend that are yes; null "
            "without an answer."
        )
    )


class PatternTrend(BaseModel):
    """A pattern's feedback over the period, oldest bucket first."""

    period: str
    granularity: str = Field(examples=["week"])
    points: list[FeedbackPoint] = Field(
        description="Buckets ending on the last whole UTC day before as_of."
    )


class PatternDetail(BaseModel):
    """A pattern's metrics, its most recent feedback and its feedback trend."""

    pattern: PatternMetrics
    recent_feedback: list[Feedback]
    trend: PatternTrend


VALUE_HELP = (
    "The period's value in the metric's `unit` ("
    + "; ".join(f"{unit.value}: {help_}" for unit, help_ in UNIT_HELP.items())
    + "), as marts.metric_values and MetricFlow give it. A period without activity has no row "
    "there: its value is 0 for the sums (sessions, tokens, llm_cost_usd, unpriced_tokens) and "
    "null for everything else (rates, means, NPS, costs per session or use, percentiles), as it "
    "is when a period's denominator is 0."
)
SUMMARY_VALUE_HELP = (
    "The whole span's value in the metric's `unit`: the sum for a sum, the summed numerator over "
    "the summed denominator for a ratio (never a mean of the periods' values); null for the "
    "percentiles, which do not add up over periods (ask for a coarser grain), and when nothing "
    "was measured."
)
NUMERATOR_HELP = (
    "What the value divides, summed over the period: successes for a rate, the sum of the ratings "
    "for satisfaction, promoters minus detractors for nps, the cost for a cost per session or "
    "use, the total itself for a sum; null for percentiles. Whole numbers are integers; 0 for a "
    "period without activity."
)
DENOMINATOR_HELP = (
    "What the value is divided by, summed over the period (builds, finished sessions, events, "
    "ratings, scored answers, template uses, priced sessions); null for sums and percentiles; 0 "
    "for a period without activity."
)
SAMPLE_HELP = (
    "Count of the records behind the value (which records: marts.dim_metrics.sample_size_metric, "
    "e.g. the phase executions that report tokens); 0 for a period without activity."
)

# a numerator or denominator: a whole number as an integer, a sum of money as a float
Exact = int | float | None


class TrendPoint(BaseModel):
    """One period of a metric (a UTC day, an ISO week from Monday, a calendar month)."""

    start_date: dt.date = Field(description="The period's first day (UTC).")
    end_date: dt.date = Field(description="The period's last day (UTC), included.")
    value: Number = Field(description=VALUE_HELP)
    numerator: Exact = Field(description=NUMERATOR_HELP)
    denominator: Exact = Field(description=DENOMINATOR_HELP)
    sample_size: int = Field(description=SAMPLE_HELP)


class TrendSummary(BaseModel):
    """The whole span of a series, summed."""

    value: Number = Field(description=SUMMARY_VALUE_HELP)
    numerator: Exact = Field(description=NUMERATOR_HELP)
    denominator: Exact = Field(description=DENOMINATOR_HELP)
    sample_size: int = Field(description=SAMPLE_HELP)


class TrendSeries(BaseModel):
    """The metric for one value of the dimension asked for."""

    dimension_value: str | None = Field(
        description=(
            "The dimension's value (e.g. a pattern_id); null for the rows without one (e.g. "
            "feedback whose project has not arrived)."
        )
    )
    summary: TrendSummary
    points: list[TrendPoint] = Field(description="Every period of the span, oldest first.")


class Trend(BaseModel):
    """A trend metric of the semantic layer (marts.metric_values) over the last whole periods
    before the build's as_of: the period holding the as_of day is partial and left out."""

    metric: Metric
    label: str = Field(description="The metric's label, from marts.dim_metrics.")
    unit: Unit = Field(
        description="What `value` measures: ratio, rating, score, count, usd or seconds."
    )
    grain: Grain = Field(description="The length of each period: day, week (ISO) or month.")
    granularity: str = Field(
        description="The same as grain (kept for the clients of the first version).",
        examples=["day"],
    )
    period: str = Field(description="The span as text: periods and the grain's letter, e.g. 12w.")
    periods: int = Field(description="How many periods the span holds.")
    dimension: Dimension | None = Field(
        description="The dimension `series` splits the metric by; null when none was asked."
    )
    start_date: dt.date | None = Field(description="The span's first day; null without as_of.")
    end_date: dt.date | None = Field(description="The span's last day (included).")
    as_of: dt.datetime | None = Field(
        description="The build's reference time (marts.dim_metrics.as_of)." + OUT_OF_RANGE
    )
    summary: TrendSummary = Field(description="The total over the whole span.")
    points: list[TrendPoint] = Field(
        description="The metric's total (all dimension values), every period, oldest first."
    )
    series: list[TrendSeries] = Field(
        description=(
            "With `dimension`: one series per value of it that has a row in the span, sorted by "
            "value (null last); empty otherwise."
        )
    )


class Health(BaseModel):
    """The API answers and reads the marts."""

    status: str = Field(examples=["ok"])
    login: str = Field(description="The BI login the API reads as.")
    as_of: dt.datetime | None = Field(description="as_of of the marts' latest build.")
