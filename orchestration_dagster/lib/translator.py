"""How dbt nodes become Dagster assets: sources are the raw assets, groups are layer folders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtProject,
    group_from_dbt_resource_props_fallback_to_directory,
)

from orchestration_dagster.lib.names import raw_asset_key

MARTS_GROUP = "marts"
# Every dbt test is an asset check, the tests of sources too (on the raw assets).
SETTINGS = DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)


class ForgeDbtTranslator(DagsterDbtTranslator):
    """dagster-dbt's translator with three rules of ours, each a line below."""

    def __init__(self, marts_freshness: dg.FreshnessPolicy | None = None) -> None:
        super().__init__(SETTINGS)
        self._marts_freshness = marts_freshness

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        # one rule for every source, instead of an asset_key in each source's dbt meta
        if dbt_resource_props["resource_type"] == "source":
            table = dbt_resource_props.get("identifier") or dbt_resource_props["name"]
            return raw_asset_key(dbt_resource_props["source_name"], table)
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # the layer folder under models/ (dagster-dbt's fallback); snapshots live outside it
        layer = group_from_dbt_resource_props_fallback_to_directory(dbt_resource_props)
        if layer is None and dbt_resource_props["resource_type"] in ("snapshot", "seed"):
            return f"{dbt_resource_props['resource_type']}s"
        return layer

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        # the marts carry the nightly's deadline as Dagster's freshness policy (dagster-dbt's
        # advice: set FreshnessPolicy objects in the translator)
        spec = super().get_asset_spec(manifest, unique_id, project)
        if self._marts_freshness is not None and spec.group_name == MARTS_GROUP:
            return spec.replace_attributes(freshness_policy=self._marts_freshness)
        return spec
