"""The error budget: a batch rejecting more than a set share of its lines fails the run.

Its accepted rows and its rejects are kept either way; the run's exit code says someone has to
look, and the message says where to start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ingest.batch import BatchResult

TOP_REASONS = 3


def over_budget(batches: Iterable[BatchResult], threshold: float) -> list[str]:
    """One sentence per entity whose batches rejected more than `threshold` of their lines."""
    by_entity: dict[str, list[BatchResult]] = {}
    for batch in batches:
        if batch.status == "succeeded" and batch.lines_read:
            by_entity.setdefault(batch.entity, []).append(batch)
    messages = []
    for entity, mine in by_entity.items():
        worst = max(mine, key=lambda batch: batch.rows_rejected / batch.lines_read)
        rate = worst.rows_rejected / worst.lines_read
        if rate <= threshold:
            continue
        reasons: Counter[str] = Counter()
        for batch in mine:
            reasons.update(batch.reject_reasons)
        top = "; ".join(f"{count} x {reason}" for reason, count in reasons.most_common(TOP_REASONS))
        messages.append(
            f"{entity}: {rate:.1%} of the {worst.lines_read} lines of {worst.source_name} were "
            f"rejected, over the {threshold:.1%} budget (FORGE_REJECT_RATE_THRESHOLD); "
            f"top reasons: {top}"
        )
    return messages
