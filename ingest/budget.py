"""The error budget: a batch rejecting more than a set share of its new lines fails the run.

The share is of new lines: re-read duplicates (records loaded or rejected before) do not count,
so a source re-read every night is judged on what it delivered new. Such a batch is held out of
the marts (ingest/holds.py); its accepted rows and its rejects are kept. The run's exit code
says someone has to look, and the message says where to start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ingest.batch import BatchResult

TOP_REASONS = 3


def over_budget(batches: Iterable[BatchResult], threshold: float) -> list[str]:
    """One sentence per entity whose batches rejected more than `threshold` of their new lines."""
    by_entity: dict[str, list[BatchResult]] = {}
    for batch in batches:
        if batch.status == "succeeded" and batch.new_lines > 0:
            by_entity.setdefault(batch.entity, []).append(batch)
    messages = []
    for entity, mine in by_entity.items():
        worst = max(mine, key=lambda batch: batch.reject_rate)
        rate = worst.reject_rate
        if rate <= threshold:
            continue
        reasons: Counter[str] = Counter()
        for batch in mine:
            reasons.update(batch.reject_reasons)
        top = "; ".join(f"{count} x {reason}" for reason, count in reasons.most_common(TOP_REASONS))
        held = f"; batch {worst.batch_id} is held out of the marts" if worst.held else ""
        messages.append(
            f"{entity}: {rate:.1%} of the {worst.new_lines} new lines of {worst.source_name} "
            f"were rejected, over the {threshold:.1%} budget (FORGE_REJECT_RATE_THRESHOLD)"
            f"{held}; top reasons: {top}"
        )
    return messages
