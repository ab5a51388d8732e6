"""The semantic layer (MetricFlow over the marts) against a real build, through `mf`, its engine,
and every consumer of the metrics.

On the analytics tests' warehouse (one dirty synthetic source, built once per test session),
the dbt project is copied and parsed for that database, as an analyst's `dbt parse` would: the
semantic manifest names the database it was parsed against. Then `mf validate-configs` must pass
(the CI check), `mf query` must answer the issue's example as the feedback facts say, and
`metric_values` must equal what MetricFlow's engine returns for every trend metric, grain and
dimension: value, numerator, denominator and sample size. One definition serves every consumer:
for each trend metric and grain, in total and by a dimension, the trends endpoint, the report's
series and MetricFlow give the same numbers. `forge-warehouse metrics` answers as the engine does,
with no network and no environment set by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from cli.app import main
from core import dbt_parse_state
from core.db import dbt_env
from core.settings import PROJECT_DIR, get_settings
from tests.built import Built
from tests.dbt import run_dbt
from tests.logins import login

pytestmark = pytest.mark.integration

DBT_DIR = PROJECT_DIR / "dbt_project"
BIN = Path(sys.executable).parent
GRAINS = ("day", "week", "month")
# mf validate-configs against the warehouse; measured ~20 s on 2 shared cores
VALIDATE_TIMEOUT_SECONDS = 300
LOG = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING) ")  # core/logging.py


@dataclass(frozen=True)
class SemanticProject:
    """A copy of the dbt project parsed for the test database, and the environment to run it."""

    path: Path
    env: dict[str, str]
    dsn: str

    def semantic_manifest(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(
            (self.path / "target" / "semantic_manifest.json").read_text(encoding="utf-8")
        )
        return loaded

    def trend_metrics(self) -> dict[str, dict[str, Any]]:
        """metric name -> its `trend` block (numerator, denominator, sample_size, dimensions)."""
        return {
            metric["name"]: metric["config"]["meta"]["trend"]
            for metric in self.semantic_manifest()["metrics"]
            if ((metric.get("config") or {}).get("meta") or {}).get("trend") is not None
        }


@pytest.fixture(scope="module")
def project(built: Built, tmp_path_factory: pytest.TempPathFactory) -> SemanticProject:
    """The dbt project copied and parsed for the test database (as `dbt parse` would for an
    analyst): `mf` reads target/semantic_manifest.json under the project, never elsewhere."""
    path = tmp_path_factory.mktemp("semantic") / "dbt_project"
    shutil.copytree(DBT_DIR, path, ignore=shutil.ignore_patterns("target", "logs"))
    env = {**os.environ, **dbt_env(built.dsn), "DBT_PROFILES_DIR": str(path)}
    env.pop("DBT_TARGET_PATH", None)
    # from the parse state the build of this warehouse kept (as analytics/semantic_layer.py
    # does): dbt takes a state from another copy of the project, so only what changed is parsed
    dbt_parse_state.offer(
        dbt_parse_state.state_file(DBT_DIR / "target", built.dsn, {}), path / "target"
    )
    run_dbt(["parse", "--quiet"], dsn=built.dsn, target=None, project_dir=path)
    return SemanticProject(path, env, built.dsn)


def _rows(dsn: str, query: str, params: Any = None) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        conn.execute("set timezone = 'UTC'")
        return conn.execute(query, params).fetchall()


def _close(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-9)


def _period(value: Any) -> dt.date:
    """MetricFlow's metric_time (a datetime, or ISO text in CSV) as the date it starts."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def test_mf_validate_configs_passes_against_the_warehouse(project: SemanticProject) -> None:
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "mf"), "validate-configs"],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=VALIDATE_TIMEOUT_SECONDS,
        check=False,
    )
    elapsed = time.perf_counter() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # the semantic checks and the five warehouse checks each report no error
    assert output.count("(ERRORS: 0,") == 6, output[-4000:]
    print(f"mf validate-configs: {elapsed:.1f} s")


