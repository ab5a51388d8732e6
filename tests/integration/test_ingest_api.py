"""DataForge API ingest against a real local HTTP server and the real embedded Postgres.

The server (http.server on 127.0.0.1, a port of its own per test) serves paged outcomes and
feedback and can be told to fail, throttle, stall, refuse or send garbage at a given offset.
"""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import psycopg
import pytest

from core.db import connect
from core.exceptions import IngestError, SchemaDriftError, SourceAuthError
from core.settings import Settings
from ingest.batch import BatchResult
from ingest.sources.api import client
from ingest.sources.api.extract import ingest_api
from tests.factories import record

pytestmark = pytest.mark.integration

OUTCOMES, FEEDBACK = "/api/outcomes", "/api/feedback"
TOKEN = "test-token"


@dataclass
class Fault:
    """An answer given instead of the page, `times` times (None: until cleared)."""

    path: str
    offset: int | None  # None: at any offset
    status: int = 200
    body: bytes | None = None  # None: the page itself
    headers: dict[str, str] = field(default_factory=dict)
    stall_seconds: float = 0.0  # sleep before answering (longer than the client's timeout)
    trickle_seconds: float = 0.0  # sleep between the body's bytes, sent one at a time
    times: int | None = 1


@dataclass
class FakeDataForge:
    """What the server serves, the faults it injects, and the requests it saw."""

    base_url: str = ""
    records: dict[str, list[Any]] = field(default_factory=lambda: {OUTCOMES: [], FEEDBACK: []})
    wrap: dict[str, str | None] = field(default_factory=lambda: {OUTCOMES: "items", FEEDBACK: None})
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, int, int, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, offset: int, limit: int) -> Fault:
        with self.lock:
            for fault in self.faults:
                if fault.path == path and fault.offset in (None, offset) and fault.times != 0:
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        page = self.records[path][offset : offset + limit]
        key = self.wrap[path]
        body = orjson.dumps(page if key is None else {"total": 99, key: page})
        return Fault(path, offset, body=body)

    def offsets(self, path: str) -> list[int]:
        return [offset for seen, offset, _, _ in self.requests if seen == path]


