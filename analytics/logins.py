"""Logins for BI tools and analysts: members of forge_bi or forge_analyst, with their own limits.

A login gets nothing directly: its privileges come from its group role (sql/warehouse/0002 and
0006), its protections from session defaults set on the login itself, because settings of a
group role never reach its members. The password is generated here, sent to the server as a
SCRAM verifier (so not even a server log of the statement holds it), and returned once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from analytics.login_rules import (
    DEFAULT_LIMITS,
    Limits,
    LoginInfo,
    LoginKind,
    NewLogin,
    generate_password,
    login_dsn,
    session_defaults,
    validate_limits,
    validate_name,
)
from analytics.queries import query, statement
from core.db import connect, first_line, parse_dsn
from core.exceptions import ForgeError

logger = logging.getLogger(__name__)


def create_login(
    warehouse_dsn: str,
    name: str,
    kind: LoginKind,
    limits: Limits,
    *,
    host: str | None = None,
    port: int | None = None,
) -> NewLogin:
    """Create a login in the group role of `kind`, all in one transaction."""
    validate_name(name)
    validate_limits(limits)
    password = generate_password()
    with connect(warehouse_dsn) as conn:
        if _lookup(conn, name) is not None:
            raise ForgeError(f"a role named {name} already exists; pick another name")
        _run(conn, f"create login {name}", lambda: _create(conn, name, kind, limits, password))
        _run(conn, f"note on login {name}", lambda: _note(conn, name, kind, None))
        conn.commit()
    logger.info("created %s login %s (%s)", kind.value, name, kind.group_role)
    return _new_login(warehouse_dsn, name, kind, limits, password, host=host, port=port)


def ensure_service_login(warehouse_dsn: str, name: str, connection_limit: int) -> str:
    """The analytics API's own BI login, created or given a fresh password; returns its DSN.

    The password lives only in this process: every start rotates it.
    """
    validate_name(name)
    kind = LoginKind.BI
    limits = validate_limits(replace(DEFAULT_LIMITS[kind], connection_limit=connection_limit))
    password = generate_password()
    with connect(warehouse_dsn) as conn:
        found = _lookup(conn, name)
        if found is None:
            _run(conn, f"create login {name}", lambda: _create(conn, name, kind, limits, password))
            _run(conn, "note", lambda: _note(conn, name, kind, "the analytics API's login"))
        elif found["group_roles"] != [kind.group_role] or found["is_superuser"]:
            raise ForgeError(
                f"the role {name} exists and is not a BI-only login; set FORGE_API_LOGIN to "
                "another name"
            )
        else:
            _run(conn, f"renew login {name}", lambda: _renew(conn, name, kind, limits, password))
        conn.commit()
    logger.info("analytics API reads the marts as BI login %s", name)
    return login_dsn(warehouse_dsn, name, password)


def list_logins(warehouse_dsn: str) -> list[LoginInfo]:
    """Every BI and analyst login, with its limits and open sessions."""
    with connect(warehouse_dsn) as conn, conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(query("select_logins")).fetchall()
    return [
        LoginInfo(
            name=row["login"],
            group_role=row["group_role"],
            connection_limit=row["connection_limit"],
            connections=row["connections"],
            settings=dict(entry.split("=", 1) for entry in row["settings"]),
            note=row["note"],
        )
        for row in rows
    ]


def revoke_login(warehouse_dsn: str, name: str) -> int:
    """Close the login's sessions and drop it; returns how many sessions were closed."""
    with connect(warehouse_dsn) as conn:
        found = _lookup(conn, name)
        groups = set(found["group_roles"]) if found else set()
        if found is None or not found["can_login"] or not groups & {"forge_bi", "forge_analyst"}:
            raise ForgeError(f"{name} is not a BI or analyst login (see: bi-login list)")
        closed = _terminate_sessions(conn, name)
        login = sql.Identifier(name)
        _run(conn, f"drop login {name}", lambda: conn.execute(statement("drop_login", login=login)))
        conn.commit()
    logger.info("revoked login %s", name)
    return closed


