"""A trend metric's numbers in its one unit: fractions for rates, a score for NPS, a mean rating for
satisfaction, dollars, seconds, counts; a span is the ratio of its sums, never a mean of values,
and a percentile never adds up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from analytics.metrics import (
    MART_UNITS,
    Definition,
    Dimension,
    Kind,
    Metric,
    Sums,
    Unit,
    add_up,
    exact,
)
from core.settings import PROJECT_DIR

SEMANTIC = PROJECT_DIR / "dbt_project" / "models" / "semantic"


def _definition(
    metric: Metric, unit: str, numerator: str | None, denominator: str | None
) -> Definition:
    return Definition.from_row(
        {
            "metric": metric.value,
            "label": None,
            "description": None,
            "unit": unit,
            "numerator_metric": numerator,
            "denominator_metric": denominator,
            "trend_dimensions": ["phase"],
            "as_of": dt.datetime(2025, 12, 8, tzinfo=dt.UTC),
        }
    )


RATE = _definition(Metric.BUILD_SUCCESS_RATE, "fraction", "successful", "builds")
NPS = _definition(Metric.NPS, "score_minus_100_to_100", "net_promoter_count", "scored")
SATISFACTION = _definition(Metric.SATISFACTION, "mean_1_to_5", "points", "feedback")
SESSIONS = _definition(Metric.SESSIONS, "count", "sessions", None)
COST = _definition(Metric.LLM_COST_USD, "usd", "llm_cost_usd", None)
P95 = _definition(Metric.PHASE_DURATION_P95_SECONDS, "seconds", None, None)


@pytest.mark.parametrize(
    ("definition", "sums", "value"),
    [
        # 7 of 8 builds: a fraction, 4 decimals
        (RATE, Sums(7, 8, 8), 0.875),
        (RATE, Sums(2, 3, 3), 0.6667),
        # 15 points over 4 ratings: a mean rating, 2 decimals
        (SATISFACTION, Sums(15, 4, 4), 3.75),
        # 1 promoter net over 3 scored answers: 100 x the share, a score with 2 decimals
        (NPS, Sums(1, 3, 3), 33.33),
        (NPS, Sums(-2, 2, 2), -100.0),
        # a week of 14 sessions is 14, not 2 a day
        (SESSIONS, Sums(14, None, 14), 14.0),
        (COST, Sums(0.1234567891, None, 3), 0.123457),
    ],
)
def test_a_spans_value_is_derived_from_its_sums_in_the_metrics_unit(
    definition: Definition, sums: Sums, value: float
) -> None:
    assert definition.value_of(sums) == value


def test_a_period_is_the_ratio_of_its_sums() -> None:
    # a quiet week (1 of 1) and a busy one (10 of 100): 11/101, not the mean of 100 % and 10 %
    total = add_up([Sums(1, 1, 1), Sums(10, 100, 100)])
    assert total == Sums(11, 101, 101)
    assert RATE.value_of(total) == round(11 / 101, 4)


def test_percentiles_do_not_add_up_and_nothing_measured_has_no_value() -> None:
    assert P95.kind is Kind.PERCENTILE
    assert P95.value_of(Sums(None, None, 40)) is None
    for definition in (RATE, NPS, SATISFACTION):
        assert definition.value_of(Sums(0, 0, 0)) is None


def test_an_empty_period_is_zero_for_a_sum_and_no_value_otherwise() -> None:
    assert (SESSIONS.empty(), SESSIONS.empty_value()) == (Sums(0.0, None, 0), 0.0)
    assert (RATE.empty(), RATE.empty_value()) == (Sums(0.0, 0.0, 0), None)
    assert (P95.empty(), P95.empty_value()) == (Sums(None, None, 0), None)


def test_missing_numerators_and_denominators_stay_missing() -> None:
    assert add_up([Sums(5, None, 5), Sums(7, None, 7)]) == Sums(12, None, 12)
    assert add_up([Sums(None, None, 3), Sums(None, None, 4)]) == Sums(None, None, 7)
    assert add_up([]) == Sums(None, None, 0)


def test_values_are_rounded_to_their_units_decimals_and_nan_is_none() -> None:
    assert RATE.rounded(0.123456) == 0.1235
    assert P95.rounded(12.345678) == 12.35
    assert SESSIONS.rounded(14.0) == 14.0
    assert RATE.rounded(float("nan")) is None and COST.rounded(float("inf")) is None


def test_numerators_are_whole_numbers_or_sums_of_money() -> None:
    assert exact(14.0) == 14 and isinstance(exact(14.0), int)
    assert exact(0.30000000000000004) == 0.3
    assert exact(None) is None and exact(float("nan")) is None


def test_kinds_follow_dim_metrics_numerator_and_denominator() -> None:
    assert (RATE.kind, SESSIONS.kind, P95.kind) == (Kind.RATIO, Kind.SUM, Kind.PERCENTILE)
    assert NPS.scale == 100 and RATE.scale == 1
    assert (NPS.unit, SATISFACTION.unit, COST.unit) == (Unit.SCORE, Unit.RATING, Unit.USD)


def _trend_blocks() -> dict[str, dict[str, Any]]:
    """metric name -> its config.meta, for every metric of the semantic YAML with a trend."""
    found = {}
    for path in sorted(Path(SEMANTIC).glob("*.yml")):
        for metric in yaml.safe_load(path.read_text(encoding="utf-8")).get("metrics") or []:
            meta = (metric.get("config") or {}).get("meta") or {}
            if meta.get("trend") is not None:
                found[metric["name"]] = meta
    return found


def test_the_apis_metrics_are_the_semantic_layers_trend_metrics() -> None:
    blocks = _trend_blocks()
    assert {metric.value for metric in Metric} == set(blocks)
    assert {meta["unit"] for meta in blocks.values()} <= set(MART_UNITS)
    dimensions = {name for meta in blocks.values() for name in meta["trend"]["dimensions"]}
    assert dimensions == {dimension.value for dimension in Dimension}
