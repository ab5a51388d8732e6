"""The embedded Postgres (pgserver) in a project-local folder: start, stop, status."""

from __future__ import annotations

import logging
import os
import pwd
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from core.exceptions import WarehouseUnavailableError

logger = logging.getLogger(__name__)


def start(pgdata: Path, database: str) -> str:
    """Start the server if it is not running, create `database`, and return its URI."""
    from pgserver.postgres_server import get_server  # imported late: slow, and not always needed

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(pgdata, cleanup_mode=None)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        raise WarehouseUnavailableError(
            f"the embedded Postgres in {pgdata} did not start; see {pgdata / 'log'} ({error})"
        ) from None
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,))
        if exists.fetchone() is None:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
            logger.info("created database %s in the embedded Postgres", database)
    uri: str = server.get_uri(database)
    return uri


def running_pid(pgdata: Path) -> int | None:
    """The postmaster's pid when the embedded server is running, else None (never starts it)."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return None
    pid: int | None = info.pid
    return pid


def stop(pgdata: Path) -> bool:
    """Stop the embedded server; False when it was not running."""
    if running_pid(pgdata) is None:
        return False
    from pgserver._commands import POSTGRES_BIN_PATH

    subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"],
        check=True,
        capture_output=True,
        user=_data_owner(pgdata),
    )
    logger.info("stopped the embedded Postgres in %s", pgdata)
    return True


def _data_owner(pgdata: Path) -> str | None:
    """pgserver runs the server as user `pgserver` when started by root; stop it as that user."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwuid(pgdata.stat().st_uid).pw_name
