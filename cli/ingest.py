"""`forge-warehouse ingest` and `generate`: load landing files, the source database, the API;
write demo landing files."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer

from cli import arguments
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
from ingest.contract.validate import TimeWindow
from ingest.holds import held_batches
from ingest.quarantine import printable
from ingest.sources.files.load import discover, load_landing, strays

logger = logging.getLogger(__name__)

ingest_app = typer.Typer(help="Load raw records into the warehouse.")


def generate(
    out: Annotated[
        Path,
        typer.Option("--out", parser=arguments.output_dir, help="Landing directory to write."),
    ],
    sessions: Annotated[
        int, typer.Option(parser=arguments.sessions, help="Orchestration sessions to make.")
    ] = 300,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 42,
    dirty_rate: Annotated[
        float,
        typer.Option(parser=arguments.fraction, help="Share of bad and duplicate records (0-1)."),
    ] = 0.0,
    source_dsn: Annotated[
        str | None,
        typer.Option(
            "--source-dsn",
            parser=arguments.libpq_dsn,
            help="Also create the seeds' tables in this Postgres and fill them with the data.",
        ),
    ] = None,
    now: Annotated[
        dt.datetime | None,
        typer.Option(
            parser=arguments.data_end,
            metavar="WHEN",
            help="When the data ends (default: the current hour, UTC); the same seed and WHEN "
            f"give the same files, e.g. {arguments.AS_OF_EXAMPLES}.",
        ),
    ] = None,
) -> None:
    """Write deterministic synthetic source data as landing files for all six entities."""
    from synthetic.generate import current_hour
    from synthetic.generate import generate as write_landing_files

    try:
        manifest = write_landing_files(
            out, sessions=sessions, seed=seed, dirty_rate=dirty_rate, now=now or current_hour()
        )
    except OSError as error:
        raise ForgeError(
            f"cannot write the landing files in {printable(str(out))}: {error.strerror or error}"
        ) from None
    console.print(
        f"wrote landing files for {sessions} sessions, up to {manifest.now:%Y-%m-%d %H:%M} UTC, "
        f"to {out}"
    )
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
    directory: Annotated[
        Path,
        typer.Argument(
            parser=arguments.input_dir, help="Landing directory: <dir>/<entity>/<files>."
        ),
    ],
) -> None:
    """Load landing files (JSONL, JSONL.gz, CSV); a file loaded before loads nothing."""
    settings = get_settings()
    stray = strays(directory)  # also says, in one sentence, when the directory is missing
    found = discover(directory)
    if not found:
        raise ForgeError(nothing_to_load(directory, stray))
    dsn = prepare(settings)
    started = time.monotonic()
    with connect(dsn) as conn, LoadProgress(console) as progress:
        outcomes = load_landing(
            conn,
            directory,
            chunk_rows=settings.chunk_rows,
            hold_above=settings.reject_rate_threshold,
            window=TimeWindow.from_settings(settings),
            on_file=lambda outcome: console.print(file_line(outcome), soft_wrap=True),
            on_start=progress.start,
            on_chunk=progress.update,
        )
    batches = [outcome.batch for outcome in outcomes if outcome.batch is not None]
    if outcomes and not batches:
        console.print(f"nothing new: all {len(outcomes)} files were loaded before")
    for sentence in stray:
        console.print(red("not loaded:"), sentence, soft_wrap=True)
    _finish_ingest(
        dsn,
        batches,
        time.monotonic() - started,
        skipped=len(outcomes) - len(batches),
        entities=tuple(sorted({outcome.file.entity.name for outcome in outcomes})),
        failed_anyway=bool(stray),
    )


def nothing_to_load(directory: Path, stray: list[str]) -> str:
    """Why a landing directory holds nothing to load, and what the person likely meant."""
    shown = printable(str(directory))
    if directory.name in ENTITIES:
        return (
            f"nothing loaded: {shown} looks like an entity folder; pass the landing directory "
            f"that holds it ({printable(str(directory.parent))})"
        )
    if stray:
        return f"nothing loaded from {shown}: " + "; ".join(stray[:3])
    return (
        f"nothing loaded: {shown} holds no landing files; expected "
        f"{shown}/<entity>/<name>.jsonl (or .jsonl.gz, .csv) with <entity> one of "
        f"{', '.join(ENTITIES)}"
    )


@ingest_app.command("postgres")
def ingest_postgres_command(
    source_dsn: Annotated[
        str,
        typer.Option(
            "--source-dsn",
            parser=arguments.libpq_dsn,
            help="libpq URI of the operational Postgres.",
        ),
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
    base_url: Annotated[
        str, typer.Option("--base-url", parser=arguments.http_url, help="DataForge base URL.")
    ],
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
    entities = tuple(sorted({batch.entity for batch in batches}))
    _finish_ingest(dsn, batches, time.monotonic() - started, entities=entities)


def _print_batch(batch: BatchResult) -> None:
    console.print(batch_line(batch, batch.entity), soft_wrap=True)


def entities_named(chosen: list[str] | None, known: Mapping[str, object]) -> tuple[str, ...]:
    unknown = sorted(set(chosen or ()) - set(known))
    if unknown:
        raise ForgeError(f"unknown entity {', '.join(unknown)}; expected one of {', '.join(known)}")
    return tuple(chosen) if chosen else tuple(known)


def _finish_ingest(
    dsn: str,
    batches: list[BatchResult],
    seconds: float,
    *,
    skipped: int = 0,
    entities: tuple[str, ...] = (),
    failed_anyway: bool = False,
) -> None:
    """The per-entity summary and the held batches; exit 1 when a batch failed or was held now
    (or `failed_anyway`: something a person must look at)."""
    settings = get_settings()
    print_ingest_summary(console, batches, seconds, skipped=skipped)
    failed = [batch for batch in batches if batch.status != "succeeded"]
    breaches = over_budget(batches, settings.reject_rate_threshold)
    for message in breaches:
        console.print(red("error budget:"), message, soft_wrap=True)
    if failed:
        console.print(red(f"{len(failed)} batch(es) failed;"), "nothing of them was kept")
    new = {batch.batch_id for batch in batches}
    with connect(dsn) as conn:
        held = [batch for name in entities for batch in held_batches(conn, name)]
    for batch in held:
        if batch.batch_id not in new:
            console.print(red("held:"), batch.notice(), soft_wrap=True)
    if failed or breaches or failed_anyway:
        raise typer.Exit(1)
