"""`bi-login create | list | revoke` against the real server: a BI login reads every mart and
nothing else, and its limits hold. Every forbidden action is tried as the login."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from core.exceptions import ForgeError
from tests.built import Built, relations
from tests.logins import created_dsn, drop_login, login, run_cli, unique_name

pytestmark = pytest.mark.integration

# (statement, why it must fail). Each runs twice: with the login's defaults, where the read-only
# default may refuse it first, and after `set default_transaction_read_only = off` (a login may
# lift its own defaults), where only the missing privilege can refuse it.
FORBIDDEN = [
    ("select * from raw.user_feedback limit 1", "raw"),
    ("select * from staging.stg_dataforge__user_feedback limit 1", "staging"),
    ("select * from intermediate.int_session_templates_unpivoted limit 1", "intermediate"),
    ("select * from snapshots.analytics_probe limit 1", "snapshots"),
    ("select * from audit.loads limit 1", "audit"),
    ("select * from audit.rejects limit 1", "audit"),
    ("insert into marts.pattern_analytics (pattern_id) values ('x')", "write"),
    ("update marts.pattern_analytics set total_projects = 0", "write"),
    ("delete from marts.pattern_analytics", "write"),
    ("truncate marts.pattern_analytics", "write"),
    ("copy marts.pattern_analytics to '/tmp/forge_bi_copy.csv'", "write a server file"),
    ("create table marts.probe (x int)", "DDL in marts"),
    ("create table public.probe (x int)", "DDL in public"),
    ("create view marts.probe as select 1 as x", "DDL in marts"),
    ("create function marts.probe() returns int language sql as 'select 1'", "DDL"),
    ("create schema probe", "DDL"),
    ("create temp table probe (x int)", "temporary table"),
    ("alter table marts.pattern_analytics add column probe int", "DDL"),
    ("drop table marts.pattern_analytics", "DDL"),
    ("create index on marts.pattern_analytics (pattern_name)", "DDL"),
    ("comment on table marts.pattern_analytics is 'probe'", "DDL"),
    ("select lo_create(0)", "large object"),
    ("select lo_from_bytea(0, 'probe')", "large object"),
    ("set role forge_analyst", "another role"),
    ("set temp_file_limit = -1", "lift the temp-file limit"),
]


@pytest.fixture(scope="module")
def built(built: Built) -> Iterator[Built]:
    """The shared warehouse, with a table standing for a snapshot."""
    with psycopg.connect(built.dsn, autocommit=True) as conn:
        # dbt builds no snapshot here yet: a table stands for one
        conn.execute("create table if not exists snapshots.analytics_probe (x int)")
    yield built


@pytest.fixture(scope="module")
def bi(built: Built) -> Iterator[tuple[str, str]]:
    with login(built.dsn) as made:
        yield made


@pytest.fixture(scope="module")
def limited(built: Built) -> Iterator[tuple[str, str]]:
    """A BI login with limits small enough to hit in a test."""
    options = [
        "--statement-timeout",
        "300ms",
        "--temp-file-limit",
        "1MB",
        "--connection-limit",
        "2",
    ]
    with login(built.dsn, *options) as made:
        yield made


def test_create_prints_a_working_connection_string_once_and_logs_no_password(
    built: Built, caplog: pytest.LogCaptureFixture
) -> None:
    name = unique_name()
    caplog.set_level(logging.DEBUG)
    try:
        result = run_cli(["bi-login", "create", name])
        dsn = created_dsn(result)
        password = psycopg.conninfo.conninfo_to_dict(dsn)["password"]
        assert len(password) >= 32
        assert result.stdout.count(password) == 1
        assert password not in caplog.text and name in caplog.text
        with psycopg.connect(dsn) as conn:
            assert conn.execute("select current_user").fetchone() == (name,)
            settings = dict(
                conn.execute(
                    "select name, setting from pg_settings where name = any(%s)",
                    (
                        [
                            "default_transaction_read_only",
                            "search_path",
                            "statement_timeout",
                            "temp_file_limit",
                            "idle_in_transaction_session_timeout",
                        ],
                    ),
                ).fetchall()
            )
            assert conn.execute("select count(*) from pattern_analytics").fetchone()[0] > 0
        assert settings == {
            "default_transaction_read_only": "on",
            "search_path": "marts",
            "statement_timeout": "60000",
            "temp_file_limit": "1048576",
            "idle_in_transaction_session_timeout": "60000",
        }
        with psycopg.connect(built.dsn) as conn:
            row = conn.execute(
                "select rolpassword, rolconnlimit, rolsuper, rolcreaterole, rolcreatedb "
                "from pg_authid where rolname = %s",
                (name,),
            ).fetchone()
        # the server got a SCRAM verifier, never the password
        assert row is not None and row[0].startswith("SCRAM-SHA-256$") and password not in row[0]
        assert row[1:] == (10, False, False, False)
    finally:
        drop_login(built.dsn, name)


def test_a_bi_login_reads_every_mart(built: Built, bi: tuple[str, str]) -> None:
    marts = relations(built.dsn, "marts")
    assert {"pattern_analytics", "phase_performance", "template_metrics"} <= set(marts)
    with psycopg.connect(bi[1]) as conn:
        for name in marts:
            query = sql.SQL("select count(*) from {}").format(sql.Identifier("marts", name))
            assert conn.execute(query).fetchone() is not None, name


@pytest.mark.parametrize(("statement", "what"), FORBIDDEN, ids=[s for s, _ in FORBIDDEN])
def test_a_bi_login_is_refused(bi: tuple[str, str], statement: str, what: str) -> None:
    with psycopg.connect(bi[1], autocommit=True) as conn:
        with pytest.raises(
            (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)
        ):
            conn.execute(statement)
        conn.execute("set default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_a_bi_login_cannot_lift_its_temp_file_limit_for_good(bi: tuple[str, str]) -> None:
    name = psycopg.conninfo.conninfo_to_dict(bi[1])["user"]
    with psycopg.connect(bi[1], autocommit=True) as conn:
        conn.execute("set default_transaction_read_only = off")
        for change in ("set temp_file_limit = -1", "reset temp_file_limit"):
            statement = sql.SQL("alter role {} ").format(sql.Identifier(name)) + sql.SQL(change)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_the_statement_timeout_cancels_a_runaway_query(limited: tuple[str, str]) -> None:
    with psycopg.connect(limited[1]) as conn, pytest.raises(psycopg.errors.QueryCanceled):
        conn.execute("select pg_sleep(5)")


def test_the_temp_file_limit_stops_a_query_that_spills(limited: tuple[str, str]) -> None:
    with psycopg.connect(limited[1]) as conn:
        conn.execute("set statement_timeout = '30s'")
        conn.execute("set work_mem = '64kB'")
        with pytest.raises(psycopg.errors.ConfigurationLimitExceeded):
            conn.execute(
                "select count(*) from (select g from generate_series(1, 2000000) as g "
                "order by g desc) as sorted"
            )


def test_the_connection_limit_refuses_one_connection_too_many(limited: tuple[str, str]) -> None:
    first = psycopg.connect(limited[1])
    second = psycopg.connect(limited[1])
    try:
        with pytest.raises(psycopg.OperationalError, match="too many connections"):
            psycopg.connect(limited[1])
    finally:
        first.close()
        second.close()


def test_list_shows_each_login_and_flags_a_lifted_protection(
    built: Built, limited: tuple[str, str]
) -> None:
    name = psycopg.conninfo.conninfo_to_dict(limited[1])["user"]
    result = run_cli(["bi-login", "list"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if name in line)
    assert "forge_bi" in line and "300ms" in line and "as created" in line
    with psycopg.connect(limited[1], autocommit=True) as conn:
        conn.execute("set default_transaction_read_only = off")
        conn.execute(
            sql.SQL("alter role {} set statement_timeout = 0").format(sql.Identifier(name))
        )
    result = run_cli(["bi-login", "list"])
    line = next(line for line in result.stdout.splitlines() if name in line)
    assert "statement_timeout=0" in line
    with psycopg.connect(built.dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("alter role {} set statement_timeout = '300ms'").format(sql.Identifier(name))
        )


def test_revoke_closes_the_logins_sessions_and_drops_it(built: Built) -> None:
    name = unique_name()
    try:
        dsn = created_dsn(run_cli(["bi-login", "create", name]))
        session = psycopg.connect(dsn)
        result = run_cli(["bi-login", "revoke", name])
        assert result.exit_code == 0, result.output
        assert "closed its 1 session" in result.stdout
        with pytest.raises(psycopg.OperationalError):
            session.execute("select 1")
        with psycopg.connect(built.dsn) as conn:
            gone = conn.execute("select count(*) from pg_roles where rolname = %s", (name,))
            assert gone.fetchone() == (0,)
        again = run_cli(["bi-login", "revoke", name])
        assert isinstance(again.exception, ForgeError)
    finally:
        drop_login(built.dsn, name)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["bi-login", "create", "Bad-Name"], "is not a login name"),
        (["bi-login", "create", "pg_reader"], "not a usable login name"),
        (["bi-login", "create", "forge_bi"], "group roles"),
        (["bi-login", "create", "x_probe", "--statement-timeout", "10"], "is not a duration"),
        (["bi-login", "create", "x_probe", "--temp-file-limit", "lots"], "is not a size"),
        (["bi-login", "create", "x_probe", "--connection-limit", "0"], "greater than or equal"),
        (["bi-login", "revoke", "postgres"], "not a BI or analyst login"),
        (["bi-login", "revoke", "forge_bi"], "not a BI or analyst login"),
    ],
)
def test_bad_input_is_one_sentence(built: Built, args: list[str], says: str) -> None:
    """Refused by the warehouse (ForgeError, exit 1) or, for a malformed value, already by the
    argument parser (a usage error, exit 2); either way one sentence saying what is wrong."""
    result = run_cli(args)
    assert result.exit_code in (1, 2), result.output
    if result.exit_code == 1:
        assert isinstance(result.exception, ForgeError), result.output
        assert says in str(result.exception) and "\n" not in str(result.exception)
    else:
        words = " ".join(result.output.replace("│", " ").split())
        assert says in words, result.output
        assert "Traceback" not in result.output


def test_create_refuses_a_name_that_is_taken(bi: tuple[str, str]) -> None:
    name = psycopg.conninfo.conninfo_to_dict(bi[1])["user"]
    result = run_cli(["bi-login", "create", name])
    assert isinstance(result.exception, ForgeError)
    assert "already exists" in str(result.exception)
