"""Freshness, as checks: dbt source freshness on the raw assets, a deadline on the marts.

- `raw_<table>_source_fresh`: `dbt source freshness` for each dbt source that declares
  thresholds (warn_after / error_after on `_loaded_at`); dbt's warn is a WARN check, its error
  an ERROR check. They run in the nightly job, after the loads.
- `<mart>_refreshed_by_deadline`: fails when the mart was not rebuilt between the nightly
  schedule's start and the deadline (FORGE_MARTS_DEADLINE, default 06:00, in the schedule's
  time zone). `marts_freshness_sensor` (sensors.py) evaluates them once after each deadline.
"""

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource

from core.db import dbt_env
from orchestration_dagster.defs.dbt.assets import manifest, translator
from orchestration_dagster.defs.dbt.resources import FreshnessResource, environment
from orchestration_dagster.defs.dbt.translator import layer_of
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.defs.nightly import refresh_window
from orchestration_dagster.defs.retries import (
    TRANSIENT_RETRY_POLICY,
    is_transient_message,
)

SOURCE_FRESH_SUFFIX = "_source_fresh"
DEADLINE_SUFFIX = "_refreshed_by_deadline"
_SEVERITY = {"warn": dg.AssetCheckSeverity.WARN}


def _has_thresholds(source: Mapping[str, Any]) -> bool:
    freshness = source.get("freshness") or {}
    return bool(source.get("loaded_at_field")) and any(
        (freshness.get(name) or {}).get("count") for name in ("warn_after", "error_after")
    )


def source_freshness_specs(
    dbt_manifest: Mapping[str, Any],
) -> dict[dg.AssetCheckKey, tuple[dg.AssetCheckSpec, str]]:
    """A check spec per dbt source with freshness thresholds, and the source's dbt selector."""
    specs: dict[dg.AssetCheckKey, tuple[dg.AssetCheckSpec, str]] = {}
    for source in dbt_manifest["sources"].values():
        if not _has_thresholds(source):
            continue
        key = translator.get_asset_key(source)
        freshness = source["freshness"]
        spec = dg.AssetCheckSpec(
            name=f"raw_{source['name']}{SOURCE_FRESH_SUFFIX}",
            asset=key,
            description=(
                f"dbt source freshness of {source['source_name']}.{source['name']} on "
                f"{source['loaded_at_field']}: warn after {_threshold(freshness, 'warn_after')}, "
                f"error after {_threshold(freshness, 'error_after')}."
            ),
        )
        specs[spec.key] = (spec, f"source:{source['source_name']}.{source['name']}")
    return specs


def _threshold(freshness: Mapping[str, Any], name: str) -> str:
    value = freshness.get(name) or {}
    return f"{value['count']} {value['period']}s" if value.get("count") else "never"


def freshness_result(key: dg.AssetCheckKey, result: Mapping[str, Any]) -> dg.AssetCheckResult:
    """A check result from one entry of dbt's sources.json."""
    status = str(result.get("status", "runtime error"))
    age = result.get("max_loaded_at_time_ago_in_s")
    metadata: dict[str, Any] = {
        "dbt_status": status,
        "max_loaded_at": str(result.get("max_loaded_at")),
        "snapshotted_at": str(result.get("snapshotted_at")),
    }
    if age is not None:
        metadata["hours_since_last_load"] = round(float(age) / 3600, 2)
    if status == "pass":
        return dg.AssetCheckResult(
            asset_key=key.asset_key, check_name=key.name, passed=True, metadata=metadata
        )
    if status in ("warn", "error"):
        description = (
            f"last loaded {metadata.get('hours_since_last_load', '?')} h ago "
            f"(at {metadata['max_loaded_at']}); dbt source freshness says {status}"
        )
    else:
        description = f"dbt source freshness could not run: {result.get('error') or status}"
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=False,
        severity=_SEVERITY.get(status, dg.AssetCheckSeverity.ERROR),
        metadata=metadata,
        description=description,
    )


_SOURCE_SPECS = source_freshness_specs(manifest)


