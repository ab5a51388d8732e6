"""The DataForge client without a network: status decisions, Retry-After, retries, URLs, auth.

Requests go to httpx.MockTransport; sleeps are recorded instead of slept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from core.exceptions import IngestError, SourceAuthError
from ingest.sources.api.client import (
    MAX_WAIT_SECONDS,
    DataForgeClient,
    classify_status,
    parse_base_url,
    retry_after_seconds,
)

FIXTURES = Path(__file__).parents[4] / "fixtures" / "dataforge"
BASE = "http://dataforge.test:8080"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


Handler = Callable[[httpx.Request], httpx.Response]


def _replay(*responses: httpx.Response | Exception) -> tuple[list[httpx.Request], Handler]:
    """A handler answering with `responses` in turn (the last one repeats)."""
    requests: list[httpx.Request] = []
    queue: Iterator[httpx.Response | Exception] = iter(responses)
    last: list[httpx.Response | Exception] = [responses[-1]]

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = next(queue, last[0])
        if isinstance(answer, Exception):
            raise answer
        return answer

    return requests, handler


def _client(
    handler: Handler,
    sleeps: list[float],
    *,
    token: str | None = None,
    base: str = BASE,
) -> DataForgeClient:
    return DataForgeClient(
        base,
        token=token,
        timeout_seconds=0.5,
        max_attempts=3,
        backoff_seconds=0.25,
        sleep=sleeps.append,
        transport=httpx.MockTransport(handler),
    )


def _fetch(client: DataForgeClient, offset: int = 0) -> bytes:
    with client.fetch_page("/api/outcomes", offset=offset, limit=20) as page:
        return page.body.read()


@pytest.mark.parametrize(
    ("status", "decision"),
    [
        (200, "ok"),
        (203, "ok"),
        (429, "retry"),  # throttled: wait (Retry-After when sent) and try again
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
        (504, "retry"),
        (401, "auth"),
        (403, "auth"),
        (400, "fail"),  # our request is wrong: asking again will not help
        (404, "fail"),  # wrong --base-url
        (410, "fail"),
    ],
)
def test_each_status_maps_to_one_decision(status: int, decision: str) -> None:
    assert classify_status(status) == decision


NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 12 ", 12.0),
        ("Sat, 01 Mar 2025 12:00:30 GMT", 30.0),
        ("Sat, 01 Mar 2025 11:00:00 GMT", 0.0),  # a date in the past: no wait
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(header: str | None, seconds: float) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


@pytest.mark.parametrize(
    ("base_url", "source_name"),
    [
        (BASE, "api:http://dataforge.test:8080/api/outcomes"),
        (BASE + "/", "api:http://dataforge.test:8080/api/outcomes"),
        ("https://host/forge/v1/", "api:https://host/forge/v1/api/outcomes"),
        # credentials in the URL are used but never shown
        ("http://reader:s3cret@host:81", "api:http://host:81/api/outcomes"),
    ],
)
def test_source_name_is_the_endpoint_url_without_credentials(
    base_url: str, source_name: str
) -> None:
    with DataForgeClient(base_url) as client:
        assert client.source_name("/api/outcomes") == source_name


@pytest.mark.parametrize(
    "base_url", ["ftp://host/", "dataforge.test", "http://host/?token=x", "http://", "http://[::1"]
)
def test_a_base_url_that_is_not_an_api_root_is_refused(base_url: str) -> None:
    with pytest.raises(IngestError, match="DataForge base URL"):
        parse_base_url(base_url)


def test_a_page_is_requested_with_limit_offset_and_the_bearer_token() -> None:
    requests, handler = _replay(httpx.Response(200, content=_fixture("outcomes.200.json")))
    with (
        _client(handler, [], token="t0ken") as client,
        client.fetch_page("/api/outcomes", offset=40, limit=20) as page,
    ):
        body = page.body.read()
        assert page.url == f"{BASE}/api/outcomes?limit=20&offset=40"
        assert (page.offset, page.limit, page.size) == (40, 20, len(body))
    assert body == _fixture("outcomes.200.json")
    [request] = requests
    assert request.url.params["limit"] == "20" and request.url.params["offset"] == "40"
    assert request.headers["Authorization"] == "Bearer t0ken"


def test_no_authorization_header_without_a_token() -> None:
    requests, handler = _replay(httpx.Response(200, content=b"[]"))
    with _client(handler, []) as client:
        _fetch(client)
    assert "Authorization" not in requests[0].headers


def test_a_large_page_is_spooled_and_read_back_whole() -> None:
    body = b"[" + b",".join(b'{"n": %d}' % n for n in range(400_000)) + b"]"
    _, handler = _replay(httpx.Response(200, content=body))
    with _client(handler, []) as client:
        assert _fetch(client) == body


@pytest.mark.parametrize(
    ("failures", "sleeps_between"),
    [
        ([httpx.Response(500)], 1),
        ([httpx.Response(503), httpx.Response(502)], 2),
        ([httpx.ReadTimeout("slow")], 1),
        ([httpx.ConnectError("refused")], 1),
        # the body was cut short: the page is fetched again from its first byte
        ([httpx.RemoteProtocolError("peer closed connection")], 1),
    ],
)
def test_transient_failures_are_retried_with_backoff(
    failures: list[httpx.Response | Exception], sleeps_between: int
) -> None:
    sleeps: list[float] = []
    requests, handler = _replay(*failures, httpx.Response(200, content=b"[1]"))
    with _client(handler, sleeps) as client:
        assert _fetch(client) == b"[1]"
    assert len(requests) == len(failures) + 1
    assert len(sleeps) == sleeps_between
    # full jitter: attempt n waits at most backoff * 2**(n-1)
    assert all(0 <= wait <= 0.25 * 2**n for n, wait in enumerate(sleeps))


@pytest.mark.parametrize(("header", "wait"), [("0", 0.0), ("7", 7.0), ("99999", MAX_WAIT_SECONDS)])
def test_a_throttled_request_waits_as_long_as_retry_after_asks(header: str, wait: float) -> None:
    sleeps: list[float] = []
    throttled = httpx.Response(
        429, headers={"Retry-After": header}, content=_fixture("outcomes.429.json")
    )
    _, handler = _replay(throttled, httpx.Response(200, content=b"[]"))
    with _client(handler, sleeps) as client:
        assert _fetch(client) == b"[]"
    assert sleeps == [wait]


def test_retries_are_bounded_and_the_error_names_status_and_attempts() -> None:
    sleeps: list[float] = []
    requests, handler = _replay(httpx.Response(503, content=_fixture("outcomes.503.json")))
    with _client(handler, sleeps) as client, pytest.raises(IngestError) as raised:
        _fetch(client, offset=60)
    assert len(requests) == 3 and len(sleeps) == 2
    message = str(raised.value)
    assert "after 3 attempts" in message and "HTTP 503" in message
    assert f"{BASE}/api/outcomes?limit=20&offset=60" in message


def test_timeouts_that_never_end_are_reported_as_such() -> None:
    _, handler = _replay(httpx.ReadTimeout("slow"))
    with _client(handler, []) as client, pytest.raises(IngestError) as raised:
        _fetch(client)
    assert "after 3 attempts" in str(raised.value)
    assert "no answer within 0.5s (ReadTimeout)" in str(raised.value)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_fail_at_once_with_the_variable_to_set(status: int) -> None:
    sleeps: list[float] = []
    requests, handler = _replay(httpx.Response(status, content=_fixture("outcomes.401.json")))
    with (
        _client(handler, sleeps, token="expired") as client,
        pytest.raises(SourceAuthError) as raised,
    ):
        _fetch(client)
    assert len(requests) == 1 and sleeps == []
    assert f"refused our credentials (HTTP {status})" in str(raised.value)
    assert "FORGE_DATAFORGE_TOKEN" in str(raised.value)
    assert "expired" not in str(raised.value)


def test_a_client_error_is_not_retried() -> None:
    requests, handler = _replay(httpx.Response(404))
    with _client(handler, []) as client, pytest.raises(IngestError, match=r"HTTP 404.*--base-url"):
        _fetch(client)
    assert len(requests) == 1


def test_credentials_in_the_base_url_never_reach_an_error_message() -> None:
    _, handler = _replay(httpx.Response(500))
    with (
        _client(handler, [], base="http://reader:s3cret@dataforge.test") as client,
        pytest.raises(IngestError) as raised,
    ):
        _fetch(client)
    assert "s3cret" not in str(raised.value) and "reader" not in str(raised.value)


def test_credentials_in_the_base_url_are_sent_as_basic_auth() -> None:
    requests, handler = _replay(httpx.Response(200, content=b"[]"))
    with _client(handler, [], base="http://reader:s3cret@dataforge.test") as client:
        _fetch(client)
    assert requests[0].headers["Authorization"] == "Basic cmVhZGVyOnMzY3JldA=="
