"""The landing sensor without a database: it says why it starts nothing. (With files to load it
asks audit.loads first: tests/integration/test_dagster_landing.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from orchestration_dagster.defs.ingest.resources import WarehouseResource


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


def test_landing_sensor_skips_with_the_reason_when_there_is_no_landing_directory(
    defs: dg.Definitions, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    result = _evaluate(defs, instance, tmp_path / "missing", None)

    assert not result.run_requests
    assert result.skip_message and "does not exist" in result.skip_message


def test_landing_sensor_skips_an_empty_landing_directory_without_asking_the_warehouse(
    defs: dg.Definitions, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    (tmp_path / "landing" / "user_feedback").mkdir(parents=True)

    result = _evaluate(defs, instance, tmp_path / "landing", None)

    assert not result.run_requests
    assert result.skip_message and "no new files" in result.skip_message
    assert json.loads(result.cursor or "") == {}
