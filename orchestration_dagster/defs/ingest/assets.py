"""One asset per raw table: load that entity's folder of the landing directory."""

from collections.abc import Sequence

import dagster as dg

from ingest.common.db import connect
from ingest.common.exceptions import ForgeError
from ingest.contract.entities import ENTITIES, Entity
from ingest.sources.files.load import FileOutcome, load_landing
from orchestration_dagster.defs.ingest.resources import WarehouseResource

RAW_GROUP = "raw"


def raw_asset_key(system: str, table: str) -> dg.AssetKey:
    """The key of a raw table's asset; the dbt translator maps dbt sources to the same keys."""
    return dg.AssetKey([RAW_GROUP, system, table])


def summarize(outcomes: Sequence[FileOutcome]) -> dict[str, int]:
    """The counts a person reads after a load, summed over the entity's files."""
    batches = [outcome.batch for outcome in outcomes if outcome.batch is not None]
    return {
        "files_loaded": sum(batch.status == "succeeded" for batch in batches),
        "files_failed": sum(batch.status != "succeeded" for batch in batches),
        "files_already_loaded": sum(outcome.already_loaded_by is not None for outcome in outcomes),
        "lines_read": sum(batch.lines_read for batch in batches),
        "rows_loaded": sum(batch.rows_loaded for batch in batches),
        "rows_rejected": sum(batch.rows_rejected for batch in batches),
        "duplicates_skipped": sum(batch.duplicates_skipped for batch in batches),
    }


def failures(outcomes: Sequence[FileOutcome]) -> list[str]:
    """One sentence per file whose batch failed, naming the file once."""
    sentences = []
    for outcome in outcomes:
        batch = outcome.batch
        if batch is None or batch.status == "succeeded":
            continue
        error = batch.error or "failed without a reason"
        path = str(outcome.file.path)
        sentences.append(error if path in error else f"{path}: {error}")
    return sentences


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


def build_raw_asset(entity: Entity) -> dg.AssetsDefinition:
    """The asset of `raw.<entity>`: loads every new landing file of that entity."""

    @dg.asset(
        key=raw_asset_key(entity.system, entity.name),
        group_name=RAW_GROUP,
        kinds={"python", "postgres"},
        description=f"raw.{entity.name}: every accepted {entity.system} record, append-only.",
    )
    def _raw_asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult[None]:
        settings = warehouse.settings()
        try:
            dsn = warehouse.prepared_dsn()
            with connect(dsn) as conn:
                outcomes = load_landing(
                    conn,
                    settings.landing,
                    entities=(entity.name,),
                    chunk_rows=settings.chunk_rows,
                    on_file=lambda outcome: _log_outcome(context, outcome),
                )
        except ForgeError as error:
            raise dg.Failure(description=str(error)) from None
        metadata: dict[str, int | str] = {
            **summarize(outcomes),
            "landing_dir": str(settings.landing / entity.name),
        }
        failed = failures(outcomes)
        if failed:
            raise dg.Failure(
                description=f"{len(failed)} file(s) of {entity.name} failed to load: "
                + "; ".join(failed),
                metadata=metadata,
            )
        return dg.MaterializeResult(metadata=metadata)

    return _raw_asset


raw_assets = [build_raw_asset(entity) for entity in ENTITIES.values()]
