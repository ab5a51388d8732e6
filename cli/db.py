"""`forge-warehouse db`: start, stop, inspect the warehouse (embedded, or WAREHOUSE_DSN)."""

from __future__ import annotations

import typer

from cli.console import console
from core import embedded
from core.db import connect, describe, parse_dsn
from core.migrations import applied_versions
from core.settings import get_settings
from core.warehouse import prepare

db_app = typer.Typer(help="The warehouse database: the embedded Postgres or WAREHOUSE_DSN.")


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


def _external_dsn() -> str:
    settings = get_settings()
    assert settings.warehouse_dsn is not None
    return settings.warehouse_dsn.get_secret_value()
