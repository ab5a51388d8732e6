"""The source-database extract against a real operational Postgres built from sql/source."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import orjson
import psycopg
import pytest
from psycopg import sql

from core.db import connect
from core.settings import Settings
from ingest.sources.postgres.extract import ingest_postgres
from synthetic.source_db import apply_source_schema
from tests import databases
from tests.factories import record

pytestmark = pytest.mark.integration


@pytest.fixture
def source_dsn(warehouse_dsn: str) -> Iterator[str]:
    """An empty operational database with the seeds' tables, on the same test server."""
    dsn = databases.create(warehouse_dsn, "forge_source")
    with psycopg.connect(dsn) as conn:
        apply_source_schema(conn)
    yield dsn
    databases.drop(warehouse_dsn, dsn)


@pytest.fixture
def warehouse(clean_warehouse: str) -> str:
    with psycopg.connect(clean_warehouse, autocommit=True) as conn:
        conn.execute("truncate audit.watermarks")
    return clean_warehouse


def _insert(dsn: str, table: str, row: dict[str, Any]) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            sql.SQL(
                "insert into {0} select * from jsonb_populate_record(null::{0}, %s::jsonb)"
            ).format(sql.Identifier(table)),
            (orjson.dumps(row).decode(),),
        )


def _extract(warehouse: str, source: str, **settings: Any) -> dict[str, tuple[int, int, int]]:
    with connect(warehouse) as conn:
        batches = ingest_postgres(
            conn,
            source,
            settings=Settings(**settings),
            entities=("orchestration_sessions", "orchestration_events"),
        )
    return {b.entity: (b.lines_read, b.rows_loaded, b.duplicates_skipped) for b in batches}


def _count(dsn: str, query: str) -> Any:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query).fetchone()
    return row[0] if row else None


def test_second_extract_reads_only_what_changed_and_late_commits_inside_the_overlap(
    warehouse: str, source_dsn: str
) -> None:
    _insert(source_dsn, "orchestration_sessions", record("orchestration_sessions", id=1))
    for event_id in (1, 2, 3):
        _insert(source_dsn, "orchestration_events", record("orchestration_events", id=event_id))
    assert _extract(warehouse, source_dsn) == {
        "orchestration_sessions": (1, 1, 0),
        "orchestration_events": (3, 3, 0),
    }
    # a new version, a new session, and one committed late with an updated_at 5 minutes older
    # than the watermark: the overlap (10 minutes) still reads it
    with psycopg.connect(source_dsn) as conn:
        conn.execute(
            "update orchestration_sessions set status = 'failed', "
            "updated_at = updated_at + interval '1 hour' where id = 1"
        )
    _insert(
        source_dsn,
        "orchestration_sessions",
        record("orchestration_sessions", id=2, updated_at="2025-03-01T13:30:00Z"),
    )
    _insert(
        source_dsn,
        "orchestration_sessions",
        record("orchestration_sessions", id=3, updated_at="2025-03-01T12:55:00Z"),
    )
    _insert(source_dsn, "orchestration_events", record("orchestration_events", id=4))
    second = _extract(warehouse, source_dsn, source_overlap_seconds=600, source_overlap_ids=2)
    assert second["orchestration_sessions"][1] == 3  # the new version, id 2, and late id 3
    assert second["orchestration_events"] == (4, 1, 3)  # ids from 3 - 2 on: 4 is new
    assert _count(warehouse, "select count(*) from raw.orchestration_sessions") == 4
    assert (
        _count(
            warehouse,
            "select watermark ->> 'id' from audit.watermarks where entity = 'orchestration_events'",
        )
        == "4"
    )


def test_a_record_committed_later_than_the_overlap_is_missed_until_a_full_read(
    warehouse: str, source_dsn: str
) -> None:
    _insert(source_dsn, "orchestration_sessions", record("orchestration_sessions", id=1))
    _extract(warehouse, source_dsn)
    _insert(
        source_dsn,
        "orchestration_sessions",
        record("orchestration_sessions", id=2, updated_at="2025-02-01T00:00:00Z"),
    )
    assert _extract(warehouse, source_dsn)["orchestration_sessions"][1] == 0
    with connect(warehouse) as conn:
        [batch] = ingest_postgres(
            conn, source_dsn, settings=Settings(), entities=("orchestration_sessions",), full=True
        )
    assert (batch.rows_loaded, batch.duplicates_skipped) == (1, 1)


