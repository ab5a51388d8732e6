"""Hostile landing files against the real warehouse: no record stops a file, nothing changes on
its way in, and only regular files inside the landing directory are read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from cli.app import main
from core.db import connect
from core.settings import get_settings
from ingest.rejects import replay_rejects
from ingest.sources.files.load import FileOutcome, load_landing
from tests.factories import record

pytestmark = pytest.mark.integration

BIG = b"123456789012345678901234567890"
DEEP = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
OUTCOME_HEADER = (
    b"id,project_name,project_path,pattern_id,pattern_name,files_created,created_at,updated_at,"
    b"deployment_status,user_id\n"
)


@pytest.fixture(autouse=True)
def fresh_settings(warehouse_dsn: str) -> Iterator[None]:
    """The CLI runs in this process: it must read WAREHOUSE_DSN as the fixture set it."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _event(event_id: int, **changes: Any) -> bytes:
    return orjson.dumps(record("orchestration_events", id=event_id, **changes))


def _with(line: bytes, **raw_fields: bytes) -> bytes:
    for name, text in raw_fields.items():
        line = line[:-1] + b',"' + name.encode() + b'":' + text + b"}"
    return line


def _write(path: Path, lines: list[bytes], end: bytes = b"\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + end)
    return path


def _load(dsn: str, landing: Path, **options: Any) -> list[FileOutcome]:
    with connect(dsn) as conn:
        return load_landing(conn, landing, chunk_rows=4, **options)


def _rows(dsn: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), captured.out + captured.err


def test_each_crasher_is_one_reject_naming_its_field_and_every_other_line_loads(
    clean_warehouse: str, landing: Path
) -> None:
    folder = landing / "orchestration_events"
    crashers = [
        _with(_event(10), metadata=b'{"host": "\xc3\x28"}'),
        _with(_event(11), metadata=b'{"n": 1e200000}'),
        _with(_event(12), **{"bad\\u0000name": b"1"}),
        _with(_event(13), metadata=DEEP),
        _event(14, timestamp="[/] not a time"),
        _event(15, timestamp="9999-12-31T23:59:59-12:00"),
        _event(16, timestamp="0001-01-01T00:00:00Z"),
        _with(_event(17), metadata=b'{"k": "\\ud800"}'),
    ]
    kept = _with(_event(2), metadata=b'{"n": ' + BIG + b"}", **{"[/x]": BIG})
    _write(folder / "a.jsonl", [_event(1), *crashers, kept, _event(3)])
    _write(folder / "b.jsonl", [_event(4)])
    outcomes = _load(clean_warehouse, landing)
    assert [o.batch.status for o in outcomes if o.batch] == ["succeeded", "succeeded"]
    first = outcomes[0].batch
    assert first is not None and first.balanced
    assert (first.lines_read, first.rows_loaded, first.rows_rejected) == (11, 3, 8)
    reasons = [
        reason
        for (reason,) in _rows(clean_warehouse, "select reason from audit.rejects order by 1")
    ]
    for named in ('field "metadata"', "unknown field's name", 'field "timestamp"'):
        assert any(named in reason for reason in reasons), (named, reasons)
    # big integers keep every digit, nested and in _extra
    [(metadata, extra)] = _rows(
        clean_warehouse,
        "select metadata::text, _extra::text from raw.orchestration_events where id = 2",
    )
    assert metadata == '{"n": ' + BIG.decode() + "}"
    assert extra == '{"[/x]": ' + BIG.decode() + "}"
    assert _rows(clean_warehouse, "select count(*) from raw.orchestration_events") == [(4,)]


def test_markup_in_names_and_values_is_printed_as_data(
    clean_warehouse: str, landing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(
        landing / "orchestration_events" / "[bold]a.jsonl",
        [_with(_event(1), **{"[/x]": b"1"}), _event(2, timestamp="[/] not a time")],
    )
    code, out = _cli(capsys, "ingest", "files", str(landing))
    assert code == 1  # one of two lines rejected: over the 5% budget
    assert "orchestration_events/[bold]a.jsonl: read 2 = loaded 1 + rejected 1" in out
    assert "(new fields kept: [/x])" in out
    assert '"[/] not a time"' in out
    assert "Traceback" not in out
    code, out = _cli(capsys, "rejects")
    assert code == 0 and '"[/] not a time"' in out and "skipping held batch" in out


def test_a_quoted_empty_csv_cell_is_text_and_an_unquoted_one_null(
    clean_warehouse: str, landing: Path
) -> None:
    _write(
        landing / "project_outcomes" / "a.csv",
        [
            OUTCOME_HEADER.rstrip(b"\n"),
            b"6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a10,api,/p,rest,REST,1,2025-03-01T09:00:00Z,"
            b'2025-03-02T09:00:00Z,"",',
        ],
    )
    _load(clean_warehouse, landing)
    assert _rows(
        clean_warehouse, "select deployment_status, user_id from raw.project_outcomes"
    ) == [("", None)]


def test_csv_rejects_keep_their_exact_bytes_and_a_replay_never_loads_an_escaped_copy(
    clean_warehouse: str, landing: Path
) -> None:
    bad_bytes = (
        b"6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a11,\xff\xfe,/p,rest,REST,1,2025-03-01T09:00:00Z,"
        b"2025-03-02T09:00:00Z,,"
    )
    nul = (
        b'6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a12,"a\x00b",/p,rest,REST,1,2025-03-01T09:00:00Z,'
        b"2025-03-02T09:00:00Z,,"
    )
    malformed = b'6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a13,a"b,/p'
    _write(
        landing / "project_outcomes" / "a.csv",
        [OUTCOME_HEADER.rstrip(b"\n"), bad_bytes, nul, malformed],
    )
    _load(clean_warehouse, landing)
    rejects = _rows(
        clean_warehouse,
        "select line_number, raw_record, raw_bytes, reason from audit.rejects order by 1",
    )
    assert [(line, bytes(exact) if exact else None) for line, _, exact, _ in rejects] == [
        (2, bad_bytes),
        (3, nul),
        (4, None),  # UTF-8 without NUL: raw_record is exact
    ]
    assert rejects[0][1].startswith("6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a11,\\xff\\xfe,")
    assert rejects[2][1] == malformed.decode()
    assert "quote inside an unquoted cell" in rejects[2][3]
    with connect(clean_warehouse) as conn:
        [replay] = replay_rejects(conn, entity="project_outcomes")
    assert (replay.loaded, replay.rejected_again) == (0, 3)
    assert _rows(clean_warehouse, "select count(*) from raw.project_outcomes") == [(0,)]
    # the malformed record, fixed by hand, replays from its kept text
    with psycopg.connect(clean_warehouse) as conn:
        conn.execute(
            "update audit.rejects set raw_record = %s where line_number = 4",
            (
                "6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a13,ab,/p,rest,REST,1,2025-03-01T09:00:00Z,"
                "2025-03-02T09:00:00Z,,",
            ),
        )
    with connect(clean_warehouse) as conn:
        [again] = replay_rejects(conn, entity="project_outcomes", again=True)
    assert (again.loaded, again.rejected_again) == (1, 2)


def test_a_csv_header_with_nul_or_bad_bytes_fails_its_file_alone(
    clean_warehouse: str, landing: Path
) -> None:
    folder = landing / "project_outcomes"
    _write(folder / "1.csv", [b"id,na\x00me", b"x,y"])
    _write(folder / "2.csv", [b"id,caf\xe9", b"x,y"])
    _write(folder / "3.csv", [OUTCOME_HEADER.rstrip(b"\n")])
    outcomes = _load(clean_warehouse, landing)
    assert [o.batch.status for o in outcomes if o.batch] == ["failed", "failed", "succeeded"]
    errors = [o.batch.error or "" for o in outcomes if o.batch]
    assert "NUL character" in errors[0] and "not valid UTF-8" in errors[1]
    assert _rows(clean_warehouse, "select count(*) from audit.loads") == [(3,)]


def test_a_csv_without_a_header_or_with_cr_line_ends_fails_and_a_bom_quoted_one_loads(
    clean_warehouse: str, landing: Path
) -> None:
    """A first record read as the header would lose it silently; CR-only line ends make the
    whole file one header row; Export-Csv writes a BOM before a quoted header."""
    folder = landing / "orchestration_events"
    row = b"3000000001,4,session_started,system,2026-11-01T10:00:00Z"
    _write(folder / "1.csv", [row])
    header = b"id,session_id,event_type,event_category,timestamp"
    (folder / "2.csv").write_bytes(header + b"\r" + row + b"\r")
    quoted = b'"id","session_id","event_type","event_category","timestamp"'
    (folder / "3.csv").write_bytes(b"\xef\xbb\xbf" + quoted + b"\r\n" + row + b"\r\n")
    outcomes = _load(clean_warehouse, landing)
    assert [o.batch.status for o in outcomes if o.batch] == ["failed", "failed", "succeeded"]
    errors = [o.batch.error or "" for o in outcomes if o.batch]
    assert "names none of the fields of orchestration_events" in errors[0]
    assert "end in CR alone" in errors[1]
    assert _rows(clean_warehouse, "select id from raw.orchestration_events") == [(3000000001,)]


def test_a_symbolic_link_loop_fails_alone(clean_warehouse: str, landing: Path) -> None:
    folder = landing / "orchestration_events"
    _write(folder / "good.jsonl", [_event(1)])
    (folder / "loop.jsonl").symlink_to("loop.jsonl")
    outcomes = _load(clean_warehouse, landing)
    assert {o.file.path.name: o.batch.status for o in outcomes if o.batch} == {
        "good.jsonl": "succeeded",
        "loop.jsonl": "failed",
    }
    failed = [o.batch.error for o in outcomes if o.batch and o.batch.status == "failed"]
    assert "a loop of links" in str(failed)


def test_a_file_name_that_is_not_utf8_loads_and_is_named_escaped(
    clean_warehouse: str, landing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = landing / "orchestration_events"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.jsonl")
    (folder / name).write_bytes(_event(1) + b"\n")
    code, out = _cli(capsys, "ingest", "files", str(landing))
    assert code == 0, out
    assert "orchestration_events/caf\\xe9.jsonl: read 1 = loaded 1" in out
    [(source_name,)] = _rows(clean_warehouse, "select source_name from audit.loads")
    assert source_name.endswith("caf\\xe9.jsonl")
    code, out = _cli(capsys, "ingest", "files", str(landing))
    assert code == 0 and "nothing new: all 1 files were loaded before" in out


def test_an_appended_file_loads_only_its_new_lines_and_records_nothing_twice(
    clean_warehouse: str, landing: Path
) -> None:
    path = _write(landing / "orchestration_events" / "a.jsonl", [_event(1), b"bad one"])
    [first] = _load(clean_warehouse, landing)
    with path.open("ab") as stream:
        stream.write(_event(2) + b"\nbad two\n" + _event(3))  # the last line still unfinished
    [second] = _load(clean_warehouse, landing)
    with path.open("ab") as stream:
        stream.write(b"\n" + _event(4) + b"\n")
    [third] = _load(clean_warehouse, landing)
    counts = _rows(
        clean_warehouse,
        "select lines_read, rows_loaded, rows_rejected, duplicates_skipped, resumed_from_batch "
        "from audit.loads order by started_at",
    )
    assert first.batch and second.batch and third.batch
    assert counts == [
        (2, 1, 1, 0, None),
        (3, 2, 1, 0, first.batch.batch_id),
        # the unfinished line is read again once complete (a duplicate now), then the new one
        (2, 1, 0, 1, second.batch.batch_id),
    ]
    lines = _rows(clean_warehouse, "select line_number from audit.rejects order by 1")
    assert lines == [(2,), (4,)]
    assert _rows(
        clean_warehouse, "select id, _line_number from raw.orchestration_events order by id"
    ) == [(1, 1), (2, 3), (3, 5), (4, 6)]


def test_an_appended_csv_resumes_after_its_last_record(clean_warehouse: str, landing: Path) -> None:
    row = (
        "6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a1{},api,/p,rest,REST,1,2025-03-01T09:00:00Z,"
        "2025-03-02T09:00:00Z,,"
    )
    path = _write(
        landing / "project_outcomes" / "a.csv",
        [OUTCOME_HEADER.rstrip(b"\n"), row.format(0).encode()],
    )
    _load(clean_warehouse, landing)
    with path.open("ab") as stream:
        stream.write(row.format(1).encode() + b"\n")
    _load(clean_warehouse, landing)
    assert _rows(
        clean_warehouse, "select lines_read, rows_loaded from audit.loads order by started_at"
    ) == [(1, 1), (1, 1)]
    assert _rows(clean_warehouse, "select _line_number from raw.project_outcomes order by 1") == [
        (2,),
        (3,),
    ]


def test_a_file_delivered_again_with_changes_rejects_each_record_once(
    clean_warehouse: str, landing: Path
) -> None:
    path = _write(landing / "orchestration_events" / "a.jsonl", [_event(1), b"bad"])
    _load(clean_warehouse, landing)
    _write(path, [_event(1), b"bad", _event(2)])  # rewritten, not appended: read whole again
    path.write_bytes(b"\n" + path.read_bytes())  # a leading blank line: not a prefix any more
    [outcome] = _load(clean_warehouse, landing)
    assert outcome.batch is not None
    batch = outcome.batch
    assert (batch.rows_loaded, batch.rows_rejected, batch.duplicates_skipped) == (1, 1, 2)
    assert batch.duplicate_rejects == 1  # "bad" was rejected before: not written again
    assert _rows(clean_warehouse, "select count(*) from audit.rejects") == [(2,)]


def test_links_outside_the_landing_directory_and_special_files_are_refused_unread(
    clean_warehouse: str, landing: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.jsonl"
    secret.write_bytes(b"password=hunter2\n")
    folder = landing / "orchestration_events"
    folder.mkdir()
    (folder / "a-link.jsonl").symlink_to(secret)
    os.mkfifo(folder / "b-fifo.jsonl")
    inside = _write(landing / "_kept" / "c.jsonl", [_event(1)])
    (folder / "c-inside.jsonl").symlink_to(inside)
    outside = tmp_path / "elsewhere"
    _write(outside / "x.jsonl", [_event(2)])
    (landing / "user_feedback").symlink_to(outside)
    outcomes = _load(clean_warehouse, landing)
    statuses = {o.file.name: (o.batch.status, o.batch.error) for o in outcomes if o.batch}
    assert statuses["orchestration_events/a-link.jsonl"][0] == "failed"
    assert "symbolic link" in (statuses["orchestration_events/a-link.jsonl"][1] or "")
    assert "outside the landing directory" in (
        statuses["orchestration_events/a-link.jsonl"][1] or ""
    )
    assert "not a regular file" in (statuses["orchestration_events/b-fifo.jsonl"][1] or "")
    assert statuses["orchestration_events/c-inside.jsonl"][0] == "succeeded"
    assert statuses["user_feedback/user_feedback"][0] == "failed"
    assert _rows(clean_warehouse, "select count(*) from audit.rejects") == [(0,)]
    everything = _rows(
        clean_warehouse, "select coalesce(string_agg(error, ' '), '') from audit.loads"
    )
    assert "hunter2" not in everything[0][0]


def test_files_no_load_reads_are_named_and_the_known_folders_still_load(
    clean_warehouse: str, landing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(landing / "orchestration_events.jsonl", [_event(9)])
    _write(landing / "orchestration_sesions" / "a.jsonl", [_event(8)])
    _write(landing / "orchestration_events" / "notes.txt", [b"hello"])
    _write(landing / "orchestration_events" / "a.jsonl", [_event(1)])
    code, out = _cli(capsys, "ingest", "files", str(landing))
    assert code == 1
    assert "orchestration_events.jsonl is at the landing root" in out
    assert "unknown entity folder 'orchestration_sesions'" in out
    assert "orchestration_events/notes.txt was not loaded" in out
    assert _rows(clean_warehouse, "select id from raw.orchestration_events") == [(1,)]


def test_an_entity_folder_or_an_empty_folder_loads_nothing_and_says_why(
    clean_warehouse: str, landing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = landing / "orchestration_events"
    _write(folder / "a.jsonl", [_event(1)])
    code, out = _cli(capsys, "ingest", "files", str(folder))
    assert code == 1 and "looks like an entity folder" in out and str(landing) in out
    empty = landing.parent / "empty"
    empty.mkdir()
    code, out = _cli(capsys, "ingest", "files", str(empty))
    assert code == 1 and "holds no landing files" in out
    assert len(out.strip().splitlines()) == 1


def test_a_row_postgres_refuses_is_a_reject_not_a_failed_file(
    clean_warehouse: str, landing: Path
) -> None:
    """A limit the validator does not know (here a CHECK added to raw) costs one record."""
    with psycopg.connect(clean_warehouse, autocommit=True) as conn:
        conn.execute(
            "alter table raw.orchestration_events "
            "add constraint forge_test_no_666 check (duration_ms <> 666)"
        )
    try:
        _write(
            landing / "orchestration_events" / "a.jsonl",
            [_event(1), _event(2, duration_ms=666), _event(3)],
        )
        [outcome] = _load(clean_warehouse, landing)
    finally:
        with psycopg.connect(clean_warehouse, autocommit=True) as conn:
            conn.execute("alter table raw.orchestration_events drop constraint forge_test_no_666")
    assert outcome.batch is not None and outcome.batch.status == "succeeded"
    assert (outcome.batch.rows_loaded, outcome.batch.rows_rejected) == (2, 1)
    [(line, reason, raw)] = _rows(
        clean_warehouse, "select line_number, reason, raw_record from audit.rejects"
    )
    assert line == 2 and "the warehouse cannot store" in reason and "forge_test_no_666" in reason
    assert raw == _event(2, duration_ms=666).decode()
