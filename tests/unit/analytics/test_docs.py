"""The analyst guide names every example query, and every query says what it answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import PROJECT_DIR

GUIDE = PROJECT_DIR / "docs" / "analyst-guide.md"
QUERIES = sorted((PROJECT_DIR / "sql" / "analyst").glob("*.sql"))


@pytest.mark.parametrize("path", QUERIES, ids=[path.stem for path in QUERIES])
def test_each_example_query_is_in_the_guide_and_opens_with_its_question(path: Path) -> None:
    assert f"sql/analyst/{path.name}" in GUIDE.read_text(encoding="utf-8")
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("-- ") and first.endswith("?"), first
    code = [line.split("--")[0] for line in path.read_text(encoding="utf-8").splitlines()]
    assert ";" not in "".join(code)  # one statement, pasteable into any BI tool's SQL editor


def test_the_guide_describes_every_mart_the_api_and_report_read() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    for mart in (
        "pattern_analytics",
        "developer_productivity",
        "phase_performance",
        "feature_complexity_analysis",
        "template_metrics",
        "metrics_daily",
        "metric_values",
        "dim_metrics",
        "fct_feedback",
    ):
        assert f"`marts.{mart}`" in guide, mart


def test_the_guides_marts_table_has_a_row_for_every_mart_model() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    marts = sorted(path.stem for path in (PROJECT_DIR / "dbt_project/models/marts").rglob("*.sql"))
    missing = [mart for mart in marts if f"`marts.{mart}`" not in guide]
    assert not missing, f"docs/analyst-guide.md's marts table has no row for {missing}"
