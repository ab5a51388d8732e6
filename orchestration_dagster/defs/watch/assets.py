"""The metric values as published by each run, with the restatements of closed periods.

`watch/published_metric_values` runs after the semantic layer's metric_values: it compares them
with what the previous run published, writes one row into watch.restatements per value of a
period that had already closed (its end on or before that run's as-of day) and moved by more
than FORGE_RESTATEMENT_TOLERANCE of itself, then publishes the new values; it also keeps each
trend metric's daily value in watch.daily_measures for the anomaly checks (defs/watch/checks.py).
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

import dagster as dg

from core.db import connect
from core.settings import get_settings
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.defs.watch.queries import query
from orchestration_dagster.lib.retries import TRANSIENT_RETRY_POLICY
from orchestration_dagster.lib.run_history import as_of_of

WATCH_GROUP = "watch"
METRIC_VALUES_KEY = dg.AssetKey(["marts", "metric_values"])
PUBLISHED_METRICS_KEY = dg.AssetKey(["watch", "published_metric_values"])


def run_as_of(run_config: Mapping[str, Any]) -> dt.datetime:
    """The run's reference time: its dbt as_of, else FORGE_AS_OF, else now (as dbt's as_of())."""
    configured = as_of_of(run_config) or get_settings().as_of
    moment = configured or dt.datetime.now(dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def metric_day(run_config: Mapping[str, Any]) -> dt.date:
    """The day a run judges the metrics of: the last full day before its as-of day (UTC)."""
    return run_as_of(run_config).astimezone(dt.UTC).date() - dt.timedelta(days=1)


@dg.asset(
    key=PUBLISHED_METRICS_KEY,
    deps=[METRIC_VALUES_KEY, dg.AssetKey(["marts", "dim_metrics"])],
    group_name=WATCH_GROUP,
    kinds={"python", "postgres"},
    retry_policy=TRANSIENT_RETRY_POLICY,
    description=(
        "watch.published_metric_values: marts.metric_values as this run published them; a "
        "value of a closed period that moved since the previous run is a row in "
        "watch.restatements (marts.metric_restatements for BI tools and the API)."
    ),
)
def published_metric_values(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    settings = get_settings()
    run_id = context.run.run_id
    as_of_day = run_as_of(context.run.run_config).astimezone(dt.UTC).date()
    with connect(warehouse.dsn_for("publishing the metric values")) as conn, conn.transaction():
        restated = conn.execute(
            query("insert_restatements"),
            {"run_id": run_id, "tolerance": settings.restatement_tolerance},
        ).rowcount
        published = conn.execute(
            query("publish_metric_values"), {"run_id": run_id, "as_of_day": as_of_day}
        ).rowcount
        gone = conn.execute(query("delete_unpublished_metric_values")).rowcount
        measured = conn.execute(query("upsert_metric_measures"), {"run_id": run_id}).rowcount
        examples = conn.execute(query("select_run_restatements"), {"run_id": run_id}).fetchall()
    if restated:
        context.log.warning(f"{restated} published metric value(s) of closed periods restated")
    return dg.MaterializeResult(
        metadata={
            "restatements": restated,
            "values_written": published,
            "values_removed": gone,
            "daily_measures_written": measured,
            "as_of_day": as_of_day.isoformat(),
            "tolerance": settings.restatement_tolerance,
            "largest_restatements": dg.MetadataValue.json(
                [
                    {
                        "metric": metric,
                        "grain": grain,
                        "period_start": start,
                        "dimension": dimension,
                        "dimension_value": value,
                        "old": old,
                        "new": new,
                    }
                    for metric, grain, start, dimension, value, old, new in examples
                ]
            ),
        }
    )
