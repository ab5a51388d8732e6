"""The project's Dagster instance (orchestration_dagster/instance.py): what dagster.yaml makes is
Dagster's SQLite storage with kept connections; what one process writes there another sees, at
once for a process that watches the run (the webserver), and after it closes; a batch of events
(a run's planned events) is stored whole or not at all."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.events.log import EventLogEntry
from dagster_shared.check import CheckError

from core.exceptions import ForgeError
from core.settings import PROJECT_DIR
from orchestration_dagster.instance import ForgeDagsterInstance, KeptConnectionsEventLogStorage

DAGSTER_YAML = PROJECT_DIR / "orchestration_dagster" / "dagster.yaml"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "dagster.yaml").write_text(DAGSTER_YAML.read_text())
    return tmp_path


def message(run_id: str, text: str) -> EventLogEntry:
    return EventLogEntry(  # type: ignore[no-untyped-call]
        error_info=None,
        level=logging.INFO,
        user_message=text,
        run_id=run_id,
        timestamp=time.time(),
    )


def test_the_projects_instance_keeps_its_sqlite_files_where_dagster_does(home: Path) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance, ForgeDagsterInstance)
        assert isinstance(instance.event_log_storage, KeptConnectionsEventLogStorage)
        run_id = str(uuid.uuid4())
        instance.event_log_storage.store_event(message(run_id, "one"))
    assert (home / "history" / "runs" / f"{run_id}.db").exists()
    assert (home / "history" / "runs.db").exists()


def test_events_written_by_one_process_are_read_by_the_next(home: Path) -> None:
    run_ids = [str(uuid.uuid4()) for _ in range(12)]  # more runs than connections kept open
    with dg.DagsterInstance.from_config(str(home)) as writer:
        for number, run_id in enumerate(run_ids):
            for text in ("first", "second"):
                writer.event_log_storage.store_event(message(run_id, f"{text} of {number}"))
    with dg.DagsterInstance.from_config(str(home)) as reader:
        for number, run_id in enumerate(run_ids):
            logs = reader.all_logs(run_id)
            assert [log.user_message for log in logs] == [
                f"first of {number}",
                f"second of {number}",
            ]


def test_a_watcher_sees_each_event_as_it_is_written(home: Path) -> None:
    """The webserver follows a running run through its database file changing; a connection
    kept open must not hold the run's events back until it closes."""
    run_id = str(uuid.uuid4())
    seen: list[str] = []
    arrived = threading.Event()

    def on_event(event: EventLogEntry, _cursor: str) -> None:
        seen.append(event.user_message)
        arrived.set()

    with (
        dg.DagsterInstance.from_config(str(home)) as runner,
        dg.DagsterInstance.from_config(str(home)) as webserver,
    ):
        runner.event_log_storage.store_event(message(run_id, "started"))
        webserver.event_log_storage.watch(run_id, None, on_event)
        try:
            for text in ("step one", "step two"):
                arrived.clear()
                runner.event_log_storage.store_event(message(run_id, text))
                assert arrived.wait(timeout=10), f"the watcher did not see {text!r}"
        finally:
            webserver.event_log_storage.end_watch(run_id, on_event)
    assert seen[-1] == "step two"


def test_a_batch_is_stored_whole_or_not_at_all(home: Path) -> None:
    run_id = str(uuid.uuid4())
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        storage.store_event_batch([message(run_id, f"planned {n}") for n in range(3)])
        assert [log.user_message for log in instance.all_logs(run_id)] == [
            "planned 0",
            "planned 1",
            "planned 2",
        ]
        broken = [message(run_id, "fourth"), "not an event", message(run_id, "sixth")]
        with pytest.raises(CheckError):
            storage.store_event_batch(broken)  # type: ignore[arg-type]
        assert len(instance.all_logs(run_id)) == 3
        storage.store_event(message(run_id, "after"))  # the storage goes on after a failed batch
        assert instance.all_logs(run_id)[-1].user_message == "after"


def test_a_runs_planned_checks_are_written_as_one_batch_and_evaluated(home: Path) -> None:
    @dg.asset(check_specs=[dg.AssetCheckSpec(name=f"check_{n}", asset="counted") for n in range(5)])
    def counted() -> Iterator[dg.MaterializeResult[Any] | dg.AssetCheckResult]:
        yield dg.MaterializeResult()
        for n in range(5):
            yield dg.AssetCheckResult(check_name=f"check_{n}", passed=True)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        stored: list[int] = []
        storage = instance.event_log_storage
        original = storage.store_event_batch

        def counting(events: Any) -> None:
            stored.append(len(events))
            original(events)

        storage.store_event_batch = counting  # type: ignore[method-assign]
        result = dg.materialize([counted], instance=instance)
        assert result.success
        assert stored == [6]  # the asset's planned materialization and its five checks
        planned = instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED
        ).records
        assert len(planned) == 5
        summaries = storage.get_asset_check_summary_records(
            [dg.AssetCheckKey(dg.AssetKey("counted"), f"check_{n}") for n in range(5)]
        )
        for summary in summaries.values():
            record = summary.last_check_execution_record
            assert record is not None and record.status.value == "SUCCEEDED"


def test_the_batch_size_is_dagsters_variable_or_1000_and_a_bad_one_is_one_sentence(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance, ForgeDagsterInstance)
        monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
        assert instance._get_event_batch_size() == 1000
        monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "0")
        assert instance._get_event_batch_size() == 0
        for bad in ("many", "-5", "²", "1e3"):
            monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", bad)
            with pytest.raises(ForgeError, match="DAGSTER_EVENT_BATCH_SIZE must be a whole"):
                instance._get_event_batch_size()
