"""The nightly job against a real Postgres: raw loads, then `dbt build` with checks.

Run through `forge-warehouse refresh`, the command `make demo` runs, in this process: the job
runs in process too (dg.execute_job), in a new DAGSTER_HOME whose run storage the tests read
afterwards. Then the raw assets run again over the same files, which must load nothing new, and
a refresh whose reject-rate gate fails exits 1 naming the check.
"""

from __future__ import annotations

import gzip
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import psycopg
import pytest
from click.testing import Result
from psycopg import sql
from typer.testing import CliRunner

from cli.app import app
from core.db import connect
from core.dbt_results import dbt_results_of_run
from core.settings import PROJECT_DIR, get_settings
from ingest.contract.entities import ENTITIES
from ingest.sources.files.load import load_landing
from orchestration_dagster.defs.ingest.assets import raw_assets
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.lib.names import REFRESH_TAG, raw_asset_key
from tests.built import empty_raw_and_audit
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
    from orchestration_dagster.definitions import defs

    return defs


@dataclass(frozen=True)
class Nightly:
    """`forge-warehouse refresh` over fresh landing files, and the run it left in Dagster."""

    refresh: Result
    home: Path
    landing: Path
    run: dg.DagsterRun
    materializations: list[dg.AssetMaterialization]
    evaluations: list[dg.AssetCheckEvaluation]


def _refresh(env: dict[str, str], *args: str) -> Result:
    """`forge-warehouse refresh ARGS` in this process, with `env` as its environment's changes
    (settings are read again for it, and again after it); logging is left as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, ["refresh", *args])
        finally:
            root.handlers, root.level = handlers, level
            get_settings.cache_clear()
    get_settings.cache_clear()


def _env(home: Path, dsn: str, **more: str) -> dict[str, str]:
    return {
        "WAREHOUSE_DSN": dsn,
        "FORGE_HOME": str(home),
        "FORGE_LANDING_DIR": str(home / "landing"),
        "DAGSTER_HOME": str(home / "dagster"),
        **more,
    }


@pytest.fixture(scope="module")
def nightly(warehouse_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Nightly:
    """The nightly job through the CLI, in this process, from an empty warehouse."""
    empty_raw_and_audit(warehouse_dsn)
    home = tmp_path_factory.mktemp("nightly")
    _write_landing(home / "landing")
    # see _warehouse: a third of user_feedback is bad on purpose
    env = _env(home, warehouse_dsn, FORGE_REJECT_RATE_THRESHOLD="0.5")
    refresh = _refresh(env, "--as-of", "2025-04-01T00:00:00+00:00")
    assert refresh.exit_code == 0, refresh.output[-3000:] + repr(refresh.exception)
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
    return Nightly(refresh, home, home / "landing", run, materializations, evaluations)


def test_nightly_refresh_job_loads_raw_builds_marts_and_evaluates_dbt_checks(
    defs: dg.Definitions, nightly: Nightly, warehouse_dsn: str
) -> None:
    assert "nightly refresh succeeded" in nightly.refresh.output
    assert nightly.run.job_name == "nightly_refresh_job"
    assert nightly.run.status == dg.DagsterRunStatus.SUCCESS
    assert nightly.run.tags[REFRESH_TAG] == "nightly", "the job's own tags, as the schedule's"
    assert nightly.run.tags["forge/trigger"] == "forge-warehouse refresh"
    # --as-of is the marts' reference time, in the run's configuration
    as_of = nightly.run.run_config["resources"]["dbt_vars"]["config"]["as_of"]
    assert as_of == "2025-04-01T00:00:00+00:00"
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
    ), "every dbt test (reconciliations included), reject-rate and source freshness check ran"
    failed = [
        evaluation.asset_check_key.to_user_string()
        for evaluation in evaluations
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed == []


def test_the_summary_counts_this_runs_loads_and_dbt_nodes_each_for_what_they_are(
    nightly: Nightly,
) -> None:
    """Read from the run's events and the dbt results under target/runs/<run id>/, not a log."""
    output = nightly.refresh.output
    results = dbt_results_of_run(PROJECT_DIR / "dbt_project", nightly.run.run_id)

    assert results is not None and results.succeeded
    # the console wraps long lines and keeps the space before each break
    assert results.summary_line() in " ".join(output.split())
    assert "6 exposures" in output and "no-op" not in output
    assert re.search(r"user_feedback\s+│\s+2\s+│\s+1\s+│\s+2\s+│\s+1\s+│", output), output
    assert "1 rejected: line is not valid JSON" in output


