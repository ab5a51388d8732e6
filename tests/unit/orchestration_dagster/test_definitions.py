"""The code location as a whole: it loads fast without a database, its assets and checks are the
reviewed list, the sensors and schedule wait for FORGE_AUTOMATION, the instance is configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from core.settings import PROJECT_DIR, get_settings

SNAPSHOT = Path(__file__).with_name("definitions.snapshot.txt")
DAGSTER_YAML = PROJECT_DIR / "orchestration_dagster" / "dagster.yaml"
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
repository = defs.get_repository_def()
print(json.dumps({
    "libraries_s": libraries - started,
    "definitions_s": loaded - libraries,
    "timezone": defs.resolve_schedule_def("nightly_refresh_schedule").execution_timezone,
    "pgserver_imported": "pgserver" in sys.modules,
    "statuses": sorted(
        {s.name: s.default_status.value for s in repository.sensor_defs}.items()
    ) + [("nightly_refresh_schedule", repository.get_schedule_def(
        "nightly_refresh_schedule").default_status.value)],
}))
"""


def _load(tmp_path: Path, **env: str) -> dict[str, Any]:
    """Import the code location in a fresh process, with `env`, and report on it."""
    environment = {
        **os.environ,
        "WAREHOUSE_DSN": UNREACHABLE_DSN,
        "DAGSTER_HOME": str(tmp_path),
        **env,
    }
    environment.pop("DAGSTER_IS_DEV_CLI", None)  # `dagster dev` re-parses the dbt project on load
    if "FORGE_AUTOMATION" not in env:
        environment.pop("FORGE_AUTOMATION", None)
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    completed = subprocess.run(
        [sys.executable, "-c", _LOAD_SCRIPT],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def test_definitions_load_fast_without_a_database_in_the_configured_timezone(
    tmp_path: Path,
) -> None:
    report = _load(tmp_path, FORGE_SCHEDULE_TIMEZONE="Europe/Amsterdam", FORGE_AUTOMATION="on")

    print(f"import: libraries {report['libraries_s']:.2f} s, ours {report['definitions_s']:.2f} s")
    assert report["definitions_s"] < DEFINITIONS_BUDGET_SECONDS, report
    assert report["libraries_s"] + report["definitions_s"] < TOTAL_BUDGET_SECONDS, report
    assert report["timezone"] == "Europe/Amsterdam"
    assert not report["pgserver_imported"], "loading definitions must not start a database"
    # production: FORGE_AUTOMATION=on starts every sensor and the schedule
    assert dict(report["statuses"]) == {
        "landing_files_sensor": "RUNNING",
        "marts_freshness_sensor": "RUNNING",
        "missed_freshness_sensor": "RUNNING",
        "run_failure_sensor": "RUNNING",
        "run_history_success_sensor": "RUNNING",
        "run_history_failure_sensor": "RUNNING",
        "run_history_canceled_sensor": "RUNNING",
        "nightly_refresh_schedule": "RUNNING",
    }


def test_sensors_and_the_schedule_start_stopped_unless_forge_automation_is_on(
    defs: dg.Definitions,
) -> None:
    """Looking never changes anything: `make dev` shows them stopped (this process loaded the
    definitions with the test run's environment; tests/integration/test_dagster_dev.py checks
    the UI of `make dev` itself)."""
    repository = defs.get_repository_def()
    expected = "RUNNING" if get_settings().automation else "STOPPED"

    statuses = [sensor.default_status.value for sensor in repository.sensor_defs]
    statuses.append(repository.get_schedule_def("nightly_refresh_schedule").default_status.value)

    assert len(statuses) == 8 and set(statuses) == {expected}


def _snapshot(defs: dg.Definitions) -> list[str]:
    graph = defs.resolve_asset_graph()
    assets = sorted(key.to_user_string() for key in graph.get_all_asset_keys())
    checks = sorted(key.to_user_string() for key in graph.asset_check_keys)
    return ["# assets", *assets, "# checks", *checks]


def test_asset_keys_and_check_names_are_the_reviewed_list(defs: dg.Definitions) -> None:
    """A rename, a new model or a new test shows here in review. After a deliberate change:
    FORGE_UPDATE_SNAPSHOT=1 pytest tests/unit/orchestration_dagster/test_definitions.py"""
    current = _snapshot(defs)
    if os.environ.get("FORGE_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text("\n".join(current) + "\n", encoding="utf-8")
    assert current == SNAPSHOT.read_text(encoding="utf-8").splitlines()


def test_the_location_holds_the_nightly_job_its_two_schedules_and_the_seven_sensors(
    defs: dg.Definitions,
) -> None:
    repository = defs.get_repository_def()

    assert {job.name for job in repository.get_all_jobs()} >= {"nightly_refresh_job"}
    assert sorted(schedule.name for schedule in repository.schedule_defs) == [
        "full_data_tests_schedule",
        "nightly_refresh_schedule",
    ]
    assert {sensor.name for sensor in repository.sensor_defs} == {
        "landing_files_sensor",
        "marts_freshness_sensor",
        "run_failure_sensor",
        "missed_freshness_sensor",
        "run_history_success_sensor",
        "run_history_failure_sensor",
        "run_history_canceled_sensor",
    }
    assert set(defs.resources or {}) == {"warehouse", "dbt", "dbt_vars", "alerts"}


def test_the_instance_queues_refresh_runs_one_at_a_time_and_pools_one_step(
    instance: dg.DagsterInstance,
) -> None:
    from dagster._utils.tags import TagConcurrencyLimitsCounter

    from orchestration_dagster.lib.names import REFRESH_TAG

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


def test_the_instance_sends_no_telemetry_and_shows_no_pop_up(instance: dg.DagsterInstance) -> None:
    assert not instance.telemetry_enabled
    assert not instance.nux_enabled


@pytest.mark.parametrize("name", ["nightly_refresh_job"])
def test_the_nightly_job_runs_every_asset_and_check_in_process(
    defs: dg.Definitions, name: str
) -> None:
    from orchestration_dagster.lib.names import REFRESH_TAG

    job = defs.resolve_job_def(name)
    graph = defs.resolve_asset_graph()

    # everything but the audit views dbt reads (external: nothing here materializes them)
    assert job.asset_layer.selected_asset_keys == graph.materializable_asset_keys
    assert job.asset_layer.asset_graph.asset_check_keys == graph.asset_check_keys
    assert job.executor_def is dg.in_process_executor
    assert job.tags[REFRESH_TAG] == "nightly"
    assert job.partitions_def is None, "a nightly run is a run, not a day (see defs/dbt/assets.py)"
