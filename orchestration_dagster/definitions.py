"""The Dagster code location: composes what defs/ provides and applies global policy."""

import dagster as dg

from orchestration_dagster.defs.alerts.resources import alert_resource
from orchestration_dagster.defs.alerts.sensors import missed_freshness_sensor, run_failure_sensor
from orchestration_dagster.defs.dbt.assets import dbt_assets_defs
from orchestration_dagster.defs.dbt.checks import marts_freshness_checks, source_freshness_checks
from orchestration_dagster.defs.dbt.resources import (
    DbtVarsResource,
    FreshnessResource,
    dbt_resource,
)
from orchestration_dagster.defs.dbt.sensors import marts_freshness_sensor
from orchestration_dagster.defs.ingest.assets import raw_assets
from orchestration_dagster.defs.ingest.resources import warehouse_resource
from orchestration_dagster.defs.ingest.sensors import landing_files_sensor
from orchestration_dagster.defs.schedules import nightly_refresh_job, nightly_refresh_schedule

defs = dg.Definitions(
    assets=[*raw_assets, *dbt_assets_defs],
    asset_checks=[source_freshness_checks, marts_freshness_checks],
    jobs=[nightly_refresh_job],
    schedules=[nightly_refresh_schedule],
    sensors=[
        landing_files_sensor,
        marts_freshness_sensor,
        run_failure_sensor,
        missed_freshness_sensor,
    ],
    resources={
        "warehouse": warehouse_resource,
        "dbt": dbt_resource,
        "dbt_vars": DbtVarsResource(),
        "freshness": FreshnessResource(),
        "alerts": alert_resource,
    },
    # Two cores, and a run is a few ingest steps then dbt: steps run one after another in the
    # run's own process. Retries (transient database errors only, with backoff) are set on each
    # asset and check (defs/retries.py), so runs started by sensors and by hand retry too.
    executor=dg.in_process_executor,
)
