"""One asset per raw table: load that entity's new files from the landing directory."""

import time
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
from pydantic import Field

from core.db import connect
from core.exceptions import ForgeError
from ingest.contract.entities import ENTITIES, Entity
from ingest.contract.validate import RecordValidator, TimeWindow
from ingest.sources.files.load import FileOutcome, discover, load_file, load_landing
from orchestration_dagster.defs.ingest.checks import reject_rate_result, reject_rate_spec
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.defs.watch.checks import raw_history_result, raw_history_spec
from orchestration_dagster.defs.watch.judging import mark_run
from orchestration_dagster.lib.loads import failures, summarize
from orchestration_dagster.lib.names import RAW_GROUP, raw_asset_key, raw_pool
from orchestration_dagster.lib.retries import TRANSIENT_RETRY_POLICY, transient_cause


class RawLoadConfig(dg.Config):
    """Run configuration of a raw table's load."""

    files: list[str] = Field(
        default_factory=list,
        description=(
            "Load only these landing files (paths as the landing sensor saw them); "
            "empty: every file of the entity's folder not loaded before."
        ),
    )


def _log_outcome(context: dg.AssetExecutionContext, outcome: FileOutcome) -> None:
    batch = outcome.batch
    if batch is None:
        context.log.info(f"{outcome.file.path}: loaded before by batch {outcome.already_loaded_by}")
    elif batch.status == "succeeded":
        context.log.info(
            f"{outcome.file.path}: {batch.lines_read} lines read, {batch.rows_loaded} loaded, "
            f"{batch.rows_rejected} rejected, {batch.duplicates_skipped} duplicates skipped"
        )
    else:
        context.log.error(f"{outcome.file.path}: batch {batch.batch_id} failed: {batch.error}")


def _load(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    dsn: str,
    entity: Entity,
    only: Sequence[str],
) -> list[FileOutcome]:
    """Load the entity's new files, or only the named ones; each file is one batch."""
    settings = warehouse.settings()
    window = TimeWindow.from_settings(settings)
    with connect(dsn) as conn:
        mark_run(conn, context.run.run_id)  # audit.loads.run_id of every batch below
        if not only:
            return load_landing(
                conn,
                settings.landing,
                entities=(entity.name,),
                chunk_rows=settings.chunk_rows,
                hold_above=settings.reject_rate_threshold,
                window=window,
                on_file=lambda outcome: _log_outcome(context, outcome),
            )
        wanted = {Path(path).resolve() for path in only}
        files = [
            f for f in discover(settings.landing, (entity.name,)) if f.path.resolve() in wanted
        ]
        for missing in sorted(wanted - {f.path.resolve() for f in files}):
            context.log.warning(f"{missing} is no longer in the landing directory; skipped")
        validator = RecordValidator(entity, window)
        outcomes = []
        for file in files:
            outcome = load_file(
                conn,
                file,
                validator,
                chunk_rows=settings.chunk_rows,
                hold_above=settings.reject_rate_threshold,
            )
            _log_outcome(context, outcome)
            outcomes.append(outcome)
        return outcomes


def build_raw_asset(entity: Entity) -> dg.AssetsDefinition:
    """The asset of `raw.<entity>`: loads the entity's landing files not loaded before."""

    @dg.asset(
        key=raw_asset_key(entity.system, entity.name),
        group_name=RAW_GROUP,
        kinds={"python", "postgres"},
        description=f"raw.{entity.name}: every accepted {entity.system} record, append-only.",
        pool=raw_pool(entity.name),
        retry_policy=TRANSIENT_RETRY_POLICY,
        check_specs=[
            reject_rate_spec(entity, raw_asset_key(entity.system, entity.name)),
            raw_history_spec(entity, raw_asset_key(entity.system, entity.name)),
        ],
    )
    def _raw_asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: RawLoadConfig
    ) -> dg.MaterializeResult:  # type: ignore[type-arg]
        started = time.monotonic()
        try:
            dsn = warehouse.prepared_dsn()
            outcomes = _load(context, warehouse, dsn, entity, config.files)
        except Exception as error:
            cause = transient_cause(error)
            if cause is not None:
                # files committed before the error stay loaded; the retry skips them
                raise dg.Failure(
                    description=f"transient database error while loading {entity.name}: {cause}",
                    allow_retries=True,
                ) from error
            if isinstance(error, ForgeError):
                raise dg.Failure(description=str(error), allow_retries=False) from None
            raise dg.Failure(
                description=f"loading {entity.name} failed: {type(error).__name__}: {error}",
                allow_retries=False,
            ) from error
        batches = [outcome.batch.batch_id for outcome in outcomes if outcome.batch is not None]
        metadata: dict[str, dg.RawMetadataValue] = {
            **summarize(outcomes),
            "landing_dir": str(warehouse.settings().landing / entity.name),
            "batch_ids": dg.MetadataValue.json(batches),
            "duration_s": round(time.monotonic() - started, 3),
        }
        failed = failures(outcomes)
        if failed:
            raise dg.Failure(
                description=f"{len(failed)} file(s) of {entity.name} failed to load: "
                + "; ".join(failed),
                metadata=metadata,
                allow_retries=False,
            )
        check = reject_rate_result(
            entity,
            raw_asset_key(entity.system, entity.name),
            dsn,
            batches,
            warehouse.settings().reject_rate_threshold,
        )
        history = raw_history_result(
            entity,
            raw_asset_key(entity.system, entity.name),
            dsn,
            context.run.run_id,
            dict(context.run.tags),
        )
        return dg.MaterializeResult(metadata=metadata, check_results=[check, history])

    return _raw_asset


raw_assets = [build_raw_asset(entity) for entity in ENTITIES.values()]
