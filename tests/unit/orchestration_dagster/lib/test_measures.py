"""A raw table's night: the loads from one marts deadline to the next, named by its end."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.contract.entities import ENTITIES
from orchestration_dagster.lib.anomalies import Scale
from orchestration_dagster.lib.measures import (
    RAW_PROFILES,
    night_bounds,
    night_of,
    raw_measures,
    scale_of_metric,
    scale_of_raw,
)

SIX = dt.time(6, 0)


@pytest.mark.parametrize(
    ("moment", "night"),
    [
        ("2026-03-03T02:00:30+00:00", "2026-03-03"),  # the 02:00 nightly closes its night
        ("2026-03-02T14:00:00+00:00", "2026-03-03"),  # the landing sensor's afternoon load
        ("2026-03-03T05:59:59+00:00", "2026-03-03"),
        ("2026-03-03T06:00:00+00:00", "2026-03-04"),  # past the deadline: the next night
    ],
)
def test_a_load_belongs_to_the_night_of_the_next_deadline(moment: str, night: str) -> None:
    assert night_of(dt.datetime.fromisoformat(moment), "UTC", SIX) == dt.date.fromisoformat(night)


def test_a_night_is_read_in_the_schedule_timezone() -> None:
    moment = dt.datetime(2026, 3, 3, 4, 30, tzinfo=dt.UTC)  # 05:30 in Amsterdam (winter)
    assert night_of(moment, "Europe/Amsterdam", SIX) == dt.date(2026, 3, 3)
    start, end = night_bounds(dt.date(2026, 3, 3), "Europe/Amsterdam", SIX)
    assert (start, end) == (
        dt.datetime(2026, 3, 2, 5, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 3, 5, 0, tzinfo=dt.UTC),
    )
    assert start <= moment < end


def test_every_raw_table_has_a_profile_over_columns_it_has() -> None:
    assert set(RAW_PROFILES) == set(ENTITIES)
    for name, profile in RAW_PROFILES.items():
        assert set(profile.key_columns) <= set(ENTITIES[name].field_names), name


def test_each_measure_is_judged_on_its_own_scale() -> None:
    measures = raw_measures(RAW_PROFILES["orchestration_events"])
    assert measures[:3] == ["rows", "reject_rate", "lateness_p50_hours"]
    assert [scale_of_raw(m) for m in ("rows", "distinct.phase", "null_share.phase")] == [
        Scale.COUNT,
        Scale.COUNT,
        Scale.SHARE,
    ]
    assert scale_of_raw("lateness_p50_hours") is Scale.DURATION
    assert scale_of_metric("fraction", "ratio") is Scale.SHARE
    assert scale_of_metric("usd", "simple") is Scale.COUNT
    assert scale_of_metric("usd", "ratio") is Scale.LEVEL
    assert scale_of_metric("seconds", "simple") is Scale.DURATION
    assert scale_of_metric("mean_1_to_5", "ratio") is Scale.LEVEL
