"""dbt's assets: one definition over every model, grouped by layer, not partitioned, every dbt
test a check that blocks exactly when its severity is error."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest


def test_dbt_models_are_grouped_by_their_folder(defs: dg.Definitions) -> None:
    asset_graph = defs.resolve_asset_graph()
    groups = {
        asset_graph.get(key).group_name
        for key in asset_graph.get_all_asset_keys()
        if key.path[0] not in ("raw", "watch")  # watch: the warehouse's own bookkeeping
    }

    assert groups == {"staging", "intermediate", "marts", "snapshots", "seeds"}


def test_every_dbt_test_is_a_check_blocking_exactly_when_its_severity_is_error(
    defs: dg.Definitions, manifest: dict[str, Any]
) -> None:
    """Tests of several models (reconciliations) and of a macro too: dbt meta names their asset."""
    specs = {
        spec.metadata["dagster_dbt/unique_id"]: spec
        for assets in defs.resolve_asset_graph().assets_defs
        for spec in assets.check_specs
        if "dagster_dbt/unique_id" in spec.metadata
    }
    tests = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "test"
    }
    several = [uid for uid, node in tests.items() if len(node["depends_on"]["nodes"]) > 1]

    assert set(tests) == set(specs), "a dbt test is not an asset check"
    assert len(several) >= 4, "the reconciliation tests are among them"
    severities = set()
    for unique_id, node in tests.items():
        severity = node["config"]["severity"].lower()
        severities.add(severity)
        assert specs[unique_id].blocking == (severity == "error"), unique_id
    assert severities == {"error", "warn"}, "both kinds are present to be checked"


def test_one_unpartitioned_dbt_definition_with_its_pool_and_retries(
    defs: dg.Definitions,
) -> None:
    dbt_defs = [
        assets
        for assets in defs.resolve_asset_graph().assets_defs
        if any(key.path[0] not in ("raw", "watch") for key in assets.keys)
    ]

    assert len(dbt_defs) == 1, "one `dbt build` per step orders every model"
    (forge_dbt_assets,) = dbt_defs
    assert forge_dbt_assets.op.name == "forge_dbt_assets"
    assert forge_dbt_assets.partitions_def is None
    assert forge_dbt_assets.op.pool == "forge_dbt"
    assert forge_dbt_assets.op.retry_policy is not None


@pytest.mark.parametrize(
    ("config", "valid"),
    [
        ({}, True),
        ({"reprocess_from": "2026-03-01", "reprocess_to": "2026-03-03"}, True),
        ({"reprocess_days": 2}, False),  # not a field: the launchpad says so before a run
    ],
)
def test_a_run_for_chosen_days_is_configured_on_the_dbt_step(
    defs: dg.Definitions, config: dict[str, Any], valid: bool
) -> None:
    job = defs.resolve_job_def("nightly_refresh_job")
    run_config = {"ops": {"forge_dbt_assets": {"config": config}}}

    if valid:
        dg.validate_run_config(job, run_config)
    else:
        with pytest.raises(dg.DagsterInvalidConfigError):
            dg.validate_run_config(job, run_config)
