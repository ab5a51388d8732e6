"""`dbt source freshness` as checks: one per source with thresholds, dbt's status as severity."""

from __future__ import annotations

from typing import Any

import dagster as dg

from orchestration_dagster.lib.source_freshness import (
    freshness_result,
    source_freshness_specs,
    source_selector,
)
from orchestration_dagster.lib.translator import ForgeDbtTranslator


def test_source_freshness_maps_dbt_status_to_check_severity() -> None:
    key = dg.AssetCheckKey(dg.AssetKey(["raw", "dataforge", "user_feedback"]), "x_source_fresh")
    base = {"max_loaded_at": "2026-03-01T00:00:00+00:00", "max_loaded_at_time_ago_in_s": 90000}

    assert freshness_result(key, {**base, "status": "pass"}).passed
    warn = freshness_result(key, {**base, "status": "warn"})
    error = freshness_result(key, {**base, "status": "error"})
    broken = freshness_result(key, {"status": "runtime error", "error": "no such table"})
    assert (warn.passed, warn.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert (error.passed, error.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert "25.0 h ago" in (error.description or "")
    assert (broken.passed, broken.severity) == (False, dg.AssetCheckSeverity.ERROR)


def test_an_empty_raw_table_says_no_row_was_loaded_not_an_age_of_two_thousand_years() -> None:
    key = dg.AssetCheckKey(dg.AssetKey(["raw", "dataforge", "user_feedback"]), "x_source_fresh")
    # what dbt 1.11 reports for a table with no row (seen 2026-12-07)
    empty = {
        "status": "error",
        "max_loaded_at": "0001-01-01T00:00:00+00:00",
        "max_loaded_at_time_ago_in_s": 63930258000.0,
    }
    result = freshness_result(key, empty)
    assert (result.passed, result.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert result.description == "no row loaded yet; dbt source freshness says error"
    assert "hours_since_last_load" not in result.metadata


def test_each_source_with_thresholds_gets_a_check_and_its_selector(
    manifest: dict[str, Any],
) -> None:
    specs = source_freshness_specs(manifest, ForgeDbtTranslator())
    with_thresholds = [
        unique_id
        for unique_id, source in manifest["sources"].items()
        if (source.get("freshness") or {}).get("error_after", {}).get("count")
    ]

    assert len(specs) == len(with_thresholds) > 0
    selectors = {selector for _, selector in specs.values()}
    assert selectors == {source_selector(unique_id) for unique_id in with_thresholds}
    assert (
        source_selector("source.forge.dataforge.user_feedback") == "source:dataforge.user_feedback"
    )
