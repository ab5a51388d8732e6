"""Every finished run into the warehouse's run history, once Dagster's daemon sees it finish.

One run-status sensor per way a run ends (success, failure, cancel); each hands a run over
once (Dagster's cursor). `forge-warehouse refresh` records its own run (no daemon runs there);
recording twice writes the same rows.
"""

import dagster as dg

from core.settings import get_settings
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.defs.watch.history import record_run
from orchestration_dagster.lib.automation import sensor_status


def _record(context: dg.RunStatusSensorContext, warehouse: WarehouseResource) -> None:
    settings = get_settings()
    recorded = record_run(
        context.instance,
        context.dagster_run.run_id,
        warehouse.dsn_for("the run history"),
        settings.dbt_project_dir / "target",
        settings.dbt_artifact_runs,
    )
    if recorded is not None:
        context.log.info(
            f"run {recorded.run_id} recorded: {len(recorded.steps)} steps, "
            f"{len(recorded.nodes)} dbt nodes; artifacts of {len(recorded.pruned)} older run(s) "
            "deleted"
        )


def _history_sensor(status: dg.DagsterRunStatus) -> dg.SensorDefinition:
    name = f"run_history_{status.value.lower()}_sensor"

    @dg.run_status_sensor(
        name=name,
        run_status=status,
        default_status=sensor_status(),
        description=f"Records each run that ends in {status.value.lower()} in watch.runs.",
    )
    def _sensor(context: dg.RunStatusSensorContext, warehouse: WarehouseResource) -> None:
        _record(context, warehouse)

    return _sensor


run_history_sensors = [
    _history_sensor(status)
    for status in (
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.FAILURE,
        dg.DagsterRunStatus.CANCELED,
    )
]
