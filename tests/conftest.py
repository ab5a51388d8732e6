"""Shared fixtures: a real Postgres for the integration tier (never a mock, never SQLite).

The embedded server for tests lives in its own folder (.warehouse/test-pgdata), apart from the
demo's; with WAREHOUSE_DSN set, a throwaway database is created on that server instead.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest
from xdist.scheduler import LoadFileScheduling

from core import embedded
from core.migrations import migrate
from core.settings import PROJECT_DIR
from tests import batch_holds, databases
from tests.built import empty_raw_and_audit

MIGRATIONS = PROJECT_DIR / "sql" / "warehouse"

# anyio imports its submodules on first use, and pytest rewrites them as it does any plugin's
# modules, compiling their source then. First used inside a TestClient's thread (a static file
# of the API's /docs, after other tests ran on that worker), the compile failed with CPython
# 3.11.7's "SystemError: AST constructor recursion depth mismatch" (seen once in make test on a
# fresh clone). Resolving every lazy name here compiles them once, in the main thread, first.
for _name in dir(anyio):
    getattr(anyio, _name)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """SIGTERM as a user's shell leaves it, before each test and its fixtures. A pytest-xdist
    worker ignores SIGINT, and Dagster, once it has run a job on the worker's main thread, maps
    SIGTERM to SIGINT's handler: ignored. Every child a later test started inherited that, so
    terminate() did nothing and Dagster waited 30 s for each `tail` and watcher process of its
    compute logs (a test of two small runs took 66 s instead of 6 in make test on fresh
    clones; the docs site's server did the same)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# the modules reading the shared built warehouse (their folder's conftest builds it)
BUILT = "tests/integration/built/"
# the slowest other modules, as make test's summary shows them (each 30-80 s here): handed out
# first, the longest first, so that no worker starts one of them while the other is finishing
SLOWEST = tuple(
    f"tests/integration/{name}.py"
    for name in (
        "test_dbt_marts",
        "test_nightly_test_scope",
        "test_watch_refresh",
        "test_nightly_refresh_job",
        "test_dagster_gates",
        "test_dagster_dev",
    )
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules that read the shared built warehouse run first, then the slowest other
    modules, then the rest of the integration tier, then the unit tier. Under pytest-xdist
    (`--dist loadfile --no-loadscope-reorder`) the scheduler below hands out work in this
    order, so the workers finish about together."""

    def rank(item: pytest.Item) -> tuple[int, int]:  # by module: its tests stay together
        module = item.nodeid.split("::")[0]
        if module.startswith(BUILT):
            return (0, 0)
        if module in SLOWEST:
            return (1, SLOWEST.index(module))
        return (2, 0) if item.get_closest_marker("integration") else (3, 0)

    items.sort(key=rank)


class _ModulesAndTheBuild(LoadFileScheduling):  # type: ignore[misc]  # xdist is untyped
    """pytest-xdist's `--dist loadfile`, except that the modules reading the shared build are
    one unit: one worker builds the warehouse for all of them (about 25 s of a worker's time,
    paid once instead of once per worker) while the others run the rest. (xdist's own
    `loadgroup` marks do not take effect under pytest 9: it renames the tests' node ids through
    an attribute pytest 9 no longer reads.)"""

    def _split_scope(self, nodeid: str) -> str:
        return BUILT if nodeid.startswith(BUILT) else super()._split_scope(nodeid)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadFileScheduling | None:
    """The scheduler of `--dist loadfile` (the Makefile's); any other --dist keeps its own."""
    return _ModulesAndTheBuild(config, log) if config.getvalue("dist") == "loadfile" else None


_MODULE_SECONDS: defaultdict[str, float] = defaultdict(float)
_WORKER_MODULES: defaultdict[str, list[str]] = defaultdict(list)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Adds each phase's seconds (setup, call, teardown) to its module's total, and notes which
    pytest-xdist worker ran the module (the report's `node`, in the controller)."""
    module = report.nodeid.split("::")[0]
    _MODULE_SECONDS[module] += report.duration
    worker = getattr(getattr(getattr(report, "node", None), "gateway", None), "id", None)
    if worker is not None and module not in _WORKER_MODULES[worker]:
        _WORKER_MODULES[worker].append(module)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Prints the modules that took longest, fixtures included: where the suite's time goes;
    and each worker's seconds, to see how evenly the modules were handed out."""
    slowest = sorted(_MODULE_SECONDS.items(), key=lambda item: -item[1])[:15]
    if not slowest or slowest[0][1] < 1:
        return
    terminalreporter.section("slowest modules (setup + call + teardown)")
    for module, seconds in slowest:
        terminalreporter.write_line(f"{seconds:7.1f} s  {module}")
    for worker, modules in sorted(_WORKER_MODULES.items()):
        busy = sum(_MODULE_SECONDS[module] for module in modules)
        terminalreporter.write_line(f"{busy:7.1f} s  worker {worker}, {len(modules)} modules")


@pytest.fixture(scope="session")
def warehouse_dsn() -> Iterator[str]:
    """A migrated, empty test database; WAREHOUSE_DSN points at it for child processes."""
    external = os.environ.get("WAREHOUSE_DSN")
    admin = external or embedded.start(PROJECT_DIR / ".warehouse" / "test-pgdata", "postgres")
    dsn = databases.create(admin, "forge_test")
    migrate(dsn, MIGRATIONS)
    # until the migration with the reject-rate gate's views is merged (issue 10)
    batch_holds.install(dsn, replace=False)
    saved = os.environ.get("WAREHOUSE_DSN")
    os.environ["WAREHOUSE_DSN"] = dsn
    try:
        yield dsn
    finally:
        if saved is None:
            os.environ.pop("WAREHOUSE_DSN", None)
        else:
            os.environ["WAREHOUSE_DSN"] = saved
        databases.drop(admin, dsn)


@pytest.fixture
def clean_warehouse(warehouse_dsn: str) -> str:
    """The test database with raw and audit emptied: each test starts from nothing loaded."""
    empty_raw_and_audit(warehouse_dsn)
    return warehouse_dsn


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """An empty landing directory."""
    path = tmp_path / "landing"
    path.mkdir()
    return path


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it (alerts)."""
    received: list[dict[str, Any]] = []
    handler = type("Webhook", (_Webhook,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts", received
    server.shutdown()
    server.server_close()
