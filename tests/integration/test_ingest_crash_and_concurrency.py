"""Real ingest processes killed with SIGKILL mid-load, and two ingests of the same data at once.

After any kill: no partial batch, no audit row claiming a success the raw table does not hold,
no reject without its batch; a rerun then loads exactly what a clean load would. Two loads at
once: one waits on the entity's lock, and nothing is stored twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from core.migrations import migrate
from core.settings import PROJECT_DIR
from ingest.contract.entities import ENTITIES
from synthetic import generate
from tests import databases

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "landing"
    generate(path, sessions=1800, seed=11, dirty_rate=0.02)
    return path


@pytest.fixture(scope="module")
def database(warehouse_dsn: str) -> Iterator[Any]:
    """Makes fresh, migrated databases on the test server; drops them at the end."""
    made: list[str] = []

    def make() -> str:
        dsn = databases.create(warehouse_dsn, "forge_crash")
        made.append(dsn)
        migrate(dsn, PROJECT_DIR / "sql" / "warehouse")
        return dsn

    yield make
    for dsn in made:
        databases.drop(warehouse_dsn, dsn)


@pytest.fixture(scope="module")
def expected(landing: Path, database: Any) -> dict[str, tuple[int, str | None]]:
    """What a clean, uninterrupted load of the landing directory stores."""
    reference = database()
    clean = _ingest(reference, landing)
    assert clean.wait(timeout=300) == 0, clean.stdout.read() if clean.stdout else ""
    fingerprint = _fingerprint(reference)
    assert sum(rows for rows, _ in fingerprint.values()) > 25_000
    return fingerprint


def _ingest(dsn: str, landing: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "ingest", "files", str(landing)],
        env={**os.environ, "WAREHOUSE_DSN": dsn, "FORGE_CHUNK_ROWS": "2000"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _fingerprint(dsn: str) -> dict[str, tuple[int, str | None]]:
    """Rows and an order-free digest of the record hashes, per raw table."""
    result = {}
    with psycopg.connect(dsn) as conn:
        for name in ENTITIES:
            query = sql.SQL(
                "select count(*), md5(string_agg(encode(_record_hash, 'hex'), '' "
                "order by _record_hash)) from {}"
            ).format(sql.Identifier("raw", name))
            row = conn.execute(query).fetchone()
            assert row is not None
            result[name] = (row[0], row[1])
    return result


def _assert_nothing_half_written(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        for name in ENTITIES:
            query = sql.SQL(
                "select loads.batch_id, loads.rows_loaded, count(raw._load_id) "
                "from audit.loads as loads left join {} as raw on raw._load_id = loads.batch_id "
                "where loads.entity = %s group by 1, 2 "
                "having loads.rows_loaded <> count(raw._load_id)"
            ).format(sql.Identifier("raw", name))
            assert conn.execute(query, (name,)).fetchall() == [], name
            orphans = sql.SQL(
                "select count(*) from {} where _load_id not in "
                "(select batch_id from audit.loads where status = 'succeeded')"
            ).format(sql.Identifier("raw", name))
            assert conn.execute(orphans).fetchone() == (0,), name
        assert conn.execute(
            "select count(*) from audit.rejects where batch_id not in "
            "(select batch_id from audit.loads where status = 'succeeded')"
        ).fetchone() == (0,)


def test_killing_a_load_at_random_points_then_rerunning_equals_a_clean_load(
    landing: Path, database: Any, expected: dict[str, tuple[int, str | None]]
) -> None:
    victim = database()
    rng = random.Random(20261122)
    kills = 0
    for _ in range(3):
        process = _ingest(victim, landing)
        time.sleep(rng.uniform(1.2, 3.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        _assert_nothing_half_written(victim)
    assert kills >= 1
    rerun = _ingest(victim, landing)
    assert rerun.wait(timeout=300) == 0
    _assert_nothing_half_written(victim)
    assert _fingerprint(victim) == expected


def test_two_loads_of_the_same_files_at_once_store_each_record_once(
    landing: Path, database: Any, expected: dict[str, tuple[int, str | None]]
) -> None:
    shared = database()
    first, second = _ingest(shared, landing), _ingest(shared, landing)
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    assert _fingerprint(shared) == expected
    _assert_nothing_half_written(shared)
    # every file was either loaded once and skipped or found all-duplicate by the other
    with psycopg.connect(shared) as conn:
        row = conn.execute(
            "select sum(rows_loaded) from audit.loads where status = 'succeeded'"
        ).fetchone()
    assert row is not None
    assert row[0] == sum(rows for rows, _ in _fingerprint(shared).values())
    # the one that waited re-checks after the lock: each file has exactly one succeeded load
    with psycopg.connect(shared) as conn:
        repeated = conn.execute(
            "select source_name from audit.loads where status = 'succeeded' "
            "group by 1 having count(*) > 1"
        ).fetchall()
    assert repeated == []
