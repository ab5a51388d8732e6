"""The exact CSV tokenizer: quoted and unquoted empty cells apart, each record's bytes as sent."""

from __future__ import annotations

import io

import pytest

from ingest.sources.files.csvtext import CsvError, records, split_cells


@pytest.mark.parametrize(
    ("record", "cells"),
    [
        (b"a,b,c", [b"a", b"b", b"c"]),
        (b'"",,""', [b"", None, b""]),  # quoted empty: text; unquoted empty: null
        (b"a,", [b"a", None]),
        (b"", [None]),
        (b'"say ""hi""",x', [b'say "hi"', b"x"]),
        (b'"a,b","c\r\nd"', [b"a,b", b"c\r\nd"]),
        (b"caf\xe9,\x00", [b"caf\xe9", b"\x00"]),  # bytes stay bytes: decoding is the caller's
    ],
)
def test_cells_are_read_exactly(record: bytes, cells: list[bytes | None]) -> None:
    assert split_cells(record) == cells


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (b'a"b,c', "a quote inside an unquoted cell at byte 1"),
        (b'"ab"c,d', "text follows the closing quote of a cell at byte 4"),
    ],
)
def test_broken_quoting_is_an_error_saying_where(record: bytes, message: str) -> None:
    with pytest.raises(CsvError, match=message):
        split_cells(record)


def test_records_keep_their_bytes_first_line_and_where_the_next_read_resumes() -> None:
    data = b'id,name\r\n1,"two\r\nlines"\r\n2,a"b\n3,"open\nstill open'
    found = list(records(io.BytesIO(data)))
    assert [(r.line_number, r.raw, r.cells, r.complete) for r in found[:3]] == [
        (1, b"id,name", [b"id", b"name"], True),
        (2, b'1,"two\r\nlines"', [b"1", b"two\r\nlines"], True),
        (4, b'2,a"b', None, True),
    ]
    assert found[2].error is not None and "quote inside an unquoted cell" in found[2].error
    last = found[3]
    assert (last.line_number, last.raw, last.complete) == (5, b'3,"open\nstill open', False)
    assert last.error is not None and "ends inside a quoted cell" in last.error
    assert found[1].end_offset == len(b'id,name\r\n1,"two\r\nlines"\r\n')


def test_a_read_stops_at_its_limit() -> None:
    data = b"a\nb\nc\n"
    assert [r.raw for r in records(io.BytesIO(data), limit=4)] == [b"a", b"b"]
