"""Rejects after the fact: the listing by reason, replays after a fix, and the error budget."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from core.db import connect
from ingest.rejects import replay_rejects
from ingest.sources.files.load import load_landing
from tests.factories import record

pytestmark = pytest.mark.integration


def _rows(dsn: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )


def _reject_as_if_an_older_contract_had(dsn: str, raw: str, batch_id: str) -> None:
    """A reject a stricter, older contract made of a record the current one accepts."""
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "insert into audit.rejects (batch_id, entity, source_name, line_number, reason, "
            "raw_record) values (%s, 'orchestration_events', 'older contract', 1, "
            "'field \"command\" must be at most 10 characters, got 12', %s)",
            (batch_id, raw),
        )


def test_replay_loads_what_now_passes_and_records_each_fate(
    clean_warehouse: str, landing: Path
) -> None:
    folder = landing / "orchestration_events"
    folder.mkdir()
    loaded = record("orchestration_events", id=1)
    (folder / "0001.jsonl").write_bytes(orjson.dumps(loaded) + b"\n{broken\n")
    with connect(clean_warehouse) as conn:
        [outcome] = load_landing(conn, landing)
    assert outcome.batch is not None
    batch_id = outcome.batch.batch_id
    fresh = record("orchestration_events", id=2, command="run the tests")
    _reject_as_if_an_older_contract_had(clean_warehouse, orjson.dumps(fresh).decode(), batch_id)
    _reject_as_if_an_older_contract_had(clean_warehouse, orjson.dumps(loaded).decode(), batch_id)

    with connect(clean_warehouse) as conn:
        [replay] = replay_rejects(conn, entity="orchestration_events")
    assert (replay.replayed, replay.loaded, replay.duplicates, replay.rejected_again) == (
        3,
        1,
        1,
        1,
    )
    fates = _rows(
        clean_warehouse,
        "select raw_record, replay_outcome from audit.rejects order by reject_id",
    )
    assert fates[0][1].startswith("rejected again: line is not valid JSON")
    assert [fate for _, fate in fates[1:]] == ["loaded", "duplicate"]
    assert _rows(clean_warehouse, "select id from raw.orchestration_events order by id") == [
        (1,),
        (2,),
    ]
    [(source, lines, rows)] = _rows(
        clean_warehouse,
        "select source, lines_read, rows_loaded from audit.loads where source = 'replay'",
    )
    assert (source, lines, rows) == ("replay", 2, 1)

    with connect(clean_warehouse) as conn:
        assert replay_rejects(conn, entity="orchestration_events") == []
        [again] = replay_rejects(conn, entity="orchestration_events", again=True)
    assert (again.replayed, again.rejected_again) == (1, 1)


def test_replay_reads_csv_rejects_with_their_files_header(
    clean_warehouse: str, landing: Path
) -> None:
    folder = landing / "project_outcomes"
    folder.mkdir()
    (folder / "0001.csv").write_text(
        "id,project_name,project_path,pattern_id,pattern_name,files_created,created_at,updated_at\n"
        "6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a10,api,/p,rest-api,REST,many,"
        "2025-03-01T09:00:00Z,2025-03-02T09:00:00Z\n"
    )
    with connect(clean_warehouse) as conn:
        load_landing(conn, landing)
        # the source re-sent the cell as it should have been: the fix is applied to the reject
        conn.execute("update audit.rejects set raw_record = replace(raw_record, 'many', '3')")
        conn.commit()
        [replay] = replay_rejects(conn, entity="project_outcomes")
    assert (replay.loaded, replay.rejected_again) == (1, 0)
    assert _rows(clean_warehouse, "select files_created from raw.project_outcomes") == [(3,)]


def test_error_budget_fails_the_run_but_keeps_rows_and_rejects(
    clean_warehouse: str, landing: Path
) -> None:
    folder = landing / "user_feedback"
    folder.mkdir()
    good = [
        orjson.dumps(record("user_feedback", id=f"00000000-0000-4000-8000-00000000000{i}"))
        for i in range(1, 4)
    ]
    bad = [orjson.dumps(record("user_feedback", overall_satisfaction=n)) for n in (8, 9)]
    (folder / "0001.jsonl").write_bytes(b"\n".join([*good, *bad, b"nope"]) + b"\n")
    result = _cli("ingest", "files", str(landing))
    assert result.returncode == 1
    assert "error budget:" in result.stdout
    assert "user_feedback: 50.0% of the 6 new lines" in result.stdout
    assert "is held out of the marts" in result.stdout
    assert 'field "overall_satisfaction" must be between 1 and 5' in result.stdout
    assert _rows(clean_warehouse, "select count(*) from raw.user_feedback") == [(3,)]
    assert _rows(clean_warehouse, "select count(*) from audit.rejects") == [(3,)]

    listing = _cli("rejects", "--entity", "user_feedback")
    assert listing.returncode == 0
    assert "must be between 1 and 5" in listing.stdout
    assert "line is not valid JSON" in listing.stdout
