"""What a raw table's load did, summed over its files: the counts and the files that failed."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.sources.files.load import FileOutcome


def summarize(outcomes: Sequence[FileOutcome]) -> dict[str, int]:
    """The counts a person reads after a load, summed over the entity's files."""
    batches = [outcome.batch for outcome in outcomes if outcome.batch is not None]
    return {
        "files_loaded": sum(batch.status == "succeeded" for batch in batches),
        "files_failed": sum(batch.status != "succeeded" for batch in batches),
        "files_already_loaded": sum(outcome.already_loaded_by is not None for outcome in outcomes),
        "lines_read": sum(batch.lines_read for batch in batches),
        "rows_loaded": sum(batch.rows_loaded for batch in batches),
        "rows_rejected": sum(batch.rows_rejected for batch in batches),
        "duplicates_skipped": sum(batch.duplicates_skipped for batch in batches),
    }


def failures(outcomes: Sequence[FileOutcome]) -> list[str]:
    """One sentence per file whose batch failed, naming the file once."""
    sentences = []
    for outcome in outcomes:
        batch = outcome.batch
        if batch is None or batch.status == "succeeded":
            continue
        error = batch.error or "failed without a reason"
        path = str(outcome.file.path)
        sentences.append(error if path in error else f"{path}: {error}")
    return sentences
