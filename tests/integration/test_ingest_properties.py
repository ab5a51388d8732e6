"""Property-based, against the real warehouse: a file of hostile lines under a hostile name loads
line for line; what was loaded equals what was sent, value for value, and every reject keeps the
bytes it arrived as."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.db import connect
from ingest.sources.files.load import load_landing
from tests.hostile import EVENT_FIELDS, encode, event_records, hostile_lines

pytestmark = pytest.mark.integration

BOM = b"\xef\xbb\xbf"
file_names = st.binary(min_size=1, max_size=40).filter(
    lambda name: b"/" not in name and b"\x00" not in name and not name.startswith((b".", b"_"))
)


@st.composite
def files(draw: st.DrawFn) -> tuple[list[bytes], dict[int, dict[str, Any]], bool]:
    """Lines of a landing file (records as dicts by line number) and whether it is ASCII JSON."""
    ascii_only = draw(st.booleans())
    lines: list[bytes] = []
    sent: dict[int, dict[str, Any]] = {}
    for number in range(1, draw(st.integers(min_value=1, max_value=12)) + 1):
        if draw(st.integers(min_value=0, max_value=3)):
            event = draw(event_records(number))
            sent[number] = event
            lines.append(encode(event, ascii_only=ascii_only))
        else:
            lines.append(draw(hostile_lines).replace(b"\n", b" "))
    return lines, sent, ascii_only


def _json(text: bytes | str | None) -> Any:
    return None if text is None else json.loads(text, parse_float=Decimal, parse_int=Decimal)


def _reset(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "truncate raw.orchestration_events, audit.loads, audit.rejects, audit.batch_releases"
        )


# each example is a real load: half the profile's examples keep the default run near 15 s
@settings(max_examples=max(settings().max_examples // 2, 1))
@given(files(), file_names)
def test_a_hostile_file_loads_line_for_line_and_value_for_value(
    warehouse_dsn: str, content: tuple[list[bytes], dict[int, dict[str, Any]], bool], name: bytes
) -> None:
    lines, sent, ascii_only = content
    _reset(warehouse_dsn)
    with tempfile.TemporaryDirectory() as scratch:
        landing = Path(scratch) / "landing"
        folder = landing / "orchestration_events"
        folder.mkdir(parents=True)
        (folder / (os.fsdecode(name) + ".jsonl")).write_bytes(b"\n".join(lines) + b"\n")
        with connect(warehouse_dsn) as conn:
            [outcome] = load_landing(conn, landing, chunk_rows=5, hold_above=0.05)
    batch = outcome.batch
    assert batch is not None and batch.status == "succeeded", batch
    assert batch.lines_read == len(lines) and batch.balanced
    with psycopg.connect(warehouse_dsn) as conn:
        rows = conn.execute(
            'select _line_number, id, session_id, event_type, command, "timestamp", '
            "metadata::text, parameters::text, _extra::text from raw.orchestration_events"
        ).fetchall()
        rejects = conn.execute(
            "select line_number, coalesce(raw_bytes, convert_to(raw_record, 'UTF8')) "
            "from audit.rejects"
        ).fetchall()
    assert len(rows) == batch.rows_loaded and len(rejects) == batch.rows_rejected
    for line, event_id, session, event_type, command, stamp, metadata, parameters, extra in rows:
        record = sent[line]  # only whole records load
        assert (event_id, session, event_type, command) == (
            record["id"],
            record["session_id"],
            record["event_type"],
            record["command"],
        )
        if record["timestamp"] is None:
            assert stamp is None
        else:
            expected = dt.datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
            assert stamp == (expected if expected.tzinfo else expected.replace(tzinfo=dt.UTC))
        for stored, field in ((metadata, "metadata"), (parameters, "parameters")):
            value = record[field]
            assert _json(stored) == (
                None if value is None else _json(encode(value, ascii_only=ascii_only))
            )
        unknown = {key: value for key, value in record.items() if key not in EVENT_FIELDS}
        assert _json(extra) == (_json(encode(unknown, ascii_only=ascii_only)) if unknown else None)
    for line, raw in rejects:
        expected_bytes = lines[line - 1].removesuffix(b"\r")  # CR LF ends a line too
        if line == 1 and expected_bytes.startswith(BOM):
            expected_bytes = expected_bytes[len(BOM) :]
        assert bytes(raw) == expected_bytes


def _cell(value: str | None) -> bytes:
    """An RFC 4180 cell: null unquoted and empty, any text quoted (quotes doubled)."""
    if value is None:
        return b""
    return b'"' + value.encode().replace(b'"', b'""') + b'"'


csv_text = st.one_of(
    st.none(), st.text(max_size=30), st.sampled_from(["", '"', ",", "\r\n", "[/x]"])
)


@settings(max_examples=max(settings().max_examples // 2, 1))
@given(st.lists(st.tuples(csv_text, csv_text, csv_text), min_size=1, max_size=8))
def test_csv_cells_load_as_sent_quoted_empty_text_and_unquoted_empty_null(
    warehouse_dsn: str, rows: list[tuple[str | None, str | None, str | None]]
) -> None:
    header = (
        b"id,project_name,project_path,pattern_id,pattern_name,files_created,created_at,"
        b"updated_at,deployment_status"
    )
    lines = [header]
    for number, (name, path, status) in enumerate(rows, start=1):
        cells = [
            f"6f1c2f8e-3c1a-4b7e-9a51-{number:012d}".encode(),
            _cell(name),
            _cell(path),
            b"rest",
            b"REST",
            b"1",
            b"2025-03-01T09:00:00Z",
            b"2025-03-02T09:00:00Z",
            _cell(status),
        ]
        lines.append(b",".join(cells))
    _reset(warehouse_dsn)
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        conn.execute("truncate raw.project_outcomes")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "landing" / "project_outcomes"
        folder.mkdir(parents=True)
        (folder / "a.csv").write_bytes(b"\r\n".join(lines) + b"\r\n")
        with connect(warehouse_dsn) as conn:
            [outcome] = load_landing(conn, folder.parent, chunk_rows=3)
    batch = outcome.batch
    assert batch is not None and batch.status == "succeeded" and batch.balanced
    assert batch.lines_read == len(rows)
    with psycopg.connect(warehouse_dsn) as conn:
        stored = conn.execute(
            "select _line_number, project_name, project_path, deployment_status "
            "from raw.project_outcomes"
        ).fetchall()
    line_of = {}
    line = 2
    for row in rows:
        line_of[line] = row
        line += 1 + sum((cell or "").count("\n") for cell in row)
    for line_number, name, path, status in stored:
        assert (name, path, status) == line_of[line_number]
