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

from analytics.metrics import UNIT_HELP, Unit

OUT_OF_RANGE = " Null when the stored time lies outside years 1-9999 (e.g. infinity)."


def _finite(value: float | None) -> float | None:
    """NaN or infinity (which a numeric or double column can hold) is no number: null."""
    return value if value is None or math.isfinite(value) else None


# every fractional number the API answers: JSON has no NaN, and a mart may hold one
Number = Annotated[float | None, AfterValidator(_finite)]


class ErrorBody(BaseModel):
    """Why a request failed, in one sentence."""

    detail: str = Field(examples=["period '3m' is not a number of days or weeks, like 30d or 12w"])


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
    "The bucket's value in the metric's `unit`: "
    + "; ".join(f"{unit.value}: {help_}" for unit, help_ in UNIT_HELP.items())
    + ". Derived from the bucket's sums, never a mean of daily values; null when nothing was "
    "measured (a zero denominator)."
)
NUMERATOR_HELP = (
    "A count, summed over the bucket's days: successes for a ratio, the sum of the ratings for "
    "satisfaction, promoters minus detractors for nps, the total for a count."
)
DENOMINATOR_HELP = (
    "A count, summed over the bucket's days: the records the value is measured over (builds, "
    "finished sessions, events, ratings, scored answers); null for counts (sessions, tokens)."
)
SAMPLE_HELP = "Count of the records behind the value (for tokens: phase executions with tokens)."


class TrendPoint(BaseModel):
    """One bucket of a metric, from the days of marts.metrics_daily it spans."""

    start_date: dt.date
    end_date: dt.date
    value: Number = Field(description=VALUE_HELP)
    numerator: int = Field(description=NUMERATOR_HELP)
    denominator: int | None = Field(description=DENOMINATOR_HELP)
    sample_size: int = Field(description=SAMPLE_HELP)


class TrendSummary(BaseModel):
    """The whole period, summed the same way as a bucket."""

    value: Number = Field(description=VALUE_HELP)
    numerator: int = Field(description=NUMERATOR_HELP)
    denominator: int | None = Field(description=DENOMINATOR_HELP)
    sample_size: int = Field(description=SAMPLE_HELP)


class Trend(BaseModel):
    """A metric of marts.metrics_daily over a period ending on the last whole UTC day before the
    build's as_of (the as_of day itself is partial)."""

    metric: str
    unit: Unit = Field(description="What `value` measures: ratio, rating, score or count.")
    period: str
    granularity: str = Field(examples=["day"])
    start_date: dt.date | None
    end_date: dt.date | None
    as_of: dt.datetime | None
    summary: TrendSummary
    points: list[TrendPoint]


class Health(BaseModel):
    """The API answers and reads the marts."""

    status: str = Field(examples=["ok"])
    login: str = Field(description="The BI login the API reads as.")
    as_of: dt.datetime | None = Field(description="as_of of the marts' latest build.")
