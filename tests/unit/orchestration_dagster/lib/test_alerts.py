"""Alerts are one link-free line, and a late mart is alerted once per time it turns late."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg

from orchestration_dagster.lib.alerts import (
    MISSED_FRESHNESS,
    RUN_FAILURE,
    Alert,
    freshness_alerts,
)

MART = dg.AssetKey(["marts", "pattern_analytics"])
OTHER = dg.AssetKey(["marts", "dim_projects"])


def test_alerts_are_one_link_free_line() -> None:
    alert = Alert(
        RUN_FAILURE,
        "raw/dataforge/user_feedback",
        "cannot connect to postgresql://forge:secret@db:5432/forge\nsee https://example.org/x",
        "nightly_refresh_job",
        "0123456789abcdef",
    )

    payload = alert.payload()
    assert "://" not in payload["summary"] and "://" not in payload["reason"]
    assert "secret" not in json.dumps(payload)
    assert "\n" not in payload["summary"]
    assert payload["summary"].startswith("Run failed: raw/dataforge/user_feedback — cannot connect")
    assert payload["summary"].endswith("(job nightly_refresh_job, run 01234567)")
    assert payload["kind"] == "run_failure" and payload["run_id"] == "0123456789abcdef"


def test_an_alert_without_a_run_names_only_the_job() -> None:
    alert = Alert(MISSED_FRESHNESS, "marts/x", "late", "nightly_refresh_job", "")

    assert alert.summary == "Missed freshness: marts/x — late (job nightly_refresh_job)"


def test_a_mart_turning_late_is_alerted_once_and_again_only_after_a_new_miss() -> None:
    monday = dt.datetime(2026, 3, 2, 6, 0, 30, tzinfo=dt.UTC)
    tuesday = monday + dt.timedelta(days=1)
    reasons = {MART: "the nightly refresh did not rebuild it", OTHER: "not this one"}

    first, cursor = freshness_alerts(
        {MART: ("FAIL", monday), OTHER: ("PASS", monday)}, {}, reasons, "nightly_refresh_job"
    )
    again, cursor = freshness_alerts({MART: ("FAIL", monday)}, cursor, reasons, "nightly")
    rebuilt, cursor = freshness_alerts({MART: ("PASS", tuesday)}, cursor, reasons, "nightly")
    late_again, _ = freshness_alerts(
        {MART: ("FAIL", tuesday + dt.timedelta(hours=1))}, cursor, reasons, "nightly"
    )

    assert [(a.kind, a.asset, a.reason) for a in first] == [
        (MISSED_FRESHNESS, "marts/pattern_analytics", "the nightly refresh did not rebuild it")
    ]
    assert again == [] and rebuilt == []
    assert [a.asset for a in late_again] == ["marts/pattern_analytics"]
