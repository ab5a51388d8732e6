"""The Dagster code location: composes what defs/ provides and applies global policy."""

import dagster as dg

from orchestration_dagster.defs.dbt.assets import forge_dbt_assets
from orchestration_dagster.defs.dbt.resources import dbt_resource
from orchestration_dagster.defs.ingest.assets import raw_assets
from orchestration_dagster.defs.ingest.resources import warehouse_resource
from orchestration_dagster.defs.schedules import nightly_refresh_job, nightly_refresh_schedule

defs = dg.Definitions(
    assets=[*raw_assets, forge_dbt_assets],
    jobs=[nightly_refresh_job],
    schedules=[nightly_refresh_schedule],
    resources={"warehouse": warehouse_resource, "dbt": dbt_resource},
    # Two cores, and the job is one ingest step per raw table then one dbt build:
    # steps run one after another in the run's own process.
    executor=dg.in_process_executor,
)
