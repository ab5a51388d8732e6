"""A newcomer's first hour, on a fresh clone, exactly as the README words it.

The slow tier (`make test-newcomer`, run by CI after `make test`): clone the repository, run
`make demo`, then every line of the README's "Your first hour" block in order. The lines that only
look (the report, psql, the Dagster UI, the docs site, the API) must leave every mart as it was;
each server line runs until its page answers, then gets the Ctrl-C the README promises. Any
step that fails, or prints a traceback, fails the test with that step's output.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from core.settings import PROJECT_DIR

# a fresh install, the demo, three servers and a refresh: minutes, not seconds
pytestmark = [pytest.mark.newcomer, pytest.mark.timeout(1800)]

BLOCK = re.compile(
    r"<!-- first-hour:begin -->\s*```sh\n(.*?)```\s*<!-- first-hour:end -->", re.DOTALL
)
PRINTED = '"<the connection string it printed>"'
# the lines that start a server: how the test reaches its page, and the README's own port
SERVERS = {
    "make dev": ("DAGSTER_PORT", "/server_info"),
    "make docs": ("DOCS_PORT", "/"),
    "forge-warehouse serve": ("--port", "/docs"),
}
STARTUP_SECONDS = 300
# what a newcomer's shell does not have: nothing of this checkout, no settings of ours
FOREIGN = ("WAREHOUSE_DSN", "DAGSTER_HOME", "VIRTUAL_ENV", "PYTHONPATH")


@dataclass
class Clone:
    path: Path
    env: dict[str, str]
    outputs: dict[str, str]

    def run(self, command: str, *, prefix: list[str], timeout: float = 900) -> str:
        """One README line in bash, after the lines that set up the shell; its output."""
        script = "\n".join(["set -eo pipefail", *prefix, command])
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"`{command}` failed ({done.returncode}):\n{output[-4000:]}"
        assert "Traceback" not in output, f"`{command}` printed a traceback:\n{output[-4000:]}"
        return output


@pytest.fixture(scope="module")
def clone() -> Iterator[Clone]:
    """A fresh clone (inside the project: as root, pgserver's user must reach its data folder),
    with an environment as a newcomer's shell has it; its server is stopped afterwards."""
    path = PROJECT_DIR / ".scratch" / f"newcomer-{uuid.uuid4().hex[:8]}"
    path.parent.mkdir(exist_ok=True)
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_DIR), str(path)], check=True)
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in FOREIGN and not name.startswith(("FORGE_", "DBT_", "PG"))
    }
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if ".venv" not in part
    )
    try:
        yield Clone(path, env, {})
    finally:
        subprocess.run(
            [str(path / ".venv" / "bin" / "forge-warehouse"), "db", "down"],
            cwd=path,
            env=env,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(path, ignore_errors=True)


def readme_steps(readme: str) -> list[str]:
    """The block's commands in order: comments dropped, a heredoc kept whole with its lines."""
    match = BLOCK.search(readme)
    assert match is not None, "README.md has no first-hour block"
    steps: list[str] = []
    lines = iter(match.group(1).splitlines())
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        heredoc = re.search(r"<<'?(\w+)'?", line)
        if heredoc is not None:
            body = [line]
            for more in lines:
                body.append(more)
                if more.strip() == heredoc.group(1):
                    break
            line = "\n".join(body)
        steps.append(line)
    return steps


def test_the_readme_block_is_what_the_newcomer_reads() -> None:
    steps = readme_steps((PROJECT_DIR / "README.md").read_text(encoding="utf-8"))
    assert steps[0] == "source .venv/bin/activate"
    assert {server for server in SERVERS if server in steps} == set(SERVERS)
    assert any(PRINTED in step for step in steps)


def test_the_first_hour_on_a_fresh_clone(clone: Clone) -> None:
    demo = clone.run("make demo", prefix=[])
    assert "nightly refresh succeeded" in demo, demo[-3000:]
    dsn = f"postgresql://postgres@/forge?host={clone.path / '.warehouse' / 'pgdata'}"
    before = marts_fingerprint(dsn)
    assert len(before) >= 20, before

    steps = readme_steps((clone.path / "README.md").read_text(encoding="utf-8"))
    first_change = next(index for index, step in enumerate(steps) if "<<" in step)
    prefix: list[str] = []
    for step in steps[:first_change]:
        if step.startswith(("source ", "eval ")):
            prefix.append(step)
            clone.run("true", prefix=prefix)
        elif step in SERVERS:
            serve_until_it_answers(clone, step, prefix)
        else:
            output = clone.run(_with_printed(step, clone), prefix=prefix)
            clone.outputs[step] = output
    assert marts_fingerprint(dsn) == before, "a mart changed while the newcomer only looked"

    for step in steps[first_change:]:
        clone.run(step, prefix=prefix)
    with psycopg.connect(dsn) as conn:
        mine = conn.execute(
            "select count(*) from marts.fct_feedback "
            "where feedback_id = '0b8f8a7e-2f5d-4f3e-8c1e-5a3d2c1b0a99'"
        ).fetchone()
    assert mine == (1,), "the newcomer's own feedback did not reach the marts"


def _with_printed(step: str, clone: Clone) -> str:
    """The README's placeholder for the connection string, as the newcomer pastes it."""
    if PRINTED not in step:
        return step
    printed = next(
        re.search(r"postgresql://\S+", output)
        for command, output in clone.outputs.items()
        if command.startswith("forge-warehouse bi-login create")
    )
    assert printed is not None, "bi-login create printed no connection string"
    return step.replace(PRINTED, f"'{printed.group()}'")


def serve_until_it_answers(clone: Clone, step: str, prefix: list[str]) -> None:
    """Start a server line, wait for its page, then Ctrl-C it; nothing of it may stay."""
    knob, page = SERVERS[step]
    port = _free_port()
    if knob == "--port":
        lines = [f"exec {step} --port {port}"]
    else:
        lines = [f"export {knob}={port}", f"exec {step}"]
    process = subprocess.Popen(
        ["bash", "-c", "\n".join(["set -eo pipefail", *prefix, *lines])],
        cwd=clone.path,
        env=clone.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    started = time.monotonic()
    answered = False
    try:
        while time.monotonic() - started < STARTUP_SECONDS and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=5) as reply:
                    answered = reply.status == 200
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have ended on its own
            os.killpg(process.pid, signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate(timeout=10)
    assert answered, f"`{step}` did not answer on port {port}:\n{output[-4000:]}"
    assert "Traceback" not in output, f"`{step}` printed a traceback:\n{output[-4000:]}"


def marts_fingerprint(dsn: str) -> dict[str, str]:
    """Per mart, an md5 of all its rows in a fixed order."""
    with psycopg.connect(dsn) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            )
        ]
        return {
            name: str(
                conn.execute(
                    sql.SQL(
                        "select md5(coalesce(string_agg(rows::text, '|' order by rows::text), ''))"
                        " from {} as rows"
                    ).format(sql.Identifier("marts", name))
                ).fetchone()
            )
            for name in sorted(names)
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