def test_mf_query_gives_nps_by_pattern_and_month_as_the_feedback_says(
    project: SemanticProject, tmp_path: Path
) -> None:
    out = tmp_path / "nps.csv"
    result = subprocess.run(
        [
            str(BIN / "mf"),
            "query",
            "--metrics",
            "nps",
            "--group-by",
            "pattern__pattern_id,metric_time__month",
            "--csv",
            str(out),
        ],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=VALIDATE_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    with out.open(newline="", encoding="utf-8") as handle:
        answered = {
            (row["pattern__pattern_id"] or None, _period(row["metric_time__month"])): (
                float(row["nps"]) if row["nps"] != "" else None
            )
            for row in csv.DictReader(handle)
        }

    # NPS from the feedback facts, computed here: % promoters (9-10) - % detractors (1-6)
    counts: dict[tuple[str | None, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in _rows(
        project.dsn,
        "select pattern_id, submitted_date, likelihood_to_reuse from marts.fct_feedback",
    ):
        # every month and pattern with feedback has a row, scored or not
        entry = counts[(row["pattern_id"], row["submitted_date"].replace(day=1))]
        score = row["likelihood_to_reuse"]
        if score is not None:
            entry[0] += 1
            entry[1] += score >= 9
            entry[2] += score <= 6
    expected = {
        key: (100.0 * (promoters - detractors) / scored if scored else None)
        for key, (scored, promoters, detractors) in counts.items()
    }

    assert set(answered) == set(expected)
    assert len(expected) >= 10, "too little feedback to compare"
    for key, value in expected.items():
        assert _close(answered[key], value), (key, answered[key], value)


@pytest.fixture(scope="module")
def engine(project: SemanticProject) -> Iterator[Any]:
    """MetricFlow's engine in this process, on the copied project, as `mf` builds it."""
    from dbt_metricflow.cli.cli_configuration import CLIConfiguration
    from metricflow.engine.metricflow_engine import MetricFlowEngine
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    with pytest.MonkeyPatch.context() as patch:
        for name, value in dbt_env(project.dsn).items():
            patch.setenv(name, value)
        config = CLIConfiguration()
        config.setup(
            dbt_profiles_path=project.path,
            dbt_project_path=project.path,
            configure_file_logging=False,
        )
        lookup = SemanticManifestLookup(config.dbt_artifacts.semantic_manifest)
        yield MetricFlowEngine(semantic_manifest_lookup=lookup, sql_client=config.sql_client)
        config.sql_client.close()


def _engine_rows(
    engine: Any, metrics: list[str], group_by: list[str]
) -> tuple[list[dict[str, Any]], float]:
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    started = time.perf_counter()
    result = engine.query(
        MetricFlowQueryRequest.create(metric_names=metrics, group_by_names=group_by)
    )
    elapsed = time.perf_counter() - started
    table = result.result_df
    names = [name.lower() for name in table.column_names]
    return [dict(zip(names, row, strict=True)) for row in table.rows], elapsed


@pytest.mark.parametrize("grain", GRAINS)
def test_metric_values_equal_metricflow_for_every_metric_and_dimension(
    project: SemanticProject, engine: Any, grain: str
) -> None:
    trends = project.trend_metrics()
    assert len(trends) >= 14
    mart: dict[tuple[str, str | None], dict[tuple[dt.date, str | None], dict[str, Any]]] = (
        defaultdict(dict)
    )
    for row in _rows(project.dsn, "select * from marts.metric_values where grain = %s", (grain,)):
        mart[(row["metric"], row["dimension"])][(row["period_start"], row["dimension_value"])] = row

    timings = []
    compared = 0
    for metric, trend in sorted(trends.items()):
        parts = {
            "numerator": trend.get("numerator"),
            "denominator": trend.get("denominator"),
            "sample_size": trend.get("sample_size"),
        }
        asked = sorted({metric, *(name for name in parts.values() if name)})
        for dimension, group_by in [(None, None), *sorted(trend["dimensions"].items())]:
            time_column = f"metric_time__{grain}"
            rows, elapsed = _engine_rows(
                engine, asked, [time_column, *([group_by] if group_by else [])]
            )
            timings.append(elapsed)
            from_engine = {
                (_period(row[time_column]), row[group_by] if group_by else None): row
                for row in rows
            }
            from_mart = mart.get((metric, dimension), {})
            where = f"{metric} by {dimension or 'nothing'} per {grain}"
            assert from_engine, f"MetricFlow has no rows for {where}"
            assert set(from_mart) == set(from_engine), where
            for key, expected in from_engine.items():
                row = from_mart[key]
                assert _close(row["value"], expected[metric]), (where, key, row, expected)
                for column, name in parts.items():
                    engine_value = expected[name] if name else None
                    if column == "sample_size":
                        engine_value = engine_value or 0
                    assert _close(row[column], engine_value), (where, key, column, row, expected)
                compared += 1
            mart.pop((metric, dimension), None)
    assert not mart, f"metric_values has rows the semantic layer does not define: {list(mart)}"
    timings.sort()
    print(
        f"{grain}: {compared} values equal in {len(timings)} engine queries; "
        f"median {timings[len(timings) // 2] * 1000:.0f} ms, max {timings[-1] * 1000:.0f} ms"
    )


def test_dim_metrics_lists_the_semantic_layer_metrics(project: SemanticProject) -> None:
    manifest = {metric["name"]: metric for metric in project.semantic_manifest()["metrics"]}
    rows = {row["metric"]: row for row in _rows(project.dsn, "select * from marts.dim_metrics")}

    assert set(rows) == set(manifest)
    trends = project.trend_metrics()
    for name, row in rows.items():
        assert row["label"] == manifest[name]["label"]
        assert row["is_trend"] == (name in trends)
        if name in trends:
            assert row["semantic_layer_group_by"] == trends[name]["dimensions"]
            assert row["trend_dimensions"] == sorted(trends[name]["dimensions"])
    # the metrics, under the names the API and `mf query` take
    assert {
        "satisfaction",
        "nps",
        "build_success_rate",
        "sessions",
        "session_success_rate",
        "tokens",
        "event_error_rate",
        "template_success_rate",
        "phase_duration_p50_seconds",
        "phase_duration_p95_seconds",
        "llm_cost_usd",
        "cost_per_session_usd",
        "cost_per_successful_session_usd",
        "cost_per_successful_template_use_usd",
    } <= set(trends)


# ------------------------------------------------------- one definition, every consumer agrees
# enough whole periods before as_of (2025-12-08) to hold the generator's 90 days of activity
SPANS = {"day": 120, "week": 20, "month": 6}
# the API's rounding per unit, as the analyst guide states it (None: whole counts, unrounded)
DECIMALS = {
    "fraction": 4,
    "mean_1_to_5": 2,
    "score_minus_100_to_100": 2,
    "usd": 6,
    "seconds": 2,
    "count": None,
    "tokens": None,
}


@pytest.fixture(scope="module")
def api(built: Built) -> Iterator[Any]:
    """The analytics API in this process (FastAPI's TestClient), reading as a real BI login."""
    import warnings

    from analytics.api.app import create_app
    from analytics.api.pool import ApiPool

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's TestClient asks for httpx2
        from fastapi.testclient import TestClient

    with login(built.dsn) as (name, dsn), TestClient(create_app(ApiPool(dsn, 2), login=name)) as c:
        yield c


def _rounded(value: Any, unit: str) -> float | None:
    if value is None:
        return None
    decimals = DECIMALS[unit]
    return float(value) if decimals is None else round(float(value), decimals)


def _cases(project: SemanticProject) -> list[tuple[str, str, str | None]]:
    """(metric, grain, dimension): each trend metric per grain in total, and by its first
    dimension (the pattern, the phase or the template type, whichever it has)."""
    cases: list[tuple[str, str, str | None]] = []
    for metric, trend in sorted(project.trend_metrics().items()):
        dimensions = sorted(trend["dimensions"])
        for grain in GRAINS:
            cases.append((metric, grain, None))
            if dimensions:
                cases.append((metric, grain, dimensions[0]))
    return cases


def test_the_api_the_reports_series_and_metricflow_agree_for_every_trend_metric(
    project: SemanticProject, engine: Any, api: Any
) -> None:
    from analytics.metrics import Dimension, Grain, Metric
    from analytics.periods import Span
    from analytics.report.data import report_trend
    from analytics.timestamps import register_lenient_timestamps

    units = {
        row["metric"]: row["unit"]
        for row in _rows(project.dsn, "select metric, unit from marts.dim_metrics")
    }
    trends = project.trend_metrics()
    cases = _cases(project)
    assert len(cases) >= 15 * 3 + 10 * 3  # every metric per grain, and 10 metrics by dimension
    compared = 0
    with psycopg.connect(project.dsn) as conn:
        register_lenient_timestamps(conn)
        conn.execute("set timezone = 'UTC'")
        for metric, grain, dimension in cases:
            where = f"{metric} by {dimension or 'nothing'} per {grain}"
            trend = trends[metric]
            group_by = trend["dimensions"][dimension] if dimension else None
            # the API
            query = f"metric={metric}&grain={grain}&periods={SPANS[grain]}"
            response = api.get(
                f"/api/analytics/trends?{query}" + (f"&dimension={dimension}" if dimension else "")
            )
            assert response.status_code == 200, (where, response.text)
            body = response.json()
            series = {(None, False): body["points"]} | {
                (item["dimension_value"], True): item["points"] for item in body["series"]
            }
            # the report's series: the report's own function, on the warehouse's login
            drawn = report_trend(
                conn,
                Metric(metric),
                Span(Grain(grain), SPANS[grain]),
                dimension=Dimension(dimension) if dimension else None,
            )
            assert drawn is not None, where
            drawn_series = {(None, False): drawn.total.points} | {
                (item.dimension_value, True): item.points for item in drawn.splits
            }
            assert set(drawn_series) == set(series), where
            # MetricFlow
            parts = [trend.get("numerator"), trend.get("denominator")]
            asked = sorted({metric, *(name for name in parts if name)})
            time_column = f"metric_time__{grain}"
            rows, _ = _engine_rows(engine, asked, [time_column, *([group_by] if group_by else [])])
            from_engine: dict[tuple[str | None, bool], dict[str, Any]] = defaultdict(dict)
            for row in rows:
                key = (row[group_by], True) if group_by else (None, False)
                from_engine[key][f"{_period(row[time_column])}"] = row
            if dimension:
                totals, _ = _engine_rows(engine, asked, [time_column])
                for row in totals:
                    from_engine[(None, False)][f"{_period(row[time_column])}"] = row
            window = {point["start_date"] for point in body["points"]}
            in_window = {key for key, found in from_engine.items() if set(found) & window}
            assert in_window == set(series), (where, sorted(map(str, in_window ^ set(series))))
            for key, points in series.items():
                assert [point["start_date"] for point in points] == sorted(window), where
                for point, drawn_point in zip(points, drawn_series[key], strict=True):
                    expected = from_engine[key].get(point["start_date"])
                    # the report shows what the API answers
                    assert drawn_point.value == point["value"], (where, key, point)
                    assert drawn_point.sums.sample_size == point["sample_size"], (where, point)
                    if expected is None:  # no activity: 0 for a sum, no value otherwise
                        empty = 0.0 if trend.get("denominator") is None and parts[0] else None
                        assert point["value"] == empty and point["sample_size"] == 0, (where, point)
                        continue
                    assert point["value"] == _rounded(expected[metric], units[metric]), (
                        where,
                        key,
                        point,
                        expected,
                    )
                    for column, name in zip(("numerator", "denominator"), parts, strict=True):
                        engine_value = expected[name] if name else None
                        assert _close(point[column], engine_value), (where, column, point, expected)
                    compared += 1
    assert compared > 1000
    print(f"{len(cases)} trends, {compared} periods equal in the API, the report and MetricFlow")


# --------------------------------------------------------------- forge-warehouse metrics ...
# Loaded first by the CLI's Python (sitecustomize): any connection or name lookup from Python
# (an update check, telemetry) is refused and written down. The warehouse's own connections go
# through libpq (C), which this does not touch.
NO_NETWORK = """
import os
import socket

_LOG = os.environ["FORGE_TEST_NETWORK_LOG"]
_connect = socket.socket.connect


def _refuse(what):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(repr(what) + "\\n")
    raise OSError("the test refuses network access: " + repr(what))


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _refuse(address)
    return _connect(self, address)


socket.socket.connect = _guarded_connect
socket.getaddrinfo = lambda *args, **kwargs: _refuse(args[:2])
"""


@dataclass(frozen=True)
class Offline:
    """Where the metrics commands run with the network refused, and what they tried."""

    pythonpath: Path
    log: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PYTHONPATH": f"{self.pythonpath}{os.pathsep}{PROJECT_DIR}",
            "FORGE_TEST_NETWORK_LOG": str(self.log),
        }
        for name in dbt_env("postgresql:///x"):  # nothing set by hand: the CLI sets them
            env.pop(name, None)
        return subprocess.run(
            [sys.executable, "-m", "cli", *args],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=VALIDATE_TIMEOUT_SECONDS,
            check=False,
        )

    def attempts(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []


@pytest.fixture(scope="module")
def offline(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Offline:
    folder = tmp_path_factory.mktemp("offline")
    (folder / "sitecustomize.py").write_text(NO_NETWORK, encoding="utf-8")
    return Offline(folder, folder / "network.log")


def test_metrics_query_answers_as_metricflow_does_offline_parsing_once_for_the_warehouse(
    offline: Offline, engine: Any, built: Built, tmp_path: Path
) -> None:
    out = tmp_path / "nps.csv"
    command = [
        "metrics",
        "query",
        "--metrics",
        "nps",
        "--group-by",
        "pattern__pattern_id,metric_time__month",
        "--order",
        "metric_time__month,pattern__pattern_id",
        "--csv",
        str(out),
    ]
    started = time.perf_counter()
    first = offline.run(*command)
    first_seconds = time.perf_counter() - started
    assert first.returncode == 0, first.stdout + first.stderr
    # this test database is new: no manifest was parsed for it yet
    assert "parsing the dbt project for the warehouse" in first.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        answered = [
            (row["metric_time__month"][:10], row["pattern__pattern_id"] or None, row["nps"])
            for row in csv.DictReader(handle)
        ]
    rows, _ = _engine_rows(engine, ["nps"], ["metric_time__month", "pattern__pattern_id"])
    expected = sorted(
        (f"{_period(row['metric_time__month'])}", row["pattern__pattern_id"], row["nps"])
        for row in rows
    )
    assert len(answered) == len(expected) >= 10
    assert [key[:2] for key in answered] == [key[:2] for key in expected]  # as ordered
    for (_, _, value), (_, _, engine_value) in zip(answered, expected, strict=True):
        assert _close(float(value) if value else None, engine_value)

    started = time.perf_counter()
    second = offline.run(*command)
    second_seconds = time.perf_counter() - started
    assert second.returncode == 0, second.stdout + second.stderr
    assert "parsing the dbt project" not in second.stderr  # current: not parsed again
    assert offline.attempts() == []
    print(f"metrics query: {first_seconds:.1f} s parsing first, then {second_seconds:.1f} s")


def test_metrics_validate_passes_offline(offline: Offline) -> None:
    result = offline.run("metrics", "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid: 6 MetricFlow checks, 0 errors" in result.stdout
    assert offline.attempts() == []


def test_metrics_list_shows_every_metric_of_the_semantic_layer(
    offline: Offline, project: SemanticProject
) -> None:
    result = offline.run("metrics", "list")
    assert result.returncode == 0, result.stdout + result.stderr
    names = {metric["name"] for metric in project.semantic_manifest()["metrics"]}
    listed = {line.split(" ")[0] for line in result.stdout.splitlines() if line[:1].isalpha()}
    assert names <= listed
    assert f"{len(names)} metrics." in result.stdout
    assert "nps (score_minus_100_to_100, derived); a trend, split by: pattern__pattern_id" in (
        result.stdout
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--metrics", "npx"], "MetricFlow cannot answer: npx: the given input does not"),
        (
            ["--metrics", "nps", "--group-by", "pattern__colour"],
            "did you mean pattern, pattern__pattern_id",
        ),
        # MetricFlow appends the traceback of the Jinja error it caught (seen 2026-12-07)
        (["--metrics", "nps", "--where", "garbage {{"], "parsing where filter: 'garbage {{'"),
    ],
)
def test_a_query_metricflow_refuses_is_one_sentence_with_its_suggestions(
    built: Built, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    # the entry point in this process (MetricFlow imported once); the tests above run it as a
    # command, with the network refused
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["metrics", "query", *args])
    finally:
        get_settings.cache_clear()
    captured = capsys.readouterr()
    assert exit_info.value.code == 1, captured.out + captured.err
    # stderr: the log's progress lines (the first query parses the project), then the sentence
    lines = [line for line in captured.err.splitlines() if line.strip() and not LOG.match(line)]
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.out + captured.err
    assert captured.out == "", "the sentence is on stderr, never taken for the query's rows"
    assert says in lines[0] and len(lines[0]) < 500
    assert "Traceback" not in captured.out + captured.err
