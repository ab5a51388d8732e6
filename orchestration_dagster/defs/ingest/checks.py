"""What dbt cannot see about a load: how much of each batch was rejected, and what is held.

Each raw table's asset carries a blocking check, evaluated in the load's own step on the batches
it just committed: when one rejected more than the threshold's share of its new lines (re-read
duplicates do not count), the loader held it in the same transaction, the check fails with
ERROR, the step fails, and the models downstream are not rebuilt on top of that load (its
accepted rows stay in raw; the rejects stay in audit.rejects, their reasons in the check).
On every later run, while the batch stays held (audit.held_batches: until its rejects are
replayed or a person accepts it), the check fails with WARN naming it: the nightly goes on,
staging leaves the held batch out, and the run says so each time.

In the load's step rather than a check of its own: dbt's source tests are checks on the raw
assets too, and Dagster lets an asset that checks its upstream skip waiting for that upstream's
other blocking checks. A failed step, on the other hand, stops everything downstream.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from core.db import connect
from ingest.contract.entities import Entity
from ingest.holds import HeldBatch, held_batches

TOP_REASONS = 3


@dataclass(frozen=True)
class BatchRejects:
    """One batch's share of rejected lines, as audit.loads records it."""

    batch_id: str
    source_name: str
    lines_read: int
    rows_rejected: int
    duplicates_skipped: int = 0

    @property
    def new_lines(self) -> int:
        return self.lines_read - self.duplicates_skipped

    @property
    def rate(self) -> float:
        return self.rows_rejected / self.new_lines if self.new_lines > 0 else 0.0


def reject_rate_check_name(entity_name: str) -> str:
    return f"raw_{entity_name}_reject_rate_below_threshold"


def _batches(dsn: str, batch_ids: Sequence[str]) -> list[BatchRejects]:
    with connect(dsn) as conn:
        rows = conn.execute(
            """
            select batch_id, source_name, lines_read, rows_rejected, duplicates_skipped
            from audit.loads
            where batch_id = any(%s) and status = 'succeeded'
            order by started_at
            """,
            (list(batch_ids),),
        ).fetchall()
    return [
        BatchRejects(str(b), str(s), int(lines), int(rej), int(dup))
        for b, s, lines, rej, dup in rows
    ]


def _held(dsn: str, entity: str) -> list[HeldBatch]:
    with connect(dsn) as conn:
        return held_batches(conn, entity)


def _top_reasons(dsn: str, batch_ids: Sequence[str]) -> dict[str, int]:
    with connect(dsn) as conn:
        rows = conn.execute(
            """
            select reason, count(*) from audit.rejects
            where batch_id = any(%s)
            group by reason order by count(*) desc, reason limit %s
            """,
            (list(batch_ids), TOP_REASONS),
        ).fetchall()
    return {str(reason): int(count) for reason, count in rows}


def evaluate_reject_rates(
    batches: Sequence[BatchRejects], threshold: float
) -> tuple[bool, list[BatchRejects]]:
    """(passed, the batches over the threshold, worst first)."""
    over = sorted((b for b in batches if b.rate > threshold), key=lambda b: -b.rate)
    return not over, over


def reject_rate_spec(entity: Entity, key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name=reject_rate_check_name(entity.name),
        asset=key,
        blocking=True,
        description=(
            f"Fails when a batch loaded into raw.{entity.name} rejected more than "
            "FORGE_REJECT_RATE_THRESHOLD (default 5%) of its new lines; the models downstream "
            "are then not rebuilt. Warns on every later run while such a batch stays held out "
            "of the marts (until its rejects are replayed or it is accepted)."
        ),
    )


def reject_rate_result(
    entity: Entity, key: dg.AssetKey, dsn: str, batch_ids: Sequence[str], threshold: float
) -> dg.AssetCheckResult:
    """The check of the batches a load just committed (read back from audit.loads), and of the
    batches still held from earlier loads."""
    name = reject_rate_check_name(entity.name)
    batches = _batches(dsn, batch_ids) if batch_ids else []
    passed, over = evaluate_reject_rates(batches, threshold)
    worst = over[0] if over else max(batches, key=lambda b: b.rate, default=None)
    metadata: dict[str, Any] = {
        "threshold": threshold,
        "batches_checked": len(batches),
        "lines_read": sum(b.lines_read for b in batches),
        "rows_rejected": sum(b.rows_rejected for b in batches),
        "worst_reject_rate": round(worst.rate, 4) if worst else 0.0,
    }
    if not passed and worst is not None:
        metadata["batches_over_threshold"] = dg.MetadataValue.json(
            [
                {
                    "file": b.source_name,
                    "batch_id": b.batch_id,
                    "lines_read": b.lines_read,
                    "new_lines": b.new_lines,
                    "rows_rejected": b.rows_rejected,
                    "reject_rate": round(b.rate, 4),
                }
                for b in over
            ]
        )
        metadata["top_reject_reasons"] = dg.MetadataValue.json(
            _top_reasons(dsn, [b.batch_id for b in over])
        )
        return dg.AssetCheckResult(
            asset_key=key,
            check_name=name,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description=(
                f"{len(over)} batch(es) of {entity.name} rejected more than {threshold:.1%} of "
                f"their new lines and are held out of the marts; worst: {worst.source_name} "
                f"({worst.rows_rejected} of {worst.new_lines} new lines, {worst.rate:.1%}); "
                "see audit.rejects, then replay the rejects or run `forge-warehouse rejects "
                f"accept --batch {worst.batch_id} --reason ...`"
            ),
        )
    held = [batch for batch in _held(dsn, entity.name) if batch.batch_id not in batch_ids]
    if held:
        metadata["held_batches"] = dg.MetadataValue.json(
            [
                {
                    "batch_id": batch.batch_id,
                    "file": batch.source_name,
                    "held_at": batch.held_at.isoformat(),
                    "reject_rate": round(batch.reject_rate, 4),
                }
                for batch in held
            ]
        )
        return dg.AssetCheckResult(
            asset_key=key,
            check_name=name,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=metadata,
            description="; ".join(batch.notice() for batch in held),
        )
    description = None if batches else "no new batch to check"
    return dg.AssetCheckResult(
        asset_key=key, check_name=name, passed=True, metadata=metadata, description=description
    )
