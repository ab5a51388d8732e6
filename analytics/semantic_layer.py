"""MetricFlow over the warehouse, offline: the semantic manifest parsed for this warehouse, and
MetricFlow's own engine answering queries and validating the definitions with its connection.

What `mf` does, without what it must not do here: `mf` reads `target/semantic_manifest.json`,
which names the database it was parsed against (`make install` parses against a placeholder), so
this module keeps a manifest of its own per warehouse in `target/metrics/<database>-<hash>/`,
parsed with the warehouse's connection whenever it is stale (missing, or older than a file of
the dbt project): two warehouses queried from one checkout never overwrite each other's. It
drives MetricFlow's engine in process, as `mf` does, but never runs `mf`'s command group, whose
every call first asks PyPI for a newer version (`update_checker`): nothing here touches the
network. The dbt profile reads its connection from FORGE_PG_*
variables; they are set from the DSN for the duration of a call (and put back), never by hand.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import dbt_parse_state
from core.db import dbt_env, environment, first_line, warehouse_key
from core.exceptions import ForgeError

logger = logging.getLogger(__name__)

# where each warehouse's own semantic manifest is parsed, under the dbt project
TARGET = Path("target") / "metrics"
MANIFEST = "semantic_manifest.json"
# what a parse reads: a newer file here makes the manifest stale
SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "snapshots")
PARSE_TIMEOUT_SECONDS = 600
# MetricFlow logs every query at INFO, SQL and all: a command shows them only with -v
CHATTY_LOGGERS = ("metricflow", "metricflow_semantics", "dbt_metricflow")
# the headings of MetricFlow's explanation of a query it refuses
RESOLUTION_SECTIONS = ("Message", "Suggestions", "Query Input", "Issue Location")


class SemanticLayerError(ForgeError):
    """MetricFlow cannot answer or the definitions do not parse: one sentence."""


@dataclass(frozen=True)
class Engine:
    """MetricFlow's engine, the semantic manifest it reads and its connection to the warehouse."""

    engine: Any
    manifest: Any
    sql_client: Any


@dataclass(frozen=True)
class QueryAnswer:
    """A MetricFlow query's table: column names and rows, and how long the query took."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    seconds: float


@dataclass(frozen=True)
class ValidationReport:
    """MetricFlow's checks: the semantic checks of the definitions, then the warehouse checks
    (each semantic model, dimension, entity, measure and metric queried), as `mf
    validate-configs` runs them."""

    errors: list[str]
    warnings: list[str]
    checks: int
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.errors


def parse_folder(dsn: str) -> Path:
    """The folder (under the dbt project) of the warehouse's own parse: its database's name,
    made safe for a path, and a hash of where it lives (core.db.warehouse_key)."""
    return TARGET / warehouse_key(dsn)


def manifest_path(project_dir: Path, dsn: str) -> Path:
    """The semantic manifest parsed for the warehouse (not the one `make install` parses)."""
    return project_dir / parse_folder(dsn) / MANIFEST


def stale_reason(project_dir: Path, dsn: str) -> str | None:
    """Why the warehouse's semantic manifest must be parsed again, or None when it is current."""
    path = manifest_path(project_dir, dsn)
    if not path.exists():
        return "no semantic manifest parsed for this warehouse yet"
    built = path.stat().st_mtime
    newer = next((source for source in _source_files(project_dir) if _mtime(source) > built), None)
    if newer is not None:
        return f"{newer.relative_to(project_dir)} changed since the last parse"
    return None  # the folder is this warehouse's own: it was parsed for this database


def ensure_manifest(project_dir: Path, dsn: str) -> Path:
    """The semantic manifest for the warehouse at `dsn`, parsed first (`dbt parse` into
    its parse folder with the warehouse's connection) when stale."""
    reason = stale_reason(project_dir, dsn)
    if reason is None:
        return manifest_path(project_dir, dsn)
    logger.info("parsing the dbt project for the warehouse (%s)", reason)
    started = time.perf_counter()
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "parse",
        "--quiet",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(parse_folder(dsn)),
    ]
    logs = project_dir / parse_folder(dsn) / "logs"
    env = {**os.environ, **dbt_env(dsn), "DBT_LOG_PATH": str(logs)}
    env.pop("DBT_TARGET_PATH", None)
    try:
        # the parse state a build of this warehouse kept (forge-warehouse build: no vars either)
        with dbt_parse_state.kept(project_dir, project_dir / parse_folder(dsn), dsn, {}):
            result = subprocess.run(
                command,
                cwd=project_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=PARSE_TIMEOUT_SECONDS,
                check=False,
            )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SemanticLayerError(f"dbt parse could not run: {first_line(error)}") from None
    if result.returncode != 0 or not manifest_path(project_dir, dsn).exists():
        raise SemanticLayerError(
            f"dbt parse failed, so MetricFlow has no definitions: {_last_error(result)}"
        )
    logger.info("parsed the semantic manifest in %.1f s", time.perf_counter() - started)
    return manifest_path(project_dir, dsn)