@dg.multi_asset_check(
    name="dbt_source_freshness_checks",
    specs=[spec for spec, _ in _SOURCE_SPECS.values()],
    can_subset=True,
    retry_policy=TRANSIENT_RETRY_POLICY,
    description="`dbt source freshness` of the raw tables.",
)
def source_freshness_checks(
    context: dg.AssetCheckExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    selected = sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string())
    dsn = warehouse.dsn_for("dbt source freshness")
    selectors = [_SOURCE_SPECS[key][1] for key in selected]
    with environment(dbt_env(dsn)):
        invocation = dbt.cli(
            ["source", "freshness", "--select", " ".join(selectors)], raise_on_error=False
        )
    invocation.wait()
    try:
        results = invocation.get_artifact("sources.json")["results"]
    except Exception:
        failure = invocation.get_error()
        text = str(getattr(failure, "description", None) or failure)
        raise dg.Failure(
            description=f"dbt source freshness did not run: {text}", allow_retries=False
        ) from None
    transient = [str(r["error"]) for r in results if is_transient_message(str(r.get("error")))]
    if transient:
        raise dg.Failure(
            description=f"transient database error in dbt source freshness: {transient[0]}",
            allow_retries=True,
        )
    by_selector = {
        f"source:{'.'.join(r['unique_id'].split('.')[2:4])}": r
        for r in results
        if r.get("unique_id")
    }
    for key in selected:
        result = by_selector.get(_SOURCE_SPECS[key][1])
        yield freshness_result(key, result or {"status": "runtime error", "error": "no result"})


def mart_keys(dbt_manifest: Mapping[str, Any]) -> list[dg.AssetKey]:
    """The models of the marts layer (models/marts/...), as asset keys."""
    return sorted(
        (
            translator.get_asset_key(node)
            for node in dbt_manifest["nodes"].values()
            if node["resource_type"] == "model" and layer_of(node["original_file_path"]) == "marts"
        ),
        key=lambda key: key.to_user_string(),
    )


def deadline_check_name(key: dg.AssetKey) -> str:
    return f"{key.path[-1]}{DEADLINE_SUFFIX}"


def deadline_result(
    key: dg.AssetKey,
    last_refreshed: dt.datetime | None,
    window: tuple[dt.datetime, dt.datetime],
) -> dg.AssetCheckResult:
    """Passed when the mart was rebuilt since the nightly run's start of the latest window."""
    start, deadline = window
    metadata = {
        "deadline": deadline.isoformat(),
        "window_start": start.isoformat(),
        "last_refreshed": last_refreshed.isoformat() if last_refreshed else "never",
    }
    if last_refreshed is not None and last_refreshed >= start:
        return dg.AssetCheckResult(
            asset_key=key, check_name=deadline_check_name(key), passed=True, metadata=metadata
        )
    when = (
        f"last rebuilt {last_refreshed.astimezone(deadline.tzinfo):%Y-%m-%d %H:%M}"
        if last_refreshed
        else "never built"
    )
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=deadline_check_name(key),
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=(
            f"the nightly refresh did not rebuild {key.to_user_string()} by "
            f"{deadline:%Y-%m-%d %H:%M %Z} ({when})"
        ),
    )


_MARTS = mart_keys(manifest)


@dg.multi_asset_check(
    name="marts_refreshed_by_deadline_checks",
    specs=[
        dg.AssetCheckSpec(
            name=deadline_check_name(key),
            asset=key,
            description=(
                "Fails when the nightly refresh did not rebuild this mart by the deadline "
                "(FORGE_MARTS_DEADLINE, default 06:00, in FORGE_SCHEDULE_TIMEZONE)."
            ),
        )
        for key in _MARTS
    ],
    can_subset=True,
    description="Did the nightly refresh land by the deadline?",
)
def marts_freshness_checks(
    context: dg.AssetCheckExecutionContext, freshness: FreshnessResource
) -> Iterator[dg.AssetCheckResult]:
    window = refresh_window(dt.datetime.now(dt.UTC), freshness.deadline(), freshness.zone())
    for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string()):
        event = context.instance.get_latest_materialization_event(check_key.asset_key)
        last = dt.datetime.fromtimestamp(event.timestamp, dt.UTC) if event else None
        yield deadline_result(check_key.asset_key, last, window)
