"""Validation of single records: each reject kind of docs/contract.md §2, and what passes."""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from ingest.contract.entities import ENTITIES
from ingest.contract.validate import Accepted, RecordValidator, Rejected
from tests.factories import VALID, record

VALIDATORS = {name: RecordValidator(entity) for name, entity in ENTITIES.items()}


def _json(entity: str, **changes: object) -> bytes:
    return orjson.dumps(record(entity, **changes))


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_every_hand_written_record_is_accepted(entity: str) -> None:
    outcome = VALIDATORS[entity].validate_json(orjson.dumps(VALID[entity]))
    assert isinstance(outcome, Accepted), outcome


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"not json", "line is not valid JSON"),
        (b'{"id": 1,', "line is not valid JSON"),
        (b"[1, 2]", "line is a JSON array, expected a JSON object"),
        (b"42", "line is a JSON number, expected a JSON object"),
        (b"", "line is empty"),
        (b'{"id": "\xff\xfe"}', "line is not valid UTF-8 (byte 0xff at position 8)"),
        # a lone surrogate escape cannot become UTF-8 text: the field holding it is named
        (b'{"id": 1, "event_type": "\\ud800"}', 'field "event_type" holds an unpaired surrogate'),
    ],
)
def test_lines_that_are_not_json_objects_are_rejected(line: bytes, reason: str) -> None:
    outcome = VALIDATORS["orchestration_events"].validate_json(line)
    assert isinstance(outcome, Rejected)
    assert reason in outcome.reason


@pytest.mark.parametrize(
    ("entity", "changes", "reason"),
    [
        ("orchestration_events", {"id": ...}, 'required field "id" is missing'),
        ("orchestration_events", {"event_type": None}, 'required field "event_type" is null'),
        ("orchestration_sessions", {"updated_at": ...}, 'required field "updated_at" is missing'),
        ("orchestration_code_metrics", {"updated_at": None}, '"updated_at" is null'),
        ("project_outcomes", {"files_created": ...}, 'required field "files_created"'),
        ("orchestration_events", {"id": "seven"}, 'field "id" must be an integer, got "seven"'),
        ("orchestration_events", {"id": 1.5}, 'field "id" must be an integer, got 1.5'),
        ("orchestration_events", {"session_id": 2**31}, "must be between"),
        ("orchestration_events", {"timestamp": "yesterday"}, "must be an ISO 8601 timestamp"),
        ("orchestration_events", {"parameters": [1]}, 'field "parameters" must be a JSON object'),
        ("orchestration_phase_metrics", {"error_occurred": "no"}, "must be true or false"),
        ("orchestration_phase_metrics", {"duration_seconds": "fast"}, "must be a number"),
        ("project_outcomes", {"id": "not-a-uuid"}, 'field "id" must be a UUID'),
        ("project_outcomes", {"languages_used": "Python"}, "must be an array of text"),
        ("project_outcomes", {"languages_used": [1]}, "must be an array of text"),
        ("project_outcomes", {"status": "gone"}, "must be one of active, archived, deleted"),
        ("project_outcomes", {"last_build_status": "ok"}, "must be one of success, failure"),
        ("project_outcomes", {"test_pass_rate": 100.01}, "must be between 0 and 100"),
        ("project_outcomes", {"test_pass_rate": -1}, "must be between 0 and 100"),
        ("project_outcomes", {"pattern_id": "p" * 51}, "must be at most 50 characters, got 51"),
        ("project_outcomes", {"deployment_status": "d" * 21}, "at most 20 characters"),
        ("user_feedback", {"overall_satisfaction": 0}, "must be between 1 and 5, got 0"),
        ("user_feedback", {"overall_satisfaction": 6}, "must be between 1 and 5, got 6"),
        ("user_feedback", {"code_quality": 9}, 'field "code_quality" must be between 1 and 5'),
        ("user_feedback", {"likelihood_to_reuse": 11}, "must be between 1 and 10, got 11"),
        ("user_feedback", {"likelihood_to_reuse": 0}, "must be between 1 and 10, got 0"),
        ("orchestration_sessions", {"developer_rating": 9}, "must be between 1 and 5, got 9"),
        ("orchestration_sessions", {"status": "s" * 51}, "at most 50 characters"),
        ("orchestration_events", {"command": "a\u0000b"}, 'field "command" holds a NUL'),
        # NUL hidden inside a JSON object still cannot be stored as jsonb
        ("orchestration_events", {"metadata": {"k": "a\u0000"}}, 'field "metadata" holds a NUL'),
    ],
)
def test_contract_violations_are_rejected_with_the_field_named(
    entity: str, changes: dict[str, object], reason: str
) -> None:
    outcome = VALIDATORS[entity].validate_json(_json(entity, **changes))
    assert isinstance(outcome, Rejected), outcome
    assert reason in outcome.reason


def test_every_problem_of_a_record_is_named() -> None:
    outcome = VALIDATORS["user_feedback"].validate_json(
        _json("user_feedback", overall_satisfaction=7, likelihood_to_reuse="high", id=...)
    )
    assert isinstance(outcome, Rejected)
    for field in ('"id"', '"overall_satisfaction"', '"likelihood_to_reuse"'):
        assert field in outcome.reason


