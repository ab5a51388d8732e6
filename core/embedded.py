"""The embedded Postgres (pgserver) in a project-local folder: start, stop, status, TCP."""

from __future__ import annotations

import logging
import os
import pwd
import re
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from core.exceptions import WarehouseUnavailableError

logger = logging.getLogger(__name__)

DEFAULT_PORT = 5432
# how long a start may take in all, crash recovery on a busy machine included
STARTUP_SECONDS = 180.0
LOOPBACK = "127.0.0.1"
_TRUSTED_HOST_LINE = re.compile(r"^(host\s+\S+\s+\S+\s+\S+\s+)trust\b", re.MULTILINE)


def start(pgdata: Path, database: str) -> str:
    """Start the server if it is not running, create `database`, and return its URI."""
    from pgserver.postgres_server import get_server  # imported late: slow, and not always needed

    # made here: pgserver's own mkdir fails when another process starting the same new server
    # made it first (two test workers, or two commands on a fresh checkout)
    pgdata.mkdir(parents=True, exist_ok=True)
    _forget_if_restarted(pgdata)
    try:
        try:
            server = get_server(pgdata, cleanup_mode=None)
        except subprocess.TimeoutExpired:
            # pgserver gives pg_ctl 10 s; crash recovery on a busy machine can take longer while
            # the server goes on starting: wait for it, then take it as the running server
            _wait_until_ready(pgdata)
            _forget_if_restarted(pgdata)
            server = get_server(pgdata, cleanup_mode=None)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        raise WarehouseUnavailableError(
            f"the embedded Postgres in {pgdata} did not start; see {pgdata / 'log'} ({error})"
        ) from None
    with psycopg.connect(_uri(server, "postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,))
        if exists.fetchone() is None:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
            logger.info("created database %s in the embedded Postgres", database)
    return _uri(server, database)


def address(pgdata: Path, database: str) -> str:
    """The URI `start` returns for the server of `pgdata` on its default port, known without
    starting it: what the first run will connect to, for what is prepared before it."""
    return f"postgresql://postgres:@/{database}?host={pgdata.expanduser().resolve()}"


def _wait_until_ready(pgdata: Path, seconds: float = STARTUP_SECONDS) -> None:
    """Wait until the postmaster that is starting in `pgdata` says it is ready; TimeoutExpired
    if it has not by then, or if it stopped."""
    from pgserver.utils import PostmasterInfo

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
        if info is not None and not info.is_running():
            break
        if info is not None and info.status == "ready":
            return
        time.sleep(0.5)
    raise subprocess.TimeoutExpired(["postgres", "-D", str(pgdata)], seconds)


def _uri(server: Any, database: str) -> str:
    """The server's socket URI; pgserver's leaves the port out, but the socket is named by it."""
    uri: str = server.get_uri(database)
    port = server.get_postmaster_info().port
    if port is not None and int(port) != DEFAULT_PORT:
        uri += f"&port={port}"
    return uri


def _forget_if_restarted(pgdata: Path) -> None:
    """pgserver keeps one handle per data folder for the life of the process, with the pid and
    port it saw; after a stop or a restart (`db up --tcp`) that handle is stale, so drop it."""
    from pgserver.postgres_server import PostgresServer
    from pgserver.utils import PostmasterInfo

    key = pgdata.expanduser().resolve()
    cached = PostgresServer._instances.get(key)
    if cached is None:
        return
    current = PostmasterInfo.read_from_pgdata(key) if key.exists() else None
    if current is None or not current.is_running() or current.pid != cached.get_pid():
        PostgresServer._instances.pop(key, None)


def tcp_port(pgdata: Path) -> int | None:
    """The port the running embedded server listens on over TCP, or None (socket only)."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running() or not (info.hostname or "").strip():
        return None
    return int(info.port) if info.port is not None else None


def start_tcp(pgdata: Path, database: str, port: int) -> str:
    """Have the embedded server listen on LOOPBACK:`port` besides its socket, with a password
    required on every TCP connection (the socket stays trusted for the project's commands);
    returns its socket URI. A server already listening there is left as it is."""
    start(pgdata, database)  # initialized, running, the database created
    if tcp_port(pgdata) == port:
        return start(pgdata, database)
    _check_free(port)
    _require_passwords_on_tcp(pgdata / "pg_hba.conf")
    stop(pgdata)
    from pgserver._commands import POSTGRES_BIN_PATH

    started = subprocess.run(
        [
            str(POSTGRES_BIN_PATH / "pg_ctl"),
            "-D",
            str(pgdata),
            "-l",
            str(pgdata / "log"),
            "-w",
            "-o",
            f"-h {LOOPBACK} -p {port} -k {pgdata}",
            "start",
        ],
        capture_output=True,
        text=True,
        user=_data_owner(pgdata),
        check=False,
    )
    if started.returncode != 0:
        raise WarehouseUnavailableError(
            f"the embedded Postgres did not start on {LOOPBACK}:{port}; see {pgdata / 'log'}"
        )
    logger.info("the embedded Postgres listens on %s:%d (passwords required)", LOOPBACK, port)
    return start(pgdata, database)


def _require_passwords_on_tcp(pg_hba: Path) -> None:
    """Every `host` line that trusts becomes scram-sha-256: nobody gets in over TCP without a
    password (the superuser has none, so only logins made with `bi-login create` can)."""
    text = pg_hba.read_text(encoding="utf-8")
    required = _TRUSTED_HOST_LINE.sub(r"\1scram-sha-256", text)
    if required != text:
        pg_hba.write_text(required, encoding="utf-8")  # in place: owner and mode stay


def _check_free(port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError as error:
            raise WarehouseUnavailableError(
                f"cannot listen on {LOOPBACK}:{port} ({error.strerror}); choose another "
                "port with --port"
            ) from None


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
