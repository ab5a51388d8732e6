"""Read one landing file into validated records, streaming: memory does not grow with the file."""

from __future__ import annotations

import csv
import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from core.exceptions import IngestError
from ingest.batch import InputRecord
from ingest.contract.validate import RecordValidator, Rejected

BOM = b"\xef\xbb\xbf"
SUFFIXES = (".jsonl", ".jsonl.gz", ".csv", ".csv.gz")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long prompts and outputs fit in one cell


def is_landing_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(SUFFIXES) and not path.name.startswith(".")


def read_file(path: Path, validator: RecordValidator) -> Iterator[InputRecord]:
    """Every record of the file, in line order, each accepted or rejected with a reason."""
    try:
        with _open(path) as stream:
            if path.name.endswith((".csv", ".csv.gz")):
                yield from _read_csv(stream, validator)
            else:
                yield from _read_jsonl(stream, validator)
    except (gzip.BadGzipFile, zlib.error, EOFError) as error:
        raise IngestError(f"{path} is not a complete gzip file ({error}); re-send it") from None
    except IngestError as error:
        raise IngestError(f"{path}: {error}") from None


def read_csv_header(path: Path) -> tuple[str, ...] | None:
    """The field names of a CSV landing file (None for JSONL or an unreadable header)."""
    if not path.name.endswith((".csv", ".csv.gz")):
        return None
    try:
        with _open(path) as stream:
            text = io.TextIOWrapper(
                stream, encoding="utf-8-sig", errors="surrogateescape", newline=""
            )
            return tuple(next(csv.reader(text), []))
    except (OSError, EOFError, zlib.error, csv.Error):
        return None


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _read_jsonl(stream: IO[bytes], validator: RecordValidator) -> Iterator[InputRecord]:
    for line_number, line in enumerate(stream, start=1):
        line = line.rstrip(b"\r\n")
        if line_number == 1 and line.startswith(BOM):
            line = line[len(BOM) :]  # editors on Windows start UTF-8 files with a BOM
        outcome = validator.validate_json(line)
        raw = line.decode("utf-8", "backslashreplace") if isinstance(outcome, Rejected) else None
        yield InputRecord(line_number, outcome, raw)


def _read_csv(stream: IO[bytes], validator: RecordValidator) -> Iterator[InputRecord]:
    """A record may span physical lines inside a quoted cell; it is numbered by its first line."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        raise IngestError(f"the CSV header cannot be read ({error})") from None
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise IngestError(f"the CSV header names {', '.join(repeated)} more than once")
    first_line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield InputRecord(first_line, Rejected(f"record is not valid CSV ({error})"), None)
            first_line = reader.line_num + 1
            continue
        raw = _csv_text(cells)
        if len(cells) != len(header):
            reason = (
                f"record has {len(cells)} cells but the header names {len(header)} fields; "
                "check the quoting of this record"
            )
            yield InputRecord(first_line, Rejected(reason), raw)
        else:
            record = dict(zip(header, cells, strict=True))
            outcome = validator.validate_mapping(record, from_text=True)
            yield InputRecord(first_line, outcome, raw if isinstance(outcome, Rejected) else None)
        first_line = reader.line_num + 1


def _csv_text(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()
