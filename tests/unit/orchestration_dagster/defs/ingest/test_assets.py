"""The raw tables' assets: one per entity, in group raw, each with its pool, retries and checks,
and each the upstream of its dbt source."""

from __future__ import annotations

from typing import Any

import dagster as dg

from core.settings import get_settings
from ingest.contract.entities import ENTITIES
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.lib.translator import ForgeDbtTranslator


def test_every_raw_table_has_an_asset_in_group_raw_with_its_pool_and_retries(
    defs: dg.Definitions,
) -> None:
    asset_graph = defs.resolve_asset_graph()
    for entity in ENTITIES.values():
        key = dg.AssetKey(["raw", entity.system, entity.name])
        assert asset_graph.has(key), key
        assert asset_graph.get(key).group_name == "raw"
        assets = asset_graph.assets_def_for_key(key)
        assert assets.op.pool == f"forge_raw_{entity.name}"
        assert assets.op.retry_policy is not None
        assert assets.op.retry_policy.backoff == dg.Backoff.EXPONENTIAL


def test_every_dbt_source_maps_to_a_raw_asset_and_every_raw_asset_feeds_dbt(
    defs: dg.Definitions, manifest: dict[str, Any]
) -> None:
    translator = ForgeDbtTranslator()
    asset_graph = defs.resolve_asset_graph()
    raw_keys = {key for key in asset_graph.get_all_asset_keys() if key.path[0] == "raw"}
    source_keys = {translator.get_asset_key(source) for source in manifest["sources"].values()}

    assert source_keys <= raw_keys, "a dbt source has no raw asset"
    assert raw_keys <= source_keys, "a raw table is not declared as a dbt source"
    for key in raw_keys:
        assert asset_graph.get(key).child_keys, f"{key} feeds no dbt model"


def _check_specs(defs: dg.Definitions) -> dict[dg.AssetCheckKey, dg.AssetCheckSpec]:
    repository = defs.get_repository_def()
    specs = {
        spec.key: spec
        for assets in repository.asset_graph.assets_defs
        for spec in assets.check_specs
    }
    for checks in repository.asset_checks_defs_by_key.values():
        for spec in checks.check_specs:
            specs[spec.key] = spec
    return specs


def test_each_raw_table_has_a_blocking_reject_rate_check_and_a_source_freshness_check(
    defs: dg.Definitions,
) -> None:
    checks = {
        key: spec for key, spec in _check_specs(defs).items() if key.asset_key.path[0] == "raw"
    }
    for entity in ENTITIES.values():
        asset = dg.AssetKey(["raw", entity.system, entity.name])
        reject = checks[dg.AssetCheckKey(asset, f"raw_{entity.name}_reject_rate_below_threshold")]
        fresh = checks[dg.AssetCheckKey(asset, f"raw_{entity.name}_source_fresh")]
        assert reject.blocking
        assert not fresh.blocking, "a stale source warns or alerts; it does not stop the night"


def test_the_reject_rate_threshold_comes_from_the_resource_else_the_settings() -> None:
    assert WarehouseResource().settings().reject_rate_threshold == (
        get_settings().reject_rate_threshold
    )
    assert WarehouseResource(reject_rate_threshold=0.2).settings().reject_rate_threshold == 0.2