@contextmanager
def metricflow_engine(project_dir: Path, dsn: str) -> Iterator[Engine]:
    """MetricFlow's engine over the warehouse's own manifest and a dbt adapter connected to it
    (the engine `mf` builds, without `mf`'s update check)."""
    path = ensure_manifest(project_dir, dsn)
    if not logger.isEnabledFor(logging.DEBUG):
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    with environment(dbt_env(dsn)):
        try:
            from dbt.adapters.factory import get_adapter_by_type
            from dbt_metricflow.cli.dbt_connectors.adapter_backed_client import (
                AdapterBackedSqlClient,
            )
            from dbt_metricflow.cli.dbt_connectors.dbt_config_accessor import dbtProjectMetadata
            from metricflow.engine.metricflow_engine import MetricFlowEngine
            from metricflow_semantics.model.dbt_manifest_parser import (
                parse_manifest_from_dbt_generated_manifest,
            )
            from metricflow_semantics.model.semantic_manifest_lookup import (
                SemanticManifestLookup,
            )

            # dbt's own checks of the project and the connection (`dbt debug`), as `mf` runs them
            metadata = dbtProjectMetadata.load_from_paths(
                profiles_path=project_dir, project_path=project_dir
            )
            adapter = get_adapter_by_type(  # type: ignore[no-untyped-call]
                metadata.profile.credentials.type
            )
            manifest = parse_manifest_from_dbt_generated_manifest(
                manifest_json_string=path.read_text(encoding="utf-8")
            )
            client = AdapterBackedSqlClient(adapter)
            engine = MetricFlowEngine(
                semantic_manifest_lookup=SemanticManifestLookup(manifest), sql_client=client
            )
        except Exception as error:
            raise SemanticLayerError(
                f"MetricFlow cannot start over the warehouse: {_reason(error)}"
            ) from None
        try:
            yield Engine(engine, manifest, client)
        finally:
            client.close()


def query_metrics(
    engine: Engine,
    *,
    metrics: Sequence[str],
    group_by: Sequence[str] = (),
    where: Sequence[str] = (),
    order: Sequence[str] = (),
    limit: int | None = None,
    start_time: dt.datetime | None = None,
    end_time: dt.datetime | None = None,
) -> QueryAnswer:
    """MetricFlow's answer to a query, as `mf query` asks it; a query it refuses is one
    sentence (SemanticLayerError)."""
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    started = time.perf_counter()
    try:
        request = MetricFlowQueryRequest.create(
            metric_names=list(metrics),
            group_by_names=list(group_by) or None,
            where_constraints=list(where) or None,
            order_by_names=list(order) or None,
            limit=limit,
            time_constraint_start=start_time,
            time_constraint_end=end_time,
        )
        result = engine.engine.query(mf_request=request)
    except Exception as error:
        raise SemanticLayerError(f"MetricFlow cannot answer: {_reason(error)}") from None
    table = result.result_df
    columns = [str(name) for name in table.column_names] if table is not None else []
    rows = [tuple(row) for row in table.rows] if table is not None else []
    return QueryAnswer(columns, rows, time.perf_counter() - started)


def validate_definitions(
    project_dir: Path, dsn: str, *, warehouse: bool = True
) -> ValidationReport:
    """MetricFlow's checks of the semantic layer (`mf validate-configs`): the definitions'
    semantics, then, unless `warehouse` is false, each of them queried in the warehouse."""
    started = time.perf_counter()
    with metricflow_engine(project_dir, dsn) as engine:
        from metricflow.validation.data_warehouse_model_validator import (
            DataWarehouseModelValidator,
        )
        from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
            SemanticManifestValidator,
        )

        manifest = engine.manifest
        results = [SemanticManifestValidator[Any]().validate_semantic_manifest(manifest)]
        if warehouse and not results[0].has_blocking_issues:
            checker = DataWarehouseModelValidator(sql_client=engine.sql_client)
            for check in (
                checker.validate_semantic_models,
                checker.validate_dimensions,
                checker.validate_entities,
                checker.validate_simple_metrics,
                checker.validate_metrics,
            ):
                results.append(check(manifest, None))
    errors = [_issue(issue) for result in results for issue in result.errors]
    warnings = [
        _issue(issue) for result in results for issue in (*result.warnings, *result.future_errors)
    ]
    return ValidationReport(errors, warnings, len(results), time.perf_counter() - started)


