"""Rejected records after the fact: what was rejected and why, and replaying them after a fix.

A replay validates each not-yet-replayed reject again with the current contract, from exactly
the bytes received (`raw_bytes` when the text could not hold them, never an escaped copy); the
records that now pass load as one batch per entity (source 'replay'), and every reject row
records what became of it (loaded, duplicate, or rejected again with the new reason), in the same
transaction. A held batch whose rejects were all replayed is released when what still stands
rejected is within the threshold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from ingest.batch import BatchResult, BatchSource, InputRecord, load_batch
from ingest.contract.entities import ENTITIES
from ingest.contract.validate import Accepted, Outcome, RecordValidator, Rejected, TimeWindow
from ingest.holds import HeldBatch, release_replayed
from ingest.sources.files.read import revalidate_csv

REPLAY_PAGE = 10_000


@dataclass(frozen=True)
class RejectGroup:
    """Recent rejects of one entity sharing a reason."""

    entity: str
    reason: str
    count: int
    last_seen: dt.datetime
    example: str


@dataclass(frozen=True)
class ReplayOutcome:
    """What a replay did to one entity's rejects."""

    entity: str
    replayed: int
    loaded: int
    duplicates: int
    rejected_again: int
    batch: BatchResult | None
    released: list[HeldBatch] = field(default_factory=list)
    still_held: list[HeldBatch] = field(default_factory=list)


def recent_rejects(
    conn: psycopg.Connection[Any], *, since: dt.datetime, entity: str | None, limit: int
) -> list[RejectGroup]:
    """Rejects since a moment, grouped by entity and reason, most frequent first."""
    rows = conn.execute(
        """
        select entity, reason, count(*), max(rejected_at),
            min(source_name || ':' || coalesce(line_number::text, '?'))
        from audit.rejects
        where rejected_at >= %s and (%s::text is null or entity = %s)
        group by 1, 2 order by 3 desc, 1, 2 limit %s
        """,
        (since, entity, entity, limit),
    ).fetchall()
    return [RejectGroup(*row) for row in rows]


def replay_rejects(
    conn: psycopg.Connection[Any],
    *,
    entity: str | None = None,
    batch_id: str | None = None,
    again: bool = False,
    chunk_rows: int = 20_000,
    threshold: float = 0.05,
    window: TimeWindow | None = None,
) -> list[ReplayOutcome]:
    """Validate rejects again and load those that pass; record each one's fate.

    Rejects replayed before are skipped, except, with `again`, those rejected again.
    A replay batch that fails stops the replay (nothing of it is kept or marked). Held batches
    whose rejects were replayed are released when their rate of rejects still standing is at
    most `threshold`; the last outcome of each entity says which were released.
    """
    outcomes = []
    for name, entity_def in ENTITIES.items():
        if entity is not None and name != entity:
            continue
        validator = RecordValidator(entity_def, window)
        after = 0
        batches: set[str] = set()
        while page := _replayable(conn, name, batch_id, again, after):
            outcome = _replay_page(conn, validator, page, chunk_rows)
            outcomes.append(outcome)
            if outcome.batch is not None and outcome.batch.status != "succeeded":
                return outcomes
            after = page[-1][0]
            batches.update(row[3] for row in page)
        if batches:
            released, kept = release_replayed(conn, batches, threshold)
            outcomes[-1].released.extend(released)
            outcomes[-1].still_held.extend(kept)
    return outcomes


_Replayable = tuple[int, bytes | None, list[str] | None, str]


def _replayable(
    conn: psycopg.Connection[Any], entity: str, batch_id: str | None, again: bool, after: int
) -> list[_Replayable]:
    rows = conn.execute(
        """
        select rejects.reject_id,
            coalesce(rejects.raw_bytes, convert_to(rejects.raw_record, 'UTF8')),
            loads.csv_header, rejects.batch_id
        from audit.rejects as rejects
        left join audit.loads as loads on loads.batch_id = rejects.batch_id
        where rejects.entity = %s and rejects.reject_id > %s
            and (rejects.replayed_at is null
                or (%s and rejects.replay_outcome like 'rejected again%%'))
            and (%s::text is null or rejects.batch_id = %s)
        order by rejects.reject_id
        limit %s
        """,
        (entity, after, again, batch_id, batch_id, REPLAY_PAGE),
    ).fetchall()
    conn.commit()
    return [(reject_id, raw, header, batch) for reject_id, raw, header, batch in rows]


def _replay_page(
    conn: psycopg.Connection[Any],
    validator: RecordValidator,
    page: list[_Replayable],
    chunk_rows: int,
) -> ReplayOutcome:
    raws = {reject_id: raw for reject_id, raw, _, _ in page}
    checked = [
        (reject_id, _revalidate(validator, raw, header)) for reject_id, raw, header, _ in page
    ]
    accepted = [
        (reject_id, outcome) for reject_id, outcome in checked if isinstance(outcome, Accepted)
    ]
    entity = validator.entity
    tally = {"loaded": 0, "duplicate": 0}

    def record_fates(conn: psycopg.Connection[Any], result: BatchResult) -> None:
        loaded = _hashes_loaded_by(conn, entity.name, result.batch_id)
        fates = []
        for reject_id, outcome in checked:
            if isinstance(outcome, Rejected):
                fates.append((reject_id, f"rejected again: {outcome.reason}"))
            else:
                fate = "loaded" if outcome.record_hash in loaded else "duplicate"
                tally[fate] += 1
                fates.append((reject_id, fate))
        _write_fates(conn, result.batch_id, fates)

    records = (
        InputRecord(reject_id, outcome, raws[reject_id]) for reject_id, outcome in accepted
    )  # the reject id stands in for the line number: it says which reject a row came from
    batch = load_batch(
        conn,
        BatchSource(entity, "replay", "replay of audit.rejects"),
        records,
        validator=validator,
        chunk_rows=chunk_rows,
        before_commit=record_fates,
    )
    if batch.status != "succeeded":
        return ReplayOutcome(entity.name, 0, 0, 0, 0, batch)
    return ReplayOutcome(
        entity.name,
        len(page),
        tally["loaded"],
        tally["duplicate"],
        len(page) - len(accepted),
        batch,
    )


def _revalidate(validator: RecordValidator, raw: bytes | None, header: list[str] | None) -> Outcome:
    """The record validated again from the bytes received (a CSV one with its file's header)."""
    if raw is None:
        return Rejected("the rejected record was not kept, so it cannot be replayed")
    if header is None:
        return validator.validate_json(bytes(raw))
    return revalidate_csv(validator, tuple(header), bytes(raw))


def _hashes_loaded_by(conn: psycopg.Connection[Any], entity: str, batch_id: str) -> set[bytes]:
    query = sql.SQL("select _record_hash from {} where _load_id = %s").format(
        sql.Identifier("raw", entity)
    )
    return {bytes(row[0]) for row in conn.execute(query, (batch_id,))}


def _write_fates(
    conn: psycopg.Connection[Any], batch_id: str, fates: list[tuple[int, str]]
) -> None:
    with conn.cursor() as cursor:
        cursor.executemany(
            "update audit.rejects set replayed_at = now(), replay_batch_id = %s, "
            "replay_outcome = %s where reject_id = %s",
            [(batch_id, fate, reject_id) for reject_id, fate in fates],
        )
