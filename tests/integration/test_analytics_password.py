"""The generated password itself, checked by a server that asks for it; and the embedded
warehouse opened for BI tools on TCP by `forge-warehouse db up --tcp`.

The test server trusts its unix socket, so no other test proves the password. Here a throwaway
embedded warehouse (its own FORGE_HOME) is opened on TCP by the command the README gives, a BI
login made by `bi-login create --host 127.0.0.1 --port N` connects with the printed string, and
nobody gets in over TCP without a password. A few seconds.
"""

from __future__ import annotations

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
from typer.testing import CliRunner, Result

from cli.app import app
from core import embedded
from core.exceptions import ForgeError
from core.settings import PROJECT_DIR, get_settings
from tests.logins import created_dsn, run_cli, unique_name

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    """A FORGE_HOME of its own (inside the project: as root, the server runs as user pgserver
    and must reach the folder); its server is stopped and the folder removed afterwards."""
    path = PROJECT_DIR / ".warehouse" / f"test-tcp-{uuid.uuid4().hex[:8]}"
    try:
        yield path
    finally:
        embedded.stop(path / "pgdata")
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def tcp_server(home: Path) -> tuple[str, int]:
    """(admin DSN over the unix socket, TCP port) after `forge-warehouse db up --tcp --port N`."""
    port = _free_port()
    result = forge(["db", "up", "--tcp", "--port", str(port)], home)
    assert result.exit_code == 0, result.output
    assert f"listening on 127.0.0.1:{port}" in result.output
    admin = embedded.start(home / "pgdata", "forge")
    return admin, port


def forge(args: list[str], home: Path) -> Result:
    """A forge-warehouse command in this process, on the embedded warehouse in `home`."""
    get_settings.cache_clear()
    try:
        env = {"FORGE_HOME": str(home), "WAREHOUSE_DSN": None}
        return CliRunner().invoke(app, args, env=env)
    finally:
        get_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_nobody_gets_in_over_tcp_without_a_password(tcp_server: tuple[str, int]) -> None:
    _, port = tcp_server
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/forge", connect_timeout=5)


def test_db_status_and_env_tell_how_to_reach_it(tcp_server: tuple[str, int], home: Path) -> None:
    _, port = tcp_server
    status = forge(["db", "status"], home)
    assert f"also on 127.0.0.1:{port}" in status.output, status.output
    exports = forge(["db", "env"], home)
    assert exports.exit_code == 0, exports.output
    # the lines as a shell reads them, then psql with nothing else set
    psql = POSTGRES_BIN_PATH / "psql"
    shell = f'{exports.output}\n"{psql}" -tA -c "select current_database()"'
    answer = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=False)
    assert answer.stdout.strip() == "forge", answer.stderr
    assert f"port {port}" in exports.output


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


def test_a_taken_port_is_one_sentence_and_the_warehouse_keeps_running(
    tcp_server: tuple[str, int], home: Path
) -> None:
    admin, _ = tcp_server
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = forge(["db", "up", "--tcp", "--port", str(taken.getsockname()[1])], home)
    # the ForgeError the CLI's main() prints as one sentence, exit 1
    message = str(result.exception)
    assert isinstance(result.exception, ForgeError), result.output
    assert message.startswith("cannot listen on 127.0.0.1:") and "--port" in message
    assert "\n" not in message
    with psycopg.connect(admin) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
