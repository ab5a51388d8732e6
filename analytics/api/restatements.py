"""The restatements endpoint's answer: published metric values of closed periods that moved.

Read from marts.metric_restatements (a view over watch.restatements that the refresh fills after
each build), so a dashboard owner sees which charts moved, by how much and which run moved them.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from analytics.api.models import Number
from analytics.metrics import Grain


class Restatement(BaseModel):
    """One published value of a closed period that a later refresh changed."""

    restatement_id: int = Field(description="The restatement's key, in the order recorded.")
    metric: str = Field(description="The metric (marts.dim_metrics.metric).", examples=["sessions"])
    unit: str | None = Field(
        description="The unit of old_value, new_value and absolute_change (dim_metrics.unit): "
        "count, fraction (0 to 1), usd, seconds, tokens, mean_1_to_5, score_minus_100_to_100."
    )
    grain: Grain = Field(description="day, week (ISO, from Monday) or month.")
    period_start: dt.date = Field(description="First day of the period.")
    period_end: dt.date = Field(description="Day after the period's last day (exclusive).")
    dimension: str | None = Field(description="The split (pattern_id, phase, ...); null: total.")
    dimension_value: str | None = Field(description="The split's value; null for the total.")
    old_value: Number = Field(description="As published before, in `unit`; null if none was.")
    new_value: Number = Field(description="As published now, in `unit`; null if gone.")
    absolute_change: Number = Field(description="new_value - old_value, in `unit`.")
    relative_change: Number = Field(
        description="absolute_change / |old_value|, a fraction (0.1 = 10%); null when old_value "
        "is 0 or null."
    )
    published_run_id: str | None = Field(description="The Dagster run that published old_value.")
    published_at: dt.datetime | None = Field(description="When old_value was published (UTC).")
    restated_by_run_id: str | None = Field(description="The Dagster run that changed it.")
    restated_at: dt.datetime = Field(description="When the change was recorded (UTC).")


class RestatementPage(BaseModel):
    """A page of restatements, newest first."""

    items: list[Restatement]
    total: int = Field(description="Count of restatements that match the filters.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last.")
