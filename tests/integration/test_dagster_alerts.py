"""Alerts, delivered to a real HTTP server on 127.0.0.1, one per thing that went wrong.

- a load whose batch rejected too many lines: the reject-rate check fails, the load's step fails,
  nothing downstream is built, and one alert names the table, the file and the rate;
- a load that failed (a truncated file): one "run failed" alert naming the table and the file;
- marts the nightly refresh did not rebuild by the deadline (their freshness policy, evaluated by
  Dagster's own daemon): one "missed freshness" alert each;
- a webhook that does not answer: the alert is still in the log, and nothing crashes.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import psycopg
import pytest
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import freeze_time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.freshness import FreshnessDaemon

from core.settings import PROJECT_DIR
from orchestration_dagster.defs.alerts.resources import AlertResource
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.lib.alerts import (
    BLOCKING_CHECK_FAILED,
    MISSED_FRESHNESS,
    RUN_FAILURE,
    Alert,
)
from tests.factories import record

pytestmark = pytest.mark.integration

FEEDBACK = dg.AssetKey(["raw", "dataforge", "user_feedback"])
OUTCOMES = dg.AssetKey(["raw", "dataforge", "project_outcomes"])
REJECT_CHECK = "raw_user_feedback_reject_rate_below_threshold"
DAGSTER_YAML = PROJECT_DIR / "orchestration_dagster" / "dagster.yaml"


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from orchestration_dagster.definitions import defs

    return defs


def _raw(defs: dg.Definitions, key: dg.AssetKey) -> dg.AssetsDefinition:
    from orchestration_dagster.defs.ingest.assets import raw_assets

    return next(assets for assets in raw_assets if key in assets.keys)


def _write(path: Path, lines: list[bytes | dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"".join(
            (line if isinstance(line, bytes) else orjson.dumps(line)) + b"\n" for line in lines
        )
    )


def _alert_failed_run(
    instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult, url: str
) -> None:
    from orchestration_dagster.defs.alerts.sensors import run_failure_sensor

    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_sensor",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"alerts": AlertResource(webhook_url=url)},
    ).for_run_failure()
    run_failure_sensor(context)


def test_a_batch_over_the_reject_rate_fails_its_check_and_alerts_once(
    defs: dg.Definitions,
    clean_warehouse: str,
    landing: Path,
    webhook: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = webhook
    _write(
        landing / "user_feedback" / "feedback.jsonl",
        [
            record("user_feedback"),
            b"{not json",
            record("user_feedback", id="7a9c1e3f-5b7d-4f9a-8c2e-4f6a8c0e2a34"),
            record(
                "user_feedback", id="8b0d2f4a-6c8e-4a0b-9d3f-5a7b9c1d3e45", likelihood_to_reuse=11
            ),
        ],
    )
    instance = dg.DagsterInstance.ephemeral()

    result = dg.materialize(
        [_raw(defs, FEEDBACK)],
        resources={"warehouse": WarehouseResource(dsn=clean_warehouse, landing_dir=str(landing))},
        instance=instance,
        raise_on_error=False,
    )

    assert not result.success, "a failed blocking check fails the load's step"
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == REJECT_CHECK]
    assert evaluation.check_name == REJECT_CHECK
    assert not evaluation.passed and evaluation.blocking
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    metadata = {name: value.value for name, value in evaluation.metadata.items()}
    assert metadata["threshold"] == 0.05
    (batch,) = metadata["batches_over_threshold"]
    assert (batch["lines_read"], batch["rows_rejected"], batch["reject_rate"]) == (4, 2, 0.5)
    assert batch["file"].endswith("user_feedback/feedback.jsonl")
    assert sum(metadata["top_reject_reasons"].values()) == 2
    with psycopg.connect(clean_warehouse) as conn:
        kept = conn.execute("select count(*) from raw.user_feedback").fetchone()
    assert kept == (2,), "the accepted rows stay in raw"

    _alert_failed_run(instance, result, url)

    assert len(received) == 1, received
    alert = received[0]
    assert alert["kind"] == BLOCKING_CHECK_FAILED
    assert alert["asset"] == "raw/dataforge/user_feedback"
    assert "feedback.jsonl (2 of 4 new lines, 50.0%)" in alert["reason"], alert["reason"]
    assert "://" not in alert["summary"]


def test_under_a_higher_threshold_the_same_batch_passes(
    defs: dg.Definitions, clean_warehouse: str, landing: Path
) -> None:
    _write(landing / "user_feedback" / "feedback.jsonl", [record("user_feedback"), b"{not json"])

    result = dg.materialize(
        [_raw(defs, FEEDBACK)],
        resources={
            "warehouse": WarehouseResource(
                dsn=clean_warehouse, landing_dir=str(landing), reject_rate_threshold=0.6
            )
        },
        instance=dg.DagsterInstance.ephemeral(),
    )

    assert result.success
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == REJECT_CHECK]
    assert evaluation.passed


def test_a_failed_load_is_one_run_failure_alert_naming_the_table_and_the_file(
    defs: dg.Definitions,
    clean_warehouse: str,
    landing: Path,
    webhook: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = webhook
    truncated = gzip.compress(orjson.dumps(record("project_outcomes")) * 50)[:-20]
    (landing / "project_outcomes").mkdir()
    (landing / "project_outcomes" / "outcomes.jsonl.gz").write_bytes(truncated)
    instance = dg.DagsterInstance.ephemeral()

    result = dg.materialize(
        [_raw(defs, OUTCOMES)],
        resources={"warehouse": WarehouseResource(dsn=clean_warehouse, landing_dir=str(landing))},
        instance=instance,
        raise_on_error=False,
    )
    _alert_failed_run(instance, result, url)

    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(received) == 1, received
    alert = received[0]
    assert alert["kind"] == RUN_FAILURE
    assert alert["asset"] == "raw/dataforge/project_outcomes"
    assert "outcomes.jsonl.gz" in alert["reason"]
    assert alert["summary"].startswith("Run failed: raw/dataforge/project_outcomes")


def _evaluate_freshness_as_the_daemon_does(instance: dg.DagsterInstance, now: dt.datetime) -> None:
    """One iteration of Dagster's freshness daemon over this code location, at `now`."""
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(
            module_name="orchestration_dagster.definitions",
            working_directory=str(PROJECT_DIR),
            attribute="defs",
        ),
        location_name="orchestration_dagster",
    )
    with (
        WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as workspace,
        freeze_time(now),
    ):
        list(FreshnessDaemon().run_iteration(workspace))


