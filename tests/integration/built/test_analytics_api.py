"""`serve` in its own process over a real build, asked over HTTP: the seed's analytics endpoints,
their pagination, 400 and 404 answers, one unit per number, the OpenAPI document and its /docs
and /redoc pages (offline, in Chromium), and that it reads as a BI login."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
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

from analytics.metrics import Metric
from core.exceptions import ForgeError
from core.settings import PROJECT_DIR
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.built import Built
from tests.logins import drop_login, run_cli, unique_name

pytestmark = pytest.mark.integration

METRICS = [metric.value for metric in Metric]
# dim_metrics.unit -> (the API's unit, its decimals)
UNITS = {
    "fraction": ("ratio", 4),
    "mean_1_to_5": ("rating", 2),
    "score_minus_100_to_100": ("score", 2),
    "count": ("count", None),
    "tokens": ("count", None),
    "usd": ("usd", 6),
    "seconds": ("seconds", 2),
}
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
def api(built: Built) -> Iterator[Api]:
    """`serve --port 0` with its own (uniquely named) BI login, stopped and dropped after."""
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
def test_a_trend_is_metric_values_with_every_day_and_a_summary_of_sums(
    api: Api, metric: str
) -> None:
    body = api.ok(f"/api/analytics/trends?metric={metric}&period=30d")
    assert (body["metric"], body["grain"], body["granularity"], body["periods"]) == (
        metric,
        "day",
        "day",
        30,
    )
    [definition] = _rows(
        api.built.dsn,
        "select unit, numerator_metric, denominator_metric, "
        "(as_of at time zone 'utc')::date - 1 as last_date from marts.dim_metrics "
        "where metric = %s",
        (metric,),
    )
    last = definition["last_date"]
    days = {
        row["period_start"]: row
        for row in _rows(
            api.built.dsn,
            "select * from marts.metric_values where metric = %s and grain = 'day' "
            "and dimension is null and period_start between %s and %s",
            (metric, last - dt.timedelta(days=29), last),
        )
    }
    points = body["points"]
    # every day of the window, the last whole day before as_of last, from metric_values
    assert [point["start_date"] for point in points] == [
        f"{last - dt.timedelta(days=29 - index):%Y-%m-%d}" for index in range(30)
    ]
    assert body["end_date"] == f"{last:%Y-%m-%d}"
    unit, decimals = UNITS[definition["unit"]]
    is_sum = definition["numerator_metric"] and not definition["denominator_metric"]
    for point in points:
        row = days.get(dt.date.fromisoformat(point["start_date"]))
        if row is None:  # a day without activity: 0 for a sum, no value otherwise
            assert point["value"] == (0.0 if is_sum else None) and point["sample_size"] == 0
            continue
        value = None if row["value"] is None else float(row["value"])
        expected = value if value is None or decimals is None else round(value, decimals)
        assert point["value"] == expected, (point, row)
        assert point["sample_size"] == row["sample_size"]
    # the summary: the sums of the days, and a value from them (never a mean of the days)
    numerator = sum(float(row["numerator"] or 0) for row in days.values())
    denominator = sum(float(row["denominator"] or 0) for row in days.values())
    summary = body["summary"]
    assert body["unit"] == unit
    assert summary["sample_size"] == sum(row["sample_size"] for row in days.values())
    if definition["numerator_metric"] is None:  # a percentile does not add up
        assert summary["value"] is None and summary["numerator"] is None
    elif is_sum:
        assert summary["denominator"] is None
        assert math.isclose(summary["value"], numerator, rel_tol=1e-9, abs_tol=1e-6)
    else:
        assert math.isclose(summary["denominator"], denominator)
        scale = 100 if unit == "score" else 1
        share = scale * numerator / denominator if denominator else None
        assert summary["value"] == (None if share is None else round(share, decimals))
        if unit == "ratio":
            values = [point["value"] for point in points if point["value"] is not None]
            assert values and all(0 <= value <= 1 for value in values)


@pytest.mark.parametrize(("grain", "last_start", "last_end"), [
    ("day", "2025-12-07", "2025-12-07"),
    ("week", "2025-12-01", "2025-12-07"),
    ("month", "2025-11-01", "2025-11-30"),
])  # fmt: skip
def test_no_trend_ends_in_the_partial_period_holding_as_of(
    api: Api, grain: str, last_start: str, last_end: str
) -> None:
    # as_of is 2025-12-08 00:00 UTC, a Monday: that day, that week and December are partial
    [row] = _rows(api.built.dsn, "select distinct as_of from marts.dim_metrics")
    assert row["as_of"] == dt.datetime(2025, 12, 8, tzinfo=dt.UTC)
    for metric in METRICS:
        points = api.ok(f"/api/analytics/trends?metric={metric}&grain={grain}&periods=3")["points"]
        assert (points[-1]["start_date"], points[-1]["end_date"]) == (last_start, last_end)
    sessions = api.ok("/api/analytics/trends?metric=sessions&period=30d")["points"]
    assert sessions[-1]["sample_size"] > 0  # the generator's sessions run up to its clock


def test_a_weekly_count_is_the_weeks_sum(api: Api) -> None:
    body = api.ok("/api/analytics/trends?metric=sessions&period=12w")
    points = body["points"]
    assert (body["grain"], len(points)) == ("week", 12)
    for earlier, later in itertools.pairwise(points):
        # consecutive ISO weeks, Monday to Sunday, no gap and no overlap
        assert dt.date.fromisoformat(later["start_date"]).weekday() == 0
        assert dt.date.fromisoformat(later["start_date"]) == dt.date.fromisoformat(
            earlier["end_date"]
        ) + dt.timedelta(days=1)
    [week] = _rows(
        api.built.dsn,
        "select count(*) as n from marts.fct_sessions where created_date between %s and %s",
        (points[-1]["start_date"], points[-1]["end_date"]),
    )
    assert points[-1]["value"] == points[-1]["numerator"] == week["n"]
    total = sum(point["numerator"] for point in points)
    assert body["summary"]["value"] == body["summary"]["numerator"] == total


def test_a_trend_by_pattern_has_a_series_per_pattern_that_adds_up_to_the_total(
    api: Api,
) -> None:
    body = api.ok(
        "/api/analytics/trends?metric=build_success_rate&grain=month&periods=4&dimension=pattern_id"
    )
    assert body["dimension"] == "pattern_id" and len(body["series"]) >= 2
    values = [item["dimension_value"] for item in body["series"]]
    known = [value for value in values if value is not None]
    assert values == sorted(known) + [None] * (len(values) - len(known))
    for index, total in enumerate(body["points"]):
        parts = [item["points"][index] for item in body["series"]]
        # every build has one pattern or none: the splits add up to the total
        assert sum(part["numerator"] for part in parts) == total["numerator"]
        assert sum(part["denominator"] for part in parts) == total["denominator"]
    [row] = _rows(
        api.built.dsn,
        "select count(*) filter (where is_successful) as ok, count(*) as builds "
        "from marts.fct_project_builds where pattern_id = %s and built_date between %s and %s",
        (known[0], body["start_date"], body["end_date"]),
    )
    series = body["series"][0]["summary"]
    assert (series["numerator"], series["denominator"]) == (row["ok"], row["builds"])


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/api/analytics/trends?metric=bogus&period=30d", "metric"),
        ("/api/analytics/trends?period=30d", "metric is required"),
        ("/api/analytics/trends?metric=nps&period=3y", "period '3y'"),
        ("/api/analytics/trends?metric=nps&period=3m&grain=day", "not both"),
        ("/api/analytics/trends?metric=sessions&dimension=pattern_id", "has no dimension"),
        ("/api/analytics/trends?metric=nps&dimension=phase", "can be split by pattern_id"),
        ("/api/analytics/trends?metric=nps&period=0d", "period '0d'"),
        ("/api/analytics/trends?metric=nps&period=2000d", "longer than"),
        ("/api/analytics/trends?metric=nps&grain=month&periods=40", "from 1 to 36"),
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
