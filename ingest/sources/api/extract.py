"""Pull the DataForge API into raw: page by page, one batch per page, resuming where it stopped.

The cursor of an endpoint, kept in audit.watermarks and advanced in the transaction of each
page's batch, is {"offset": N, "complete": bool}. A run after a crash or a failed page resumes
at the stored offset; a run after a complete pull starts again at offset 0, because offset
paging over a collection that changes (outcomes are updated, records may be deleted) cannot
be trusted to be append-only. Exact re-reads are skipped and counted by the loader.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from xxhash import xxh3_128

from core.exceptions import IngestError
from core.settings import Settings
from ingest.batch import BatchResult, BatchSource, InputRecord, load_batch
from ingest.contract.entities import ENTITIES, Entity
from ingest.contract.validate import RecordValidator, TimeWindow
from ingest.sources.api.client import BACKOFF_SECONDS, DataForgeClient, Page
from ingest.sources.api.page import page_items, to_input_record
from ingest.watermarks import read_watermark, write_watermark

logger = logging.getLogger(__name__)

ENDPOINTS = {"project_outcomes": "/api/outcomes", "user_feedback": "/api/feedback"}
# how many earlier pages a page's records are compared with (a server cycling through more
# than this many pages is still paged forever; the same records twice in a row are caught)
_RECENT_PAGES = 64


def ingest_api(
    conn: psycopg.Connection[Any],
    base_url: str,
    *,
    settings: Settings,
    entities: tuple[str, ...] = tuple(ENDPOINTS),
    on_batch: Callable[[BatchResult], None] | None = None,
    backoff_seconds: float = BACKOFF_SECONDS,
) -> list[BatchResult]:
    """Pull each entity's endpoint from its cursor to its last page, one committed batch per page.

    Raises SourceAuthError on HTTP 401/403, and IngestError when retries run out or a page is
    malformed; pages committed before the error stay, and the next run resumes at the failed one.
    """
    unknown = [name for name in entities if name not in ENDPOINTS]
    if unknown:
        raise IngestError(
            f"the DataForge API has no entity {', '.join(unknown)}; "
            f"expected {' or '.join(ENDPOINTS)}"
        )
    results: list[BatchResult] = []
    with DataForgeClient.from_settings(
        base_url, settings, backoff_seconds=backoff_seconds
    ) as client:
        for name in entities:
            results += pull_endpoint(
                conn,
                client,
                ENTITIES[name],
                page_size=settings.api_page_size,
                chunk_rows=settings.chunk_rows,
                on_batch=on_batch,
                window=TimeWindow.from_settings(settings),
                hold_above=settings.reject_rate_threshold,
            )
    return results


def pull_endpoint(
    conn: psycopg.Connection[Any],
    client: DataForgeClient,
    entity: Entity,
    *,
    page_size: int,
    chunk_rows: int = 20_000,
    on_batch: Callable[[BatchResult], None] | None = None,
    window: TimeWindow | None = None,
    hold_above: float | None = None,
) -> list[BatchResult]:
    """Load one endpoint's pages from its cursor until a page shorter than `page_size`."""
    path = ENDPOINTS[entity.name]
    source = BatchSource(entity, "api", client.source_name(path))
    validator = RecordValidator(entity, window)
    offset = start_offset(read_watermark(conn, source.source_name, entity.name))
    conn.commit()  # load_batch opens its own transaction; none may be left open here
    logger.info("%s: pulling from offset %d, %d per page", source.source_name, offset, page_size)
    results = []
    # the records of the last pages, by digest: a server that ignores offset (the same page
    # again, or only its envelope changed) or cycles through a few pages would otherwise be
    # paged forever; the repeated page loads as duplicates, then the pull stops
    recent: dict[bytes, int] = {}
    while True:
        with client.fetch_page(path, offset=offset, limit=page_size) as page:
            result, cursor, records = _load_page(
                conn, source, page, validator, chunk_rows, on_batch, hold_above
            )
        results.append(result)
        if cursor["complete"]:
            return results
        if records in recent:
            raise IngestError(
                f"the DataForge API returned the same records at offset {offset} as at offset "
                f"{recent[records]} ({page.url}); it does not honour offset paging"
            )
        recent[records] = offset
        if len(recent) > _RECENT_PAGES:
            del recent[next(iter(recent))]
        offset = cursor["offset"]


def start_offset(watermark: Any) -> int:
    """Where a pull starts: the stored offset after an unfinished pull, else 0."""
    if watermark is None:
        return 0
    offset = watermark.get("offset") if isinstance(watermark, dict) else None
    complete = watermark.get("complete") if isinstance(watermark, dict) else None
    if type(offset) is not int or offset < 0 or not isinstance(complete, bool):
        logger.warning("unreadable API cursor %r; pulling from offset 0", watermark)
        return 0
    return 0 if complete else offset


def next_cursor(offset: int, count: int, limit: int) -> dict[str, Any]:
    """The cursor after a page of `count` records at `offset`: a short page is the last one."""
    return {"offset": offset + count, "complete": count < limit}


class _PageReader:
    """Turns a page into input records, counting them and keeping the error that ended it."""

    def __init__(self, page: Page, validator: RecordValidator) -> None:
        self.page = page
        self.validator = validator
        self.where = f"the DataForge page at offset {page.offset} ({page.url})"
        self.count = 0
        self.error: IngestError | None = None
        self._digest = xxh3_128()

    @property
    def digest(self) -> bytes:
        """A digest of the page's records as read, in order (its envelope left out)."""
        return self._digest.digest()

    def records(self) -> Iterator[InputRecord]:
        try:
            for item in page_items(self.page.body, self.where):
                if self.count == self.page.limit:
                    raise IngestError(
                        f"{self.where} holds more than limit={self.page.limit} records; "
                        "the server is not paging as the API describes"
                    )
                self.count += 1
                record = to_input_record(item, self.page.offset + self.count, self.validator)
                self._digest.update(record.raw or b"")
                self._digest.update(b"\n")
                yield record
        except IngestError as error:
            self.error = error
            raise


def _load_page(
    conn: psycopg.Connection[Any],
    source: BatchSource,
    page: Page,
    validator: RecordValidator,
    chunk_rows: int,
    on_batch: Callable[[BatchResult], None] | None,
    hold_above: float | None,
) -> tuple[BatchResult, dict[str, Any], bytes]:
    """One page, one batch; the cursor moves past the page in the batch's own transaction.
    Returns the batch, the cursor after the page and the digest of its records."""
    reader = _PageReader(page, validator)

    def advance_cursor(conn: psycopg.Connection[Any], result: BatchResult) -> None:
        cursor = next_cursor(page.offset, reader.count, page.limit)
        write_watermark(conn, source.source_name, source.entity.name, cursor, result.batch_id)

    result = load_batch(
        conn,
        source,
        reader.records(),
        validator=validator,
        chunk_rows=chunk_rows,
        before_commit=advance_cursor,
        hold_above=hold_above,
    )
    if on_batch is not None:
        on_batch(result)
    if reader.error is not None:
        raise reader.error
    if result.status != "succeeded":
        raise IngestError(f"{reader.where} was not loaded: {result.error}")
    cursor = next_cursor(page.offset, reader.count, page.limit)
    logger.info(
        "%s: page at offset %d committed (%d records: %d loaded, %d rejected, %d duplicates); "
        "cursor now %s",
        source.source_name,
        page.offset,
        reader.count,
        result.rows_loaded,
        result.rows_rejected,
        result.duplicates_skipped,
        cursor,
    )
    return result, cursor, reader.digest
