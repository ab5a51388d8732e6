"""The forge-warehouse command line: each command a thin call into ingest, dbt or Dagster."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from rich.console import Console

from analytics.cli import bi_login_app, report, serve
from ingest.batch import BatchResult
from ingest.budget import over_budget
from ingest.common import embedded
from ingest.common.db import connect, describe, parse_dsn
from ingest.common.exceptions import ForgeError
from ingest.common.logging import configure_logging
from ingest.common.migrations import applied_versions
from ingest.common.settings import Settings, get_settings
from ingest.common.warehouse import prepare
from ingest.contract.entities import ENTITIES
from ingest.progress import LoadProgress
from ingest.rejects import recent_rejects, replay_rejects
from ingest.sources.files.load import load_landing
from ingest.summary import batch_line, file_line, print_ingest_summary, print_refresh_summary
from ingest.transform import run_dbt_build, run_nightly_refresh

logger = logging.getLogger(__name__)
# The demo's dirty records land in small files; its gate is wider than the default 5%.
DEMO_REJECT_RATE_THRESHOLD = 0.10
# off a terminal (CI, logs) rich would wrap at 80 columns; tables read better wider
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)

app = typer.Typer(
    help="Forge warehouse: load raw records, build the marts, run the nightly refresh.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The warehouse database: the embedded Postgres or WAREHOUSE_DSN.")
ingest_app = typer.Typer(help="Load raw records into the warehouse.")
rejects_app = typer.Typer(
    help="Rejected records: recent ones by reason, and replaying them after a fix.",
    invoke_without_command=True,
)
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")
app.add_typer(rejects_app, name="rejects")
app.add_typer(bi_login_app, name="bi-login")
app.command("serve")(serve)
app.command("report")(report)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug lines.")] = False,
) -> None:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    configure_logging(verbose)


@db_app.command("up")
def db_up() -> None:
    """Start the warehouse (embedded unless WAREHOUSE_DSN is set) and apply its schemas."""
    dsn = prepare(get_settings())
    console.print(f"warehouse ready at {describe(parse_dsn(dsn))}")


@db_app.command("down")
def db_down() -> None:
    """Stop the embedded Postgres (a WAREHOUSE_DSN server is never stopped by us)."""
    settings = get_settings()
    if settings.warehouse_dsn is not None:
        console.print("WAREHOUSE_DSN is set: that server is not ours to stop")
        return
    stopped = embedded.stop(settings.pgdata)
    console.print("embedded Postgres stopped" if stopped else "embedded Postgres was not running")


@db_app.command("status")
def db_status() -> None:
    """Say which warehouse is in use, whether it answers, and the applied schema versions."""
    settings = get_settings()
    if settings.warehouse_dsn is None:
        pid = embedded.running_pid(settings.pgdata)
        if pid is None:
            console.print(f"embedded Postgres in {settings.pgdata}: not running")
            raise typer.Exit(3)
        console.print(f"embedded Postgres in {settings.pgdata}: running (pid {pid})")
    dsn = prepare(get_settings()) if settings.warehouse_dsn is None else _external_dsn()
    with connect(dsn) as conn:
        version = conn.execute("show server_version").fetchone()
    console.print(
        f"connected to {describe(parse_dsn(dsn))} (Postgres {version[0] if version else '?'})"
    )
    console.print(f"applied migrations: {', '.join(applied_versions(dsn)) or 'none'}")


@db_app.command("url")
def db_url() -> None:
    """Print the connection URI of the warehouse (starting the embedded one if needed)."""
    typer.echo(prepare(get_settings()))


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Landing directory to write.")],
    sessions: Annotated[int, typer.Option(min=1, help="Orchestration sessions to make.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 42,
    dirty_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of bad and duplicate records.")
    ] = 0.0,
    source_dsn: Annotated[
        str | None,
        typer.Option(
            "--source-dsn",
            help="Also create the seeds' tables in this Postgres and fill them with the data.",
        ),
    ] = None,
) -> None:
    """Write deterministic synthetic source data as landing files for all six entities."""
    from ingest.synthetic.generate import generate as write_landing_files

    manifest = write_landing_files(out, sessions=sessions, seed=seed, dirty_rate=dirty_rate)
    console.print(f"wrote landing files for {sessions} sessions to {out}")
    logger.debug("manifest: %s", manifest)
    if source_dsn is not None:
        from ingest.sources.postgres.seed import seed_source

        written = seed_source(source_dsn, out)
        console.print(
            "source database filled: "
            + ", ".join(f"{name} {rows}" for name, rows in written.items())
        )


@ingest_app.command("files")
def ingest_files(
    directory: Annotated[Path, typer.Argument(help="Landing directory: <dir>/<entity>/<files>.")],
) -> None:
    """Load landing files (JSONL, JSONL.gz, CSV); a file loaded before loads nothing."""
    settings = get_settings()
    dsn = prepare(settings)
    started = time.monotonic()
    with connect(dsn) as conn, LoadProgress(console) as progress:
        outcomes = load_landing(
            conn,
            directory,
            chunk_rows=settings.chunk_rows,
            on_file=lambda outcome: console.print(file_line(outcome), soft_wrap=True),
            progress=progress,
        )
    batches = [outcome.batch for outcome in outcomes if outcome.batch is not None]
    _finish_ingest(batches, time.monotonic() - started, skipped=len(outcomes) - len(batches))


@ingest_app.command("postgres")
def ingest_postgres_command(
    source_dsn: Annotated[
        str, typer.Option("--source-dsn", help="libpq URI of the operational Postgres.")
    ],
    entity: Annotated[
        list[str] | None, typer.Option(help="Only this entity (repeatable); default: all six.")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Read whole tables, ignoring the watermarks.")
    ] = False,
) -> None:
    """Extract new and changed rows from the source database, incrementally (watermarks)."""
    from ingest.sources.postgres.extract import ingest_postgres

    chosen = _entities(entity, ENTITIES)
    _ingest_batches(
        lambda conn, settings: ingest_postgres(
            conn, source_dsn, settings=settings, entities=chosen, on_batch=_print_batch, full=full
        )
    )


@ingest_app.command("api")
def ingest_api_command(
    base_url: Annotated[str, typer.Option("--base-url", help="DataForge base URL.")],
    entity: Annotated[
        list[str] | None,
        typer.Option(help="Only this entity (repeatable): project_outcomes, user_feedback."),
    ] = None,
) -> None:
    """Pull /api/outcomes and /api/feedback page by page; resumes at the last committed page."""
    from ingest.sources.api.extract import ENDPOINTS, ingest_api

    chosen = _entities(entity, ENDPOINTS)
    _ingest_batches(
        lambda conn, settings: ingest_api(
            conn, base_url, settings=settings, entities=chosen, on_batch=_print_batch
        )
    )


def _ingest_batches(
    extract: Callable[[psycopg.Connection[Any], Settings], list[BatchResult]],
) -> None:
    """Run an extract against the prepared warehouse, then report it like every ingest."""
    settings = get_settings()
    dsn = prepare(settings)
    started = time.monotonic()
    with connect(dsn) as conn:
        batches = extract(conn, settings)
    _finish_ingest(batches, time.monotonic() - started)


def _print_batch(batch: BatchResult) -> None:
    console.print(batch_line(batch, batch.entity), soft_wrap=True)


def _entities(chosen: list[str] | None, known: Mapping[str, object]) -> tuple[str, ...]:
    unknown = sorted(set(chosen or ()) - set(known))
    if unknown:
        raise ForgeError(f"unknown entity {', '.join(unknown)}; expected one of {', '.join(known)}")
    return tuple(chosen) if chosen else tuple(known)


def _finish_ingest(batches: list[BatchResult], seconds: float, *, skipped: int = 0) -> None:
    """The per-entity summary; exit 1 when a batch failed or the error budget was passed."""
    print_ingest_summary(console, batches, seconds, skipped=skipped)
    failed = [batch for batch in batches if batch.status != "succeeded"]
    breaches = over_budget(batches, get_settings().reject_rate_threshold)
    for message in breaches:
        console.print(f"[red]error budget:[/red] {message}", soft_wrap=True)
    if failed:
        console.print(f"[red]{len(failed)} batch(es) failed[/red]; nothing of them was kept")
    if failed or breaches:
        raise typer.Exit(1)


@rejects_app.callback()
def rejects(
    context: typer.Context,
    entity: Annotated[str | None, typer.Option(help="Only this entity.")] = None,
    days: Annotated[int, typer.Option(min=1, help="How far back to look.")] = 7,
    limit: Annotated[int, typer.Option(min=1, help="Reasons to show.")] = 20,
) -> None:
    """List recent rejects by entity and reason, most frequent first."""
    if context.invoked_subcommand is not None:
        return
    if entity is not None:
        _entities([entity], ENTITIES)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with connect(prepare(get_settings())) as conn:
        groups = recent_rejects(conn, since=since, entity=entity, limit=limit)
    if not groups:
        console.print(f"no rejects in the last {days} days")
        return
    console.print(f"rejects in the last {days} days, by entity and reason:")
    for group in groups:
        console.print(f"{group.count:>8}  {group.entity}: {group.reason}", soft_wrap=True)
        console.print(
            f"          last {group.last_seen:%Y-%m-%d %H:%M}, e.g. {group.example}",
            soft_wrap=True,
        )


@rejects_app.command("replay")
def rejects_replay(
    entity: Annotated[str | None, typer.Option(help="Only this entity.")] = None,
    batch: Annotated[str | None, typer.Option(help="Only the rejects of this batch id.")] = None,
    again: Annotated[
        bool, typer.Option("--again", help="Also replay rejects a replay rejected again.")
    ] = False,
) -> None:
    """Validate rejects again with the current contract and load those that now pass."""
    if entity is not None:
        _entities([entity], ENTITIES)
    settings = get_settings()
    with connect(prepare(settings)) as conn:
        outcomes = replay_rejects(
            conn, entity=entity, batch_id=batch, again=again, chunk_rows=settings.chunk_rows
        )
    if not outcomes:
        console.print("nothing to replay")
    for outcome in outcomes:
        if outcome.batch is not None and outcome.batch.status != "succeeded":
            console.print(f"[red]{outcome.entity}: replay failed[/red]: {outcome.batch.error}")
            raise typer.Exit(1)
        console.print(
            f"{outcome.entity}: replayed {outcome.replayed} = loaded {outcome.loaded} "
            f"+ duplicates {outcome.duplicates} + rejected again {outcome.rejected_again}"
        )


@app.command()
def build(
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(help="Reference time of relative windows (default: the build's start)."),
    ] = None,
) -> None:
    """Run dbt build (models, snapshots, data tests) against the warehouse, as the nightly does."""
    settings = get_settings()
    dsn = prepare(settings)
    result = run_dbt_build(settings, dsn, as_of=as_of)
    console.print(result.summary_line())
    if not result.succeeded:
        raise typer.Exit(1)


@app.command()
def refresh(
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(help="Reference time of relative windows (default: the build's start)."),
    ] = None,
) -> None:
    """Run the nightly refresh through its Dagster job: ingest the landing directory, dbt build."""
    _refresh(as_of)


@app.command()
def demo(
    sessions: Annotated[int, typer.Option(min=1, help="Orchestration sessions to make.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed of the demo data.")] = 42,
    dirty_rate: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.02,
) -> None:
    """Start the warehouse, generate demo data into the landing directory, run the refresh."""
    from ingest.synthetic.generate import generate as write_landing_files

    settings = get_settings()
    manifest = write_landing_files(
        settings.landing, sessions=sessions, seed=seed, dirty_rate=dirty_rate
    )
    console.print(
        f"demo source data: {sessions} sessions up to {manifest.now:%Y-%m-%d} in "
        f"{settings.landing}; marts measured as of then"
    )
    if dirty_rate and "FORGE_REJECT_RATE_THRESHOLD" not in os.environ:
        # one bad record in a 15-line file is 6.7%: the default 5% gate would stop the demo
        os.environ["FORGE_REJECT_RATE_THRESHOLD"] = str(DEMO_REJECT_RATE_THRESHOLD)
        console.print(
            f"demo data is {dirty_rate:.0%} dirty on purpose: the reject-rate gate is at "
            f"{DEMO_REJECT_RATE_THRESHOLD:.0%} per file for the demo "
            f"(FORGE_REJECT_RATE_THRESHOLD, default {settings.reject_rate_threshold:.0%})"
        )
    _refresh(manifest.now)


def _refresh(as_of: dt.datetime | None) -> None:
    settings = get_settings()
    started_at = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    dsn = prepare(settings)
    with console.status("running the nightly refresh (Dagster job nightly_refresh_job)"):
        run = run_nightly_refresh(settings, dsn, as_of=as_of)
    print_refresh_summary(console, dsn, settings, started_at, time.monotonic() - clock, run)
    from analytics.report.build import build_report  # a failed run still gets its report

    report_path = settings.home / "reports" / "report.html"
    build_report(dsn, report_path, settings.dbt_project_dir)
    console.print(f"report: {report_path}")
    if not run.succeeded:
        raise typer.Exit(1)


def _external_dsn() -> str:
    settings = get_settings()
    assert settings.warehouse_dsn is not None
    return settings.warehouse_dsn.get_secret_value()


def main() -> None:
    """The forge-warehouse entry point: a ForgeError ends any command as one sentence, exit 1."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    try:
        app(prog_name="forge-warehouse")
    except ForgeError as error:
        console.print(f"[red]error:[/red] {error}", soft_wrap=True)
        sys.exit(1)
