"""The Dagster instance: its storage in Postgres, and loads of one table one at a time.

- Storage in Postgres (dagster-postgres), as the README tells production to configure it,
  against the embedded test Postgres (a unix socket: `params: {host: <socket directory>}`).
- The instance of `make dev` (orchestration_dagster/dagster.yaml) gives every pool one slot:
  a load of a raw table started by hand while the nightly run loads the same table waits for
  it, then loads nothing twice.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import psycopg
import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict

from core.settings import PROJECT_DIR
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from tests import databases
from tests.factories import record

pytestmark = pytest.mark.integration

DAGSTER_YAML = PROJECT_DIR / "orchestration_dagster" / "dagster.yaml"
FEEDBACK = dg.AssetKey(["raw", "dataforge", "user_feedback"])


def _feedback_asset() -> dg.AssetsDefinition:
    from orchestration_dagster.defs.ingest.assets import raw_assets

    return next(assets for assets in raw_assets if FEEDBACK in assets.keys)


def _land_feedback(landing: Path) -> None:
    (landing / "user_feedback").mkdir(parents=True, exist_ok=True)
    lines = [record("user_feedback"), record("user_feedback", id=str(uuid.UUID(int=7)))]
    (landing / "user_feedback" / "feedback.jsonl").write_bytes(
        b"".join(orjson.dumps(line) + b"\n" for line in lines)
    )


@pytest.fixture
def dagster_database(warehouse_dsn: str) -> Iterator[str]:
    """An empty database for Dagster's storage, on the same server as the warehouse."""
    dsn = databases.create(warehouse_dsn, "dagster")
    yield dsn
    databases.drop(warehouse_dsn, dsn)


def readme_storage() -> dict[str, Any]:
    """The `storage:` block the README gives for production."""
    readme = (PROJECT_DIR / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    storage = [yaml.safe_load(block) for block in blocks if block.startswith("storage:")]
    assert len(storage) == 1, "the README shows one storage configuration"
    return dict(storage[0]["storage"])


def test_dagster_keeps_runs_and_events_in_postgres(
    dagster_database: str,
    clean_warehouse: str,
    landing: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = conninfo_to_dict(dagster_database)
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = yaml.safe_load(DAGSTER_YAML.read_text())
    config["storage"] = readme_storage()
    database = config["storage"]["postgres"]["postgres_db"]
    # the README's values come from the environment, as in production
    monkeypatch.setenv("DAGSTER_PG_DB", params["dbname"])
    monkeypatch.setenv("DAGSTER_PG_USER", params.get("user", "postgres"))
    # the embedded server trusts its socket: any password is accepted
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", params.get("password") or "trusted-socket")
    # it listens on a unix socket, which libpq takes as a `host` parameter, not a hostname
    database["hostname"] = ""
    database["port"] = int(params.get("port") or 5432)
    database["params"] = {"host": params["host"]}
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    _land_feedback(landing)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize(
            [_feedback_asset()],
            resources={
                "warehouse": WarehouseResource(dsn=clean_warehouse, landing_dir=str(landing))
            },
            instance=instance,
        )
    assert result.success

    with dg.DagsterInstance.from_config(str(home)) as reopened:  # what the next process sees
        run = reopened.get_run_by_id(result.run_id)
        latest = reopened.get_latest_materialization_event(FEEDBACK)
    assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
    assert latest is not None and latest.run_id == result.run_id
    with psycopg.connect(dagster_database) as conn:
        stored = conn.execute(
            "select (select count(*) from runs), (select count(*) from event_logs)"
        ).fetchone()
    assert stored is not None and stored[0] == 1 and stored[1] > 0


def test_a_load_started_by_hand_waits_for_the_nightly_load_of_the_table_then_loads_nothing_twice(
    clean_warehouse: str, landing: Path, tmp_path: Path
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML.read_text())
    _land_feedback(landing)
    warehouse = WarehouseResource(dsn=clean_warehouse, landing_dir=str(landing))
    instance = dg.DagsterInstance.from_config(str(home))
    nightly_id, by_hand_id = "nightly", "by hand"
    results: dict[str, dg.ExecuteInProcessResult] = {}

    def load(label: str) -> None:
        results[label] = dg.materialize(
            [_feedback_asset()],
            resources={"warehouse": warehouse},
            instance=instance,
            tags={"forge/test": label},
        )

    def step_started(label: str) -> bool:
        records = instance.get_run_records(dg.RunsFilter(tags={"forge/test": label}))
        return bool(records) and bool(
            instance.all_logs(records[0].dagster_run.run_id, of_type=dg.DagsterEventType.STEP_START)
        )

    def waiting_for_the_lock(conn: psycopg.Connection[tuple[Any, ...]]) -> bool:
        row = conn.execute(
            "select count(*) from pg_locks where locktype = 'advisory' and not granted"
            " and database = (select oid from pg_database where datname = current_database())"
        ).fetchone()
        return bool(row and row[0])

    # the nightly load holds the table: it waits inside its batch on the table's load lock
    with psycopg.connect(clean_warehouse, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(hashtext('forge.raw.user_feedback'))")
        nightly = threading.Thread(target=load, args=(nightly_id,))
        nightly.start()
        # it is inside its batch when Postgres shows it waiting for the table's load lock
        deadline = time.monotonic() + 60
        while not waiting_for_the_lock(holder) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert waiting_for_the_lock(holder), "the nightly load did not reach its batch"
        by_hand = threading.Thread(target=load, args=(by_hand_id,))
        by_hand.start()
        time.sleep(3)
        assert not step_started(by_hand_id), "the second load waits for the pool's one slot"
        holder.execute("select pg_advisory_unlock(hashtext('forge.raw.user_feedback'))")
    nightly.join(timeout=120)
    by_hand.join(timeout=120)

    assert results[nightly_id].success and results[by_hand_id].success
    first = results[nightly_id].get_asset_materialization_events()[0].materialization.metadata
    second = results[by_hand_id].get_asset_materialization_events()[0].materialization.metadata
    assert first["rows_loaded"].value == 2
    assert (second["rows_loaded"].value, second["files_already_loaded"].value) == (0, 1)
    with psycopg.connect(clean_warehouse) as conn:
        rows = conn.execute("select count(*) from raw.user_feedback").fetchone()
        batches = conn.execute("select count(*) from audit.loads").fetchone()
    assert (rows, batches) == ((2,), (1,)), "nothing loaded twice"
    waited = [
        entry.user_message
        for entry in instance.all_logs(results[by_hand_id].run_id)
        if "forge_raw_user_feedback" in entry.user_message
    ]
    assert waited, "the wait is in the run's log, naming the pool"
