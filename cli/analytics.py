"""Commands for analysts and BI tools: logins, the analytics API, the HTML report.

Registered by cli/app.py as `forge-warehouse bi-login ...`, `forge-warehouse serve` and
`forge-warehouse report`. Bad input raises ForgeError (one sentence, exit code 1 there).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from analytics.login_rules import DEFAULT_LIMITS, Limits, LoginKind, NewLogin
from analytics.logins import create_login, list_logins, revoke_login
from cli import arguments
from cli.console import console, red
from core.settings import get_settings
from core.warehouse import prepare

logger = logging.getLogger(__name__)

GUIDE = "docs/analyst-guide.md"

bi_login_app = typer.Typer(
    help=(
        "Logins for BI tools (forge_bi: reads the marts, nothing else) and analysts "
        "(forge_analyst: staging, intermediate, marts)."
    ),
    no_args_is_help=True,
)


@bi_login_app.command("create")
def bi_login_create(
    name: Annotated[
        str,
        typer.Argument(
            parser=arguments.login_name, help="Login name: lowercase letters, digits, _."
        ),
    ],
    role: Annotated[
        LoginKind, typer.Option(help="bi: the marts only; analyst: staging, intermediate, marts.")
    ] = LoginKind.BI,
    statement_timeout: Annotated[
        str | None,
        typer.Option(
            parser=arguments.duration,
            help="Longest query, e.g. 60s (default: 60s bi, 10min analyst).",
        ),
    ] = None,
    temp_file_limit: Annotated[
        str | None,
        typer.Option(
            parser=arguments.size,
            help="Most temp-file space a query may use (default 1GB / 5GB).",
        ),
    ] = None,
    connection_limit: Annotated[
        int | None,
        typer.Option(min=1, max=1000, help="Most open connections (default 10 bi, 5 analyst)."),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            parser=arguments.host,
            help="Host BI tools reach the warehouse at, if not WAREHOUSE_DSN's.",
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port to go with --host.")
    ] = None,
) -> None:
    """Create a read-only login and print its connection string, once: it is not stored."""
    defaults = DEFAULT_LIMITS[role]
    limits = Limits(
        statement_timeout=statement_timeout or defaults.statement_timeout,
        temp_file_limit=temp_file_limit or defaults.temp_file_limit,
        connection_limit=(
            defaults.connection_limit if connection_limit is None else connection_limit
        ),
    )
    login = create_login(prepare(get_settings()), name, role, limits, host=host, port=port)
    _print_new_login(login)


@bi_login_app.command("list")
def bi_login_list() -> None:
    """List BI and analyst logins with their limits, open sessions and any lifted protection."""
    logins = list_logins(prepare(get_settings()))
    if not logins:
        typer.echo("no BI or analyst logins yet (forge-warehouse bi-login create NAME)")
        return
    table = Table("login", "role", "sessions", "statement timeout", "temp files", "protections")
    for login in logins:
        drift = login.drift()
        table.add_row(
            login.name,
            login.group_role,
            f"{login.connections}/{login.connection_limit}",
            login.settings.get("statement_timeout", "-"),
            login.settings.get("temp_file_limit", "-"),
            red("changed: " + ", ".join(drift)) if drift else "as created",
        )
    console.print(table)


@bi_login_app.command("revoke")
def bi_login_revoke(
    name: Annotated[str, typer.Argument(help="The login to drop (see bi-login list).")],
) -> None:
    """Close a login's sessions and drop it."""
    closed = revoke_login(prepare(get_settings()), name)
    typer.echo(f"revoked {name}" + (f" and closed its {closed} session(s)" if closed else ""))


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback exposes the marts.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8000,
) -> None:
    """Serve the read-only analytics API (OpenAPI at /openapi.json) through a BI login."""
    from analytics.api.app import create_app
    from analytics.api.pool import ApiPool
    from analytics.api.server import bind, bound_port, resolve_bi_dsn, run

    settings = get_settings()
    sock = bind(host, port)
    dsn, login = resolve_bi_dsn(settings)
    app = create_app(
        ApiPool(dsn, settings.api_pool_size), login=login, cors_origins=settings.cors_origins
    )
    shown = f"[{host}]" if ":" in host else host
    typer.echo(
        f"analytics API on http://{shown}:{bound_port(sock)} reading the marts as {login}; "
        f"OpenAPI at /openapi.json, docs at /docs and /redoc (Ctrl-C stops)"
    )
    run(app, sock)


def report(
    out: Annotated[
        Path | None,
        typer.Option(
            parser=arguments.output_file,
            help="HTML file to write (default: $FORGE_HOME/reports/report.html).",
        ),
    ] = None,
) -> None:
    """Write the static HTML report: charts of the marts and the data-health numbers."""
    from analytics.report.build import build_report

    settings = get_settings()
    target = out or settings.home / "reports" / "report.html"
    if target.is_dir():
        target = target / "report.html"
    size = build_report(prepare(settings), target, settings.dbt_project_dir)
    typer.echo(f"wrote the report to {target} ({size // 1024} KB)")


def _print_new_login(login: NewLogin) -> None:
    """The connection string once, then where it points; everything else is password-free."""
    typer.echo(
        f"created {login.kind.value} login {login.name} (member of {login.kind.group_role}); "
        "its connection string, shown this once and stored nowhere:"
    )
    typer.echo(f"  {login.dsn}")
    where = f"host {login.host}, port {login.port}, database {login.dbname}, user {login.name}"
    typer.echo(f"for a BI tool's form: {where}, password as in the string above")
    limits = login.limits
    typer.echo(
        f"limits: statement_timeout {limits.statement_timeout}, temp_file_limit "
        f"{limits.temp_file_limit}, {limits.connection_limit} connections, read-only"
    )
    if login.is_unix_socket:
        typer.echo(
            f"note: {login.host} is a unix socket directory (the embedded warehouse): tools on "
            f"this machine that speak libpq can use it; others need TCP, see {GUIDE}"
        )
