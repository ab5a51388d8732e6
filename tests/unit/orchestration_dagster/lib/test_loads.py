"""A raw table's load summed over its files: the counts, and one sentence per failed file."""

from __future__ import annotations

from pathlib import Path

from ingest.batch import BatchResult
from ingest.contract.entities import ENTITIES
from ingest.sources.files.load import FileOutcome, LandingFile
from orchestration_dagster.lib.loads import failures, summarize


def _outcome(name: str, batch: BatchResult | None, already: str | None = None) -> FileOutcome:
    file = LandingFile(ENTITIES["user_feedback"], Path("landing/user_feedback") / name)
    return FileOutcome(file, batch, already_loaded_by=already)


def test_summarize_and_failures_count_loaded_skipped_and_failed_files() -> None:
    loaded = BatchResult("b1", "user_feedback", "a.jsonl", 5, 3, 1, 1)
    refused = BatchResult("b2", "user_feedback", "b.jsonl", status="failed", error="refused")
    # read errors already name their file: it is not named twice
    truncated = BatchResult(
        "b3",
        "user_feedback",
        "c.jsonl.gz",
        status="failed",
        error="landing/user_feedback/c.jsonl.gz is not a complete gzip file",
    )
    outcomes = [
        _outcome("a.jsonl", loaded),
        _outcome("b.jsonl", refused),
        _outcome("c.jsonl.gz", truncated),
        _outcome("d.jsonl", None, already="b0"),
    ]

    assert summarize(outcomes) == {
        "files_loaded": 1,
        "files_failed": 2,
        "files_already_loaded": 1,
        "lines_read": 5,
        "rows_loaded": 3,
        "rows_rejected": 1,
        "duplicates_skipped": 1,
    }
    assert failures(outcomes) == [
        "landing/user_feedback/b.jsonl: refused",
        "landing/user_feedback/c.jsonl.gz is not a complete gzip file",
    ]