def _source_files(project_dir: Path) -> Iterator[Path]:
    for name in SOURCES:
        path = project_dir / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from (item for item in path.rglob("*") if item.is_file())


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _last_error(result: subprocess.CompletedProcess[str]) -> str:
    """The line of dbt's output that says what failed (it prints ANSI colours and timestamps)."""
    lines = [
        _plain(line) for line in (result.stdout + "\n" + result.stderr).splitlines() if line.strip()
    ]
    for line in reversed(lines):
        if "error" in line.lower() and not line.lower().startswith("encountered an error"):
            return line
    return lines[-1] if lines else f"exit code {result.returncode}"


def _plain(line: str) -> str:
    """A line of dbt's output without its colour codes and leading timestamp."""
    line = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
    return re.sub(r"^\d{2}:\d{2}:\d{2}\s+", "", line)


def _reason(error: BaseException) -> str:
    """An exception's message as one sentence. MetricFlow explains a refused query over many
    lines (each error, its suggestions, the input, where it was resolved): its first error's
    message, input and first suggestions are kept; other errors keep their first lines."""
    text = str(error).strip() or type(error).__name__
    cause = error.__cause__
    if cause is not None and str(cause).strip() and "Error validating the dbt project" in text:
        text = str(cause).strip()
    # MetricFlow may append the traceback of what it caught: the person needs what was said
    text = re.split(r"\s*(?:Got exception:|Traceback \(most recent call last\))", text)[0]
    if "Message:" in text:
        return _query_resolution_error(text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return _cut("; ".join(line.rstrip(":") for line in lines[:3]))


def _query_resolution_error(text: str) -> str:
    """`Got error(s) during query resolution. Error #1: Message: ... Suggestions: [...] Query
    Input: ...` as `<input>: <message> (suggestions: a, b, c)`."""
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in text.split("Error #2:")[0].splitlines():
        line = raw.strip()
        if line.endswith(":") and line[:-1] in RESOLUTION_SECTIONS:
            current = line[:-1]
            sections[current] = []
        elif current and line:
            sections[current].append(line)
    message_lines: list[str] = []
    for line in sections.get("Message", []):
        if line.startswith("*"):
            break
        message_lines.append(line)
    message = " ".join(message_lines).replace(" Common issues are:", "").rstrip(".:")
    found = re.findall(r"'([^']+)'|\"([^\"]+)\"", " ".join(sections.get("Suggestions", [])))
    # a filter's suggestion is Dimension('x__y'): the name is what to write
    suggestions = [
        re.sub(r"^\w+\('([^']+)'\)$", r"\1", single or double) for single, double in found
    ][:6]
    asked = " ".join(sections.get("Query Input", []))
    if "Object Builder Input:" in asked:  # a --where filter: the item it could not resolve
        asked = asked.split("Object Builder Input:")[-1].strip()
    sentence = f"{asked}: {message[:1].lower()}{message[1:]}" if asked else message
    if suggestions:
        sentence += f" (did you mean {', '.join(suggestions)}?)"
    return _cut(sentence)


def _cut(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= 400 else sentence[:397] + "..."


def _issue(issue: Any) -> str:
    """A validation issue as one line: where it was found and its message."""
    return " ".join(str(issue.as_readable_str()).split())


@dataclass(frozen=True)
class MetricEntry:
    """One metric of marts.dim_metrics, as `forge-warehouse metrics list` shows it."""

    metric: str
    label: str
    metric_type: str
    unit: str
    is_trend: bool
    group_by: dict[str, str]
    description: str


def list_metrics(conn: Any) -> list[MetricEntry]:
    """Every metric of the semantic layer from marts.dim_metrics (written from the definitions
    at build time), trend metrics first."""
    from psycopg.rows import dict_row

    from analytics.queries import query

    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(query("select_metrics")).fetchall()
    return [
        MetricEntry(
            metric=row["metric"],
            label=row["label"] or "",
            metric_type=row["metric_type"] or "",
            unit=row["unit"] or "",
            is_trend=bool(row["is_trend"]),
            group_by=dict(row["semantic_layer_group_by"] or {}),
            description=" ".join((row["description"] or "").split()),
        )
        for row in rows
    ]
