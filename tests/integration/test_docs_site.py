"""`forge-warehouse docs`: dbt's documentation site, built with no variable to set and served on
127.0.0.1, opens in headless Chromium with its overview page and asks nothing of the network."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def docs_url(warehouse_dsn: str) -> Iterator[str]:
    """The site served by the command the README gives, as a user would start it."""
    env = {**os.environ, "WAREHOUSE_DSN": warehouse_dsn}
    for name in [name for name in env if name.startswith(("FORGE_PG_", "DBT_"))]:
        del env[name]  # nothing set by hand: the command finds the connection itself
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "docs", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = _served_at(server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _served_at(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None
    deadline = time.monotonic() + 240
    seen = []
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "serving it on " in line:
            return line.split("serving it on ", 1)[1].split()[0]
    raise AssertionError("the docs command did not serve:\n" + "".join(seen))


def test_the_docs_site_opens_offline_with_its_overview(docs_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install it (make browser)")
    failed: list[str] = []
    elsewhere: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()

        def on_failed(request: object) -> None:
            url = str(getattr(request, "url", ""))
            # dbt's page has <img src="{{ getIcon(...) }}"> that the browser asks for before
            # Angular fills it in: an unrendered template, not a missing file
            if "%7B%7B" not in url:
                failed.append(url)

        page.on("requestfailed", on_failed)
        page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith((docs_url, "data:", "blob:", "about:"))
                else elsewhere.append(request.url)
            ),
        )
        response = page.goto(docs_url, wait_until="networkidle")
        assert response is not None and response.status == 200
        page.wait_for_selector("text=The Forge warehouse", timeout=30_000)
        text = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "docs.png"))
        browser.close()
    assert failed == [], failed
    assert elsewhere == [], f"the site asked the network for {elsewhere}"
    assert "Which patterns work?" in text and "pattern_analytics" in text
