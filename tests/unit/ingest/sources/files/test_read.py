"""Reading a landing file from where an earlier load stopped, up to the size it was hashed at."""

from __future__ import annotations

from pathlib import Path

import orjson

from ingest.contract.entities import ENTITIES
from ingest.contract.validate import Accepted, RecordValidator
from ingest.sources.files.read import ReadSpan, read_file
from tests.factories import record

EVENTS = RecordValidator(ENTITIES["orchestration_events"])


def _line(event_id: int) -> bytes:
    return orjson.dumps(record("orchestration_events", id=event_id)) + b"\n"


def test_a_read_resumes_at_its_offset_and_stops_at_the_hashed_size(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    first, second, third = _line(1), _line(2), _line(3)
    path.write_bytes(first + second + third + b'{"id": 4')  # a fourth line still being written
    span = ReadSpan(offset=len(first), line=2, limit=len(first + second + third) + 3)
    records = list(read_file(path, EVENTS, span))
    assert [r.line_number for r in records] == [2, 3, 4]
    assert all(isinstance(r.outcome, Accepted) for r in records[:2])
    assert records[2].raw == b'{"i'  # cut at the hashed size: read again next time
    assert (span.resume_offset, span.resume_line) == (len(first + second + third), 4)


def test_a_whole_read_resumes_after_the_last_complete_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(_line(1) + _line(2))
    span = ReadSpan(limit=path.stat().st_size)
    assert len(list(read_file(path, EVENTS, span))) == 2
    assert (span.resume_offset, span.resume_line) == (path.stat().st_size, 3)
