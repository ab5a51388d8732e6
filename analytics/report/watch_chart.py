"""The run history's chart: seconds per stage of each run, stacked (Altair, to SVG by charts.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt

from analytics.report import charts

STAGES = (
    ("ingest_seconds", "ingest", charts.TEAL),
    ("dbt_seconds", "dbt build", charts.BLUE),
    ("checks_seconds", "checks", charts.ORANGE),
    ("watch_seconds", "watch", charts.PURPLE),
)


def runs_chart(runs: list[dict[str, Any]]) -> alt.TopLevelMixin:
    """Seconds per stage of each run, oldest left, stacked; a failed run's bar is labelled."""
    values = []
    for run in sorted(runs, key=lambda item: item["started_at"]):
        started: dt.datetime = run["started_at"]
        label = f"{started:%m-%d %H:%M}" + (" ✗" if run["status"] != "success" else "")
        for column, stage, _ in STAGES:
            values.append({"run": label, "stage": stage, "seconds": float(run[column] or 0.0)})
        values.append(
            {"run": label, "stage": "total", "total": round(float(run["duration_seconds"] or 0))}
        )
    bars = [item for item in values if item["stage"] != "total"]
    totals = [item for item in values if item["stage"] == "total"]
    order = [stage for _, stage, _ in STAGES]
    x = alt.X("run:N", title=None, sort=None, axis=alt.Axis(labelAngle=-45))
    stacked = (
        alt.Chart(alt.InlineData(values=bars))
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("sum(seconds):Q", title="seconds"),
            color=alt.Color(
                "stage:N",
                sort=order,
                scale=alt.Scale(domain=order, range=[color for *_, color in STAGES]),
                legend=alt.Legend(orient="top", title=None),
            ),
            order=alt.Order("stage_order:Q"),
        )
        .transform_calculate(
            stage_order=" + ".join(
                f"(datum.stage == '{stage}' ? {index} : 0)" for index, stage in enumerate(order)
            )
        )
    )
    labels = (
        alt.Chart(alt.InlineData(values=totals))
        .mark_text(dy=-6, fontSize=9, color=charts.INK)
        .encode(x=x, y=alt.Y("total:Q"), text="total:Q")
    )
    width = max(charts.WIDTH, 28 * len(totals))
    chart = alt.layer(stacked, labels).properties(
        width=width, height=200, title="Seconds per stage of each run, last 30 nights"
    )
    return charts._styled(chart)
