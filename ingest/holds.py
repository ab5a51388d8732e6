"""Held batches: what the reject-rate gate keeps out of the marts, and releasing them.

A batch whose share of rejected new lines passed FORGE_REJECT_RATE_THRESHOLD is held from the
transaction that loaded it (audit.loads.held_at). It stays held, on every later run, until a
person acts: replays its rejects (released when what is still rejected is within the threshold)
or accepts it with a reason. Both are recorded in audit.batch_releases (audit.released_batches).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg

from core.exceptions import IngestError
from ingest.queries import read_query


@dataclass(frozen=True)
class HeldBatch:
    """A batch held out of the marts, and why."""

    batch_id: str
    entity: str
    source_name: str
    held_at: dt.datetime
    reject_rate: float
    rows_rejected: int
    new_lines: int

    def notice(self) -> str:
        """What every run says while the batch stays held."""
        return (
            f"skipping held batch {self.batch_id} of {self.source_name}, "
            f"{self.reject_rate:.1%} rejected ({self.rows_rejected} of {self.new_lines} new "
            "lines); replay its rejects or run `forge-warehouse rejects accept --batch "
            f"{self.batch_id} --reason ...`"
        )


def held_batches(conn: psycopg.Connection[Any], entity: str | None = None) -> list[HeldBatch]:
    """The batches held now, oldest first."""
    rows = conn.execute(read_query("held_batches"), {"entity": entity}).fetchall()
    return [HeldBatch(*row) for row in rows]


def accept_batch(conn: psycopg.Connection[Any], batch_id: str, reason: str) -> HeldBatch:
    """Release a held batch by a person's decision, recorded with the time and the reason."""
    if not reason.strip():
        raise IngestError("say why the batch is accepted: --reason TEXT is recorded with it")
    with conn.transaction():
        held = {batch.batch_id: batch for batch in held_batches(conn)}
        if batch_id not in held:
            known = conn.execute(
                "select held_at is not null from audit.loads where batch_id = %s", (batch_id,)
            ).fetchone()
            if known is None:
                raise IngestError(f"no batch {batch_id} in audit.loads; see audit.held_batches")
            raise IngestError(
                f"batch {batch_id} is not held"
                + (" (it was released before; see audit.released_batches)" if known[0] else "")
            )
        _release(conn, batch_id, "accept", reason.strip())
    return held[batch_id]


def release_replayed(
    conn: psycopg.Connection[Any], batch_ids: Iterable[str], threshold: float
) -> tuple[list[HeldBatch], list[HeldBatch]]:
    """After a replay: release each held batch whose rejects were all replayed and whose rejects
    still standing are within the threshold; (released, still held)."""
    wanted = sorted(set(batch_ids))
    held = {batch.batch_id: batch for batch in held_batches(conn) if batch.batch_id in wanted}
    if not held:
        return [], []
    released, kept = [], []
    with conn.transaction():
        rows = conn.execute(read_query("unresolved_rejects"), {"batch_ids": list(held)})
        for batch_id, unresolved, never_replayed in rows.fetchall():
            batch = held[batch_id]
            rate = unresolved / batch.new_lines if batch.new_lines else 0.0
            if never_replayed or rate > threshold:
                kept.append(batch)
                continue
            reason = (
                f"its rejects were replayed: {batch.rows_rejected - unresolved} now loaded, "
                f"{unresolved} still rejected ({rate:.1%} of its new lines)"
            )
            _release(conn, batch_id, "replay", reason)
            released.append(batch)
    return released, kept


def _release(conn: psycopg.Connection[Any], batch_id: str, by: str, reason: str) -> None:
    conn.execute(
        "insert into audit.batch_releases (batch_id, released_by, release_reason) "
        "values (%s, %s, %s)",
        (batch_id, by, reason),
    )
