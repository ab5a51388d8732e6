"""A run as rows: who started it, its steps' spans, each dbt node from run_results.json."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from orchestration_dagster.lib.run_history import (
    StepEvent,
    as_of_of,
    dbt_nodes_of_run,
    partition_of,
    stage_of,
    step_spans,
    trigger_of,
)

SCHEMA = "https://schemas.getdbt.com/dbt/run-results/v6.json"


def _result(unique_id: str, status: str, **more: Any) -> dict[str, Any]:
    return {
        "status": status,
        "timing": [
            {
                "name": "execute",
                "started_at": "2026-03-03T02:01:00.000000Z",
                "completed_at": "2026-03-03T02:01:02.500000Z",
            }
        ],
        "thread_id": "Thread-1",
        "execution_time": 2.5,
        "adapter_response": {"_message": "INSERT 0 7", "code": "INSERT", "rows_affected": 7},
        "message": None,
        "failures": None,
        "unique_id": unique_id,
        "compiled": True,
        "compiled_code": "select 1",
        "relation_name": None,
        **more,
    }


def _write(folder: Path, *results: dict[str, Any]) -> None:
    folder.mkdir(parents=True)
    document = {
        "metadata": {
            "dbt_schema_version": SCHEMA,
            "dbt_version": "1.11.0",
            "generated_at": "2026-03-03T02:02:00.000000Z",
            "invocation_id": "abc",
            "env": {},
        },
        "results": list(results),
        "elapsed_time": 3.0,
        "args": {},
    }
    (folder / "run_results.json").write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("tags", "trigger"),
    [
        ({"forge/trigger": "forge-warehouse demo"}, "forge-warehouse demo"),
        (
            {"dagster/schedule_name": "nightly_refresh_schedule"},
            "schedule nightly_refresh_schedule",
        ),
        ({"dagster/sensor_name": "landing_files_sensor"}, "sensor landing_files_sensor"),
        ({"forge/refresh": "nightly"}, "nightly (by hand)"),  # launched from the UI
        ({}, "by hand"),
    ],
)
def test_who_started_a_run_comes_from_its_tags(tags: dict[str, str], trigger: str) -> None:
    assert trigger_of(tags) == trigger


def test_a_runs_partition_is_its_tag_or_the_days_its_dbt_step_rebuilt() -> None:
    config = {
        "ops": {
            "forge_dbt_assets": {
                "config": {"reprocess_from": "2026-01-01", "reprocess_to": "2026-01-08"}
            }
        }
    }
    assert partition_of({}, config) == "2026-01-01..2026-01-08"
    assert partition_of({"dagster/partition": "2026-01-02"}, config) == "2026-01-02"
    assert partition_of({}, {}) is None
    as_of = {"resources": {"dbt_vars": {"config": {"as_of": "2025-04-01T00:00:00+00:00"}}}}
    assert as_of_of(as_of) == dt.datetime(2025, 4, 1, tzinfo=dt.UTC)


def test_a_retried_step_spans_its_first_start_to_its_last_end() -> None:
    events = [
        StepEvent("raw__prompt_runner__orchestration_events", "start", 100.0),
        StepEvent("raw__prompt_runner__orchestration_events", "success", 104.0),
        StepEvent("forge_dbt_assets", "start", 105.0),
        StepEvent("forge_dbt_assets", "failure", 110.0),
        StepEvent("forge_dbt_assets", "start", 112.0),  # the retry
        StepEvent("forge_dbt_assets", "success", 130.0),
        StepEvent("watch__published_metric_values", "skipped", 131.0),
    ]
    spans = step_spans(events)
    assert [(s.step_key, s.stage, s.status, s.seconds) for s in spans] == [
        ("raw__prompt_runner__orchestration_events", "ingest", "success", 4.0),
        ("forge_dbt_assets", "dbt", "success", 25.0),
        ("watch__published_metric_values", "watch", "skipped", None),
    ]
    assert stage_of("dbt_source_freshness_checks") == "checks"


def test_dbt_nodes_come_from_run_results_a_retry_replacing_the_first_attempt(
    tmp_path: Path,
) -> None:
    run = tmp_path / "runs" / "r1"
    _write(
        run / "forge_dbt_assets-0",
        _result("model.forge.fct_events", "error", message="lost\nconnection"),
        _result(
            "test.forge.unique_x.abc", "fail", failures=3, adapter_response={"_message": "SELECT 3"}
        ),
        _result("exposure.forge.dashboard", "no-op"),
    )
    _write(run / "forge_dbt_assets-1", _result("model.forge.fct_events", "success"))
    nodes = {node.unique_id: node for node in dbt_nodes_of_run(run)}

    assert set(nodes) == {"model.forge.fct_events", "test.forge.unique_x.abc"}
    model, test = nodes["model.forge.fct_events"], nodes["test.forge.unique_x.abc"]
    assert (model.status, model.rows_affected, model.seconds, model.name) == (
        "success",
        7,
        2.5,
        "fct_events",
    )
    assert model.started_at == dt.datetime(2026, 3, 3, 2, 1, tzinfo=dt.UTC)
    assert (test.status, test.failures, test.rows_affected, test.resource_type) == (
        "fail",
        3,
        None,
        "test",
    )
    assert dbt_nodes_of_run(tmp_path / "runs" / "none") == []
