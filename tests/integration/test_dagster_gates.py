"""Gates, retries, re-execution and backfills: the code location's dbt machinery, night by night.

Real dbt and a real Postgres, with a small dbt project written here (two staging views, one
with an error-level and a warn-level test and a mart on it, and an incremental model that reads
the `reprocess_from`/`reprocess_to` vars), built by the same `build_dbt_assets` as the real
project and fed by the real raw asset of user_feedback:

1. "Yesterday": the database fails once with a serialization failure while raw loads, and once
   with a deadlock while dbt builds the mart. Both steps are retried after a pause; the dbt
   retry builds only the mart, not the staging models it had built. A warn-level test fails and
   shows as a warning; the run succeeds.
2. "Tonight": a bad row reaches raw. The error-level test on staging fails; dbt does not
   rebuild the mart, which keeps yesterday's rows; the step fails without retrying; the alert
   (to a real local HTTP server) names the asset, the test and the mart left as it was.
3. The row is fixed and the run is re-executed from failure: the failed dbt step runs again,
   but builds only the staging model whose test failed and the mart, not the other staging
   model it had built (the UI's "From asset failure" would pick the same two).
4. A run for two past days of the event model (its config's reprocess_from/reprocess_to, as
   the launchpad sets them) rebuilds exactly those days, in that one run (the model's first
   build: the lookback path is dbt's, tested with dbt).

The real project's nightly is tests/integration/test_nightly_refresh_job.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import psycopg
import pytest
from dagster_dbt import DbtProject

from core.migrations import migrate
from core.settings import PROJECT_DIR
from orchestration_dagster.defs.alerts.resources import AlertResource
from orchestration_dagster.lib.alerts import BLOCKING_CHECK_FAILED
from orchestration_dagster.lib.names import REFRESH_TAG
from orchestration_dagster.lib.test_scope import scope_vars
from tests import databases
from tests.dbt import DBT, run_dbt
from tests.factories import record

pytestmark = pytest.mark.integration

STAGING = dg.AssetKey(["staging", "stg_feedback"])
SOURCES = dg.AssetKey(["staging", "stg_feedback_sources"])
MART = dg.AssetKey(["marts", "mart_feedback"])
DAYS = dg.AssetKey(["marts", "fct_feedback_days"])
RAW = dg.AssetKey(["raw", "dataforge", "user_feedback"])
GATE = "accepted_values_stg_feedback_overall_satisfaction__False__1__2__3__4__5"
WARNING = "accepted_values_stg_feedback_feedback_source__modal__dashboard__email"
AS_OF = "2025-04-01T00:00:00Z"

PROJECT_FILES = {
    "dbt_project.yml": """
name: forge_gates
version: "1.0.0"
profile: forge_warehouse
model-paths: ["models"]
macro-paths: ["macros"]
flags:
  send_anonymous_usage_stats: false
vars:
  as_of: null
  reprocess_from: null
  reprocess_to: null
models:
  forge_gates:
    staging:
      +materialized: view
      +schema: staging
    marts:
      +materialized: table
      +schema: marts
""",
    "models/staging/_sources.yml": """
sources:
  - name: dataforge
    schema: raw
    tables:
      - name: user_feedback
""",
    "models/staging/stg_feedback.sql": """
select id as feedback_id, project_outcome_id, overall_satisfaction, feedback_source,
    submitted_at
from {{ source('dataforge', 'user_feedback') }}
""",
    "models/staging/stg_feedback_sources.sql": """
select feedback_source, count(*) as feedbacks
from {{ source('dataforge', 'user_feedback') }}
group by 1
""",
    "models/staging/stg_feedback.yml": """
models:
  - name: stg_feedback
    columns:
      - name: overall_satisfaction
        data_tests:
          - accepted_values:
              arguments:
                values: [1, 2, 3, 4, 5]
                quote: false
      - name: feedback_source
        data_tests:
          - accepted_values:
              arguments:
                values: ["modal", "dashboard", "email"]
              config:
                severity: warn
""",
    "models/marts/mart_feedback.sql": """
select project_outcome_id, count(*) as feedbacks, avg(overall_satisfaction) as satisfaction
from {{ ref('stg_feedback') }}
group by 1
""",
    "models/marts/fct_feedback_days.sql": """
{{ config(materialized='incremental', unique_key='day') }}
{%- set start, end = var('reprocess_from'), var('reprocess_to') %}
select
    submitted_at::date as day,
    count(*) as feedbacks,
    {{ "'" ~ start ~ "'" if start else 'null' }}::date as reprocessed_from,
    {{ "'" ~ end ~ "'" if end else 'null' }}::date as reprocessed_to
