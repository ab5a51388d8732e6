"""Every dbt model, seed and snapshot as an asset, built by one `dbt build` (tests are checks)."""

import json
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from pydantic import Field

from ingest.common.db import dbt_env
from ingest.common.settings import get_settings
from orchestration_dagster.defs.dbt.resources import dbt_project, environment
from orchestration_dagster.defs.dbt.translator import ForgeDbtTranslator
from orchestration_dagster.defs.ingest.resources import WarehouseResource


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt build."""

    as_of: str | None = Field(
        default=None,
        description=(
            "Reference time of the marts' relative windows (ISO 8601); default: FORGE_AS_OF, "
            "else the build's start."
        ),
    )


def build_args(as_of: str | None) -> list[str]:
    """The dbt command line: `build`, with the `as_of` var when one is configured."""
    args = ["build"]
    if as_of:
        args += ["--vars", json.dumps({"as_of": as_of})]
    return args


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ForgeDbtTranslator(),
    name="forge_dbt_assets",
)
def forge_dbt_assets(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtBuildConfig,
) -> Iterator[Any]:
    """`dbt build` against the warehouse the raw assets loaded."""
    dsn = warehouse.prepared_dsn()
    configured = get_settings().as_of
    as_of = config.as_of or (configured.isoformat() if configured else None)
    with environment(dbt_env(dsn)):
        invocation = dbt.cli(build_args(as_of), context=context)
    yield from invocation.stream()