def check_bi_login(dsn: str) -> str:
    """The DSN's login name, after checking it is a BI login that reaches the marts only."""
    with connect(dsn) as conn, conn.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(query("select_current_access")).fetchone()
    assert row is not None
    problem = None
    if row["is_superuser"]:
        problem = "a superuser"
    elif not row["is_bi"]:
        problem = "not a member of forge_bi"
    elif row["other_schemas"]:
        problem = f"able to read {', '.join(row['other_schemas'])} too"
    if problem:
        raise ForgeError(
            f"FORGE_BI_DSN logs in as {row['login']}, which is {problem}; the API reads through "
            "a BI login only (forge-warehouse bi-login create NAME)"
        )
    return str(row["login"])


def _new_login(
    warehouse_dsn: str,
    name: str,
    kind: LoginKind,
    limits: Limits,
    password: str,
    *,
    host: str | None,
    port: int | None,
) -> NewLogin:
    params = parse_dsn(warehouse_dsn)
    return NewLogin(
        name=name,
        kind=kind,
        limits=limits,
        dsn=login_dsn(warehouse_dsn, name, password, host=host, port=port),
        host=host or str(params.get("host") or "localhost"),
        port=str(port or params.get("port") or "5432"),
        dbname=str(params.get("dbname") or ""),
    )


def _lookup(conn: psycopg.Connection[Any], name: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query("select_login"), {"login": name}).fetchone()


def _verifier(conn: psycopg.Connection[Any], name: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of `password`, computed by libpq on our side."""
    encrypted = conn.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256")
    return encrypted.decode()


def _create(
    conn: psycopg.Connection[Any], name: str, kind: LoginKind, limits: Limits, password: str
) -> None:
    conn.execute(
        statement(
            "create_login",
            login=sql.Identifier(name),
            password=sql.Literal(_verifier(conn, name, password)),
            group_role=sql.Identifier(kind.group_role),
            connection_limit=sql.Literal(limits.connection_limit),
        )
    )
    _set_defaults(conn, name, kind, limits)


def _renew(
    conn: psycopg.Connection[Any], name: str, kind: LoginKind, limits: Limits, password: str
) -> None:
    login = sql.Identifier(name)
    verifier = sql.Literal(_verifier(conn, name, password))
    conn.execute(statement("alter_login_password", login=login, password=verifier))
    limit = sql.Literal(limits.connection_limit)
    conn.execute(statement("alter_login_connection_limit", login=login, connection_limit=limit))
    _set_defaults(conn, name, kind, limits)


def _set_defaults(
    conn: psycopg.Connection[Any], name: str, kind: LoginKind, limits: Limits
) -> None:
    for parameter, values in session_defaults(kind, limits):
        conn.execute(
            statement(
                "alter_login_set",
                login=sql.Identifier(name),
                parameter=sql.Identifier(parameter),
                # a list setting takes one literal per element: 'marts', 'staging'
                value=sql.SQL(", ").join(map(sql.Literal, values)),
            )
        )


def _note(conn: psycopg.Connection[Any], name: str, kind: LoginKind, note: str | None) -> None:
    text = f"forge-warehouse {kind.value} login, created {dt.datetime.now(dt.UTC):%Y-%m-%d}"
    conn.execute(
        statement(
            "comment_on_login",
            login=sql.Identifier(name),
            comment=sql.Literal(f"{text}: {note}" if note else text),
        )
    )


def _terminate_sessions(conn: psycopg.Connection[Any], name: str) -> int:
    """Close the login's sessions; without the right to, leave them (they lose every privilege
    with the role)."""
    try:
        with conn.transaction():
            row = conn.execute(query("terminate_login_sessions"), {"login": name}).fetchone()
    except psycopg.errors.InsufficientPrivilege:
        logger.warning("not allowed to close the sessions of %s; dropping it anyway", name)
        return 0
    return int(row[0]) if row else 0


def _run(conn: psycopg.Connection[Any], what: str, action: Callable[[], object]) -> None:
    """Run a step of a role change; a refusal by the server becomes one sentence."""
    try:
        action()
    except psycopg.errors.InsufficientPrivilege as error:
        conn.rollback()
        raise ForgeError(
            f"the warehouse login may not {what}: {first_line(error)} (it needs CREATEROLE, "
            "admin option on the group role, and SET on temp_file_limit)"
        ) from None
    except psycopg.Error as error:
        conn.rollback()
        raise ForgeError(f"could not {what}: {first_line(error)}") from None
