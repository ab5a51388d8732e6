"""The API's connections: psycopg-pool's pool of autocommit connections as one BI login.

psycopg-pool keeps at most `size` connections, checks each before handing it out and replaces
one found broken. What it cannot tell a caller is why it gave up waiting; this module does:
every connection busy is `PoolBusyError`, a warehouse that refused or dropped new connections
meanwhile is `WarehouseUnavailableError` (both a 503 in one sentence).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from analytics.timestamps import register_lenient_timestamps
from core.db import CONNECT_TIMEOUT_SECONDS, describe, parse_dsn
from core.exceptions import WarehouseUnavailableError

logger = logging.getLogger(__name__)

APPLICATION_NAME = "forge-analytics-api"
_CONNECTION_ERRORS = "connections_errors"


class PoolBusyError(Exception):
    """Every connection stayed busy for the whole wait."""


class ApiPool:
    """At most `size` connections; a request waits up to `timeout` seconds for one."""

    def __init__(self, dsn: str, size: int, timeout: float = 10.0) -> None:
        self._where = describe(parse_dsn(dsn))
        self._timeout = timeout
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            make_conninfo(dsn, application_name=APPLICATION_NAME),
            min_size=1,
            max_size=size,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
            configure=_configure,
            check=ConnectionPool.check_connection,
            timeout=timeout,
            name=APPLICATION_NAME,
            open=True,
        )

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A checked connection for one request, given back (or replaced) afterwards."""
        errors_before = self._connection_errors()
        try:
            conn = self._pool.getconn()
        except PoolTimeout:
            if self._connection_errors() > errors_before:
                raise WarehouseUnavailableError(
                    f"cannot connect to the warehouse at {self._where}: no connection could be "
                    f"opened in {self._timeout:g} s"
                ) from None
            raise PoolBusyError from None
        try:
            yield conn
        finally:
            self._pool.putconn(conn)

    def stats(self) -> dict[str, int]:
        """psycopg-pool's counters (pool_size, pool_available, requests_waiting, ...)."""
        return self._pool.get_stats()

    def close(self) -> None:
        self._pool.close()

    def _connection_errors(self) -> int:
        return self._pool.get_stats().get(_CONNECTION_ERRORS, 0)


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Every connection reads times in UTC, and reads an out-of-range time as None."""
    conn.execute("set timezone = 'UTC'")
    register_lenient_timestamps(conn)
