"""The Dagster code location: loads fast without a database, and holds what the night needs.

No database here: definitions, schedule and sensor evaluation (with their cursors), the check
and retry rules, the freshness deadline, the alerts' text, the instance configuration.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import psycopg
import pytest

from core.exceptions import WarehouseUnavailableError
from core.settings import PROJECT_DIR, get_settings
from ingest.batch import BatchResult
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
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.defs.nightly import REFRESH_TAG, latest_deadline, refresh_window
from orchestration_dagster.defs.retries import is_transient_message, transient_cause

# The snapshot of asset keys: a rename or a new model shows up here in review.
EXPECTED_ASSET_KEYS = [
    "intermediate/int_activity_aggregated_to_sessions",
    "intermediate/int_project_builds",
    "intermediate/int_project_outcomes_selected_for_history",
    "intermediate/int_session_templates_unpivoted",
    "intermediate/int_sessions_selected_for_history",
    "intermediate/int_templates_ranked",
    "marts/deployment_correlations",
    "marts/developer_costs",
    "marts/developer_productivity",
    "marts/dim_dates",
    "marts/dim_developers",
    "marts/dim_metrics",
    "marts/dim_patterns",
    "marts/dim_projects",
    "marts/dim_templates",
    "marts/estimation_accuracy",
    "marts/fct_events",
    "marts/fct_events_daily",
    "marts/fct_feedback",
    "marts/fct_phase_execution_costs",
    "marts/fct_phase_executions",
    "marts/fct_project_builds",
    "marts/fct_session_costs",
    "marts/fct_sessions",
    "marts/fct_template_uses",
    "marts/feature_complexity_analysis",
    "marts/feedback_training_set",
    "marts/language_combination_outcomes",
    "marts/metric_values",
    "marts/metrics_daily",
    "marts/pattern_analytics",
    "marts/pattern_details",
    "marts/pattern_popularity_weekly",
    "marts/pattern_recommendations",
    "marts/phase_funnel",
    "marts/phase_performance",
    "marts/template_costs",
    "marts/template_metrics",
    "raw/dataforge/project_outcomes",
    "raw/dataforge/user_feedback",
    "raw/prompt_runner/orchestration_code_metrics",
    "raw/prompt_runner/orchestration_events",
    "raw/prompt_runner/orchestration_phase_metrics",
    "raw/prompt_runner/orchestration_sessions",
    "snapshots/orchestration_sessions_snapshot",
    "snapshots/project_outcomes_snapshot",
    "staging/base_dataforge__project_outcomes",
    "staging/base_prompt_runner__orchestration_code_metrics",
    "staging/base_prompt_runner__orchestration_events",
    "staging/base_prompt_runner__orchestration_phase_metrics",
    "staging/base_prompt_runner__orchestration_sessions",
    "staging/llm_model_prices",
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
DAGSTER_YAML = PROJECT_DIR / "orchestration_dagster" / "dagster.yaml"
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]

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


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> dg.DagsterInstance:
    """A persistent instance (schedule and sensor contexts want one) configured as in dev."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(DAGSTER_YAML.read_text())
    return dg.DagsterInstance.from_config(str(home))


# --- the code location ------------------------------------------------------------------


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


def test_sensors_and_schedule_are_on_by_default(defs: dg.Definitions) -> None:
    repository = defs.get_repository_def()
    sensors = {sensor.name: sensor for sensor in repository.sensor_defs}

    assert set(sensors) == {
        "landing_files_sensor",
        "marts_freshness_sensor",
        "run_failure_sensor",
        "missed_freshness_sensor",
    }
    for sensor in sensors.values():
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING, sensor.name
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_nightly_refresh_job_runs_everything_but_the_deadline_checks_in_process(
    defs: dg.Definitions,
) -> None:
    job = defs.resolve_job_def("nightly_refresh_job")
    asset_graph = defs.resolve_asset_graph()
    deadline_checks = {
        key for key in asset_graph.asset_check_keys if key.name.endswith("_refreshed_by_deadline")
    }

    assert job.asset_layer.selected_asset_keys == asset_graph.get_all_asset_keys()
    assert deadline_checks, "each mart has a deadline check"
    assert job.asset_layer.asset_graph.asset_check_keys == (
        asset_graph.asset_check_keys - deadline_checks
    )
    assert job.executor_def is dg.in_process_executor
    assert job.tags[REFRESH_TAG] == "nightly"


