"""marts_freshness_sensor: once per mart that turns late, never for marts late before it started.

The freshness states are what Dagster's daemon records when a mart's freshness policy turns FAIL
(tests/integration/test_dagster_alerts.py runs the daemon itself)."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange
from dagster._time import get_current_timestamp

from orchestration_dagster.defs.alerts.resources import AlertResource

MART = dg.AssetKey(["marts", "pattern_analytics"])


def _turn(instance: dg.DagsterInstance, key: dg.AssetKey, state: FreshnessState) -> None:
    instance.report_runless_asset_event(
        FreshnessStateChange(
            key=key,
            new_state=state,
            previous_state=FreshnessState.UNKNOWN,
            state_change_timestamp=get_current_timestamp(),
        )
    )


def _evaluate(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None
) -> tuple[str | None, str | None]:
    sensor = defs.get_repository_def().get_sensor_def("marts_freshness_sensor")
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        definitions=defs,
        resources={"alerts": AlertResource()},
    )
    data = sensor.evaluate_tick(context)
    assert not data.run_requests, "the sensor alerts; it starts nothing"
    return data.cursor, data.skip_message


def test_a_mart_late_before_the_sensor_started_is_not_news_a_new_miss_alerts_once(
    defs: dg.Definitions, caplog: pytest.LogCaptureFixture
) -> None:
    instance = dg.DagsterInstance.ephemeral()
    _turn(instance, MART, FreshnessState.FAIL)

    cursor, why = _evaluate(defs, instance, None)
    assert why and "started" in why
    cursor, why = _evaluate(defs, instance, cursor)
    assert why == "no mart is late"
    assert "ALERT" not in caplog.text

    _turn(instance, MART, FreshnessState.PASS)
    _turn(instance, MART, FreshnessState.FAIL)
    cursor, why = _evaluate(defs, instance, cursor)
    _evaluate(defs, instance, cursor)  # once only

    assert why == "1 mart(s) missed the deadline"
    alerts = [line for line in caplog.text.splitlines() if "ALERT" in line]
    assert len(alerts) == 1, alerts
    assert (
        "Missed freshness: marts/pattern_analytics — the nightly refresh did not rebuild"
        in (alerts[0])
    )
    assert "(never built)" in alerts[0]
