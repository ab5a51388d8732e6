"""The error budget: which batches fail a run, and what the message says."""

from __future__ import annotations

from ingest.batch import BatchResult
from ingest.budget import over_budget


def _batch(entity: str, read: int, rejected: int, status: str = "succeeded") -> BatchResult:
    batch = BatchResult("b1", entity, f"/landing/{entity}/0001.jsonl", status=status)
    batch.lines_read = read
    for _ in range(rejected):
        batch.note_reject("line is not valid JSON")
    batch.rows_loaded = read - rejected
    return batch


def test_a_batch_over_the_threshold_names_entity_rate_and_reasons() -> None:
    [message] = over_budget([_batch("orchestration_events", 10, 3)], 0.2)
    assert message.startswith("orchestration_events: 30.0% of the 10 lines of")
    assert "3 x line is not valid JSON" in message


def test_at_or_under_the_threshold_and_failed_or_empty_batches_pass() -> None:
    batches = [
        _batch("orchestration_events", 10, 2),
        _batch("user_feedback", 0, 0),
        _batch("project_outcomes", 10, 9, status="failed"),
    ]
    assert over_budget(batches, 0.2) == []


def test_one_message_per_entity_for_its_worst_batch() -> None:
    batches = [_batch("user_feedback", 10, 5), _batch("user_feedback", 10, 8)]
    [message] = over_budget(batches, 0.1)
    assert "80.0%" in message


def test_distinct_reasons_are_capped_so_memory_stays_bounded() -> None:
    batch = BatchResult("b1", "user_feedback", "x")
    for number in range(1000):
        batch.note_reject(f'field "id" must be a UUID, got "{number}"')
    assert len(batch.reject_reasons) <= 101
    assert sum(batch.reject_reasons.values()) == batch.rows_rejected == 1000
