"""One call that writes the report: for the CLI, and for a refresh that ends with a report."""

from __future__ import annotations

import logging
from pathlib import Path

from analytics.report.data import fetch_report_data
from analytics.report.render import render_report, write_report
from analytics.timestamps import register_lenient_timestamps
from core.db import connect, describe, parse_dsn
from core.exceptions import ForgeError

logger = logging.getLogger(__name__)


def build_report(dsn: str, out: Path, dbt_project_dir: Path) -> int:
    """Read the marts, raw freshness, the audit and dbt's latest results; replace `out` with the
    page. Needs a login that reads raw and audit (the warehouse's own). Returns the size in bytes.
    """
    with connect(dsn) as conn:
        register_lenient_timestamps(conn)  # a year-10000 row shows as n/a, not a failed report
        data = fetch_report_data(
            conn, warehouse=describe(parse_dsn(dsn)), dbt_project_dir=dbt_project_dir
        )
    html = render_report(data)
    try:
        write_report(html, out)
    except OSError as error:
        raise ForgeError(f"cannot write the report to {out}: {error.strerror or error}") from None
    size = len(html.encode("utf-8"))
    logger.info("wrote the report to %s (%d bytes)", out, size)
    return size
