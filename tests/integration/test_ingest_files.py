"""Landing-file ingest against the real embedded Postgres: rejects, duplicates, reruns, audit."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from core.db import connect
from ingest.contract.entities import ENTITIES
from ingest.sources.files.load import FileOutcome, load_landing
from tests.factories import record

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "cli"]


def _write_jsonl(path: Path, lines: list[bytes | dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = b"\n".join(line if isinstance(line, bytes) else orjson.dumps(line) for line in lines)
    path.write_bytes(body + b"\n")
    return path


def _load(dsn: str, landing: Path) -> list[FileOutcome]:
    with connect(dsn) as conn:
        return load_landing(conn, landing, chunk_rows=3)


def _query(dsn: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(statement, params).fetchall()


def test_every_reject_kind_lands_in_audit_rejects_with_file_line_and_reason(
    clean_warehouse: str, landing: Path
) -> None:
    lines: list[bytes | dict[str, Any]] = [
        record("user_feedback", id="00000000-0000-4000-8000-000000000001"),
        b"{not json",
        b"[1, 2, 3]",
        b'{"id": "\xff"}',
        record("user_feedback", id=...),
        record("user_feedback", submitted_at=None),
        record("user_feedback", time_to_first_build="soon"),
        record("user_feedback", overall_satisfaction=6),
        record("user_feedback", feedback_source="x" * 21),
        record("user_feedback", additional_comments="nul \u0000 here"),
        record("user_feedback", id="00000000-0000-4000-8000-000000000002", extra_field=1),
    ]
    path = _write_jsonl(landing / "user_feedback" / "0001.jsonl", lines)
    [outcome] = _load(clean_warehouse, landing)
    assert outcome.batch is not None
    assert (outcome.batch.lines_read, outcome.batch.rows_loaded) == (11, 2)
    assert (outcome.batch.rows_rejected, outcome.batch.duplicates_skipped) == (9, 0)
    rejects = _query(
        clean_warehouse,
        "select source_name, line_number, reason, raw_record from audit.rejects order by 2",
    )
    assert [row[1] for row in rejects] == list(range(2, 11))
    assert {row[0] for row in rejects} == {str(path.resolve())}
    reasons = [row[2] for row in rejects]
    assert "not valid JSON" in reasons[0]
    assert "JSON array" in reasons[1]
    assert "not valid UTF-8" in reasons[2]
    assert rejects[2][3] == '{"id": "\\xff"}'  # the bad byte kept, escaped
    assert 'required field "id" is missing' in reasons[3]
    assert 'required field "submitted_at" is null' in reasons[4]
    assert 'field "time_to_first_build" must be an integer' in reasons[5]
    assert "between 1 and 5" in reasons[6]
    assert "at most 20 characters" in reasons[7]
    assert "NUL" in reasons[8]
    [(extra,)] = _query(
        clean_warehouse, "select _extra from raw.user_feedback where _extra is not null"
    )
    assert extra == {"extra_field": 1}


def test_counts_identity_holds_in_audit_loads_for_every_file(
    clean_warehouse: str, landing: Path
) -> None:
    event = record("orchestration_events")
    _write_jsonl(landing / "orchestration_events" / "a.jsonl", [event, event, b"oops", event])
    _write_jsonl(
        landing / "orchestration_events" / "b.jsonl", [event, record("orchestration_events", id=2)]
    )
    _load(clean_warehouse, landing)
    rows = _query(
        clean_warehouse,
        "select lines_read, rows_loaded, rows_rejected, duplicates_skipped, status "
        "from audit.loads order by source_name",
    )
    # a.jsonl: the same event three times (in different chunks of 3) is loaded once;
    # b.jsonl: the event re-delivered from a.jsonl is a duplicate, id 2 is new
    assert rows == [(4, 1, 1, 2, "succeeded"), (2, 1, 0, 1, "succeeded")]
    assert _query(clean_warehouse, "select count(*) from raw.orchestration_events") == [(2,)]


def test_a_directory_loaded_twice_loads_nothing_the_second_time(
    clean_warehouse: str, landing: Path
) -> None:
    for name in ENTITIES:
        _write_jsonl(landing / name / "0001.jsonl", [record(name), b"bad line"])
    first = _load(clean_warehouse, landing)
    counts = _query(clean_warehouse, "select count(*) from audit.rejects")
    second = _load(clean_warehouse, landing)
    assert all(outcome.batch and outcome.batch.rows_loaded == 1 for outcome in first)
    assert all(outcome.batch is None and outcome.already_loaded_by for outcome in second)
    assert _query(clean_warehouse, "select count(*) from audit.loads") == [(len(ENTITIES),)]
    assert _query(clean_warehouse, "select count(*) from audit.rejects") == counts


def test_csv_and_gzip_files_load_like_jsonl(clean_warehouse: str, landing: Path) -> None:
    folder = landing / "project_outcomes"
    folder.mkdir()
    (folder / "0001.csv").write_text(
        "id,project_name,project_path,pattern_id,pattern_name,files_created,created_at,"
        "updated_at,languages_used,user_id,surprise\n"
        '6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a10,"two\nlines",/p,rest-api,REST API,3,'
        '2025-03-01T09:00:00Z,2025-03-02T09:00:00Z,"[""Python"",""Rust""]",,x\n'
        "6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a11,short,row\n",
        encoding="utf-8",
    )
    with gzip.open(folder / "0002.jsonl.gz", "wb") as stream:
        stream.write(
            orjson.dumps(record("project_outcomes", id="6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a12"))
        )
    outcomes = _load(clean_warehouse, landing)
    assert [(o.batch.rows_loaded, o.batch.rows_rejected) for o in outcomes if o.batch] == [
        (1, 1),
        (1, 0),
    ]
    rows = _query(
        clean_warehouse,
        "select project_name, languages_used, user_id, _extra, _line_number "
        "from raw.project_outcomes order by _ingest_seq",
    )
    assert rows[0] == ("two\nlines", ["Python", "Rust"], None, {"surprise": "x"}, 2)
    # the short record starts on physical line 4: the quoted cell above spans lines 2-3
    assert _query(clean_warehouse, "select line_number from audit.rejects") == [(4,)]


def test_a_truncated_gzip_fails_alone_and_keeps_nothing(
    clean_warehouse: str, landing: Path
) -> None:
    folder = landing / "orchestration_events"
    folder.mkdir()
    body = gzip.compress(
        b"\n".join(orjson.dumps(record("orchestration_events", id=i)) for i in range(1, 500))
    )
    (folder / "0001.jsonl.gz").write_bytes(body[: len(body) // 2])
    _write_jsonl(folder / "0002.jsonl", [record("orchestration_events", id=1000)])
    outcomes = _load(clean_warehouse, landing)
    assert outcomes[0].batch is not None and outcomes[0].batch.status == "failed"
    assert "not a complete gzip file" in (outcomes[0].batch.error or "")
    assert outcomes[1].batch is not None and outcomes[1].batch.status == "succeeded"
    assert _query(clean_warehouse, "select id from raw.orchestration_events") == [(1000,)]
    assert _query(clean_warehouse, "select count(*) from audit.rejects") == [(0,)]


def test_raw_tables_match_the_contract(warehouse_dsn: str) -> None:
    """sql/warehouse and ingest/contract describe the same columns: a drift fails here."""
    for name, entity in ENTITIES.items():
        columns = _query(
            warehouse_dsn,
            "select attname, format_type(atttypid, atttypmod) from pg_attribute "
            "where attrelid = %s::regclass and attnum > 0 and not attisdropped "
            "and attname not like '\\_%%' order by attnum",
            f"raw.{name}",
        )
        expected = []
        for field in entity.fields:
            pg_type = field.kind.value
            if field.kind.value == "text" and field.max_length:
                pg_type = f"character varying({field.max_length})"
            expected.append((field.name, pg_type))
        assert columns == expected, name


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_cli_prints_the_counts_line_per_file_and_exits_non_zero_on_a_failed_file(
    clean_warehouse: str, landing: Path
) -> None:
    _write_jsonl(
        landing / "orchestration_events" / "0001.jsonl", [record("orchestration_events"), b"x"]
    )
    (landing / "orchestration_events" / "0002.jsonl.gz").write_bytes(b"not gzip at all")
    result = _cli("ingest", "files", str(landing))
    assert result.returncode == 1
    assert (
        "orchestration_events/0001.jsonl: read 2 = loaded 1 + rejected 1 + duplicates 0"
        in result.stdout
    )
    assert "orchestration_events/0002.jsonl.gz: FAILED" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("ingest", "files", "/no/such/dir"), {}, "landing directory /no/such/dir does not exist"),
        (
            ("db", "status"),
            {"WAREHOUSE_DSN": "postgresql://forge:secret@127.0.0.1:1/forge"},
            "cannot connect to the warehouse at forge@127.0.0.1:1/forge",
        ),
        (("db", "url"), {"WAREHOUSE_DSN": "postgresql://a b"}, "not a valid libpq connection"),
        (
            ("db", "status"),
            {"FORGE_CHUNK_ROWS": "-1"},
            "invalid setting FORGE_CHUNK_ROWS='-1': Input should be greater than 0",
        ),
        (
            ("ingest", "files", "/no/such/dir"),
            {"FORGE_MARTS_DEADLINE": "6 am"},
            "invalid setting FORGE_MARTS_DEADLINE='6 am'",
        ),
        (  # it failed only once Dagster scheduled the night
            ("db", "status"),
            {"FORGE_SCHEDULE_TIMEZONE": "Mars/Base"},
            "'Mars/Base' is not a time zone; use for example UTC or Europe/Paris",
        ),
        (("db", "status"), {"FORGE_SCHEDULE_TIMEZONE": "Europe"}, "'Europe' is not a time zone"),
    ],
)
def test_cli_errors_are_one_sentence_and_a_non_zero_exit(
    warehouse_dsn: str, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = _cli(*args, env=env)
    assert result.returncode == 1
    assert message in result.stderr and result.stdout == "", "the sentence is on stderr"
    assert "Traceback" not in result.stdout + result.stderr
    assert "secret" not in result.stdout + result.stderr


def test_cli_refuses_an_unknown_entity_folder(warehouse_dsn: str, landing: Path) -> None:
    (landing / "orchestration_sesions").mkdir()
    result = _cli("ingest", "files", str(landing))
    assert result.returncode == 1
    assert "unknown entity folder 'orchestration_sesions'" in result.stderr


def test_a_byte_order_mark_does_not_cost_the_first_record(
    clean_warehouse: str, landing: Path
) -> None:
    _write_jsonl(landing / "orchestration_events" / "0001.jsonl", [record("orchestration_events")])
    path = landing / "orchestration_events" / "0001.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    folder = landing / "project_outcomes"
    folder.mkdir()
    (folder / "0001.csv").write_bytes(
        b"\xef\xbb\xbfid,project_name,project_path,pattern_id,pattern_name,files_created,"
        b"created_at,updated_at\r\n6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a10,api,/p,rest-api,REST,1,"
        b"2025-03-01T09:00:00Z,2025-03-02T09:00:00Z\r\n"
    )
    outcomes = _load(clean_warehouse, landing)
    assert [(o.batch.rows_loaded, o.batch.rows_rejected) for o in outcomes if o.batch] == [
        (1, 0),
        (1, 0),
    ]
