"""`forge-warehouse metrics`: the semantic layer's metrics, asked of MetricFlow over the warehouse.

`metrics list` reads marts.dim_metrics; `metrics query` and `metrics validate` run MetricFlow's
own engine with the warehouse's connection (analytics/semantic_layer.py: its own semantic
manifest, parsed for the warehouse when stale; no PyPI update check, no network). What goes wrong
is one sentence (ForgeError, exit 1), a bad argument exit 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from rich.padding import Padding
from rich.table import Table

from analytics.semantic_layer import (
    list_metrics,
    metricflow_engine,
    query_metrics,
    validate_definitions,
)
from cli import arguments
from cli.console import console, green, red
from core.db import connect, first_line
from core.exceptions import ForgeError
from core.settings import get_settings
from core.warehouse import prepare

GUIDE = "docs/analyst-guide.md"

metrics_app = typer.Typer(
    help=(
        "The semantic layer's metrics (dbt_project/models/semantic/): list them, query them "
        "through MetricFlow, validate their definitions."
    ),
    no_args_is_help=True,
)


def _names(value: str | None) -> list[str]:
    """Comma-separated names (metrics, group-bys, order), spaces and empty items dropped."""
    return [name.strip() for name in (value or "").split(",") if name.strip()]


@metrics_app.command("list")
def metrics_list(
    trend: Annotated[
        bool, typer.Option("--trend", help="Only the trend metrics (metric_values, the API).")
    ] = False,
) -> None:
    """List the metrics with their unit, type, trend dimensions and definition."""
    try:
        with connect(prepare(get_settings())) as conn:
            entries = list_metrics(conn)
    except psycopg.errors.UndefinedTable:
        raise ForgeError(
            "marts.dim_metrics does not exist yet: build the warehouse first "
            "(forge-warehouse build)"
        ) from None
    except psycopg.Error as error:
        raise ForgeError(f"cannot read marts.dim_metrics: {first_line(error)}") from None
    shown = [entry for entry in entries if entry.is_trend or not trend]
    for entry in shown:
        split = ", ".join(entry.group_by.values()) or "none (a total)"
        console.print(
            green(entry.metric),
            f"({entry.unit}, {entry.metric_type})"
            + (f"; a trend, split by: {split}" if entry.is_trend else ""),
            soft_wrap=True,
        )
        console.print(Padding(entry.description, (0, 0, 0, 4)))
    console.print(
        f"{len(shown)} metrics. A trend is in marts.metric_values and GET "
        "/api/analytics/trends, split by those group-bys; any metric groups by "
        f"metric_time__day|week|month and the group-bys listed in {GUIDE}",
        soft_wrap=True,
    )


@metrics_app.command("query")
def metrics_query(
    metrics: Annotated[
        str,
        typer.Option(
            parser=arguments.names, help="Metrics, comma-separated, e.g. nps,satisfaction."
        ),
    ],
    group_by: Annotated[
        str | None,
        typer.Option(
            parser=arguments.names,
            help="Group-bys, comma-separated, e.g. pattern__pattern_id,metric_time__month.",
        ),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            parser=arguments.filter_text,
            help="A filter, e.g. \"{{ Dimension('pattern__pattern_id') }} = 'rest-api'\" "
            "(repeatable).",
        ),
    ] = None,
    order: Annotated[
        str | None,
        typer.Option(
            parser=arguments.names,
            help="Order by, comma-separated; a leading - for descending: -nps.",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(parser=arguments.limit, help="At most this many rows.")
    ] = None,
    start_time: Annotated[
        str | None,
        typer.Option(parser=arguments.day, help="From this date (metric_time), e.g. 2025-10-01."),
    ] = None,
    end_time: Annotated[
        str | None,
        typer.Option(parser=arguments.day, help="Up to this date (metric_time), included."),
    ] = None,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", parser=arguments.new_file, help="Write the rows to this CSV."),
    ] = None,
) -> None:
    """Ask MetricFlow (as `mf query` does) over the warehouse and print its table."""
    if start_time is not None and end_time is not None and start_time > end_time:
        raise typer.BadParameter(
            f"--start-time {start_time} is after --end-time {end_time}; give the earlier first"
        )
    settings = get_settings()
    dsn = prepare(settings)
    with metricflow_engine(settings.dbt_project_dir, dsn) as engine:
        answer = query_metrics(
            engine,
            metrics=_names(metrics),
            group_by=_names(group_by),
            where=where or [],
            order=_names(order),
            limit=limit,
            start_time=_moment(start_time),
            end_time=_moment(end_time),
        )
    if csv_path is not None:
        try:
            with csv_path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(answer.columns)
                writer.writerows(answer.rows)
        except OSError as error:
            raise ForgeError(f"cannot write {csv_path}: {error.strerror or error}") from None
        console.print(f"wrote {len(answer.rows)} rows to {csv_path} in {answer.seconds:.2f} s")
        return
    table = Table(*answer.columns)
    for row in answer.rows:
        table.add_row(*(_cell(value) for value in row))
    console.print(table)
    console.print(f"{len(answer.rows)} rows in {answer.seconds:.2f} s")


@metrics_app.command("validate")
def metrics_validate(
    skip_warehouse: Annotated[
        bool,
        typer.Option(
            "--skip-warehouse", help="Only the semantic checks, no query of the warehouse."
        ),
    ] = False,
) -> None:
    """Validate the semantic layer as `mf validate-configs` does: the definitions, then each of
    them queried in the warehouse."""
    settings = get_settings()
    report = validate_definitions(
        settings.dbt_project_dir, prepare(settings), warehouse=not skip_warehouse
    )
    for issue in report.errors:
        console.print(red("error:"), issue, soft_wrap=True)
    for issue in report.warnings:
        console.print("warning:", issue, soft_wrap=True)
    summary = (
        f"{report.checks} MetricFlow checks, {len(report.errors)} errors, "
        f"{len(report.warnings)} warnings in {report.seconds:.1f} s"
    )
    if not report.passed:
        raise ForgeError(f"the semantic layer is not valid: {summary} (listed above)")
    console.print(green("valid:"), summary)


def _moment(day: str | None) -> dt.datetime | None:
    if day is None:
        return None
    date = dt.date.fromisoformat(day[:10])
    return dt.datetime(date.year, date.month, date.day)


def _cell(value: Any) -> str:
    """A value of MetricFlow's table as text: midnight times as dates, floats as they are."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.10g}"
    return str(value)
