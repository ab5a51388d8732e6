"""The analytics commands in this process, and BI or analyst logins made through them that
are dropped afterwards (logins belong to the cluster, so each gets a unique name)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
import typer
from psycopg import sql
from typer.testing import CliRunner, Result

from cli.analytics import bi_login_app, report, serve
from core.settings import get_settings


def cli() -> typer.Typer:
    """The analytics commands as cli/app.py registers them."""
    app = typer.Typer()
    app.add_typer(bi_login_app, name="bi-login")
    app.command("serve")(serve)
    app.command("report")(report)
    return app


def run_cli(args: Sequence[str], env: dict[str, str] | None = None) -> Result:
    """A command in this process, with settings read afresh from the environment."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli(), list(args), env=env)
    finally:
        get_settings.cache_clear()


def unique_name(prefix: str = "test_bi") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def created_dsn(result: Result) -> str:
    """The connection string `bi-login create` printed (its second line)."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout.splitlines()[1].strip()


def drop_login(admin_dsn: str, name: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where usename = %s", (name,)
        )
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))


@contextmanager
def login(admin_dsn: str, *options: str, prefix: str = "test_bi") -> Iterator[tuple[str, str]]:
    """A login made by `bi-login create` (name, connection string), dropped afterwards."""
    name = unique_name(prefix)
    try:
        result = run_cli(["bi-login", "create", name, *options])
        yield name, created_dsn(result)
    finally:
        drop_login(admin_dsn, name)
