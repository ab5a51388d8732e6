"""`serve` in its own process over a real build, asked over HTTP: the seed's analytics endpoints,
their pagination, 400 and 404 answers, one unit per number, the OpenAPI document and its /docs
and /redoc pages (offline, in Chromium), and that it reads as a BI login."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from core.exceptions import ForgeError
from core.settings import PROJECT_DIR
from tests.integration.test_analytics_report import CHROMIUM, CHROMIUM_ARGS
from tests.integration.test_analytics_warehouse import (
    Built,
    built_warehouse,
    drop_login,
    run_cli,
    unique_name,
)

pytestmark = pytest.mark.integration

METRICS = [
    "satisfaction",
    "nps",
    "build_success_rate",
    "sessions",
    "session_success_rate",
    "tokens",
    "event_error_rate",
]
RATES = {"build_success_rate", "session_success_rate", "event_error_rate"}
COUNTS = {"sessions", "tokens"}
SERVE = """
import typer
from cli.analytics import serve
app = typer.Typer()
app.command()(serve)
app()
"""


@dataclass(frozen=True)
class Api:
    base: str
    login: str
    built: Built

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def ok(self, path: str) -> Any:
        status, body = self.get(path)
        assert status == 200, (path, body)
        return body


@pytest.fixture(scope="module")
def api(warehouse_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """`serve --port 0` with its own (uniquely named) BI login, stopped and dropped after."""
    built = built_warehouse(warehouse_dsn, tmp_path_factory)
    name = unique_name("test_api")
    env = {**os.environ, "WAREHOUSE_DSN": built.dsn, "FORGE_API_LOGIN": name}
    env.pop("FORGE_BI_DSN", None)
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "--port", "0"],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = _wait_for_address(process)
        yield Api(base, name, built)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        drop_login(built.dsn, name)


def _wait_for_address(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"analytics API on (http://127\.0\.0\.1:\d+)", line)
        if match:
            return match[1]
    raise AssertionError("serve did not start:\n" + "".join(seen))


def _rows(dsn: str, query: str, params: Any = None) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def test_the_openapi_document_describes_the_endpoints(api: Api) -> None:
    document = api.ok("/openapi.json")
    paths = document["paths"]
    for path in (
        "/api/analytics/patterns",
        "/api/analytics/patterns/{pattern_id}",
        "/api/analytics/trends",
    ):
        assert "get" in paths[path]
        assert "400" in paths[path]["get"]["responses"]
    assert "404" in paths["/api/analytics/patterns/{pattern_id}"]["get"]["responses"]
    metric = next(
        p for p in paths["/api/analytics/trends"]["get"]["parameters"] if p["name"] == "metric"
    )
    assert metric["required"] is True
    assert set(document["components"]["schemas"]["Metric"]["enum"]) == set(METRICS)


def test_pages_of_patterns_cover_the_mart_once_each(api: Api) -> None:
    expected = {
        row["pattern_id"]
        for row in _rows(api.built.dsn, "select pattern_id from marts.pattern_analytics")
    }
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = api.ok(f"/api/analytics/patterns?limit=3&offset={offset}")
        assert page["total"] == len(expected) and page["limit"] == 3
        assert len(page["items"]) <= 3
        seen += [item["pattern_id"] for item in page["items"]]
        offset = page["next_offset"]
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))


def test_a_page_is_ordered_as_asked_with_nulls_last(api: Api) -> None:
    items = api.ok("/api/analytics/patterns?sort=nps&order=desc&limit=100")["items"]
    scores = [item["nps"] for item in items]
    known = [score for score in scores if score is not None]
    assert known == sorted(known, reverse=True)
    assert scores == known + [None] * (len(scores) - len(known))


def test_a_pattern_has_its_metrics_recent_feedback_and_trend(api: Api) -> None:
    [busiest] = _rows(
        api.built.dsn,
        "select * from marts.pattern_analytics order by feedback_count desc, pattern_id limit 1",
    )
    body = api.ok(f"/api/analytics/patterns/{busiest['pattern_id']}?feedback_limit=5&period=8w")
    pattern = body["pattern"]
    assert pattern["pattern_id"] == busiest["pattern_id"]
    assert pattern["total_projects"] == busiest["total_projects"]
    assert pattern["nps"] == float(busiest["nps"])  # a score, rounded as the mart rounds it
    # the mart's percent (2 decimals) is the API's fraction (4 decimals), the same number
    assert pattern["build_success_ratio"] == float(busiest["build_success_rate"]) / 100
    newest = _rows(
        api.built.dsn,
        "select feedback_id::text from marts.fct_feedback where pattern_id = %s "
        "order by submitted_at desc, feedback_id limit 5",
        (busiest["pattern_id"],),
    )
    assert [item["feedback_id"] for item in body["recent_feedback"]] == [
        row["feedback_id"] for row in newest
    ]
    trend = body["trend"]
    assert (trend["period"], trend["granularity"], len(trend["points"])) == ("8w", "week", 8)
    # the last whole day before as_of ends the trend (the as_of day itself is partial)
    last_day = busiest["as_of"].astimezone(dt.UTC).date() - dt.timedelta(days=1)
    assert trend["points"][-1]["end_date"] == f"{last_day:%Y-%m-%d}"
    in_window = _rows(
        api.built.dsn,
        "select count(*) as n from marts.fct_feedback where pattern_id = %s "
        "and (submitted_at at time zone 'utc')::date > %s::date - 56 "
        "and (submitted_at at time zone 'utc')::date <= %s::date",
        (busiest["pattern_id"], last_day, last_day),
    )[0]["n"]
    assert sum(point["feedback_count"] for point in trend["points"]) == in_window
    for point in trend["points"]:
        ratio = point["recommendation_ratio"]
        assert ratio is None or (0 <= ratio <= 1 and round(ratio, 4) == ratio)


@pytest.mark.parametrize("metric", METRICS)
def test_a_trend_is_a_ratio_of_counts_over_the_period(api: Api, metric: str) -> None:
    body = api.ok(f"/api/analytics/trends?metric={metric}&period=30d")
    assert (body["metric"], body["granularity"], len(body["points"])) == (metric, "day", 30)
    [expected] = _rows(
        api.built.dsn,
        "with bounds as (select (max(as_of) at time zone 'utc')::date - 1 as last_date "
        "from marts.metrics_daily where metric = %(metric)s) "
        "select sum(numerator) as numerator, sum(denominator) as denominator, "
        "sum(sample_size) as sample_size, max(bounds.last_date) as last_date "
        "from marts.metrics_daily cross join bounds where metric = %(metric)s "
        "and metric_date > bounds.last_date - 30 and metric_date <= bounds.last_date",
        {"metric": metric},
    )
    summary = body["summary"]
    assert body["end_date"] == f"{expected['last_date']:%Y-%m-%d}"
    # the mart scales the numerators of rates and NPS by 100; the API's are counts
    scale = 100 if metric in RATES or metric == "nps" else 1
    numerator = round(expected["numerator"] / scale)
    assert summary["numerator"] == numerator and isinstance(summary["numerator"], int)
    assert summary["sample_size"] == expected["sample_size"]
    denominator = int(expected["denominator"])
    if metric in COUNTS:
        assert (body["unit"], summary["denominator"]) == ("count", None)
        assert summary["value"] == numerator  # a count over a period is its sum
    else:
        assert summary["denominator"] == denominator
        share = numerator / denominator
        expected_value = {
            "satisfaction": ("rating", round(share, 2)),
            "nps": ("score", round(100 * share, 2)),
        }.get(metric, ("ratio", round(share, 4)))
        assert (body["unit"], summary["value"]) == expected_value
        if metric in RATES:
            values = [point["value"] for point in body["points"] if point["value"] is not None]
            assert values and all(0 <= value <= 1 for value in values)


def test_no_trend_ends_on_the_partial_as_of_day(api: Api) -> None:
    [bounds] = _rows(
        api.built.dsn,
        "select (max(as_of) at time zone 'utc')::date as as_of_date, "
        "max(metric_date) as last_metric_date from marts.metrics_daily",
    )
    # the mart's last day is the as_of day, which the build saw none of
    assert bounds["last_metric_date"] == bounds["as_of_date"]
    for metric in METRICS:
        points = api.ok(f"/api/analytics/trends?metric={metric}&period=7d")["points"]
        assert points[-1]["end_date"] == f"{bounds['as_of_date'] - dt.timedelta(days=1):%Y-%m-%d}"
    sessions = api.ok("/api/analytics/trends?metric=sessions&period=30d")["points"]
    assert sessions[-1]["sample_size"] > 0  # the generator's sessions run up to its clock


def test_a_weekly_count_is_the_weeks_sum(api: Api) -> None:
    body = api.ok("/api/analytics/trends?metric=sessions&period=12w")
    points = body["points"]
    assert (body["granularity"], len(points)) == ("week", 12)
    for earlier, later in itertools.pairwise(points):
        assert later["start_date"] > earlier["end_date"]  # consecutive weeks, no overlap
    [week] = _rows(
        api.built.dsn,
        "select count(*) as n from marts.fct_sessions where created_date between %s and %s",
        (points[-1]["start_date"], points[-1]["end_date"]),
    )
    assert points[-1]["value"] == points[-1]["numerator"] == week["n"]
    total = sum(point["numerator"] for point in points)
    assert body["summary"]["value"] == body["summary"]["numerator"] == total


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/api/analytics/trends?metric=bogus&period=30d", "metric"),
        ("/api/analytics/trends?period=30d", "metric is required"),
        ("/api/analytics/trends?metric=nps&period=3m", "period '3m'"),
        ("/api/analytics/trends?metric=nps&period=0d", "period '0d'"),
        ("/api/analytics/trends?metric=nps&period=2000d", "longer than"),
        ("/api/analytics/trends?metric=nps&period=30d&window=7", "unknown query parameter"),
        ("/api/analytics/patterns?limit=0", "limit"),
        ("/api/analytics/patterns?limit=101", "limit"),
        ("/api/analytics/patterns?offset=-1", "offset"),
        ("/api/analytics/patterns?limit=ten", "limit"),
        ("/api/analytics/patterns?sort=password", "sort"),
        ("/api/analytics/patterns?limt=5", "unknown query parameter 'limt'"),
        ("/api/analytics/patterns/rest-api?period=forever", "period 'forever'"),
        ("/api/analytics/patterns/rest-api?feedback_limit=1000", "feedback_limit"),
    ],
)
def test_a_bad_parameter_is_a_400_that_says_what_is_wrong(api: Api, path: str, says: str) -> None:
    status, body = api.get(path)
    assert status == 400, body
    assert says in body["detail"]


def test_an_unknown_pattern_is_a_404(api: Api) -> None:
    status, body = api.get("/api/analytics/patterns/no-such-pattern")
    assert status == 404
    assert "no-such-pattern" in body["detail"]


def test_the_api_reads_as_its_own_bi_login(api: Api) -> None:
    assert api.ok("/api/health")["login"] == api.login
    [row] = _rows(
        api.built.dsn,
        "select rolsuper, array(select b.rolname::text from pg_auth_members m "
        "join pg_roles b on b.oid = m.roleid where m.member = r.oid) as groups, "
        "(select count(*) from pg_stat_activity where usename = r.rolname "
        "and application_name = 'forge-analytics-api') as sessions "
        "from pg_roles r where rolname = %s",
        (api.login,),
    )
    assert row["rolsuper"] is False and row["groups"] == ["forge_bi"]
    assert row["sessions"] >= 1


def test_serve_refuses_a_bi_dsn_that_can_read_more_than_the_marts(built_dsn: str) -> None:
    result = run_cli(["serve", "--port", "0"], env={"FORGE_BI_DSN": built_dsn})
    assert isinstance(result.exception, ForgeError)
    assert "superuser" in str(result.exception)


def test_serve_says_when_it_cannot_listen(built_dsn: str) -> None:
    name = unique_name("test_api")
    try:
        result = run_cli(
            ["serve", "--host", "192.0.2.1", "--port", "0"], env={"FORGE_API_LOGIN": name}
        )
        assert isinstance(result.exception, ForgeError)
        assert "cannot listen on 192.0.2.1:0" in str(result.exception)
    finally:
        drop_login(built_dsn, name)


def test_the_analyst_guides_example_is_what_the_api_answers(api: Api) -> None:
    guide = (PROJECT_DIR / "docs" / "analyst-guide.md").read_text(encoding="utf-8")
    found = re.search(
        r"`GET (/api/analytics/trends\?[^`]+)` on the tests' synthetic.*?```json\n(.*?)```",
        guide,
        re.DOTALL,
    )
    assert found, "the guide shows a trend's answer"
    shown, answer = json.loads(found[2]), api.ok(found[1])

    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: shape(item) for key, item in value.items()}
        if isinstance(value, list):
            return [shape(item) for item in value]
        return type(value).__name__

    assert shape(shown) == shape(answer)
    if answer["as_of"] == shown["as_of"]:  # the same synthetic warehouse: the same numbers
        assert shown == answer


@pytest.mark.parametrize(
    ("page", "shows"), [("/docs", ".opblock"), ("/redoc", "[data-section-id]")]
)
def test_the_docs_pages_work_offline_in_chromium(api: Api, page: str, shows: str) -> None:
    """No request leaves the API, none fails, no console error, and the page is not blank."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install it (apt-get install -y chromium)")
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            view = browser.new_page(viewport={"width": 1400, "height": 900})
            view.on(
                "console",
                lambda message: (
                    problems.append(f"console {message.type}: {message.text}")
                    if message.type == "error"
                    else None
                ),
            )
            view.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            view.on(
                "requestfailed",
                lambda request: problems.append(f"failed: {request.url} {request.failure}"),
            )
            view.on("request", lambda request: requests.append(request.url))
            view.goto(api.base + page, wait_until="networkidle")
            view.wait_for_selector(shows, timeout=30_000)
            operations = view.locator(shows).count()
            text = view.inner_text("body")
        finally:
            browser.close()
    assert problems == []
    # this server, or a blob it made (ReDoc's search worker): nothing from anywhere else
    here = (api.base + "/", f"blob:{api.base}/")
    assert requests and all(url.startswith(here) for url in requests), requests
    assert api.base + "/openapi.json" in requests
    assert operations >= 4, f"{page} shows {operations} operations"
    assert "Forge analytics API" in text and "/api/analytics/trends" in text


@pytest.fixture(scope="module")
def built_dsn(api: Api) -> str:
    return api.built.dsn
