"""How dbt nodes become Dagster assets: sources are the raw assets, groups are model folders."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from orchestration_dagster.defs.ingest.assets import raw_asset_key


def layer_of(original_file_path: str) -> str:
    """models/<layer>/... gives <layer> (staging, intermediate, marts); else the top folder."""
    parts = PurePosixPath(original_file_path).parts
    if parts[0] == "models" and len(parts) > 2:
        return parts[1]
    return parts[0]


class ForgeDbtTranslator(DagsterDbtTranslator):
    """dbt source `<source>.<table>` is the raw asset ["raw", <source>, <table>].

    Every dbt test is an asset check, the tests of sources too (on the raw assets).
    """

    def __init__(self, settings: DagsterDbtTranslatorSettings | None = None) -> None:
        super().__init__(
            settings or DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            table = dbt_resource_props.get("identifier") or dbt_resource_props["name"]
            return raw_asset_key(dbt_resource_props["source_name"], table)
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props["original_file_path"])
