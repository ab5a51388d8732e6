"""`report --out FILE` over a real build: one self-contained page that headless Chromium shows
without a console error or a single request beyond the file itself."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from analytics.report.data import fetch_report_data
from analytics.report.render import render_report
from core.exceptions import ForgeError
from core.settings import PROJECT_DIR
from tests.browser import CHROMIUM, CHROMIUM_ARGS, NAMESPACES, OUTSIDE
from tests.built import Built
from tests.logins import run_cli

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def report_file(built: Built, tmp_path_factory: pytest.TempPathFactory) -> tuple[Built, Path]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = run_cli(["report", "--out", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert str(out) in result.stdout
    return built, out


def test_the_report_is_one_file_that_refers_to_nothing_outside(
    report_file: tuple[Built, Path],
) -> None:
    html = report_file[1].read_text(encoding="utf-8")
    assert not OUTSIDE.search(NAMESPACES.sub("", html))
    assert "default-src 'none'" in html  # and the browser is told to fetch nothing
    for section in ("patterns", "trends", "phases", "templates", "health"):
        assert f'<section id="{section}">' in html
    assert html.count("<svg") >= 6


def test_the_report_shows_the_data_health_numbers(report_file: tuple[Built, Path]) -> None:
    built, out = report_file
    html = out.read_text(encoding="utf-8")
    rejected = sum(file.bad for counts in built.manifest.entities.values() for file in counts.files)
    # rejects of the last day of loads (audit.loads), as many as the generator made bad lines
    assert f'last day of loads</div><div class="value">{rejected:,}</div>' in html
    assert "<code>raw.user_feedback</code>" in html  # freshness per raw table
    assert re.search(r'dbt tests</div><div class="value">[^<]*\d+ pass', html)
    assert f"Marts as of {built.manifest.now:%Y-%m-%d %H:%M} UTC" in html


def test_chromium_renders_the_report_without_errors_or_requests(
    report_file: tuple[Built, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install it (apt-get install -y chromium)")
    out = report_file[1]
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on(
                "console",
                lambda message: (
                    problems.append(f"console {message.type}: {message.text}")
                    if message.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(out.as_uri(), wait_until="load")
            charts = page.locator("svg")
            assert charts.count() >= 6
            assert all(charts.nth(i).bounding_box() for i in range(charts.count()))
            assert page.locator(".card").count() == 4
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert requests == [out.as_uri()]
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_a_report_that_cannot_be_written_is_one_sentence(report_file: tuple[Built, Path]) -> None:
    result = run_cli(["report", "--out", "/proc/forge/report.html"])
    assert isinstance(result.exception, ForgeError)
    assert "cannot write the report to /proc/forge/report.html" in str(result.exception)


def test_the_report_of_a_build_that_lost_a_mart_still_shows_the_health(
    report_file: tuple[Built, Path],
) -> None:
    built = report_file[0]
    with psycopg.connect(built.dsn) as conn:
        conn.execute("drop table marts.metric_values cascade")  # rolled back below
        try:
            data = fetch_report_data(
                conn, warehouse="test", dbt_project_dir=PROJECT_DIR / "dbt_project"
            )
        finally:
            conn.rollback()
    assert data.missing == ["marts.metric_values"]
    assert data.satisfaction is None and data.session_success is None
    assert data.patterns and data.health.loads
    assert "Missing marts" in render_report(data)
