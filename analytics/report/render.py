"""The report as one HTML file: page.html filled with the charts and the data-health numbers."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import Counter
from html import escape
from pathlib import Path
from string import Template

from analytics.report.charts import (
    html_table,
    patterns_section,
    phases_section,
    share,
    templates_section,
    trends_section,
)
from analytics.report.data import ReportData
from analytics.report.health import DbtSummary, Health

PAGE = Path(__file__).resolve().parent / "page.html"
STALE_AFTER = dt.timedelta(hours=36)  # a nightly refresh missed once


def render_report(data: ReportData) -> str:
    """The whole page: nothing in it refers to anything outside it."""
    return Template(PAGE.read_text(encoding="utf-8")).substitute(
        title="Forge warehouse report",
        generated_at=f"{data.generated_at:%Y-%m-%d %H:%M} UTC",
        warehouse=escape(data.warehouse),
        as_of=_moment(data.as_of),
        cards=_missing_note(data.missing) + summary_cards(data),
        patterns=patterns_section(data),
        trends=trends_section(data),
        phases=phases_section(data.phases),
        templates=templates_section(data.templates),
        health=health_section(data.health, data.generated_at),
    )


def write_report(html: str, out: Path) -> None:
    """Replace `out` in one step, so a reader never opens half a report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(html)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def summary_cards(data: ReportData) -> str:
    """Freshness, rejects, failed loads and dbt tests, each marked ok, warn or bad."""
    health, now = data.health, data.generated_at
    oldest = health.oldest_load
    if oldest is None:
        freshness = _card("Oldest raw load", "never", "a raw table has no rows yet", "bad")
    else:
        age = now - oldest
        state = "ok" if age <= STALE_AFTER else "warn"
        freshness = _card("Oldest raw load", _age(age), f"{oldest:%Y-%m-%d %H:%M} UTC", state)
    read = sum(item.lines_read for item in health.loads)
    rejected = sum(item.rows_rejected for item in health.loads)
    failed = sum(item.failed_batches for item in health.loads)
    rate = rejected / read if read else 0.0
    rejects = _card(
        "Rejected, last day of loads",
        f"{rejected:,}",
        f"{share(rate)} of {read:,} lines; {health.rejects_total:,} kept in audit.rejects",
        "ok" if rejected == 0 else "warn",
    )
    loads = _card(
        "Failed batches, last day",
        str(failed),
        f"{sum(item.batches for item in health.loads)} batches in all",
        "ok" if failed == 0 else "bad",
    )
    return freshness + rejects + loads + _dbt_card(health.dbt)


def health_section(health: Health, now: dt.datetime) -> str:
    """Tables behind the cards: raw freshness, loads, reject reasons, dbt results."""
    freshness = html_table(
        ["raw table", "last loaded (UTC)", "age"],
        [
            [
                f"<code>raw.{escape(item.table_name)}</code>",
                _moment(item.last_loaded_at),
                _age(now - item.last_loaded_at) if item.last_loaded_at else "never",
            ]
            for item in health.freshness
        ],
    )
    loads = html_table(
        ["entity", "batches", "failed", "lines read", "loaded", "rejected", "duplicates"],
        [
            [
                escape(item.entity),
                str(item.batches),
                f'<span class="bad-text">{item.failed_batches}</span>'
                if item.failed_batches
                else "0",
                f"{item.lines_read:,}",
                f"{item.rows_loaded:,}",
                f"{item.rows_rejected:,}",
                f"{item.duplicates_skipped:,}",
            ]
            for item in health.loads
        ],
    )
    reasons = (
        html_table(
            ["entity", "reason", "rejected"],
            [[escape(r.entity), escape(r.reason), str(r.rejected)] for r in health.reasons],
        )
        if health.reasons
        else '<p class="empty">No rejected records in the last day of loads.</p>'
    )
    return (
        f"<h3>Freshness (max <code>_loaded_at</code> per raw table)</h3>{freshness}"
        "<h3>Loads in the last day of loading (<code>audit.loads</code>)</h3>"
        f"{loads}<h3>Top reject reasons (<code>audit.rejects</code>)</h3>{reasons}"
        f"<h3>Latest dbt results</h3>{_dbt_details(health.dbt)}"
    )


def _missing_note(missing: list[str]) -> str:
    if not missing:
        return ""
    names = ", ".join(f"<code>{escape(name)}</code>" for name in missing)
    return (
        f'<div class="card bad"><div class="label">Missing marts</div><div class="detail">'
        f"{names}: the last build did not make them, so their charts are empty.</div></div>"
    )


def _dbt_card(dbt: DbtSummary | None) -> str:
    if dbt is None:
        return _card("dbt tests", "no results", "no run_results.json under target/", "warn")
    failing = dbt.tests["fail"] + dbt.tests["error"] + dbt.models["error"]
    state = "bad" if failing else "warn" if dbt.tests["warn"] else "ok"
    return _card(
        "dbt tests",
        _counts(dbt.tests),
        f"models: {_counts(dbt.models)}; run {_moment(dbt.generated_at)}",
        state,
    )


def _dbt_details(dbt: DbtSummary | None) -> str:
    if dbt is None:
        return '<p class="empty">No dbt run_results.json found: run a build first.</p>'
    intro = (
        f"<p>From <code>{escape(dbt.path.name)}</code> in <code>{escape(str(dbt.path.parent))}"
        f"</code>, written {_moment(dbt.generated_at)}"
        + (f" after {dbt.elapsed_seconds:.0f} s" if dbt.elapsed_seconds else "")
        + f". Models and snapshots: {_counts(dbt.models)}. Tests: {_counts(dbt.tests)}.</p>"
    )
    if not dbt.problems:
        return intro + '<p class="note">Every test passed.</p>'
    return intro + html_table(
        ["node", "status", "failures", "message"],
        [
            [
                f"<code>{escape(node.name)}</code>",
                escape(node.status),
                "" if node.failures is None else str(node.failures),
                escape(node.message),
            ]
            for node in dbt.problems
        ],
    )


def _card(label: str, value: str, detail: str, state: str) -> str:
    return (
        f'<div class="card {state}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="detail">{escape(detail)}</div></div>'
    )


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(counter.items())) or "none"


def _moment(moment: dt.datetime | None) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" if moment else "unknown"


def _age(age: dt.timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours < 1:
        return f"{max(age.total_seconds() / 60, 0):.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
