"""Progress of a long load: a bar on a terminal, a plain log line every few seconds elsewhere."""

from __future__ import annotations

import logging
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ingest.batch import BatchResult

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0


class LoadProgress:
    """Rows read and rows/s of the batch being loaded (`update` is load_batch's on_chunk)."""

    def __init__(self, console: Console) -> None:
        self._interactive = console.is_terminal
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,.0f} rows"),
            TextColumn("{task.fields[rate]:,.0f} rows/s"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not self._interactive,
        )
        self._task: TaskID | None = None
        self._name = ""
        self._started = time.monotonic()
        self._logged = self._started

    def __enter__(self) -> LoadProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.__exit__(kind, error, trace)

    def start(self, name: str) -> None:
        """A new batch (a file, a page, a table) begins."""
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._name = name
        self._started = self._logged = time.monotonic()
        self._task = self._progress.add_task(name, total=None, rate=0.0)

    def update(self, result: BatchResult) -> None:
        now = time.monotonic()
        rate = result.lines_read / max(now - self._started, 1e-9)
        if self._task is not None:
            self._progress.update(self._task, completed=result.lines_read, rate=rate)
        if not self._interactive and now - self._logged >= LOG_EVERY_SECONDS:
            logger.info("%s: %d rows read (%.0f rows/s)", self._name, result.lines_read, rate)
            self._logged = now
