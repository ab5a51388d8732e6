"""Login names, limits, session defaults and connection strings: checked before any SQL."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from analytics.login_rules import (
    DEFAULT_LIMITS,
    Limits,
    LoginInfo,
    LoginKind,
    generate_password,
    login_dsn,
    session_defaults,
    validate_limits,
    validate_name,
)
from core.exceptions import ForgeError

SOCKET = "postgresql://postgres:@/forge?host=/srv/forge/.warehouse/pgdata"
TCP = "postgresql://admin:secret@db.example:6543/forge?sslmode=require"


@pytest.mark.parametrize("name", ["metabase", "superset_prod", "a", "x" * 63, "grafana2"])
def test_a_plain_lowercase_name_is_a_login_name(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Metabase",  # would need quoting in every client
        "bi-tool",
        "2fast",
        "x" * 64,  # longer than Postgres keeps
        "pg_reader",  # reserved prefix
        "robert'); drop role postgres; --",
        "forge_bi",  # a group role, not a login
        "forge_loader",
    ],
)
def test_anything_else_is_refused_in_one_sentence(name: str) -> None:
    with pytest.raises(ForgeError) as error:
        validate_name(name)
    assert "\n" not in str(error.value)


def test_defaults_are_valid_and_bi_is_tighter_than_analyst() -> None:
    bi, analyst = DEFAULT_LIMITS[LoginKind.BI], DEFAULT_LIMITS[LoginKind.ANALYST]
    assert validate_limits(bi) == bi and validate_limits(analyst) == analyst
    assert bi.statement_timeout == "60s" and analyst.statement_timeout == "10min"


@pytest.mark.parametrize(
    ("limits", "says"),
    [
        (Limits("10", "1GB", 5), "not a duration"),
        (Limits("0s", "1GB", 5), "not a duration"),  # zero would mean no timeout
        (Limits("60s", "1G", 5), "not a size"),
        (Limits("60s", "-1", 5), "not a size"),  # -1 would mean no limit
        (Limits("60s", "1GB", 0), "not between 1 and 1000"),
        (Limits("60s", "1GB", 5, idle_in_transaction_session_timeout="forever"), "idle"),
    ],
)
def test_limits_that_would_not_protect_are_refused(limits: Limits, says: str) -> None:
    with pytest.raises(ForgeError, match=says):
        validate_limits(limits)


def test_session_defaults_make_a_read_only_login_that_starts_in_marts() -> None:
    limits = Limits("30s", "512MB", 3)
    bi = dict(session_defaults(LoginKind.BI, limits))
    assert bi == {
        "default_transaction_read_only": ("on",),
        "search_path": ("marts",),
        "statement_timeout": ("30s",),
        "idle_in_transaction_session_timeout": ("60s",),
        "temp_file_limit": ("512MB",),
    }
    analyst = dict(session_defaults(LoginKind.ANALYST, limits))
    assert analyst["search_path"] == ("marts", "intermediate", "staging")


def test_a_password_is_long_random_and_needs_no_escaping() -> None:
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) >= 32 and p.replace("-", "").replace("_", "").isalnum() for p in passwords)


def test_a_socket_warehouse_gives_a_socket_uri() -> None:
    dsn = login_dsn(SOCKET, "metabase", "pw")
    assert dsn == "postgresql://metabase:pw@/forge?host=/srv/forge/.warehouse/pgdata"
    assert conninfo_to_dict(dsn)["host"] == "/srv/forge/.warehouse/pgdata"


def test_a_tcp_warehouse_keeps_host_port_database_and_tls_but_not_the_admin() -> None:
    params = conninfo_to_dict(login_dsn(TCP, "metabase", "pw"))
    assert params == {
        "user": "metabase",
        "password": "pw",
        "host": "db.example",
        "port": "6543",
        "dbname": "forge",
        "sslmode": "require",
    }


def test_another_address_for_bi_tools_replaces_the_warehouses() -> None:
    params = conninfo_to_dict(login_dsn(SOCKET, "metabase", "pw", host="127.0.0.1", port=5432))
    assert (params["host"], params["port"], params["dbname"]) == ("127.0.0.1", "5432", "forge")
    ipv6 = conninfo_to_dict(login_dsn(TCP, "m", "pw", host="::1", port=5433))
    assert (ipv6["host"], ipv6["port"]) == ("::1", "5433")


def _info(settings: dict[str, str], connection_limit: int = 10) -> LoginInfo:
    return LoginInfo("m", "forge_bi", connection_limit, 0, settings, None)


def test_drift_is_empty_for_a_login_as_created() -> None:
    created = {
        name: values[0]
        for name, values in session_defaults(LoginKind.BI, DEFAULT_LIMITS[LoginKind.BI])
    }
    assert _info(created).drift() == []


def test_drift_names_each_lifted_protection() -> None:
    lifted = {"statement_timeout": "0", "default_transaction_read_only": "off"}
    assert _info(lifted, connection_limit=-1).drift() == [
        "temp_file_limit unset",
        "statement_timeout=0",
        "default_transaction_read_only=off",
        "no connection limit",
    ]