def test_the_refresh_prints_a_summary_and_keeps_the_runs_output_in_its_log(
    nightly: Nightly,
) -> None:
    output = nightly.refresh.output
    (log,) = (nightly.home / "logs").glob("refresh-*.log")
    text = log.read_text()

    assert "START" not in output and "ASSET_MATERIALIZATION" not in output, (
        "no dbt or Dagster lines"
    )
    assert "superseded" not in (output + text).lower()
    assert "feedback.jsonl: 3 lines read, 2 loaded, 1 rejected" in text
    assert "ASSET_CHECK_EVALUATION" in text, "Dagster's event lines, for a person to read"


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


def test_a_refresh_whose_gate_fails_exits_1_naming_the_failed_check(
    clean_warehouse: str, tmp_path: Path
) -> None:
    _write_jsonl(
        tmp_path / "landing" / "user_feedback" / "mostly_bad.jsonl",
        [record("user_feedback"), b"{not json", b"[1, 2]"],
    )

    result = _refresh(_env(tmp_path, clean_warehouse))  # the default 5% gate

    assert result.exit_code == 1, result.output
    assert "nightly refresh FAILED" in result.output
    failed = [line for line in result.output.splitlines() if "failed:" in line]
    assert failed and "raw/dataforge/user_feedback" in failed[0], result.output
    assert "rejected more than 5.0%" in result.output


def test_source_freshness_judges_each_raw_table_by_its_last_load(
    defs: dg.Definitions, warehouse_dsn: str, tmp_path: Path
) -> None:
    """dbt source freshness, run in this process by the check step: events last loaded 30 h
    ago warn, feedback loaded 3 days ago fails at dbt's error level; the others pass."""
    empty_raw_and_audit(warehouse_dsn)
    for entity in ENTITIES:
        _write_jsonl(tmp_path / "landing" / entity / "one.jsonl", [record(entity)])
    with connect(warehouse_dsn) as conn:
        load_landing(conn, tmp_path / "landing")
    aged = {"orchestration_events": "30 hours", "user_feedback": "3 days"}
    with psycopg.connect(warehouse_dsn) as conn:
        for table, age in aged.items():
            conn.execute(
                sql.SQL("update {} set _loaded_at = now() - %s::interval").format(
                    sql.Identifier("raw", table)
                ),
                (age,),
            )
    job = defs.resolve_job_def("nightly_refresh_job")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance, op_selection=["dbt_source_freshness_checks"], raise_on_error=False
        )
    evaluations = {
        evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()
    }
    assert len(evaluations) == len(ENTITIES)
    events = evaluations["raw_orchestration_events_source_fresh"]
    assert not events.passed and events.severity == dg.AssetCheckSeverity.WARN
    assert events.metadata["dbt_status"].value == "warn"
    assert 29.9 < events.metadata["hours_since_last_load"].value < 31
    feedback = evaluations["raw_user_feedback_source_fresh"]
    assert not feedback.passed and feedback.severity == dg.AssetCheckSeverity.ERROR
    assert "dbt source freshness says error" in str(feedback.description)
    others = set(evaluations) - {
        "raw_orchestration_events_source_fresh",
        "raw_user_feedback_source_fresh",
    }
    assert all(evaluations[name].passed for name in others), evaluations
