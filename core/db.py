"""Connections to the warehouse, with failures turned into one sentence."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from core.exceptions import ForgeError, WarehouseUnavailableError

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10


def connect(dsn: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """Open a connection in UTC; an unreachable server or a refused login is one clear error."""
    params = parse_dsn(dsn)
    try:
        conn = psycopg.connect(dsn, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg.OperationalError as error:
        raise WarehouseUnavailableError(
            f"cannot connect to the warehouse at {describe(params)}: {first_line(error)}"
        ) from None
    conn.execute("set timezone = 'UTC'")
    if not autocommit:
        conn.commit()
    return conn


DSN_EXAMPLE = "postgresql://user@host:5432/dbname"


def dsn_problem(dsn: str) -> str | None:
    """Why `dsn` is not a libpq URI or key=value string, in words that never repeat it (it may
    hold a password), or None: the one check of a connection string given by a person."""
    if not dsn.strip():
        return f"an empty connection string; use for example {DSN_EXAMPLE}"
    try:
        conninfo_to_dict(dsn)
    except (psycopg.ProgrammingError, ValueError):  # its message may quote the password
        return f"not a valid libpq connection string; use for example {DSN_EXAMPLE}"
    return None


def parse_dsn(dsn: str) -> dict[str, Any]:
    """The parts of a libpq URI or key=value string; a malformed one is a clear error."""
    try:
        return conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as error:
        raise ForgeError(
            f"the warehouse DSN is not a valid libpq connection string ({first_line(error)}); "
            "expected e.g. postgresql://user:password@host:5432/dbname"
        ) from None


def describe(params: dict[str, Any]) -> str:
    """user@host:port/dbname, never the password."""
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    return f"{params.get('user', '')}@{host}:{port}/{params.get('dbname', '')}".lstrip("@")


def warehouse_key(dsn: str) -> str:
    """A folder name of the warehouse's own: its database's name, made safe for a path, and a
    hash of where it lives (two servers may share a name). dbt's artifacts and parse state
    for one warehouse go under it, so two warehouses used from one checkout never mix them."""
    params = parse_dsn(dsn)
    database = str(params.get("dbname") or params.get("user") or "postgres")
    place = f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}/{database}"
    digest = hashlib.sha256(place.encode()).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9_.-]', '_', database)[:60]}-{digest}"


def dbt_env(dsn: str) -> dict[str, str]:
    """The environment dbt's profile reads (profiles.yml uses env_var() only)."""
    params = parse_dsn(dsn)
    return {
        "FORGE_PG_HOST": str(params.get("host") or "localhost"),
        "FORGE_PG_PORT": str(params.get("port") or "5432"),
        "FORGE_PG_USER": str(params.get("user") or "postgres"),
        "FORGE_PG_PASSWORD": str(params.get("password") or ""),
        "FORGE_PG_DBNAME": str(params.get("dbname") or params.get("user") or "postgres"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore them (dbt reads
    its profile's connection from env_var() only, in this process)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
