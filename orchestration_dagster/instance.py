"""The project's Dagster instance class (dagster.yaml's `instance_class`): Dagster's own, whose
default SQLite storage keeps each database's connection open between the events it writes.

Custom because the stock SQLite event log builds a new engine, opens a connection and closes it
(a checkpoint of the write-ahead log on each close) for every statement it writes: about 12 ms an
event on this machine, 17 s of a demo refresh's 1,475 events; kept open, 8 s (README, Speed).
The events Dagster hands over as one batch (the "planned" event of each asset and check, at a
run's start) are written in one transaction per database instead of one per statement.
Nothing else changes: the same files under $DAGSTER_HOME/history, the same tables, and a
`storage:` block in dagster.yaml (Postgres in production) still replaces this one.
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg
import sqlalchemy as sa
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData

from core.exceptions import ForgeError

# A run writes to its own database and to the index; the daemon and the webserver read a few
# runs at a time. Beyond these, the least recently used connection is closed.
_KEPT_DATABASES = 8
# A process forked with connections open must not use them: the child opens its own.
_OPEN_STORAGES: weakref.WeakSet[KeptConnectionsEventLogStorage] = weakref.WeakSet()


class KeptConnectionsEventLogStorage(SqliteEventLogStorage):
    """The SQLite event log with one engine and one open connection per database file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        # while a batch is written: its thread, and each database's connection in a transaction
        self._batch_thread: int | None = None
        self._batch: dict[str, tuple[sa.Connection, sa.RootTransaction]] = {}
        super().__init__(base_dir, inst_data)
        _OPEN_STORAGES.add(self)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        if self._batch_thread == threading.get_ident():
            if shard not in self._batch:
                conn = self._engine(shard).connect()
                self._batch[shard] = (conn, conn.begin())
            yield self._batch[shard][0]
            return
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Store each event as store_event does, in one transaction per database; on an error
        nothing is stored and Dagster stores the events one by one."""
        with self._db_lock:
            self._batch_thread = threading.get_ident()
            try:
                for event in events:
                    self.store_event(event)
                for _conn, transaction in self._batch.values():
                    transaction.commit()
            finally:
                for conn, _transaction in self._batch.values():
                    conn.close()  # rolls back what was not committed
                self._batch, self._batch_thread = {}, None

    def _engine(self, shard: str) -> sa.Engine:
        """The shard's kept engine (the caller holds the storage's lock)."""
        engine = self._engines.pop(shard, None)
        if engine is None:
            if shard not in self._initialized_dbs:
                # created as Dagster creates it, with a throwaway engine of its own
                first = sa.create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=sa.NullPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                self._initdb(first)
                first.dispose()
                self._initialized_dbs.add(shard)
            engine = _kept_engine(self.conn_string_for_shard(shard))
        self._engines[shard] = engine
        while len(self._engines) > _KEPT_DATABASES:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    def _close_all(self, *, close: bool = True) -> None:
        engines, self._engines = list(self._engines.values()), OrderedDict()
        for engine in engines:
            engine.dispose(close=close)

    def wipe(self) -> None:
        with self._db_lock:
            self._close_all()
        super().wipe()

    def dispose(self) -> None:
        with self._db_lock:
            self._close_all()
        super().dispose()


def _kept_engine(url: str) -> sa.Engine:
    """One connection, kept; callers take it under the storage's lock, one at a time."""
    engine = sa.create_engine(
        url,
        poolclass=sa.QueuePool,
        pool_size=1,
        max_overflow=2,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )

    @sa.event.listens_for(engine, "connect")
    def _checkpoint_each_commit(dbapi_connection: Any, _record: Any) -> None:
        # A closed connection checkpointed its write-ahead log into the database file, and the
        # webserver learns of a run's new events from that file changing: checkpoint each commit.
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=1")

    return engine


def _forget_inherited_connections() -> None:
    for storage in list(_OPEN_STORAGES):
        storage._close_all(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


class KeptConnectionsSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, event logs, schedules under base_dir), with the event log
    above in place of the stock one."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data)
        self._event_log_storage = KeptConnectionsEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> KeptConnectionsSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


class ForgeDagsterInstance(dg.DagsterInstance):
    """Dagster's instance; only its default storage differs (KeptConnectionsSqliteStorage), and
    the batches Dagster offers are written as batches."""

    def _get_event_batch_size(self) -> int:
        # Dagster's own switch is the environment variable DAGSTER_EVENT_BATCH_SIZE (default 0:
        # no batches); a run's planned events are one batch of this size at most.
        given = os.environ.get("DAGSTER_EVENT_BATCH_SIZE") or "1000"
        try:
            size = int(given)
        except ValueError:  # int() refuses some characters str.isdigit() takes ("²")
            size = -1
        if size < 0:
            raise ForgeError(
                "DAGSTER_EVENT_BATCH_SIZE must be a whole number of events (0: no batches), "
                f"got {given!r}"
            )
        return size

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        return {
            **InstanceRef.config_defaults(base_dir),
            "storage": ConfigurableClassData(
                __name__,
                KeptConnectionsSqliteStorage.__name__,
                json.dumps({"base_dir": base_dir}),  # JSON is YAML,
            ),
        }
