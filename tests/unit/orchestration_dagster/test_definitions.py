"""The Dagster code location: loads fast without a database, and holds what the nightly needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from ingest.batch import BatchResult
from ingest.common.settings import PROJECT_DIR, get_settings
from ingest.contract.entities import ENTITIES
from ingest.sources.files.load import FileOutcome, LandingFile
from orchestration_dagster.defs.dbt.resources import (
    dbt_project,
    environment,
    manifest_is_current,
    prepare_manifest,
)
from orchestration_dagster.defs.dbt.translator import ForgeDbtTranslator, layer_of
from orchestration_dagster.defs.ingest.assets import failures, summarize

# The snapshot of asset keys: a rename or a new model shows up here in review.
EXPECTED_ASSET_KEYS = [
    "intermediate/int_session_templates_unpivoted",
    "marts/developer_productivity",
    "marts/feature_complexity_analysis",
    "marts/pattern_analytics",
    "marts/phase_performance",
    "marts/template_metrics",
    "raw/dataforge/project_outcomes",
    "raw/dataforge/user_feedback",
    "raw/prompt_runner/orchestration_code_metrics",
    "raw/prompt_runner/orchestration_events",
    "raw/prompt_runner/orchestration_phase_metrics",
    "raw/prompt_runner/orchestration_sessions",
    "staging/stg_dataforge__project_outcomes",
    "staging/stg_dataforge__user_feedback",
    "staging/stg_prompt_runner__orchestration_code_metrics",
    "staging/stg_prompt_runner__orchestration_events",
    "staging/stg_prompt_runner__orchestration_phase_metrics",
    "staging/stg_prompt_runner__orchestration_sessions",
]

UNREACHABLE_DSN = "postgresql://x:y@127.0.0.1:1/none"
# Our own import work, on top of importing dagster and dagster-dbt (measured: ~0.8 s with
# bytecode caches, ~2 s without). A `dbt parse` or a database call at import would blow it.
DEFINITIONS_BUDGET_SECONDS = 5.0
# Everything, libraries included (measured: ~5 s with bytecode caches, ~9 s without on 2 cores).
TOTAL_BUDGET_SECONDS = 30.0

_LOAD_SCRIPT = """
import json, sys, time
started = time.perf_counter()
import dagster, dagster_dbt
libraries = time.perf_counter()
from orchestration_dagster.definitions import defs
loaded = time.perf_counter()
schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
print(json.dumps({
    "libraries_s": libraries - started,
    "definitions_s": loaded - libraries,
    "timezone": schedule.execution_timezone,
    "pgserver_imported": "pgserver" in sys.modules,
}))
"""


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    """The dbt manifest the definitions load, re-parsed first when a dbt file changed."""
    if not manifest_is_current():
        prepare_manifest()
    parsed: dict[str, Any] = json.loads(dbt_project.manifest_path.read_text())
    return parsed


@pytest.fixture(scope="module")
def defs(manifest: dict[str, Any]) -> dg.Definitions:
    from orchestration_dagster.definitions import defs

    return defs


def test_definitions_load_fast_without_a_database_in_the_configured_timezone(
    manifest: dict[str, Any], tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "WAREHOUSE_DSN": UNREACHABLE_DSN,
        "FORGE_SCHEDULE_TIMEZONE": "Europe/Amsterdam",
        "DAGSTER_HOME": str(tmp_path),
    }
    env.pop("DAGSTER_IS_DEV_CLI", None)  # `dagster dev` re-parses the dbt project on load
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

    completed = subprocess.run(
        [sys.executable, "-c", _LOAD_SCRIPT],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"import: libraries {report['libraries_s']:.2f} s, ours {report['definitions_s']:.2f} s")
    assert report["definitions_s"] < DEFINITIONS_BUDGET_SECONDS, report
    assert report["libraries_s"] + report["definitions_s"] < TOTAL_BUDGET_SECONDS, report
    assert report["timezone"] == "Europe/Amsterdam"
    assert not report["pgserver_imported"], "loading definitions must not start a database"


def test_asset_keys_are_the_reviewed_list(defs: dg.Definitions) -> None:
    keys = sorted(key.to_user_string() for key in defs.resolve_all_asset_keys())
    assert keys == EXPECTED_ASSET_KEYS


def test_nightly_refresh_job_selects_every_asset_and_runs_in_process(
    defs: dg.Definitions,
) -> None:
    job = defs.resolve_job_def("nightly_refresh_job")
    asset_graph = defs.resolve_asset_graph()

    assert job.asset_layer.selected_asset_keys == asset_graph.get_all_asset_keys()
    assert job.asset_layer.asset_graph.asset_check_keys == asset_graph.asset_check_keys
    assert job.executor_def is dg.in_process_executor


def test_nightly_refresh_schedule_runs_the_job_at_two_in_the_settings_timezone(
    defs: dg.Definitions,
) -> None:
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")

    assert schedule.job_name == "nightly_refresh_job"
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == get_settings().schedule_timezone


def test_every_raw_table_has_an_asset_in_group_raw(defs: dg.Definitions) -> None:
    asset_graph = defs.resolve_asset_graph()
    for entity in ENTITIES.values():
        key = dg.AssetKey(["raw", entity.system, entity.name])
        assert asset_graph.has(key), key
        assert asset_graph.get(key).group_name == "raw"


def test_every_dbt_source_maps_to_a_raw_asset_and_every_raw_asset_feeds_dbt(
    defs: dg.Definitions, manifest: dict[str, Any]
) -> None:
    translator = ForgeDbtTranslator()
    asset_graph = defs.resolve_asset_graph()
    raw_keys = {key for key in asset_graph.get_all_asset_keys() if key.path[0] == "raw"}
    source_keys = {translator.get_asset_key(source) for source in manifest["sources"].values()}

    assert source_keys <= raw_keys, "a dbt source has no raw asset"
    assert raw_keys <= source_keys, "a raw table is not declared as a dbt source"
    for key in raw_keys:
        assert asset_graph.get(key).child_keys, f"{key} feeds no dbt model"


def test_dbt_models_are_grouped_by_their_folder_and_tests_are_asset_checks(
    defs: dg.Definitions,
) -> None:
    asset_graph = defs.resolve_asset_graph()
    groups = {
        asset_graph.get(key).group_name
        for key in asset_graph.get_all_asset_keys()
        if key.path[0] != "raw"
    }

    assert groups == {"staging", "intermediate", "marts"}
    assert asset_graph.asset_check_keys, "dbt tests should load as asset checks"


@pytest.mark.parametrize(
    ("path", "group"),
    [
        ("models/staging/prompt_runner/stg_prompt_runner__orchestration_events.sql", "staging"),
        ("models/intermediate/orchestration/int_session_templates_unpivoted.sql", "intermediate"),
        ("models/marts/outcomes/pattern_analytics.sql", "marts"),
        ("snapshots/orchestration_sessions_snapshot.yml", "snapshots"),  # not under models/
        ("models/top_level_model.sql", "models"),  # no layer folder: says so
    ],
)
def test_layer_of_is_the_first_folder_under_models(path: str, group: str) -> None:
    assert layer_of(path) == group


@pytest.mark.parametrize(
    ("as_of", "args"),
    [
        (None, ["build"]),
        ("", ["build"]),
        ("2026-01-01T00:00:00Z", ["build", "--vars", '{"as_of": "2026-01-01T00:00:00Z"}']),
    ],
)
def test_build_args_pass_as_of_only_when_configured(
    defs: dg.Definitions, as_of: str | None, args: list[str]
) -> None:
    from orchestration_dagster.defs.dbt.assets import build_args  # needs the manifest

    assert build_args(as_of) == args


def test_environment_sets_variables_only_inside_the_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORGE_PG_HOST", "kept")
    monkeypatch.delenv("FORGE_PG_DBNAME", raising=False)

    with environment({"FORGE_PG_HOST": "inside", "FORGE_PG_DBNAME": "inside"}):
        assert (os.environ["FORGE_PG_HOST"], os.environ["FORGE_PG_DBNAME"]) == ("inside", "inside")

    assert os.environ["FORGE_PG_HOST"] == "kept"
    assert "FORGE_PG_DBNAME" not in os.environ


def _outcome(name: str, batch: BatchResult | None, already: str | None = None) -> FileOutcome:
    file = LandingFile(ENTITIES["user_feedback"], Path("landing/user_feedback") / name)
    return FileOutcome(file, batch, already_loaded_by=already)


def test_summarize_and_failures_count_loaded_skipped_and_failed_files() -> None:
    loaded = BatchResult("b1", "user_feedback", "a.jsonl", 5, 3, 1, 1)
    refused = BatchResult("b2", "user_feedback", "b.jsonl", status="failed", error="refused")
    # read errors already name their file: it is not named twice
    truncated = BatchResult(
        "b3",
        "user_feedback",
        "c.jsonl.gz",
        status="failed",
        error="landing/user_feedback/c.jsonl.gz is not a complete gzip file",
    )
    outcomes = [
        _outcome("a.jsonl", loaded),
        _outcome("b.jsonl", refused),
        _outcome("c.jsonl.gz", truncated),
        _outcome("d.jsonl", None, already="b0"),
    ]

    assert summarize(outcomes) == {
        "files_loaded": 1,
        "files_failed": 2,
        "files_already_loaded": 1,
        "lines_read": 5,
        "rows_loaded": 3,
        "rows_rejected": 1,
        "duplicates_skipped": 1,
    }
    assert failures(outcomes) == [
        "landing/user_feedback/b.jsonl: refused",
        "landing/user_feedback/c.jsonl.gz is not a complete gzip file",
    ]
