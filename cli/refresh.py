"""`forge-warehouse build`, `refresh` and `demo`: dbt, and the nightly refresh through Dagster."""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli import arguments
from cli.console import console, red
from core.settings import get_settings
from core.warehouse import prepare

if TYPE_CHECKING:  # the generator is imported by `demo` alone, when it runs
    from synthetic.generate import Manifest

# The demo's dirty records land in small files; its gate is wider than the default 5%.
DEMO_REJECT_RATE_THRESHOLD = 0.10


def build(
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            parser=arguments.as_of,
            metavar="WHEN",
            help=f"Reference time of relative windows, e.g. {arguments.AS_OF_EXAMPLES} "
            "(default: the build's start).",
        ),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            "-s",
            help="dbt selector of what to build (repeatable), e.g. marts or +pattern_analytics.",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="dbt selector to leave out (repeatable).")
    ] = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh", help="Rebuild incremental models and snapshots from all of raw."
        ),
    ] = False,
) -> None:
    """Run dbt build (models, snapshots, data tests) against the warehouse, as the nightly does;
    dbt's full output goes to a log file, the terminal gets the summary."""
    from cli.dbt_build import BuildRequest, failure_lines, new_build_log, run_dbt_build
    from cli.refresh_summary import relative_path

    settings = get_settings()
    dsn = prepare(settings)
    request = BuildRequest(tuple(select or ()), tuple(exclude or ()), full_refresh, as_of)
    log_path = new_build_log(settings)
    started = time.monotonic()
    with console.status("running dbt build"):
        results = run_dbt_build(settings, dsn, request, log_path)
    if not results.results:
        console.print(
            red("nothing was built:"),
            "the selection matched no model, test or snapshot; "
            f"full log: {relative_path(log_path, settings)}",
        )
        raise typer.Exit(1)
    console.print(results.summary_line())
    for line in failure_lines(results):
        console.print(red("  " + line.split(":", 1)[0] + ":"), line.split(":", 1)[1].strip())
    console.print(
        f"dbt build {'succeeded' if results.succeeded else 'FAILED'} in "
        f"{time.monotonic() - started:.1f} s; full log: {relative_path(log_path, settings)}"
    )
    if not results.succeeded:
        raise typer.Exit(1)


def refresh(
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            parser=arguments.as_of,
            metavar="WHEN",
            help=f"Reference time of relative windows, e.g. {arguments.AS_OF_EXAMPLES} "
            "(default: the build's start).",
        ),
    ] = None,
) -> None:
    """Run the nightly refresh through its Dagster job: ingest the landing directory, dbt build."""
    _refresh(as_of)


def demo_end(landing: Path) -> dt.datetime | None:
    """When the demo data already in `landing` ends, or None if there is none. A demo made at
    another hour is another world whose serial ids name other records, so a later demo into
    the same warehouse reuses the earlier end: it loads nothing new and rebuilds the marts."""
    from synthetic.generate import read_manifest

    try:
        return read_manifest(landing).now
    except (OSError, ValueError, KeyError, TypeError):
        return None


def demo(
    sessions: Annotated[
        int, typer.Option(parser=arguments.sessions, help="Orchestration sessions to make.")
    ] = 300,
    seed: Annotated[int, typer.Option(help="Random seed of the demo data.")] = 42,
    dirty_rate: Annotated[
        float,
        typer.Option(parser=arguments.fraction, help="Share of bad and duplicate records (0-1)."),
    ] = 0.02,
    now: Annotated[
        dt.datetime | None,
        typer.Option(
            parser=arguments.data_end,
            metavar="WHEN",
            help="When the demo data ends (default: the current hour, UTC), "
            f"e.g. {arguments.AS_OF_EXAMPLES}.",
        ),
    ] = None,
) -> None:
    """Start the warehouse, generate demo data into the landing directory, run the refresh."""
    from cli.refresh_summary import relative_path
    from synthetic.generate import current_hour
    from synthetic.generate import generate as write_landing_files

    settings = get_settings()
    earlier = demo_end(settings.landing) if now is None else None
    if earlier is not None:
        console.print(
            f"demo data ends where the earlier demo's did ({earlier:%Y-%m-%d %H:%M} UTC): data "
            "made at another hour would give the same ids to other records; --now WHEN "
            "makes another world (into an empty warehouse)"
        )
    manifest = write_landing_files(
        settings.landing,
        sessions=sessions,
        seed=seed,
        dirty_rate=dirty_rate,
        now=now or earlier or current_hour(),
    )
    console.print(
        f"demo source data: {sessions} sessions over the 90 days up to "
        f"{manifest.now:%Y-%m-%d %H:%M} UTC in {relative_path(settings.landing, settings)}; "
        "marts measured as of then"
    )
    threshold = None
    if dirty_rate and "FORGE_REJECT_RATE_THRESHOLD" not in os.environ:
        threshold = demo_reject_rate_threshold(manifest)
        console.print(
            f"demo data is {dirty_rate:.0%} dirty on purpose: the reject-rate gate is at "
            f"{threshold:.0%} per file for the demo, above its dirtiest file's share "
            f"(FORGE_REJECT_RATE_THRESHOLD, default {settings.reject_rate_threshold:.0%})"
        )
    _refresh(manifest.now, threshold, trigger="forge-warehouse demo")


def demo_reject_rate_threshold(manifest: Manifest) -> float:
    """The demo's reject-rate gate: 10%, or above the share of bad records among the new lines
    of its dirtiest file (rounded up to a whole percent) when that is higher. Which file a bad
    record lands in depends on the hour the data ends, and one bad line in an 8-line file is
    12.5%: a fixed gate stopped the demo at some hours."""
    dirtiest = max(
        (
            file.bad / (file.records - file.duplicates)
            for counts in manifest.entities.values()
            for file in counts.files
            if file.records > file.duplicates
        ),
        default=0.0,
    )
    return max(DEMO_REJECT_RATE_THRESHOLD, math.ceil(round(dirtiest * 100, 6)) / 100)


def _refresh(
    as_of: dt.datetime | None,
    reject_rate_threshold: float | None = None,
    trigger: str = "forge-warehouse refresh",
) -> None:
    # Dagster and the dbt manifest load here, not when any other command starts
    from cli.nightly import new_log_path, run_nightly_refresh
    from cli.refresh_summary import print_refresh_summary, relative_path

    settings = get_settings()
    clock = time.monotonic()
    dsn = prepare(settings)
    log_path = new_log_path(settings)
    console.print(
        "running the nightly refresh (Dagster job nightly_refresh_job); its output goes to",
        relative_path(log_path, settings),
    )
    run = run_nightly_refresh(
        settings,
        log_path,
        as_of=as_of,
        reject_rate_threshold=reject_rate_threshold,
        trigger=trigger,
    )
    print_refresh_summary(console, dsn, settings, time.monotonic() - clock, run)
    from analytics.report.build import build_report  # a failed run still gets its report

    report_path = settings.home / "reports" / "report.html"
    build_report(dsn, report_path, settings.dbt_project_dir)
    console.print(f"report: {report_path}")
    if not run.succeeded:
        raise typer.Exit(1)
