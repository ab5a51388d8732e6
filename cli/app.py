"""The forge-warehouse command line: the root command, its sub-commands, and the one error exit."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Annotated

import typer

from cli.analytics import bi_login_app, report, serve
from cli.console import console, red
from cli.db import db_app
from cli.export import export
from cli.ingest import generate, ingest_app
from cli.refresh import build, demo, refresh
from cli.rejects import rejects_app
from core.exceptions import ForgeError
from core.logging import configure_logging

app = typer.Typer(
    help="Forge warehouse: load raw records, build the marts, run the nightly refresh.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_app, name="db")
app.command()(generate)
app.add_typer(ingest_app, name="ingest")
app.add_typer(rejects_app, name="rejects")
app.command()(build)
app.command()(refresh)
app.command()(demo)
app.add_typer(bi_login_app, name="bi-login")
app.command("serve")(serve)
app.command("report")(report)
app.command("export")(export)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug lines.")] = False,
) -> None:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    configure_logging(verbose)


def main() -> None:
    """The forge-warehouse entry point: a ForgeError ends any command as one sentence, exit 1."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    try:
        app(prog_name="forge-warehouse")
    except ForgeError as error:
        console.print(red("error:"), str(error), soft_wrap=True)
        sys.exit(1)