def test_nightly_refresh_schedule_runs_the_job_at_two_in_the_settings_timezone(
    defs: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    zone = get_settings().schedule_timezone
    tick = dt.datetime(2026, 3, 2, 2, 0, tzinfo=ZoneInfo(zone))

    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )
    data = schedule.evaluate_tick(context)

    assert schedule.job_name == "nightly_refresh_job"
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == zone
    assert data.run_requests is not None and len(data.run_requests) == 1
    request = data.run_requests[0]
    assert request.run_key == f"nightly-{tick.isoformat()}"
    assert request.tags[REFRESH_TAG] == "nightly"
    job = defs.resolve_job_def("nightly_refresh_job")
    expected_day = (tick.astimezone(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
    assert request.partition_key == (expected_day if job.partitions_def is not None else None)


def test_a_nightly_run_targets_the_last_whole_utc_day_when_events_are_partitioned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration_dagster.defs import schedules

    monkeypatch.setattr(schedules, "_PARTITIONED", True)
    tokyo_two = dt.datetime(2026, 3, 2, 2, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    la_two = dt.datetime(2026, 3, 2, 2, 0, tzinfo=ZoneInfo("America/Los_Angeles"))

    assert schedules.nightly_partition_key(tokyo_two) == "2026-02-28"  # 17:00 UTC on 1 Mar
    assert schedules.nightly_partition_key(la_two) == "2026-03-01"  # 10:00 UTC on 2 Mar
    # before the first daily partition, the run is labelled with that first day
    assert schedules.nightly_partition_key(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) == "2025-01-01"
    monkeypatch.setattr(schedules, "_PARTITIONED", False)
    assert schedules.nightly_partition_key(la_two) is None


def test_every_raw_table_has_an_asset_in_group_raw_with_its_pool_and_retries(
    defs: dg.Definitions,
) -> None:
    asset_graph = defs.resolve_asset_graph()
    for entity in ENTITIES.values():
        key = dg.AssetKey(["raw", entity.system, entity.name])
        assert asset_graph.has(key), key
        assert asset_graph.get(key).group_name == "raw"
        assets = asset_graph.assets_def_for_key(key)
        assert assets.op.pool == f"forge_raw_{entity.name}"
        assert assets.op.retry_policy is not None
        assert assets.op.retry_policy.backoff == dg.Backoff.EXPONENTIAL


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


def test_dbt_models_are_grouped_by_their_folder(defs: dg.Definitions) -> None:
    asset_graph = defs.resolve_asset_graph()
    groups = {
        asset_graph.get(key).group_name
        for key in asset_graph.get_all_asset_keys()
        if key.path[0] != "raw"
    }

    assert (
        {"staging", "intermediate", "marts"}
        <= groups
        <= {
            "staging",
            "intermediate",
            "marts",
            "snapshots",
            "seeds",
        }
    )


def test_every_dbt_test_is_a_check_blocking_exactly_when_its_severity_is_error(
    defs: dg.Definitions, manifest: dict[str, Any]
) -> None:
    specs = {
        spec.metadata["dagster_dbt/unique_id"]: spec
        for assets in defs.resolve_asset_graph().assets_defs
        for spec in assets.check_specs
        if "dagster_dbt/unique_id" in spec.metadata
    }
    tests = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "test"
        # a singular test over several models has no single asset: dbt still gates on it
        and (node.get("attached_node") or len(node["depends_on"]["nodes"]) == 1)
    }

    assert set(tests) <= set(specs), "a dbt test is not an asset check"
    severities = set()
    for unique_id, node in tests.items():
        severity = node["config"]["severity"].lower()
        severities.add(severity)
        assert specs[unique_id].blocking == (severity == "error"), unique_id
    assert severities == {"error", "warn"}, "both kinds are present to be checked"


def test_each_raw_table_has_a_blocking_reject_rate_check_and_a_source_freshness_check(
    defs: dg.Definitions, manifest: dict[str, Any]
) -> None:
    checks = {
        key: spec for key, spec in _check_specs(defs).items() if key.asset_key.path[0] == "raw"
    }
    for entity in ENTITIES.values():
        asset = dg.AssetKey(["raw", entity.system, entity.name])
        reject = checks[dg.AssetCheckKey(asset, f"raw_{entity.name}_reject_rate_below_threshold")]
        fresh = checks[dg.AssetCheckKey(asset, f"raw_{entity.name}_source_fresh")]
        assert reject.blocking
        assert not fresh.blocking, "a stale source warns or alerts; it does not stop the night"


def test_each_mart_has_a_deadline_check(defs: dg.Definitions) -> None:
    asset_graph = defs.resolve_asset_graph()
    marts = {
        k for k in asset_graph.get_all_asset_keys() if asset_graph.get(k).group_name == "marts"
    }
    deadline = {
        key.asset_key for key in asset_graph.asset_check_keys if key.name.endswith("_by_deadline")
    }

    assert marts and deadline == marts


def _check_specs(defs: dg.Definitions) -> dict[dg.AssetCheckKey, dg.AssetCheckSpec]:
    repository = defs.get_repository_def()
    specs = {
        spec.key: spec
        for assets in repository.asset_graph.assets_defs
        for spec in assets.check_specs
    }
    for checks in repository.asset_checks_defs_by_key.values():
        for spec in checks.check_specs:
            specs[spec.key] = spec
    return specs


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


# --- dbt: arguments, event partitions ----------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "exclude", "tests", "args"),
    [
        ({}, [], [], ["build", *NO_UNIT_TESTS]),
        (
            {"as_of": "2026-01-01T00:00:00Z"},
            [],
            [],
            ["build", *NO_UNIT_TESTS, "--vars", '{"as_of": "2026-01-01T00:00:00Z"}'],
        ),
        (
            {"reprocess_to": "2026-01-03", "reprocess_from": "2026-01-01"},
            ["fqn:p.staging.a", "fqn:p.marts.b"],
            ["fqn:p.marts.t1"],
            [
                "build",
                *NO_UNIT_TESTS,
                "--vars",
                '{"reprocess_from": "2026-01-01", "reprocess_to": "2026-01-03"}',
                "--select",
                "fqn:p.marts.t1",
                "--exclude",
                "fqn:p.staging.a fqn:p.marts.b",
            ],
        ),
    ],
)
def test_build_args_carry_vars_tests_and_exclusions_only_when_there_are_some(
    defs: dg.Definitions,
    variables: dict[str, str],
    exclude: list[str],
    tests: list[str],
    args: list[str],
) -> None:
    from orchestration_dagster.defs.dbt.assets import build_args  # needs the manifest

    assert build_args(variables, exclude, tests) == args


def _run_context(tags: dict[str, str], window: tuple[str, str] | None) -> SimpleNamespace:
    """Just what reprocess_vars reads of an asset execution context."""
    start, end = window or ("", "")
    return SimpleNamespace(
        has_partition_key=window is not None and tags.get("range") is None,
        has_partition_key_range=window is not None and tags.get("range") is not None,
        run=SimpleNamespace(tags=tags),
        partition_time_window=SimpleNamespace(
            start=dt.datetime.fromisoformat(start) if start else None,
            end=dt.datetime.fromisoformat(end) if end else None,
        ),
    )


@pytest.mark.parametrize(
    ("tags", "window", "expected"),
    [
        # `dagster job execute`, the landing sensor: no partition, incremental
        ({}, None, {}),
        # the nightly run targets yesterday but builds incrementally (its lookback window)
        ({REFRESH_TAG: "nightly"}, ("2026-03-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00"), {}),
        # days chosen by hand: exactly those days
        (
            {},
            ("2026-03-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00"),
            {"reprocess_from": "2026-03-01", "reprocess_to": "2026-03-02"},
        ),
        # a backfill of a range, even one launched from the nightly job: the whole range, once
        (
            {REFRESH_TAG: "nightly", "dagster/backfill": "abc", "range": "yes"},
            ("2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"),
            {"reprocess_from": "2026-02-01", "reprocess_to": "2026-03-01"},
        ),
    ],
)
def test_reprocess_vars_rebuild_chosen_days_and_leave_the_nightly_incremental(
    defs: dg.Definitions,
    tags: dict[str, str],
    window: tuple[str, str] | None,
    expected: dict[str, str],
) -> None:
    from orchestration_dagster.defs.dbt.assets import reprocess_vars

    assert reprocess_vars(_run_context(tags, window)) == expected  # type: ignore[arg-type]


def test_with_incremental_models_dbt_is_partitioned_by_day_and_backfilled_in_one_run(
    defs: dg.Definitions, manifest: dict[str, Any]
) -> None:
    """Issue 4's incremental models can rebuild chosen days: dbt's assets are then daily."""
    from orchestration_dagster.defs.dbt.assets import EVENT_DAYS, build_dbt_assets

    events = copy.deepcopy(manifest)
    plain = copy.deepcopy(manifest)
    for node in plain["nodes"].values():
        if _is_incremental(node):
            node["config"]["materialized"] = "table"
    if not any(_is_incremental(node) for node in events["nodes"].values()):
        for node in events["nodes"].values():  # older manifests: make the event models so
            if node["resource_type"] == "model" and node["name"].endswith("orchestration_events"):
                node["config"]["materialized"] = "incremental"

    (daily,) = build_dbt_assets(events)
    (undivided,) = build_dbt_assets(plain)

    assert daily.partitions_def == EVENT_DAYS
    assert daily.backfill_policy == dg.BackfillPolicy.single_run()
    assert undivided.partitions_def is None and undivided.backfill_policy is None
    assert daily.keys == undivided.keys, "one definition, every model"
    job = dg.Definitions(
        assets=[*_raw_assets(), daily],
        jobs=[dg.define_asset_job("everything", selection=dg.AssetSelection.all())],
        resources=defs.resources,
    ).resolve_job_def("everything")
    assert job.partitions_def == EVENT_DAYS
    assert [node.name for node in job.graph.nodes if "dbt" in node.name] == ["forge_dbt_assets"]


def _is_incremental(node: dict[str, Any]) -> bool:
    return node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"


def _raw_assets() -> list[dg.AssetsDefinition]:
    from orchestration_dagster.defs.ingest.assets import raw_assets

    return raw_assets


def test_environment_sets_variables_only_inside_the_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORGE_PG_HOST", "kept")
    monkeypatch.delenv("FORGE_PG_DBNAME", raising=False)

    with environment({"FORGE_PG_HOST": "inside", "FORGE_PG_DBNAME": "inside"}):
        assert (os.environ["FORGE_PG_HOST"], os.environ["FORGE_PG_DBNAME"]) == ("inside", "inside")

    assert os.environ["FORGE_PG_HOST"] == "kept"
    assert "FORGE_PG_DBNAME" not in os.environ


# --- ingest: outcomes, reject rates -----------------------------------------------------


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


def test_reject_rate_fails_only_above_the_threshold_worst_batch_first() -> None:
    from orchestration_dagster.defs.ingest.checks import BatchRejects, evaluate_reject_rates

    fine = BatchRejects("b1", "a.jsonl", 100, 5)  # exactly at 5%: passes
    bad = BatchRejects("b2", "b.jsonl", 10, 2)
    worse = BatchRejects("b3", "c.jsonl", 4, 2)
    empty = BatchRejects("b4", "d.jsonl", 0, 0)

    assert evaluate_reject_rates([fine, empty], 0.05) == (True, [])
    assert evaluate_reject_rates([fine, bad, worse, empty], 0.05) == (False, [worse, bad])
    assert evaluate_reject_rates([fine, bad, worse], 0.5) == (True, [])


def test_the_reject_rate_threshold_comes_from_the_resource_else_the_settings() -> None:
    assert WarehouseResource().settings().reject_rate_threshold == (
        get_settings().reject_rate_threshold
    )
    assert WarehouseResource(reject_rate_threshold=0.2).settings().reject_rate_threshold == 0.2


# --- retries ------------------------------------------------------------------------------


def _wrapped(error: psycopg.Error) -> WarehouseUnavailableError:
    """What ingest raises: its own sentence, `from None`, the database error behind it."""
    try:
        raise error
    except psycopg.Error:
        try:
            raise WarehouseUnavailableError("lost the warehouse connection") from None
        except WarehouseUnavailableError as wrapped:
            return wrapped


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (psycopg.errors.SerializationFailure("could not serialize access"), True),
        (psycopg.errors.DeadlockDetected("deadlock detected"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (psycopg.errors.InvalidPassword("password authentication failed"), False),
        (psycopg.errors.UndefinedTable('relation "raw.x" does not exist'), False),
        (psycopg.errors.CheckViolation("new row violates check constraint"), False),
    ],
)
def test_transient_database_errors_are_found_behind_ingests_own_errors(
    error: psycopg.Error, transient: bool
) -> None:
    assert (transient_cause(error) is not None) == transient
    assert (transient_cause(_wrapped(error)) is not None) == transient
    assert transient_cause(ValueError("bad")) is None


@pytest.mark.parametrize(
    ("message", "transient"),
    [
        ("Database Error in model x (models/x.sql)\n  deadlock detected", True),
        ("could not serialize access due to concurrent update", True),
        ("connection to server at 1.2.3.4 failed: server closed the connection unexpectedly", True),
        ("could not connect to server: Connection refused", True),
        ('connection to server failed: FATAL: password authentication failed for user "x"', False),
        ("Database Error in model y\n  division by zero", False),
        ("Compilation Error in model z", False),
    ],
)
def test_transient_dbt_messages(message: str, transient: bool) -> None:
    assert is_transient_message(message) == transient


# --- freshness ---------------------------------------------------------------------------


def test_the_refresh_window_runs_from_the_nightly_start_to_the_latest_deadline() -> None:
    zone = "Europe/Amsterdam"
    six = dt.time(6, 0)
    tz = ZoneInfo(zone)

    before = dt.datetime(2026, 3, 2, 5, 59, tzinfo=tz)
    after = dt.datetime(2026, 3, 2, 6, 0, tzinfo=tz)

    assert latest_deadline(before, six, zone) == dt.datetime(2026, 3, 1, 6, 0, tzinfo=tz)
    assert latest_deadline(after, six, zone) == dt.datetime(2026, 3, 2, 6, 0, tzinfo=tz)
    assert refresh_window(after, six, zone) == (
        dt.datetime(2026, 3, 2, 2, 0, tzinfo=tz),
        dt.datetime(2026, 3, 2, 6, 0, tzinfo=tz),
    )
    # a deadline before the nightly start: the window began the evening before
    assert refresh_window(after, dt.time(1, 30), zone) == (
        dt.datetime(2026, 3, 1, 2, 0, tzinfo=tz),
        dt.datetime(2026, 3, 2, 1, 30, tzinfo=tz),
    )


def test_a_mart_is_late_unless_rebuilt_inside_the_window(defs: dg.Definitions) -> None:
    from orchestration_dagster.defs.dbt.checks import deadline_result

    tz = ZoneInfo("UTC")
    window = (dt.datetime(2026, 3, 2, 2, tzinfo=tz), dt.datetime(2026, 3, 2, 6, tzinfo=tz))
    mart = dg.AssetKey(["marts", "pattern_analytics"])

    on_time = deadline_result(mart, dt.datetime(2026, 3, 2, 2, 40, tzinfo=tz), window)
    by_hand_yesterday = deadline_result(mart, dt.datetime(2026, 3, 1, 15, 0, tzinfo=tz), window)
    never = deadline_result(mart, None, window)

    assert on_time.passed
    assert not by_hand_yesterday.passed
    assert by_hand_yesterday.severity == dg.AssetCheckSeverity.ERROR
    assert "did not rebuild marts/pattern_analytics by 2026-03-02 06:00" in (
        by_hand_yesterday.description or ""
    )
    assert "last rebuilt 2026-03-01 15:00" in (by_hand_yesterday.description or "")
    assert not never.passed and "never built" in (never.description or "")


def test_the_deadline_sensor_evaluates_once_after_each_deadline(defs: dg.Definitions) -> None:
    from orchestration_dagster.defs.dbt.sensors import marts_freshness_request

    six = dt.time(6, 0)
    day1 = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)

    first, cursor, why = marts_freshness_request(None, day1, six, "UTC")
    assert first is None and "started" in why  # a fresh instance's marts are not "late"
    again, cursor, why = marts_freshness_request(cursor, day1 + dt.timedelta(hours=3), six, "UTC")
    assert again is None and "already evaluated" in why
    due, cursor, _ = marts_freshness_request(cursor, day1 + dt.timedelta(days=1), six, "UTC")
    assert due is not None
    assert due.run_key == "marts-freshness-2026-03-03T06:00:00+00:00"
    assert due.asset_selection == []
    assert due.asset_check_keys and all(
        key.name.endswith("_refreshed_by_deadline") for key in due.asset_check_keys
    )
    later, _, _ = marts_freshness_request(cursor, day1 + dt.timedelta(days=1, hours=1), six, "UTC")
    assert later is None


