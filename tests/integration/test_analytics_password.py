"""The generated password itself, checked by a server that asks for it.

The test server trusts its unix socket, so no other test proves the password. Here a throwaway
data folder is set up the way pgserver sets up the embedded one, opened on TCP the way
docs/analyst-guide.md tells (trust lines for TCP turned into scram-sha-256), and a BI login made
by `bi-login create --host 127.0.0.1 --port N` connects with the printed string. About a second.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pgserver._commands import POSTGRES_BIN_PATH
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from core.migrations import migrate
from core.settings import PROJECT_DIR
from tests.integration.test_analytics_warehouse import created_dsn, run_cli, unique_name

pytestmark = pytest.mark.integration

# the documented edit of pg_hba.conf (docs/analyst-guide.md, "The embedded warehouse on TCP")
REQUIRE_PASSWORDS_ON_TCP = r"s/^(host\s+all\s+all\s+\S+\s+)trust/\1scram-sha-256/"


@pytest.fixture(scope="module")
def tcp_server() -> Iterator[tuple[str, int]]:
    """(admin DSN over the unix socket, TCP port) of a fresh server; removed afterwards."""
    # inside the project: as root, the server runs as user pgserver and must reach the folder
    pgdata = PROJECT_DIR / ".warehouse" / f"test-tcp-{uuid.uuid4().hex[:8]}"
    pgdata.mkdir(parents=True)
    user = "pgserver" if os.geteuid() == 0 else None
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    try:
        _pg(
            "initdb",
            pgdata,
            user,
            "--auth=trust",
            "--auth-local=trust",
            "-U",
            "postgres",
            "--encoding=utf8",
            "--no-sync",
        )
        subprocess.run(
            ["sed", "-i", "-E", REQUIRE_PASSWORDS_ON_TCP, str(pgdata / "pg_hba.conf")], check=True
        )
        _pg(
            "pg_ctl",
            pgdata,
            user,
            "-w",
            "-l",
            str(pgdata / "log"),
            "-o",
            f"-h 127.0.0.1 -p {port} -k {pgdata}",
            "start",
        )
        admin = f"postgresql://postgres@/postgres?host={pgdata}&port={port}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("create database forge")
        dsn = make_conninfo(admin, dbname="forge")
        migrate(dsn, PROJECT_DIR / "sql" / "warehouse")
        yield dsn, port
    finally:
        subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "immediate", "stop"],
            capture_output=True,
            user=user,
            check=False,
        )
        shutil.rmtree(pgdata, ignore_errors=True)


def _pg(tool: str, pgdata: Path, user: str | None, *args: str) -> None:
    subprocess.run(
        [str(POSTGRES_BIN_PATH / tool), "-D", str(pgdata), *args],
        capture_output=True,
        user=user,
        check=True,
        timeout=60,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_printed_password_logs_in_over_tcp_and_a_wrong_one_does_not(
    tcp_server: tuple[str, int],
) -> None:
    admin, port = tcp_server
    name = unique_name()
    result = run_cli(
        ["bi-login", "create", name, "--host", "127.0.0.1", "--port", str(port)],
        env={"WAREHOUSE_DSN": admin},
    )
    dsn = created_dsn(result)
    params = conninfo_to_dict(dsn)
    assert (params["host"], params["port"], params["user"]) == ("127.0.0.1", str(port), name)
    with psycopg.connect(dsn) as conn:
        row = conn.execute("select current_user, inet_server_addr() is not null").fetchone()
        assert row == (name, True)  # a TCP session, as that login
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from audit.loads")
    password = params["password"]
    wrong = make_conninfo(dsn, password=password[:-1] + ("y" if password.endswith("x") else "x"))
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(make_conninfo(dsn, password=""))
    # revoked, the same string no longer logs in
    revoked = run_cli(["bi-login", "revoke", name], env={"WAREHOUSE_DSN": admin})
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn)
