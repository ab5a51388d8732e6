"""`forge-warehouse rejects`: recent rejects by reason, replaying them, accepting a held batch."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from cli import arguments
from cli.console import console, red
from cli.ingest import entities_named
from core.db import connect
from core.exceptions import ForgeError
from core.settings import get_settings
from core.warehouse import prepare
from ingest.contract.entities import ENTITIES
from ingest.contract.validate import TimeWindow
from ingest.holds import accept_batch, held_batches
from ingest.quarantine import printable
from ingest.rejects import recent_rejects, replay_rejects

rejects_app = typer.Typer(
    help="Rejected records: recent ones by reason, replaying them after a fix, held batches.",
    invoke_without_command=True,
)


@rejects_app.callback()
def rejects(
    context: typer.Context,
    entity: Annotated[str | None, typer.Option(help="Only this entity.")] = None,
    days: Annotated[
        int,
        typer.Option(
            parser=arguments.days, help=f"How far back to look (1 to {arguments.MAX_DAYS})."
        ),
    ] = 7,
    limit: Annotated[int, typer.Option(parser=arguments.limit, help="Reasons to show.")] = 20,
) -> None:
    """List the batches held out of the marts, then recent rejects by entity and reason."""
    if context.invoked_subcommand is not None:
        given = [
            f"--{name}"
            for name in ("entity", "days", "limit")
            # by name: typer vendors its own click, whose ParameterSource is not click's
            if getattr(context.get_parameter_source(name), "name", "DEFAULT") != "DEFAULT"
        ]
        if given:  # they would be ignored: a replay of every entity is not what was asked
            raise typer.BadParameter(
                f"{', '.join(given)} before `{context.invoked_subcommand}` only filters the "
                f"listing; put it after: forge-warehouse rejects "
                f"{context.invoked_subcommand} {given[0]} ..."
            )
        return
    if entity is not None:
        entities_named([entity], ENTITIES)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with connect(prepare(get_settings())) as conn:
        held = held_batches(conn, entity)
        groups = recent_rejects(conn, since=since, entity=entity, limit=limit)
    for batch in held:
        console.print(red("held:"), batch.notice(), soft_wrap=True)
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
    """Validate rejects again (from the bytes received) and load those that now pass."""
    if entity is not None:
        entities_named([entity], ENTITIES)
    settings = get_settings()
    with connect(prepare(settings)) as conn:
        outcomes = replay_rejects(
            conn,
            entity=entity,
            batch_id=batch,
            again=again,
            chunk_rows=settings.chunk_rows,
            threshold=settings.reject_rate_threshold,
            window=TimeWindow.from_settings(settings),
        )
        if not outcomes and batch is not None:
            known = conn.execute("select 1 from audit.loads where batch_id = %s", (batch,))
            if known.fetchone() is None:
                raise ForgeError(f"no batch {printable(batch)} in audit.loads")
    if not outcomes:
        console.print("nothing to replay")
    for outcome in outcomes:
        if outcome.batch is not None and outcome.batch.status != "succeeded":
            console.print(red(f"{outcome.entity}: replay failed:"), str(outcome.batch.error))
            raise typer.Exit(1)
        console.print(
            f"{outcome.entity}: replayed {outcome.replayed} = loaded {outcome.loaded} "
            f"+ duplicates {outcome.duplicates} + rejected again {outcome.rejected_again}",
            soft_wrap=True,
        )
        for released in outcome.released:
            console.print(
                f"released held batch {released.batch_id} of {released.source_name}: "
                "its rows reach the marts on the next build",
                soft_wrap=True,
            )
        for kept in outcome.still_held:
            console.print(red("still held:"), kept.notice(), soft_wrap=True)


@rejects_app.command("accept")
def rejects_accept(
    batch: Annotated[str, typer.Option(help="The held batch to let into the marts.")],
    reason: Annotated[str, typer.Option(help="Why it may go in as it is; recorded with the time.")],
) -> None:
    """Let a held batch into the marts as it is, recording why (audit.released_batches)."""
    with connect(prepare(get_settings())) as conn:
        released = accept_batch(conn, batch, reason)
    console.print(
        f"accepted batch {released.batch_id} of {released.source_name} "
        f"({released.reject_rate:.1%} of its new lines rejected): its rows reach the marts on "
        "the next build",
        soft_wrap=True,
    )
