"""The API's connections (psycopg-pool) against a real warehouse, as a BI login: bounded,
autocommit, a broken connection replaced, and a 503 in one sentence when every connection stays
busy or the warehouse cannot be reached."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from analytics.api.app import create_app
from analytics.api.pool import APPLICATION_NAME, ApiPool
from tests.built import Built
from tests.logins import login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient asks for httpx2
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bi(built: Built) -> Iterator[tuple[str, str]]:
    with login(built.dsn, "--connection-limit", "6") as made:
        yield made


def _api_sessions(admin_dsn: str, name: str) -> int:
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute(
            "select count(*) from pg_stat_activity where usename = %s and application_name = %s",
            (name, APPLICATION_NAME),
        ).fetchone()
    return int(row[0]) if row else 0


def test_the_pool_never_opens_more_than_its_size(built: Built, bi: tuple[str, str]) -> None:
    name, dsn = bi
    pool = ApiPool(dsn, size=2, timeout=10)
    seen: list[int] = []

    def work() -> None:
        with pool.connection() as conn:
            conn.execute("select pg_sleep(0.3)")

    try:
        workers = [threading.Thread(target=work) for _ in range(6)]
        for worker in workers:
            worker.start()
        while any(worker.is_alive() for worker in workers):
            seen.append(_api_sessions(built.dsn, name))
            time.sleep(0.05)
        for worker in workers:
            worker.join()
    finally:
        pool.close()
    assert max(seen) == 2  # six requests, two connections, the rest waited their turn


def test_connections_are_autocommit_and_read_in_utc(bi: tuple[str, str]) -> None:
    pool = ApiPool(bi[1], size=1)
    try:
        with pool.connection() as conn:
            assert conn.autocommit
            assert conn.execute("show timezone").fetchone() == ("UTC",)
            conn.execute("select 1")
            assert conn.info.transaction_status == TransactionStatus.IDLE
    finally:
        pool.close()


def test_a_broken_connection_is_replaced(built: Built, bi: tuple[str, str]) -> None:
    pool = ApiPool(bi[1], size=1)
    try:
        with pool.connection() as conn:
            first = conn.info.backend_pid
        with psycopg.connect(built.dsn, autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(%s)", (first,))
        time.sleep(0.2)
        with pool.connection() as conn:
            assert conn.execute("select 1").fetchone() == (1,)
            assert conn.info.backend_pid != first
    finally:
        pool.close()


def test_every_connection_busy_is_a_503_in_one_sentence(bi: tuple[str, str]) -> None:
    pool = ApiPool(bi[1], size=1, timeout=0.5)
    app = create_app(pool, login=bi[0])
    with TestClient(app) as client, pool.connection():
        started = time.monotonic()
        response = client.get("/api/analytics/patterns")
        waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == {
        "detail": "the warehouse is busy: no API connection came free in time; try again"
    }
    assert waited < 5


def test_a_warehouse_that_cannot_be_reached_is_a_503_that_says_why() -> None:
    # nothing listens on port 1 of this machine
    pool = ApiPool("postgresql://forge_bi_api@127.0.0.1:1/forge", size=1, timeout=1)
    with TestClient(create_app(pool, login="forge_bi_api")) as client:
        response = client.get("/api/health")
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert detail.startswith("cannot connect to the warehouse at forge_bi_api@127.0.0.1:1/forge: ")
    assert "\n" not in detail and "refused" in detail
