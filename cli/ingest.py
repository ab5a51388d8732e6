"""`forge-warehouse ingest` and `generate`: load landing files, the source database, the API;
write demo landing files."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer

from cli.console import console, red
from cli.progress import LoadProgress
from cli.summary import batch_line, file_line, print_ingest_summary
from core.db import connect
from core.exceptions import ForgeError
from core.settings import Settings, get_settings
from core.warehouse import prepare
from ingest.batch import BatchResult
from ingest.budget import over_budget
from ingest.contract.entities import ENTITIES
from ingest.sources.files.load import load_landing

logger = logging.getLogger(__name__)

ingest_app = typer.Typer(help="Load raw records into the warehouse.")


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
    from synthetic.generate import generate as write_landing_files

    manifest = write_landing_files(out, sessions=sessions, seed=seed, dirty_rate=dirty_rate)
    console.print(f"wrote landing files for {sessions} sessions to {out}")
    logger.debug("manifest: %s", manifest)
    if source_dsn is not None:
        from synthetic.source_db import seed_source

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
            on_start=progress.start,
            on_chunk=progress.update,
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

    chosen = entities_named(entity, ENTITIES)
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

    chosen = entities_named(entity, ENDPOINTS)
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


def entities_named(chosen: list[str] | None, known: Mapping[str, object]) -> tuple[str, ...]:
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
        console.print(red("error budget:"), message, soft_wrap=True)
    if failed:
        console.print(red(f"{len(failed)} batch(es) failed;"), "nothing of them was kept")
    if failed or breaches:
        raise typer.Exit(1)
