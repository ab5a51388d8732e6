"""`forge-warehouse db`: start, stop, inspect the warehouse (embedded, or WAREHOUSE_DSN)."""

from __future__ import annotations

import shlex
from typing import Annotated

import typer

from cli.console import console
from core import embedded
from core.db import connect, dbt_env, describe, parse_dsn
from core.exceptions import ForgeError
from core.migrations import applied_versions
from core.settings import get_settings
from core.warehouse import prepare

db_app = typer.Typer(help="The warehouse database: the embedded Postgres or WAREHOUSE_DSN.")


@db_app.command("up")
def db_up(
    tcp: Annotated[
        bool,
        typer.Option(
            "--tcp",
            help="Also listen on 127.0.0.1 for BI tools that need TCP (passwords required there).",
        ),
    ] = False,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="The TCP port, with --tcp.")
    ] = embedded.DEFAULT_PORT,
) -> None:
    """Start the warehouse (embedded unless WAREHOUSE_DSN is set) and apply its schemas."""
    settings = get_settings()
    if tcp and settings.warehouse_dsn is not None:
        raise ForgeError(
            "--tcp opens the embedded warehouse on TCP; WAREHOUSE_DSN's server is reached "
            "the way it is configured"
        )
    if tcp:
        embedded.start_tcp(settings.pgdata, settings.embedded_database, port)
    dsn = prepare(settings)
    console.print(f"warehouse ready at {describe(parse_dsn(dsn))}")
    if tcp:
        console.print(
            f"listening on {embedded.LOOPBACK}:{port} too; a password is required there. "
            f"Make a login for a BI tool: forge-warehouse bi-login create NAME "
            f"--host {embedded.LOOPBACK} --port {port}"
        )


@db_app.command("env")
def db_env() -> None:
    """Print what psql, dbt and other libpq tools need, as shell export lines (PATH gets the
    psql that comes with the embedded server, after yours): eval "$(forge-warehouse db env)"."""
    settings = get_settings()
    dsn = prepare(settings)
    params = parse_dsn(dsn)
    variables = {
        "PGHOST": str(params.get("host") or "localhost"),
        "PGPORT": str(params.get("port") or embedded.DEFAULT_PORT),
        "PGUSER": str(params.get("user") or "postgres"),
        "PGDATABASE": str(params.get("dbname") or params.get("user") or "postgres"),
        **({"PGPASSWORD": str(params["password"])} if params.get("password") else {}),
        **dbt_env(dsn),
        "DBT_PROJECT_DIR": str(settings.dbt_project_dir),
        "DBT_PROFILES_DIR": str(settings.dbt_project_dir),
    }
    for name, value in variables.items():
        typer.echo(f"export {name}={shlex.quote(value)}")
    from pgserver._commands import POSTGRES_BIN_PATH  # psql and pg_dump, after any of your own

    typer.echo(f'export PATH="$PATH":{shlex.quote(str(POSTGRES_BIN_PATH))}')
    port = embedded.tcp_port(settings.pgdata) if settings.warehouse_dsn is None else None
    if port is not None:
        typer.echo(f"# BI tools over TCP: host {embedded.LOOPBACK}, port {port}, a BI login")


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
        port = embedded.tcp_port(settings.pgdata)
        listening = f", also on {embedded.LOOPBACK}:{port}" if port is not None else ""
        console.print(f"embedded Postgres in {settings.pgdata}: running (pid {pid}{listening})")
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