from {{ ref('stg_feedback') }}
{% if start -%}
where submitted_at >= '{{ start }}'::date and submitted_at < '{{ end }}'::date
{%- endif %}
group by 1
""",
}


# --- fixtures: a database of our own, the small project, its definitions, a webhook ----------


@pytest.fixture(scope="module")
def dsn(warehouse_dsn: str) -> Iterator[str]:
    """A migrated database for this module alone: its tests drop a constraint and add triggers."""
    own = databases.create(warehouse_dsn, "forge_gates")
    migrate(own, PROJECT_DIR / "sql" / "warehouse")
    yield own
    databases.drop(warehouse_dsn, own)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, dsn: str) -> DbtProject:
    """The small dbt project, with the real project's profile and schema naming, parsed."""
    root = tmp_path_factory.mktemp("dbt_gates")
    for name, text in PROJECT_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.lstrip())
    real = PROJECT_DIR / "dbt_project"
    (root / "profiles.yml").write_text((real / "profiles.yml").read_text())
    macro = real / "macros" / "schemas" / "generate_schema_name.sql"
    (root / "macros" / "generate_schema_name.sql").parent.mkdir(parents=True, exist_ok=True)
    (root / "macros" / "generate_schema_name.sql").write_text(macro.read_text())
    # parsed as a usual night will run it (profile and vars), so its dbt parses only what changed
    run_dbt(
        ["parse", "--quiet"],
        dsn=dsn,
        target=None,
        variables=scope_vars(every_row=False),
        project_dir=root,
    )
    return DbtProject(project_dir=root, profiles_dir=root)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gates") / "landing"
    (path / "user_feedback").mkdir(parents=True)
    return path


@pytest.fixture(scope="module")
def defs(project: DbtProject, dsn: str, landing: Path) -> dg.Definitions:
    from orchestration_dagster.defs.dbt.assets import build_dbt_assets
    from orchestration_dagster.defs.dbt.resources import DbtVarsResource, ForgeDbtCliResource
    from orchestration_dagster.defs.ingest.assets import raw_assets
    from orchestration_dagster.defs.ingest.resources import WarehouseResource

    dbt_defs = build_dbt_assets(json.loads(project.manifest_path.read_text()), project)
    raw = next(assets for assets in raw_assets if RAW in assets.keys)
    return dg.Definitions(
        assets=[raw, dbt_defs],
        jobs=[
            # as the schedule runs it; the event model has a run of its own (4.), to keep this
            # module's dbt runs few
            dg.define_asset_job(
                "nightly",
                selection=dg.AssetSelection.all() - dg.AssetSelection.assets(DAYS),
                tags={REFRESH_TAG: "nightly"},
            ),
            dg.define_asset_job("days", selection=dg.AssetSelection.assets(DAYS)),
        ],
        resources={
            "dbt": ForgeDbtCliResource(
                project_dir=str(project.project_dir),
                profiles_dir=str(project.profiles_dir),
                dbt_executable=str(DBT),
            ),
            "dbt_vars": DbtVarsResource(as_of=AS_OF),
            "warehouse": WarehouseResource(dsn=dsn, landing_dir=str(landing)),
        },
        executor=dg.in_process_executor,
    )


# --- the nights --------------------------------------------------------------------------


def _mart_rows(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select * from marts.mart_feedback order by 1").fetchall()


def _run(
    defs: dg.Definitions, instance: dg.DagsterInstance, job: str = "nightly", **options: Any
) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, raise_on_error=False, **options
    )


def _materialized(result: dg.ExecuteInProcessResult) -> list[dg.AssetKey]:
    return [event.asset_key for event in result.get_asset_materialization_events()]


def _step_events(result: dg.ExecuteInProcessResult, kind: str) -> list[str]:
    return [e.step_key or "" for e in result.all_events if e.event_type_value == kind]


_FAIL_ONCE = """
create sequence test_copy_failures;
create function test_serialization_failure_once() returns trigger language plpgsql as $$
begin
    if nextval('test_copy_failures') = 1 then
        raise exception 'could not serialize access due to concurrent update'
            using errcode = '40001';
    end if;
    return null;
end $$;
create trigger serialization_failure_once before insert on raw.user_feedback
for each statement execute function test_serialization_failure_once();

create sequence test_ddl_failures;
create function test_deadlock_once() returns event_trigger language plpgsql as $$
begin
    if current_query() ilike '%mart_feedback%' and nextval('test_ddl_failures') = 1 then
        raise exception 'deadlock detected' using errcode = '40P01';
    end if;
end $$;
create event trigger deadlock_once on ddl_command_start execute function test_deadlock_once();
"""


