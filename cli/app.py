"""The forge-warehouse command line: the root command, its sub-commands, and the one error exit."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Annotated

import typer

from cli.analytics import bi_login_app, report, serve
from cli.console import error_console, printable_message, red
from cli.db import db_app
from cli.docs import docs
from cli.export import export
from cli.ingest import generate, ingest_app
from cli.metrics import metrics_app
from cli.refresh import build, demo, refresh
from cli.rejects import rejects_app
from core.exceptions import ForgeError
from core.logging import configure_logging

logger = logging.getLogger(__name__)

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
app.command("docs")(docs)
app.command("export")(export)
app.add_typer(metrics_app, name="metrics")


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug lines.")] = False,
) -> None:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    configure_logging(verbose)


def main(argv: Sequence[str] | None = None) -> None:
    """The forge-warehouse entry point: whatever goes wrong ends as one sentence and an exit code.

    A bad argument is exit 2, a ForgeError exit 1, anything unforeseen exit 1 as well, with its
    traceback in the log only (`-v`): never a traceback as the only message.
    """
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    try:
        code = app(args=argv, prog_name="forge-warehouse", standalone_mode=False)
    except typer.TyperException as error:  # a bad argument (typer's own click: UsageError)
        context = getattr(error, "ctx", None)
        where = context.command_path if context is not None else "forge-warehouse"
        message = printable_message(error.format_message().replace("\n", " "))
        error_console.print(red("error:"), f"{message} (see {where} --help)", soft_wrap=True)
        sys.exit(error.exit_code)
    except typer.Abort:
        error_console.print(red("aborted"))
        sys.exit(130)
    except ForgeError as error:
        error_console.print(red("error:"), printable_message(str(error)), soft_wrap=True)
        sys.exit(1)
    except OSError as error:  # a path the system refused: too long, not a folder, no access
        logger.debug("file system error", exc_info=True)
        where = f": {error.filename}" if error.filename is not None else ""
        reason = error.strerror or str(error)
        error_console.print(
            red("error:"), printable_message(f"{reason.lower()}{where}"), soft_wrap=True
        )
        sys.exit(1)
    except Exception as error:
        logger.debug("unexpected error", exc_info=True)
        error_console.print(
            red("error:"),
            printable_message(
                f"unexpected {type(error).__name__}: {error}; rerun as forge-warehouse -v "
                "<command> ... to log its traceback"
            ),
            soft_wrap=True,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
