"""The LLM cost marts, the outcome seed's "later" marts and the semantic-layer marts, built.

Each mart's numbers are recomputed here from the facts it is built on (and the price seed's CSV
file), not from its SQL; then the BI interface: every new mart described column by column in
Postgres, readable by the BI role, with an example query in sql/analyst/ that answers as a BI
login.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from core.settings import PROJECT_DIR
from tests.built import Built
from tests.logins import login

pytestmark = pytest.mark.integration

PRICES_CSV = PROJECT_DIR / "dbt_project" / "seeds" / "llm_model_prices.csv"
ANALYST_SQL = PROJECT_DIR / "sql" / "analyst"
Z = 1.959963984540054  # the 97.5th percentile of the standard normal: a 95% interval
MIN_BUILT_PROJECTS = 5  # pattern_recommendations' default minimum

# Each new mart and the example query that shows an analyst how to read it.
EXAMPLE_QUERIES = {
    "dim_dates": "sessions_by_day_of_week",
    "dim_metrics": "trend_metrics_and_their_units",
    "metric_values": "nps_by_pattern_and_month",
    "fct_phase_execution_costs": "llm_cost_by_model_and_phase",
    "fct_session_costs": "weekly_cost_of_finished_sessions",
    "developer_costs": "cost_per_successful_session_by_developer",
    "template_costs": "cost_per_successful_template_use",
    "fct_template_uses": "template_success_by_type_and_model",
    "fct_project_builds": "monthly_build_success_by_pattern",
    "language_combination_outcomes": "language_combinations_that_build",
    "deployment_correlations": "what_goes_with_deployment",
    "pattern_recommendations": "recommended_pattern_per_language_combination",
    "pattern_popularity_weekly": "pattern_share_by_week",
    "feedback_training_set": "satisfaction_by_build_before_feedback",
}


@pytest.fixture(scope="module")
def bi(built: Built) -> Iterator[str]:
    with login(built.dsn) as (_, dsn):
        yield dsn


def _rows(dsn: str, query: str, params: Any = None) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        conn.execute("set timezone = 'UTC'")
        return conn.execute(query, params).fetchall()


def _close(left: Any, right: Any, tolerance: float = 1e-9) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return math.isclose(float(left), float(right), rel_tol=tolerance, abs_tol=tolerance)


def _wilson(successes: int, trials: int) -> tuple[float | None, float | None]:
    """The 95% Wilson score interval, written out here independently of the dbt macro."""
    if trials == 0:
        return None, None
    share = successes / trials
    centre = share + Z * Z / (2 * trials)
    margin = Z * math.sqrt(share * (1 - share) / trials + Z * Z / (4 * trials * trials))
    scale = 1 + Z * Z / trials
    lower = 0.0 if successes == 0 else max(0.0, (centre - margin) / scale)
    upper = 1.0 if successes == trials else min(1.0, (centre + margin) / scale)
    return lower, upper


def _combination(languages: list[str] | None) -> str | None:
    distinct = sorted({language for language in languages or [] if language})
    return " + ".join(distinct) or None


# --- LLM cost -----------------------------------------------------------------------------


def _prices() -> list[dict[str, Any]]:
    with PRICES_CSV.open(newline="", encoding="utf-8") as handle:
        return [
            {
                "model": row["model"],
                "prompt": float(row["prompt_usd_per_1k_tokens"]),
                "completion": float(row["completion_usd_per_1k_tokens"]),
                "valid_from": dt.date.fromisoformat(row["valid_from"]),
                "valid_to": dt.date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
            }
            for row in csv.DictReader(handle)
        ]


def _phase_cost(phase: dict[str, Any], prices: list[dict[str, Any]]) -> float | None:
    """USD of one phase execution at the price valid on its day, or None when unpriced."""
    valid = [
        price
        for price in prices
        if price["model"] == phase["model_used"]
        and price["valid_from"] <= phase["phase_date"]
        and (price["valid_to"] is None or phase["phase_date"] < price["valid_to"])
    ]
    if len(valid) != 1 or phase["prompt_tokens"] is None or phase["completion_tokens"] is None:
        return None
    return (
        phase["prompt_tokens"] / 1000 * valid[0]["prompt"]
        + phase["completion_tokens"] / 1000 * valid[0]["completion"]
    )


def test_the_price_seed_is_loaded_and_says_its_prices_are_examples(built: Built) -> None:
    rows = _rows(built.dsn, "select * from staging.llm_model_prices order by model")
    assert [row["model"] for row in rows] == sorted(price["model"] for price in _prices())
    assert all(row["note"].startswith("example price") for row in rows)
    [comment] = _rows(built.dsn, "select obj_description('staging.llm_model_prices'::regclass)")
    assert "EXAMPLES" in comment["obj_description"]


def test_costs_are_the_tokens_at_the_seed_prices(built: Built) -> None:
    prices = _prices()
    phases = _rows(
        built.dsn,
        "select session_id, phase, phase_date, model_used, prompt_tokens, completion_tokens, "
        "total_tokens from marts.fct_phase_executions",
    )
    costs = {
        (row["session_id"], row["phase"]): row
        for row in _rows(built.dsn, "select * from marts.fct_phase_execution_costs")
    }
    assert len(costs) == len(phases) > 100

    per_session: dict[int, list[float | None]] = defaultdict(list)
    for phase in phases:
        expected = _phase_cost(phase, prices)
        row = costs[(phase["session_id"], phase["phase"])]
        assert _close(row["cost_usd"], expected), (phase, row)
        assert row["is_priced"] == (expected is not None)
        per_session[phase["session_id"]].append(expected)
    assert any(row["is_priced"] for row in costs.values())

    sessions = {
        row["session_id"]: row for row in _rows(built.dsn, "select * from marts.fct_session_costs")
    }
    for session_id, row in sessions.items():
        phase_costs = per_session.get(session_id, [])
        complete = bool(phase_costs) and all(cost is not None for cost in phase_costs)
        expected_cost = sum(cost for cost in phase_costs if cost is not None) if complete else None
        assert _close(row["cost_usd"], expected_cost), (session_id, row)

    # per developer: the cost of the finished, costed sessions over their number and successes
    developers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in sessions.values():
        if (
            row["user_identifier"] is not None
            and row["is_finished"]
            and row["cost_usd"] is not None
        ):
            developers[row["user_identifier"]].append(row)
    marts = {
        row["user_identifier"]: row
        for row in _rows(built.dsn, "select * from marts.developer_costs")
    }
    for developer, costed in developers.items():
        total = sum(row["cost_usd"] for row in costed)
        successes = sum(1 for row in costed if row["is_successful"])
        mart = marts[developer]
        assert mart["costed_session_count"] == len(costed)
        assert _close(mart["cost_per_session_usd"], total / len(costed))
        assert _close(
            mart["cost_per_successful_session_usd"], total / successes if successes else None
        )


# --- the outcome seed's later questions ------------------------------------------------------


def _projects(dsn: str) -> list[dict[str, Any]]:
    return _rows(
        dsn,
        "select project_outcome_id, pattern_id, languages_used, dependencies_installed, "
        "last_build_status, deployment_status, is_deployed, created_date from marts.dim_projects",
    )


def test_language_combinations_have_their_rates_and_wilson_intervals(built: Built) -> None:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for project in _projects(built.dsn):
        combination = _combination(project["languages_used"])
        if combination is None:
            continue
        entry = counts[combination]
        entry[0] += 1
        entry[1] += project["last_build_status"] is not None
        entry[2] += project["last_build_status"] == "success"
        entry[3] += bool(project["is_deployed"])
    rows = {
        row["language_combination"]: row
        for row in _rows(built.dsn, "select * from marts.language_combination_outcomes")
    }

    assert set(rows) == set(counts) and len(rows) >= 3
    for combination, (projects, built_count, successes, deployed) in counts.items():
        row = rows[combination]
        assert (row["project_count"], row["built_project_count"]) == (projects, built_count)
        assert row["successful_project_count"] == successes
        assert _close(row["build_success_rate"], successes / built_count if built_count else None)
        lower, upper = _wilson(successes, built_count)
        assert _close(row["build_success_rate_wilson_lower"], lower)
        assert _close(row["build_success_rate_wilson_upper"], upper)
        assert _close(row["deployment_rate"], deployed / projects)
        assert _close(row["deployment_rate_wilson_lower"], _wilson(deployed, projects)[0])


def test_recommendations_rank_patterns_by_the_wilson_lower_bound_above_a_minimum(
    built: Built,
) -> None:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for project in _projects(built.dsn):
        combination = _combination(project["languages_used"])
        if combination is None or project["pattern_id"] is None:
            continue
        # every pattern of the combination is listed, with a build or not
        entry = counts[(combination, project["pattern_id"])]
        if project["last_build_status"] is not None:
            entry[0] += 1
            entry[1] += project["last_build_status"] == "success"
    expected: dict[tuple[str, str], int | None] = {}
    by_combination: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
    for (combination, pattern), (built_count, successes) in counts.items():
        expected[(combination, pattern)] = None
        if built_count >= MIN_BUILT_PROJECTS:
            lower = _wilson(successes, built_count)[0]
            assert lower is not None
            by_combination[combination].append((-lower, -built_count, pattern))
    for combination, candidates in by_combination.items():
        for rank, (_, _, pattern) in enumerate(sorted(candidates), start=1):
            expected[(combination, pattern)] = rank

    rows = {
        (row["language_combination"], row["pattern_id"]): row["recommendation_rank"]
        for row in _rows(built.dsn, "select * from marts.pattern_recommendations")
    }
    assert rows == expected
    assert any(rank == 1 for rank in rows.values()), "no combination with a ranked pattern"
    assert any(rank is None for rank in rows.values()), "no pattern below the minimum"


def test_deployment_correlations_are_the_phi_of_factor_and_deployment(built: Built) -> None:
    projects = _projects(built.dsn)
    deployed = [float(bool(project["is_deployed"])) for project in projects]
    factors: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for project in projects:
        key = project["project_outcome_id"]
        for language in project["languages_used"] or []:
            factors[("language", language)].add(key)
        for manager in project["dependencies_installed"] or []:
            factors[("dependency_manager", manager)].add(key)
        combination = _combination(project["languages_used"])
        if combination:
            factors[("language_combination", combination)].add(key)
        if project["pattern_id"]:
            factors[("pattern", project["pattern_id"])].add(key)
        if project["last_build_status"]:
            factors[("last_build_status", project["last_build_status"])].add(key)
    rows = {
        (row["factor_type"], row["factor_value"]): row
        for row in _rows(built.dsn, "select * from marts.deployment_correlations")
    }

    assert set(rows) == set(factors)
    for factor, keys in factors.items():
        has = [float(project["project_outcome_id"] in keys) for project in projects]
        row = rows[factor]
        assert row["project_count"] == len(keys)
        assert row["deployed_count"] == sum(
            1
            for project in projects
            if project["project_outcome_id"] in keys and project["is_deployed"]
        )
        if len(set(has)) < 2 or len(set(deployed)) < 2:
            assert row["phi_coefficient"] is None, factor
        else:
            phi = statistics.correlation(has, deployed)
            assert abs(row["phi_coefficient"] - phi) <= 1e-6, (factor, row, phi)


def test_weekly_pattern_shares_cover_every_week_and_add_up(built: Built) -> None:
    projects = [project for project in _projects(built.dsn) if project["pattern_id"]]
    counts: dict[tuple[dt.date, str], int] = defaultdict(int)
    for project in projects:
        week = project["created_date"] - dt.timedelta(days=project["created_date"].weekday())
        counts[(week, project["pattern_id"])] += 1
    rows = _rows(built.dsn, "select * from marts.pattern_popularity_weekly")
    patterns = {project["pattern_id"] for project in projects}
    weeks = {row["week_start_date"] for row in rows}

    first = min(week for week, _ in counts)
    last = max(week for week, _ in counts)
    assert weeks == {first + dt.timedelta(weeks=n) for n in range((last - first).days // 7 + 1)}
    assert len(rows) == len(weeks) * len(patterns), "a week lacks a pattern's row"
    shares: dict[dt.date, float] = defaultdict(float)
    for row in rows:
        assert row["project_count"] == counts.get((row["week_start_date"], row["pattern_id"]), 0)
        shares[row["week_start_date"]] += row["project_share"] or 0.0
    for week, total in shares.items():
        has_projects = any(counts.get((week, pattern)) for pattern in patterns)
        assert _close(total, 1.0 if has_projects else 0.0), week


# --- the BI interface -------------------------------------------------------------------


@pytest.mark.parametrize("mart", sorted(EXAMPLE_QUERIES))
def test_every_new_mart_is_described_and_readable_by_the_bi_role(built: Built, mart: str) -> None:
    [table] = _rows(
        built.dsn,
        "select obj_description(%(name)s::regclass) as comment, "
        "has_table_privilege('forge_bi', %(name)s, 'select') as bi_reads",
        {"name": f"marts.{mart}"},
    )
    assert table["comment"] and table["comment"].startswith("One row per"), mart
    assert table["bi_reads"], mart
    undescribed = _rows(
        built.dsn,
        "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 "
        "and not attisdropped and coalesce(col_description(attrelid, attnum), '') = ''",
        (f"marts.{mart}",),
    )
    assert undescribed == [], f"{mart} has columns without a comment"


@pytest.mark.parametrize("mart", sorted(EXAMPLE_QUERIES))
def test_each_new_mart_has_an_example_query_that_answers_as_the_bi_login(
    bi: str, mart: str
) -> None:
    path: Path = ANALYST_SQL / f"{EXAMPLE_QUERIES[mart]}.sql"
    text = path.read_text(encoding="utf-8")
    assert f"marts.{mart}" in text
    assert text.startswith("-- "), "an example query opens with the question it answers"
    with psycopg.connect(bi) as conn:
        cursor = conn.execute(text.encode())
        rows = cursor.fetchall()
    assert rows, f"{path.name} returned no rows on the synthetic warehouse"