@pytest.fixture(scope="module")
def nights(defs: dg.Definitions, dsn: str, landing: Path) -> dict[str, Any]:
    """The runs, in order, on one instance; what the tests look at afterwards."""
    instance = dg.DagsterInstance.ephemeral()
    (landing / "user_feedback" / "feedback.jsonl").write_bytes(
        b"".join(
            orjson.dumps(line) + b"\n"
            for line in [
                record("user_feedback", submitted_at="2025-03-01T10:00:00Z"),
                # a source the warn-level test does not know
                record(
                    "user_feedback",
                    id="7a9c1e3f-5b7d-4f9a-8c2e-4f6a8c0e2a34",
                    feedback_source="sms",
                    submitted_at="2025-03-02T10:00:00Z",
                ),
            ]
        )
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(_FAIL_ONCE)
    yesterday = _run(defs, instance)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop event trigger deadlock_once")
        conn.execute("drop trigger serialization_failure_once on raw.user_feedback")
        failures = conn.execute(
            "select last_value from test_copy_failures union all "
            "select last_value from test_ddl_failures"
        ).fetchall()
    rows_yesterday = _mart_rows(dsn)

    # a row the loader would have rejected reaches raw (say, through an older loader)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "alter table raw.user_feedback drop constraint user_feedback_overall_satisfaction_check"
        )
        conn.execute(
            """
            insert into raw.user_feedback (
                id, project_outcome_id, overall_satisfaction, submitted_at, _load_id, _record_hash
            ) values (gen_random_uuid(), %s, 9, '2025-03-02T12:00:00Z', 'by-hand', '\\x01')
            """,
            (record("project_outcomes")["id"],),
        )
    tonight = _run(defs, instance)
    rows_tonight = _mart_rows(dsn)

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("delete from raw.user_feedback where _load_id = 'by-hand'")
    run = tonight.dagster_run
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id or "")
    # what the UI's "From asset failure" would re-execute
    to_rerun, _ = instance.run_domain.get_keys_to_reexecute(run.run_id, plan)
    # "From failure": the failed step again, as a run of the same group (the raw step, which
    # succeeded, is not run again)
    rerun = _run(
        defs,
        instance,
        asset_selection=[STAGING, SOURCES, MART],
        tags={
            "dagster/is_resume_retry": "true",
            "dagster/parent_run_id": run.run_id,
            "dagster/root_run_id": run.run_id,
        },
    )

    days = {"reprocess_from": "2025-03-01", "reprocess_to": "2025-03-03"}
    backfill = _run(
        defs, instance, job="days", run_config={"ops": {"forge_dbt_assets": {"config": days}}}
    )
    with psycopg.connect(dsn) as conn:
        days = conn.execute(
            "select day::text, feedbacks, reprocessed_from::text, reprocessed_to::text "
            "from marts.fct_feedback_days order by day"
        ).fetchall()

    return {
        "instance": instance,
        "yesterday": yesterday,
        "failures_injected": [int(value) for (value,) in failures],
        "rows_yesterday": rows_yesterday,
        "tonight": tonight,
        "rows_tonight": rows_tonight,
        "to_rerun": to_rerun,
        "rerun": rerun,
        "backfill": backfill,
        "days": days,
    }


# --- 1. yesterday: transient errors retried, a warning shown ---------------------------------


def test_transient_database_errors_are_retried_and_the_night_succeeds(
    nights: dict[str, Any], dsn: str
) -> None:
    result: dg.ExecuteInProcessResult = nights["yesterday"]

    assert result.success
    copies, ddl = nights["failures_injected"]
    assert copies == 2, "the load failed once, then went through"
    assert ddl >= 2, "dbt's DDL for the mart failed once, then went through"
    retried = _step_events(result, "STEP_UP_FOR_RETRY")
    assert "raw__dataforge__user_feedback" in retried
    assert "forge_dbt_assets" in retried
    with psycopg.connect(dsn) as conn:
        loaded = conn.execute("select count(*) from raw.user_feedback").fetchone()
        audits = conn.execute(
            "select count(*), sum(rows_loaded)::int from audit.loads where status = 'succeeded'"
        ).fetchone()
    assert loaded == (2,), "the retried load kept nothing of the failed attempt"
    assert audits == (1, 2)
    assert nights["rows_yesterday"], "the mart was built"


def test_the_dbt_retry_builds_only_what_failed_not_what_it_had_built(
    nights: dict[str, Any],
) -> None:
    result: dg.ExecuteInProcessResult = nights["yesterday"]
    materialized = _materialized(result)

    assert materialized.count(MART) == 1
    assert materialized.count(STAGING) == 1, "staging was not built again by the retry"
    assert materialized.count(SOURCES) == 1
    logs = nights["instance"].all_logs(result.run_id)
    notes = [entry.user_message for entry in logs if "earlier attempt" in entry.user_message]
    assert notes == [
        "built in an earlier attempt, not built again: "
        "staging/stg_feedback, staging/stg_feedback_sources"
    ]


