"""Page parsing: the shapes a DataForge page may take, the ones refused, and each record's fate."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from core.exceptions import IngestError, SchemaDriftError
from ingest.contract.entities import ENTITIES
from ingest.contract.validate import Accepted, RecordValidator, Rejected
from ingest.sources.api.page import items_prefix, page_items, to_input_record
from tests.factories import record

FIXTURES = Path(__file__).parents[4] / "fixtures" / "dataforge"
OUTCOMES = RecordValidator(ENTITIES["project_outcomes"])
FEEDBACK = RecordValidator(ENTITIES["user_feedback"])
WHERE = "the page at offset 0"


def _items(body: bytes) -> list[Any]:
    return list(page_items(io.BytesIO(body), WHERE))


@pytest.mark.parametrize(
    ("body", "prefix"),
    [
        (b"[1, 2]", "item"),
        (b"[]", "item"),
        (b'{"items": [1, 2]}', "items.item"),
        (b'{"data": [1, 2]}', "data.item"),
        (b'{"results": [1, 2], "total": 2}', "results.item"),
        # other members first, even one holding an "items" array of its own, are skipped
        (b'{"total": 2, "meta": {"items": [9]}, "items": [1, 2]}', "items.item"),
        # a key of the right name whose value is not an array is passed over
        (b'{"data": {"n": 1}, "results": [1, 2]}', "results.item"),
        (b"  \n [1, 2] \n", "item"),
    ],
)
def test_accepted_page_shapes_yield_their_records(body: bytes, prefix: str) -> None:
    assert items_prefix(io.BytesIO(body), WHERE) == prefix
    assert _items(body) == ([] if body.strip() == b"[]" else [1, 2])


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"", IngestError, "is empty; expected a JSON array of records"),
        (b"  \n", IngestError, "is not valid JSON (parse error: premature EOF)"),
        (b"<html><body>Bad gateway</body></html>", IngestError, "is not valid JSON"),
        (b"not json", IngestError, "is not valid JSON"),
        (b'"just text"', SchemaDriftError, "is a JSON string; expected a JSON array"),
        (b"42", SchemaDriftError, "is a JSON number"),
        (b"null", SchemaDriftError, "is a JSON null"),
        (b'{"rows": [1]}', SchemaDriftError, "a JSON object without a records array"),
        (b'{"items": 5}', SchemaDriftError, '"items", "data", "results"'),
        (b"{}", SchemaDriftError, "without a records array"),
        # broken after the records started: found while streaming, the page still fails
        (b'[{"a": 1}, {"a"', IngestError, "is not valid JSON (parse error: premature EOF)"),
        (b"[1, 2] trailing", IngestError, "is not valid JSON (parse error: trailing garbage)"),
        (b'{"items": [1, 2], "total": }', IngestError, "is not valid JSON"),
        (b'[{"a": "\xff"}]', IngestError, "invalid bytes in UTF8 string"),
    ],
)
def test_malformed_pages_fail_with_a_reason_naming_the_page(
    body: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        _items(body)
    assert str(raised.value).startswith(WHERE)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_records_are_parsed_one_at_a_time_before_the_end_of_the_page_is_read() -> None:
    items = page_items(io.BytesIO(b'[{"n": 1}, {"n": 2}, garbage'), WHERE)
    assert next(items) == {"n": 1}
    assert next(items) == {"n": 2}
    with pytest.raises(IngestError, match="not valid JSON"):
        next(items)


@pytest.mark.parametrize(
    ("fixture", "validator", "count"),
    [("outcomes.200.json", OUTCOMES, 2), ("feedback.200.json", FEEDBACK, 1)],
)
def test_recorded_pages_are_accepted_whole(
    fixture: str, validator: RecordValidator, count: int
) -> None:
    with (FIXTURES / fixture).open("rb") as body:
        records = [
            to_input_record(item, number, validator)
            for number, item in enumerate(page_items(body, WHERE), start=1)
        ]
    assert len(records) == count
    assert all(isinstance(each.outcome, Accepted) for each in records), records
    # each record keeps the bytes it arrived as, for a reject Postgres might still refuse
    assert all(isinstance(each.raw, bytes) for each in records)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (42, "record is a JSON number, expected a JSON object with the fields of user_feedback"),
        ("text", "record is a JSON string"),
        ([1], "record is a JSON array"),
        (None, "record is a JSON null"),
        (True, "record is a JSON boolean"),
    ],
)
def test_a_record_that_is_not_an_object_is_a_reject_not_a_page_failure(
    item: Any, reason: str
) -> None:
    converted = to_input_record(item, 7, FEEDBACK)
    assert converted.line_number == 7
    assert isinstance(converted.outcome, Rejected)
    assert reason in converted.outcome.reason
    assert converted.raw == orjson.dumps(item)


def test_an_unknown_field_is_kept_beside_the_record() -> None:
    [item] = _items(orjson.dumps([record("project_outcomes", repo_url="https://x")]))
    converted = to_input_record(item, 1, OUTCOMES)
    assert isinstance(converted.outcome, Accepted)
    assert converted.outcome.extra is not None
    assert orjson.loads(converted.outcome.extra) == {"repo_url": "https://x"}


def test_a_field_whose_type_changed_is_a_reject_naming_the_field() -> None:
    [item] = _items(orjson.dumps([record("project_outcomes", files_created="twelve")]))
    converted = to_input_record(item, 3, OUTCOMES)
    assert isinstance(converted.outcome, Rejected)
    assert 'field "files_created" must be an integer, got "twelve"' in converted.outcome.reason
    assert converted.raw is not None and b'"files_created":"twelve"' in converted.raw


def test_numbers_keep_the_digits_the_server_sent() -> None:
    body = orjson.dumps([record("project_outcomes")]).replace(b"97.5", b"97.50")
    [item] = _items(body)
    converted = to_input_record(item, 1, OUTCOMES)
    assert isinstance(converted.outcome, Accepted)
    assert Decimal("97.50") in converted.outcome.values
    same = to_input_record(record("project_outcomes"), 1, OUTCOMES)
    assert isinstance(same.outcome, Accepted)
    # the same record read from a file or from the API hashes alike: re-reads are duplicates
    direct = OUTCOMES.validate_json(orjson.dumps(record("project_outcomes")))
    assert isinstance(direct, Accepted)
    assert same.outcome.record_hash == direct.record_hash


def test_a_record_nested_too_deeply_is_a_reject_not_a_crash() -> None:
    item: Any = 1
    for _ in range(20_000):
        item = {"a": item}
    converted = to_input_record(item, 4, OUTCOMES)
    assert isinstance(converted.outcome, Rejected)
    assert "nests JSON deeper" in converted.outcome.reason
    assert converted.raw is not None and len(converted.raw) < 1_000
