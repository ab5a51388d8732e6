"""The error budget: which batches fail a run, and what the message says."""

from __future__ import annotations

from collections import Counter

from ingest.batch import BatchResult
from ingest.budget import over_budget


def _batch(entity: str, read: int, rejected: int, status: str = "succeeded") -> BatchResult:
    batch = BatchResult("b1", entity, f"/landing/{entity}/0001.jsonl", status=status)
    batch.lines_read = read
    batch.note_rejects(Counter({"line is not valid JSON": rejected}))
    batch.rows_loaded = read - rejected
    return batch


def test_a_batch_over_the_threshold_names_entity_rate_and_reasons() -> None:
    [message] = over_budget([_batch("orchestration_events", 10, 3)], 0.2)
    assert message.startswith("orchestration_events: 30.0% of the 10 new lines of")
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
    batch.note_rejects(Counter(f'field "id" must be a UUID, got "{n}"' for n in range(1000)))
    assert len(batch.reject_reasons) <= 101
    assert sum(batch.reject_reasons.values()) == batch.rows_rejected == 1000


def test_re_read_duplicates_do_not_count_in_the_rate() -> None:
    # a quiet source re-read every night: 100 lines, 99 loaded before, 1 new and rejected
    batch = _batch("orchestration_events", 100, 1)
    batch.rows_loaded, batch.duplicates_skipped = 0, 99
    assert batch.new_lines == 1 and batch.reject_rate == 1.0
    assert over_budget([batch], 0.5)
    # the next night the same bad row is a duplicate reject: nothing new, nothing over
    again = _batch("orchestration_events", 100, 0)
    again.rows_loaded, again.duplicates_skipped, again.duplicate_rejects = 0, 100, 1
    assert again.reject_rate == 0.0 and over_budget([again], 0.05) == []
