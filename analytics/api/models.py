"""What the API answers, as pydantic models: they validate responses and document the OpenAPI."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Why a request failed, in one sentence."""

    detail: str = Field(examples=["period '3m' is not a number of days or weeks, like 30d or 12w"])


class PatternMetrics(BaseModel):
    """One row of marts.pattern_analytics (see docs/analyst-guide.md for every column)."""

    pattern_id: str
    pattern_name: str | None
    total_projects: int
    projects_last_30_days: int | None
    projects_last_7_days: int | None
    successful_builds: int | None
    failed_builds: int | None
    build_success_rate: float | None = Field(description="Percent (0-100) of built projects.")
    feedback_count: int
    avg_satisfaction: float | None = Field(description="Mean overall_satisfaction, 1-5.")
    avg_usefulness: float | None = Field(description="Mean pattern_usefulness, 1-5.")
    avg_nps: float | None = Field(description="Mean likelihood_to_reuse, 1-10 (not an NPS).")
    recommendation_count: int | None
    avg_time_to_build_minutes: float | None
    nps: float | None = Field(description="Net Promoter Score, -100 to 100.")
    last_activity: dt.datetime | None
    as_of: dt.datetime = Field(description="Reference time of the build's relative windows.")


class PatternPage(BaseModel):
    """A page of patterns; ask for the next one with `offset=next_offset`."""

    items: list[PatternMetrics]
    total: int = Field(description="Patterns in the mart.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last.")


class Feedback(BaseModel):
    """One feedback submission from marts.fct_feedback."""

    feedback_id: uuid.UUID
    project_outcome_id: uuid.UUID | None
    submitted_at: dt.datetime
    overall_satisfaction: int | None
    pattern_usefulness: int | None
    likelihood_to_reuse: int | None
    nps_group: str | None
    would_recommend: bool | None
    positive_aspects: list[str] | None
    negative_aspects: list[str] | None
    additional_comments: str | None


class FeedbackPoint(BaseModel):
    """One bucket of a pattern's feedback."""

    start_date: dt.date
    end_date: dt.date
    feedback_count: int
    avg_satisfaction: float | None
    nps: float | None = Field(description="-100 to 100; null without a scored answer.")
    recommendation_rate: float | None = Field(description="Share 0-1 answering yes.")


class PatternTrend(BaseModel):
    """A pattern's feedback over the period, oldest bucket first."""

    period: str
    granularity: str = Field(examples=["week"])
    points: list[FeedbackPoint]


class PatternDetail(BaseModel):
    """A pattern's metrics, its most recent feedback and its feedback trend."""

    pattern: PatternMetrics
    recent_feedback: list[Feedback]
    trend: PatternTrend


VALUE_HELP = (
    "sum(numerator) / sum(denominator) over the bucket: a percent for the rates, a mean rating "
    "(1-5) for satisfaction, -100 to 100 for nps, the mean per day for sessions and tokens "
    "(numerator is their total); null when nothing was measured."
)


class TrendPoint(BaseModel):
    """One bucket of a metric, from the days of marts.metrics_daily it spans."""

    start_date: dt.date
    end_date: dt.date
    value: float | None = Field(description=VALUE_HELP)
    numerator: float
    denominator: float | None
    sample_size: int


class TrendSummary(BaseModel):
    """The whole period, summed the same way as a bucket."""

    value: float | None = Field(description=VALUE_HELP)
    numerator: float
    denominator: float | None
    sample_size: int


class Trend(BaseModel):
    """A metric of marts.metrics_daily over a period ending on the build's as_of date."""

    metric: str
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
