"""What the landing sensor sees: settled files new to it, and the one run that loads them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg

from ingest.contract.entities import ENTITIES
from ingest.sources.files.load import LandingFile
from orchestration_dagster.lib.landing import landing_run_request, scan_landing
from orchestration_dagster.lib.names import REFRESH_TAG

FEEDBACK = dg.AssetKey(["raw", "dataforge", "user_feedback"])
OUTCOMES = dg.AssetKey(["raw", "dataforge", "project_outcomes"])
OPS = {FEEDBACK: "raw__dataforge__user_feedback", OUTCOMES: "raw__dataforge__project_outcomes"}


def _land(landing: Path, entity: str, name: str, lines: int = 1, age_s: float = 120) -> LandingFile:
    path = landing / entity / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'{{"line": {n}}}\n' for n in range(lines)))
    moment = time.time() - age_s
    os.utime(path, (moment, moment))
    return LandingFile(ENTITIES[entity], path)


def test_a_file_is_new_once_settled_and_again_only_when_its_content_changes(
    tmp_path: Path,
) -> None:
    settled = _land(tmp_path, "user_feedback", "a.jsonl")
    writing = _land(tmp_path, "user_feedback", "b.jsonl", age_s=1)

    first = scan_landing([settled, writing], {}, now=time.time())
    second = scan_landing([settled, writing], first.seen, now=time.time())
    changed = _land(tmp_path, "user_feedback", "a.jsonl", lines=3)
    third = scan_landing([changed], second.seen, now=time.time())

    assert first.new == [settled] and first.unsettled == [writing.path]
    assert second.new == []
    assert third.new == [changed]


def test_one_run_loads_only_the_new_files_each_raw_table_told_which(tmp_path: Path) -> None:
    feedback = _land(tmp_path, "user_feedback", "a.jsonl")
    outcomes = _land(tmp_path, "project_outcomes", "a.jsonl")
    scan = scan_landing([feedback, outcomes], {}, now=time.time())

    request = landing_run_request(scan.new, scan.seen, OPS)

    ops = request.run_config["ops"]
    assert ops["raw__dataforge__user_feedback"]["config"]["files"] == [str(feedback.path.resolve())]
    assert ops["raw__dataforge__project_outcomes"]["config"]["files"] == [
        str(outcomes.path.resolve())
    ]
    assert request.asset_selection == [OUTCOMES, FEEDBACK]
    assert request.tags[REFRESH_TAG] == "landing"
    assert request.tags["forge/landing_files"] == "2"


def test_the_run_key_is_the_files_and_their_content_so_a_lost_cursor_cannot_load_twice(
    tmp_path: Path,
) -> None:
    file = _land(tmp_path, "user_feedback", "a.jsonl")
    once = landing_run_request([file], scan_landing([file], {}, now=time.time()).seen, OPS)
    again = landing_run_request([file], scan_landing([file], {}, now=time.time()).seen, OPS)
    changed = _land(tmp_path, "user_feedback", "a.jsonl", lines=3)
    other = landing_run_request([changed], scan_landing([changed], {}, now=time.time()).seen, OPS)

    assert once.run_key == again.run_key
    assert once.run_key and once.run_key.startswith("landing-")
    assert other.run_key != once.run_key