# Dagster's own workspace code reads a deprecated schedule property; nothing of ours
@pytest.mark.filterwarnings("ignore:Property `ScheduleDefinition.environment_vars`")
def test_marts_not_rebuilt_by_the_deadline_alert_once_each(
    defs: dg.Definitions, webhook: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Dagster's daemon turns the freshness policy of marts last rebuilt two days ago to FAIL;
    marts_freshness_sensor alerts once per mart; a mart never built is not "late"."""
    url, received = webhook
    (tmp_path / "dagster.yaml").write_text(DAGSTER_YAML.read_text())
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    graph = defs.resolve_asset_graph()
    marts = sorted(
        (key for key in graph.get_all_asset_keys() if graph.get(key).group_name == "marts"),
        key=lambda key: key.to_user_string(),
    )
    never_built, *rebuilt = marts
    for key in rebuilt:  # the last nightly that rebuilt them, now
        instance.report_runless_asset_event(dg.AssetMaterialization(key))
    sensor = defs.get_repository_def().get_sensor_def("marts_freshness_sensor")

    def evaluate(cursor: str | None) -> str | None:
        context = dg.build_sensor_context(
            instance=instance,
            cursor=cursor,
            definitions=defs,
            resources={"alerts": AlertResource(webhook_url=url)},
        )
        return sensor.evaluate_tick(context).cursor

    cursor = evaluate(None)  # the sensor is started; nothing is late yet
    _evaluate_freshness_as_the_daemon_does(instance, dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    cursor = evaluate(cursor)
    evaluate(cursor)  # and once only

    assert len(received) == len(rebuilt), [alert["asset"] for alert in received]
    assert {alert["asset"] for alert in received} == {key.to_user_string() for key in rebuilt}
    assert {alert["kind"] for alert in received} == {MISSED_FRESHNESS}
    assert all(
        "did not rebuild" in alert["reason"] and "last rebuilt" in alert["reason"]
        for alert in received
    )
    assert never_built.to_user_string() not in {alert["asset"] for alert in received}


def test_an_unreachable_webhook_leaves_the_alert_in_the_log_and_raises_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    alert = Alert(RUN_FAILURE, "raw/dataforge/user_feedback", "boom", "nightly_refresh_job", "r1")

    delivered = AlertResource(webhook_url="http://127.0.0.1:9/", timeout_seconds=2).send(alert)

    assert not delivered
    assert "ALERT Run failed: raw/dataforge/user_feedback" in caplog.text
    assert "alert not delivered to the webhook" in caplog.text
