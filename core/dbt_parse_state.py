"""dbt's partial-parse state, kept per warehouse and per vars, and offered back to the next dbt
invocation with the same ones.

dbt parses the whole project again (about 15 s here) when the database it connects to or the
vars on its command line differ from those of the state it finds in its target folder. With one
state per target folder, a backfill's days, the weekly full-test night or a second warehouse
made the next usual night pay that parse too. dbt checks the state it is offered itself, so a
stale state costs only the parse, never a wrong result.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.db import warehouse_key

PARTIAL_PARSE = "partial_parse.msgpack"
_FOLDER = "parse-state"
# Each state is about 2.4 MB; a backfill's days make a new key, so the oldest states go.
_KEPT = 16


def state_file(root: Path, dsn: str, variables: Mapping[str, Any]) -> Path:
    """Where the state of dbt invocations on `dsn` with these vars is kept, under `root`."""
    text = json.dumps(dict(variables), sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return root / _FOLDER / f"{warehouse_key(dsn)}-{digest}.msgpack"


@contextmanager
def kept(
    project_dir: Path, invocation_target: Path, dsn: str, variables: Mapping[str, Any]
) -> Iterator[None]:
    """Around a dbt invocation on `dsn` with these vars that writes into `invocation_target`:
    offer it the state kept for them under the project's target/, then keep the one it left.

    Every dbt invocation of the project goes through here: dagster-dbt would seed each one
    with the project's single partial_parse.msgpack, which `dbt parse` at install writes with
    a placeholder profile, and which could not hold two warehouses or two sets of vars.
    """
    state = state_file(project_dir / "target", dsn, variables)
    offer(state, invocation_target)
    yield
    keep(invocation_target, state)


def offer(state: Path, invocation_target: Path) -> None:
    """Put the kept state, if any, where the next dbt invocation reads it: its target folder."""
    if not state.exists():
        return
    invocation_target.mkdir(parents=True, exist_ok=True)
    _copy_atomically(state, invocation_target / PARTIAL_PARSE)


def keep(invocation_target: Path, state: Path) -> None:
    """Keep the state a dbt invocation left in its target folder (two may end at once), and
    drop the least recently kept ones beyond sixteen."""
    left = invocation_target / PARTIAL_PARSE
    if not left.exists():
        return
    state.parent.mkdir(parents=True, exist_ok=True)
    _copy_atomically(left, state)
    kept = sorted(state.parent.glob("*.msgpack"), key=_mtime, reverse=True)
    for old in kept[_KEPT:]:
        old.unlink(missing_ok=True)


def _copy_atomically(source: Path, destination: Path) -> None:
    staged = destination.with_name(f".{destination.name}.{os.getpid()}")
    shutil.copyfile(source, staged)
    os.replace(staged, destination)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # dropped by another invocation meanwhile
        return 0.0
