"""The API's connections: psycopg-pool's pool of autocommit connections as one BI login.

psycopg-pool keeps at most `size` connections, checks each before handing it out and replaces
one found broken. What it cannot tell a caller is why it gave up waiting; this module does:
with every connection handed out to requests, the warehouse is busy (`PoolBusyError`); with
fewer, the pool could not open one, and a direct attempt says why
(`WarehouseUnavailableError`). Both are a 503 in one sentence.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from analytics.timestamps import register_lenient_timestamps
from core.db import CONNECT_TIMEOUT_SECONDS, describe, first_line, parse_dsn
from core.exceptions import WarehouseUnavailableError

logger = logging.getLogger(__name__)

APPLICATION_NAME = "forge-analytics-api"
PROBE_TIMEOUT_SECONDS = 3


class PoolBusyError(Exception):
    """Every connection stayed busy for the whole wait."""


class ApiPool:
    """At most `size` connections; a request waits up to `timeout` seconds for one."""

    def __init__(self, dsn: str, size: int, timeout: float = 10.0) -> None:
        self._conninfo = make_conninfo(dsn, application_name=APPLICATION_NAME)
        self._where = describe(parse_dsn(dsn))
        self._size = size
        self._in_use = 0
        self._lock = threading.Lock()
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self._conninfo,
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
        try:
            conn = self._pool.getconn()
        except PoolTimeout:
            with self._lock:
                busy = self._in_use >= self._size
            if busy:
                raise PoolBusyError from None
            self._probe()
            raise PoolBusyError from None
        with self._lock:
            self._in_use += 1
        try:
            yield conn
        finally:
            with self._lock:
                self._in_use -= 1
            self._pool.putconn(conn)

    def close(self) -> None:
        self._pool.close()

    def _probe(self) -> None:
        """Connect once, directly: the pool had room but no connection, so say why."""
        try:
            psycopg.connect(self._conninfo, connect_timeout=PROBE_TIMEOUT_SECONDS).close()
        except psycopg.Error as error:
            raise WarehouseUnavailableError(
                f"cannot connect to the warehouse at {self._where}: {first_line(error)}"
            ) from None


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Every connection reads times in UTC, and reads an out-of-range time as None."""
    conn.execute("set timezone = 'UTC'")
    register_lenient_timestamps(conn)
