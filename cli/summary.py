"""What a person reads after a load or a refresh: one line per file, one short table per run."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from ingest.batch import BatchResult
from ingest.contract.entities import ENTITIES
from ingest.sources.files.load import FileOutcome

TOP_REASONS = 3


def file_line(outcome: FileOutcome) -> str:
    """`entity/file: read N = loaded + rejected + duplicates`, or why it loaded nothing."""
    name = outcome.file.name  # bytes of a file name that are not UTF-8 come escaped
    if outcome.batch is None:
        return f"{name}: already loaded (batch {outcome.already_loaded_by}), skipped"
    return batch_line(outcome.batch, name)


def batch_line(batch: BatchResult, name: str) -> str:
    """One batch's counts identity, its new fields, or why it kept nothing."""
    if batch.status != "succeeded":
        return f"{name}: FAILED, nothing kept: {batch.error}"
    line = (
        f"{name}: read {batch.lines_read} = loaded {batch.rows_loaded} "
        f"+ rejected {batch.rows_rejected} + duplicates {batch.duplicates_skipped}"
    )
    if batch.new_fields:
        line += f" (new fields kept: {', '.join(sorted(batch.new_fields))})"
    return line


def print_ingest_summary(
    console: Console, batches: list[BatchResult], seconds: float, *, skipped: int = 0
) -> None:
    """Per-entity totals of one ingest run and its top reject reasons."""
    title = f"ingest: {len(batches)} batches in {seconds:.1f} s"
    if skipped:
        title += f" ({skipped} files loaded before, skipped)"
    table = Table(title=title, title_justify="left")
    for column in ("entity", "batches", "read", "loaded", "rejected", "duplicates", "failed"):
        table.add_column(column, justify="left" if column == "entity" else "right")
    reasons: Counter[str] = Counter()
    for name in ENTITIES:
        mine = [batch for batch in batches if batch.entity == name]
        if not mine:
            continue
        for batch in mine:
            reasons.update(batch.reject_reasons)
        table.add_row(
            name,
            str(len(mine)),
            *(
                str(sum(getattr(batch, count) for batch in mine))
                for count in ("lines_read", "rows_loaded", "rows_rejected", "duplicates_skipped")
            ),
            str(sum(batch.status != "succeeded" for batch in mine)),
        )
    console.print(table)
    for reason, count in reasons.most_common(TOP_REASONS):
        console.print(f"  {count} rejected: {reason}", soft_wrap=True)
