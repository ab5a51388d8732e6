"""dbt nodes as Dagster assets: sources are the raw assets, groups are the layer folders, the
marts carry the nightly's deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dagster as dg
import pytest

from orchestration_dagster.lib.nightly import marts_freshness_policy
from orchestration_dagster.lib.translator import ForgeDbtTranslator


@pytest.mark.parametrize(
    ("fqn", "resource_type", "group"),
    [
        (["forge", "staging", "prompt_runner", "stg_x"], "model", "staging"),
        (["forge", "intermediate", "orchestration", "int_x"], "model", "intermediate"),
        (["forge", "marts", "outcomes", "pattern_analytics"], "model", "marts"),
        (["forge", "orchestration_sessions_snapshot"], "snapshot", "snapshots"),  # not in models/
        (["forge", "top_level_model"], "model", None),  # no layer folder: Dagster's default group
    ],
)
def test_the_group_is_the_layer_folder_under_models(
    fqn: list[str], resource_type: str, group: str | None
) -> None:
    props = {"fqn": fqn, "resource_type": resource_type, "meta": {}, "config": {}}
    assert ForgeDbtTranslator().get_group_name(props) == group


def test_a_dbt_source_is_the_raw_asset_of_its_table() -> None:
    source = {"resource_type": "source", "source_name": "dataforge", "name": "user_feedback"}
    renamed = {**source, "name": "feedback", "identifier": "user_feedback"}

    assert ForgeDbtTranslator().get_asset_key(source) == dg.AssetKey(
        ["raw", "dataforge", "user_feedback"]
    )
    assert ForgeDbtTranslator().get_asset_key(renamed) == dg.AssetKey(
        ["raw", "dataforge", "user_feedback"]
    )


def test_every_mart_and_only_the_marts_carry_the_deadline_policy(
    defs: dg.Definitions, manifest: dict[str, Any]
) -> None:
    from orchestration_dagster.defs.dbt.assets import translator

    graph = defs.resolve_asset_graph()
    with_policy = {key for key in graph.get_all_asset_keys() if graph.get(key).freshness_policy}
    marts = {key for key in graph.get_all_asset_keys() if graph.get(key).group_name == "marts"}

    assert marts and with_policy == marts
    policy = graph.get(next(iter(marts))).freshness_policy
    assert policy == translator._marts_freshness


def test_the_deadline_policy_is_a_daily_cron_with_the_nightly_window() -> None:
    policy = marts_freshness_policy(dt.time(6, 0), "Europe/Amsterdam")

    assert isinstance(policy, dg.FreshnessPolicy)
    assert policy.deadline_cron == "0 6 * * *"  # type: ignore[attr-defined]
    assert policy.lower_bound_delta == dt.timedelta(hours=4)  # type: ignore[attr-defined]
    assert policy.timezone == "Europe/Amsterdam"  # type: ignore[attr-defined]
