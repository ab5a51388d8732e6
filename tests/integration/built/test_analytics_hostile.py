"""Hostile requests and absurd marts: the API answers 200, 400 or 404 (never 5xx) with one
sentence for every error, and the API and the report stay correct and fast whatever the marts
hold (times Python cannot represent, NaN, a metric_values stretched back to year 1).

The property tests throw generated path and query values at every endpoint (FastAPI's
TestClient, a real BI login on the real warehouse). They are seeded and bounded; a longer run:
FORGE_PROPERTY_EXAMPLES=5000 pytest -m integration tests/integration/test_analytics_hostile.py
"""

from __future__ import annotations

import os
import re
import time
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analytics.api.app import create_app
from analytics.api.pool import ApiPool
from analytics.report.build import build_report
from core.settings import PROJECT_DIR
from tests.built import Built
from tests.logins import login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient asks for httpx2
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("FORGE_PROPERTY_EXAMPLES", "200"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is reproducible
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
YEAR_10000 = "9999-12-31T23:59:59-12:00"  # valid input, year 10000 in UTC
ABSURD_PATTERNS = (
    "zz-year-10000",
    "zz-endless",
    "zz-before-christ",
    "zz-not-a-number",
    "zz-timeless",
)
ABSURD_TEMPLATE = "f" * 64

# any character a URL can carry (lone surrogates cannot be encoded), with the ones that break
# parsers, SQL and terminals drawn often
NASTY = st.sampled_from("\x00\x01\x1b\x7f\n\r\t %/\\'\";?#&=+.,:*\u00a0\u202e\ufeff\ufffd")
TEXT = st.text(st.one_of(NASTY, st.characters(exclude_categories=("Cs",))), max_size=80)
WORDS = st.sampled_from(
    ["", " ", "%", "%00", "%ff", "..", ".", "/", "\\", "'", '"', ";", "--", "30d", "12w", "0d",
     "7", "-1", "1e9", "9" * 40, "nps", "sessions", "asc", "desc", "build_success_ratio",
     "true", "null", "[]", "{}", "\x00", "\n", "\u202e", "\U0001f600", "NaN", "infinity"]
)  # fmt: skip
VALUES = st.one_of(
    WORDS,
    TEXT,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(str),
)
ENDPOINT_PARAMETERS = {
    "/api/analytics/patterns": ["limit", "offset", "sort", "order"],
    "/api/analytics/trends": ["metric", "period"],
    "/api/health": [],
}


@pytest.fixture(scope="module")
def absurd(built: Built) -> Iterator[Built]:
    """The marts with rows no loader should let in, but that a mart may still hold."""
    with psycopg.connect(built.dsn, autocommit=True) as conn:
        first = conn.execute(
            "select min(period_start) from marts.metric_values where grain = 'day'"
        ).fetchone()
        _run(conn, _INSERT_ABSURD, {"year_10000": YEAR_10000, "template": ABSURD_TEMPLATE})
        # a day of sessions on every date from 0001-01-01: ~740k rows before the real ones
        conn.execute(_STRETCH, {"before": first[0] if first else None})
        conn.execute("analyze marts.metric_values")
    try:
        yield built
    finally:
        with psycopg.connect(built.dsn, autocommit=True) as conn:
            _run(conn, _DELETE_ABSURD, {"template": ABSURD_TEMPLATE})
            conn.execute("delete from marts.metric_values where metric_value_id like 'stretch-%'")


@pytest.fixture(scope="module")
def client(absurd: Built) -> Iterator[TestClient]:
    with login(absurd.dsn) as (name, dsn), TestClient(create_app(ApiPool(dsn, 2), login=name)) as c:
        yield c


def _run(conn: psycopg.Connection[Any], script: str, params: dict[str, Any]) -> None:
    for statement in filter(str.strip, script.split(";")):
        conn.execute(statement, params)


def _one_sentence(detail: object) -> bool:
    return (
        isinstance(detail, str)
        and 0 < len(detail) <= 400
        and "\n" not in detail
        and "Traceback" not in detail
    )


def _check(response: httpx.Response) -> None:
    assert response.status_code in (200, 400, 404), (response.status_code, response.text)
    if response.status_code != 200:
        body = response.json()
        assert list(body) == ["detail"] and _one_sentence(body["detail"]), body


def _get(client: TestClient, path: str, query: str = "") -> httpx.Response:
    try:
        return client.get(f"{path}?{query}" if query else path)
    except httpx.InvalidURL:
        assume(False)  # httpx will not send it: no server ever sees such a request
        raise


@pytest.mark.parametrize("path", sorted(ENDPOINT_PARAMETERS))
def test_hostile_query_values_are_answered_in_one_sentence(client: TestClient, path: str) -> None:
    names = ENDPOINT_PARAMETERS[path]

    @PROPERTY
    @given(
        st.lists(st.tuples(st.one_of(st.sampled_from(names or ["x"]), TEXT), VALUES), max_size=4)
    )
    def check(pairs: list[tuple[str, str]]) -> None:
        _check(_get(client, path, urlencode(pairs)))

    check()


def test_hostile_pattern_ids_are_answered_in_one_sentence(client: TestClient) -> None:
    @PROPERTY
    @given(
        st.one_of(VALUES, st.sampled_from(ABSURD_PATTERNS)),
        st.lists(st.tuples(st.sampled_from(["period", "feedback_limit"]), VALUES), max_size=2),
    )
    def check(pattern_id: str, pairs: list[tuple[str, str]]) -> None:
        path = "/api/analytics/patterns/" + quote(pattern_id, safe="")
        _check(_get(client, path, urlencode(pairs)))

    check()


def test_raw_query_strings_are_answered_in_one_sentence(client: TestClient) -> None:
    @PROPERTY
    @given(
        st.sampled_from([*ENDPOINT_PARAMETERS, "/api/analytics/patterns/rest-api"]),
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60),
    )
    def check(path: str, query: str) -> None:
        _check(_get(client, path, query))

    check()


