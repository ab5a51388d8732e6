"""The warehouse watches itself, through two real refreshes (real dbt, real Dagster, Postgres).

The first refresh loads one session and its records; the second loads one late session of the
same past week. Each run is recorded (watch.runs, its steps, its dbt nodes, its loads by run
id); the second restates the week's published `sessions` (watch.restatements, the mart view,
the API); a night planted far above tonight's rows is an anomaly: a WARN check, a row in
watch.anomalies, an Anomaly alert, a line in the summary and a section of the report.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import psycopg
import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from psycopg import sql
from typer.testing import CliRunner

from analytics.api.app import create_app
from cli.app import app
from core.settings import get_settings
from ingest.contract.entities import ENTITIES
from orchestration_dagster.lib.alerts import ANOMALY, run_alerts
from orchestration_dagster.lib.measures import night_of
from tests.factories import record

pytestmark = pytest.mark.integration

AS_OF = "2025-04-01T00:00:00+00:00"
LATE_SESSION = 2


def _write_jsonl(path: Path, lines: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")


def _refresh(env: dict[str, str]) -> Result:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, ["refresh", "--as-of", AS_OF])
        finally:
            root.handlers, root.level = handlers, level
            get_settings.cache_clear()


@dataclass(frozen=True)
class Watched:
    first: Result
    second: Result
    runs: list[dg.DagsterRun]  # oldest first
    home: Path
    dsn: str


def _rows(dsn: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def watched(warehouse_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Watched:
    tables = [sql.Identifier("raw", name) for name in ENTITIES]
    tables += [sql.Identifier("audit", name) for name in ("loads", "rejects")]
    tables += [
        sql.Identifier("watch", name)
        for name in ("runs", "daily_measures", "anomalies", "published_metric_values")
    ]
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("truncate {} cascade").format(sql.SQL(", ").join(tables)))
        conn.execute("truncate watch.restatements")
    home = tmp_path_factory.mktemp("watch")
    landing = home / "landing"
    for entity in ENTITIES:
        _write_jsonl(landing / entity / "first.jsonl", [record(entity)])
    env = {
        "WAREHOUSE_DSN": warehouse_dsn,
        "FORGE_HOME": str(home),
        "FORGE_LANDING_DIR": str(landing),
        "DAGSTER_HOME": str(home / "dagster"),
        "FORGE_DBT_ARTIFACT_RUNS": "1",
    }
    first = _refresh(env)
    assert first.exit_code == 0, first.output[-3000:] + repr(first.exception)

    # five weeks of nights on tonight's weekday that each loaded 1,000 sessions: tonight's one
    # late session is far below its history
    night = night_of(dt.datetime.now(dt.UTC), "UTC", dt.time(6, 0))
    with psycopg.connect(warehouse_dsn) as conn:
        for week in range(1, 6):
            conn.execute(
                "insert into watch.daily_measures (subject, measure, measure_date, value,"
                " sample_size) values ('raw.orchestration_sessions', 'rows', %s, 1000, 1000)",
                (night - dt.timedelta(weeks=week),),
            )
    # a session created in the same past week as the first one (its Thursday), loaded late
    _write_jsonl(
        landing / "orchestration_sessions" / "late.jsonl",
        [
            record(
                "orchestration_sessions",
                id=LATE_SESSION,
                created_at="2025-02-27T10:00:00Z",
                updated_at="2025-02-27T12:00:00Z",
            )
        ],
    )
    second = _refresh(env)
    assert second.exit_code == 0, second.output[-3000:] + repr(second.exception)
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = sorted(instance.get_runs(), key=lambda run: run.run_id)
        runs = sorted(
            runs, key=lambda run: instance.get_run_record_by_id(run.run_id).create_timestamp
        )
    return Watched(first, second, runs, home, warehouse_dsn)


def test_each_refresh_is_recorded_with_its_steps_dbt_nodes_and_loads(watched: Watched) -> None:
    first, second = (run.run_id for run in watched.runs)
    history = _rows(
        watched.dsn,
        "select run_id, started_by, status, models_built, tests_run, batches, rows_loaded,"
        " ingest_seconds > 0, dbt_seconds > 0, duration_seconds >= dbt_seconds"
        " from watch.run_history order by started_at",
    )
    assert [row[:3] for row in history] == [
        (first, "forge-warehouse refresh", "success"),
        (second, "forge-warehouse refresh", "success"),
    ]
    assert history[0][5:7] == (6, 6), "six batches of one record each, joined by run id"
    assert history[1][5:7] == (1, 1), "the late session's batch only"
    assert all(row[3] > 20 and row[4] > 50 for row in history), history
    assert all(row[7] and row[8] and row[9] for row in history), history

    nodes = dict(
        _rows(
            watched.dsn,
            "select node_name, status from watch.dbt_node_history"
            " where run_id = %s and resource_type = 'model'",
            second,
        )
    )
    assert nodes["fct_sessions"] == "success" and nodes["metric_values"] == "success"
    rows = _rows(
        watched.dsn,
        "select rows_affected, seconds from watch.dbt_nodes"
        " where run_id = %s and node_name = 'fct_sessions'",
        first,
    )
    assert rows and rows[0][0] == 1 and rows[0][1] > 0, "dbt's own numbers, from run_results"
    stages = {row[0] for row in _rows(watched.dsn, "select stage_name from watch.run_steps")}
    assert {"ingest", "dbt", "checks", "watch"} <= stages


def test_the_second_night_leaves_to_the_database_the_tests_it_enforces(watched: Watched) -> None:
    """The first refresh built the marts, so the second (a scoped night) finds their NOT NULL
    columns and unique indexes in the catalog: those tests do not run, and their checks pass
    naming the constraint; the others run."""
    first, second = (run.run_id for run in watched.runs)
    held: dict[str, str] = {}
    with dg.DagsterInstance.from_config(str(watched.home / "dagster")) as instance:
        for entry in instance.all_logs(second, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            assert entry.dagster_event is not None
            evaluation = entry.dagster_event.event_specific_data
            if "held_by" in evaluation.metadata:
                assert evaluation.passed, evaluation.asset_check_key
                name = evaluation.asset_check_key.name
                held[name] = str(evaluation.metadata["held_by"].value)
    assert held["not_null_fct_sessions_session_id"] == "the column session_id is NOT NULL"
    assert held["unique_fct_sessions_session_id"] == "a unique index on session_id"
    # a source's test too: raw's ids are NOT NULL (the loader's tables)
    events_id = "source_not_null_prompt_runner_orchestration_events_id"
    assert held[events_id] == "the column id is NOT NULL"
    assert not any(name.startswith(("accepted_", "relationships_", "assert_")) for name in held)

    def tests_run(run_id: str) -> set[str]:
        query = (
            "select node_name from watch.dbt_node_history"
            " where run_id = %s and resource_type = 'test'"
        )
        return {row[0] for row in _rows(watched.dsn, query, run_id)}

    ran_first, ran_second = tests_run(first), tests_run(second)
    assert not set(held) & ran_second
    # each test of the first night (which held what tables earlier modules left, if any) ran
    # or was held on the second
    assert ran_first <= ran_second | set(held) and len(ran_second) > 100


def test_only_the_newest_runs_keep_their_dbt_artifacts(watched: Watched) -> None:
    runs = get_settings().dbt_project_dir / "target" / "runs"
    first, second = (run.run_id for run in watched.runs)
    assert (runs / second).is_dir()
    assert not (runs / first).exists(), "FORGE_DBT_ARTIFACT_RUNS=1 keeps the newest run only"


def test_a_late_session_restates_its_past_week_once(watched: Watched) -> None:
    first, second = (run.run_id for run in watched.runs)
    restated = _rows(
        watched.dsn,
        "select grain, period_start::text, old_value, new_value, published_run_id,"
        " restated_by_run_id from marts.metric_restatements"
        " where metric = 'sessions' and dimension is null order by grain, period_start",
    )
    assert ("week", "2025-02-24", 1.0, 2.0, first, second) in restated
    # the first session is of Saturday 2025-03-01: February's first value is the late one
    assert ("month", "2025-02-01", None, 1.0, None, second) in restated
    assert not [row for row in restated if row[:2] == ("month", "2025-03-01")], "March unmoved"
    assert ("day", "2025-02-27", None, 1.0, None, second) in restated, "a new value of a past day"
    assert "restated:" in watched.second.output and "sessions:" in watched.second.output
    assert "restated" not in watched.first.output, "nothing was published before the first run"


def test_the_api_lists_restatements_with_units_and_one_sentence_errors(
    watched: Watched,
) -> None:
    class _Pool:
        def connection(self) -> Any:
            return psycopg.connect(watched.dsn)

        def close(self) -> None:
            pass

    client = TestClient(create_app(_Pool(), login="test"))
    body = client.get("/api/analytics/restatements", params={"metric": "sessions"}).json()
    weeks = [item for item in body["items"] if item["grain"] == "week"]
    assert weeks and weeks[0]["old_value"] == 1.0 and weeks[0]["new_value"] == 2.0
    assert weeks[0]["unit"] == "count" and body["total"] >= 3
    bad = client.get("/api/analytics/restatements", params={"grain": "year"})
    assert bad.status_code == 400 and "grain" in bad.json()["detail"]
    unknown = client.get("/api/analytics/restatements", params={"metric": "no_such_metric"})
    assert unknown.status_code == 404 and "no_such_metric" in unknown.json()["detail"]
    schema = client.get("/openapi.json").json()
    assert "/api/analytics/restatements" in schema["paths"]


def test_a_night_far_below_its_history_is_an_anomaly_check_row_and_alert(
    watched: Watched,
) -> None:
    second = watched.runs[1]
    rows = _rows(
        watched.dsn,
        "select subject, measure, value, expected, severity, run_id from watch.anomalies",
    )
    # tonight's night holds both refreshes' loads: the first session and the late one
    assert ("raw.orchestration_sessions", "rows", 2.0, 1000.0, "warn", second.run_id) in [
        (s, m, v, round(e), sev, r) for s, m, v, e, sev, r in rows
    ]
    with dg.DagsterInstance.from_config(str(watched.home / "dagster")) as instance:
        evaluations = [
            entry.dagster_event.event_specific_data
            for entry in instance.all_logs(
                second.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            )
            if entry.dagster_event is not None
        ]
        alerts = run_alerts(instance, instance.get_run_by_id(second.run_id))
    (check,) = [
        e for e in evaluations if e.check_name == "raw_orchestration_sessions_within_history"
    ]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "rows 2 on" in (check.description or "")
    assert any(a.kind == ANOMALY and "orchestration_sessions" in a.asset for a in alerts)
    assert second.status == dg.DagsterRunStatus.SUCCESS, "a warning does not stop the night"
    assert "anomaly:" in watched.second.output


def test_the_report_shows_the_nights_anomalies_and_restatements(watched: Watched) -> None:
    html = (watched.home / "reports" / "report.html").read_text()
    assert 'id="runs"' in html and 'id="watch"' in html
    assert "raw.orchestration_sessions" in html and "2025-02-24" in html
