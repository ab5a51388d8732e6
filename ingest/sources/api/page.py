"""Read one DataForge page as a stream of records: memory stays flat whatever the page's size.

A page is a top-level JSON array of records, or an object holding that array under one of
PAGE_KEYS (other members, such as a total, are ignored). A first pass finds where the array
starts and stops there; the second pass hands the records one by one to the C parser (ijson's
yajl2_c backend). A page that is not JSON, or not one of those shapes, fails as a whole.

yajl2_c turns an unpaired UTF-16 surrogate escape (`"\\ud800"`) into "?", silently; a page
holding any surrogate escape is parsed by ijson's Python backend instead, which keeps it, so
the record is rejected with the reason rather than loaded altered.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterator
from typing import IO, Any

import ijson
import msgspec

from core.db import first_line
from core.exceptions import IngestError, SchemaDriftError
from ingest.batch import InputRecord
from ingest.contract.jsontext import MAX_DEPTH
from ingest.contract.validate import RecordValidator, Rejected

PAGE_KEYS = ("items", "data", "results")
_EXACT = ijson.get_backend("python")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SCAN_BYTES = 1 << 20

# ijson yields non-integers as Decimal: encoded as JSON numbers they keep the digits sent
_encode = msgspec.json.Encoder(decimal_format="number").encode


def items_prefix(body: IO[bytes], where: str) -> str:
    """The ijson prefix of the page's records: `item`, or `<key>.item` for an object page."""
    if not body.read(1):
        raise IngestError(f"{where} is empty; expected a JSON array of records")
    body.seek(0)
    events = ijson.parse(body)
    try:
        _, event, _ = next(events)
        if event == "start_array":
            return "item"
        if event != "start_map":
            raise SchemaDriftError(_shape_problem(where, f"a JSON {event}"))
        for prefix, event, value in events:
            if prefix == "" and event == "map_key" and value in PAGE_KEYS:
                _, inner, _ = next(events)
                if inner == "start_array":
                    return f"{value}.item"
        raise SchemaDriftError(_shape_problem(where, "a JSON object without a records array"))
    except ijson.JSONError as error:
        raise IngestError(_not_json(where, error)) from None
    except StopIteration:
        raise IngestError(f"{where} is not JSON (the body ends early)") from None
    finally:
        body.seek(0)


def page_items(body: IO[bytes], where: str) -> Iterator[Any]:
    """Each element of the page's records array, parsed one at a time, in order."""
    prefix = items_prefix(body, where)
    parser = _EXACT if _holds_surrogate_escape(body) else ijson
    try:
        yield from parser.items(body, prefix)
    except ijson.JSONError as error:
        raise IngestError(_not_json(where, error)) from None


def to_input_record(item: Any, line_number: int, validator: RecordValidator) -> InputRecord:
    """One element of a page, accepted or rejected; a non-object is a reject, not a page error."""
    try:
        text = _encode(item)
    except RecursionError:
        reason = f"record nests JSON deeper than this loader reads ({MAX_DEPTH} levels)"
        return InputRecord(line_number, Rejected(reason), reprlib.repr(item).encode())
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as error:
        reason = f"record cannot be read ({first_line(error)})"
        return InputRecord(line_number, Rejected(reason), reprlib.repr(item).encode())
    if not isinstance(item, dict):
        reason = (
            f"record is a JSON {_value_kind(item)}, expected a JSON object with the fields of "
            f"{validator.entity.name}"
        )
        return InputRecord(line_number, Rejected(reason), text)
    return InputRecord(line_number, validator.validate_json(text), text)


def _shape_problem(where: str, found: str) -> str:
    keys = ", ".join(f'"{key}"' for key in PAGE_KEYS)
    return (
        f"{where} is {found}; expected a JSON array of records or an object holding one under "
        f"{keys}"
    )


def _not_json(where: str, error: Exception) -> str:
    detail = error.args[0] if error.args else error
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "backslashreplace")
    first = str(detail).strip().splitlines()[0] if str(detail).strip() else type(error).__name__
    return f"{where} is not valid JSON ({first})"


def _value_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _holds_surrogate_escape(body: IO[bytes]) -> bool:
    """Whether the page, from the stream's position on, holds a `\\uD800`-`\\uDFFF` escape
    (the position is restored)."""
    start = body.tell()
    tail = b""
    try:
        while chunk := body.read(_SCAN_BYTES):
            if _SURROGATE_ESCAPE.search(tail + chunk):
                return True
            tail = chunk[-5:]
        return False
    finally:
        body.seek(start)
