"""`make dev`: the Dagster UI starts on localhost with this code location, its schedule and
sensors stopped (looking never changes anything), and stops entirely.

The test runs `make dev` on a free port (DAGSTER_PORT; 3000 may be held by another `dagster
dev`) with its own DAGSTER_HOME, and SIGINT reset before exec: started in the background,
`dagster dev` would otherwise ignore SIGINT and SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from core.settings import PROJECT_DIR

pytestmark = pytest.mark.integration

DAGSTER_YAML = PROJECT_DIR / "orchestration_dagster" / "dagster.yaml"
STARTUP_SECONDS = 240
LOCATION_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""
AUTOMATION_QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    sensors { name sensorState { status } }
    schedules { name scheduleState { status } }
} } } }
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, body: bytes | None = None) -> Any:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"} if body else {}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _group_alive(pgid: int) -> list[int]:
    """Pids still in the process group (read from /proc: the group may have lost its leader)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def _reset_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_make_dev_serves_the_ui_with_this_code_location_and_stops(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    (tmp_path / "landing").mkdir()
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        # were a sensor on, it would look at an empty directory
        "FORGE_LANDING_DIR": str(tmp_path / "landing"),
    }
    env.pop("FORGE_AUTOMATION", None)  # as a newcomer runs it: automation off
    log = (tmp_path / "dagster-dev.log").open("w")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "dev", f"DAGSTER_HOME={home}", f"DAGSTER_PORT={port}"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_reset_sigint,
    )
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        info, location = None, None
        while time.monotonic() - started < STARTUP_SECONDS:
            assert process.poll() is None, (tmp_path / "dagster-dev.log").read_text()[-3000:]
            try:
                info = info or _get(f"{base}/server_info")
                entries = _get(f"{base}/graphql", json.dumps({"query": LOCATION_QUERY}).encode())
                locations = entries["data"]["workspaceOrError"]["locationEntries"]
                if locations and locations[0]["loadStatus"] == "LOADED":
                    location = locations[0]
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(1)
        print(f"dagster dev: UI and code location up in {time.monotonic() - started:.1f} s")
        assert info is not None and "dagster_webserver_version" in info
        assert location is not None, "the code location did not load in time"
        error = location["locationOrLoadError"]
        assert error["__typename"] == "RepositoryLocation", error.get("message")
        body = json.dumps({"query": AUTOMATION_QUERY}).encode()
        (repository,) = _get(f"{base}/graphql", body)["data"]["repositoriesOrError"]["nodes"]
        states = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
        states |= {s["name"]: s["scheduleState"]["status"] for s in repository["schedules"]}
        from orchestration_dagster.definitions import defs

        automation = {
            *(s.name for s in defs.sensors or ()),
            *(s.name for s in defs.schedules or ()),
        }
        assert set(states) == automation and set(states.values()) == {"STOPPED"}, states
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        leftover = _group_alive(process.pid)
        if leftover:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
    assert process.returncode is not None
    assert not leftover, f"processes of `dagster dev` still running: {leftover}"
    with pytest.raises(urllib.error.URLError):
        _get(f"{base}/server_info")
    # make dev created the instance from the project's configuration
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML.read_text()
