"""The nightly job against a real Postgres: raw loads, then `dbt build` with checks.

Run twice over the same landing directory: in process, as the schedule runs it (for a day),
then again through `forge-warehouse refresh`, the command `make demo` runs (a child `dagster
job execute` with the day as a run tag), which must load nothing new and succeed.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import psycopg
import pytest
from psycopg import sql

from ingest.common.settings import PROJECT_DIR
from ingest.contract.entities import ENTITIES
from orchestration_dagster.defs.dbt.resources import (
    DbtVarsResource,
    manifest_is_current,
    prepare_manifest,
)
from orchestration_dagster.defs.ingest.assets import raw_asset_key, raw_assets
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from tests.factories import record

pytestmark = pytest.mark.integration

DAGSTER_YAML = PROJECT_DIR / "orchestration_dagster" / "dagster.yaml"
SECOND_SESSION = 2
SECOND_OUTCOME = "1d3e5c7a-9b2f-4c6d-8e0a-2b4c6d8e0f12"
# The marts CONTRACT.md section 4 names; each gets rows from the landing files below.
CONTRACT_MARTS = (
    "pattern_analytics",
    "developer_productivity",
    "phase_performance",
    "feature_complexity_analysis",
    "template_metrics",
)


def _write_jsonl(path: Path, lines: list[bytes | dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = b"\n".join(line if isinstance(line, bytes) else orjson.dumps(line) for line in lines)
    path.write_bytes(body + b"\n")


def _write_landing(landing: Path) -> None:
    """Two sessions with their phases, events and code metrics; two projects with feedback.

    One line of user_feedback is not JSON: it is rejected, and the run still succeeds.
    """
    _write_jsonl(
        landing / "orchestration_sessions" / "sessions.jsonl",
        [
            record("orchestration_sessions"),
            record(
                "orchestration_sessions",
                id=SECOND_SESSION,
                user_identifier="dev-2",
                complexity_score=8.0,
                planning_success=False,
                overall_success=False,
            ),
        ],
    )
    _write_jsonl(
        landing / "orchestration_phase_metrics" / "phase_metrics.jsonl",
        [
            record("orchestration_phase_metrics"),
            record("orchestration_phase_metrics", id=2, session_id=SECOND_SESSION),
        ],
    )
    _write_jsonl(
        landing / "orchestration_events" / "events.jsonl",
        [
            record("orchestration_events"),
            record("orchestration_events", id=2, session_id=SECOND_SESSION),
        ],
    )
    _write_jsonl(
        landing / "orchestration_code_metrics" / "code_metrics.jsonl",
        [
            record("orchestration_code_metrics"),
            record("orchestration_code_metrics", id=2, session_id=SECOND_SESSION),
        ],
    )
    _write_jsonl(
        landing / "project_outcomes" / "outcomes.jsonl",
        [
            record("project_outcomes"),
            record("project_outcomes", id=SECOND_OUTCOME, project_name="todo-app"),
        ],
    )
    _write_jsonl(
        landing / "user_feedback" / "feedback.jsonl",
        [
            record("user_feedback"),
            record(
                "user_feedback",
                id="7a9c1e3f-5b7d-4f9a-8c2e-4f6a8c0e2a34",
                project_outcome_id=SECOND_OUTCOME,
                likelihood_to_reuse=3,
            ),
            b"{not json",
        ],
    )


def _warehouse(dsn: str, landing: Path) -> WarehouseResource:
    # one line in three of user_feedback is bad on purpose: above the default 5% reject-rate
    # gate (test_dagster_gates.py shows that gate), so the threshold is raised here
    return WarehouseResource(dsn=dsn, landing_dir=str(landing), reject_rate_threshold=0.5)


def _run_nightly(
    defs: dg.Definitions, dsn: str, landing: Path, day: str
) -> dg.ExecuteInProcessResult:
    """For a day, as the schedule runs it."""
    job = defs.resolve_job_def("nightly_refresh_job")
    return job.execute_in_process(
        resources={
            "warehouse": _warehouse(dsn, landing),
            "dbt_vars": DbtVarsResource(as_of="2025-04-01T00:00:00Z"),
        },
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=day if job.partitions_def is not None else None,
    )


def _metadata_by_key(result: dg.ExecuteInProcessResult) -> dict[dg.AssetKey, dict[str, Any]]:
    metadata: dict[dg.AssetKey, dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        metadata[materialization.asset_key] = {
            name: value.value for name, value in materialization.metadata.items()
        }
    return metadata


def _count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(f"select count(*) from {table}").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    """The code location, its dbt manifest re-parsed first when a dbt file changed."""
    if not manifest_is_current():
        prepare_manifest()
    from orchestration_dagster.definitions import defs

    return defs


@dataclass(frozen=True)
class NightlyRuns:
    """The in-process run, then `forge-warehouse refresh` over the same files."""

    first: dg.ExecuteInProcessResult
    batches_after_first: int
    refresh: subprocess.CompletedProcess[str]
    home: Path


@pytest.fixture(scope="module")
def nightly_runs(
    defs: dg.Definitions, warehouse_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> NightlyRuns:
    """The nightly job run twice over the same landing directory, from an empty warehouse."""
    tables = [sql.Identifier("raw", name) for name in ENTITIES]
    tables += [sql.Identifier("audit", "loads"), sql.Identifier("audit", "rejects")]
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(tables)))
    home = tmp_path_factory.mktemp("nightly")
    landing = home / "landing"
    _write_landing(landing)
    first = _run_nightly(defs, warehouse_dsn, landing, "2025-03-31")
    batches = _count(warehouse_dsn, "audit.loads")
    refresh = subprocess.run(
        [sys.executable, "-m", "ingest", "refresh", "--as-of", "2025-04-02T00:00:00+00:00"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "WAREHOUSE_DSN": warehouse_dsn,
            "FORGE_HOME": str(home),
            "FORGE_LANDING_DIR": str(landing),
            "DAGSTER_HOME": str(home / "dagster"),
            # see _warehouse: a third of user_feedback is bad on purpose
            "FORGE_REJECT_RATE_THRESHOLD": "0.5",
        },
        check=False,
    )
    return NightlyRuns(first, batches, refresh, home)


def test_nightly_refresh_job_loads_raw_builds_marts_and_evaluates_dbt_checks(
    defs: dg.Definitions,
    nightly_runs: NightlyRuns,
    warehouse_dsn: str,
) -> None:
    result = nightly_runs.first

    assert result.success
    metadata = _metadata_by_key(result)
    sessions = metadata[raw_asset_key("prompt_runner", "orchestration_sessions")]
    assert sessions["files_loaded"] == 1
    assert sessions["rows_loaded"] == 2
    feedback = metadata[raw_asset_key("dataforge", "user_feedback")]
    assert (feedback["lines_read"], feedback["rows_loaded"], feedback["rows_rejected"]) == (3, 2, 1)
    assert _count(warehouse_dsn, "raw.orchestration_events") == 2

    asset_graph = defs.resolve_asset_graph()
    marts = {
        key
        for key in asset_graph.get_all_asset_keys()
        if asset_graph.get(key).group_name == "marts"
    }
    assert marts
    assert marts <= set(metadata), "every mart is materialized"
    for mart in CONTRACT_MARTS:
        assert _count(warehouse_dsn, f"marts.{mart}") > 0, mart

    evaluations = result.get_asset_check_evaluations()
    job_checks = defs.resolve_job_def("nightly_refresh_job").asset_layer.asset_graph
    assert {evaluation.asset_check_key for evaluation in evaluations} == set(
        job_checks.asset_check_keys
    ), "every dbt test, reject-rate and source freshness check ran"
    failed = [
        evaluation.asset_check_key.to_user_string()
        for evaluation in evaluations
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed == []


def test_forge_warehouse_refresh_reruns_the_job_loads_nothing_new_and_succeeds(
    nightly_runs: NightlyRuns, warehouse_dsn: str
) -> None:
    refresh = nightly_runs.refresh
    assert refresh.returncode == 0, refresh.stdout[-3000:] + refresh.stderr[-2000:]
    assert "nightly refresh succeeded" in refresh.stdout
    assert _count(warehouse_dsn, "audit.loads") == nightly_runs.batches_after_first
    assert _count(warehouse_dsn, "raw.orchestration_sessions") == 2
    assert _count(warehouse_dsn, "marts.pattern_analytics") > 0
    # a new DAGSTER_HOME starts from the project's instance configuration, and keeps the run:
    # for the day before --as-of, given as the partition tag
    dagster_home = nightly_runs.home / "dagster"
    assert (dagster_home / "dagster.yaml").read_text() == DAGSTER_YAML.read_text()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        (run,) = instance.get_runs()
    assert run.job_name == "nightly_refresh_job"
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags["dagster/partition"] == "2025-04-01"


def test_raw_asset_fails_on_a_bad_file_after_loading_the_entitys_other_files(
    clean_warehouse: str, landing: Path
) -> None:
    _write_jsonl(landing / "user_feedback" / "a.jsonl", [record("user_feedback")])
    truncated = gzip.compress(orjson.dumps(record("user_feedback")) * 50)[:-20]
    (landing / "user_feedback" / "b.jsonl.gz").write_bytes(truncated)
    _write_jsonl(
        landing / "user_feedback" / "c.jsonl",
        [record("user_feedback", id="7a9c1e3f-5b7d-4f9a-8c2e-4f6a8c0e2a34")],
    )
    feedback_asset = next(
        asset for asset in raw_assets if raw_asset_key("dataforge", "user_feedback") in asset.keys
    )

    result = dg.materialize(
        [feedback_asset],
        resources={"warehouse": _warehouse(clean_warehouse, landing)},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )

    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert failure.step_failure_data.user_failure_data is not None
    assert "b.jsonl.gz" in (failure.step_failure_data.user_failure_data.description or "")
    assert _count(clean_warehouse, "raw.user_feedback") == 2
