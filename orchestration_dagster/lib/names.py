"""The names the areas share: raw assets' keys and group, concurrency pools, run tags."""

from __future__ import annotations

import dagster as dg

# The group of the raw tables' assets; dbt's groups are its layer folders (lib/translator.py).
RAW_GROUP = "raw"

# One dbt build at a time across all runs: two builds would drop each other's relations.
DBT_POOL = "forge_dbt"

# Every run that writes the warehouse carries this tag (value: nightly, landing); the run queue
# lets one such run in progress at a time (orchestration_dagster/dagster.yaml).
REFRESH_TAG = "forge/refresh"

# What a failed dbt step says it failed of, for the alerts (lib/alerts.py) to read.
CAUSE_KEY = "forge/cause"
CAUSE_BLOCKING_CHECKS = "blocking_checks"


def raw_asset_key(system: str, table: str) -> dg.AssetKey:
    """The key of a raw table's asset; the dbt translator maps dbt sources to the same keys."""
    return dg.AssetKey([RAW_GROUP, system, table])


def raw_pool(entity_name: str) -> str:
    """The concurrency pool of an entity's loads: one step at a time across all runs."""
    return f"forge_raw_{entity_name}"
