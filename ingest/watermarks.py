"""How far an incremental extract got, per source and entity, kept in audit.watermarks.

A watermark is written inside the transaction of the batch that read up to it: the two commit
together or not at all.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def read_watermark(conn: psycopg.Connection[Any], source_name: str, entity: str) -> Any:
    """The stored watermark (any JSON value), or None before the first extract."""
    row = conn.execute(
        "select watermark from audit.watermarks where source_name = %s and entity = %s",
        (source_name, entity),
    ).fetchone()
    return row[0] if row else None


def write_watermark(
    conn: psycopg.Connection[Any], source_name: str, entity: str, value: Any, batch_id: str
) -> None:
    """Store the watermark; call it inside the batch's transaction."""
    conn.execute(
        """
        insert into audit.watermarks (source_name, entity, watermark, batch_id)
        values (%s, %s, %s, %s)
        on conflict (source_name, entity) do update
        set watermark = excluded.watermark, batch_id = excluded.batch_id, updated_at = now()
        """,
        (source_name, entity, Jsonb(value), batch_id),
    )