def test_absurd_times_read_as_null_and_every_endpoint_answers(client: TestClient) -> None:
    page = client.get("/api/analytics/patterns?sort=last_activity&order=desc&limit=100")
    assert page.status_code == 200, page.text
    items = {item["pattern_id"]: item for item in page.json()["items"]}
    for pattern_id in ("zz-year-10000", "zz-endless", "zz-before-christ"):
        assert items[pattern_id]["last_activity"] is None  # not representable: null, not a 503
    assert items["zz-not-a-number"]["build_success_ratio"] is None  # NaN in the mart
    detail = client.get("/api/analytics/patterns/zz-year-10000?period=1095d&feedback_limit=100")
    assert detail.status_code == 200, detail.text
    submitted = [item["submitted_at"] for item in detail.json()["recent_feedback"]]
    assert len(submitted) == 4 and submitted.count(None) == 3  # infinity, -infinity, year 10000
    for path in ("/api/health", "/api/analytics/patterns/zz-not-a-number"):
        assert client.get(path).status_code == 200, path
    timeless = client.get("/api/analytics/patterns/zz-timeless")
    assert timeless.status_code == 200, timeless.text
    assert timeless.json()["pattern"]["as_of"] is None and timeless.json()["trend"]["points"] == []


@pytest.mark.parametrize("period", ["1095d", "156w"])
def test_a_trend_stays_fast_over_a_mart_stretched_back_to_year_one(
    client: TestClient, absurd: Built, period: str
) -> None:
    with psycopg.connect(absurd.dsn) as conn:
        row = conn.execute(
            "select count(*) from marts.metric_values where metric = 'sessions' and grain = 'day'"
        ).fetchone()
    assert row and row[0] > 700_000
    started = time.monotonic()
    body = client.get(f"/api/analytics/trends?metric=sessions&period={period}").json()
    elapsed = time.monotonic() - started
    assert body["points"] and body["end_date"] is not None
    assert elapsed < 2, f"{elapsed:.2f} s"  # about 19 s before the trend read only its window


def test_the_report_builds_over_absurd_marts(absurd: Built, tmp_path: Any) -> None:
    out = tmp_path / "report.html"
    build_report(absurd.dsn, out, PROJECT_DIR / "dbt_project")
    html = out.read_text(encoding="utf-8")
    assert "Year 10000" in html and "Not a number" in html
    assert not re.search(r"(?i)\b(nan|inf|infinity)\b", html)  # shown as n/a, never "nan%"


_INSERT_ABSURD = """
insert into marts.pattern_analytics (
    pattern_id, pattern_name, total_projects, feedback_count, build_success_rate,
    avg_satisfaction, nps, last_activity, as_of
)
select pattern_id, pattern_name, 1, 4, rate, satisfaction, nps, last_activity,
    coalesce(as_of, (select max(as_of) from marts.pattern_analytics))
from (values
    ('zz-year-10000', 'Year 10000', 100.0, 5.0, 100.0, %(year_10000)s::timestamptz, null),
    ('zz-endless', 'Endless', 0.0, 1.0, -100.0, 'infinity'::timestamptz, null),
    ('zz-before-christ', 'Before Christ', 50.0, 3.0, 0.0, '0044-03-15 BC'::timestamptz, null),
    ('zz-not-a-number', 'Not a number', 'NaN', 'NaN', 'NaN', now(), null),
    -- a build's reference time no one could have passed: the pattern still answers
    ('zz-timeless', 'Timeless', 100.0, 4.0, 0.0, now(), 'infinity'::timestamptz)
) as absurd (pattern_id, pattern_name, rate, satisfaction, nps, last_activity, as_of);

insert into marts.fct_feedback (
    feedback_id, pattern_id, submitted_at, submitted_date, overall_satisfaction,
    likelihood_to_reuse, would_recommend
)
select gen_random_uuid(), 'zz-year-10000', submitted_at, submitted_at::date, 5, 10, true
from unnest(array[
    'infinity', '-infinity', %(year_10000)s, '0001-01-01T00:00:00Z'
]::timestamptz[]) as submitted_at;

insert into marts.template_metrics (
    template_type, template_hash, usage_count, success_rate, first_used_at, last_used_at
)
values
    ('planning', %(template)s, 3, 'NaN', '0001-01-01T00:00:00Z', 'infinity'),
    ('testing', %(template)s, 2, 'Infinity', '-infinity', %(year_10000)s);

insert into marts.phase_performance (
    phase, execution_count, median_duration_seconds, p95_duration_seconds, success_rate
)
values ('zz-absurd', 1, 'NaN', 'Infinity', 'NaN');
"""

_STRETCH = """
insert into marts.metric_values (
    metric_value_id, metric, grain, period_start, period_end, dimension, dimension_value,
    numerator, denominator, value, sample_size
)
select 'stretch-' || day::date, 'sessions', 'day', day::date, day::date, null, null, 0, null, 0, 0
from generate_series(date '0001-01-01', %(before)s::date - 1, interval '1 day') as day
"""

_DELETE_ABSURD = """
delete from marts.pattern_analytics where pattern_id like 'zz-%%';
delete from marts.fct_feedback where pattern_id like 'zz-%%';
delete from marts.template_metrics where template_hash = %(template)s;
delete from marts.phase_performance where phase = 'zz-absurd';
"""
