"""The Dagster code location: composes what defs/ provides and applies global policy."""

import dagster as dg

from orchestration_dagster.defs.alerts.resources import alert_resource
from orchestration_dagster.defs.alerts.sensors import (
    marts_freshness_sensor,
    missed_freshness_sensor,
    run_failure_sensor,
)
from orchestration_dagster.defs.dbt.assets import forge_dbt_assets
from orchestration_dagster.defs.dbt.checks import source_freshness_checks
from orchestration_dagster.defs.dbt.resources import DbtVarsResource, dbt_resource
from orchestration_dagster.defs.ingest.assets import raw_assets
from orchestration_dagster.defs.ingest.resources import warehouse_resource
from orchestration_dagster.defs.ingest.sensors import landing_files_sensor
from orchestration_dagster.defs.refresh.jobs import nightly_refresh_job
from orchestration_dagster.defs.refresh.schedules import (
    full_data_tests_schedule,
    nightly_refresh_schedule,
)
from orchestration_dagster.defs.watch.assets import published_metric_values
from orchestration_dagster.defs.watch.checks import metric_history_checks
from orchestration_dagster.defs.watch.sensors import run_history_sensors

defs = dg.Definitions(
    assets=[*raw_assets, forge_dbt_assets, published_metric_values],
    asset_checks=[source_freshness_checks, metric_history_checks],
    jobs=[nightly_refresh_job],
    schedules=[nightly_refresh_schedule, full_data_tests_schedule],
    sensors=[
        landing_files_sensor,
        marts_freshness_sensor,
        run_failure_sensor,
        missed_freshness_sensor,
        *run_history_sensors,
    ],
    resources={
        "warehouse": warehouse_resource,
        "dbt": dbt_resource,
        "dbt_vars": DbtVarsResource(),
        "alerts": alert_resource,
    },
    # Two cores, and a run is a few ingest steps then dbt: steps run one after another in the
    # run's own process. Retries (transient database errors only, with backoff) are set on each
    # asset and check (lib/retries.py), so runs started by sensors and by hand retry too.
    executor=dg.in_process_executor,
)


def nightly_refresh() -> dg.JobDefinition:
    """The nightly job, resolved: what `forge-warehouse refresh` runs with dg.reconstructable."""
    return defs.resolve_job_def(nightly_refresh_job.name)
