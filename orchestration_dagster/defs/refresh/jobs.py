"""The nightly refresh: every raw table's new files, then `dbt build` with its tests as checks.

Its runs carry the refresh tag, so the run queue never lets two of them (or a nightly and a
landing-sensor run) overlap; `forge-warehouse refresh` runs the same job, in its own process.
"""

import dagster as dg

from orchestration_dagster.lib.names import REFRESH_TAG

NIGHTLY_TAGS = {
    REFRESH_TAG: "nightly",
    # a run whose process died (not one whose step failed) is re-executed once, from the
    # assets that did not complete (needs run_retries enabled in dagster.yaml)
    "dagster/max_retries": "1",
    "dagster/retry_on_asset_or_op_failure": "false",
    "dagster/retry_strategy": "FROM_ASSET_FAILURE",
}

nightly_refresh_job = dg.define_asset_job(
    name="nightly_refresh_job",
    selection=dg.AssetSelection.all(),
    tags=NIGHTLY_TAGS,
    description=(
        "Load every raw table's new landing files, check their reject rates and freshness, "
        "then `dbt build` with the tests as checks."
    ),
)