def test_schema_drift_new_column_is_kept_and_a_changed_type_is_a_reject(
    warehouse: str, source_dsn: str
) -> None:
    with psycopg.connect(source_dsn) as conn:
        conn.execute("alter table orchestration_events add column runner_region text")
        conn.execute("alter table orchestration_events alter column duration_ms type text")
    _insert(
        source_dsn,
        "orchestration_events",
        record("orchestration_events", id=1, runner_region="eu", duration_ms="12"),
    )
    _insert(
        source_dsn, "orchestration_events", record("orchestration_events", id=2, duration_ms="slow")
    )
    with connect(warehouse) as conn:
        [batch] = ingest_postgres(
            conn, source_dsn, settings=Settings(), entities=("orchestration_events",)
        )
    assert (batch.rows_loaded, batch.rows_rejected) == (0, 2)
    assert batch.reject_reasons == {} or all(
        'field "duration_ms" must be an integer' in reason for reason in batch.reject_reasons
    )
    with psycopg.connect(source_dsn) as conn:
        conn.execute(
            "alter table orchestration_events alter column duration_ms type integer "
            "using case when duration_ms ~ '^[0-9]+$' then duration_ms::integer end"
        )
    with connect(warehouse) as conn:
        [batch] = ingest_postgres(
            conn, source_dsn, settings=Settings(), entities=("orchestration_events",), full=True
        )
    assert batch.rows_loaded == 2
    assert batch.new_fields == {"runner_region"}
    assert (
        _count(
            warehouse,
            "select _extra ->> 'runner_region' from raw.orchestration_events where id = 1",
        )
        == "eu"
    )


def test_cli_reports_a_refused_or_unreachable_source_in_one_sentence(warehouse: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "ingest",
            "postgres",
            "--source-dsn",
            "postgresql://reader:secret@127.0.0.1:1/app",
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )
    assert result.returncode == 1
    assert "cannot connect to the source database at reader@127.0.0.1:1/app" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "secret" not in result.stdout + result.stderr


def test_a_bad_source_row_re_read_every_night_is_rejected_once_and_holds_only_its_first_batch(
    warehouse: str, source_dsn: str
) -> None:
    for event_id in (1, 2, 3):
        _insert(source_dsn, "orchestration_events", record("orchestration_events", id=event_id))
    # plausible for the source, not for the warehouse: an event dated year 1
    _insert(
        source_dsn,
        "orchestration_events",
        record("orchestration_events", id=4, timestamp="0001-01-01T00:00:00Z"),
    )

    def extract() -> Any:
        with connect(warehouse) as conn:
            [batch] = ingest_postgres(
                conn, source_dsn, settings=Settings(), entities=("orchestration_events",)
            )
        return batch

    first, second, third = extract(), extract(), extract()
    assert (first.lines_read, first.rows_loaded, first.rows_rejected) == (4, 3, 1)
    assert first.held  # 1 of 4 new lines: over the 5% gate
    for night in (second, third):  # the overlap re-reads all four: nothing is new
        assert (night.rows_rejected, night.duplicates_skipped, night.duplicate_rejects) == (
            0,
            4,
            1,
        )
        assert not night.held and night.reject_rate == 0.0
    assert _count(warehouse, "select count(*) from audit.rejects") == 1
    assert _count(warehouse, "select count(*) from audit.held_batches") == 1


def test_a_row_whose_watermark_column_is_null_is_rejected_not_passed_by(
    warehouse: str, source_dsn: str
) -> None:
    """`updated_at >= watermark` never holds for a null: such a row would never be read."""
    for session_id in (1, 2):
        _insert(
            source_dsn, "orchestration_sessions", record("orchestration_sessions", id=session_id)
        )

    def extract() -> Any:
        with connect(warehouse) as conn:
            [batch] = ingest_postgres(
                conn, source_dsn, settings=Settings(), entities=("orchestration_sessions",)
            )
        return batch

    first = extract()
    assert (first.rows_loaded, first.rows_rejected) == (2, 0)
    with psycopg.connect(source_dsn) as conn:
        conn.execute("alter table orchestration_sessions alter column updated_at drop not null")
    _insert(
        source_dsn,
        "orchestration_sessions",
        record("orchestration_sessions", id=3) | {"updated_at": None},
    )
    second, third = extract(), extract()
    assert second.rows_rejected == 1 and third.duplicate_rejects == 1
    reason = _count(warehouse, "select reason from audit.rejects")
    assert '"updated_at"' in reason, reason
