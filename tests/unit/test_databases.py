"""tests/databases.forget: a dropped test database's dbt artifacts go, no other warehouse's."""

from __future__ import annotations

import json
from pathlib import Path

from core.db import warehouse_key
from tests.databases import forget

DROPPED = "postgresql://postgres:@/forge_test_0123abcd?host=/tmp/pgdata"
KEPT = "postgresql://postgres:@/forge?host=/tmp/pgdata"


def _file(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _manifest(database: str) -> str:
    """A manifest whose nodes' database comes after more than one read's worth of metadata."""
    metadata = json.dumps({"x": "y" * 70_000})
    return f'{{"metadata": {metadata}, "nodes": {{"model.a": {{"database": "{database}"}}}}}}'


def test_forget_removes_the_databases_builds_parses_states_and_runs_only(tmp_path: Path) -> None:
    dropped, kept = warehouse_key(DROPPED), warehouse_key(KEPT)
    target = tmp_path / "target"
    gone = [
        _file(target / "cli-build" / dropped / "manifest.json"),
        _file(target / "metrics" / dropped / "semantic_manifest.json"),
        _file(target / "parse-state" / f"{dropped}-0123456789ab.msgpack"),
        _file(
            target / "runs" / "run-1" / "forge_dbt_assets-0" / "manifest.json",
            _manifest("forge_test_0123abcd"),
        ),
    ]
    staying = [
        _file(target / "cli-build" / kept / "manifest.json"),
        _file(target / "metrics" / kept / "semantic_manifest.json"),
        _file(target / "parse-state" / f"{kept}-0123456789ab.msgpack"),
        _file(
            target / "runs" / "run-2" / "forge_dbt_assets-0" / "manifest.json", _manifest("forge")
        ),
        _file(target / "runs" / "run-3" / "forge_dbt_assets-0" / "run_results.json"),
        _file(target / "manifest.json", _manifest("forge_test_0123abcd")),
    ]
    forget(DROPPED, project_dir=tmp_path)
    assert [path for path in gone if path.exists()] == []
    assert [path for path in staying if not path.exists()] == []
