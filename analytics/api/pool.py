"""A small, bounded pool of autocommit connections as one BI login (the API's only way in)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus

from core.db import connect

logger = logging.getLogger(__name__)

APPLICATION_NAME = "forge-analytics-api"


class PoolTimeoutError(Exception):
    """Every connection stayed busy for the whole wait."""


class ConnectionPool:
    """At most `size` connections; a request waits up to `timeout` seconds for one."""

    def __init__(self, dsn: str, size: int, timeout: float = 10.0) -> None:
        self._dsn = make_conninfo(dsn, application_name=APPLICATION_NAME)
        self._slots = threading.BoundedSemaphore(size)
        self._idle: queue.SimpleQueue[psycopg.Connection[Any]] = queue.SimpleQueue()
        self._timeout = timeout

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection for one request; a broken one is closed, a healthy one kept."""
        if not self._slots.acquire(timeout=self._timeout):
            raise PoolTimeoutError
        conn: psycopg.Connection[Any] | None = None
        try:
            conn = self._take()
            yield conn
        finally:
            if conn is not None:
                self._give_back(conn)
            self._slots.release()

    def close(self) -> None:
        """Close the idle connections (those in use close when given back to a closed pool)."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def _take(self) -> psycopg.Connection[Any]:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return connect(self._dsn, autocommit=True)
            if not conn.closed and not conn.broken:
                return conn

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        healthy = not conn.closed and not conn.broken
        if healthy and conn.info.transaction_status == TransactionStatus.IDLE:
            self._idle.put(conn)
        else:
            conn.close()
