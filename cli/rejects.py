"""`forge-warehouse rejects`: recent rejects by reason, and replaying them after a fix."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from cli.console import console, red
from cli.ingest import entities_named
from core.db import connect
from core.settings import get_settings
from core.warehouse import prepare
from ingest.contract.entities import ENTITIES
from ingest.rejects import recent_rejects, replay_rejects

rejects_app = typer.Typer(
    help="Rejected records: recent ones by reason, and replaying them after a fix.",
    invoke_without_command=True,
)


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
        entities_named([entity], ENTITIES)
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
        entities_named([entity], ENTITIES)
    settings = get_settings()
    with connect(prepare(settings)) as conn:
        outcomes = replay_rejects(
            conn, entity=entity, batch_id=batch, again=again, chunk_rows=settings.chunk_rows
        )
    if not outcomes:
        console.print("nothing to replay")
    for outcome in outcomes:
        if outcome.batch is not None and outcome.batch.status != "succeeded":
            console.print(red(f"{outcome.entity}: replay failed:"), str(outcome.batch.error))
            raise typer.Exit(1)
        console.print(
            f"{outcome.entity}: replayed {outcome.replayed} = loaded {outcome.loaded} "
            f"+ duplicates {outcome.duplicates} + rejected again {outcome.rejected_again}"
        )
