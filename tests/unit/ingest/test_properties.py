"""Property-based: any bytes through the validator and the file reader end as a record or a
reject, never an exception; nested JSON and unknown fields are kept exactly as sent."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ingest.contract.entities import ENTITIES
from ingest.contract.validate import Accepted, RecordValidator, Rejected
from ingest.sources.files.read import ReadSpan, _read_csv, _read_jsonl
from tests.hostile import EVENT_FIELDS, encode, event_records, hostile_lines

EVENTS = RecordValidator(ENTITIES["orchestration_events"])
OUTCOMES = RecordValidator(ENTITIES["project_outcomes"])


def _json(text: bytes) -> Any:
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


@given(hostile_lines)
def test_any_bytes_are_a_record_or_a_reject_with_a_reason(line: bytes) -> None:
    outcome = EVENTS.validate_json(line)
    assert isinstance(outcome, Accepted | Rejected)
    if isinstance(outcome, Rejected):
        assert outcome.reason.strip()


@given(event_records(1), st.booleans())
def test_accepted_records_keep_nested_json_and_unknown_fields_as_sent(
    sent: dict[str, Any], ascii_only: bool
) -> None:
    line = encode(sent, ascii_only=ascii_only)
    outcome = EVENTS.validate_json(line)
    assert isinstance(outcome, Accepted | Rejected)
    if isinstance(outcome, Rejected):
        assert outcome.reason.strip()
        return
    values = dict(zip(EVENTS.columns, outcome.values, strict=True))
    for name in ("metadata", "parameters"):
        if sent.get(name) is None:
            assert values[name] is None
        else:  # the text as sent, byte for byte, behind jsonb's version byte
            assert values[name] == b"\x01" + encode(sent[name], ascii_only=ascii_only)
    unknown = {key: value for key, value in sent.items() if key not in EVENT_FIELDS}
    if unknown:
        assert outcome.extra is not None
        assert _json(outcome.extra) == _json(encode(unknown, ascii_only=ascii_only))
    else:
        assert outcome.extra is None


@given(st.lists(hostile_lines, max_size=12), st.booleans())
def test_a_jsonl_file_of_any_bytes_is_read_line_by_line(lines: list[bytes], ending: bool) -> None:
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines) + (b"\n" if ending else b"")
    span = ReadSpan()
    records = list(_read_jsonl(io.BytesIO(data), EVENTS, span))
    expected = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert len(records) == expected
    assert [record.line_number for record in records] == list(range(1, expected + 1))
    assert span.resume_offset == (data.rfind(b"\n") + 1)


@given(st.lists(st.binary(max_size=60), max_size=10))
def test_a_csv_file_of_any_bytes_is_read_record_by_record(chunks: list[bytes]) -> None:
    header = b"id,project_name,project_path,pattern_id,pattern_name,files_created\n"
    data = header + b"\n".join(chunks)
    records = list(_read_csv(io.BytesIO(data), OUTCOMES, ReadSpan()))
    # every record keeps its bytes as they stand in the file, in order
    position = len(header)
    for record in records:
        assert record.raw is not None
        found = data.find(record.raw, position)
        assert found == position, (record, data[position:])
        position = found + len(record.raw)
        position += 2 if data[position : position + 2] == b"\r\n" else 1
    assert position >= len(data)
    assert all(isinstance(r.outcome, Accepted | Rejected) for r in records)