def _handler(state: FakeDataForge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            offset, limit = int(query["offset"][0]), int(query["limit"][0])
            state.requests.append((url.path, offset, limit, self.headers.get("Authorization")))
            if url.path not in state.records:
                self.send_error(404)
                return
            fault = state.answer(url.path, offset, limit)
            if fault.stall_seconds:
                threading.Event().wait(fault.stall_seconds)
            body = fault.body if fault.body is not None else b'{"error": "injected"}'
            try:
                self.send_response(fault.status)
                for name, value in {"Content-Type": "application/json", **fault.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                view = memoryview(body)
                step = 1 if fault.trickle_seconds else 1 << 16
                for start in range(0, len(body), step):
                    self.wfile.write(view[start : start + step])
                    if fault.trickle_seconds:
                        self.wfile.flush()
                        threading.Event().wait(fault.trickle_seconds)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the stall fault)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[FakeDataForge]:
    state = FakeDataForge()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def warehouse(clean_warehouse: str) -> str:
    """clean_warehouse with the API cursors removed too."""
    with psycopg.connect(clean_warehouse, autocommit=True) as conn:
        conn.execute("delete from audit.watermarks where source_name like 'api:%'")
    return clean_warehouse


def _settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {
        "api_page_size": 3,
        "api_timeout_seconds": 0.3,
        "api_max_attempts": 3,
        "chunk_rows": 2,  # several chunks per page: a page is still one batch
        "dataforge_token": TOKEN,
    }
    return Settings(**{**values, **changes})


def _ingest(dsn: str, server: FakeDataForge, **changes: Any) -> list[BatchResult]:
    with connect(dsn) as conn:
        return ingest_api(
            conn, server.base_url, settings=_settings(**changes), backoff_seconds=0.01
        )


def _query(dsn: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(statement, params).fetchall()


def _count(dsn: str, table: str) -> int:
    [(count,)] = _query(dsn, f"select count(*) from {table}")
    return int(count)


def _outcome(number: int, **changes: Any) -> dict[str, Any]:
    return record("project_outcomes", id=str(uuid.UUID(int=number)), **changes)


def _feedback(number: int, **changes: Any) -> dict[str, Any]:
    return record("user_feedback", id=str(uuid.UUID(int=1000 + number)), **changes)


def _cursor(dsn: str, server: FakeDataForge, path: str) -> Any:
    rows = _query(
        dsn,
        "select watermark from audit.watermarks where source_name = %s",
        f"api:{server.base_url}{path}",
    )
    return rows[0][0] if rows else None


def test_every_record_loads_once_and_a_rerun_only_counts_duplicates(
    warehouse: str, server: FakeDataForge
) -> None:
    server.records[OUTCOMES] = [_outcome(n) for n in range(1, 8)]  # pages of 3, 3, 1
    server.records[FEEDBACK] = [_feedback(n) for n in range(1, 7)]  # 3, 3, then an empty page
    first = _ingest(warehouse, server)
    assert [(r.entity, r.lines_read, r.rows_loaded) for r in first] == [
        ("project_outcomes", 3, 3),
        ("project_outcomes", 3, 3),
        ("project_outcomes", 1, 1),
        ("user_feedback", 3, 3),
        ("user_feedback", 3, 3),
        ("user_feedback", 0, 0),
    ]
    assert all(r.status == "succeeded" and r.balanced for r in first)
    assert server.offsets(OUTCOMES) == [0, 3, 6] and server.offsets(FEEDBACK) == [0, 3, 6]
    assert {auth for *_, auth in server.requests} == {f"Bearer {TOKEN}"}
    assert _count(warehouse, "raw.project_outcomes") == 7
    assert _count(warehouse, "raw.user_feedback") == 6
    # a line number is the record's place in the whole pull
    lines = _query(warehouse, "select _line_number from raw.project_outcomes order by 1")
    assert [line for (line,) in lines] == list(range(1, 8))
    sources = _query(warehouse, "select distinct source, source_name from audit.loads order by 2")
    assert sources == [
        ("api", f"api:{server.base_url}{FEEDBACK}"),
        ("api", f"api:{server.base_url}{OUTCOMES}"),
    ]
    assert _cursor(warehouse, server, OUTCOMES) == {"offset": 7, "complete": True}
    assert _cursor(warehouse, server, FEEDBACK) == {"offset": 6, "complete": True}

    server.requests.clear()
    again = _ingest(warehouse, server)
    assert server.offsets(OUTCOMES) == [0, 3, 6]  # a finished pull starts over
    assert sum(r.rows_loaded for r in again) == 0
    assert sum(r.duplicates_skipped for r in again) == 13
    assert _count(warehouse, "raw.project_outcomes") == 7
    assert _count(warehouse, "raw.user_feedback") == 6


def test_errors_throttling_and_stalls_are_retried_until_each_page_arrives(
    warehouse: str, server: FakeDataForge
) -> None:
    server.records[OUTCOMES] = [_outcome(n) for n in range(1, 8)]
    server.records[FEEDBACK] = [_feedback(n) for n in range(1, 3)]
    server.faults = [
        Fault(OUTCOMES, 0, status=500),
        Fault(OUTCOMES, 3, status=429, headers={"Retry-After": "0"}),
        Fault(OUTCOMES, 3, status=502),
        Fault(FEEDBACK, 0, stall_seconds=0.6),  # the client times out after 0.3 s
    ]
    results = _ingest(warehouse, server)
    assert all(r.status == "succeeded" for r in results)
    assert server.offsets(OUTCOMES) == [0, 0, 3, 3, 3, 6]
    assert server.offsets(FEEDBACK) == [0, 0]
    assert _count(warehouse, "raw.project_outcomes") == 7
    assert _count(warehouse, "raw.user_feedback") == 2


def test_retries_run_out_with_an_error_naming_status_and_attempts(
    warehouse: str, server: FakeDataForge
) -> None:
    server.records[OUTCOMES] = [_outcome(n) for n in range(1, 8)]
    server.faults = [Fault(OUTCOMES, 3, status=503, times=None)]
    with pytest.raises(IngestError) as raised:
        _ingest(warehouse, server)
    message = str(raised.value)
    assert "after 3 attempts" in message and "HTTP 503" in message
    assert f"{server.base_url}{OUTCOMES}?limit=3&offset=3" in message
    assert server.offsets(OUTCOMES) == [0, 3, 3, 3]
    # the page before stays; a request that never answered opened no batch
    assert _count(warehouse, "raw.project_outcomes") == 3
    assert _query(warehouse, "select status from audit.loads") == [("succeeded",)]
    assert _cursor(warehouse, server, OUTCOMES) == {"offset": 3, "complete": False}


def test_an_unpaired_surrogate_escape_is_a_reject_not_a_question_mark(
    warehouse: str, server: FakeDataForge
) -> None:
    """ijson's C parser reads "\\ud800" as "?": the page takes the exact parser instead."""
    lone, pair = _outcome(1, project_name="LONE"), _outcome(2, project_name="PAIR")
    body = orjson.dumps([lone, pair])
    body = body.replace(b'"LONE"', b'"a\\ud800b"').replace(b'"PAIR"', b'"\\ud83d\\ude00"')
    server.faults = [Fault(OUTCOMES, 0, body=body)]
    [batch] = [b for b in _ingest(warehouse, server) if b.entity == "project_outcomes"]
    assert (batch.rows_loaded, batch.rows_rejected) == (1, 1)
    assert _query(warehouse, "select project_name from raw.project_outcomes") == [("\U0001f600",)]
    [(reason,)] = _query(warehouse, "select reason from audit.rejects")
    assert "surrogate" in reason, reason


def test_a_page_that_decodes_past_the_size_limit_stops_the_pull_unread(
    warehouse: str, server: FakeDataForge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gzip body of a few kB can decode to gigabytes: the spool stops at the limit."""
    monkeypatch.setattr(client, "MAX_PAGE_BYTES", 100_000)
    body = gzip.compress(b"[" + b" " * 1_000_000 + b"]")
    assert len(body) < 5_000
    server.faults = [Fault(OUTCOMES, 0, body=body, headers={"Content-Encoding": "gzip"})]
    with pytest.raises(IngestError, match=r"is larger than 100,000 bytes decoded"):
        _ingest(warehouse, server)
    assert _query(warehouse, "select count(*) from audit.loads") == [(0,)]


def test_a_page_trickling_in_byte_by_byte_is_cut_off_at_its_deadline(
    warehouse: str, server: FakeDataForge
) -> None:
    """Each read arrives within the timeout, the whole page never would: 30 timeouts allowed."""
    body = orjson.dumps([_outcome(n) for n in range(1, 4)])
    server.faults = [Fault(OUTCOMES, 0, body=body, trickle_seconds=0.05, times=None)]
    started = time.monotonic()
    with pytest.raises(IngestError, match=r"the page had not arrived after 3s"):
        _ingest(warehouse, server, api_timeout_seconds=0.1, api_max_attempts=1)
    assert time.monotonic() - started < 10
    assert _count(warehouse, "raw.project_outcomes") == 0


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_stop_the_pull_with_the_variable_to_set(
    warehouse: str, server: FakeDataForge, status: int
) -> None:
    server.records[OUTCOMES] = [_outcome(1)]
    server.faults = [Fault(OUTCOMES, None, status=status, times=None)]
    with pytest.raises(SourceAuthError) as raised:
        _ingest(warehouse, server)
    assert f"refused our credentials (HTTP {status})" in str(raised.value)
    assert "FORGE_DATAFORGE_TOKEN" in str(raised.value) and TOKEN not in str(raised.value)
    assert len(server.requests) == 1
    assert _count(warehouse, "audit.loads") == 0


def _truncated_page() -> bytes:
    page = orjson.dumps({"items": [_outcome(n) for n in range(4, 7)]})
    return page[: len(page) * 2 // 3]  # two records arrive whole, then the body breaks off


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", IngestError, "is not valid JSON"),
        (b'{"rows": []}', SchemaDriftError, "a JSON object without a records array"),
        (b'{"items": "none"}', SchemaDriftError, "a JSON object without a records array"),
        (_truncated_page(), IngestError, "is not valid JSON (parse error: premature EOF)"),
    ],
)
def test_a_malformed_page_fails_alone_and_the_next_run_resumes_at_it(
    warehouse: str, server: FakeDataForge, body: bytes, error: type[Exception], reason: str
) -> None:
    server.records[OUTCOMES] = [_outcome(n) for n in range(1, 8)]
    server.records[FEEDBACK] = [_feedback(1)]
    server.faults = [Fault(OUTCOMES, 3, body=body, times=None)]
    with pytest.raises(error) as raised:
        _ingest(warehouse, server)
    message = str(raised.value)
    assert f"at offset 3 ({server.base_url}{OUTCOMES}?limit=3&offset=3)" in message
    assert reason in message
    # the page before is kept, nothing of the bad page, and the cursor waits at it
    assert _count(warehouse, "raw.project_outcomes") == 3
    loads = _query(warehouse, "select status, rows_loaded, error from audit.loads order by 1 desc")
    assert loads == [("succeeded", 3, None), ("failed", 0, message)]
    assert _cursor(warehouse, server, OUTCOMES) == {"offset": 3, "complete": False}
    assert _count(warehouse, "raw.user_feedback") == 0

    server.faults.clear()
    server.requests.clear()
    results = _ingest(warehouse, server)
    assert server.offsets(OUTCOMES) == [3, 6]
    assert [(r.rows_loaded, r.duplicates_skipped) for r in results[:2]] == [(3, 0), (1, 0)]
    assert _count(warehouse, "raw.project_outcomes") == 7
    assert _count(warehouse, "raw.user_feedback") == 1


def test_a_pull_cut_off_after_committed_pages_resumes_at_its_cursor(
    warehouse: str, server: FakeDataForge
) -> None:
    server.records[OUTCOMES] = [_outcome(n) for n in range(1, 8)]
    server.faults = [Fault(OUTCOMES, 6, status=500, times=None)]
    with pytest.raises(IngestError):
        _ingest(warehouse, server, api_max_attempts=1)
    assert _cursor(warehouse, server, OUTCOMES) == {"offset": 6, "complete": False}
    server.faults.clear()
    server.requests.clear()
    [outcomes, *_] = _ingest(warehouse, server)
    assert server.offsets(OUTCOMES) == [6]
    assert (outcomes.lines_read, outcomes.rows_loaded) == (1, 1)
    assert _count(warehouse, "raw.project_outcomes") == 7


@pytest.mark.parametrize(
    ("offsets", "records", "reason"),
    [
        # offset ignored: the same full page comes back forever
        ([None], [1, 2, 3], "does not honour offset paging"),
        # limit ignored: more records than asked for
        ([0], [1, 2, 3, 4], "holds more than limit=3 records"),
    ],
)
def test_a_server_that_does_not_page_as_described_is_stopped(
    warehouse: str,
    server: FakeDataForge,
    offsets: list[int | None],
    records: list[int],
    reason: str,
) -> None:
    body = orjson.dumps([_outcome(n) for n in records])
    server.faults = [Fault(OUTCOMES, offset, body=body, times=None) for offset in offsets]
    with pytest.raises(IngestError, match=reason):
        _ingest(warehouse, server)
    assert len(server.requests) <= 2


@pytest.mark.parametrize(
    ("pages", "stopped_at"),
    [
        # offset ignored, and an envelope field that changes with every answer
        ([[1, 2, 3], [1, 2, 3]], "same records at offset 3 as at offset 0"),
        # two pages served in turn forever
        ([[1, 2, 3], [4, 5, 6], [1, 2, 3]], "same records at offset 6 as at offset 0"),
    ],
)
def test_a_server_that_repeats_records_behind_a_new_envelope_is_stopped(
    warehouse: str, server: FakeDataForge, pages: list[list[int]], stopped_at: str
) -> None:
    server.faults = [
        Fault(
            OUTCOMES,
            3 * number,
            body=orjson.dumps({"generated": number, "items": [_outcome(n) for n in page]}),
        )
        for number, page in enumerate(pages)
    ]
    with pytest.raises(IngestError, match=stopped_at):
        _ingest(warehouse, server)
    assert len(server.requests) == len(pages)
    assert _count(warehouse, "raw.project_outcomes") == len({n for page in pages for n in page})


def test_a_record_that_is_not_an_object_is_a_reject_at_its_place_in_the_pull(
    warehouse: str, server: FakeDataForge
) -> None:
    server.records[OUTCOMES] = [_outcome(1), _outcome(2), _outcome(3), 42, "text", _outcome(4)]
    results = _ingest(warehouse, server)
    assert [(r.lines_read, r.rows_loaded, r.rows_rejected) for r in results[:3]] == [
        (3, 3, 0),
        (3, 1, 2),
        (0, 0, 0),
    ]
    rejects = _query(
        warehouse,
        "select source_name, line_number, reason, raw_record from audit.rejects order by 2",
    )
    assert [(line, raw) for _, line, _, raw in rejects] == [(4, "42"), (5, '"text"')]
    assert "record is a JSON number, expected a JSON object" in rejects[0][2]
    assert rejects[0][0] == f"api:{server.base_url}{OUTCOMES}"


def test_a_new_field_is_kept_and_reported_and_a_changed_type_is_a_reject(
    warehouse: str, server: FakeDataForge
) -> None:
    server.records[OUTCOMES] = [
        _outcome(1),
        _outcome(2, repo_url="https://git.example/p2"),  # a field DataForge added
        _outcome(3, test_pass_rate=...),  # a field that disappeared: fine
        _outcome(4, files_created="twelve"),  # a type that changed: a reject
    ]
    results = _ingest(warehouse, server)
    assert [(r.rows_loaded, r.rows_rejected, r.new_fields) for r in results[:2]] == [
        (3, 0, {"repo_url"}),
        (0, 1, set()),
    ]
    [(extra,)] = _query(
        warehouse, "select _extra from raw.project_outcomes where _extra is not null"
    )
    assert extra == {"repo_url": "https://git.example/p2"}
    new_fields = _query(
        warehouse, "select new_fields from audit.loads where entity = 'project_outcomes' order by 1"
    )
    assert new_fields == [(["repo_url"],), (None,)]
    [(line, reason)] = _query(warehouse, "select line_number, reason from audit.rejects")
    assert line == 4
    assert 'field "files_created" must be an integer, got "twelve"' in reason


def test_a_huge_page_is_parsed_as_a_stream_in_flat_memory(
    warehouse: str, server: FakeDataForge
) -> None:
    count, comment = 9_999, "x" * 6_000
    page = [_feedback(n, additional_comments=f"{n} {comment}") for n in range(count)]
    body = orjson.dumps(page)
    del page
    server.faults = [Fault(FEEDBACK, 0, body=body, times=None)]
    tracemalloc.start()
    try:
        with connect(warehouse) as conn:
            [batch] = ingest_api(
                conn,
                server.base_url,
                settings=_settings(api_page_size=10_000, chunk_rows=200),
                entities=("user_feedback",),
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (batch.lines_read, batch.rows_loaded) == (count, count)
    assert len(body) > 55_000_000
    # the 60 MB page never sits in memory: at most the spool's memory part and a few chunks
    assert peak < 12_000_000, f"peak {peak / 1e6:.1f} MB for a {len(body) / 1e6:.0f} MB page"
