"""A failed dbt build in one sentence: errors, failed tests with their rows, marts kept as they
were; retried only when every error was transient."""

from __future__ import annotations

from typing import Any

from orchestration_dagster.lib.dbt_outcome import first_line, read_outcome
from orchestration_dagster.lib.translator import ForgeDbtTranslator

MANIFEST: dict[str, Any] = {
    "nodes": {
        "model.p.stg_feedback": {
            "resource_type": "model",
            "name": "stg_feedback",
            "fqn": ["p", "staging", "stg_feedback"],
            "meta": {},
            "config": {},
        },
        "model.p.mart": {
            "resource_type": "model",
            "name": "mart",
            "fqn": ["p", "marts", "mart"],
            "meta": {},
            "config": {},
        },
        "test.p.not_null_x": {
            "resource_type": "test",
            "name": "not_null_x",
            "attached_node": "model.p.stg_feedback",
            "depends_on": {"nodes": ["model.p.stg_feedback"]},
        },
    },
    "sources": {},
}


def _results(*entries: tuple[str, str, Any]) -> dict[str, Any]:
    return {
        "results": [
            {"unique_id": uid, "status": status, "message": message, "failures": 3}
            for uid, status, message in entries
        ]
    }


def test_a_failed_test_names_itself_its_model_its_rows_and_the_marts_left_as_they_were() -> None:
    outcome = read_outcome(
        _results(("test.p.not_null_x", "fail", "Got 3 results"), ("model.p.mart", "skipped", "")),
        MANIFEST,
        ForgeDbtTranslator(),
    )

    assert outcome.description() == (
        "dbt test not_null_x failed on stg_feedback (3 rows); "
        "not rebuilt, keeping their previous data: mart"
    )
    assert not outcome.transient


def test_only_transient_errors_make_a_retry() -> None:
    deadlock = "Database Error in model mart (models/marts/mart.sql)\n  deadlock detected"
    transient = read_outcome(
        _results(("model.p.mart", "error", deadlock)), MANIFEST, ForgeDbtTranslator()
    )
    final = read_outcome(
        _results(("model.p.mart", "error", "Database Error in model mart\n  division by zero")),
        MANIFEST,
        ForgeDbtTranslator(),
    )

    assert transient.transient
    assert transient.description() == "dbt transient database error in mart: deadlock detected"
    assert not final.transient


def test_a_test_another_step_runs_is_left_to_that_step() -> None:
    outcome = read_outcome(
        _results(("test.p.not_null_x", "fail", "")),
        MANIFEST,
        ForgeDbtTranslator(),
        elsewhere=lambda unique_id: True,
    )

    assert not outcome.failed


def test_first_line_is_the_reason_not_the_line_naming_the_node() -> None:
    assert first_line("Database Error in model x (models/x.sql)\n  boom\n  more") == "boom"
    assert first_line("just this") == "just this"
    assert first_line(None) == ""