@pytest.mark.parametrize(
    ("entity", "changes"),
    [
        # boundaries the CHECKs allow
        ("user_feedback", {"overall_satisfaction": 1, "likelihood_to_reuse": 10}),
        ("project_outcomes", {"test_pass_rate": 0, "status": None}),
        ("project_outcomes", {"test_pass_rate": 100}),
        ("project_outcomes", {"pattern_id": "p" * 50}),
        # a foreign key pointing at nothing yet is not a reject
        ("user_feedback", {"project_outcome_id": str(uuid.uuid4())}),
        # an offset-less timestamp means UTC
        ("orchestration_events", {"timestamp": "2025-03-01T10:01:00"}),
        # an integer is a valid number
        ("orchestration_phase_metrics", {"duration_seconds": 300}),
        ("orchestration_code_metrics", {"git_commit_hashes": []}),
    ],
)
def test_values_at_the_edges_are_accepted(entity: str, changes: dict[str, object]) -> None:
    outcome = VALIDATORS[entity].validate_json(_json(entity, **changes))
    assert isinstance(outcome, Accepted), outcome


def test_unknown_fields_are_kept_beside_the_record() -> None:
    outcome = VALIDATORS["orchestration_events"].validate_json(
        _json("orchestration_events", new_field={"a": 1}, other=2)
    )
    assert isinstance(outcome, Accepted)
    assert outcome.extra is not None
    assert orjson.loads(outcome.extra) == {"new_field": {"a": 1}, "other": 2}
    assert outcome.extra_names == ("new_field", "other")


def test_record_hash_ignores_top_level_key_order_and_spacing_but_not_values() -> None:
    validator = VALIDATORS["orchestration_events"]
    base = record("orchestration_events")
    shuffled = dict(reversed(list(base.items())))
    first = validator.validate_json(orjson.dumps(base))
    # nested JSON objects are passed through as received, so only top-level layout varies here
    spaced = b"{ " + b" , ".join(orjson.dumps({k: v})[1:-1] for k, v in shuffled.items()) + b" }"
    second = validator.validate_json(spaced)
    changed = validator.validate_json(_json("orchestration_events", duration_ms=121))
    assert isinstance(first, Accepted) and isinstance(second, Accepted)
    assert isinstance(changed, Accepted)
    assert first.record_hash == second.record_hash != changed.record_hash


@pytest.mark.parametrize("unknown", [{}, {"new_field": 1}], ids=["fast path", "slow path"])
def test_a_field_repeated_in_a_record_counts_with_its_last_value(unknown: dict[str, int]) -> None:
    """As jsonb, Python's json and most JSON readers do (docs/contract.md): the record is the
    one written without the first occurrence, hash included."""
    validator = VALIDATORS["orchestration_events"]
    last = record("orchestration_events", duration_ms=121, **unknown)
    repeated = b'{"duration_ms":7,' + orjson.dumps(last)[1:]
    outcome, expected = (
        validator.validate_json(repeated),
        validator.validate_json(orjson.dumps(last)),
    )
    assert isinstance(outcome, Accepted) and isinstance(expected, Accepted)
    assert outcome == expected
    assert outcome.values[validator.columns.index("duration_ms")] == 121


def test_csv_cells_are_read_as_their_types_and_hash_like_json() -> None:
    validator = VALIDATORS["project_outcomes"]
    cells = {
        name: orjson.dumps(value).decode() if isinstance(value, list | dict) else str(value)
        for name, value in VALID["project_outcomes"].items()
    }
    cells_or_null: dict[str, str | None] = {**cells, "user_id": None}  # an unquoted empty cell
    from_csv = validator.validate_text_record(cells_or_null)
    from_json = validator.validate_json(orjson.dumps(VALID["project_outcomes"]))
    assert isinstance(from_csv, Accepted) and isinstance(from_json, Accepted)
    assert from_csv.record_hash == from_json.record_hash
    values = dict(zip(validator.columns, from_csv.values, strict=True))
    assert values["files_created"] == 12
    assert values["languages_used"] == ["Python"]
    assert values["created_at"] == dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)
    assert values["user_id"] is None


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"files_created": "twelve"}, 'field "files_created" must be an integer'),
        ({"languages_used": "Python"}, "must be a JSON array literal in its cell"),
        ({"test_pass_rate": "nan"}, 'field "test_pass_rate" must be a finite number'),
        # what Decimal() reads but no JSON writer sends: never a silent 10, 50 or 5
        ({"test_pass_rate": "1_0"}, 'field "test_pass_rate" must be a number, got 1_0'),
        ({"test_pass_rate": "\u0665\u0660"}, 'field "test_pass_rate" must be a number'),
        ({"test_pass_rate": "\u00a05"}, 'field "test_pass_rate" must be a number'),
        ({"test_pass_rate": "+5"}, 'field "test_pass_rate" must be a number, got +5'),
        # an integer cell is whole-number text, never read through a float (which rounds)
        ({"files_created": "12.0"}, 'field "files_created" must be an integer, got "12.0"'),
        ({"files_created": "9007199254740993.0"}, 'field "files_created" must be an integer'),
        ({"files_created": " 12"}, 'field "files_created" must be an integer'),
        ({"project_name": "a\x00b"}, 'field "project_name" holds a NUL'),
    ],
)
def test_csv_cells_that_cannot_be_read_are_rejected(cells: dict[str, str], reason: str) -> None:
    base = {
        name: orjson.dumps(value).decode() if isinstance(value, list | dict) else str(value)
        for name, value in VALID["project_outcomes"].items()
    }
    outcome = VALIDATORS["project_outcomes"].validate_text_record(base | cells)
    assert isinstance(outcome, Rejected), outcome
    assert reason in outcome.reason