def test_source_freshness_maps_dbt_status_to_check_severity(defs: dg.Definitions) -> None:
    from orchestration_dagster.defs.dbt.checks import freshness_result

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


# --- the landing sensor -------------------------------------------------------------------


def _land(landing: Path, entity: str, name: str, lines: int = 1, age_s: float = 120) -> Path:
    path = landing / entity / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'{{"line": {n}}}\n' for n in range(lines)))
    moment = dt.datetime.now().timestamp() - age_s
    os.utime(path, (moment, moment))
    return path


def _evaluate(
    defs: dg.Definitions, instance: dg.DagsterInstance, landing: Path, cursor: str | None
) -> dg.SensorExecutionData:
    sensor = defs.get_repository_def().get_sensor_def("landing_files_sensor")
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        definitions=defs,
        resources={"warehouse": WarehouseResource(landing_dir=str(landing))},
    )
    return sensor.evaluate_tick(context)


def test_landing_sensor_starts_one_load_of_only_the_new_files_and_what_they_feed(
    defs: dg.Definitions, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    feedback = _land(landing, "user_feedback", "a.jsonl")
    outcomes = _land(landing, "project_outcomes", "a.jsonl")
    _land(landing, "project_outcomes", "b.jsonl", age_s=1)  # still being written

    first = _evaluate(defs, instance, landing, None)

    assert first.run_requests is not None and len(first.run_requests) == 1
    request = first.run_requests[0]
    ops = request.run_config["ops"]
    assert ops["raw__dataforge__user_feedback"]["config"]["files"] == [str(feedback.resolve())]
    assert ops["raw__dataforge__project_outcomes"]["config"]["files"] == [str(outcomes.resolve())]
    selected = {key.to_user_string() for key in request.asset_selection or []}
    assert {"raw/dataforge/user_feedback", "raw/dataforge/project_outcomes"} <= selected
    assert "staging/stg_dataforge__user_feedback" in selected
    assert "marts/pattern_analytics" in selected
    assert not any(key.startswith("raw/prompt_runner") for key in selected)
    assert not any(key.startswith("staging/stg_prompt_runner") for key in selected)
    checks = {key.name for key in request.asset_check_keys or []}
    assert "raw_user_feedback_reject_rate_below_threshold" in checks
    assert not any(name.endswith("_refreshed_by_deadline") for name in checks)
    assert request.tags[REFRESH_TAG] == "landing"
    assert request.run_key and request.run_key.startswith("landing-")

    # the same files never trigger twice; the settled one does, alone
    os.utime(landing / "project_outcomes" / "b.jsonl", (1, dt.datetime.now().timestamp() - 60))
    second = _evaluate(defs, instance, landing, first.cursor)
    assert second.run_requests is not None and len(second.run_requests) == 1
    assert list(second.run_requests[0].run_config["ops"]) == ["raw__dataforge__project_outcomes"]
    third = _evaluate(defs, instance, landing, second.cursor)
    assert not third.run_requests
    assert third.skip_message and "no new files" in third.skip_message

    # a file whose content changed is a new delivery
    _land(landing, "user_feedback", "a.jsonl", lines=3)
    fourth = _evaluate(defs, instance, landing, third.cursor)
    assert fourth.run_requests is not None and len(fourth.run_requests) == 1
    assert fourth.run_requests[0].run_key not in {first.run_requests[0].run_key}


def test_landing_sensor_run_key_is_the_files_so_a_lost_cursor_cannot_load_twice(
    defs: dg.Definitions, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    _land(landing, "user_feedback", "a.jsonl")

    once = _evaluate(defs, instance, landing, None)
    again = _evaluate(defs, instance, landing, None)

    assert once.run_requests and again.run_requests
    assert once.run_requests[0].run_key == again.run_requests[0].run_key


def test_landing_sensor_skips_with_the_reason_when_there_is_no_landing_directory(
    defs: dg.Definitions, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    result = _evaluate(defs, instance, tmp_path / "missing", None)

    assert not result.run_requests
    assert result.skip_message and "does not exist" in result.skip_message


# --- alerts, the instance ----------------------------------------------------------------


def test_alerts_are_one_link_free_line() -> None:
    from orchestration_dagster.defs.alerts.resources import RUN_FAILURE, Alert

    alert = Alert(
        RUN_FAILURE,
        "raw/dataforge/user_feedback",
        "cannot connect to postgresql://forge:secret@db:5432/forge\nsee https://example.org/x",
        "nightly_refresh_job",
        "0123456789abcdef",
    )

    payload = alert.payload()
    assert "://" not in payload["summary"] and "://" not in payload["reason"]
    assert "secret" not in json.dumps(payload)
    assert "\n" not in payload["summary"]
    assert payload["summary"].startswith("Run failed: raw/dataforge/user_feedback — cannot connect")
    assert payload["kind"] == "run_failure" and payload["run_id"] == "0123456789abcdef"


def test_the_instance_queues_refresh_runs_one_at_a_time_and_pools_one_step(
    instance: dg.DagsterInstance,
) -> None:
    from dagster._utils.tags import TagConcurrencyLimitsCounter

    config = instance.get_concurrency_config()
    assert config.pool_config.default_pool_limit == 1
    assert config.run_queue_config is not None
    limits = config.run_queue_config.tag_concurrency_limits

    def run(tags: dict[str, str]) -> dg.DagsterRun:
        return dg.DagsterRun(job_name="nightly_refresh_job", tags=tags)

    nightly = run({REFRESH_TAG: "nightly"})
    counter = TagConcurrencyLimitsCounter(limits, [nightly])
    assert counter.is_blocked(run({REFRESH_TAG: "nightly"})), "two nightly runs never overlap"
    assert counter.is_blocked(run({REFRESH_TAG: "landing"})), "nor a nightly and a landing run"
    assert not counter.is_blocked(run({})), "a check-only run does not wait"
    assert instance.run_retries_enabled