def test_a_failed_warn_level_test_is_a_warning_that_blocks_nothing(
    nights: dict[str, Any],
) -> None:
    result: dg.ExecuteInProcessResult = nights["yesterday"]
    evaluations = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}

    warning = evaluations[WARNING]
    assert not warning.passed
    assert warning.severity == dg.AssetCheckSeverity.WARN
    assert not warning.blocking
    assert evaluations[GATE].passed and evaluations[GATE].blocking
    assert MART in _materialized(result)


# --- 2. tonight: an error-level test fails, the mart keeps yesterday's data ------------------


def test_a_failed_error_level_test_blocks_its_downstream_mart(nights: dict[str, Any]) -> None:
    result: dg.ExecuteInProcessResult = nights["tonight"]

    assert not result.success
    failed = {
        e.asset_check_key.name: e for e in result.get_asset_check_evaluations() if not e.passed
    }
    gate = failed[GATE]
    assert gate.asset_check_key.asset_key == STAGING
    assert gate.severity == dg.AssetCheckSeverity.ERROR and gate.blocking
    assert MART not in _materialized(result), "the mart was not rebuilt on top of the failure"
    assert nights["rows_tonight"] == nights["rows_yesterday"], "it keeps yesterday's rows"

    failure = next(event for event in result.all_events if event.is_step_failure)
    user = failure.step_failure_data.user_failure_data
    assert user is not None and user.description is not None
    assert f"dbt test {GATE} failed on staging/stg_feedback (1 rows)" in user.description
    assert "not rebuilt, keeping their previous data: marts/mart_feedback" in user.description
    assert not _step_events(result, "STEP_UP_FOR_RETRY"), "a failed test is never retried"


def test_the_blocking_check_alert_reaches_the_webhook_once_and_no_vague_run_alert(
    defs: dg.Definitions,
    nights: dict[str, Any],
    webhook: tuple[str, list[dict[str, Any]]],
) -> None:
    from orchestration_dagster.defs.alerts.sensors import run_failure_sensor

    url, received = webhook
    result: dg.ExecuteInProcessResult = nights["tonight"]
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_sensor",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=nights["instance"],
        dagster_run=result.dagster_run,
        resources={"alerts": AlertResource(webhook_url=url)},
    ).for_run_failure()

    run_failure_sensor(context)

    assert len(received) == 1, received
    alert = received[0]
    assert alert["kind"] == BLOCKING_CHECK_FAILED
    assert alert["asset"] == "staging/stg_feedback"
    assert GATE in alert["reason"] and "1 failing rows" in alert["reason"]
    assert "marts/mart_feedback" in alert["reason"]
    assert alert["run_id"] == result.run_id
    assert "://" not in alert["summary"]


# --- 3. fixed, re-executed from the asset failures -------------------------------------------


def test_re_execution_from_failure_runs_only_what_failed_and_what_is_downstream(
    nights: dict[str, Any],
) -> None:
    tonight: dg.ExecuteInProcessResult = nights["tonight"]
    rerun: dg.ExecuteInProcessResult = nights["rerun"]

    assert SOURCES in _materialized(tonight), "the other branch was built tonight"
    assert nights["to_rerun"] == {STAGING, MART}, "not the raw table, not the other branch"
    assert rerun.success
    assert sorted(_materialized(rerun)) == sorted([STAGING, MART])
    logs = nights["instance"].all_logs(rerun.run_id)
    notes = [entry.user_message for entry in logs if "earlier attempt" in entry.user_message]
    assert notes == ["built in an earlier attempt, not built again: staging/stg_feedback_sources"]
    passed = {e.asset_check_key.name for e in rerun.get_asset_check_evaluations() if e.passed}
    assert GATE in passed


# --- 4. a run for past days: one run, exactly those days ------------------------------------


def test_a_run_for_a_date_range_rebuilds_exactly_those_days_in_that_one_run(
    nights: dict[str, Any], defs: dg.Definitions
) -> None:
    backfill: dg.ExecuteInProcessResult = nights["backfill"]

    assert defs.resolve_assets_def(DAYS).partitions_def is None, "days are a run's config"
    assert backfill.success
    assert _materialized(backfill) == [DAYS], "the event model, once, in this one run"
    logs = nights["instance"].all_logs(backfill.run_id)
    assert any("rebuilding days 2025-03-01 to 2025-03-03" in e.user_message for e in logs)
    assert nights["days"] == [
        ("2025-03-01", 1, "2025-03-01", "2025-03-03"),
        ("2025-03-02", 1, "2025-03-01", "2025-03-03"),
    ]
