"""Anomaly checks: each raw table's night and each trend metric's day against its own history.

`raw_<table>_within_history` is evaluated in the raw table's load step (defs/ingest/assets.py),
like the reject-rate gate and for the same reason: dbt's step checks the raw assets too (its
source tests), which exempts it from waiting on other steps' blocking checks, so only a check
of the load's own step can stop the models when it is configured to block.
`metric_<metric>_within_history` runs after the metric values are published (defs/watch/
assets.py). Both warn by default; FORGE_ANOMALY_BLOCKING_CHECKS names the ones that block.
On runs started by the landing sensor, a night's volume (rows, distinct values) is measured but
not judged: the night is not over; its nightly run judges it.
"""

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg

from core.db import connect
from core.settings import Settings, get_settings
from ingest.contract.entities import Entity
from orchestration_dagster.defs.dbt.assets import manifest
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.defs.watch.assets import (
    METRIC_VALUES_KEY,
    PUBLISHED_METRICS_KEY,
    metric_day,
)
from orchestration_dagster.defs.watch.judging import (
    check_result,
    judge_subject,
    measure_raw_night,
    within_history_check_name,
)
from orchestration_dagster.defs.watch.queries import query
from orchestration_dagster.lib.anomalies import Scale
from orchestration_dagster.lib.measures import (
    DISTINCT,
    METRIC_VALUE,
    MIN_METRIC_SAMPLE,
    RAW_PROFILES,
    ROWS,
    metric_subject,
    night_of,
    raw_measures,
    raw_subject,
    scale_of_metric,
    scale_of_raw,
)
from orchestration_dagster.lib.names import REFRESH_TAG
from orchestration_dagster.lib.retries import TRANSIENT_RETRY_POLICY


def _blocking(name: str) -> bool:
    return name in get_settings().blocking_anomaly_checks


def raw_history_spec(entity: Entity, key: dg.AssetKey) -> dg.AssetCheckSpec:
    name = within_history_check_name(raw_subject(entity.name))
    return dg.AssetCheckSpec(
        name=name,
        asset=key,
        blocking=_blocking(name),
        description=(
            f"raw.{entity.name}'s night (its loads from one marts deadline to the next) against "
            "the same weekday of the eight weeks before: rows, reject rate, median lateness, "
            "null share and distinct values of its key columns (median and pooled MAD; see "
            "docs/analyst-guide.md). Warns unless FORGE_ANOMALY_BLOCKING_CHECKS names it."
        ),
    )


def raw_history_result(
    entity: Entity, key: dg.AssetKey, dsn: str, run_id: str, run_tags: dict[str, str]
) -> dg.AssetCheckResult:
    """Measure tonight's loads of the raw table and judge them against the table's history."""
    settings = get_settings()
    profile = RAW_PROFILES[entity.name]
    subject = raw_subject(entity.name)
    name = within_history_check_name(subject)
    night = night_of(dt.datetime.now(dt.UTC), settings.schedule_timezone, settings.marts_deadline)
    volume = [m for m in raw_measures(profile) if m == ROWS or m.startswith(DISTINCT + ".")]
    partial = run_tags.get(REFRESH_TAG) == "landing"
    blocking = _blocking(name)
    with connect(dsn) as conn, conn.transaction():
        measure_raw_night(
            conn, profile, night, settings.schedule_timezone, settings.marts_deadline, run_id
        )
        verdicts = judge_subject(
            conn,
            subject,
            night,
            lambda measure: scale_of_raw(measure),
            threshold=settings.anomaly_threshold,
            min_weeks=settings.anomaly_min_weeks,
            check_name=name,
            severity="error" if blocking else "warn",
            run_id=run_id,
            skip=volume if partial else (),
        )
    return check_result(key, name, night, verdicts, blocking)


def _only_value(scale: Scale) -> Callable[[str], Scale | None]:
    """A metric's one measure, its value, on the metric's scale."""
    return lambda measure: scale if measure == METRIC_VALUE else None


def trend_metrics(dbt_manifest: dict[str, Any]) -> list[str]:
    """The semantic layer's trend metrics (those metric_values carries), by name."""
    names = []
    for node in dbt_manifest.get("metrics", {}).values():
        meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
        if meta.get("trend"):
            names.append(str(node["name"]))
    return sorted(names)


_METRICS = trend_metrics(manifest)


@dg.multi_asset_check(
    name="watch__metric_checks",
    specs=[
        dg.AssetCheckSpec(
            name=within_history_check_name(metric_subject(metric)),
            asset=METRIC_VALUES_KEY,
            additional_deps=[PUBLISHED_METRICS_KEY],
            blocking=_blocking(within_history_check_name(metric_subject(metric))),
            description=(
                f"{metric} on the last full day before the run's as-of day, against the same "
                "weekday of the eight weeks before (median and pooled MAD). Warns unless "
                "FORGE_ANOMALY_BLOCKING_CHECKS names it."
            ),
        )
        for metric in _METRICS
    ],
    can_subset=True,
    retry_policy=TRANSIENT_RETRY_POLICY,
    description="Each trend metric's day against its own history.",
)
def metric_history_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    settings: Settings = get_settings()
    day = metric_day(context.run.run_config)
    selected = {key.name for key in context.selected_asset_check_keys}
    with connect(warehouse.dsn_for("the metric anomaly checks")) as conn, conn.transaction():
        rows = conn.execute(query("select_trend_metrics")).fetchall()
        units = {str(metric): (unit, kind) for metric, unit, kind in rows}
        for metric in _METRICS:
            subject = metric_subject(metric)
            name = within_history_check_name(subject)
            if name not in selected:
                continue
            unit, kind = units.get(metric, (None, None))
            blocking = _blocking(name)
            scale = scale_of_metric(unit, kind)
            verdicts = judge_subject(
                conn,
                subject,
                day,
                _only_value(scale),
                threshold=settings.anomaly_threshold,
                min_weeks=settings.anomaly_min_weeks,
                check_name=name,
                severity="error" if blocking else "warn",
                run_id=context.run.run_id,
                min_sample=0 if scale is Scale.COUNT else MIN_METRIC_SAMPLE,
            )
            yield check_result(METRIC_VALUES_KEY, name, day, verdicts, blocking)
