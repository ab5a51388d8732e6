"""The landing sensor against a real warehouse: new files start one load of only those files and
a build of what they feed; files audit.loads shows loaded before never start a run, even for a
sensor whose cursor is new (a fresh `make dev` instance, a lost cursor)."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

import dagster as dg
import orjson
import pytest

from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.lib.names import REFRESH_TAG
from tests.factories import record

pytestmark = pytest.mark.integration

FEEDBACK = dg.AssetKey(["raw", "dataforge", "user_feedback"])
UNREACHABLE_DSN = "postgresql://x:y@127.0.0.1:1/none"


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from orchestration_dagster.definitions import defs

    return defs


def _land(landing: Path, entity: str, name: str, lines: int = 1, age_s: float = 120) -> Path:
    path = landing / entity / name
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [record(entity, id=str(uuid.uuid4())) for _ in range(lines)]  # dataforge ids: uuids
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    moment = dt.datetime.now().timestamp() - age_s
    os.utime(path, (moment, moment))
    return path


def _evaluate(
    defs: dg.Definitions, landing: Path, dsn: str, cursor: str | None
) -> dg.SensorExecutionData:
    sensor = defs.get_repository_def().get_sensor_def("landing_files_sensor")
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        cursor=cursor,
        definitions=defs,
        resources={"warehouse": WarehouseResource(dsn=dsn, landing_dir=str(landing))},
    )
    return sensor.evaluate_tick(context)


def test_landing_sensor_starts_one_load_of_only_the_new_files_and_what_they_feed(
    defs: dg.Definitions, clean_warehouse: str, landing: Path
) -> None:
    feedback = _land(landing, "user_feedback", "a.jsonl")
    outcomes = _land(landing, "project_outcomes", "a.jsonl")
    _land(landing, "project_outcomes", "b.jsonl", age_s=1)  # still being written

    first = _evaluate(defs, landing, clean_warehouse, None)

    assert first.run_requests is not None and len(first.run_requests) == 1
    request = first.run_requests[0]
    ops = request.run_config["ops"]
    assert ops["raw__dataforge__user_feedback"]["config"]["files"] == [str(feedback.resolve())]
    assert ops["raw__dataforge__project_outcomes"]["config"]["files"] == [str(outcomes.resolve())]
    selected = {key.to_user_string() for key in request.asset_selection or []}
    assert {"raw/dataforge/user_feedback", "raw/dataforge/project_outcomes"} <= selected
    assert "staging/stg_dataforge__user_feedback" in selected
    assert "marts/pattern_analytics" in selected
    assert not any(key.startswith("raw/prompt_runner") for key in selected)
    assert not any(key.startswith("staging/stg_prompt_runner") for key in selected)
    checks = {key.name for key in request.asset_check_keys or []}
    assert "raw_user_feedback_reject_rate_below_threshold" in checks
    assert request.tags[REFRESH_TAG] == "landing"
    assert request.partition_key is None
    assert request.run_key and request.run_key.startswith("landing-")

    # the same files never trigger twice; the settled one does, alone
    os.utime(landing / "project_outcomes" / "b.jsonl", (1, dt.datetime.now().timestamp() - 60))
    second = _evaluate(defs, landing, clean_warehouse, first.cursor)
    assert second.run_requests is not None and len(second.run_requests) == 1
    assert list(second.run_requests[0].run_config["ops"]) == ["raw__dataforge__project_outcomes"]
    third = _evaluate(defs, landing, clean_warehouse, second.cursor)
    assert not third.run_requests
    assert third.skip_message and "no new files" in third.skip_message

    # a file whose content changed is a new delivery
    _land(landing, "user_feedback", "a.jsonl", lines=3)
    fourth = _evaluate(defs, landing, clean_warehouse, third.cursor)
    assert fourth.run_requests is not None and len(fourth.run_requests) == 1
    assert fourth.run_requests[0].run_key != request.run_key


def test_a_fresh_cursor_never_relaunches_files_audit_loads_shows_loaded(
    defs: dg.Definitions, clean_warehouse: str, landing: Path
) -> None:
    """What `make dev` after `make demo` met: every landing file looked new to a new sensor."""
    _land(landing, "user_feedback", "a.jsonl")
    _land(landing, "user_feedback", "b.jsonl")
    from orchestration_dagster.defs.ingest.assets import raw_assets

    loaded = dg.materialize(
        [next(assets for assets in raw_assets if FEEDBACK in assets.keys)],
        resources={"warehouse": WarehouseResource(dsn=clean_warehouse, landing_dir=str(landing))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert loaded.success

    fresh = _evaluate(defs, landing, clean_warehouse, None)

    assert not fresh.run_requests
    assert fresh.skip_message and "loaded before (audit.loads)" in fresh.skip_message
    assert len(json.loads(fresh.cursor or "{}")) == 2, "both remembered, not asked about again"

    # the same name with new content is a new delivery: it loads
    changed = _land(landing, "user_feedback", "b.jsonl", lines=2)
    again = _evaluate(defs, landing, clean_warehouse, None)
    assert again.run_requests is not None and len(again.run_requests) == 1
    files = again.run_requests[0].run_config["ops"]["raw__dataforge__user_feedback"]["config"]
    assert files["files"] == [str(changed.resolve())]


def test_an_unreachable_warehouse_starts_nothing_and_keeps_the_files_for_next_time(
    defs: dg.Definitions, landing: Path
) -> None:
    _land(landing, "user_feedback", "a.jsonl")

    result = _evaluate(defs, landing, UNREACHABLE_DSN, None)

    assert not result.run_requests
    assert result.skip_message and "cannot check audit.loads" in result.skip_message
    assert result.cursor is None, "the files are looked at again on the next evaluation"
