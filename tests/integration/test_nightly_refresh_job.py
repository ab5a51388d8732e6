"""The nightly job against a real Postgres: raw loads, then `dbt build` with checks.

Run through `forge-warehouse refresh`, the command `make demo` runs: a child `dagster job
execute` for the day before --as-of, in a new DAGSTER_HOME whose run storage the tests read
afterwards. Then the raw assets run again over the same files, which must load nothing new.
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

from core.settings import PROJECT_DIR
from ingest.contract.entities import ENTITIES
from orchestration_dagster.defs.dbt.resources import (
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
# The marts docs/contract.md section 4 names; each gets rows from the landing files below.
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


def _metadata_by_key(
    materializations: list[dg.AssetMaterialization],
) -> dict[dg.AssetKey, dict[str, Any]]:
    return {
        materialization.asset_key: {
            name: value.value for name, value in materialization.metadata.items()
        }
        for materialization in materializations
    }


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
class Nightly:
    """`forge-warehouse refresh` over fresh landing files, and the run it left in Dagster."""

    refresh: subprocess.CompletedProcess[str]
    home: Path
    landing: Path
    run: dg.DagsterRun
    materializations: list[dg.AssetMaterialization]
    evaluations: list[dg.AssetCheckEvaluation]


@pytest.fixture(scope="module")
def nightly(warehouse_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Nightly:
    """The nightly job through the CLI, from an empty warehouse."""
    tables = [sql.Identifier("raw", name) for name in ENTITIES]
    tables += [sql.Identifier("audit", "loads"), sql.Identifier("audit", "rejects")]
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(tables)))
    home = tmp_path_factory.mktemp("nightly")
    landing = home / "landing"
    _write_landing(landing)
    refresh = subprocess.run(
        [sys.executable, "-m", "cli", "refresh", "--as-of", "2025-04-01T00:00:00+00:00"],
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
    assert refresh.returncode == 0, refresh.stdout[-3000:] + refresh.stderr[-2000:]
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        (run,) = instance.get_runs()
        materializations = [
            entry.dagster_event.event_specific_data.materialization
            for entry in instance.all_logs(
                run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            )
            if entry.dagster_event is not None
        ]
        evaluations = [
            entry.dagster_event.event_specific_data
            for entry in instance.all_logs(
                run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            )
            if entry.dagster_event is not None
        ]
    return Nightly(refresh, home, landing, run, materializations, evaluations)


def test_nightly_refresh_job_loads_raw_builds_marts_and_evaluates_dbt_checks(
    defs: dg.Definitions, nightly: Nightly, warehouse_dsn: str
) -> None:
    assert "nightly refresh succeeded" in nightly.refresh.stdout
    assert nightly.run.job_name == "nightly_refresh_job"
    assert nightly.run.status == dg.DagsterRunStatus.SUCCESS
    # for the day before --as-of, given as the partition tag
    assert nightly.run.tags["dagster/partition"] == "2025-03-31"
    # a new DAGSTER_HOME starts from the project's instance configuration
    assert (nightly.home / "dagster" / "dagster.yaml").read_text() == DAGSTER_YAML.read_text()

    metadata = _metadata_by_key(nightly.materializations)
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

    evaluations = nightly.evaluations
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


def test_a_rerun_over_the_same_files_loads_nothing_new(
    nightly: Nightly, warehouse_dsn: str
) -> None:
    batches = _count(warehouse_dsn, "audit.loads")
    rerun = dg.materialize(
        raw_assets,
        resources={"warehouse": _warehouse(warehouse_dsn, nightly.landing)},
        instance=dg.DagsterInstance.ephemeral(),
    )

    assert rerun.success
    metadata = _metadata_by_key(
        [event.materialization for event in rerun.get_asset_materialization_events()]
    )
    assert len(metadata) == len(ENTITIES)
    for key, values in metadata.items():
        assert (values["files_already_loaded"], values["rows_loaded"]) == (1, 0), key
    assert _count(warehouse_dsn, "audit.loads") == batches
    assert _count(warehouse_dsn, "raw.orchestration_sessions") == 2


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
