"""`dbt source freshness` as asset checks on the raw assets: their specs, and their results.

Custom: dagster-dbt runs `dbt build` and turns its tests into checks, but it has nothing for
`dbt source freshness`; dbt's warn becomes a WARN check, its error an ERROR check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

SOURCE_FRESH_SUFFIX = "_source_fresh"
_SEVERITY = {"warn": dg.AssetCheckSeverity.WARN}
_NO_ROW = "0001-01-01"


def _has_thresholds(source: Mapping[str, Any]) -> bool:
    freshness = source.get("freshness") or {}
    return bool(source.get("loaded_at_field")) and any(
        (freshness.get(name) or {}).get("count") for name in ("warn_after", "error_after")
    )


def _threshold(freshness: Mapping[str, Any], name: str) -> str:
    value = freshness.get(name) or {}
    return f"{value['count']} {value['period']}s" if value.get("count") else "never"


def source_selector(unique_id: str) -> str:
    """`source:<source>.<table>` of a source's unique id (source.<project>.<source>.<table>)."""
    return "source:" + ".".join(unique_id.split(".")[2:4])


def source_freshness_specs(
    manifest: Mapping[str, Any], translator: DagsterDbtTranslator
) -> dict[dg.AssetCheckKey, tuple[dg.AssetCheckSpec, str]]:
    """A check spec per dbt source with freshness thresholds, and the source's dbt selector."""
    specs: dict[dg.AssetCheckKey, tuple[dg.AssetCheckSpec, str]] = {}
    for unique_id, source in manifest["sources"].items():
        if not _has_thresholds(source):
            continue
        freshness = source["freshness"]
        spec = dg.AssetCheckSpec(
            name=f"raw_{source['name']}{SOURCE_FRESH_SUFFIX}",
            asset=translator.get_asset_key(source),
            description=(
                f"dbt source freshness of {source['source_name']}.{source['name']} on "
                f"{source['loaded_at_field']}: warn after {_threshold(freshness, 'warn_after')}, "
                f"error after {_threshold(freshness, 'error_after')}."
            ),
        )
        specs[spec.key] = (spec, source_selector(unique_id))
    return specs


def freshness_result(key: dg.AssetCheckKey, result: Mapping[str, Any]) -> dg.AssetCheckResult:
    """A check result from one entry of dbt's sources.json."""
    status = str(result.get("status", "runtime error"))
    age = result.get("max_loaded_at_time_ago_in_s")
    # dbt's max_loaded_at of a table with no row is year 1
    empty = str(result.get("max_loaded_at")).startswith(_NO_ROW)
    metadata: dict[str, Any] = {
        "dbt_status": status,
        "max_loaded_at": "none (no row loaded)" if empty else str(result.get("max_loaded_at")),
        "snapshotted_at": str(result.get("snapshotted_at")),
    }
    if age is not None and not empty:
        metadata["hours_since_last_load"] = round(float(age) / 3600, 2)
    if status == "pass":
        return dg.AssetCheckResult(
            asset_key=key.asset_key, check_name=key.name, passed=True, metadata=metadata
        )
    if status in ("warn", "error") and empty:
        description = f"no row loaded yet; dbt source freshness says {status}"
    elif status in ("warn", "error"):
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
